/**
 * `alexnet train`: trains a model of the registry on Fashion-MNIST (full or
 * the embedded subset) or an image folder with SGD, evaluating after every
 * epoch, writing RUN_DIR/metrics.jsonl and an atomic checkpoint per epoch.
 * Ctrl-C saves a checkpoint and exits with status 130; --resume continues.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { checkInputSize, type ModelEntry } from '../../../models/registry.js';
import type { TrainConfig, ScheduleName } from '../../train/config.js';
import { classCount, isFashionMnist, nativeChannels } from '../../train/datasets.js';
import { watchSigint } from '../../train/interrupt.js';
import { runTraining, type TrainHooks, type TrainResult } from '../../train/trainer.js';
import { runAction } from '../run-action.js';
import { modelOption, parseModel, parseNonNegativeInt, parsePositiveInt } from '../options.js';

interface TrainFlags {
  model: string;
  inChannels?: string;
  numClasses?: string;
  dataset: string;
  data?: string;
  imageSize?: string;
  epochs: string;
  batchSize: string;
  lr: string;
  momentum: string;
  weightDecay: string;
  nesterov?: boolean;
  schedule: string;
  stepSize: string;
  gamma: string;
  factor: string;
  patience: string;
  cooldown: string;
  minLr: string;
  init: string;
  seed: string;
  out: string;
  resume?: boolean;
  maxSteps?: string;
  checkpointEvery?: string;
  workers: string;
}

/** A finite number >= 0 (learning rates, decay factors). */
export function parseNonNegativeNumber(text: string, flag: string): number {
  const value = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || value < 0) throw new Error(`${flag} '${text}': expected a number >= 0`);
  return value;
}

/** The input side a data set is fed at unless --image-size says otherwise. */
export function defaultImageSize(entry: ModelEntry, dataset: string): number {
  // Fashion-MNIST is upscaled only as far as the model needs (64 for torchvision's AlexNet, fast to train).
  return isFashionMnist(dataset) ? Math.max(64, entry.minInputSize) : entry.inputSize;
}

/** Runs a training session with Ctrl-C handling; sets exit status 130 when interrupted. */
export async function executeTraining(config: TrainConfig, outDir: string, resume: boolean, hooks: TrainHooks = {}): Promise<TrainResult> {
  const interrupt = watchSigint();
  try {
    const result = await runTraining(config, outDir, resume, { signal: interrupt.signal, ...hooks });
    if (result.status === 'interrupted') process.exitCode = 130;
    else if (result.metrics !== null) {
      process.stdout.write(`run folder ${result.paths.dir}: metrics.jsonl, checkpoint.pth, conv1-filters.png\n`);
    }
    return result;
  } finally {
    interrupt.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train with SGD, evaluating top-1/top-5 error every epoch; checkpoints, metrics.jsonl, --resume')
    .addOption(modelOption())
    .option('--in-channels <c>', 'input channels (default: 1 for Fashion-MNIST, 3 for image folders)')
    .option('--num-classes <k>', "output classes (default: the data set's)")
    .requiredOption('--dataset <name>', 'fashion-mnist, fashion-mnist-subset (embedded, offline) or DIR with DIR/train/<class>/ and DIR/val/<class>/')
    .option('--data <path>', 'directory holding the Fashion-MNIST files (default: $ALEXNET_DATA, /usr/share/datasets/fashion-mnist, cache, download)')
    .option('--image-size <s>', "input side in pixels (default: 64 for Fashion-MNIST with alexnet, else the model's input size)")
    .addOption(new Option('--epochs <e>', 'epochs to reach').default('2'))
    .addOption(new Option('--batch-size <b>', 'images per step').default('128'))
    .addOption(new Option('--lr <lr>', 'learning rate').default('0.01'))
    .addOption(new Option('--momentum <m>', 'SGD momentum').default('0.9'))
    .addOption(new Option('--weight-decay <wd>', 'L2 weight decay').default('0.0005'))
    .option('--nesterov', 'Nesterov momentum')
    .addOption(
      new Option('--schedule <kind>', 'learning-rate schedule: none, step (StepLR) or plateau (ReduceLROnPlateau on the validation top-1 error)')
        .choices(['none', 'step', 'plateau'])
        .default('none'),
    )
    .addOption(new Option('--step-size <n>', 'step: epochs between decays').default('30'))
    .addOption(new Option('--gamma <g>', 'step: decay factor').default('0.1'))
    .addOption(new Option('--factor <f>', 'plateau: decay factor (the paper divides by 10)').default('0.1'))
    .addOption(new Option('--patience <n>', 'plateau: epochs without improvement before decaying').default('2'))
    .addOption(new Option('--cooldown <n>', 'plateau: epochs to wait after a decay').default('0'))
    .addOption(new Option('--min-lr <lr>', 'plateau: lowest learning rate').default('0'))
    .addOption(
      new Option(
        '--init <scheme>',
        "alexnet-original*: article (its _init_weights: conv layers as the paper, Linear at PyTorch's default) or paper (Section 5 for every layer)",
      )
        .choices(['article', 'paper'])
        .default('article'),
    )
    .addOption(new Option('--seed <s>', 'seed for initialization, data order and dropout').default('0'))
    .requiredOption('--out <dir>', 'run folder (metrics.jsonl, checkpoint.pth, conv1-filters.png)')
    .option('--resume', 'continue the run in --out (same settings; --epochs and --max-steps may grow)')
    .option('--max-steps <n>', 'stop after this many steps in total (evaluates and checkpoints there)')
    .option('--checkpoint-every <n>', 'also write the checkpoint every n steps (default: at the end of each epoch only)')
    .addOption(new Option('--workers <n>', 'worker threads preparing batches').default('0'))
    .action(
      runAction(async (flags: TrainFlags) => {
        const entry = parseModel(flags.model);
        const dataset = isFashionMnist(flags.dataset) ? flags.dataset : resolve(flags.dataset);
        const imageSize = flags.imageSize === undefined ? defaultImageSize(entry, dataset) : parsePositiveInt(flags.imageSize, '--image-size');
        checkInputSize(entry, imageSize, '--image-size');
        if (flags.init === 'paper' && !entry.name.startsWith('alexnet-original'))
          throw new Error(`--init paper applies to the alexnet-original models; ${entry.name} keeps torchvision's initialization`);
        const config: TrainConfig = {
          model: entry.name,
          inChannels: flags.inChannels === undefined ? nativeChannels(dataset) : parsePositiveInt(flags.inChannels, '--in-channels'),
          numClasses: flags.numClasses === undefined ? await classCount(dataset) : parsePositiveInt(flags.numClasses, '--num-classes'),
          dataset,
          imageSize,
          batchSize: parsePositiveInt(flags.batchSize, '--batch-size'),
          lr: parseNonNegativeNumber(flags.lr, '--lr'),
          momentum: parseNonNegativeNumber(flags.momentum, '--momentum'),
          weightDecay: parseNonNegativeNumber(flags.weightDecay, '--weight-decay'),
          dampening: 0,
          nesterov: flags.nesterov ?? false,
          schedule: flags.schedule as ScheduleName,
          stepSize: parsePositiveInt(flags.stepSize, '--step-size'),
          gamma: parseNonNegativeNumber(flags.gamma, '--gamma'),
          factor: parseNonNegativeNumber(flags.factor, '--factor'),
          patience: parseNonNegativeInt(flags.patience, '--patience'),
          threshold: 1e-4,
          cooldown: parseNonNegativeInt(flags.cooldown, '--cooldown'),
          minLr: parseNonNegativeNumber(flags.minLr, '--min-lr'),
          seed: parseNonNegativeInt(flags.seed, '--seed'),
          epochs: parsePositiveInt(flags.epochs, '--epochs'),
          maxSteps: flags.maxSteps === undefined ? null : parsePositiveInt(flags.maxSteps, '--max-steps'),
          checkpointEvery: flags.checkpointEvery === undefined ? null : parsePositiveInt(flags.checkpointEvery, '--checkpoint-every'),
          // Absent for the article's init, so runs from before the option resume as the same run.
          ...(flags.init === 'paper' ? { init: 'paper' as const } : {}),
        };
        await executeTraining(config, resolve(flags.out), flags.resume ?? false, {
          dataDir: flags.data,
          workers: parseNonNegativeInt(flags.workers, '--workers'),
        });
      }),
    );
}
