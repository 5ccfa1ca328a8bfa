/**
 * torchvision's AlexNet in TensorFlow.js ops for the browser bench: the
 * model of bench/runners/tfjs.ts (the Node runner), for the 224×224 model
 * only. TensorFlow's NHWC layout, the .pth weights converted once before
 * timing as a model converter would: conv kernels OIHW → HWIO, Linear
 * weights [out, in] → [in, out], the first Linear's input axis reordered from
 * PyTorch's C·H·W flatten order to NHWC's H·W·C. At 224×224 the feature map
 * entering the classifier is 6×6, so AdaptiveAvgPool2d(6) is the identity.
 * `tf` is passed in: the worker loads TensorFlow.js's browser build at run time.
 */
import type * as TfNamespace from '@tensorflow/tfjs';

type Tf = typeof TfNamespace;
type TfTensor = TfNamespace.Tensor;

/** A named state-dict tensor, as the worker reads it from the .pth (NCHW / [out, in], float32). */
export interface RawTensor {
  data: Float32Array;
  shape: number[];
}

type Layer = { kind: 'conv'; key: string; stride: number; pad: number } | { kind: 'maxpool' } | { kind: 'linear'; key: string; relu: boolean };

const ALEXNET: Layer[] = [
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
];

/** The feature map entering the classifier: 256 channels of 6×6. */
const FEATURES = { channels: 256, size: 6 };

export interface TfAlexNet {
  /** NCHW input → the logits tensor (the caller reads and disposes it). */
  forward(x: TfNamespace.Tensor4D): TfTensor;
  /** NCHW Float32Array → the NHWC tensor forward() takes (done once, before timing). */
  input(data: Float32Array, shape: number[]): TfNamespace.Tensor4D;
}

export function tfAlexNet(tf: Tf, state: Map<string, RawTensor>): TfAlexNet {
  const toTf = (t: RawTensor): TfTensor => tf.tensor(t.data, t.shape, 'float32');
  const weights = new Map<string, TfTensor>();
  let firstLinear = true;
  for (const layer of ALEXNET) {
    if (layer.kind === 'maxpool') continue;
    const w = state.get(`${layer.key}.weight`);
    const b = state.get(`${layer.key}.bias`);
    if (w === undefined || b === undefined) throw new Error(`weights: missing ${layer.key}.weight or .bias`);
    let converted: TfTensor;
    if (layer.kind === 'conv') {
      converted = tf.tidy(() => tf.transpose(toTf(w), [2, 3, 1, 0]));
    } else if (firstLinear) {
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

  return {
    input: (data, shape) => tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1])),
    forward: (x) =>
      tf.tidy(() => {
        let h: TfTensor = x;
        for (const layer of ALEXNET) {
          if (layer.kind === 'conv') {
            const p = layer.pad;
            const padded = tf.pad(h, [
              [0, 0],
              [p, p],
              [p, p],
              [0, 0],
            ]) as TfNamespace.Tensor4D;
            const y = tf.conv2d(padded, get(`${layer.key}.weight`) as TfNamespace.Tensor4D, layer.stride, 'valid');
            h = tf.relu(tf.add(y, get(`${layer.key}.bias`)));
          } else if (layer.kind === 'maxpool') {
            h = tf.maxPool(h as TfNamespace.Tensor4D, 3, 2, 'valid');
          } else {
            if (h.rank === 4) {
              if (h.shape[1] !== FEATURES.size || h.shape[2] !== FEATURES.size)
                throw new Error(`feature map ${h.shape[1]}×${h.shape[2]}: expected 6×6 (224×224 input)`);
              h = h.reshape([h.shape[0], -1]);
            }
            const y = tf.add(tf.matMul(h as TfNamespace.Tensor2D, get(`${layer.key}.weight`) as TfNamespace.Tensor2D), get(`${layer.key}.bias`));
            h = layer.relu ? tf.relu(y) : y;
          }
        }
        return h;
      }),
  };
}
