// AVX512-BF16 micro-kernels (Zen 4, Cooper Lake, Sapphire Rapids and later):
// vdpbf16ps multiplies 16 pairs of bf16 and adds both products to 16 fp32
// accumulators, so one instruction does the work of two fp32 FMAs. The tile
// shapes mirror the fp32 AVX-512 kernels (24 accumulators: 8×48, 6×64, 12×32);
// the vector side is always a zero-padded panel, so only stores need masks.
#include "arch.h"
#include "bf16.h"

#if ALEXNET_X86
#include "simd_intrinsics.h"

#define ALEXNET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

namespace alexnet {

namespace {

template <int R, int V, bool Masked>
ALEXNET_BF16 void tile(const Bf16TileArgs& t) {
  __m512 acc[R][V];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
  const uint32_t* rows[R];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) rows[r] = t.a + r * t.lda;

  const bf16* b = t.b;
  const int64_t step = t.ldb * 2;
  for (int64_t kk = 0; kk < t.kp; ++kk) {
    __m512bh bv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + v * 32);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(rows[r][kk]));
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], a, bv[v]);
    }
    b += step;
  }

  const __mmask16 lastMask =
      Masked ? static_cast<__mmask16>((1u << (t.nr - (V - 1) * 16)) - 1) : static_cast<__mmask16>(0xFFFF);
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      const bool edge = Masked && v == V - 1;
      const __mmask16 m = edge ? lastMask : static_cast<__mmask16>(0xFFFF);
      __m512 x = acc[r][v];
      if (t.accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, c + v * 16));
      if (t.biasRow != nullptr) x = _mm512_add_ps(x, _mm512_set1_ps(t.biasRow[r]));
      if (t.biasCol != nullptr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, t.biasCol + v * 16));
      // max(0, x) returns x when x is NaN or −0, as torch.relu does.
      if (t.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(c + v * 16, m, x);
    }
  }
}

using TileFn = void (*)(const Bf16TileArgs&);
constexpr int kMaxRows = 12;

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

void tileDispatch(const Bf16TileArgs& t) {
  static const TileFn* const full[kMaxRows] = {RowTable<1>::full,  RowTable<2>::full,  RowTable<3>::full,
                                               RowTable<4>::full,  RowTable<5>::full,  RowTable<6>::full,
                                               RowTable<7>::full,  RowTable<8>::full,  RowTable<9>::full,
                                               RowTable<10>::full, RowTable<11>::full, RowTable<12>::full};
  static const TileFn* const masked[kMaxRows] = {RowTable<1>::masked,  RowTable<2>::masked,  RowTable<3>::masked,
                                                 RowTable<4>::masked,  RowTable<5>::masked,  RowTable<6>::masked,
                                                 RowTable<7>::masked,  RowTable<8>::masked,  RowTable<9>::masked,
                                                 RowTable<10>::masked, RowTable<11>::masked, RowTable<12>::masked};
  const int vecs = (t.nr + 15) / 16;
  const bool edge = (t.nr & 15) != 0;
  (edge ? masked : full)[t.mr - 1][vecs - 1](t);
}

// ---- dot tiles (vectorised along k) for products with few rows ----

constexpr int kDotMb = 4;
constexpr int kDotNb = 4;

template <int MB, int NB>
ALEXNET_BF16 void dot(const Bf16DotArgs& d) {
  __m512 acc[MB][NB];
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= d.k; k += 32) {
    __m512bh av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = (__m512bh)_mm512_loadu_si512(d.a[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const __m512bh bv = (__m512bh)_mm512_loadu_si512(d.b[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], av[i], bv);
    }
  }
  if (k < d.k) {
    const __mmask32 m = static_cast<__mmask32>((1ull << (d.k - k)) - 1);
    __m512bh av[MB];
#pragma GCC unroll 4
    for (int i = 0; i < MB; ++i) av[i] = (__m512bh)_mm512_maskz_loadu_epi16(m, d.a[i] + k);
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const __m512bh bv = (__m512bh)_mm512_maskz_loadu_epi16(m, d.b[j] + k);
#pragma GCC unroll 4
      for (int i = 0; i < MB; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], av[i], bv);
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < MB; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NB; ++j) {
      const float s = _mm512_reduce_add_ps(acc[i][j]);
      float* o = d.out + i * d.ldo + j;
      *o = d.accumulate ? *o + s : s;
    }
}

using DotFn = void (*)(const Bf16DotArgs&);

template <int MB>
struct DotRow {
  static constexpr DotFn fns[kDotNb] = {&dot<MB, 1>, &dot<MB, 2>, &dot<MB, 3>, &dot<MB, 4>};
};

void dotDispatch(const Bf16DotArgs& d) {
  static const DotFn* const table[kDotMb] = {DotRow<1>::fns, DotRow<2>::fns, DotRow<3>::fns, DotRow<4>::fns};
  table[d.mb - 1][d.nb - 1](d);
}

ALEXNET_BF16 void convert(const float* src, bf16* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    // cvtne2ps2bf16 puts its first operand in the upper half.
    const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
    _mm512_storeu_si512(dst + i, (__m512i)v);
  }
  for (; i < n; i += 16) {
    const int64_t left = n - i < 16 ? n - i : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << left) - 1);
    const __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
    _mm256_mask_storeu_epi16(dst + i, m, (__m256i)v);
  }
}

ALEXNET_BF16 void gatherRuns(const float* const* pixels, int count, const int64_t* runStart, int64_t runs, int64_t run,
                             bf16* dst, int64_t ldd) {
  const int64_t K = runs * run;
  for (int p = 0; p < count; ++p) {
    const float* src = pixels[p];
    bf16* row = dst + p * ldd;
    for (int64_t i = 0; i < runs; ++i) {
      const float* s = src + runStart[i];
      bf16* d = row + i * run;
      for (int64_t j = 0; j < run; j += 16) {
        const int64_t left = run - j < 16 ? run - j : 16;
        const __mmask16 m = static_cast<__mmask16>((1u << left) - 1);
        const __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, s + j));
        _mm256_mask_storeu_epi16(d + j, m, (__m256i)v);
      }
    }
    for (int64_t k = K; k < ldd; ++k) row[k] = 0;
  }
}

ALEXNET_BF16 void interleavePairs(const float* a, const float* b, int64_t n, bf16* dst) {
  // cvtne2ps2bf16 gives b's 16 values above a's; the permutation interleaves them.
  alignas(64) static const uint16_t order[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i index = _mm512_load_si512(order);
  for (int64_t i = 0; i < n; i += 16) {
    const int64_t left = n - i < 16 ? n - i : 16;
    const __mmask16 m = static_cast<__mmask16>(left == 16 ? 0xFFFF : (1u << left) - 1);
    const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(m, b + i), _mm512_maskz_loadu_ps(m, a + i));
    const __m512i pairs = _mm512_permutexvar_epi16(index, (__m512i)v);
    const __mmask32 m2 = left == 16 ? 0xFFFFFFFFu : static_cast<__mmask32>((1ull << (2 * left)) - 1);
    _mm512_mask_storeu_epi16(dst + 2 * i, m2, pairs);
  }
}

}  // namespace

const Bf16Kernels& avx512Bf16Kernels() {
  static const Bf16Kernels set{"avx512_bf16",
                               1,
                               3,
                               {{8, 48}, {6, 64}, {12, 32}},
                               kDotMb,
                               kDotNb,
                               &tileDispatch,
                               &dotDispatch,
                               &convert,
                               &gatherRuns,
                               &interleavePairs,
                               nullptr};
  return set;
}

}  // namespace alexnet

#endif  // ALEXNET_X86
