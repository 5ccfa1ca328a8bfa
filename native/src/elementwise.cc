#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "arch.h"
#include "cpu_dispatch.h"
#include "ops.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

// Below this many elements a loop is not worth waking the pool for.
constexpr int64_t kParallelGrain = 1 << 16;

template <typename Body>
void forChunks(int64_t n, Body body) {
  if (n < 2 * kParallelGrain) {
    body(0, n);
    return;
  }
  const int64_t chunks = (n + kParallelGrain - 1) / kParallelGrain;
  parallelForStatic(chunks, [&](int64_t begin, int64_t end, int) {
    body(begin * kParallelGrain, std::min(n, end * kParallelGrain));
  });
}

}  // namespace

void addArrays(const float* a, const float* b, float* out, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = a[i] + b[i];
  });
}

void subArrays(const float* a, const float* b, float* out, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = a[i] - b[i];
  });
}

void mulArrays(const float* a, const float* b, float* out, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = a[i] * b[i];
  });
}

void divArrays(const float* a, const float* b, float* out, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = a[i] / b[i];
  });
}

void scaleArray(const float* a, float s, float* out, int64_t n) {
  forChunks(n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = a[i] * s;
  });
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) y[i] += alpha * x[i];
  });
}

double sumArray(const float* a, int64_t n) {
  // Chunk sums in float64, combined in a fixed order: the result does not
  // depend on the number of threads.
  const int64_t chunks = (n + kParallelGrain - 1) / kParallelGrain;
  std::vector<double> partial(chunks, 0.0);
  auto body = [&](int64_t begin, int64_t end, int) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t s = c * kParallelGrain, e = std::min(n, s + kParallelGrain);
      double acc[4] = {0, 0, 0, 0};
      int64_t i = s;
      for (; i + 4 <= e; i += 4)
        for (int l = 0; l < 4; ++l) acc[l] += a[i + l];
      for (; i < e; ++i) acc[0] += a[i];
      partial[c] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
  };
  if (chunks > 1)
    parallelForStatic(chunks, body);
  else
    body(0, chunks, 0);
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

void reluForward(const float* x, float* out, int64_t n) {
  // torch.relu: values below zero become 0; NaN and −0 pass through.
  forChunks(n, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = x[i] < 0.0f ? 0.0f : x[i];
  });
}

void reluBackward(const float* gradOut, const float* y, float* gradIn, int64_t n) {
  forChunks(n, [&](int64_t s, int64_t e) {
    // gradOut is read for every element, not only where y > 0: a load made
    // conditional by the ternary kept the loop scalar with a branch per
    // element, which half-zero ReLU outputs mispredict (over 10x slower).
    for (int64_t i = s; i < e; ++i) {
      const float g = gradOut[i];
      gradIn[i] = y[i] <= 0.0f ? 0.0f : g;  // torch's threshold_backward: a NaN output passes the gradient
    }
  });
}

namespace {

struct SgdScalars {
  float lr, momentum, keep, decay;
};

// a + α·b rounded to float32 once, as torch's add(b, alpha=α) computes it
// (vec::fmadd); rounding the product first differed by an ulp on 1-3% of
// the values. Two ways to the same bits: the FMA instruction, where the CPU
// has it (compiled for it below, chosen at run time), else double arithmetic
// (the product of two floats is exact in double; the sum rounded from double
// to float gave torch's bits on every element measured), which vectorises
// on any x86-64 but ran the AlexNet update in 70 ms against 30 (Sapphire
// Rapids), where std::fmaf without FMA hardware would be a library call.
struct AddScaledDouble {
  __attribute__((always_inline)) float operator()(float a, float alpha, float b) const {
    return static_cast<float>(static_cast<double>(a) + static_cast<double>(alpha) * static_cast<double>(b));
  }
};
struct AddScaledFma {
  __attribute__((always_inline)) float operator()(float a, float alpha, float b) const {
    return __builtin_fmaf(alpha, b, a);
  }
};

// One element range of torch.optim.SGD's update, its options fixed at
// compile time so that each of the 16 versions is a branch-free loop the
// compiler vectorizes (with the options tested per element it stayed scalar,
// at half the memory bandwidth). The steps as torch 1.13 takes them:
// d = d + wd·p; buf = buf·m (rounded), then + (1 − dampening)·d;
// d = d + m·buf (Nesterov); p = p + (−lr)·d.
template <bool kDecay, bool kMomentum, bool kFirstStep, bool kNesterov, class AddScaled>
__attribute__((always_inline)) inline void sgdLoop(SgdScalars k, float* param, const float* grad, float* buf, int64_t s,
                                                   int64_t e) {
  const AddScaled addScaled;
  for (int64_t i = s; i < e; ++i) {
    float d = grad[i];
    if constexpr (kDecay) d = addScaled(d, k.decay, param[i]);
    if constexpr (kMomentum) {
      const float b = kFirstStep ? d : addScaled(buf[i] * k.momentum, k.keep, d);
      buf[i] = b;
      d = kNesterov ? addScaled(d, k.momentum, b) : b;
    }
    param[i] = addScaled(param[i], -k.lr, d);
  }
}

template <bool kDecay, bool kMomentum, bool kFirstStep, bool kNesterov>
void sgdRange(SgdScalars k, float* param, const float* grad, float* buf, int64_t s, int64_t e) {
  sgdLoop<kDecay, kMomentum, kFirstStep, kNesterov, AddScaledDouble>(k, param, grad, buf, s, e);
}

#if ALEXNET_X86
template <bool kDecay, bool kMomentum, bool kFirstStep, bool kNesterov>
__attribute__((target("avx2,fma"))) void sgdRangeFma(SgdScalars k, float* param, const float* grad, float* buf,
                                                     int64_t s, int64_t e) {
  sgdLoop<kDecay, kMomentum, kFirstStep, kNesterov, AddScaledFma>(k, param, grad, buf, s, e);
}
#endif

using SgdRange = void (*)(SgdScalars, float*, const float*, float*, int64_t, int64_t);

template <int kIndex, bool kFma>
constexpr SgdRange sgdRangeFor() {
#if ALEXNET_X86
  if constexpr (kFma) return sgdRangeFma<(kIndex & 1) != 0, (kIndex & 2) != 0, (kIndex & 4) != 0, (kIndex & 8) != 0>;
#endif
  return sgdRange<(kIndex & 1) != 0, (kIndex & 2) != 0, (kIndex & 4) != 0, (kIndex & 8) != 0>;
}

template <bool kFma, int... kIndex>
constexpr std::array<SgdRange, sizeof...(kIndex)> sgdRanges(std::integer_sequence<int, kIndex...>) {
  return {sgdRangeFor<kIndex, kFma>()...};
}

}  // namespace

void sgdStep(const SgdParams& h, float* param, const float* grad, float* buf, int64_t n) {
  static constexpr auto kDoubleRanges = sgdRanges<false>(std::make_integer_sequence<int, 16>());
  static constexpr auto kFmaRanges = sgdRanges<true>(std::make_integer_sequence<int, 16>());
  // The FMA form at the AVX2 and AVX-512 levels (every CPU there has FMA); ALEXNET_SIMD=generic takes the other.
  const SimdLevel level = currentSimd();
  const auto& kRanges = (level == SimdLevel::Avx2 || level == SimdLevel::Avx512) ? kFmaRanges : kDoubleRanges;
  const int index =
      (h.weightDecay != 0.0f ? 1 : 0) | (h.momentum != 0.0f ? 2 : 0) | (h.firstStep ? 4 : 0) | (h.nesterov ? 8 : 0);
  const SgdRange range = kRanges[index];
  const SgdScalars k{h.lr, h.momentum, 1.0f - h.dampening, h.weightDecay};
  forChunks(n, [=](int64_t s, int64_t e) { range(k, param, grad, buf, s, e); });
}

}  // namespace alexnet
