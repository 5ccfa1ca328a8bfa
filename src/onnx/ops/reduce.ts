/**
 * ReduceMax and ReduceSum over float inputs (what ONNX's function bodies of
 * Softmax and LogSoftmax are built from). ReduceSum takes its axes as an
 * input from opset 13; ReduceMax as an attribute up to opset 17.
 */
import { numel } from '../../tensor/shape.js';
import { isFloatType, OnnxTensor } from '../onnx-tensor.js';
import { normalizeAxis } from './layout.js';
import { type CompileContext, type CompiledOp, type OpCompiler, requireInput } from './op.js';

function reduce(initial: number, combine: (acc: number, v: number) => number, axesAsInput: (opset: number) => boolean): OpCompiler {
  return ({ attributes, label, opset }: CompileContext): CompiledOp => {
    const keepDims = attributes.int('keepdims', 1) !== 0;
    const fromInput = axesAsInput(opset);
    const axesAttribute = !fromInput && attributes.has('axes') ? attributes.ints('axes') : null;
    const noopWithEmptyAxes = fromInput && attributes.int('noop_with_empty_axes', 0) !== 0;
    return {
      kind: 'function',
      run(inputs) {
        const x = requireInput(inputs, 0, label, 'data');
        if (!isFloatType(x.type)) throw new Error(`${label}: expected a float input, got ${x.type}`);
        const given = fromInput ? (inputs[1]?.toNumbers(`${label} axes`) ?? []) : (axesAttribute ?? []);
        if (given.length === 0 && noopWithEmptyAxes) return [x];
        const axes = new Set(given.length === 0 ? x.shape.map((_, i) => i) : given.map((a) => normalizeAxis(a, x.ndim, label)));
        return [reduceAxes(x, axes, keepDims, initial, combine)];
      },
    };
  };
}

function reduceAxes(x: OnnxTensor, axes: Set<number>, keepDims: boolean, initial: number, combine: (acc: number, v: number) => number): OnnxTensor {
  const keptShape = x.shape.map((d, i) => (axes.has(i) ? 1 : d));
  const out = new (x.type === 'float64' ? Float64Array : Float32Array)(numel(keptShape)).fill(initial);
  // Walk the input in order; each element lands on the output index with the reduced axes zeroed.
  const outStrides = keptShape.map((_, i) => numel(keptShape.slice(i + 1)));
  const counter = new Array<number>(x.ndim).fill(0);
  const src = x.data as Float32Array;
  for (let flat = 0; flat < src.length; flat++) {
    let at = 0;
    for (let i = 0; i < x.ndim; i++) if (!axes.has(i)) at += counter[i] * outStrides[i];
    out[at] = combine(out[at], src[flat]);
    for (let i = x.ndim - 1; i >= 0; i--) {
      if (++counter[i] < x.shape[i]) break;
      counter[i] = 0;
    }
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.has(i));
  return new OnnxTensor(x.type, shape, out);
}

export const REDUCE_OPS: Record<string, OpCompiler> = {
  ReduceMax: reduce(Number.NEGATIVE_INFINITY, Math.max, (opset) => opset >= 18),
  ReduceSum: reduce(
    0,
    (a, v) => a + v,
    (opset) => opset >= 13,
  ),
};
