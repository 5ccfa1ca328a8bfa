/** ONNX's multidirectional (numpy) broadcasting: the output shape and, per output element, where each input's element is. */
import { MAX_TENSOR_ELEMENTS, shapeToString } from '../../tensor/shape.js';

export function broadcastShape(a: readonly number[], b: readonly number[], label: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`${label}: shapes ${shapeToString(a)} and ${shapeToString(b)} cannot be broadcast together`);
    out.push(da === 1 ? db : da);
  }
  // Checked before the caller allocates the output and its index arrays.
  if (out.reduce((p, d) => p * d, 1) > MAX_TENSOR_ELEMENTS) {
    throw new Error(
      `${label}: shapes ${shapeToString(a)} and ${shapeToString(b)} broadcast to ${shapeToString(out)}, more than ${MAX_TENSOR_ELEMENTS} elements`,
    );
  }
  return out;
}

/**
 * For each element of `outShape` (row-major), the flat index of the element
 * of an input of `shape` that broadcasts to it.
 */
export function broadcastIndices(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const total = outShape.reduce((p, d) => p * d, 1);
  const indices = new Int32Array(total);
  // Strides of the input aligned to the output's rank; 0 where the input repeats along an axis.
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let flat = 0; flat < total; flat++) {
    indices[flat] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      offset += strides[axis];
      if (counter[axis] < outShape[axis]) break;
      offset -= strides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return indices;
}
