/**
 * `alexnet eval`: top-1 and top-5 error of a model's weights on the
 * validation split of a data set (Fashion-MNIST's test set, or DIR/val),
 * printed as the article's model table, or as JSON.
 */
import { Option, type Command } from 'commander';
import { DataLoader } from '../../data/data-loader.js';
import { evaluate } from '../../../train/evaluate.js';
import { checkRunDataExists, isFashionMnist, openRunData } from '../../train/datasets.js';
import { modelInputChannels } from '../../../models/input-channels.js';
import { createProgress } from '../../train/progress.js';
import { defaultImageSize } from './train.js';
import { runAction } from '../run-action.js';
import { modelOption, numClassesOption, parseNonNegativeInt, parsePositiveInt, precisionOption, resolveModel } from '../options.js';
import { resolve } from 'node:path';
import { OnnxModel } from '../../../onnx/index.js';
import { checkInputSize } from '../../../models/registry.js';

interface EvalFlags {
  model: string;
  weights: string;
  numClasses?: string;
  dataset: string;
  data?: string;
  imageSize?: string;
  batchSize: string;
  workers: string;
  precision: string;
  json?: boolean;
}

export interface EvalReport {
  model: string;
  weights: string;
  dataset: string;
  images: number;
  image_size: number;
  precision: string;
  parameters: number;
  /** The classes of the model's logits. */
  classes: number;
  loss: number;
  top1_error: number;
  /** null for a model of fewer than 5 classes: top-5 error is not defined there. */
  top5_error: number | null;
}

function percentCell(fraction: number): string {
  return `${(100 * fraction).toFixed(2)}%`;
}

/** The article's model table: model, parameters, top-1 and top-5 error. */
export function formatEvalTable(r: EvalReport): string {
  const top5 = r.top5_error === null ? `n/a (${r.classes} classes)` : percentCell(r.top5_error);
  const rows = [
    ['Model', 'Parameters', 'Top-1 error', 'Top-5 error'],
    [r.model, r.parameters.toLocaleString('en-US'), percentCell(r.top1_error), top5],
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]): string => `| ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]), rule, line(rows[1])].join('\n');
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('top-1 and top-5 error of weights on a validation set (Fashion-MNIST test split or DIR/val)')
    .addOption(modelOption())
    .requiredOption(
      '--weights <weights>',
      "a weights file (.pth state dict or training checkpoint, .safetensors), DEFAULT for torchvision's ImageNet weights, or an ONNX model (.onnx)",
    )
    .addOption(numClassesOption())
    .addOption(precisionOption())
    .requiredOption('--dataset <name>', 'fashion-mnist, fashion-mnist-subset, or DIR with DIR/val/<class>/')
    .option('--data <path>', 'directory holding the Fashion-MNIST files')
    .option('--image-size <s>', 'input side in pixels (default: as in training)')
    .addOption(new Option('--batch-size <b>', 'images per forward pass').default('128'))
    .addOption(new Option('--workers <n>', 'worker threads preparing batches').default('0'))
    .option('--json', 'print the result as JSON')
    .action(
      runAction(async (flags: EvalFlags) => {
        // Every flag is checked before the weights are read, which may take seconds.
        const requestedSize = flags.imageSize === undefined ? undefined : parsePositiveInt(flags.imageSize, '--image-size');
        const batchSize = parsePositiveInt(flags.batchSize, '--batch-size');
        const numWorkers = parseNonNegativeInt(flags.workers, '--workers');
        const dataset = isFashionMnist(flags.dataset) ? flags.dataset : resolve(flags.dataset);
        await checkRunDataExists(dataset, { dataDir: flags.data, valOnly: true });
        const { entry, model, numClasses, outputsProbabilities, trainedImageSize, fixedBatch } = await resolveModel({
          model: flags.model,
          weights: flags.weights,
          numClasses: flags.numClasses,
          precision: flags.precision,
        });
        // As in training: the size a checkpoint of `alexnet train` records, an ONNX graph's fixed input, else the default.
        const imageSize = requestedSize ?? trainedImageSize ?? (model instanceof OnnxModel ? entry.inputSize : defaultImageSize(entry, dataset));
        checkInputSize(entry, imageSize, '--image-size');
        const inChannels = modelInputChannels(model) ?? 3;
        const channelsFrom = `--weights ${flags.weights} take ${inChannels}-channel input`;
        const data = await openRunData({ dataset, imageSize, inChannels, dataDir: flags.data, valOnly: true, channelsFrom });
        if (numClasses < data.classes.length)
          throw new Error(`--weights ${flags.weights} have ${numClasses} classes, fewer than the ${data.classes.length} of ${flags.dataset}`);
        const loader = new DataLoader(data.val, { batchSize, numWorkers });
        const progress = createProgress(flags.json ? 'none' : 'auto');
        progress.start('eval', data.val.length, 0, false);
        const t0 = performance.now();
        const result = await evaluate(model, loader, {
          outputsProbabilities,
          fixedBatch,
          onBatch: (done) => progress.update(done, { imagesPerSecond: done / ((performance.now() - t0) / 1000) }),
        });
        progress.stop();
        await loader.close();
        const report: EvalReport = {
          model: entry.name,
          weights: flags.weights,
          dataset: flags.dataset,
          images: result.samples,
          image_size: imageSize,
          precision: model.precision,
          parameters: model.numParameters(),
          classes: result.classes,
          loss: result.loss,
          top1_error: result.top1Error,
          top5_error: result.top5Error,
        };
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          process.stdout.write(
            `${data.description}; ${imageSize}×${imageSize} px; ${model.precision}; mean loss ${result.loss.toFixed(4)}\n\n${formatEvalTable(report)}\n`,
          );
        }
      }),
    );
}
