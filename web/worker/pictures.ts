/**
 * What the page draws of a model, computed by the library's visualize
 * module: conv1's kernels (the paper's Figure 3) and every conv layer's
 * feature maps for one image, as ImageBitmaps moved to the page (Picture).
 */
import { type nn, type Tensor, visualize } from 'alexnet-ts';
import type { FeatureMapLayer, FiltersPicture, Picture, RgbaPicture } from '../protocol.js';

/** RGBA pixels as a Picture for the page: an ImageBitmap made here, off the page's thread. */
export async function toPicture({ width, height, rgba }: RgbaPicture): Promise<Picture> {
  return { width, height, bitmap: await createImageBitmap(new ImageData(rgba, width, height)) };
}

function picture(raster: visualize.RasterImage): Promise<Picture> {
  return toPicture({ width: raster.width, height: raster.height, rgba: visualize.rasterToRgba(raster) as Uint8ClampedArray<ArrayBuffer> });
}

/** conv1's kernels, each enlarged `scale` times. */
export async function filtersPicture(model: nn.Module, scale = 5): Promise<FiltersPicture> {
  const { name, layer } = visualize.firstConv(model);
  const [count, inChannels, kh, kw] = layer.weight.shape;
  return { picture: await picture(visualize.filterGrid(layer.weight, { scale, gap: 2, background: 255 })), name, count, inChannels, kernel: [kh, kw] };
}

/** Each conv layer's output for `input` (one image), one picture per layer. */
export function featureMapPictures(model: nn.Module, input: Tensor): Promise<FeatureMapLayer[]> {
  return Promise.all(
    visualize.convFeatureMaps(model, input).map(async (layer) => ({
      name: layer.name,
      label: layer.label,
      shape: layer.shape,
      picture: await picture(visualize.featureMapGrid(layer, { gap: 2 })),
    })),
  );
}

/** The bitmaps of pictures, to move (not copy) them to the page. */
export function transferables(pictures: readonly Picture[]): ImageBitmap[] {
  return pictures.map((p) => p.bitmap);
}
