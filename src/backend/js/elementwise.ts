/** Elementwise kernels of the js backend; lengths are the caller's contract. */

export function add(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}

export function sub(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] - b[i];
}

export function mul(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] * b[i];
}

export function div(a: Float32Array, b: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i] / b[i];
}

/** a · s with s taken as a float32 first, as torch casts a Python scalar to the tensor's dtype (and as the C++ kernel does). */
export function scale(a: Float32Array, s: number, out: Float32Array): void {
  const factor = Math.fround(s);
  for (let i = 0; i < out.length; i++) out[i] = a[i] * factor;
}

export function axpy(alpha: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
}

export function sum(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** torch.relu: negatives become 0; NaN and −0 pass through unchanged, as in torch 1.13. */
export function reluForward(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i];
    out[i] = v < 0 ? 0 : v;
  }
}

export function reluBackward(gradOut: Float32Array, y: Float32Array, gradIn: Float32Array): void {
  // torch's threshold_backward (y <= 0 → 0): a NaN output passes its gradient on, as torch's does.
  for (let i = 0; i < gradIn.length; i++) gradIn[i] = y[i] <= 0 ? 0 : gradOut[i];
}
