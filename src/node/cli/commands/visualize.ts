/**
 * `alexnet visualize`: what the network learned, as PNGs in --output:
 * conv1-filters.png (the first convolution's kernels, the paper's Figure 3)
 * and, for an image, feature-maps-<layer>.png for each conv layer (its
 * output after the ReLU, each map on its own gray scale). The pictures come
 * from the core (src/visualize/), which the browser demo draws as well;
 * only the PNG encoding is here.
 */
import { stat } from 'node:fs/promises';
import { makeDirectories } from '../../fs/make-directories.js';
import { dirname, join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { imagenetEvalTransform } from '../../../image/imagenet.js';
import { Tensor } from '../../../tensor/tensor.js';
import type { RasterImage } from '../../../train/filter-grid.js';
import { convFeatureMapsAsync, type FeatureMaps, featureMapGrid, filterGrid, firstConv } from '../../../visualize/index.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { assertTakesRgb } from '../../classify/image-classifier.js';
import { readImage } from '../../image/decode.js';
import { runAction } from '../run-action.js';
import { modelOption, parsePositiveInt, precisionOption, resolveModel, weightsOption, type ModelFlags } from '../options.js';
import sharp from 'sharp';

interface VisualizeFlags extends ModelFlags {
  model: string;
  output: string;
  maxMaps?: string;
}

/** torchvision's eval transform resizes the short side to 256 before the center crop, as classify does. */
const RESIZE = 256;

const RANDOM_WEIGHTS_WARNING = 'alexnet: warning: no --weights given: the model has random weights, so the pictures show noise\n';

export function register(program: Command): void {
  program
    .command('visualize')
    .description("conv1's kernels (the paper's Figure 3) and, for an image, each conv layer's feature maps, as PNGs")
    .argument('[image]', "an image (JPEG, PNG, WebP): also write each conv layer's feature maps for it (ImageNet eval transform first)")
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(precisionOption())
    .addOption(new Option('--output <dir>', 'folder for the PNGs (created if missing)').makeOptionMandatory())
    .addOption(new Option('--max-maps <n>', 'draw at most n feature maps per layer (default: all)'))
    .action(
      runAction(async (image: string | undefined, flags: VisualizeFlags) => {
        // Every argument is checked before the model loads (a --weights DEFAULT download takes a while).
        const maxMaps = flags.maxMaps === undefined ? undefined : parsePositiveInt(flags.maxMaps, '--max-maps');
        await assertNotAFile(flags.output);
        const picture = image === undefined ? null : await readImage(image);
        const resolved = await resolveModel({ model: flags.model, weights: flags.weights, precision: flags.precision });
        if (resolved.randomInit) process.stderr.write(RANDOM_WEIGHTS_WARNING);
        const { model, entry } = resolved;
        const conv1 = firstConv(model);
        const pictures: Array<{ file: string; what: string; raster: RasterImage }> = [
          { file: 'conv1-filters.png', what: `conv1 kernels, ${conv1.layer.weight.shape.join('×')}`, raster: filterGrid(conv1.layer.weight) },
        ];
        if (picture !== null) {
          assertTakesRgb(model, 'drawing the feature maps of a picture', 'Without an image, visualize draws its conv1 filters');
          const x = imagenetEvalTransform(picture, { resize: RESIZE, crop: entry.inputSize });
          let layers: FeatureMaps[];
          try {
            layers = await convFeatureMapsAsync(model, new Tensor(x.data, [1, ...x.shape]));
          } catch (error) {
            throw new Error(`${image}: ${(error as Error).message}`, { cause: error });
          }
          for (const layer of layers) {
            pictures.push({
              file: `feature-maps-${fileSafe(layer.name)}.png`,
              what: `${layer.label}, ${layer.shape.join('×')}`,
              raster: featureMapGrid(layer, { maxMaps }),
            });
          }
        }
        await makeDirectories(flags.output);
        for (const { file, what, raster } of pictures) {
          const path = join(flags.output, file);
          await writePng(path, raster);
          process.stdout.write(`wrote ${path} (${what}; ${raster.width}×${raster.height})\n`);
        }
      }),
    );
}

/** A layer path as a file name: an ONNX graph's node names may hold '/' or ':'. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Fails before any work (the weights, the forward pass) when --output cannot
 * be a folder: it, or the first of its ancestors that exists, is a file.
 * Other failures (permissions) are left to makeDirectories, which names them.
 */
async function assertNotAFile(dir: string): Promise<void> {
  const target = resolve(dir);
  for (let current = target; ; current = dirname(current)) {
    const info = await stat(current).catch(() => null);
    if (info !== null) {
      if (info.isDirectory()) return;
      if (current === target) throw new Error(`--output ${dir} is a file, expected a folder`);
      throw new Error(`--output ${dir}: ${current} is a file, expected a folder`);
    }
    if (dirname(current) === current) return;
  }
}

async function writePng(path: string, raster: RasterImage): Promise<void> {
  const { width, height, channels, pixels } = raster;
  const image = sharp(pixels, { raw: { width, height, channels } });
  // Gray stays one channel (libvips would otherwise write RGB): a third of the bytes, and readers see it is gray.
  const png = await (channels === 1 ? image.toColourspace('b-w') : image).png().toBuffer();
  await writeFileAtomic(path, [png]);
}
