#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "arch.h"
#include "cpu_tuning.h"
#include "scratch.h"
#include "thread_pool.h"

#if ALEXNET_X86
#include <immintrin.h>
#endif

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// Thin products (K up to this) over a C at least this large stream their
// stores (see gemm): writing C is most of their work (a linear layer's weight
// gradient, K = the batch), and C is many times a core's L2, so it would not
// be read back from there anyway. Deep products keep C in the caches for the
// layer that reads it next.
constexpr int64_t kStreamingMaxK = 64;
constexpr int64_t kStreamingBytes = int64_t{16} << 20;

// Whether the product writes a fresh C that streams (see kStreamingBytes)
// and whose rows all start at the same offset in a 64-byte line.
bool streamable(int64_t M, int64_t N, int64_t K, int64_t ldc, bool accumulate) {
  return ALEXNET_X86 && !accumulate && K <= kStreamingMaxK && M * N * int64_t{sizeof(float)} >= kStreamingBytes &&
         ldc % 16 == 0;
}

void storeFence() {
#if ALEXNET_X86
  _mm_sfence();
#endif
}

// Applies bias and ReLU to C after a product that could not fuse them.
void applyEpilogue(int64_t M, int64_t N, float* C, int64_t ldc, const GemmEpilogue& ep) {
  if (ep.biasRow == nullptr && ep.biasCol == nullptr && !ep.relu) return;
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (int64_t j = 0; j < N; ++j) {
      float x = c[j];
      if (ep.biasRow != nullptr) x += ep.biasRow[i];
      if (ep.biasCol != nullptr) x += ep.biasCol[j];
      if (ep.relu && x < 0.0f) x = 0.0f;
      c[j] = x;
    }
  }
}

// Products with few rows and B stored [N, K] (a linear layer's forward at a
// small batch): dot products along K, which read the big B exactly once, in
// its own layout, with no packing pass over it. K is cut into blocks that keep
// the rows of A in L2; each group of B rows is then used by every row of A
// while it sits in L1.
void gemmDotProducts(const KernelSet& ks, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                     int64_t ldb, float* C, int64_t ldc, bool accumulate, const GemmEpilogue& ep) {
  const int64_t nb = ks.dotNb;
  const int64_t groups = ceilDiv(N, nb);
  const int64_t kBlock = std::min(K, std::max<int64_t>(256, (256 * 1024 / 4 / std::max<int64_t>(M, 1)) / 16 * 16));
  // Chunks of a few dozen columns keep the scheduling overhead negligible.
  parallelForDynamic(groups, 8, [&](int64_t begin, int64_t end, int) {
    for (int64_t g = begin; g < end; ++g) {
      const int64_t j0 = g * nb;
      const int n = static_cast<int>(std::min<int64_t>(nb, N - j0));
      for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
        const int64_t kLen = std::min(kBlock, K - k0);
        const float* bRows[8];
        for (int j = 0; j < n; ++j) bRows[j] = B + (j0 + j) * ldb + k0;
        for (int64_t i0 = 0; i0 < M; i0 += ks.dotMb) {
          const int mb = static_cast<int>(std::min<int64_t>(ks.dotMb, M - i0));
          const float* aRows[8];
          for (int i = 0; i < mb; ++i) aRows[i] = A + (i0 + i) * lda + k0;
          DotArgs d;
          d.k = kLen;
          d.a = aRows;
          d.b = bRows;
          d.out = C + i0 * ldc + j0;
          d.ldo = ldc;
          d.mb = mb;
          d.nb = n;
          d.accumulate = accumulate || k0 > 0;
          ks.dot(d);
        }
      }
    }
    GemmEpilogue colEp = ep;
    for (int64_t g = begin; g < end; ++g) {
      const int64_t j0 = g * nb;
      const int64_t n = std::min<int64_t>(nb, N - j0);
      colEp.biasCol = ep.biasCol == nullptr ? nullptr : ep.biasCol + j0;
      applyEpilogue(M, n, C + j0, ldc, colEp);
    }
  });
}

// Copies the kc × cols block of op(B) starting at (k0, j0) into NR-wide
// k-major panels, zero-padding the last panel to NR columns.
void packB(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t cols, int nr,
           float* dst) {
  for (int64_t p = 0; p < cols; p += nr) {
    const int64_t w = std::min<int64_t>(nr, cols - p);
    float* panel = dst + (p / nr) * kc * nr;
    if (!transB) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = B + (k0 + k) * ldb + j0 + p;
        float* d = panel + k * nr;
        std::memcpy(d, src, w * sizeof(float));
        for (int64_t j = w; j < nr; ++j) d[j] = 0.0f;
      }
    } else {
      // Each source row (one column of op(B)) is contiguous along k.
      for (int64_t j = 0; j < w; ++j) {
        const float* src = B + (j0 + p + j) * ldb + k0;
        float* d = panel + j;
        for (int64_t k = 0; k < kc; ++k) d[k * nr] = src[k];
      }
      for (int64_t j = w; j < nr; ++j)
        for (int64_t k = 0; k < kc; ++k) panel[k * nr + j] = 0.0f;
    }
  }
}

// C = A·Bᵀ with few rows of C but many columns (a linear layer's forward at a
// small batch): computed as Cᵀ = B·Aᵀ so that the big matrix B is read in its
// own row-major layout by the broadcast side and only the small A is packed;
// Cᵀ is then transposed into C with the accumulation and epilogue.
void gemmTransposedOutput(const KernelSet& ks, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                          const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate, const GemmEpilogue& ep) {
  float* ct = threadScratch<float>(ScratchSlot::Partial, N * M);
  gemm(ks, false, true, N, M, K, B, ldb, A, lda, ct, M, false);
  parallelForStatic(M, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      float* c = C + i * ldc;
      for (int64_t j = 0; j < N; ++j) {
        float x = ct[j * M + i];
        if (accumulate) x += c[j];
        if (ep.biasRow != nullptr) x += ep.biasRow[i];
        if (ep.biasCol != nullptr) x += ep.biasCol[j];
        if (ep.relu && x < 0.0f) x = 0.0f;
        c[j] = x;
      }
    }
  });
}

}  // namespace

void gemm(const KernelSet& ks, bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate, const GemmEpilogue& ep) {
  if (M <= 0 || N <= 0) return;
  // Up to a dot tile's rows: dot products (B read once, in place). Above: the
  // register tiles on Cᵀ, which do more work per load of B (measured faster
  // at batch 32 on AlexNet's fully connected layers).
  if (K > 0 && !transA && transB && M <= ks.dotMb) {
    gemmDotProducts(ks, M, N, K, A, lda, B, ldb, C, ldc, accumulate, ep);
    return;
  }

  if (K > 0 && !transA && transB && M <= 4 * ks.nr && N >= 8 * M) {
    gemmTransposedOutput(ks, M, N, K, A, lda, B, ldb, C, ldc, accumulate, ep);
    return;
  }

  // Streaming stores need 64-byte-aligned vectors. Where C's rows start
  // part-way into a line (a JavaScript array's data starts 16 bytes into
  // one), the columns up to the next line are a product of their own, and
  // the rest starts on a line.
  if (streamable(M, N, K, ldc, accumulate)) {
    const int64_t lead = (64 - static_cast<int64_t>(reinterpret_cast<uintptr_t>(C) % 64)) % 64 / int64_t{sizeof(float)};
    if (lead > 0 && lead < N && reinterpret_cast<uintptr_t>(C) % sizeof(float) == 0) {
      gemm(ks, transA, transB, M, lead, K, A, lda, B, ldb, C, ldc, accumulate, ep);
      GemmEpilogue rest = ep;
      if (ep.biasCol != nullptr) rest.biasCol = ep.biasCol + lead;
      gemm(ks, transA, transB, M, N - lead, K, A, lda, transB ? B + lead * ldb : B + lead, ldb, C + lead, ldc,
           accumulate, rest);
      return;
    }
  }

  const TileShape shape = pickTileShape(ks, N);
  const int MR = shape.mr;
  const int NR = shape.nr;
  const int threads = poolThreads();
  // B is used once per row tile: packing pays when there are several row
  // tiles, and is required when B is transposed (the kernel reads rows of B).
  const bool pack = transB || M > 2 * MR;

  // Column chunks (multiples of NR) per task; split rows too when there are
  // too few columns to keep every thread busy.
  // Thin products (small K: a linear layer's weight gradient, K = batch)
  // take wider chunks, as wide as the packing budget allows: fewer tasks
  // that each re-read A, and C written in longer runs per row (AlexNet's
  // fc6 weight gradient at batch 32 1.4× faster than in 384-column chunks).
  const int64_t maxChunk =
      pack ? std::max<int64_t>(384, gemmPackBudgetBytes() / (std::max<int64_t>(K, 1) * int64_t{sizeof(float)})) : 4096;
  int64_t chunk = std::min<int64_t>(roundUp(ceilDiv(N, threads), NR), roundUp(maxChunk, NR));
  chunk = std::max<int64_t>(chunk, NR);
  const int64_t colChunks = ceilDiv(N, chunk);
  int64_t rowChunks = 1;
  if (colChunks < threads) rowChunks = std::min<int64_t>(ceilDiv(threads, colChunks), ceilDiv(M, MR));
  const int64_t rowsPerChunk = roundUp(ceilDiv(M, rowChunks), MR);
  rowChunks = ceilDiv(M, rowsPerChunk);

  // K block: the packed block of B (kc × the chunk's panels) fills the L2
  // share the CPU's tuning row allows. Narrow products (a linear layer at a
  // small batch computed as Cᵀ) get long K blocks, so that the streamed
  // operand is read in long contiguous runs rather than 1 KiB pieces.
  int64_t kc = kGemmKc;
  if (pack) kc = std::max<int64_t>(kGemmKc, gemmPackBudgetBytes() / (roundUp(chunk, NR) * int64_t{sizeof(float)}));
  kc = K == 0 ? 0 : std::min<int64_t>(K, kc);
  const int64_t kBlocks = K == 0 ? 1 : ceilDiv(K, kc);

  // A large C computed in one K block is written once and not read here
  // again: streaming stores skip reading each of its lines from memory first
  // (fc6's weight gradient at batch 32, 151 MB: 15.7 → 11.9 ms; fc7's 7.3 →
  // 5.2). Only where every whole-vector store is 64-byte aligned.
  const bool stream = kBlocks == 1 && streamable(M, N, K, ldc, accumulate) && reinterpret_cast<uintptr_t>(C) % 64 == 0;

  parallelForDynamic(rowChunks * colChunks, 1, [&](int64_t begin, int64_t end, int) {
    float* packed = pack ? threadScratch<float>(ScratchSlot::PackB, kc * roundUp(chunk, NR) + 16) : nullptr;
    int64_t* koff = threadScratch<int64_t>(ScratchSlot::Koff, kc + 1);
    const float* rowPtrs[16];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i0 = (task / colChunks) * rowsPerChunk;
      const int64_t i1 = std::min(M, i0 + rowsPerChunk);
      const int64_t j0 = (task % colChunks) * chunk;
      const int64_t j1 = std::min(N, j0 + chunk);
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        const int64_t k0 = kb * kc;
        const int64_t kLen = std::min(kc, K - k0);
        const bool last = kb == kBlocks - 1;
        // A(r, k) = rows[r][koff[k]]: rows start at element (i, k0) of op(A).
        for (int64_t k = 0; k < kLen; ++k) koff[k] = transA ? k * lda : k;
        if (pack) packB(transB, B, ldb, k0, kLen, j0, j1 - j0, NR, packed);
        for (int64_t i = i0; i < i1; i += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, i1 - i));
          for (int r = 0; r < mr; ++r) rowPtrs[r] = transA ? A + k0 * lda + (i + r) : A + (i + r) * lda + k0;
          for (int64_t j = j0; j < j1; j += NR) {
            TileArgs t;
            t.kc = kLen;
            t.rows = rowPtrs;
            t.koff = koff;
            t.unitK = !transA;
            if (pack) {
              t.b = packed + ((j - j0) / NR) * kLen * NR;
              t.ldb = NR;
            } else {
              t.b = B + k0 * ldb + j;
              t.ldb = ldb;
            }
            t.c = C + i * ldc + j;
            t.ldc = ldc;
            t.mr = mr;
            t.nr = static_cast<int>(std::min<int64_t>(NR, j1 - j));
            t.accumulate = accumulate || kb > 0;
            t.stream = stream;
            if (last) {
              t.biasRow = ep.biasRow == nullptr ? nullptr : ep.biasRow + i;
              t.biasCol = ep.biasCol == nullptr ? nullptr : ep.biasCol + j;
              t.relu = ep.relu;
            }
            ks.tile(t);
          }
        }
      }
    }
    // Streaming stores are weakly ordered: complete them before the caller
    // (or another thread) reads C.
    if (stream) storeFence();
  });
}

}  // namespace alexnet
