/**
 * What the Node runners of other frameworks share: their command line (the
 * same flags as `alexnet bench`), the shared input batch, async timing, and
 * the one JSON line they print (the same record as `alexnet bench --json`).
 */
import { parseArgs } from 'node:util';
import { Tensor } from '../../src/tensor/tensor.js';
import { Generator } from '../../src/tensor/random.js';
import { median, peakRssMb } from '../../src/node/bench/stats.js';
import { loadNpyFile, saveNpyFile } from '../../src/node/weights/weight-files.js';

export interface RunnerArgs {
  model: string;
  batch: number;
  inputSize: number;
  iters: number;
  warmup: number;
  threads: number;
  backend?: string;
  /** The model file: .onnx for onnxruntime, .pth for TensorFlow.js. */
  weights?: string;
  inputFile?: string;
  saveOutput?: string;
}

const DEFAULT_SIZE: Record<string, number> = { alexnet: 224, 'alexnet-original': 227 };

export function parseRunnerArgs(argv: string[] = process.argv.slice(2)): RunnerArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'alexnet' },
      batch: { type: 'string', default: '1' },
      'input-size': { type: 'string' },
      iters: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      threads: { type: 'string', default: '2' },
      backend: { type: 'string' },
      weights: { type: 'string' },
      'input-file': { type: 'string' },
      'save-output': { type: 'string' },
    },
  });
  const int = (name: string, text: string | undefined, min: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} '${text}': expected an integer ≥ ${min}`);
    return v;
  };
  const model = values.model!;
  if (!(model in DEFAULT_SIZE)) throw new Error(`--model '${model}': expected one of ${Object.keys(DEFAULT_SIZE).join(', ')}`);
  return {
    model,
    batch: int('batch', values.batch, 1),
    inputSize: values['input-size'] === undefined ? DEFAULT_SIZE[model] : int('input-size', values['input-size'], 1),
    iters: int('iters', values.iters, 1),
    warmup: int('warmup', values.warmup, 0),
    threads: int('threads', values.threads, 1),
    backend: values.backend,
    weights: values.weights,
    inputFile: values['input-file'],
    saveOutput: values['save-output'],
  };
}

/** The --input-file batch, or a seeded N(0, 1) one. */
export async function loadInput(args: RunnerArgs): Promise<Tensor> {
  const shape = [args.batch, 3, args.inputSize, args.inputSize];
  if (args.inputFile === undefined) return Tensor.randn(shape, 0, 1, new Generator(0));
  const x = await loadNpyFile(args.inputFile);
  if (x.shape.join(',') !== shape.join(',')) throw new Error(`--input-file ${args.inputFile}: shape [${x.shape}], expected [${shape}]`);
  return x;
}

export async function saveOutput(args: RunnerArgs, data: Float32Array, shape: number[]): Promise<void> {
  if (args.saveOutput !== undefined) await saveNpyFile(args.saveOutput, new Tensor(data, shape));
}

/** Awaits `fn` warmup + iters times; returns the timed runs in ms. */
export async function timeAsyncRuns(fn: () => Promise<void>, warmup: number, iters: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/** Prints the record that bench/run.ts reads (the fields of `alexnet bench --json`). */
export function printResult(framework: string, backend: string, version: string, args: RunnerArgs, times: number[]): void {
  const ms = median(times);
  process.stdout.write(
    `${JSON.stringify({
      framework,
      model: args.model,
      mode: 'inference',
      batch: args.batch,
      input_size: args.inputSize,
      backend,
      images_per_s: (args.batch * 1000) / ms,
      ms_per_batch: ms,
      peak_rss_mb: peakRssMb(),
      warmup: args.warmup,
      iters: args.iters,
      times_ms: times,
      version,
    })}\n`,
  );
}

/** Runs a runner's main, turning an error into one line on stderr and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
