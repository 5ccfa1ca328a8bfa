/**
 * `npm start`: alexnet-ts end to end, offline, in about two minutes.
 *
 * Trains torchvision's AlexNet (1 input channel, 10 classes, 64×64 input) on
 * the Fashion-MNIST subset embedded in the repository for a few hundred SGD
 * steps, evaluates it (top-1/top-5 error), saves a checkpoint, classifies a
 * few test images, and draws the learned conv1 kernels (the paper's
 * Figure 3). Everything goes to .runs/demo-<time>/.
 *
 * Options: --steps N, --batch-size B, --backend native|js, --out DIR, --seed S.
 * On the portable js backend (no native addon) it trains far fewer steps on
 * fewer validation images, so that it still finishes in minutes.
 */
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import type { Dataset } from '../src/data/dataset.js';
import { createModel } from '../src/models/registry.js';
import { softmax } from '../src/ops/softmax.js';
import { parseBackendName, selectBackend } from '../src/node/backend.js';
import { executeTraining } from '../src/node/cli/commands/train.js';
import type { TrainConfig } from '../src/node/train/config.js';
import { openRunData } from '../src/node/train/datasets.js';
import { formatSummary } from '../src/summary/format.js';
import { summary } from '../src/summary/summary.js';
import { Generator } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { logitsNoGrad } from '../src/train/evaluate.js';

const IMAGE_SIZE = 64;
/** Twice the paper's 0.01: a short run on 6,000 images gets past the initial plateau sooner (0.05 diverges). */
const LR = 0.02;

/** The first `count` samples of a data set (the subset's test split interleaves the classes). */
function firstSamples(dataset: Dataset, count: number): Dataset {
  return { length: Math.min(count, dataset.length), get: (i, rng) => dataset.get(i, rng) };
}

function integerFlag(text: string | undefined, flag: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${flag} '${text}': expected an integer >= ${min}`);
  return n;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      'batch-size': { type: 'string' },
      backend: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const backend = selectBackend(values.backend === undefined ? undefined : parseBackendName(values.backend));
  const fast = backend.name !== 'js';
  const steps = integerFlag(values.steps, '--steps', fast ? 250 : 6, 1);
  const batchSize = integerFlag(values['batch-size'], '--batch-size', fast ? 32 : 16, 1);
  const valImages = fast ? 1000 : 100;
  const outDir = values.out ?? join('.runs', `demo-${timestamp()}`);

  const say = (line = ''): void => void process.stdout.write(`${line}\n`);
  say(`alexnet-ts demo: torchvision's AlexNet, 1 input channel, 10 classes, ${IMAGE_SIZE}×${IMAGE_SIZE} input, on the embedded Fashion-MNIST subset`);
  say(`backend: ${backend.name}${fast ? '' : ' (the native addon is not available: a short run; build it for the full demo)'}`);
  say();
  say(formatSummary(summary(createModel('alexnet', { inChannels: 1, numClasses: 10 }), [1, 1, IMAGE_SIZE, IMAGE_SIZE])));
  say();

  const data = await openRunData({ dataset: 'fashion-mnist-subset', imageSize: IMAGE_SIZE, inChannels: 1 });
  const config: TrainConfig = {
    model: 'alexnet',
    inChannels: 1,
    numClasses: 10,
    dataset: 'fashion-mnist-subset',
    imageSize: IMAGE_SIZE,
    batchSize,
    lr: LR,
    momentum: 0.9,
    weightDecay: 5e-4,
    dampening: 0,
    nesterov: false,
    schedule: 'none',
    stepSize: 30,
    gamma: 0.1,
    factor: 0.1,
    patience: 2,
    threshold: 1e-4,
    cooldown: 0,
    minLr: 0,
    seed: integerFlag(values.seed, '--seed', 0, 0),
    epochs: Math.ceil(steps / Math.ceil(data.train.length / batchSize)),
    maxSteps: steps,
  };
  say(`training ${steps} steps of ${batchSize} images (SGD lr ${LR}, momentum 0.9, weight decay 5e-4); Ctrl-C stops with a checkpoint`);
  const result = await executeTraining(config, outDir, false, {
    data: {
      ...data,
      val: firstSamples(data.val, valImages),
      description: `${data.train.length} training images, ${Math.min(valImages, data.val.length)} test images of the embedded subset`,
    },
  });
  if (result.status === 'interrupted') return;

  say();
  say('a few test images, true class vs prediction:');
  const model = result.model.eval();
  const shown = 8;
  const images = new Float32Array(shown * IMAGE_SIZE * IMAGE_SIZE);
  const labels: number[] = [];
  for (let i = 0; i < shown; i++) {
    const sample = await data.val.get(i, new Generator(0));
    images.set(sample.image.data, i * IMAGE_SIZE * IMAGE_SIZE);
    labels.push(sample.label);
  }
  const probs = softmax(logitsNoGrad(model, new Tensor(images, [shown, 1, IMAGE_SIZE, IMAGE_SIZE])), 1);
  let right = 0;
  for (let i = 0; i < shown; i++) {
    const row = probs.data.subarray(i * 10, (i + 1) * 10);
    const predicted = row.indexOf(Math.max(...row));
    if (predicted === labels[i]) right += 1;
    say(
      `  test image ${String(i).padStart(2)}: ${data.classes[labels[i]].padEnd(12)} → ${data.classes[predicted].padEnd(12)} ${(100 * row[predicted]).toFixed(1).padStart(5)}%  ${predicted === labels[i] ? 'right' : 'wrong'}`,
    );
  }
  say(`  ${right} of ${shown} right`);

  const m = result.metrics;
  const dir = relative(process.cwd(), result.paths.dir) || '.';
  say();
  if (m !== null)
    say(
      `after ${m.step} steps: top-1 error ${(100 * m.val_top1_error).toFixed(1)}%, top-5 error ${m.val_top5_error === null ? 'n/a' : `${(100 * m.val_top5_error).toFixed(1)}%`} on ${Math.min(valImages, data.val.length)} test images; ${m.images_per_s?.toFixed(1) ?? '-'} training images/s`,
    );
  say(`outputs in ${dir}/:`);
  say(`  checkpoint.pth       weights, optimizer and RNG state (torch.load reads it; ['model'] is the state dict)`);
  say(`  metrics.jsonl        loss, top-1/top-5 error, images/s, lr per evaluation`);
  say(`  conv1-filters.png    the 64 learned conv1 kernels (the paper's Figure 3)`);
  say(`next: alexnet eval --weights ${dir}/checkpoint.pth --dataset fashion-mnist-subset`);
  say(
    `      alexnet train --dataset fashion-mnist-subset --batch-size ${batchSize} --lr ${LR} --seed ${config.seed} --out ${dir} --resume --max-steps ${steps * 2}`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
