/**
 * Operators that move elements without computing on them, for every element
 * type: Flatten, Reshape, Transpose, Concat, Split, Identity, and Constant,
 * whose value is known when the graph is imported.
 */
import { Flatten } from '../../nn/layers/flatten.js';
import { numel, shapeToString } from '../../tensor/shape.js';
import { allocateElements, type ElementArray, OnnxTensor } from '../onnx-tensor.js';
import { tensorFromProto } from '../tensor-proto.js';
import { type CompileContext, type CompiledOp, type FunctionOp, type OpCompiler, requireInput } from './op.js';

/** A negative axis counts from the end; anything outside [-rank, rank) (or [-rank, rank] when `inclusive`, as Flatten allows) is an error. */
export function normalizeAxis(axis: number, rank: number, label: string, inclusive = false): number {
  const limit = inclusive ? rank + 1 : rank;
  if (!Number.isInteger(axis) || axis < -rank || axis >= limit)
    throw new Error(`${label}: axis ${axis} is out of range for rank ${rank} (expected ${-rank} to ${limit - 1})`);
  return axis < 0 ? axis + rank : axis;
}

function compileFlatten({ attributes, label }: CompileContext): CompiledOp {
  const axisAttribute = attributes.int('axis', 1);
  const general: FunctionOp = {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'input');
      const axis = normalizeAxis(axisAttribute, x.ndim, label, true);
      return [x.withShape([numel(x.shape.slice(0, axis)), numel(x.shape.slice(axis))])];
    },
  };
  if (axisAttribute !== 1) return general;
  // Axis 1 (every CNN's) as PyTorch's Flatten layer, which shows among the model's modules; other element types
  // take the function, and a 1-D input becomes [n, 1] as ONNX defines (torch's flatten(x, 1) refuses it).
  return { kind: 'layer', layer: new Flatten(1), otherTypes: general, prepare: (x) => (x.ndim === 1 ? x.reshape([x.shape[0], 1]) : x) };
}

function compileReshape({ attributes, label, opset }: CompileContext): CompiledOp {
  const allowZero = opset >= 14 && attributes.int('allowzero', 0) !== 0;
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      const shape = requireInput(inputs, 1, label, 'shape');
      if (shape.type !== 'int64') throw new Error(`${label}: the shape input must be int64, got ${shape.type}`);
      const target = shape.toNumbers(`${label} shape`);
      return [x.withShape(reshapeTarget(x.shape, target, allowZero, label))];
    },
  };
}

/** ONNX Reshape's target: 0 copies the input's dimension (unless allowzero), one -1 takes what is left. */
export function reshapeTarget(input: readonly number[], target: readonly number[], allowZero: boolean, label: string): number[] {
  const dims = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= input.length)
        throw new Error(`${label}: shape [${target.join(', ')}] copies dimension ${i} (0), but the input ${shapeToString(input)} has only ${input.length}`);
      return input[i];
    }
    return d;
  });
  if (dims.some((d) => d < -1 || !Number.isInteger(d))) throw new Error(`${label}: invalid target shape [${target.join(', ')}]`);
  const free = dims.indexOf(-1);
  if (free !== dims.lastIndexOf(-1)) throw new Error(`${label}: shape [${target.join(', ')}] has more than one -1`);
  const total = numel(input);
  if (free >= 0) {
    const known = numel(dims.filter((_, i) => i !== free));
    if (known === 0 || total % known !== 0) throw new Error(`${label}: cannot reshape ${shapeToString(input)} (${total} elements) to [${target.join(', ')}]`);
    dims[free] = total / known;
  }
  if (numel(dims) !== total) throw new Error(`${label}: cannot reshape ${shapeToString(input)} (${total} elements) to [${target.join(', ')}]`);
  return dims;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** out[i_perm[0], ..., i_perm[r-1]] = x[i_0, ..., i_{r-1}]: numpy's transpose(x, perm). */
export function transposeValue(x: OnnxTensor, perm: readonly number[], label: string): OnnxTensor {
  const rank = x.ndim;
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`${label}: perm [${perm.join(', ')}] is not a permutation of the ${rank} axes`);
  }
  const outShape = perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const stepOf = perm.map((p) => inStrides[p]); // moving one step along output axis a moves this far in the input
  const out = allocateElements(x.type, x.numel);
  const src = x.data as Float64Array;
  const dst = out as Float64Array;
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let flat = 0; flat < dst.length; flat++) {
    dst[flat] = src[offset];
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      offset += stepOf[axis];
      if (counter[axis] < outShape[axis]) break;
      offset -= stepOf[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return new OnnxTensor(x.type, outShape, out);
}

function compileTranspose({ attributes, label }: CompileContext): CompiledOp {
  const perm = attributes.has('perm') ? attributes.ints('perm') : null;
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'data');
      return [transposeValue(x, perm ?? x.shape.map((_, i) => x.ndim - 1 - i), label)];
    },
  };
}

function compileConcat({ attributes, label }: CompileContext): CompiledOp {
  const axisAttribute = attributes.int('axis');
  return {
    kind: 'function',
    run(inputs) {
      const parts = inputs.filter((v): v is OnnxTensor => v !== undefined);
      if (parts.length === 0) throw new Error(`${label}: no inputs`);
      const first = parts[0];
      const axis = normalizeAxis(axisAttribute, first.ndim, label);
      for (const p of parts) {
        if (p.type !== first.type) throw new Error(`${label}: inputs mix ${first.type} and ${p.type}`);
        if (p.ndim !== first.ndim || p.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
          throw new Error(`${label}: input shapes ${parts.map((q) => shapeToString(q.shape)).join(', ')} differ outside axis ${axis}`);
        }
      }
      const outShape = [...first.shape];
      outShape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
      const out = allocateElements(first.type, numel(outShape)) as Float64Array;
      const outer = numel(first.shape.slice(0, axis));
      const inner = numel(first.shape.slice(axis + 1));
      let at = 0;
      for (let o = 0; o < outer; o++) {
        for (const p of parts) {
          const block = p.shape[axis] * inner;
          out.set((p.data as Float64Array).subarray(o * block, (o + 1) * block), at);
          at += block;
        }
      }
      return [new OnnxTensor(first.type, outShape, out)];
    },
  };
}

function compileSplit({ attributes, label, opset, node }: CompileContext): CompiledOp {
  const axisAttribute = attributes.int('axis', 0);
  // Before opset 13 the sizes were an attribute; from 13 they are the optional second input.
  const splitAttribute = opset < 13 && attributes.has('split') ? attributes.ints('split') : null;
  const outputs = node.outputs.length;
  return {
    kind: 'function',
    run(inputs) {
      const x = requireInput(inputs, 0, label, 'input');
      const axis = normalizeAxis(axisAttribute, x.ndim, label);
      const length = x.shape[axis];
      let sizes = splitAttribute ?? inputs[1]?.toNumbers(`${label} split`) ?? null;
      if (sizes === null) {
        if (length % outputs !== 0) throw new Error(`${label}: axis ${axis} of length ${length} does not split into ${outputs} equal parts`);
        sizes = new Array<number>(outputs).fill(length / outputs);
      }
      if (sizes.length !== outputs) throw new Error(`${label}: ${sizes.length} split sizes for ${outputs} outputs`);
      if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== length) {
        throw new Error(`${label}: split sizes [${sizes.join(', ')}] do not add up to the axis length ${length}`);
      }
      const outer = numel(x.shape.slice(0, axis));
      const inner = numel(x.shape.slice(axis + 1));
      const src = x.data as Float64Array;
      let start = 0;
      return sizes.map((size) => {
        const shape = [...x.shape];
        shape[axis] = size;
        const out = allocateElements(x.type, numel(shape)) as Float64Array;
        for (let o = 0; o < outer; o++) {
          const from = (o * length + start) * inner;
          out.set(src.subarray(from, from + size * inner), o * size * inner);
        }
        start += size;
        return new OnnxTensor(x.type, shape, out as ElementArray);
      });
    },
  };
}

function compileIdentity({ label }: CompileContext): CompiledOp {
  return { kind: 'function', run: (inputs) => [requireInput(inputs, 0, label, 'input')] };
}

function compileConstant({ attributes, label, node }: CompileContext): CompiledOp {
  let value: OnnxTensor;
  if (attributes.has('value')) value = tensorFromProto(attributes.tensor('value'), { source: label, what: 'its value' });
  else if (attributes.has('value_float')) value = new OnnxTensor('float32', [], Float32Array.of(attributes.float('value_float')));
  else if (attributes.has('value_floats'))
    value = new OnnxTensor('float32', [attributes.floats('value_floats').length], Float32Array.from(attributes.floats('value_floats')));
  else if (attributes.has('value_int')) value = OnnxTensor.fromInt64([attributes.int('value_int')], []);
  else if (attributes.has('value_ints')) value = OnnxTensor.fromInt64(attributes.ints('value_ints'));
  else {
    const kinds = ['sparse_value', 'value_string', 'value_strings'].filter((k) => attributes.has(k));
    throw new Error(`${label}: ${kinds.length > 0 ? `'${kinds[0]}' constants are not supported` : 'no value attribute'}`);
  }
  if (node.outputs.length !== 1) throw new Error(`${label}: expected one output`);
  return { kind: 'function', run: () => [value] };
}

export const LAYOUT_OPS: Record<string, OpCompiler> = {
  Flatten: compileFlatten,
  Reshape: compileReshape,
  Transpose: compileTranspose,
  Concat: compileConcat,
  Split: compileSplit,
  Identity: compileIdentity,
  Constant: compileConstant,
};
