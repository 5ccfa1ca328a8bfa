// AVX2+FMA micro-kernels: 6 rows × 16 columns (12 ymm accumulators), so each
// k step is 2 vector loads of B, 6 broadcasts of A and 12 FMAs.
#include "arch.h"
#include "tile_kernel.h"
#include "winograd_transforms.h"

#if ALEXNET_X86
#include "simd_intrinsics.h"

#define ALEXNET_AVX2 __attribute__((target("avx2,fma")))

namespace alexnet {

namespace {

constexpr int kMr = 6;
constexpr int kVecs = 2;  // 2 × 8 = 16 columns

// A lane mask selecting the first n (0..8) floats of a vector.
ALEXNET_AVX2 inline __m256i firstLanes(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

template <int R, int V, bool Masked>
ALEXNET_AVX2 void tile(const TileArgs& t) {
  __m256 acc[R][V];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();

  const float* rows[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) rows[r] = t.rows[r];
  const __m256i lastMask = firstLanes(Masked ? t.nr - (V - 1) * 8 : 8);

  const int64_t* koff = t.koff;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
  const int64_t prefetchDistance = t.prefetchDistance;
  constexpr int kPrefetchLines = (V * 8 + 15) / 16;  // 64-byte lines per row of B
  for (int64_t k = 0; k < t.kc; ++k) {
    if (prefetchDistance != 0) {
#pragma GCC unroll 4
      for (int l = 0; l < kPrefetchLines; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(b + prefetchDistance + l * 16), _MM_HINT_T0);
    }
    const int64_t off = koff[k];
    __m256 bv[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v)
      bv[v] = (Masked && v == V - 1) ? _mm256_maskload_ps(b + v * 8, lastMask) : _mm256_loadu_ps(b + v * 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 a = _mm256_broadcast_ss(rows[r] + off);
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(a, bv[v], acc[r][v]);
    }
    b += ldb;
  }

  const __m256 zero = _mm256_setzero_ps();
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      const bool edge = Masked && v == V - 1;
      __m256 x = acc[r][v];
      if (t.accumulate)
        x = _mm256_add_ps(x, edge ? _mm256_maskload_ps(c + v * 8, lastMask) : _mm256_loadu_ps(c + v * 8));
      if (t.biasRow != nullptr) x = _mm256_add_ps(x, _mm256_set1_ps(t.biasRow[r]));
      if (t.biasCol != nullptr)
        x = _mm256_add_ps(x,
                          edge ? _mm256_maskload_ps(t.biasCol + v * 8, lastMask) : _mm256_loadu_ps(t.biasCol + v * 8));
      // max(0, x) returns x when x is NaN or −0, as torch.relu does.
      if (t.relu) x = _mm256_max_ps(zero, x);
      if (edge)
        _mm256_maskstore_ps(c + v * 8, lastMask, x);
      else if (t.stream)
        _mm256_stream_ps(c + v * 8, x);
      else
        _mm256_storeu_ps(c + v * 8, x);
    }
  }
}

using TileFn = void (*)(const TileArgs&);

template <int R>
struct RowTable {
  static constexpr TileFn full[kVecs] = {&tile<R, 1, false>, &tile<R, 2, false>};
  static constexpr TileFn masked[kVecs] = {&tile<R, 1, true>, &tile<R, 2, true>};
};

void tileDispatch(const TileArgs& t) {
  static const TileFn* const full[kMr] = {RowTable<1>::full, RowTable<2>::full, RowTable<3>::full,
                                          RowTable<4>::full, RowTable<5>::full, RowTable<6>::full};
  static const TileFn* const masked[kMr] = {RowTable<1>::masked, RowTable<2>::masked, RowTable<3>::masked,
                                            RowTable<4>::masked, RowTable<5>::masked, RowTable<6>::masked};
  const int vecs = (t.nr + 7) / 8;
  const bool edge = (t.nr & 7) != 0;
  (edge ? masked : full)[t.mr - 1][vecs - 1](t);
}

// ---- dot tiles: vectorised along k, for products with few rows ----

constexpr int kDotMb = 4;
constexpr int kDotNb = 3;

ALEXNET_AVX2 inline float horizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

template <int MB, int NB>
ALEXNET_AVX2 void dot(const DotArgs& d) {
  __m256 acc[MB][NB];
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[i][j] = _mm256_setzero_ps();
  const float* a[MB];
  const float* b[NB];
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i) a[i] = d.a[i];
#pragma GCC unroll 4
  for (int j = 0; j < NB; ++j) b[j] = d.b[j];

  int64_t k = 0;
  for (; k + 8 <= d.k; k += 8) {
    __m256 av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = _mm256_loadu_ps(a[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const __m256 bv = _mm256_loadu_ps(b[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  if (k < d.k) {
    const __m256i m = firstLanes(static_cast<int>(d.k - k));
    __m256 av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = _mm256_maskload_ps(a[i] + k, m);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const __m256 bv = _mm256_maskload_ps(b[j] + k, m);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm256_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      float s = horizontalSum(acc[i][j]);
      float* o = d.out + i * d.ldo + j;
      *o = d.accumulate ? *o + s : s;
    }
}

using DotFn = void (*)(const DotArgs&);

template <int MB>
struct DotRow {
  static constexpr DotFn fns[kDotNb] = {&dot<MB, 1>, &dot<MB, 2>, &dot<MB, 3>};
};

void dotDispatch(const DotArgs& d) {
  static const DotFn* const table[kDotMb] = {DotRow<1>::fns, DotRow<2>::fns, DotRow<3>::fns, DotRow<4>::fns};
  table[d.mb - 1][d.nb - 1](d);
}

ALEXNET_AVX2 void winogradInput(winograd::Kind kind, const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW,
                                int64_t t0, int64_t t1, float* V, int64_t xiStride) {
  winograd::inputTransformOf<8>(kind, hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}

ALEXNET_AVX2 void winogradOutput(winograd::Kind kind, const float* M, int64_t xiStride, int64_t ldm, int64_t O,
                                 const float* bias, bool relu, int64_t tilesW, int64_t t0, int64_t t1, int64_t OH,
                                 int64_t OW, float* out) {
  winograd::outputTransformOf<8>(kind, M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}

ALEXNET_AVX2 void maxPoolPlaneKernel(const PoolPlaneGeom& g, const float* x, float* out, int32_t* argmax,
                                     float* scratch) {
  maxPoolPlane(g, x, out, argmax, scratch);
}

ALEXNET_AVX2 void winogradGradOutput(int r, const float* hwc, int64_t rowStride, int64_t O, int64_t tilesW, int64_t t0,
                                     int64_t t1, float* yhat, int64_t xiStride) {
  winograd::gradOutputTransformOf<8>(r, hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
}

ALEXNET_AVX2 void sparseRows(const SparseRowsArgs& args) { sparse::sparseRowsOf<8>(args); }

}  // namespace

const KernelSet& avx2Kernels() {
  static const KernelSet set{SimdLevel::Avx2,
                             kMr,
                             kVecs * 8,
                             8,
                             1,
                             {{kMr, kVecs * 8}, {kMr, kVecs * 8}},
                             0,
                             nullptr,
                             kDotMb,
                             kDotNb,
                             &tileDispatch,
                             &dotDispatch,
                             &winogradInput,
                             &winogradOutput,
                             &sparseRows,
                             &winogradGradOutput,
                             &maxPoolPlaneKernel,
                             &toHwcBlockScalar,
                             WinogradSplit::Panels,
                             false};
  return set;
}

}  // namespace alexnet

#endif  // ALEXNET_X86
