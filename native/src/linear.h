// Fully connected layers: out[B, outF] = x[B, inF] · wᵀ + bias (ReLU).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "bf16.h"
#include "huge_pages.h"
#include "tile_kernel.h"

namespace alexnet {

// Whether batch 1-4 products skip the weights of zero inputs: on unless
// ALEXNET_SPARSE_LINEAR=0, which keeps every call on the dense product and
// makes no transposed copy (for a process that would rather keep the memory).
bool sparseLinearEnabled();

// A linear layer's weight transposed, [inFeatures][stride] (each input's
// weights one contiguous row, zero past outFeatures), in fp32 or bf16 (the
// other array empty): the layout in which a product skips the weights of
// zero inputs (sparse_rows.h).
struct TransposedLinearWeight {
  int64_t outFeatures = 0, inFeatures = 0;
  LargeArray<float> fp32;
  LargeArray<bf16> half;   // bf16
  int64_t stride = 0;      // outFeatures rounded up to whole 64-byte lines
  bool allFinite = false;  // false: no row may be skipped (0·∞ is NaN)
};

// A linear layer's weight prepared once for inference by the native backend.
// bf16 (bf16Set set): the rows in bf16, each padded with zeros to whole k
// pairs (and the kernels' pairAlign).
// fp32 (bf16Set null): the weight stays the caller's (torch's [out][in],
// passed with every call).
// Either way, batch 1-4 calls whose input has enough zeros run on a transposed
// copy, made at the first such call, so that a caller who never runs one never
// holds it.
struct PackedLinearWeight {
  const Bf16Kernels* bf16Set = nullptr;  // the kernel set it was packed for
  int64_t outFeatures = 0, inFeatures = 0;
  int64_t rowLength = 0;     // bf16 per row: 2 · bf16Pairs(*bf16Set, inFeatures)
  LargeArray<bf16> weights;  // [outFeatures][rowLength]

  // The transposed copy, made on the first call: of w (the caller's fp32
  // weight) for an fp32 packing, of `weights` for a bf16 one (w unused).
  const TransposedLinearWeight& transposed(const float* w) const;

  size_t bytes() const;

 private:
  mutable std::once_flag transposeOnce_;
  mutable TransposedLinearWeight transposed_;
  mutable std::atomic<size_t> transposedBytes_{0};
};

// Batch 1-4 over the rows of p's transposed weight that x needs (those where
// some batch row of x is not zero; x as the products take it: for bf16,
// already rounded), with bias and ReLU, when that pays and the weight is
// finite; false (nothing written) when the caller should run its dense
// product instead. w: as for PackedLinearWeight::transposed.
bool linearSkippingZeros(const KernelSet& ks, int64_t batch, const float* x, const PackedLinearWeight& p,
                         const float* w, const float* bias, float* out, bool relu);

// consume: w's memory is zeroed and given back to the OS as its rows are
// converted (huge_pages.h: zeroAndRelease), for a caller that discards them.
std::unique_ptr<PackedLinearWeight> packLinearWeightBf16(int64_t outFeatures, int64_t inFeatures, float* w,
                                                         bool consume);
void linearForwardBf16(int64_t batch, const float* x, const PackedLinearWeight& w, const float* bias, float* out,
                       bool relu);
// An fp32 packing (weights empty): the layer's torch-layout weight w, and the transposed copy where a call skips rows.
std::unique_ptr<PackedLinearWeight> packLinearWeightFp32(int64_t outFeatures, int64_t inFeatures);
void linearForwardFp32(const KernelSet& ks, int64_t batch, const float* x, const PackedLinearWeight& packed,
                       const float* w, const float* bias, float* out, bool relu);

// The wasm backend's packed linear weight: only the transposed fp32 copy
// (WebAssembly memory is limited to 4 GiB and the page's to less; the
// caller's torch-layout weight is not kept). Made zero, then filled a slice
// of the torch layout's rows at a time (rows [row0, row0 + rows), src those
// rows inFeatures apart), so that packing needs no second full copy.
std::unique_ptr<TransposedLinearWeight> makeTransposedLinearWeight(int64_t outFeatures, int64_t inFeatures);
void transposeLinearRows(TransposedLinearWeight& t, int64_t row0, int64_t rows, const float* src);
// out[B, outF] = x[B, inF] · wᵀ + bias (ReLU) from the transposed copy, in
// passes of up to 4 rows of x, each over the rows of the copy those rows
// need (all of them where a weight is not finite).
void linearForwardTransposed(const KernelSet& ks, int64_t batch, const float* x, const TransposedLinearWeight& t,
                             const float* bias, float* out, bool relu);

// C[M×N] (ldc) = A·B over kp pairs of k: A as M rows of pairs (lda pairs
// apart), B as ceil(N / shape.nr) pre-packed pair panels of kp × shape.nr.
// biasRow / biasCol / relu as in the fp32 epilogue.
void bf16Gemm(const Bf16Kernels& bk, TileShape shape, int64_t M, int64_t N, int64_t kp, const uint32_t* A, int64_t lda,
              const bf16* panels, float* C, int64_t ldc, const float* biasRow, const float* biasCol, bool relu);

}  // namespace alexnet
