/** Top-k class predictions of a model's probabilities, as `alexnet classify` prints them. */

export interface Prediction {
  index: number;
  /** The class name when the model has ImageNet's 1000 classes, else null. */
  label: string | null;
  prob: number;
}

/**
 * The k most probable classes of one row, most probable first (ties: lower
 * index first; NaN ranks last). A selection, not a sort: a server ranks
 * every answer, and k is small next to the 1000 classes.
 */
export function topK(probs: Float32Array, k: number, labels: readonly string[] | null): Prediction[] {
  const kept: number[] = [];
  const above = (a: number, b: number): boolean => probs[a] > probs[b] || (Number.isNaN(probs[b]) && !Number.isNaN(probs[a]));
  for (let i = 0; i < probs.length; i++) {
    if (kept.length === k && !above(i, kept[k - 1])) continue;
    // Insert after every kept index at least as probable: an equal one has the lower index.
    let at = kept.length;
    while (at > 0 && above(i, kept[at - 1])) at--;
    kept.splice(at, 0, i);
    if (kept.length > k) kept.pop();
  }
  return kept.map((index) => ({ index, label: labels?.[index] ?? null, prob: probs[index] }));
}
