/**
 * Local response normalization across channels, as torch.nn.functional
 * computes it: scale_c = k + α/n · Σ_{c' ∈ [c−⌊n/2⌋, c+⌊(n−1)/2⌋] ∩ [0, C)} a_{c'}²
 * and b_c = a_c / scale_c^β. Even n makes the window lean backwards.
 *
 * Backward, from b_j = a_j · s_j^(−β):
 *   ∂L/∂a_i = g_i · s_i^(−β) − (2αβ/n) · a_i · Σ_{j : i ∈ window(j)} g_j · b_j / s_j,
 * and i ∈ window(j) ⇔ j ∈ [i − ⌊(n−1)/2⌋, i + ⌊n/2⌋].
 */
import type { LrnGeometry } from '../backend.js';

export function lrnForward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array | null): void {
  const { channels: C, spatial: S, size: n } = g;
  const before = Math.floor(n / 2);
  const after = Math.floor((n - 1) / 2);
  for (let b = 0; b < g.batch; b++) {
    const base = b * C * S;
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++) {
        const lo = Math.max(0, c - before),
          hi = Math.min(C - 1, c + after);
        let sum = 0;
        for (let cc = lo; cc <= hi; cc++) {
          const v = x[base + cc * S + s];
          sum += v * v;
        }
        const i = base + c * S + s;
        const sc = g.k + g.alpha * (sum / n);
        if (scale !== null) scale[i] = sc;
        out[i] = x[i] / sc ** g.beta;
      }
    }
  }
}

export function lrnBackward(g: LrnGeometry, x: Float32Array, out: Float32Array, scale: Float32Array, gradOut: Float32Array, gradIn: Float32Array): void {
  const { channels: C, spatial: S, size: n } = g;
  const before = Math.floor(n / 2);
  const after = Math.floor((n - 1) / 2);
  const factor = (2 * g.alpha * g.beta) / n;
  for (let b = 0; b < g.batch; b++) {
    const base = b * C * S;
    for (let s = 0; s < S; s++) {
      for (let i = 0; i < C; i++) {
        const lo = Math.max(0, i - after),
          hi = Math.min(C - 1, i + before);
        let sum = 0;
        for (let j = lo; j <= hi; j++) {
          const t = base + j * S + s;
          sum += (gradOut[t] * out[t]) / scale[t];
        }
        const t = base + i * S + s;
        gradIn[t] = gradOut[t] * scale[t] ** -g.beta - factor * x[t] * sum;
      }
    }
  }
}
