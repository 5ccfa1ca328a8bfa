/**
 * TensorFlow.js 4.22 on its 'wasm' backend (@tensorflow/tfjs-backend-wasm,
 * the .wasm binaries ship in the package) or its pure-JavaScript 'cpu'
 * backend. AlexNet is written with tf ops in TensorFlow's NHWC layout, with
 * the .pth weights converted once before timing, as a model converter would:
 * conv kernels OIHW → HWIO, Linear weights [out, in] → [in, out], and the
 * first Linear's input axis reordered from PyTorch's C·H·W flatten order to
 * NHWC's H·W·C. LRN maps onto tf's with alpha/size (tf does not divide by the size).
 *   node --import tsx bench/runners/tfjs.ts --backend wasm --weights bench/out/alexnet.pth ...
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { Tensor } from '../../src/tensor/tensor.js';
import { readStateDictFile } from '../../src/node/weights/weight-files.js';
import { loadInput, parseRunnerArgs, printResult, runMain, saveOutput, timeAsyncRuns } from './common.js';

type Weights = Map<string, tf.Tensor>;

/** One layer of the network; the key prefix names its tensors in the state dict. */
type Layer =
  | { kind: 'conv'; key: string; stride: number; pad: number }
  | { kind: 'lrn' }
  | { kind: 'maxpool' }
  | { kind: 'linear'; key: string; relu: boolean };

const ARCHITECTURES: Record<string, Layer[]> = {
  alexnet: [
    { kind: 'conv', key: 'features.0', stride: 4, pad: 2 },
    { kind: 'maxpool' },
    { kind: 'conv', key: 'features.3', stride: 1, pad: 2 },
    { kind: 'maxpool' },
    { kind: 'conv', key: 'features.6', stride: 1, pad: 1 },
    { kind: 'conv', key: 'features.8', stride: 1, pad: 1 },
    { kind: 'conv', key: 'features.10', stride: 1, pad: 1 },
    { kind: 'maxpool' },
    { kind: 'linear', key: 'classifier.1', relu: true },
    { kind: 'linear', key: 'classifier.4', relu: true },
    { kind: 'linear', key: 'classifier.6', relu: false },
  ],
  'alexnet-original': [
    { kind: 'conv', key: 'net.0', stride: 4, pad: 0 },
    { kind: 'lrn' },
    { kind: 'maxpool' },
    { kind: 'conv', key: 'net.4', stride: 1, pad: 2 },
    { kind: 'lrn' },
    { kind: 'maxpool' },
    { kind: 'conv', key: 'net.8', stride: 1, pad: 1 },
    { kind: 'conv', key: 'net.10', stride: 1, pad: 1 },
    { kind: 'conv', key: 'net.12', stride: 1, pad: 1 },
    { kind: 'maxpool' },
    { kind: 'linear', key: 'classifier.0', relu: true },
    { kind: 'linear', key: 'classifier.3', relu: true },
    { kind: 'linear', key: 'classifier.6', relu: false },
  ],
};

/** The feature map entering the classifier: 256 channels of 6×6 (AlexNet's avgpool is then the identity). */
const FEATURES = { channels: 256, size: 6 };

function toTf(t: Tensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape], 'float32');
}

function convertWeights(state: Map<string, Tensor>, layers: Layer[]): Weights {
  const weights: Weights = new Map();
  let firstLinear = true;
  for (const layer of layers) {
    if (layer.kind !== 'conv' && layer.kind !== 'linear') continue;
    const w = state.get(`${layer.key}.weight`);
    const b = state.get(`${layer.key}.bias`);
    if (w === undefined || b === undefined) throw new Error(`weights: missing ${layer.key}.weight or .bias`);
    let converted: tf.Tensor;
    if (layer.kind === 'conv') {
      converted = tf.tidy(() => tf.transpose(toTf(w), [2, 3, 1, 0]));
    } else if (firstLinear) {
      // [out, C·H·W] → [H·W·C, out]
      const { channels: c, size: s } = FEATURES;
      converted = tf.tidy(() => tf.transpose(toTf(w).reshape([w.shape[0], c, s, s]), [2, 3, 1, 0]).reshape([s * s * c, w.shape[0]]));
      firstLinear = false;
    } else {
      converted = tf.tidy(() => tf.transpose(toTf(w)));
    }
    weights.set(`${layer.key}.weight`, converted);
    weights.set(`${layer.key}.bias`, toTf(b));
  }
  return weights;
}

function forward(x: tf.Tensor4D, layers: Layer[], weights: Weights): tf.Tensor {
  return tf.tidy(() => {
    let h: tf.Tensor = x;
    for (const layer of layers) {
      switch (layer.kind) {
        case 'conv': {
          const padded =
            layer.pad > 0
              ? tf.pad(h, [
                  [0, 0],
                  [layer.pad, layer.pad],
                  [layer.pad, layer.pad],
                  [0, 0],
                ])
              : h;
          const y = tf.conv2d(padded as tf.Tensor4D, weights.get(`${layer.key}.weight`) as tf.Tensor4D, layer.stride, 'valid');
          h = tf.relu(tf.add(y, weights.get(`${layer.key}.bias`)!));
          break;
        }
        case 'lrn':
          h = tf.localResponseNormalization(h as tf.Tensor4D, 2, 2, 1e-4 / 5, 0.75);
          break;
        case 'maxpool':
          h = tf.maxPool(h as tf.Tensor4D, 3, 2, 'valid');
          break;
        case 'linear': {
          if (h.rank === 4) {
            if (h.shape[1] !== FEATURES.size || h.shape[2] !== FEATURES.size) {
              throw new Error(`the feature map is ${h.shape[1]}×${h.shape[2]}; this runner supports inputs that give ${FEATURES.size}×${FEATURES.size}`);
            }
            h = h.reshape([h.shape[0], -1]);
          }
          const y = tf.add(tf.matMul(h as tf.Tensor2D, weights.get(`${layer.key}.weight`) as tf.Tensor2D), weights.get(`${layer.key}.bias`)!);
          h = layer.relu ? tf.relu(y) : y;
          break;
        }
      }
    }
    return h;
  });
}

runMain(async () => {
  const args = parseRunnerArgs();
  const backend = args.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend '${backend}': expected wasm or cpu`);
  if (args.weights === undefined) throw new Error('--weights <model.pth> is required');
  const layers = ARCHITECTURES[args.model];
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js cannot start its ${backend} backend`);
  await tf.ready();

  const weights = convertWeights(await readStateDictFile(args.weights), layers);
  const input = await loadInput(args);
  const x = tf.tidy(() => tf.transpose(toTf(input), [0, 2, 3, 1])) as tf.Tensor4D;
  let logits: Float32Array | undefined;
  const times = await timeAsyncRuns(
    async () => {
      const y = forward(x, layers, weights);
      logits = (await y.data()) as Float32Array;
      y.dispose();
    },
    args.warmup,
    args.iters,
  );
  await saveOutput(args, logits!, [args.batch, logits!.length / args.batch]);

  const version = (createRequire(import.meta.url)('@tensorflow/tfjs/package.json') as { version: string }).version;
  const detail = backend === 'wasm' ? `wasm, ${getThreadsCount()} thread(s)` : 'cpu (pure JavaScript)';
  printResult(`tfjs-${backend}`, detail, version, args, times);
});
