/** Cross-checks of the logits that different frameworks computed for the same input and weights. */
import { loadNpyFile } from '../../src/node/weights/weight-files.js';

/** max |a − ref| / max |ref| over all logits: one number per framework, independent of the logits' scale. */
export async function maxRelativeDifference(path: string, referencePath: string): Promise<number> {
  const [a, ref] = await Promise.all([loadNpyFile(path), loadNpyFile(referencePath)]);
  if (a.shape.join(',') !== ref.shape.join(',')) {
    throw new Error(`${path}: shape [${a.shape}] differs from the reference's [${ref.shape}]`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.data.length; i++) {
    const d = Math.abs(a.data[i] - ref.data[i]);
    diff = d > diff || Number.isNaN(d) ? d : diff;
    scale = Math.max(scale, Math.abs(ref.data[i]));
  }
  return scale === 0 ? diff : diff / scale;
}
