// AVX-512 micro-kernels: 8 rows × 48 columns or 6 rows × 64 columns (24 zmm
// accumulators either way), so each k step is 3-4 vector loads of B, 6-8
// broadcasts of A and 24 FMAs. Smaller tiles for the edges come from the same
// template; a partial last vector uses masked loads and stores.
#include "arch.h"
#include "tile_kernel.h"
#include "winograd_transforms.h"

#if ALEXNET_X86
#include "simd_intrinsics.h"

#define ALEXNET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace alexnet {

namespace {

constexpr int kMr = 8;
constexpr int kVecs = 3;  // 3 × 16 = 48 columns
// Rows of a narrow tile: 16 accumulators.
constexpr int kNarrowRows = 16;

template <int R, int V, bool Masked>
ALEXNET_AVX512 void tile(const TileArgs& t) {
  __m512 acc[R][V];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();

  const float* rows[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) rows[r] = t.rows[r];
  const __mmask16 lastMask =
      Masked ? static_cast<__mmask16>((1u << (t.nr - (V - 1) * 16)) - 1) : static_cast<__mmask16>(0xFFFF);

  const int64_t* koff = t.koff;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
  const int64_t prefetchDistance = t.prefetchDistance;
  const int64_t bVec = t.bVec != 0 ? t.bVec : 16;  // one 64-byte line per vector of a row of B
  for (int64_t k = 0; k < t.kc; ++k) {
    if (prefetchDistance != 0) {
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v)
        _mm_prefetch(reinterpret_cast<const char*>(b + prefetchDistance + v * bVec), _MM_HINT_T1);
    }
    const int64_t off = koff[k];
    __m512 bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v)
      bv[v] = (Masked && v == V - 1) ? _mm512_maskz_loadu_ps(lastMask, b + v * bVec) : _mm512_loadu_ps(b + v * bVec);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(rows[r][off]);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(a, bv[v], acc[r][v]);
    }
    b += ldb;
  }

  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const bool edge = Masked && v == V - 1;
      const __mmask16 m = edge ? lastMask : static_cast<__mmask16>(0xFFFF);
      __m512 x = acc[r][v];
      if (t.accumulate) x = _mm512_add_ps(x, edge ? _mm512_maskz_loadu_ps(m, c + v * 16) : _mm512_loadu_ps(c + v * 16));
      if (t.biasRow != nullptr) x = _mm512_add_ps(x, _mm512_set1_ps(t.biasRow[r]));
      if (t.biasCol != nullptr)
        x = _mm512_add_ps(x, edge ? _mm512_maskz_loadu_ps(m, t.biasCol + v * 16) : _mm512_loadu_ps(t.biasCol + v * 16));
      // max(0, x) returns x when x is NaN or −0, as torch.relu does.
      if (t.relu) x = _mm512_max_ps(zero, x);
      if (edge)
        _mm512_mask_storeu_ps(c + v * 16, m, x);
      else if (t.stream)
        _mm512_stream_ps(c + v * 16, x);
      else
        _mm512_storeu_ps(c + v * 16, x);
    }
  }
}

using TileFn = void (*)(const TileArgs&);
using NarrowTileFn = void (*)(const NarrowTileArgs&);

// Dispatch table over (rows, vectors, masked last vector). Shapes: up to 8 rows
// of 3 vectors (8×48) or 6 rows of 4 vectors (6×64): 24 accumulators either way.
template <int R, int V>
constexpr TileFn entry(bool masked) {
  if constexpr (R * V <= 24) return masked ? &tile<R, V, true> : &tile<R, V, false>;
  return nullptr;
}

template <int R>
struct RowTable {
  static constexpr TileFn full[4] = {entry<R, 1>(false), entry<R, 2>(false), entry<R, 3>(false), entry<R, 4>(false)};
  static constexpr TileFn masked[4] = {entry<R, 1>(true), entry<R, 2>(true), entry<R, 3>(true), entry<R, 4>(true)};
};

void tileDispatch(const TileArgs& t) {
  static const TileFn* const full[kMr] = {RowTable<1>::full, RowTable<2>::full, RowTable<3>::full, RowTable<4>::full,
                                          RowTable<5>::full, RowTable<6>::full, RowTable<7>::full, RowTable<8>::full};
  static const TileFn* const masked[kMr] = {RowTable<1>::masked, RowTable<2>::masked, RowTable<3>::masked,
                                            RowTable<4>::masked, RowTable<5>::masked, RowTable<6>::masked,
                                            RowTable<7>::masked, RowTable<8>::masked};
  const int vecs = (t.nr + 15) / 16;
  const bool edge = (t.nr & 15) != 0;
  (edge ? masked : full)[t.mr - 1][vecs - 1](t);
}

// ---- narrow tiles: one vector of columns, up to 16 rows of strided A ----

template <int R, bool Masked>
ALEXNET_AVX512 void narrowTile(const NarrowTileArgs& t) {
  __m512 acc[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
  const __mmask16 mask = Masked ? static_cast<__mmask16>((1u << t.nr) - 1) : static_cast<__mmask16>(0xFFFF);
  // Sixteen row pointers would not fit the 15 free general registers, so
  // every third row gets one and the two after it are addressed from it with
  // a scaled stride: each broadcast is a memory operand of its FMA.
  constexpr int kBases = (R + 2) / 3;
  const int64_t lda = t.lda;
  const float* base[kBases];
#pragma GCC unroll 6
  for (int j = 0; j < kBases; ++j) base[j] = t.a + 3 * j * lda;
  const float* b = t.b;
  for (int64_t k = 0; k < t.kc; ++k) {
    if (t.prefetchDistance != 0) _mm_prefetch(reinterpret_cast<const char*>(b + t.prefetchDistance), _MM_HINT_T1);
    const __m512 bv = Masked ? _mm512_maskz_loadu_ps(mask, b) : _mm512_loadu_ps(b);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(base[r / 3][(r % 3) * lda]), bv, acc[r]);
#pragma GCC unroll 6
    for (int j = 0; j < kBases; ++j) ++base[j];
    b += t.ldb;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    if (Masked)
      _mm512_mask_storeu_ps(t.c + r * t.ldc, mask, acc[r]);
    else
      _mm512_storeu_ps(t.c + r * t.ldc, acc[r]);
  }
}

template <int... R>
struct NarrowTable {
  static constexpr NarrowTileFn full[sizeof...(R)] = {&narrowTile<R, false>...};
  static constexpr NarrowTileFn masked[sizeof...(R)] = {&narrowTile<R, true>...};
};
using NarrowTiles = NarrowTable<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>;

void narrowTileDispatch(const NarrowTileArgs& t) {
  (t.nr == 16 ? NarrowTiles::full : NarrowTiles::masked)[t.mr - 1](t);
}

// ---- dot tiles: vectorised along k, for products with few rows ----

constexpr int kDotMb = 4;
constexpr int kDotNb = 4;
// Floats ahead of each row of B that a dot tile prefetches: B rows streamed
// from memory (a linear layer at batch 1) read ~10% faster with a software
// prefetch 2 KB ahead than with the hardware prefetchers alone (Zen 5).
constexpr int64_t kDotPrefetch = 512;

template <int MB, int NB>
ALEXNET_AVX512 void dot(const DotArgs& d) {
  __m512 acc[MB][NB];
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_setzero_ps();
  const float* a[MB];
  const float* b[NB];
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i) a[i] = d.a[i];
#pragma GCC unroll 4
  for (int j = 0; j < NB; ++j) b[j] = d.b[j];

  int64_t k = 0;
  for (; k + 16 <= d.k; k += 16) {
    __m512 av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = _mm512_loadu_ps(a[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(b[j] + k + kDotPrefetch), _MM_HINT_T0);
      const __m512 bv = _mm512_loadu_ps(b[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm512_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
  if (k < d.k) {
    const __mmask16 m = static_cast<__mmask16>((1u << (d.k - k)) - 1);
    __m512 av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = _mm512_maskz_loadu_ps(m, a[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const __m512 bv = _mm512_maskz_loadu_ps(m, b[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm512_fmadd_ps(av[i], bv, acc[i][j]);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      float s = _mm512_reduce_add_ps(acc[i][j]);
      float* o = d.out + i * d.ldo + j;
      *o = d.accumulate ? *o + s : s;
    }
}

using DotFn = void (*)(const DotArgs&);

template <int MB>
struct DotRow {
  static constexpr DotFn fns[kDotNb] = {&dot<MB, 1>, &dot<MB, 2>, &dot<MB, 3>, &dot<MB, 4>};
};

void dotDispatch(const DotArgs& d) {
  static const DotFn* const table[kDotMb] = {DotRow<1>::fns, DotRow<2>::fns, DotRow<3>::fns, DotRow<4>::fns};
  table[d.mb - 1][d.nb - 1](d);
}

ALEXNET_AVX512 void winogradInput(winograd::Kind kind, const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW,
                                  int64_t t0, int64_t t1, float* V, int64_t xiStride) {
  winograd::inputTransformOf<16>(kind, hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}

ALEXNET_AVX512 void winogradOutput(winograd::Kind kind, const float* M, int64_t xiStride, int64_t ldm, int64_t O,
                                   const float* bias, bool relu, int64_t tilesW, int64_t t0, int64_t t1, int64_t OH,
                                   int64_t OW, float* out) {
  winograd::outputTransformOf<16>(kind, M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}

ALEXNET_AVX512 void maxPoolPlaneKernel(const PoolPlaneGeom& g, const float* x, float* out, int32_t* argmax,
                                       float* scratch) {
  maxPoolPlane(g, x, out, argmax, scratch);
}

// The 16 × 16 block transposed in registers: 32-bit then 64-bit interleaves
// within 128-bit lanes, then two rounds of lane shuffles. After the second
// round, register u[4k + j] holds in lane L pixel 4L + j of channels
// 4k..4k+3; pixel 4L + j gathers lane L of u[j], u[4 + j], u[8 + j], u[12 + j].
ALEXNET_AVX512 void toHwcBlock(const float* src, int64_t planeStride, int64_t channels, int64_t pixels, float* dst,
                               int64_t dstStride) {
  const __mmask16 pixelMask = static_cast<__mmask16>((1u << pixels) - 1);
  const __mmask16 channelMask = static_cast<__mmask16>((1u << channels) - 1);
  __m512 r[16];
#pragma GCC unroll 16
  for (int c = 0; c < 16; ++c)
    r[c] = c < channels ? _mm512_maskz_loadu_ps(pixelMask, src + c * planeStride) : _mm512_setzero_ps();
  __m512 t[16];
#pragma GCC unroll 8
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(r[2 * k], r[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(r[2 * k], r[2 * k + 1]);
  }
  __m512 u[16];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m512d a = _mm512_castps_pd(t[4 * k]), b = _mm512_castps_pd(t[4 * k + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * k + 2]), d = _mm512_castps_pd(t[4 * k + 3]);
    u[4 * k] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[4 * k + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[4 * k + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[4 * k + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    // Lanes (0, 2) and (1, 3) of channels 0-7, then of channels 8-15.
    const __m512 even0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88), odd0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);
    const __m512 even1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);
    const __m512 odd1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
    const __m512 pixel[4] = {_mm512_shuffle_f32x4(even0, even1, 0x88), _mm512_shuffle_f32x4(odd0, odd1, 0x88),
                             _mm512_shuffle_f32x4(even0, even1, 0xDD), _mm512_shuffle_f32x4(odd0, odd1, 0xDD)};
#pragma GCC unroll 4
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t p = 4 * lane + j;
      if (p < pixels) _mm512_mask_storeu_ps(dst + p * dstStride, channelMask, pixel[lane]);
    }
  }
}

ALEXNET_AVX512 void winogradGradOutput(int r, const float* hwc, int64_t rowStride, int64_t O, int64_t tilesW,
                                       int64_t t0, int64_t t1, float* yhat, int64_t xiStride) {
  winograd::gradOutputTransformOf<16>(r, hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
}

ALEXNET_AVX512 void sparseRows(const SparseRowsArgs& args) { sparse::sparseRowsOf<16>(args); }

}  // namespace

const KernelSet& avx512Kernels() {
  static const KernelSet set{SimdLevel::Avx512,
                             kMr,
                             kVecs * 16,
                             16,
                             2,
                             {{kMr, kVecs * 16}, {6, 64}},
                             kNarrowRows,
                             &narrowTileDispatch,
                             kDotMb,
                             kDotNb,
                             &tileDispatch,
                             &dotDispatch,
                             &winogradInput,
                             &winogradOutput,
                             &sparseRows,
                             &winogradGradOutput,
                             &maxPoolPlaneKernel,
                             &toHwcBlock,
                             WinogradSplit::Panels,
                             false};
  return set;
}

}  // namespace alexnet

#endif  // ALEXNET_X86
