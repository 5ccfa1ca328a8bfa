/** topK: the selection against a full sort, with ties, NaN and k at the edges. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topK } from '../../src/models/predictions.js';

/** The reference: sort every index by probability, lower index first on ties. */
function sortedTop(probs: Float32Array, k: number): number[] {
  return Array.from(probs.keys())
    .sort((a, b) => probs[b] - probs[a] || a - b)
    .slice(0, k);
}

test('topK keeps the k most probable classes, ties to the lower index, as a full sort does', () => {
  for (let t = 0; t < 500; t++) {
    const n = 1 + (t % 40);
    // Quarter steps make many ties.
    const probs = Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 7.3 + t) * 4) / 4);
    const k = Math.min(1 + (t % 6), n);
    assert.deepEqual(
      topK(probs, k, null).map((p) => p.index),
      sortedTop(probs, k),
      `case ${t}`,
    );
  }
});

test('topK names classes from the labels, ranks NaN last, and returns everything when k is the class count', () => {
  const probs = Float32Array.of(0.1, Number.NaN, 0.7, 0.2);
  assert.deepEqual(topK(probs, 2, ['a', 'b', 'c', 'd']), [
    { index: 2, label: 'c', prob: probs[2] },
    { index: 3, label: 'd', prob: probs[3] },
  ]);
  assert.deepEqual(
    topK(probs, 4, null).map((p) => p.index),
    [2, 3, 0, 1],
  );
});
