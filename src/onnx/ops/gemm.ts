/**
 * Gemm (Y = alpha·A'·B' + beta·C) and MatMul (numpy's matmul). The common
 * form — B a constant used transposed (transB=1, PyTorch's and Caffe's fully
 * connected layers), alpha = beta = 1, a bias vector — becomes a Linear layer
 * that owns the weight. Everything else multiplies through F.linear, which
 * computes x·Wᵀ: B' is therefore handed over as Wᵀ.
 */
import { Linear } from '../../nn/layers/linear.js';
import { linear } from '../../ops/linear.js';
import { numel, shapeToString } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OnnxTensor } from '../onnx-tensor.js';
import { broadcastIndices, broadcastShape } from './broadcast.js';
import { transposeValue } from './layout.js';
import { type CompileContext, type CompiledOp, requireInput } from './op.js';

function matrix(value: OnnxTensor, label: string, what: string): OnnxTensor {
  if (value.ndim !== 2) throw new Error(`${label}: ${what} must be a matrix, got ${shapeToString(value.shape)}`);
  return value;
}

function transpose2d(value: OnnxTensor, label: string): OnnxTensor {
  return transposeValue(value, [1, 0], label);
}

export function compileGemm(context: CompileContext): CompiledOp {
  const { attributes, label } = context;
  const alpha = attributes.float('alpha', 1);
  const beta = attributes.float('beta', 1);
  const transA = attributes.int('transA', 0) !== 0;
  const transB = attributes.int('transB', 0) !== 0;
  attributes.ignore('broadcast'); // opsets before 7; broadcasting is always on since
  const b = context.constantInput(1);
  const c = context.constantInput(2);
  const cOmitted = (context.node.inputs[2] ?? '') === '';

  if (b !== undefined && transB && !transA && alpha === 1 && (cOmitted || (c !== undefined && beta === 1))) {
    const [outFeatures, inFeatures] = matrix(b, label, 'B').shape;
    const biasFits = c === undefined || (c.numel === outFeatures && (c.ndim === 1 || (c.ndim === 2 && c.shape[0] === 1)));
    if (biasFits) {
      const layer = new Linear(inFeatures, outFeatures, c !== undefined, false);
      layer.weight.data.set(b.toTensor(`${label} B`).data);
      context.adoptInput(1);
      if (c !== undefined && layer.bias !== null) {
        layer.bias.data.set(c.toTensor(`${label} C`).data);
        context.adoptInput(2);
      }
      // Gemm multiplies matrices: a Linear layer would take any [..., K] input. A rank, not a `prepare`, so that a
      // Relu after it still fuses into the layer's kernel.
      return { kind: 'layer', layer, inputRank: 2 };
    }
  }

  return {
    kind: 'function',
    run(inputs) {
      let a = matrix(requireInput(inputs, 0, label, 'A'), label, 'A');
      let bv = matrix(requireInput(inputs, 1, label, 'B'), label, 'B');
      if (transA) a = transpose2d(a, label);
      // F.linear wants W = B'ᵀ: B itself when transB, else its transpose.
      if (!transB) bv = transpose2d(bv, label);
      if (a.shape[1] !== bv.shape[1]) throw new Error(`${label}: A' is ${shapeToString(a.shape)} but B' needs ${bv.shape[1]} rows`);
      const y = linear(a.toTensor(`${label} A`), bv.toTensor(`${label} B`), null, { label });
      if (alpha !== 1) for (let i = 0; i < y.numel; i++) y.data[i] *= alpha;
      const cv = inputs[2];
      if (cv !== undefined && beta !== 0) addScaled(y, cv, beta, label);
      return [OnnxTensor.fromTensor(y)];
    },
  };
}

/** y += beta·C, with C broadcast (unidirectionally) to y's shape. */
function addScaled(y: Tensor, c: OnnxTensor, beta: number, label: string): void {
  const shape = broadcastShape(y.shape, c.shape, label);
  if (shape.length !== y.ndim || shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`${label}: C ${shapeToString(c.shape)} does not broadcast to the output ${shapeToString(y.shape)}`);
  }
  const at = broadcastIndices(c.shape, y.shape);
  const cData = c.toTensor(`${label} C`).data;
  for (let i = 0; i < y.numel; i++) y.data[i] += beta * cData[at[i]];
}

/** MatMul: 1-D operands are promoted (and the added axis removed), leading axes broadcast, each matrix pair via F.linear. */
export function compileMatMul(context: CompileContext): CompiledOp {
  const { label } = context;
  return {
    kind: 'function',
    run(inputs) {
      const a = requireInput(inputs, 0, label, 'A');
      const b = requireInput(inputs, 1, label, 'B');
      if (a.ndim === 0 || b.ndim === 0) throw new Error(`${label}: MatMul needs at least 1-D inputs`);
      const aShape = a.ndim === 1 ? [1, a.shape[0]] : [...a.shape];
      const bShape = b.ndim === 1 ? [b.shape[0], 1] : [...b.shape];
      const [m, k] = aShape.slice(-2);
      const [k2, n] = bShape.slice(-2);
      if (k !== k2) throw new Error(`${label}: inner dimensions differ: A ${shapeToString(a.shape)}, B ${shapeToString(b.shape)}`);
      const batchShape = broadcastShape(aShape.slice(0, -2), bShape.slice(0, -2), label);
      const aBatch = broadcastIndices(aShape.slice(0, -2), batchShape);
      const bBatch = broadcastIndices(bShape.slice(0, -2), batchShape);
      const aData = a.toTensor(`${label} A`).data;
      const bValue = b.toTensor(`${label} B`);
      const batches = numel(batchShape);
      const out = new Float32Array(batches * m * n);
      for (let i = 0; i < batches; i++) {
        const aMatrix = new OnnxTensor('float32', [m, k], aData.subarray(aBatch[i] * m * k, (aBatch[i] + 1) * m * k));
        const bMatrix = new OnnxTensor('float32', [k, n], bValue.data.subarray(bBatch[i] * k * n, (bBatch[i] + 1) * k * n));
        const y = linear(aMatrix.toTensor(label), transpose2d(bMatrix, label).toTensor(label), null, { label });
        out.set(y.data, i * m * n);
      }
      const shape = [...batchShape, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
      return [new OnnxTensor('float32', shape, out)];
    },
  };
}
