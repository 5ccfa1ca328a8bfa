/**
 * Add, Sub, Mul, Div (numpy broadcasting, same element type on both sides)
 * and the unary Relu (our ReLU layer: the graph fuses it into a preceding
 * Conv or Gemm), Exp and Log. Integer types wrap as their typed array does
 * (uint8 + uint8 modulo 256, as ONNX's reference computes them).
 */
import { ReLU } from '../../nn/layers/relu.js';
import { allocateElements, isBigIntType, isFloatType, OnnxTensor } from '../onnx-tensor.js';
import { broadcastIndices, broadcastShape } from './broadcast.js';
import { type CompileContext, type CompiledOp, type FunctionOp, type OpCompiler, requireInput } from './op.js';

type NumberOp = (a: number, b: number) => number;
type BigIntOp = (a: bigint, b: bigint) => bigint;

/**
 * The common float cases without index arrays: operands of the output's shape
 * (step 1) or single values (step 0). One loop per operator, so each stays a
 * simple monomorphic loop (torch's LRN export runs four of these per layer).
 */
type StridedKernel = (x: Float32Array, y: Float32Array, z: Float32Array, stepX: number, stepY: number) => void;

const STRIDED: Record<string, StridedKernel> = {
  Add: (x, y, z, sx, sy) => {
    for (let i = 0; i < z.length; i++) z[i] = x[i * sx] + y[i * sy];
  },
  Sub: (x, y, z, sx, sy) => {
    for (let i = 0; i < z.length; i++) z[i] = x[i * sx] - y[i * sy];
  },
  Mul: (x, y, z, sx, sy) => {
    for (let i = 0; i < z.length; i++) z[i] = x[i * sx] * y[i * sy];
  },
  Div: (x, y, z, sx, sy) => {
    for (let i = 0; i < z.length; i++) z[i] = x[i * sx] / y[i * sy];
  },
};

/** 1 when the operand already has the output's shape, 0 when it is one value, null when it needs broadcast indices. */
function step(shape: readonly number[], out: readonly number[]): number | null {
  if (shape.length === out.length && shape.every((d, i) => d === out[i])) return 1;
  return shape.every((d) => d === 1) ? 0 : null;
}

function binary(name: string, numberOp: NumberOp, bigintOp: BigIntOp, integerOp: NumberOp = numberOp): OpCompiler {
  return ({ label }: CompileContext): CompiledOp => ({
    kind: 'function',
    run(inputs) {
      const a = requireInput(inputs, 0, label, 'A');
      const b = requireInput(inputs, 1, label, 'B');
      if (a.type !== b.type) throw new Error(`${label}: inputs A (${a.type}) and B (${b.type}) must have the same element type`);
      const shape = broadcastShape(a.shape, b.shape, label);
      const out = OnnxTensor.zeros(a.type, shape);
      const [stepA, stepB] = [step(a.shape, shape), step(b.shape, shape)];
      if (a.type === 'float32' && stepA !== null && stepB !== null) {
        STRIDED[name](a.data as Float32Array, b.data as Float32Array, out.data as Float32Array, stepA, stepB);
        return [out];
      }
      const ia = broadcastIndices(a.shape, shape);
      const ib = broadcastIndices(b.shape, shape);
      if (isBigIntType(a.type)) {
        const [x, y, z] = [a.data, b.data, out.data] as BigInt64Array[];
        for (let i = 0; i < z.length; i++) z[i] = bigintOp(x[ia[i]], y[ib[i]]);
      } else {
        const op = isFloatType(a.type) ? numberOp : integerOp;
        const [x, y, z] = [a.data, b.data, out.data] as Float64Array[];
        for (let i = 0; i < z.length; i++) z[i] = op(x[ia[i]], y[ib[i]]);
      }
      return [out];
    },
  });
}

function unaryFloat(fn: (v: number) => number): OpCompiler {
  return ({ label }: CompileContext): CompiledOp => ({
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'input');
      if (!isFloatType(x.type)) throw new Error(`${label}: expected a float input, got ${x.type}`);
      const out = allocateElements(x.type, x.numel) as Float32Array;
      const src = x.data as Float32Array;
      for (let i = 0; i < out.length; i++) out[i] = fn(src[i]);
      return [new OnnxTensor(x.type, x.shape, out)];
    },
  });
}

/** Relu on the element types other than float32 (the layer's): float64, and integers from opset 14. */
function reluOtherTypes(label: string): FunctionOp {
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'X');
      const out = allocateElements(x.type, x.numel);
      if (isBigIntType(x.type)) {
        const [src, dst] = [x.data, out] as BigInt64Array[];
        for (let i = 0; i < dst.length; i++) dst[i] = src[i] < 0n ? 0n : src[i];
      } else {
        const [src, dst] = [x.data, out] as Float64Array[];
        for (let i = 0; i < dst.length; i++) dst[i] = src[i] < 0 ? 0 : src[i];
      }
      return [new OnnxTensor(x.type, x.shape, out)];
    },
  };
}

export const ELEMENTWISE_OPS: Record<string, OpCompiler> = {
  Add: binary(
    'Add',
    (a, b) => a + b,
    (a, b) => a + b,
  ),
  Sub: binary(
    'Sub',
    (a, b) => a - b,
    (a, b) => a - b,
  ),
  Mul: binary(
    'Mul',
    (a, b) => a * b,
    (a, b) => a * b,
  ),
  // Integer division truncates toward zero (C's rule, onnxruntime's); BigInt division already does. By zero it is refused
  // (undefined in C; BigInt would throw a RangeError, the typed arrays would store Infinity as 0).
  Div: binary(
    'Div',
    (a, b) => a / b,
    (a, b) => {
      if (b === 0n) throw new Error('integer division by zero');
      return a / b;
    },
    (a, b) => {
      if (b === 0) throw new Error('integer division by zero');
      return Math.trunc(a / b);
    },
  ),
  Exp: unaryFloat(Math.exp),
  Log: unaryFloat(Math.log),
  Relu: ({ label }) => ({ kind: 'layer', layer: new ReLU(), otherTypes: reluOtherTypes(label) }),
};
