/**
 * Numeric comparison for parity tests: the relative error ‖a − b‖ / ‖b‖ over a
 * whole tensor (Euclidean norms, in float64). One number per tensor is what
 * PyTorch-parity claims are stated in, and unlike an elementwise tolerance it
 * does not fail on the harmless ulp-level noise of entries near zero.
 */
import assert from 'node:assert/strict';
import { Tensor } from '../../src/tensor/tensor.js';

export type Numbers = Tensor | ArrayLike<number>;

function values(x: Numbers): ArrayLike<number> {
  return x instanceof Tensor ? x.data : x;
}

/**
 * ‖a − b‖ / ‖b‖. When b is all zeros the absolute ‖a‖ is returned instead
 * (0 when both are zero), so an exactly-zero expectation is still checked.
 * NaN anywhere that b has no NaN at the same place gives NaN (never "close").
 */
export function relativeError(actual: Numbers, expected: Numbers): number {
  const a = values(actual),
    b = values(expected);
  if (a.length !== b.length) throw new Error(`relativeError: ${a.length} values against ${b.length}`);
  let diff = 0,
    ref = 0;
  for (let i = 0; i < a.length; i++) {
    const bi = b[i],
      ai = a[i];
    if (Number.isNaN(bi) && Number.isNaN(ai)) continue;
    // Equal infinities compare as equal (their difference would be NaN).
    const d = ai === bi ? 0 : ai - bi;
    diff += d * d;
    if (Number.isFinite(bi)) ref += bi * bi;
  }
  return ref === 0 ? Math.sqrt(diff) : Math.sqrt(diff / ref);
}

/** max |a − b| / max |b|: the error relative to the largest expected value (the largest logit), as the README quotes it. */
export function maxErrorOverScale(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

/** The index and values of the largest absolute difference, for failure messages. */
export function worstElement(actual: Numbers, expected: Numbers): { index: number; actual: number; expected: number } {
  const a = values(actual),
    b = values(expected);
  let index = 0,
    worst = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Number.isNaN(a[i]) !== Number.isNaN(b[i]) ? Infinity : Math.abs(a[i] - b[i]);
    if (d > worst || Number.isNaN(d)) {
      worst = d;
      index = i;
    }
  }
  return { index, actual: a[index], expected: b[index] };
}

/**
 * Asserts ‖actual − expected‖ / ‖expected‖ ≤ tol (and equal shapes when both
 * are tensors); returns the measured error so callers can report the worst one.
 * `what` names the compared quantity in the failure message.
 */
export function assertClose(actual: Numbers, expected: Numbers, tol: number, what: string): number {
  if (actual instanceof Tensor && expected instanceof Tensor) {
    assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  }
  const a = values(actual),
    b = values(expected);
  assert.equal(a.length, b.length, `${what}: ${a.length} values, expected ${b.length}`);
  const err = relativeError(a, b);
  if (!(err <= tol)) {
    const w = worstElement(a, b);
    assert.fail(
      `${what}: relative error ${err.toExponential(3)} > ${tol.toExponential(1)} ` +
        `(largest difference at flat index ${w.index}: got ${w.actual}, expected ${w.expected})`,
    );
  }
  return err;
}

/** Keeps the largest error seen per label, for a summary diagnostic at the end of a test. */
export class WorstErrors {
  private readonly worst = new Map<string, number>();

  record(label: string, err: number): number {
    this.worst.set(label, Math.max(this.worst.get(label) ?? 0, err));
    return err;
  }

  entries(): [string, number][] {
    return [...this.worst];
  }

  toString(): string {
    return this.entries()
      .map(([k, v]) => `${k} ${v.toExponential(2)}`)
      .join(', ');
  }
}
