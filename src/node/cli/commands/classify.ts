/**
 * `alexnet classify`: top-k classes of image files, with the ImageNet
 * evaluation preprocessing (Resize(256), CenterCrop to the model's input
 * size, ToTensor, Normalize) and a softmax over the model's output.
 */
import { Option, type Command } from 'commander';
import { noGradAsync } from '../../../autograd/grad-mode.js';
import { imagenetEvalTransform } from '../../../image/imagenet.js';
import { IMAGENET_CLASSES } from '../../../models/imagenet-classes.js';
import { softmax } from '../../../ops/softmax.js';
import { Tensor } from '../../../tensor/tensor.js';
import { readImage } from '../../image/decode.js';
import { runAction } from '../run-action.js';
import { modelOption, parsePositiveInt, precisionOption, resolveModel, weightsOption, type ModelFlags } from '../options.js';

interface ClassifyFlags extends ModelFlags {
  model: string;
  topk: string;
  json?: boolean;
}

export interface Prediction {
  index: number;
  /** ImageNet class name when the model has ImageNet's 1000 classes, else null. */
  label: string | null;
  prob: number;
}

export interface ImageResult {
  file: string;
  top: Prediction[];
}

/** Images per forward pass: large enough to batch the kernels, small enough for memory. */
const BATCH = 8;

/** The k most probable classes of one row, most probable first (ties: lower index first). */
export function topK(probs: Float32Array, k: number, labels: readonly string[] | null): Prediction[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, k).map((index) => ({ index, label: labels?.[index] ?? null, prob: probs[index] }));
}

function formatTable(results: readonly ImageResult[]): string {
  const blocks = results.map(({ file, top }) => {
    const rows = top.map((p, rank) =>
      `  ${String(rank + 1).padStart(2)}. ${`${(p.prob * 100).toFixed(2)}%`.padStart(7)}  ${String(p.index).padStart(4)}  ${p.label ?? ''}`.trimEnd(),
    );
    return [file, ...rows].join('\n');
  });
  return blocks.join('\n\n');
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('top-k ImageNet classes of images (Resize 256, CenterCrop, Normalize; softmax)')
    .argument('<images...>', 'image files (JPEG, PNG, WebP)')
    .addOption(modelOption())
    .addOption(weightsOption())
    .addOption(precisionOption())
    .addOption(new Option('--topk <k>', 'how many classes to show per image').default('5'))
    .option('--json', 'print [{"file", "top": [{"index", "label", "prob"}]}] as JSON')
    .action(
      runAction(async (files: string[], flags: ClassifyFlags) => {
        const k = parsePositiveInt(flags.topk, '--topk');
        const { entry, model, numClasses, randomInit, outputsProbabilities, fixedBatch } = await resolveModel({
          model: flags.model,
          weights: flags.weights,
          precision: flags.precision,
        });
        const crop = entry.inputSize;
        const labels = numClasses === IMAGENET_CLASSES.length ? IMAGENET_CLASSES : null;
        // A graph that fixes its batch (the BVLC AlexNet: 1) gets batches of exactly that size.
        const batchSize = fixedBatch ?? BATCH;
        // Results are printed only once every image went through, so a bad file fails the whole command with no output.
        const results: ImageResult[] = [];
        for (let start = 0; start < files.length; start += batchSize) {
          const batchFiles = files.slice(start, start + batchSize);
          const rows = fixedBatch ?? batchFiles.length;
          const data = new Float32Array(rows * 3 * crop * crop);
          for (const [i, file] of batchFiles.entries()) {
            data.set(imagenetEvalTransform(await readImage(file), { resize: 256, crop }).data, i * 3 * crop * crop);
          }
          // Warned once the first images decoded: a file that is not an image fails with that one line alone.
          if (randomInit && start === 0)
            process.stderr.write('alexnet: warning: no --weights given: the model has random weights, so the classes are meaningless\n');
          const x = new Tensor(data, [rows, 3, crop, crop]);
          const probs = await noGradAsync(async () => {
            const y = await model.callAsync(x);
            return outputsProbabilities ? y : softmax(y, 1);
          });
          batchFiles.forEach((file, i) => {
            const row = probs.data.subarray(i * numClasses, (i + 1) * numClasses);
            results.push({ file, top: topK(row, Math.min(k, numClasses), labels) });
          });
        }
        process.stdout.write(flags.json ? `${JSON.stringify(results, null, 2)}\n` : `${formatTable(results)}\n`);
      }),
    );
}
