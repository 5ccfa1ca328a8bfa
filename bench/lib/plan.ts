/**
 * What `npm run bench` measures: the cases, which frameworks run each one,
 * and how many rounds and timed iterations each gets. Budgeted for about ten
 * minutes on a 2-core machine: the slow runners (this engine's js backend at
 * batch 32, TensorFlow.js's pure-JS cpu backend) get fewer runs or are skipped
 * with a note. 'native-bf16' is the native backend with `--precision bf16`
 * (inference only; CPUs without AVX512-BF16 report it as skipped).
 */

export type FrameworkId = 'native' | 'native-bf16' | 'js' | 'js-threads' | 'onnxruntime' | 'pytorch' | 'tfjs-wasm' | 'tfjs-cpu';

/** Threads of the 'js-threads' runs (the js backend with worker threads): the machine's 2 cores. */
export const JS_THREADS = 2;

export const FRAMEWORK_LABELS: Record<FrameworkId, string> = {
  native: 'alexnet-ts native',
  'native-bf16': 'alexnet-ts native, bf16',
  js: 'alexnet-ts js',
  'js-threads': `alexnet-ts js, ${JS_THREADS} threads`,
  onnxruntime: 'onnxruntime-node (CPU EP)',
  pytorch: 'PyTorch',
  'tfjs-wasm': 'TensorFlow.js wasm',
  'tfjs-cpu': 'TensorFlow.js cpu (pure JS)',
};

export interface RunPlan {
  /** Separate processes, interleaved with the other frameworks' of the same case. */
  rounds: number;
  warmup: number;
  /** Timed runs per process. */
  iters: number;
}

export interface BenchCase {
  id: string;
  title: string;
  model: 'alexnet' | 'alexnet-original';
  batch: number;
  inputSize: number;
  train: boolean;
  /** A plan per framework, or the reason it is left out. */
  runs: Partial<Record<FrameworkId, RunPlan | string>>;
}

const plan = (rounds: number, warmup: number, iters: number): RunPlan => ({ rounds, warmup, iters });

export const CASES: BenchCase[] = [
  {
    id: 'alexnet-b1',
    title: 'torchvision AlexNet, 224×224, inference, batch 1',
    model: 'alexnet',
    batch: 1,
    inputSize: 224,
    train: false,
    runs: {
      native: plan(3, 3, 15),
      'native-bf16': plan(3, 3, 15),
      js: plan(3, 2, 5),
      'js-threads': plan(3, 2, 5),
      onnxruntime: plan(3, 3, 15),
      pytorch: plan(3, 3, 15),
      'tfjs-wasm': plan(3, 2, 8),
      'tfjs-cpu': plan(3, 1, 3),
    },
  },
  {
    id: 'alexnet-b32',
    title: 'torchvision AlexNet, 224×224, inference, batch 32',
    model: 'alexnet',
    batch: 32,
    inputSize: 224,
    train: false,
    runs: {
      native: plan(3, 1, 3),
      'native-bf16': plan(3, 1, 3),
      js: plan(1, 1, 1),
      'js-threads': plan(1, 1, 2),
      onnxruntime: plan(3, 1, 3),
      pytorch: plan(3, 1, 3),
      'tfjs-wasm': plan(2, 1, 2),
      'tfjs-cpu': 'skipped at batch 32 (about 2 s per image: a minute per batch)',
    },
  },
  {
    id: 'alexnet-original-b32',
    title: "alexnet-original (the paper's, with LRN), 227×227, inference, batch 32",
    model: 'alexnet-original',
    batch: 32,
    inputSize: 227,
    train: false,
    runs: {
      native: plan(3, 1, 3),
      'native-bf16': plan(3, 1, 3),
      onnxruntime: plan(3, 1, 3),
      pytorch: plan(3, 1, 3),
      'tfjs-wasm': plan(2, 1, 2),
      js: 'skipped at batch 32 (its speed relative to the others is shown by the torchvision AlexNet cases)',
      'js-threads': 'skipped at batch 32, as js',
      'tfjs-cpu': 'skipped at batch 32 (a minute or more per batch)',
    },
  },
  {
    id: 'train-b32',
    title: 'torchvision AlexNet, 224×224, one training step (forward, cross-entropy, backward, SGD momentum 0.9), batch 32',
    model: 'alexnet',
    batch: 32,
    inputSize: 224,
    train: true,
    runs: {
      native: plan(3, 1, 3),
      pytorch: plan(3, 1, 3),
      'native-bf16': 'bf16 is for inference',
      js: 'skipped (one step at batch 32 takes about a minute)',
      'js-threads': 'skipped, as js (only its forward convolutions use threads)',
    },
  },
];

/** The per-layer table: this engine's backends at batch 1 (own processes, after the timed cases). */
export const LAYER_CASE = { model: 'alexnet' as const, batch: 1, inputSize: 224, warmup: 2, iters: 5 };
