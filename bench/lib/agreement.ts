/** Cross-checks of the logits that different frameworks computed for the same input and weights. */
import { loadNpyFile } from '../../src/node/weights/weight-files.js';

/** max |a − ref| / max |ref| over all logits: one number per framework, independent of the logits' scale. */
export async function maxRelativeDifference(path: string, referencePath: string): Promise<number> {
  const [a, ref] = await Promise.all([loadNpyFile(path), loadNpyFile(referencePath)]);
  if (a.shape.join(',') !== ref.shape.join(',')) {
    throw new Error(`${path}: shape [${a.shape}] differs from the reference's [${ref.shape}]`);
  }
  return maxRelativeArrayDifference(a.data, ref.data);
}

/** max |a − ref| / max |ref| of two arrays of the same length (a NaN anywhere in a gives NaN). */
export function maxRelativeArrayDifference(a: Float32Array, ref: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
