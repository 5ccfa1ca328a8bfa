/**
 * Classification metrics as the AlexNet paper reports them: top-1 error (the
 * best-scoring class is wrong) and top-5 error (the true class is not among
 * the five best), plus the mean loss, accumulated over batches. Top-5 error
 * is not defined for fewer than 5 classes (torch's topk(5) refuses them).
 */

/** The k of top-5 error. */
const TOP5 = 5;

/**
 * k of a top-k count: torch's topk(k) takes an integer up to the class count; k = 0 would count nothing, so it
 * is refused too, and a k above the class count would count every row.
 */
function checkK(k: number, classes: number, what: string): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`${what}: k must be a positive integer, got ${k}`);
  if (k > classes) throw new Error(`${what}: k = ${k} is more than the ${classes} classes (top-${k} is not defined for them)`);
}

/**
 * Whether the label is among the k highest scores of one row. Ties are
 * broken by class index (the lower index ranks first), so the answer is
 * deterministic; a NaN score of the label never counts as correct.
 */
export function inTopK(scores: Float32Array, offset: number, classes: number, label: number, k: number): boolean {
  checkK(k, classes, 'inTopK');
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

/** How many rows of logits [rows, classes] have their label in the top k (k at most the class count, as torch.topk). */
export function countTopK(logits: Float32Array, rows: number, classes: number, labels: ArrayLike<number>, k: number): number {
  if (logits.length !== rows * classes) throw new Error(`countTopK: ${logits.length} scores do not fill [${rows}, ${classes}]`);
  if (labels.length !== rows) throw new Error(`countTopK: ${labels.length} labels for ${rows} rows`);
  checkK(k, classes, 'countTopK');
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const label = labels[r];
    if (!Number.isInteger(label) || label < 0 || label >= classes)
      throw new Error(`countTopK: label ${label} of row ${r} is not a class index 0..${classes - 1}`);
    if (inTopK(logits, r * classes, classes, label, k)) correct += 1;
  }
  return correct;
}

/** The index of the highest score in one row: the first on ties, and the first NaN if any (as inTopK, NaN ranks highest). */
function argmaxRow(logits: Float32Array, offset: number, classes: number): number {
  let best = 0;
  for (let c = 0; c < classes; c++) {
    const s = logits[offset + c];
    // torch.argmax takes NaN as the maximum, so the first NaN wins over every number.
    if (Number.isNaN(s)) return c;
    if (s > logits[offset + best]) best = c;
  }
  return best;
}

/** The index of the highest score of each row, as torch.argmax(logits, 1): the first on ties, the first NaN if any. */
export function argmaxRows(logits: Float32Array, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = argmaxRow(logits, r * classes, classes);
  return out;
}

export interface ClassificationResult {
  /** Mean loss per sample. */
  loss: number;
  /** Fractions in [0, 1]. */
  top1Error: number;
  /** null when the model has fewer than 5 classes: top-5 error is not defined there. */
  top5Error: number | null;
  samples: number;
  /** The number of classes of the logits (0 before any batch). */
  classes: number;
}

/** Whether top-5 error is defined for logits of this many classes. */
function hasTop5(classes: number): boolean {
  return classes >= TOP5;
}

/** Sums over batches: loss weighted by batch size, and top-1/top-5 hits. */
export class ClassificationMeter {
  private lossSum = 0;
  private top1 = 0;
  private top5 = 0;
  samples = 0;
  private classes = 0;

  /** Adds one batch: its mean loss and its logits [rows, classes]; every batch has the same classes. */
  add(meanLoss: number, logits: Float32Array, rows: number, classes: number, labels: ArrayLike<number>): void {
    if (this.samples > 0 && classes !== this.classes) throw new Error(`ClassificationMeter: a batch of ${classes} classes after batches of ${this.classes}`);
    this.classes = classes;
    this.lossSum += meanLoss * rows;
    this.top1 += countTopK(logits, rows, classes, labels, 1);
    if (hasTop5(classes)) this.top5 += countTopK(logits, rows, classes, labels, TOP5);
    this.samples += rows;
  }

  result(): ClassificationResult {
    if (this.samples === 0) return { loss: NaN, top1Error: NaN, top5Error: NaN, samples: 0, classes: this.classes };
    return {
      loss: this.lossSum / this.samples,
      top1Error: (this.samples - this.top1) / this.samples,
      top5Error: hasTop5(this.classes) ? (this.samples - this.top5) / this.samples : null,
      samples: this.samples,
      classes: this.classes,
    };
  }
}
