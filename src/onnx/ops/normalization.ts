/**
 * LRN and Dropout (inference). ONNX's LRN sums over channels
 * [c - floor((size-1)/2), c + ceil((size-1)/2)]; torch's window leans the
 * other way for an even size, so an even-size LRN runs on the channels in
 * reverse order (which mirrors the window) and reverses back.
 */
import { LocalResponseNorm } from '../../nn/layers/local-response-norm.js';
import { localResponseNorm } from '../../ops/local-response-norm.js';
import { shapeToString } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { OnnxTensor } from '../onnx-tensor.js';
import { type CompileContext, type CompiledOp, type OpCompiler, requireInput } from './op.js';

function compileLrn({ attributes, label }: CompileContext): CompiledOp {
  const size = attributes.int('size');
  const alpha = attributes.float('alpha', 1e-4);
  const beta = attributes.float('beta', 0.75);
  const bias = attributes.float('bias', 1);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${label}: size must be a positive integer, got ${size}`);
  if (size % 2 === 1) return { kind: 'layer', layer: new LocalResponseNorm(size, alpha, beta, bias) };
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X').toTensor(`${label} input X`);
      const y = localResponseNorm(reverseChannels(x, label), size, { alpha, beta, k: bias, label });
      return [OnnxTensor.fromTensor(reverseChannels(y, label))];
    },
  };
}

/** x[:, ::-1] for [N, C, ...]. */
function reverseChannels(x: Tensor, label: string): Tensor {
  if (x.ndim < 3) throw new Error(`${label}: expected input [N, C, ...], got ${shapeToString(x.shape)}`);
  const [batch, channels] = x.shape;
  const plane = x.numel / (batch * channels);
  const out = new Float32Array(x.numel);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const from = (n * channels + c) * plane;
      out.set(x.data.subarray(from, from + plane), (n * channels + (channels - 1 - c)) * plane);
    }
  }
  return new Tensor(out, x.shape);
}

/**
 * Dropout in inference is the identity. Its optional mask output is all true
 * (bool from opset 10; before, the input's type). A graph that asks for
 * training mode (opset 12's third input) is refused: import is for inference.
 */
function compileDropout({ attributes, label, opset, node }: CompileContext): CompiledOp {
  attributes.ignore('ratio', 'seed', 'is_test');
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const training = inputs[2];
      if (training !== undefined && training.numel > 0 && training.numberAt(0) !== 0) {
        throw new Error(`${label}: training_mode=true is not supported (imported graphs run inference)`);
      }
      if ((node.outputs[1] ?? '') === '') return [x];
      const mask = opset >= 10 ? new OnnxTensor('bool', x.shape, new Uint8Array(x.numel).fill(1)) : onesLike(x);
      return [x, mask];
    },
  };
}

function onesLike(x: OnnxTensor): OnnxTensor {
  const out = OnnxTensor.zeros(x.type, x.shape);
  (out.data as Float32Array).fill(1);
  return out;
}

export const NORMALIZATION_OPS: Record<string, OpCompiler> = {
  LRN: compileLrn,
  Dropout: compileDropout,
};
