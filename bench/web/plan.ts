/**
 * What `npm run bench:web` runs: the frameworks and thread counts in the
 * browser, the batch sizes and how many runs of each, the Node.js comparison
 * of the wasm and js backends, and the command line.
 */
import { parseArgs } from 'node:util';
import type { WebFrameworkId } from './browser/protocol.js';

/** One browser job of a round: a framework at a thread count, on an isolated page or not. */
export interface WebRun {
  framework: WebFrameworkId;
  threads: number;
  /** Served with COOP/COEP (cross-origin isolated): the threaded builds can run. */
  isolated: boolean;
}

export interface WebCase {
  batch: number;
  title: string;
  /** Untimed, then timed, runs per worker (one worker per framework and thread count per round). */
  warmup: number;
  iters: number;
}

export const WEB_FRAMEWORKS: readonly WebFrameworkId[] = ['alexnet-ts', 'tfjs', 'ort'];

export const WEB_FRAMEWORK_LABELS: Readonly<Record<WebFrameworkId, string>> = {
  'alexnet-ts': 'alexnet-ts wasm',
  tfjs: 'TensorFlow.js wasm',
  ort: 'onnxruntime-web (wasm EP)',
};

export const WEB_CASES: readonly WebCase[] = [
  { batch: 1, title: 'torchvision AlexNet, 224×224, batch 1', warmup: 3, iters: 10 },
  { batch: 8, title: 'torchvision AlexNet, 224×224, batch 8', warmup: 2, iters: 4 },
];

/** The Node.js comparison: `alexnet --backend wasm|js bench --batch 1`, runs per process. */
export const NODE_BATCH = 1;
export const NODE_PLANS: Readonly<Record<'wasm' | 'js', { warmup: number; iters: number }>> = {
  wasm: { warmup: 2, iters: 10 },
  js: { warmup: 1, iters: 3 },
};

export const DEFAULT_ROUNDS = 3;

/** --quick: one round, one warm-up and two timed runs per case. */
export function quickCase(c: WebCase): WebCase {
  return { ...c, warmup: Math.min(c.warmup, 1), iters: Math.min(c.iters, 2) };
}

/**
 * Every framework single-threaded on a page without COOP/COEP, then at
 * `cores` threads on an isolated page (the threaded builds need
 * SharedArrayBuffer); only the first where there is one core.
 */
export function webRuns(cores: number): WebRun[] {
  const runs: WebRun[] = [];
  for (const threads of cores > 1 ? [1, cores] : [1]) {
    for (const framework of WEB_FRAMEWORKS) runs.push({ framework, threads, isolated: threads > 1 });
  }
  return runs;
}

/** `items` rotated by `round`, so that no framework is always the one run right after the same other one. */
export function rotate<T>(items: readonly T[], round: number): T[] {
  if (items.length === 0) return [];
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export interface WebBenchOptions {
  rounds: number;
  quick: boolean;
  /** RESULTS.md to write the subsection into, or null ('-': print only). */
  output: string | null;
  /** Skip the Node.js wasm-vs-js comparison. */
  skipNode: boolean;
}

export function parseWebOptions(argv: readonly string[], defaultOutput: string): WebBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      output: { type: 'string', default: defaultOutput },
      'skip-node': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const quick = values.quick!;
  let rounds = quick ? 1 : DEFAULT_ROUNDS;
  if (values.rounds !== undefined) {
    rounds = Number(values.rounds);
    if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds '${values.rounds}': expected an integer ≥ 1`);
  }
  return { rounds, quick, output: values.output === '-' ? null : values.output!, skipNode: values['skip-node']! };
}
