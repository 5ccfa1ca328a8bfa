/**
 * Classification metrics as the AlexNet paper reports them: top-1 error (the
 * best-scoring class is wrong) and top-5 error (the true class is not among
 * the five best), plus the mean loss, accumulated over batches.
 */

/** k of a top-k count: torch's topk(k) takes a non-negative integer; k = 0 would count nothing, so it is refused too. */
function checkK(k: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${what}: k must be a positive integer, got ${k}`);
}

/**
 * Whether the label is among the k highest scores of one row. Ties are
 * broken by class index (the lower index ranks first), so the answer is
 * deterministic; a NaN score of the label never counts as correct.
 */
export function inTopK(scores: Float32Array, offset: number, classes: number, label: number, k: number): boolean {
  checkK(k, 'inTopK');
  const target = scores[offset + label];
  if (Number.isNaN(target)) return false;
  let ahead = 0;
  for (let c = 0; c < classes; c++) {
    const s = scores[offset + c];
    if (s > target || (s === target && c < label) || Number.isNaN(s)) {
      ahead += 1;
      if (ahead >= k) return false;
    }
  }
  return true;
}

/** How many rows of logits [rows, classes] have their label in the top k (k is capped at the class count). */
export function countTopK(logits: Float32Array, rows: number, classes: number, labels: ArrayLike<number>, k: number): number {
  if (logits.length !== rows * classes) throw new Error(`countTopK: ${logits.length} scores do not fill [${rows}, ${classes}]`);
  if (labels.length !== rows) throw new Error(`countTopK: ${labels.length} labels for ${rows} rows`);
  checkK(k, 'countTopK');
  const kk = Math.min(k, classes);
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new Error(`countTopK: label ${label} of row ${r} is not a class index 0..${classes - 1}`);
    if (inTopK(logits, r * classes, classes, label, kk)) correct += 1;
  }
  return correct;
}

/** The index of the highest score of each row (the first on ties). */
export function argmaxRows(logits: Float32Array, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    out[r] = best;
  }
  return out;
}

export interface ClassificationResult {
  /** Mean loss per sample. */
  loss: number;
  /** Fractions in [0, 1]. */
  top1Error: number;
  top5Error: number;
  samples: number;
}

/** Sums over batches: loss weighted by batch size, and top-1/top-5 hits. */
export class ClassificationMeter {
  private lossSum = 0;
  private top1 = 0;
  private top5 = 0;
  samples = 0;

  /** Adds one batch: its mean loss and its logits [rows, classes]. */
  add(meanLoss: number, logits: Float32Array, rows: number, classes: number, labels: ArrayLike<number>): void {
    this.lossSum += meanLoss * rows;
    this.top1 += countTopK(logits, rows, classes, labels, 1);
    this.top5 += countTopK(logits, rows, classes, labels, 5);
    this.samples += rows;
  }

  result(): ClassificationResult {
    if (this.samples === 0) return { loss: NaN, top1Error: NaN, top5Error: NaN, samples: 0 };
    return {
      loss: this.lossSum / this.samples,
      top1Error: (this.samples - this.top1) / this.samples,
      top5Error: (this.samples - this.top5) / this.samples,
      samples: this.samples,
    };
  }
}
