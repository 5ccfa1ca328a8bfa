/** Top-k class predictions of a model's probabilities, as `alexnet classify` prints them. */

export interface Prediction {
  index: number;
  /** The class name when the model has ImageNet's 1000 classes, else null. */
  label: string | null;
  prob: number;
}

/** The k most probable classes of one row, most probable first (ties: lower index first). */
export function topK(probs: Float32Array, k: number, labels: readonly string[] | null): Prediction[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
  return order.slice(0, k).map((index) => ({ index, label: labels?.[index] ?? null, prob: probs[index] }));
}
