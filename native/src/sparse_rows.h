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

struct SparseRowsArgs {
  int batch = 0;             // 1..kSparseRowsMaxBatch
  const float* x = nullptr;  // x[n·ldx + j]
  int64_t ldx = 0;
  const float* wt = nullptr;  // wt[j·ldw + o], the columns [o0, o0 + columns) of this call
  int64_t ldw = 0;
  const int32_t* rows = nullptr;  // the rows j to sum, ascending
  int64_t rowCount = 0;
  float* y = nullptr;  // y[n·ldy + o], columns [0, columns): written (not accumulated)
  int64_t ldy = 0;
  int64_t columns = 0;  // a multiple of the vector width
};

namespace sparse {

// Lines of weight rows prefetched ahead of the row being summed: the rows
// are not contiguous (skipped rows leave gaps the hardware prefetchers stop
// at), so the kernel names the lines of the rows it will read next.
constexpr int kRowsAhead = 4;

// x in every lane.
template <typename V>
__attribute__((always_inline)) inline V splat(float x) {
  V v = {};
  for (std::size_t i = 0; i < sizeof(V) / sizeof(float); ++i) v[i] = x;
  return v;
}

template <int W, int B>
__attribute__((always_inline)) inline void sparseRowsBatch(const SparseRowsArgs& a) {
  using V = typename winograd::VecOf<W>::type;
  const int64_t columns = a.columns, ldw = a.ldw, ldy = a.ldy, ldx = a.ldx, count = a.rowCount;
  const int32_t* rows = a.rows;
  const float* wt = a.wt;
  float* y = a.y;
  for (int n = 0; n < B; ++n) std::memset(y + n * ldy, 0, columns * sizeof(float));
  // Four rows per pass over y: y += x_a·w_a + x_b·w_b + x_c·w_c + x_d·w_d, in
  // the rows' order, so y (in L1) is loaded and stored once per four weight lines.
  int64_t t = 0;
  for (; t + 4 <= count; t += 4) {
    const float* w0 = wt + rows[t] * ldw;
    const float* w1 = wt + rows[t + 1] * ldw;
    const float* w2 = wt + rows[t + 2] * ldw;
    const float* w3 = wt + rows[t + 3] * ldw;
    // The next group's rows (this group's again at the end: prefetching them is harmless).
    const int64_t ahead = t + 4 + 3 < count ? t + 4 : t;
    const float* p0 = wt + rows[ahead] * ldw;
    const float* p1 = wt + rows[ahead + 1] * ldw;
    const float* p2 = wt + rows[ahead + 2] * ldw;
    const float* p3 = wt + rows[ahead + 3] * ldw;
    V xs[B][4] = {};
    for (int n = 0; n < B; ++n)
      for (int k = 0; k < 4; ++k) xs[n][k] = splat<V>(a.x[n * ldx + rows[t + k]]);
    for (int64_t o = 0; o < columns; o += W) {
      if (o % 16 == 0) {  // one prefetch per 64-byte line of each row
        __builtin_prefetch(p0 + o, 0, 2);
        __builtin_prefetch(p1 + o, 0, 2);
        __builtin_prefetch(p2 + o, 0, 2);
        __builtin_prefetch(p3 + o, 0, 2);
      }
      const V v0 = winograd::loadVec<V>(w0 + o), v1 = winograd::loadVec<V>(w1 + o);
      const V v2 = winograd::loadVec<V>(w2 + o), v3 = winograd::loadVec<V>(w3 + o);
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
    const float* w0 = wt + rows[t] * ldw;
    V xs[B] = {};
    for (int n = 0; n < B; ++n) xs[n] = splat<V>(a.x[n * ldx + rows[t]]);
    for (int64_t o = 0; o < columns; o += W) {
      const V v0 = winograd::loadVec<V>(w0 + o);
      for (int n = 0; n < B; ++n) {
        V acc = winograd::loadVec<V>(y + n * ldy + o);
        acc += xs[n] * v0;
        winograd::storeVec(y + n * ldy + o, acc);
      }
    }
  }
}

template <int W>
__attribute__((always_inline)) inline void sparseRowsOf(const SparseRowsArgs& a) {
  switch (a.batch) {
    case 1:
      sparseRowsBatch<W, 1>(a);
      break;
    case 2:
      sparseRowsBatch<W, 2>(a);
      break;
    case 3:
      sparseRowsBatch<W, 3>(a);
      break;
    default:
      sparseRowsBatch<W, 4>(a);
      break;
  }
}

}  // namespace sparse
}  // namespace alexnet
