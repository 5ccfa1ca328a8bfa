/**
 * AlexNet in TensorFlow.js ops, shared by the Node runner (bench/runners/tfjs.ts)
 * and the browser bench's worker (bench/web/browser/worker.ts). TensorFlow's
 * NHWC layout, the .pth weights converted once before timing, as a model
 * converter would: conv kernels OIHW → HWIO, Linear weights [out, in] →
 * [in, out], and the first Linear's input axis reordered from PyTorch's C·H·W
 * flatten order to NHWC's H·W·C. LRN maps onto tf's with alpha/size (tf does
 * not divide by the size). The feature map entering the classifier must be
 * 6×6 (AlexNet's AdaptiveAvgPool2d(6) is then the identity).
 *
 * `tf` is passed in: the Node runner passes its imported namespace, the worker
 * the one TensorFlow.js's browser build defines at run time. Bundled for the
 * browser (esbuild): imports nothing but types.
 */
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;
type TfTensor = TfNamespace.Tensor;

/** A state-dict tensor (NCHW / [out, in], float32): alexnet-ts's Tensor, or what the worker reads. */
export interface RawTensor {
  data: Float32Array;
  shape: readonly number[];
}

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

/** The feature map entering the classifier: 256 channels of 6×6. */
const FEATURES = { channels: 256, size: 6 };

export interface TfAlexNet {
  /** NCHW Float32Array → the NHWC tensor forward() takes (done once, before timing). */
  input(t: RawTensor): TfNamespace.Tensor4D;
  /** NHWC input → the logits tensor (the caller reads and disposes it). */
  forward(x: TfNamespace.Tensor4D): TfTensor;
}

/** `model`'s layers (alexnet or alexnet-original) with `state`'s weights converted to TF layout. */
export function tfAlexNet(tf: Tf, model: string, state: ReadonlyMap<string, RawTensor>): TfAlexNet {
  const layers = ARCHITECTURES[model];
  if (layers === undefined) throw new Error(`model '${model}': expected one of ${Object.keys(ARCHITECTURES).join(', ')}`);
  const toTf = (t: RawTensor): TfTensor => tf.tensor(t.data, [...t.shape], 'float32');

  const weights = new Map<string, TfTensor>();
  let firstLinear = true;
  for (const layer of layers) {
    if (layer.kind !== 'conv' && layer.kind !== 'linear') continue;
    const w = state.get(`${layer.key}.weight`);
    const b = state.get(`${layer.key}.bias`);
    if (w === undefined || b === undefined) throw new Error(`weights: missing ${layer.key}.weight or .bias`);
    let converted: TfTensor;
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
  const get = (key: string): TfTensor => weights.get(key)!;

  const forward = (x: TfNamespace.Tensor4D): TfTensor =>
    tf.tidy(() => {
      let h: TfTensor = x;
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
            const y = tf.conv2d(padded as TfNamespace.Tensor4D, get(`${layer.key}.weight`) as TfNamespace.Tensor4D, layer.stride, 'valid');
            h = tf.relu(tf.add(y, get(`${layer.key}.bias`)));
            break;
          }
          case 'lrn':
            h = tf.localResponseNormalization(h as TfNamespace.Tensor4D, 2, 2, 1e-4 / 5, 0.75);
            break;
          case 'maxpool':
            h = tf.maxPool(h as TfNamespace.Tensor4D, 3, 2, 'valid');
            break;
          case 'linear': {
            if (h.rank === 4) {
              if (h.shape[1] !== FEATURES.size || h.shape[2] !== FEATURES.size) {
                throw new Error(`the feature map is ${h.shape[1]}×${h.shape[2]}; this model supports inputs that give ${FEATURES.size}×${FEATURES.size}`);
              }
              h = h.reshape([h.shape[0], -1]);
            }
            const y = tf.add(tf.matMul(h as TfNamespace.Tensor2D, get(`${layer.key}.weight`) as TfNamespace.Tensor2D), get(`${layer.key}.bias`));
            h = layer.relu ? tf.relu(y) : y;
            break;
          }
        }
      }
      return h;
    });

  return {
    input: (t) => tf.tidy(() => tf.transpose(toTf(t), [0, 2, 3, 1])) as TfNamespace.Tensor4D,
    forward,
  };
}
