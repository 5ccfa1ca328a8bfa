#include "peak.h"
#include "arch.h"

#include <atomic>
#include <chrono>

#include "thread_pool.h"

#if ALEXNET_X86
#include "simd_intrinsics.h"
#endif

namespace alexnet {

namespace {

constexpr long kInner = 1 << 16;

// Each function runs `rounds` × kInner steps of 12 independent FMA chains and
// returns a value that depends on all of them (so nothing is optimised away).
#if ALEXNET_X86
__attribute__((target("avx512f"))) float chains512(long rounds) {
  // Distinct starting values: identical chains would be merged by the compiler.
  __m512 a0 = _mm512_set1_ps(0.f), a1 = _mm512_set1_ps(1.f), a2 = _mm512_set1_ps(2.f), a3 = _mm512_set1_ps(3.f),
         a4 = _mm512_set1_ps(4.f), a5 = _mm512_set1_ps(5.f), a6 = _mm512_set1_ps(6.f), a7 = _mm512_set1_ps(7.f),
         a8 = _mm512_set1_ps(8.f), a9 = _mm512_set1_ps(9.f), a10 = _mm512_set1_ps(10.f), a11 = _mm512_set1_ps(11.f);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long r = 0; r < rounds * kInner; ++r) {
    a0 = _mm512_fmadd_ps(a0, m, c);
    a1 = _mm512_fmadd_ps(a1, m, c);
    a2 = _mm512_fmadd_ps(a2, m, c);
    a3 = _mm512_fmadd_ps(a3, m, c);
    a4 = _mm512_fmadd_ps(a4, m, c);
    a5 = _mm512_fmadd_ps(a5, m, c);
    a6 = _mm512_fmadd_ps(a6, m, c);
    a7 = _mm512_fmadd_ps(a7, m, c);
    a8 = _mm512_fmadd_ps(a8, m, c);
    a9 = _mm512_fmadd_ps(a9, m, c);
    a10 = _mm512_fmadd_ps(a10, m, c);
    a11 = _mm512_fmadd_ps(a11, m, c);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float chains256(long rounds) {
  __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f), a3 = _mm256_set1_ps(3.f),
         a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f), a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f),
         a8 = _mm256_set1_ps(8.f), a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long r = 0; r < rounds * kInner; ++r) {
    a0 = _mm256_fmadd_ps(a0, m, c);
    a1 = _mm256_fmadd_ps(a1, m, c);
    a2 = _mm256_fmadd_ps(a2, m, c);
    a3 = _mm256_fmadd_ps(a3, m, c);
    a4 = _mm256_fmadd_ps(a4, m, c);
    a5 = _mm256_fmadd_ps(a5, m, c);
    a6 = _mm256_fmadd_ps(a6, m, c);
    a7 = _mm256_fmadd_ps(a7, m, c);
    a8 = _mm256_fmadd_ps(a8, m, c);
    a9 = _mm256_fmadd_ps(a9, m, c);
    a10 = _mm256_fmadd_ps(a10, m, c);
    a11 = _mm256_fmadd_ps(a11, m, c);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
  s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  return lanes[0] + lanes[7];
}
#endif

float chainsGeneric(long rounds) {
  float a[12][4];
  for (int i = 0; i < 12; ++i)
    for (int l = 0; l < 4; ++l) a[i][l] = static_cast<float>(i * 4 + l);
  for (long r = 0; r < rounds * kInner; ++r)
    for (auto& chain : a)
      for (float& v : chain) v = v * 0.999999f + 1e-7f;
  float s = 0;
  for (auto& chain : a) s += chain[0] + chain[3];
  return s;
}

// Floats per FMA step of each function (12 chains × lanes).
double floatsPerStep(SimdLevel level) {
  return level == SimdLevel::Avx512 ? 12 * 16 : level == SimdLevel::Avx2 ? 12 * 8 : 12 * 4;
}

float runChains(SimdLevel level, long rounds) {
#if ALEXNET_X86
  if (level == SimdLevel::Avx512) return chains512(rounds);
  if (level == SimdLevel::Avx2) return chains256(rounds);
#endif
  return chainsGeneric(rounds);
}

}  // namespace

double measurePeakGflops(SimdLevel level, double seconds) {
  // Calibrate the rounds on one thread, then run them on every thread at once.
  long rounds = 1;
  double elapsed = 0;
  volatile float sink = 0;
  for (;;) {
    auto t0 = std::chrono::steady_clock::now();
    sink = sink + runChains(level, rounds);
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed > seconds / 8 || rounds > (1L << 30)) break;
    rounds *= 2;
  }
  rounds = static_cast<long>(rounds * (seconds / elapsed)) + 1;
  const int threads = poolThreads();
  std::atomic<double> total{0};
  parallelForStatic(threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      auto t0 = std::chrono::steady_clock::now();
      float v = runChains(level, rounds);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      sink = sink + v;
      double rate = 2.0 * floatsPerStep(level) * static_cast<double>(rounds) * kInner / s / 1e9;
      double cur = total.load();
      while (!total.compare_exchange_weak(cur, cur + rate)) {
      }
    }
  });
  return total.load();
}

}  // namespace alexnet
