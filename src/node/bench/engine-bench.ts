/**
 * One benchmark case of this engine in this process: inference (eval mode,
 * under noGrad, so Conv/Linear+ReLU run fused) or one full training step
 * (forward, cross-entropy, backward, SGD with momentum), timed after a
 * warm-up. The harness (bench/run.ts) runs each case in its own process so
 * that the peak RSS it reports belongs to that case alone.
 */
import type { Precision } from '../../backend/precision.js';
import type { Backend } from '../../backend/backend.js';
import { noGrad } from '../../autograd/grad-mode.js';
import type { Module } from '../../nn/module.js';
import { SGD } from '../../optim/sgd.js';
import { Generator } from '../../tensor/random.js';
import { Tensor } from '../../tensor/tensor.js';
import { shapeToString } from '../../tensor/shape.js';
import { trainStep } from '../../train/train-step.js';
import { LayerTimer, type LayerTime } from './layer-timer.js';
import { median, peakRssMb, timeRuns } from './stats.js';

export interface EngineBenchConfig {
  model: Module;
  /** The registry name, for the report. */
  modelName: string;
  backend: Backend;
  batch: number;
  inputSize: number;
  inChannels: number;
  numClasses: number;
  /** The input batch; a seeded N(0, 1) batch when absent. */
  input?: Tensor;
  warmup: number;
  iters: number;
  /** One training step per run instead of inference. */
  train: boolean;
  /** Also time every layer's forward (inference only). */
  layers: boolean;
  /** Seeds the generated input and the training labels. */
  seed: number;
  /** SGD settings of the training step (torch.optim.SGD's meaning). */
  lr?: number;
  momentum?: number;
}

/** The one-line JSON record of `alexnet bench --json` (snake_case, as the harness and Python read it). */
export interface EngineBenchResult {
  framework: 'alexnet-ts';
  model: string;
  mode: 'inference' | 'train';
  batch: number;
  input_size: number;
  backend: string;
  /** Inference precision of the matrix products (fp32 for training). */
  precision: Precision;
  /** Threads of a multi-threaded js backend (absent: the backend's own setting). */
  threads?: number;
  images_per_s: number;
  ms_per_batch: number;
  peak_rss_mb: number;
  warmup: number;
  iters: number;
  /** Every timed run, in ms, so that a harness can pool runs of several processes. */
  times_ms: number[];
  layers?: LayerTime[];
}

export interface EngineBenchOutcome {
  result: EngineBenchResult;
  /** Logits of the last inference run (for cross-checking against other frameworks); null for training. */
  output: Tensor | null;
}

function threadsOf(backend: Backend): number | undefined {
  const threads = (backend as { threads?: unknown }).threads;
  return typeof threads === 'number' ? threads : undefined;
}

export function runEngineBench(config: EngineBenchConfig): EngineBenchOutcome {
  const { model, batch, inputSize, inChannels } = config;
  const shape = [batch, inChannels, inputSize, inputSize];
  const generator = new Generator(config.seed);
  const input = config.input ?? Tensor.randn(shape, 0, 1, generator);
  if (input.shape.length !== 4 || input.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`bench: the input is ${shapeToString(input.shape)}, expected ${shapeToString(shape)} (--batch, --input-size)`);
  }

  let output: Tensor | null = null;
  let layers: LayerTime[] | undefined;
  let times: number[];
  if (config.train) {
    if (config.layers) throw new Error('bench: per-layer times are measured for inference only (drop --layers or --train)');
    model.train();
    const optimizer = new SGD(model.parameters(), { lr: config.lr ?? 0.01, momentum: config.momentum ?? 0.9 });
    const labels = Int32Array.from({ length: batch }, () => generator.int(config.numClasses));
    let step = 0;
    times = timeRuns(() => {
      step++;
      trainStep(model, optimizer, input, labels, step);
    }, config);
  } else {
    model.eval();
    const timer = config.layers ? new LayerTimer(model) : null;
    let warm = 0;
    try {
      times = timeRuns(() => {
        output = noGrad(() => model.call(input));
        if (timer !== null) {
          timer.endRun();
          // Keep only the timed runs' samples.
          if (++warm === config.warmup) timer.reset();
        }
      }, config);
      layers = timer?.results();
    } finally {
      timer?.restore();
    }
  }

  const ms = median(times);
  const result: EngineBenchResult = {
    framework: 'alexnet-ts',
    model: config.modelName,
    mode: config.train ? 'train' : 'inference',
    batch,
    input_size: inputSize,
    backend: config.backend.name,
    precision: config.train ? 'fp32' : config.model.precision,
    ...(threadsOf(config.backend) === undefined ? {} : { threads: threadsOf(config.backend) }),
    images_per_s: (batch * 1000) / ms,
    ms_per_batch: ms,
    peak_rss_mb: peakRssMb(),
    warmup: config.warmup,
    iters: config.iters,
    times_ms: times,
    ...(layers === undefined ? {} : { layers }),
  };
  return { result, output };
}
