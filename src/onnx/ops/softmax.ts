/**
 * Softmax and LogSoftmax. From opset 13 they normalize along one axis
 * (default -1), as torch's softmax(dim); before, the input was seen as a
 * matrix [d0·…·d(axis-1), d(axis)·…] (default axis 1) and each row of that
 * matrix was normalized, all trailing dimensions together.
 */
import { logSoftmax, softmax } from '../../ops/softmax.js';
import { numel } from '../../tensor/shape.js';
import { OnnxTensor } from '../onnx-tensor.js';
import { normalizeAxis } from './layout.js';
import { type CompileContext, type CompiledOp, type OpCompiler, requireInput } from './op.js';

function compileSoftmaxLike(fn: typeof softmax): OpCompiler {
  return ({ attributes, label, opset }: CompileContext): CompiledOp => {
    const perAxis = opset >= 13;
    const axisAttribute = attributes.int('axis', perAxis ? -1 : 1);
    return {
      kind: 'function',
      run(inputs) {
        const value = requireInput(inputs, 0, label, 'input');
        const x = value.toTensor(`${label} input`);
        if (x.ndim === 0) throw new Error(`${label}: expected at least one dimension, got a scalar`);
        if (perAxis) return [OnnxTensor.fromTensor(fn(x, normalizeAxis(axisAttribute, x.ndim, label)))];
        // [-r, r-1] as onnxruntime takes it (opset 11's range; axis = r would leave nothing to normalize).
        const axis = normalizeAxis(axisAttribute, x.ndim, label);
        const rows = numel(x.shape.slice(0, axis));
        const y = fn(x.reshape([rows, x.numel / Math.max(rows, 1)]), 1);
        return [OnnxTensor.fromTensor(y.reshape(x.shape))];
      },
    };
  };
}

export const SOFTMAX_OPS: Record<string, OpCompiler> = {
  Softmax: compileSoftmaxLike(softmax),
  LogSoftmax: compileSoftmaxLike(logSoftmax),
};
