/** Shape arithmetic shared by tensors, ops and layers. */

export type Shape = readonly number[];

/**
 * The most elements one tensor may hold (2^31 − 1): what every size computed from a file, a graph or
 * layer settings is checked against before anything is allocated (a typed array is indexed by int32 in
 * the kernels, and a few bytes of ONNX can ask for billions).
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeToString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function assertValidShape(shape: Shape, what = 'shape'): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: invalid shape ${shapeToString(shape)} (dimensions must be non-negative integers)`);
  }
}

/** Resolves one -1 in a reshape target against the element count. */
export function inferShape(target: Shape, count: number): number[] {
  const out = [...target];
  const free = out.indexOf(-1);
  if (free !== out.lastIndexOf(-1)) throw new Error(`reshape: only one dimension can be -1, got ${shapeToString(target)}`);
  if (free >= 0) {
    const rest = numel(out.filter((_, i) => i !== free));
    if (rest === 0 || count % rest !== 0) throw new Error(`reshape: cannot reshape ${count} elements into ${shapeToString(target)}`);
    out[free] = count / rest;
  }
  if (numel(out) !== count) throw new Error(`reshape: cannot reshape ${count} elements into ${shapeToString(target)}`);
  return out;
}

/** Normalizes a possibly negative dimension index. */
export function normalizeDim(dim: number, ndim: number, op?: string): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (!Number.isInteger(d) || d < 0 || d >= ndim) {
    const range = ndim === 0 ? 'none' : `${-ndim} to ${ndim - 1}`;
    throw new Error(`${op === undefined ? '' : `${op}: `}dimension ${dim} is out of range for a tensor of ${ndim} dimensions (valid: ${range})`);
  }
  return d;
}
