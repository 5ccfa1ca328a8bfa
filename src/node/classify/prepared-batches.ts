/**
 * Image files in batches ready for the model, one batch ahead: while the
 * model runs batch k, batch k + 1 is being read, decoded (sharp's threads)
 * and resized (the PreprocessPool's workers), so the model does not wait
 * for the disk or the decoder between batches.
 */
import { fsPath } from '../data/image-folder.js';
import { firstLine, readImageFile } from '../image/decode.js';
import type { ErrorLine } from './jsonl-results.js';
import type { ImageClassifier } from './image-classifier.js';

export interface PreparedBatch {
  /** The batch's files, in list order. */
  files: string[];
  /** The files that decoded, in list order; their model inputs are stacked in `rows`. */
  decoded: string[];
  rows: Float32Array;
  /** The files that could not be read or decoded, with the one-line message each would fail with. */
  failed: ErrorLine[];
}

/**
 * At most `concurrency` images at a time (bounding memory when a large batch
 * of large photos is decoded). Never rejects: a file's failure is its entry
 * in `failed`, so a batch started ahead and then abandoned (the model
 * failed) cannot end the process with an unhandled rejection.
 */
async function prepareBatch(classifier: ImageClassifier, files: string[], concurrency: number): Promise<PreparedBatch> {
  const outcomes: Array<Float32Array | string> = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) {
      try {
        // The name's own bytes: a listed name that is not UTF-8 holds lone surrogates (image-list.ts).
        outcomes[i] = await classifier.prepare(await readImageFile(fsPath(files[i])), files[i]);
      } catch (error) {
        outcomes[i] = firstLine(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  const decoded: string[] = [];
  const failed: ErrorLine[] = [];
  const rows = new Float32Array(outcomes.filter((o) => typeof o !== 'string').length * classifier.inputSize);
  outcomes.forEach((outcome, i) => {
    if (typeof outcome === 'string') failed.push({ file: files[i], error: outcome });
    else {
      rows.set(outcome, decoded.length * classifier.inputSize);
      decoded.push(files[i]);
    }
  });
  return { files, decoded, rows, failed };
}

/** `files` in batches of `batchSize`, each prepared while the caller works on the one before. */
export async function* preparedBatches(
  classifier: ImageClassifier,
  files: readonly string[],
  batchSize: number,
  concurrency = 8,
): AsyncGenerator<PreparedBatch> {
  const batch = (start: number) => prepareBatch(classifier, files.slice(start, start + batchSize), concurrency);
  let ahead = files.length > 0 ? batch(0) : null;
  for (let start = 0; ahead !== null; start += batchSize) {
    const current = await ahead;
    ahead = start + batchSize < files.length ? batch(start + batchSize) : null;
    yield current;
  }
}
