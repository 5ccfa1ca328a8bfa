#include "interleaved_linear.h"

#include <algorithm>
#include <stdexcept>

#include "thread_pool.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

using W = InterleavedLinearWeight;
// Four floats: one SIMD128 register in the wasm build, SSE elsewhere.
using Vec4 = winograd::VecOf<4>::type;

// out[i·ldo + r] (= or +=) Σ_{k < kLen} x[i][k] · w(r, k) for i < MB and the
// group's first `rows` rows, w at the group's chunk where x[i] starts. Full
// chunks are vectors; the last partial one (kLen % 4 values) is scalar, so x
// is never read past kLen.
struct GroupDot {
  const float* w;
  int64_t kLen;
  const float* x[2];
  float* out;
  int64_t ldo;
  int rows;
  bool accumulate;
};

template <int MB>
void groupDot(const GroupDot& d) {
  Vec4 acc[MB][W::kRows] = {};
  const float* w = d.w;
  const int64_t full = d.kLen / W::kLanes;
  for (int64_t c = 0; c < full; ++c, w += W::kRows * W::kLanes) {
    Vec4 xv[MB];
    for (int i = 0; i < MB; ++i) __builtin_memcpy(&xv[i], d.x[i] + c * W::kLanes, sizeof(Vec4));
    for (int r = 0; r < W::kRows; ++r) {
      Vec4 wv;
      __builtin_memcpy(&wv, w + r * W::kLanes, sizeof(Vec4));
      for (int i = 0; i < MB; ++i) acc[i][r] += xv[i] * wv;
    }
  }
  float sums[MB][W::kRows];
  for (int i = 0; i < MB; ++i)
    for (int r = 0; r < W::kRows; ++r) sums[i][r] = acc[i][r][0] + acc[i][r][1] + acc[i][r][2] + acc[i][r][3];
  for (int64_t k = full * W::kLanes; k < d.kLen; ++k) {
    const int64_t l = k % W::kLanes;
    for (int i = 0; i < MB; ++i)
      for (int r = 0; r < W::kRows; ++r) sums[i][r] += d.x[i][k] * w[r * W::kLanes + l];
  }
  for (int i = 0; i < MB; ++i) {
    float* o = d.out + i * d.ldo;
    for (int r = 0; r < d.rows; ++r) o[r] = d.accumulate ? o[r] + sums[i][r] : sums[i][r];
  }
}

// One function per batch-row count, through a table: called directly, the
// wasm build's optimiser (Binaryen) may inline them into their caller, which
// V8 then compiles to slower code (see tile_kernel_wasm.cc).
using GroupDotFn = void (*)(const GroupDot&);
constexpr GroupDotFn kGroupDots[2] = {&groupDot<1>, &groupDot<2>};

}  // namespace

std::unique_ptr<InterleavedLinearWeight> makeInterleavedLinearWeight(int64_t outFeatures, int64_t inFeatures) {
  if (outFeatures < 1 || inFeatures < 1)
    throw std::invalid_argument("a linear weight needs at least one row and column");
  auto w = std::make_unique<InterleavedLinearWeight>();
  w->outFeatures = outFeatures;
  w->inFeatures = inFeatures;
  w->weights.assign(w->groups() * w->chunks() * W::kRows * W::kLanes, 0.0f);
  return w;
}

void interleaveLinearRows(InterleavedLinearWeight& w, int64_t row0, int64_t rows, const float* src) {
  if (row0 < 0 || rows < 0 || row0 + rows > w.outFeatures)
    throw std::out_of_range("rows outside the interleaved linear weight");
  const int64_t chunks = w.chunks();
  for (int64_t o = row0; o < row0 + rows; ++o) {
    const float* s = src + (o - row0) * w.inFeatures;
    float* group = w.weights.data() + (o / W::kRows) * chunks * W::kRows * W::kLanes + (o % W::kRows) * W::kLanes;
    for (int64_t k = 0; k < w.inFeatures; ++k) group[(k / W::kLanes) * W::kRows * W::kLanes + k % W::kLanes] = s[k];
  }
}

void linearForwardInterleaved(int64_t batch, const float* x, const InterleavedLinearWeight& w, const float* bias,
                              float* out, bool relu) {
  const int64_t K = w.inFeatures, N = w.outFeatures, chunks = w.chunks();
  const int64_t groupFloats = chunks * W::kRows * W::kLanes;
  // Above 2 rows of x, k is cut into blocks whose slice of a group (16 KiB)
  // stays in L1 while every pair of rows uses it: the weight still comes from
  // memory once.
  const int64_t blockChunks = batch <= 2 ? chunks : 256;
  // Chunks of 8 groups (32 output features) keep the scheduling overhead negligible.
  parallelForDynamic(w.groups(), 8, [&](int64_t begin, int64_t end, int) {
    for (int64_t g = begin; g < end; ++g) {
      const int rows = static_cast<int>(std::min<int64_t>(W::kRows, N - g * W::kRows));
      for (int64_t c0 = 0; c0 < chunks; c0 += blockChunks) {
        const int64_t k0 = c0 * W::kLanes;
        for (int64_t i0 = 0; i0 < batch; i0 += 2) {
          const int mb = static_cast<int>(std::min<int64_t>(2, batch - i0));
          GroupDot d;
          d.w = w.weights.data() + g * groupFloats + c0 * W::kRows * W::kLanes;
          d.kLen = std::min(blockChunks * W::kLanes, K - k0);
          for (int i = 0; i < mb; ++i) d.x[i] = x + (i0 + i) * K + k0;
          d.out = out + i0 * N + g * W::kRows;
          d.ldo = N;
          d.rows = rows;
          d.accumulate = c0 > 0;
          kGroupDots[mb - 1](d);
        }
      }
      if (bias == nullptr && !relu) continue;
      for (int64_t i = 0; i < batch; ++i) {
        float* o = out + i * N + g * W::kRows;
        for (int r = 0; r < rows; ++r) {
          float v = o[r];
          if (bias != nullptr) v += bias[g * W::kRows + r];
          if (relu && v < 0.0f) v = 0.0f;  // torch's ReLU: NaN stays NaN
          o[r] = v;
        }
      }
    }
  });
}

}  // namespace alexnet
