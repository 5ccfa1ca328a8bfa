#include "interleaved_linear.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "thread_pool.h"
#include "tile_kernel.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

using W = InterleavedLinearWeight;
// Four floats: one SIMD128 register in the wasm build, SSE elsewhere.
using Vec4 = winograd::VecOf<4>::type;

// out[g][i·ldo + r] = Σ_{k < kLen} x[i][k] · w[g](r, k) for i < MB, the G
// groups' first `rows[g]` rows, w[g] at group g's start. The G groups are
// walked side by side, so the weight is read as G streams: in Chromium 150 on
// Zen 5, one thread took fc6 from two far-apart groups at once about 10%
// faster than from one (two sequential streams keep more reads in flight
// than one, and wasm has no prefetch). Full chunks are vectors; the last
// partial one (kLen % 4 values) is scalar, so x is never read past kLen.
struct GroupDot {
  const float* w[2];
  int64_t kLen;
  const float* x[2];
  float* out[2];
  int64_t ldo;
  int rows[2];
};

template <int MB, int G>
void groupDot(const GroupDot& d) {
  Vec4 acc[G][MB][W::kRows] = {};
  const float* w[G];
  for (int g = 0; g < G; ++g) w[g] = d.w[g];
  const int64_t full = d.kLen / W::kLanes;
  for (int64_t c = 0; c < full; ++c) {
    Vec4 xv[MB];
    for (int i = 0; i < MB; ++i) __builtin_memcpy(&xv[i], d.x[i] + c * W::kLanes, sizeof(Vec4));
    for (int g = 0; g < G; ++g) {
      for (int r = 0; r < W::kRows; ++r) {
        Vec4 wv;
        __builtin_memcpy(&wv, w[g] + r * W::kLanes, sizeof(Vec4));
        for (int i = 0; i < MB; ++i) acc[g][i][r] += xv[i] * wv;
      }
      w[g] += W::kRows * W::kLanes;
    }
  }
  for (int g = 0; g < G; ++g) {
    float sums[MB][W::kRows];
    for (int i = 0; i < MB; ++i)
      for (int r = 0; r < W::kRows; ++r)
        sums[i][r] = acc[g][i][r][0] + acc[g][i][r][1] + acc[g][i][r][2] + acc[g][i][r][3];
    for (int64_t k = full * W::kLanes; k < d.kLen; ++k) {
      const int64_t l = k % W::kLanes;
      for (int i = 0; i < MB; ++i)
        for (int r = 0; r < W::kRows; ++r) sums[i][r] += d.x[i][k] * w[g][r * W::kLanes + l];
    }
    for (int i = 0; i < MB; ++i) {
      float* o = d.out[g] + i * d.ldo;
      for (int r = 0; r < d.rows[g]; ++r) o[r] = sums[i][r];
    }
  }
}

// One function per (batch rows, groups), through a table: called directly,
// the wasm build's optimiser (Binaryen) may inline them into their caller,
// which V8 then compiles to slower code (see tile_kernel_wasm.cc). Batch 2
// walks one group at a time (forwardByDots), so it has no two-group entry.
using GroupDotFn = void (*)(const GroupDot&);
constexpr GroupDotFn kGroupDots[2][2] = {{&groupDot<1, 1>, &groupDot<1, 2>}, {&groupDot<2, 1>, nullptr}};

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

namespace {

// Bias and ReLU on a group's outputs for every row of x.
void groupEpilogue(int64_t batch, int64_t N, int64_t g, int rows, const float* bias, bool relu, float* out) {
  if (bias == nullptr && !relu) return;
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

// Batch 1-2: each group's dot products with the rows of x, along the stream;
// at batch 1 two groups at a time, from the two halves of the weight (see
// GroupDot; at batch 2 the 16 accumulators that would take would not leave
// V8 registers for x and w).
void forwardByDots(int64_t batch, const float* x, const InterleavedLinearWeight& w, const float* bias, float* out,
                   bool relu) {
  const int64_t K = w.inFeatures, N = w.outFeatures, groups = w.groups();
  const int64_t groupFloats = w.chunks() * W::kRows * W::kLanes;
  const int64_t streams = batch == 1 ? 2 : 1;
  const int64_t part = (groups + streams - 1) / streams;  // task p: groups p and part + p (the last one alone when odd)
  // Chunks of 32 output features keep the scheduling overhead negligible.
  parallelForDynamic(part, 8 / streams, [&](int64_t begin, int64_t end, int) {
    for (int64_t p = begin; p < end; ++p) {
      const int64_t pair[2] = {p, part + p};
      const int count = streams == 2 && pair[1] < groups ? 2 : 1;
      GroupDot d;
      d.kLen = K;
      for (int64_t i = 0; i < batch; ++i) d.x[i] = x + i * K;
      d.ldo = N;
      for (int j = 0; j < count; ++j) {
        d.w[j] = w.weights.data() + pair[j] * groupFloats;
        d.out[j] = out + pair[j] * W::kRows;
        d.rows[j] = static_cast<int>(std::min<int64_t>(W::kRows, N - pair[j] * W::kRows));
      }
      kGroupDots[batch - 1][count - 1](d);
      for (int j = 0; j < count; ++j) groupEpilogue(batch, N, pair[j], d.rows[j], bias, relu, out);
    }
  });
}

// Larger batches: the register tiles on outᵀ, a group's 4 rows (through the
// offset table that reads the interleaved layout) against NR-column panels
// of xᵀ (zero-padded to whole panels, so every tile is a full one), then
// transposed into out. Dot products here, a pass over each slice of the
// weight for every pair of rows of x, took 40% longer at batch 8 (Chromium,
// Zen 5); these tiles are still 20% slower there than 5-row tiles on the
// plain row-major weight were (fc6 20 against 16 ms).
void forwardByTiles(const KernelSet& ks, int64_t batch, const float* x, const InterleavedLinearWeight& w,
                    const float* bias, float* out, bool relu) {
  const int64_t K = w.inFeatures, N = w.outFeatures, NR = ks.nr;
  const int64_t groupFloats = w.chunks() * W::kRows * W::kLanes;
  const int64_t panels = (batch + NR - 1) / NR, ldct = panels * NR;
  std::vector<int64_t> koff(K);
  for (int64_t k = 0; k < K; ++k) koff[k] = (k / W::kLanes) * W::kRows * W::kLanes + k % W::kLanes;
  std::vector<float> xt(panels * K * NR, 0.0f);  // panel p: xt[p·K·NR + k·NR + j] = x[p·NR + j][k]
  for (int64_t i = 0; i < batch; ++i)
    for (int64_t k = 0; k < K; ++k) xt[(i / NR) * K * NR + k * NR + i % NR] = x[i * K + k];
  std::vector<float> ct(N * ldct);  // outᵀ, NR-padded columns
  // The whole of k at once: blocks of k (the panels' slices in L1, used by a
  // task's 8 groups in turn) made the weight 8 streams and took fc6 at batch 8
  // from 20 to 31 ms.
  parallelForDynamic(w.groups(), 8, [&](int64_t begin, int64_t end, int) {
    for (int64_t g = begin; g < end; ++g) {
      const int rows = static_cast<int>(std::min<int64_t>(W::kRows, N - g * W::kRows));
      const float* rowPtrs[W::kRows];
      for (int r = 0; r < rows; ++r) rowPtrs[r] = w.weights.data() + g * groupFloats + r * W::kLanes;
      for (int64_t p = 0; p < panels; ++p) {
        TileArgs t;
        t.kc = K;
        t.rows = rowPtrs;
        t.koff = koff.data();
        t.b = xt.data() + p * K * NR;
        t.ldb = NR;
        t.c = ct.data() + g * W::kRows * ldct + p * NR;
        t.ldc = ldct;
        t.mr = rows;
        t.nr = static_cast<int>(NR);
        ks.tile(t);
      }
      for (int64_t i = 0; i < batch; ++i)
        for (int r = 0; r < rows; ++r) out[i * N + g * W::kRows + r] = ct[(g * W::kRows + r) * ldct + i];
      groupEpilogue(batch, N, g, rows, bias, relu, out);
    }
  });
}

}  // namespace

void linearForwardInterleaved(const KernelSet& ks, int64_t batch, const float* x, const InterleavedLinearWeight& w,
                              const float* bias, float* out, bool relu) {
  if (batch <= 0) return;
  if (batch <= 2)
    forwardByDots(batch, x, w, bias, out, relu);
  else
    forwardByTiles(ks, batch, x, w, bias, out, relu);
}

}  // namespace alexnet
