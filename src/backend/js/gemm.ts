/**
 * Single-precision matrix multiply for the js backend. Row-major throughout.
 *
 * Large products use the classic packed formulation (Goto/BLIS): the K axis
 * is cut into depth blocks, and for each block a panel of B and a block of A
 * are copied ("packed") into contiguous scratch arrays in exactly the order
 * a 4×4 micro-kernel reads them. The micro-kernel keeps its 16 sums in local
 * variables, which V8 holds in registers, so each value loaded from memory
 * feeds four multiply-adds and C is touched once per depth block instead of
 * once per multiply. Packing also absorbs the transposes: op(A) and op(B)
 * are read in whichever layout they are stored, so no transposed copy is made.
 *
 * Products with very few rows (nn.Linear on one image: a matrix-vector
 * product, bound by reading the weight once) skip packing, which would only
 * add a second pass over that weight.
 *
 * Numerics: the sums of a depth block are formed in float64 and added to the
 * float32 C once per block, so the result is at least as accurate as a plain
 * float32 loop.
 */

/** Rows and columns of C computed by one micro-kernel call. */
const MR = 4;
const NR = 4;
/** Depth block: one MR×KC sliver of A and one KC×NR sliver of B (16 KB in float64) stay in L1. */
const KC = 256;
/** Row block: the packed MC×KC block of A (256 KB) stays in L2 while the B panel streams past it. */
const MC = 128;
/** Column block: the packed KC×NC panel of B (4 MB) stays in L3. */
const NC = 2048;
/** Below this many rows of C, the unpacked kernels are faster (nothing to amortize the packing over). */
const PACKED_MIN_ROWS = 4;

/**
 * Packed panels, grown on demand and reused across calls so that a forward
 * pass allocates nothing per GEMM. float64 so the kernel loads need no
 * float32→float64 conversion (the values are exact copies of the float32 inputs).
 * Each worker thread that loads this module has its own copies.
 */
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);

export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): void {
  if (!accumulate) C.fill(0, 0, M * N);
  if (M === 0 || N === 0 || K === 0) return;
  if (M >= PACKED_MIN_ROWS) gemmPacked(transA, transB, M, N, K, A, B, C);
  else if (transB) gemmFewRowsNT(transA, M, N, K, A, B, C);
  else gemmFewRowsNN(transA, M, N, K, A, B, C);
}

// ---- packed path -----------------------------------------------------------

/** C[M,N] += op(A)·op(B) through packed blocks (see the file comment). */
function gemmPacked(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  // Equal blocks rather than full ones plus a thin remainder (K = 363 runs as 2 × 182, not 256 + 107).
  const kcMax = evenBlock(K, KC, 1);
  const ncMax = evenBlock(N, NC, NR);
  const mcMax = roundUp(Math.min(MC, M), MR);
  if (packedA.length < mcMax * kcMax) packedA = new Float64Array(mcMax * kcMax);
  if (packedB.length < ncMax * kcMax) packedB = new Float64Array(ncMax * kcMax);
  const Ap = packedA,
    Bp = packedB;

  for (let j0 = 0; j0 < N; j0 += ncMax) {
    const nc = Math.min(ncMax, N - j0);
    for (let k0 = 0; k0 < K; k0 += kcMax) {
      const kc = Math.min(kcMax, K - k0);
      if (transB) packBTransposed(B, K, k0, kc, j0, nc, Bp);
      else packB(B, N, k0, kc, j0, nc, Bp);
      for (let i0 = 0; i0 < M; i0 += MC) {
        const mc = Math.min(MC, M - i0);
        if (transA) packATransposed(A, M, i0, mc, k0, kc, Ap);
        else packA(A, K, i0, mc, k0, kc, Ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const co = (i0 + ir) * N + j0 + jr;
            if (mr === MR && nr === NR) kernel4x4(kc, Ap, ir * kc, Bp, jr * kc, C, co, N);
            else kernelEdge(kc, Ap, ir * kc, Bp, jr * kc, C, co, N, mr, nr);
          }
        }
      }
    }
  }
}

function roundUp(n: number, multiple: number): number {
  return Math.ceil(n / multiple) * multiple;
}

/** The size of ⌈n / max⌉ equal blocks covering n, rounded up to a multiple of `multiple`. */
function evenBlock(n: number, max: number, multiple: number): number {
  return roundUp(Math.ceil(n / Math.ceil(n / max)), multiple);
}

/**
 * Packs rows [i0, i0+mc) × depth [k0, k0+kc) of A[M,K] into slivers of MR rows:
 * Ap[(sliver·kc + k)·MR + r]. Rows past M are zero so the kernel needs no edge test.
 */
function packA(A: Float32Array, lda: number, i0: number, mc: number, k0: number, kc: number, Ap: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    for (let r = 0; r < MR; r++) {
      let o = base + r;
      if (ir + r < mc) {
        const src = (i0 + ir + r) * lda + k0;
        for (let k = 0; k < kc; k++, o += MR) Ap[o] = A[src + k];
      } else {
        for (let k = 0; k < kc; k++, o += MR) Ap[o] = 0;
      }
    }
  }
}

/** As packA, with A stored transposed as [K, M] (read along its rows). */
function packATransposed(A: Float32Array, lda: number, i0: number, mc: number, k0: number, kc: number, Ap: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    let o = ir * kc;
    for (let k = 0; k < kc; k++, o += MR) {
      const src = (k0 + k) * lda + i0 + ir;
      for (let r = 0; r < MR; r++) Ap[o + r] = r < rows ? A[src + r] : 0;
    }
  }
}

/**
 * Packs depth [k0, k0+kc) × columns [j0, j0+nc) of B[K,N] into slivers of NR
 * columns: Bp[(sliver·kc + k)·NR + c]. Columns past N are zero.
 */
function packB(B: Float32Array, ldb: number, k0: number, kc: number, j0: number, nc: number, Bp: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let o = jr * kc;
    for (let k = 0; k < kc; k++, o += NR) {
      const src = (k0 + k) * ldb + j0 + jr;
      for (let c = 0; c < NR; c++) Bp[o + c] = c < cols ? B[src + c] : 0;
    }
  }
}

/** As packB, with B stored transposed as [N, K] (read along its rows). */
function packBTransposed(B: Float32Array, ldb: number, k0: number, kc: number, j0: number, nc: number, Bp: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    for (let c = 0; c < NR; c++) {
      let o = base + c;
      if (jr + c < nc) {
        const src = (j0 + jr + c) * ldb + k0;
        for (let k = 0; k < kc; k++, o += NR) Bp[o] = B[src + k];
      } else {
        for (let k = 0; k < kc; k++, o += NR) Bp[o] = 0;
      }
    }
  }
}

/**
 * C[4×4 at co] += (A sliver)·(B sliver) over kc steps: 8 loads feed 16
 * multiply-adds. In V8 the limit is the instructions around each typed-array
 * load (bounds checks), so the tile is as large as the 16 x64 float registers
 * allow; 2×4, 3×3, 4×2, 2×8 and 4×8 tiles measured no faster, and 4 divides
 * every AlexNet channel count.
 */
function kernel4x4(kc: number, Ap: Float64Array, ao: number, Bp: Float64Array, bo: number, C: Float32Array, co: number, ldc: number): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let k = 0; k < kc; k++, ao += MR, bo += NR) {
    const a0 = Ap[ao],
      a1 = Ap[ao + 1],
      a2 = Ap[ao + 2],
      a3 = Ap[ao + 3];
    const b0 = Bp[bo],
      b1 = Bp[bo + 1],
      b2 = Bp[bo + 2],
      b3 = Bp[bo + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  C[co] += c00;
  C[co + 1] += c01;
  C[co + 2] += c02;
  C[co + 3] += c03;
  co += ldc;
  C[co] += c10;
  C[co + 1] += c11;
  C[co + 2] += c12;
  C[co + 3] += c13;
  co += ldc;
  C[co] += c20;
  C[co + 1] += c21;
  C[co + 2] += c22;
  C[co + 3] += c23;
  co += ldc;
  C[co] += c30;
  C[co + 1] += c31;
  C[co + 2] += c32;
  C[co + 3] += c33;
}

/** The partial tiles at the bottom and right edges of C: only mr×nr of the 4×4 sums are stored. */
function kernelEdge(
  kc: number,
  Ap: Float64Array,
  ao: number,
  Bp: Float64Array,
  bo: number,
  C: Float32Array,
  co: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  for (let r = 0; r < mr; r++) {
    for (let c = 0; c < nr; c++) {
      let s = 0;
      for (let k = 0; k < kc; k++) s += Ap[ao + k * MR + r] * Bp[bo + k * NR + c];
      C[co + r * ldc + c] += s;
    }
  }
}

// ---- few-row path ----------------------------------------------------------

/**
 * C[M,N] += op(A)·B[K,N] for M < PACKED_MIN_ROWS: each row of C gathers
 * rows of B scaled by one A value (a streaming axpy per depth step).
 */
function gemmFewRowsNN(transA: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  for (let i = 0; i < M; i++) {
    const c = i * N;
    for (let k = 0; k < K; k++) {
      const a = transA ? A[k * M + i] : A[i * K + k];
      const b = k * N;
      for (let j = 0; j < N; j++) C[c + j] += a * B[b + j];
    }
  }
}

/**
 * C[M,N] += op(A)·B[N,K]ᵀ for M < PACKED_MIN_ROWS: dot products of contiguous
 * rows, four columns of C at a time, so every A value loaded feeds four rows
 * of B (nn.Linear on one image reads its weight once, row by row).
 */
function gemmFewRowsNT(transA: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array): void {
  let a = A;
  if (transA) {
    // At most three rows: gather them contiguous once.
    a = new Float32Array(M * K);
    for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) a[i * K + k] = A[k * M + i];
  }
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    const b0 = j * K,
      b1 = b0 + K,
      b2 = b1 + K,
      b3 = b2 + K;
    for (let i = 0; i < M; i++) {
      const ai = i * K;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = 0; k < K; k++) {
        const av = a[ai + k];
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
      const ai = i * K;
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ai + k] * B[b + k];
      C[i * N + j] += s;
    }
  }
}
