/**
 * Single-precision matrix multiply for the js backend. Row-major throughout.
 *
 * Two inner kernels cover every case: `nn` streams rows of B (C += A·B with
 * four rows of C updated per pass over a row of B, so each B value loaded
 * feeds four multiply-adds), and `nt` computes dot products of contiguous
 * rows (C = A·Bᵀ, the shape of nn.Linear). A transposed A is repacked once,
 * which costs O(M·K) against the O(M·N·K) multiply.
 */

/** Column block: a 4-row strip of C over this many columns stays in L1/L2 while K is swept. */
const COL_BLOCK = 512;
/** Depth block: the K×COL_BLOCK panel of B swept per block stays in L2. */
const DEPTH_BLOCK = 128;

export function gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
  if (!accumulate) C.fill(0, 0, M * N);
  if (M === 0 || N === 0 || K === 0) return;
  const a = transA ? transpose(A, K, M) : A;
  if (transB) gemmNT(M, N, K, a, B, C);
  else gemmNN(M, N, K, a, B, C);
}

/** Returns the [cols, rows] transpose of a row-major [rows, cols] matrix. */
export function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[r * cols + c];
      }
    }
  }
  return out;
}

/** C[M,N] += A[M,K] · B[K,N]. */
function gemmNN(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  for (let j0 = 0; j0 < N; j0 += COL_BLOCK) {
    const j1 = Math.min(N, j0 + COL_BLOCK);
    for (let k0 = 0; k0 < K; k0 += DEPTH_BLOCK) {
      const k1 = Math.min(K, k0 + DEPTH_BLOCK);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const c0 = i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
        const r0 = i * K, r1 = r0 + K, r2 = r1 + K, r3 = r2 + K;
        for (let k = k0; k < k1; k++) {
          const a0 = A[r0 + k], a1 = A[r1 + k], a2 = A[r2 + k], a3 = A[r3 + k];
          const b = k * N;
          for (let j = j0; j < j1; j++) {
            const bv = B[b + j];
            C[c0 + j] += a0 * bv;
            C[c1 + j] += a1 * bv;
            C[c2 + j] += a2 * bv;
            C[c3 + j] += a3 * bv;
          }
        }
      }
      for (; i < M; i++) {
        const c = i * N, r = i * K;
        for (let k = k0; k < k1; k++) {
          const a = A[r + k];
          const b = k * N;
          for (let j = j0; j < j1; j++) C[c + j] += a * B[b + j];
        }
      }
    }
  }
}

/**
 * C[M,N] += A[M,K] · B[N,K]ᵀ: dot products of contiguous rows, four columns of
 * C at a time. K is blocked so that the four B rows and the A block being
 * swept stay in cache while every row of A passes over them (with a batch,
 * nn.Linear's weight is then read from memory once, not once per row).
 */
function gemmNT(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  const KB = 1024;
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const b0 = j * K, b1 = b0 + K, b2 = b1 + K, b3 = b2 + K;
      for (let i = 0; i < M; i++) {
        const a = i * K;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let k = k0; k < k1; k++) {
          const av = A[a + k];
          s0 += av * B[b0 + k];
          s1 += av * B[b1 + k];
          s2 += av * B[b2 + k];
          s3 += av * B[b3 + k];
        }
        const c = i * N + j;
        C[c] += s0;
        C[c + 1] += s1;
        C[c + 2] += s2;
        C[c + 3] += s3;
      }
    }
    for (; j < N; j++) {
      const b = j * K;
      for (let i = 0; i < M; i++) {
        const a = i * K;
        let s = 0;
        for (let k = k0; k < k1; k++) s += A[a + k] * B[b + k];
        C[i * N + j] += s;
      }
    }
  }
}
