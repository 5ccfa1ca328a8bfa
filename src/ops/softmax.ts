/**
 * Differentiable (log-)softmax over any dimension, torch.nn.functional.(log_)softmax.
 *
 * The backend's kernels work on rows of the last dimension. For another dim
 * the tensor, seen as [outer, size, inner], is transposed to
 * [outer, inner, size], run through the same kernel and transposed back:
 * every dim then gets the same numerics (and the native kernel), at the cost
 * of two copies, and the gradient is the same kernel's backward between the
 * same transposes.
 */
import { getBackend } from '../backend/registry.js';
import { recycleBuffer, takeBuffer } from '../tensor/buffer-pool.js';
import { numel, shapeToString } from '../tensor/shape.js';
import { attachGrad, Tensor } from '../tensor/tensor.js';

/** The tensor as [outer, size, inner] around the reduced dimension. */
interface Layout {
  outer: number;
  size: number;
  inner: number;
}

function layoutOf(x: Tensor, dim: number, name: string): Layout {
  // torch reduces a scalar as a single element, along dim 0 or -1.
  const rank = Math.max(x.ndim, 1);
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw new Error(`${name}: dim ${dim} is out of range for a tensor of shape ${shapeToString(x.shape)} (expected an integer from ${-rank} to ${rank - 1})`);
  }
  if (x.ndim === 0) return { outer: 1, size: 1, inner: 1 };
  const d = dim < 0 ? dim + rank : dim;
  return { outer: numel(x.shape.slice(0, d)), size: x.shape[d], inner: numel(x.shape.slice(d + 1)) };
}

/** dst[o, j, i] = src[o, i, j] for src viewed as [outer, a, b]. */
function swapLastTwo(src: Float32Array, dst: Float32Array, outer: number, a: number, b: number): void {
  for (let o = 0; o < outer; o++) {
    const base = o * a * b;
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < b; j++) dst[base + j * a + i] = src[base + i * b + j];
    }
  }
}

/**
 * Runs a row-wise kernel (rows × cols over the last dimension) along the layout's `size` dimension:
 * the inputs are moved to [outer, inner, size], the kernel writes its result there, and `out` receives
 * it back in [outer, size, inner]. With inner = 1 the data already has that layout and is used as is.
 */
function alongDim(
  l: Layout,
  inputs: readonly Float32Array[],
  out: Float32Array,
  kernel: (rows: number, cols: number, inputs: readonly Float32Array[], out: Float32Array) => void,
): void {
  const rows = l.outer * l.inner;
  if (out.length === 0) return;
  if (l.inner === 1) {
    kernel(rows, l.size, inputs, out);
    return;
  }
  const moved = inputs.map((a) => {
    const m = takeBuffer(a.length);
    swapLastTwo(a, m, l.outer, l.size, l.inner);
    return m;
  });
  const result = takeBuffer(out.length);
  kernel(rows, l.size, moved, result);
  swapLastTwo(result, out, l.outer, l.inner, l.size);
  for (const m of moved) recycleBuffer(m);
  recycleBuffer(result);
}

function logSoftmaxNamed(x: Tensor, dim: number, name: string): Tensor {
  const l = layoutOf(x, dim, name);
  const out = Tensor.empty(x.shape);
  alongDim(l, [x.data], out.data, (rows, cols, [xs], o) => getBackend().logSoftmaxForward(rows, cols, xs, o));
  return attachGrad(
    out,
    'LogSoftmaxBackward',
    [x],
    (gradOut) => {
      const gradX = takeBuffer(gradOut.length);
      alongDim(l, [gradOut, out.data], gradX, (rows, cols, [g, o], gx) => getBackend().logSoftmaxBackward(rows, cols, g, o, gx));
      return [gradX];
    },
    [out],
  );
}

/**
 * torch's dim when none is given (its deprecated implicit dim, _get_softmax_dim): 0 for 0-, 1- and 3-D inputs,
 * 1 otherwise, which for 2-D logits [N, C] is the class dim.
 */
function implicitDim(x: Tensor): number {
  return x.ndim === 0 || x.ndim === 1 || x.ndim === 3 ? 0 : 1;
}

export function logSoftmax(x: Tensor, dim?: number): Tensor {
  return logSoftmaxNamed(x, dim ?? implicitDim(x), 'log_softmax');
}

/** softmax = exp(log_softmax): one stable formulation, and its gradient follows from the two ops. */
export function softmax(x: Tensor, dim?: number): Tensor {
  const logP = logSoftmaxNamed(x, dim ?? implicitDim(x), 'softmax');
  const out = Tensor.empty(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.exp(logP.data[i]);
  return attachGrad(
    out,
    'ExpBackward',
    [logP],
    (gradOut) => {
      const g = takeBuffer(gradOut.length);
      getBackend().mul(gradOut, out.data, g);
      return [g];
    },
    [out],
  );
}
