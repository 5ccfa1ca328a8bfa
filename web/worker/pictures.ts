/**
 * What the page draws of a model, computed by the library's visualize
 * module: conv1's kernels (the paper's Figure 3) and every conv layer's
 * feature maps for one image, as RGBA pictures.
 */
import { type nn, type Tensor, visualize } from 'alexnet-ts';
import type { FeatureMapLayer, FiltersPicture, Picture } from '../protocol.js';

function picture(raster: visualize.RasterImage): Picture {
  return { width: raster.width, height: raster.height, rgba: visualize.rasterToRgba(raster) as Uint8ClampedArray<ArrayBuffer> };
}

/** conv1's kernels, each enlarged `scale` times. */
export function filtersPicture(model: nn.Module, scale = 5): FiltersPicture {
  const { name, layer } = visualize.firstConv(model);
  const [count, inChannels, kh, kw] = layer.weight.shape;
  return { picture: picture(visualize.filterGrid(layer.weight, { scale, gap: 2, background: 255 })), name, count, inChannels, kernel: [kh, kw] };
}

/** Each conv layer's output for `input` (one image), one picture per layer. */
export function featureMapPictures(model: nn.Module, input: Tensor): FeatureMapLayer[] {
  return visualize.convFeatureMaps(model, input).map((layer) => ({
    name: layer.name,
    label: layer.label,
    shape: layer.shape,
    picture: picture(visualize.featureMapGrid(layer, { gap: 2 })),
  }));
}

/** The RGBA buffers of pictures, to move (not copy) them to the page. */
export function transferables(pictures: readonly Picture[]): ArrayBuffer[] {
  return pictures.map((p) => p.rgba.buffer);
}
