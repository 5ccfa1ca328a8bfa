// Fully connected layers: out[B, outF] = x[B, inF] · wᵀ + bias (ReLU).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bf16.h"
#include "huge_pages.h"
#include "tile_kernel.h"

namespace alexnet {

// A linear layer's weight prepared once for bf16 inference: the rows in bf16,
// each padded with zeros to whole k pairs (and the kernels' pairAlign).
struct PackedLinearWeight {
  const Bf16Kernels* bf16Set = nullptr;  // the kernel set it was packed for
  int64_t outFeatures = 0, inFeatures = 0;
  int64_t rowLength = 0;     // bf16 per row: 2 · bf16Pairs(*bf16Set, inFeatures)
  LargeArray<bf16> weights;  // [outFeatures][rowLength]
  size_t bytes() const { return weights.size() * sizeof(bf16); }
};

// consume: w's memory is zeroed and given back to the OS as its rows are
// converted (huge_pages.h: zeroAndRelease), for a caller that discards them.
std::unique_ptr<PackedLinearWeight> packLinearWeightBf16(int64_t outFeatures, int64_t inFeatures, float* w,
                                                         bool consume);
void linearForwardBf16(int64_t batch, const float* x, const PackedLinearWeight& w, const float* bias, float* out,
                       bool relu);

// C[M×N] (ldc) = A·B over kp pairs of k: A as M rows of pairs (lda pairs
// apart), B as ceil(N / shape.nr) pre-packed pair panels of kp × shape.nr.
// biasRow / biasCol / relu as in the fp32 epilogue.
void bf16Gemm(const Bf16Kernels& bk, TileShape shape, int64_t M, int64_t N, int64_t kp, const uint32_t* A, int64_t lda,
              const bf16* panels, float* C, int64_t ldc, const float* biasRow, const float* biasCol, bool relu);

}  // namespace alexnet
