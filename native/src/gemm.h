// General matrix product on top of the micro-kernels:
//   C[M,N] (row-major, ldc) = op(A)·op(B) (+ C when accumulate) (+ bias) (ReLU)
// op(A) is A[M,K] (lda) or, with transA, A stored [K,M]; op(B) is B[K,N] (ldb)
// or, with transB, B stored [N,K].
#pragma once

#include <cstdint>

#include "tile_kernel.h"

namespace alexnet {

struct GemmEpilogue {
  const float* biasRow = nullptr;  // M values, one per row of C
  const float* biasCol = nullptr;  // N values, one per column of C
  bool relu = false;
};

void gemm(const KernelSet& ks, bool transA, bool transB, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const float* B, int64_t ldb, float* C, int64_t ldc, bool accumulate,
          const GemmEpilogue& epilogue = GemmEpilogue());

// The smallest K block of the packed B panels (see gemm.cc for the budget).
constexpr int64_t kGemmKc = 256;

}  // namespace alexnet
