// A fully connected layer at batch 1-4 over the rows of its transposed weight
// that its input needs: y[n][o] = Σ_{j ∈ rows} x[n][j] · wt[j][o].
//
// Why: at batch 1 a linear layer is a stream of its weight from memory (fc6:
// 151 MB, 4.1 ms at the 37 GB/s a Sapphire Rapids VM reads), and its input
// is the output of a ReLU (or a max pool of one): a third to a half of it is
// zero, and a zero input needs none of its weights. With the weight
// transposed ([in][out], each input's weights one contiguous row) the rows
// of zero inputs are skipped whole; the products are the same (0·w adds
// nothing; the caller keeps every row where a weight is not finite, as
// 0·∞ is NaN).
//
// Written once with GCC vector extensions over the output columns and
// instantiated per kernel set for its vector width (as winograd_transforms.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "winograd_transforms.h"

namespace alexnet {

// Most batch rows the kernel takes (its accumulators: batch × one vector).
constexpr int kSparseRowsMaxBatch = 4;

// Whether the kernel names the lines of the next rows ahead: WebAssembly has
// no prefetch instruction (the builtin compiles to nothing), and the test per
// vector that would issue it cost the wasm build's classifier ~10% (Node,
// SPR, batch 1: fc6-fc8 7.7, 2.7, 0.8 ms with it, 7.2, 2.3, 0.6 without).
#if defined(__wasm__)
constexpr bool kPrefetchRows = false;
#else
constexpr bool kPrefetchRows = true;
#endif

struct SparseRowsArgs {
  int batch = 0;             // 1..kSparseRowsMaxBatch
  const float* x = nullptr;  // x[n·ldx + j] (for bf16 weights, already rounded to bf16 by the caller)
  int64_t ldx = 0;
  // wt[j·ldw + o] for the columns [o0, o0 + columns) of this call: fp32, or
  // bf16 (bf16 inference) in wtBf16 with wt null.
  const float* wt = nullptr;
  const uint16_t* wtBf16 = nullptr;
  int64_t ldw = 0;
  const int32_t* rows = nullptr;  // the rows j to sum, ascending
  int64_t rowCount = 0;
  float* y = nullptr;  // y[n·ldy + o], columns [0, columns): written (not accumulated)
  int64_t ldy = 0;
  int64_t columns = 0;  // a multiple of the vector width
};

namespace sparse {

// x in every lane.
template <typename V>
__attribute__((always_inline)) inline V splat(float x) {
  V v = {};
  for (std::size_t i = 0; i < sizeof(V) / sizeof(float); ++i) v[i] = x;
  return v;
}

// W lanes of 16 and 32 bits (a typedef with a dependent vector_size inside a
// function template is not taken as a vector by GCC 12).
template <int W>
struct LanesOf {
  typedef uint16_t half __attribute__((vector_size(W * sizeof(uint16_t))));
  typedef uint32_t wide __attribute__((vector_size(W * sizeof(uint32_t))));
};

// W consecutive weights as floats: fp32 as they are, bf16 widened (a bf16's
// bits are a float's upper half).
template <typename V, typename T>
__attribute__((always_inline)) inline V loadWeights(const T* p) {
  if constexpr (sizeof(T) == sizeof(float)) {
    return winograd::loadVec<V>(p);
  } else {
    constexpr int W = sizeof(V) / sizeof(float);
    typename LanesOf<W>::half h;
    std::memcpy(&h, p, sizeof(h));
    const typename LanesOf<W>::wide u = __builtin_convertvector(h, typename LanesOf<W>::wide) << 16;
    V v;
    std::memcpy(&v, &u, sizeof(v));
    return v;
  }
}

// Four rows per pass over y: y += x_a·w_a + x_b·w_b + x_c·w_c + x_d·w_d, in
// the rows' order, so that y (in L1) is loaded and stored once per four rows'
// lines. The rows are not contiguous (skipped rows leave gaps the hardware
// prefetchers stop at), so each pass names the lines of the next four rows.
template <int W, int B, typename T>
__attribute__((always_inline)) inline void sparseRowsBatch(const SparseRowsArgs& a, const T* wt) {
  using V = typename winograd::VecOf<W>::type;
  constexpr int64_t lineElements = 64 / sizeof(T);
  const int64_t columns = a.columns, ldw = a.ldw, ldy = a.ldy, ldx = a.ldx, count = a.rowCount;
  const int32_t* rows = a.rows;
  float* y = a.y;
  for (int n = 0; n < B; ++n) std::memset(y + n * ldy, 0, columns * sizeof(float));
  int64_t t = 0;
  for (; t + 4 <= count; t += 4) {
    const T* w0 = wt + rows[t] * ldw;
    const T* w1 = wt + rows[t + 1] * ldw;
    const T* w2 = wt + rows[t + 2] * ldw;
    const T* w3 = wt + rows[t + 3] * ldw;
    // The next pass's rows (this one's again at the end: prefetching them is harmless).
    const int64_t ahead = t + 8 <= count ? t + 4 : t;
    const T* p0 = wt + rows[ahead] * ldw;
    const T* p1 = wt + rows[ahead + 1] * ldw;
    const T* p2 = wt + rows[ahead + 2] * ldw;
    const T* p3 = wt + rows[ahead + 3] * ldw;
    V xs[B][4] = {};
    for (int n = 0; n < B; ++n)
      for (int k = 0; k < 4; ++k) xs[n][k] = splat<V>(a.x[n * ldx + rows[t + k]]);
    for (int64_t o = 0; o < columns; o += W) {
      if (kPrefetchRows && o % lineElements == 0) {
        __builtin_prefetch(p0 + o, 0, 2);
        __builtin_prefetch(p1 + o, 0, 2);
        __builtin_prefetch(p2 + o, 0, 2);
        __builtin_prefetch(p3 + o, 0, 2);
      }
      const V v0 = loadWeights<V>(w0 + o), v1 = loadWeights<V>(w1 + o);
      const V v2 = loadWeights<V>(w2 + o), v3 = loadWeights<V>(w3 + o);
      for (int n = 0; n < B; ++n) {
        V acc = winograd::loadVec<V>(y + n * ldy + o);
        acc += xs[n][0] * v0;
        acc += xs[n][1] * v1;
        acc += xs[n][2] * v2;
        acc += xs[n][3] * v3;
        winograd::storeVec(y + n * ldy + o, acc);
      }
    }
  }
  for (; t < count; ++t) {
    const T* w0 = wt + rows[t] * ldw;
    V xs[B] = {};
    for (int n = 0; n < B; ++n) xs[n] = splat<V>(a.x[n * ldx + rows[t]]);
    for (int64_t o = 0; o < columns; o += W) {
      const V v0 = loadWeights<V>(w0 + o);
      for (int n = 0; n < B; ++n) {
        V acc = winograd::loadVec<V>(y + n * ldy + o);
        acc += xs[n] * v0;
        winograd::storeVec(y + n * ldy + o, acc);
      }
    }
  }
}

template <int W, typename T>
__attribute__((always_inline)) inline void sparseRowsOfType(const SparseRowsArgs& a, const T* wt) {
  switch (a.batch) {
    case 1:
      sparseRowsBatch<W, 1>(a, wt);
      break;
    case 2:
      sparseRowsBatch<W, 2>(a, wt);
      break;
    case 3:
      sparseRowsBatch<W, 3>(a, wt);
      break;
    default:
      sparseRowsBatch<W, 4>(a, wt);
      break;
  }
}

template <int W>
__attribute__((always_inline)) inline void sparseRowsOf(const SparseRowsArgs& a) {
  if (a.wtBf16 != nullptr)
    sparseRowsOfType<W>(a, a.wtBf16);
  else
    sparseRowsOfType<W>(a, a.wt);
}

}  // namespace sparse
}  // namespace alexnet
