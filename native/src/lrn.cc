// Local response normalisation across channels, as torch.nn.LocalResponseNorm:
//   scale[c] = k + α/n · Σ_{c' = c − ⌊n/2⌋ … c + ⌊(n−1)/2⌋} x[c']²   (out-of-range channels count as 0)
//   out[c]   = x[c] · scale[c]^(−β)
// Backward, with the window W(c) above:
//   gradIn[j] = gradOut[j] · scale[j]^(−β)
//               − 2αβ/n · x[j] · Σ_{c : j ∈ W(c)} gradOut[c] · out[c] / scale[c]
#include <cmath>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

// scale^(−β) in double. AlexNet's β = 0.75 (and 0.5, 1) are written with
// square roots, which vectorise (pow does not): s^−0.75 = 1 / (√s · √√s),
// within a few 1e-16 of pow, so the float results are the same.
template <int Beta4>  // 4β: 3, 2, 4; 0 means any β through pow
void scaleOutputs(const double* sumSq, int64_t S, double k, double alphaOverN, double beta, const float* xp, float* op,
                  float* sp) {
  for (int64_t s = 0; s < S; ++s) {
    const double sc = k + alphaOverN * sumSq[s];
    double factor;
    if (Beta4 == 3)
      factor = 1.0 / (std::sqrt(sc) * std::sqrt(std::sqrt(sc)));
    else if (Beta4 == 2)
      factor = 1.0 / std::sqrt(sc);
    else if (Beta4 == 4)
      factor = 1.0 / sc;
    else
      factor = std::pow(sc, -beta);
    if (sp != nullptr) sp[s] = static_cast<float>(sc);
    op[s] = static_cast<float>(xp[s] * factor);
  }
}

}  // namespace

// scale may be null (inference: nothing will need it for a backward pass).
void lrnForward(const LrnParams& g, const float* x, float* out, float* scale) {
  const int64_t C = g.channels, S = g.spatial;
  const int64_t before = g.size / 2, after = (g.size - 1) / 2;
  const double alphaOverN = g.alpha / static_cast<double>(g.size);
  auto scaleFn = g.beta == 0.75  ? &scaleOutputs<3>
                 : g.beta == 0.5 ? &scaleOutputs<2>
                 : g.beta == 1.0 ? &scaleOutputs<4>
                                 : &scaleOutputs<0>;
  parallelForStatic(g.batch * C, [&](int64_t begin, int64_t end, int) {
    std::vector<double> sumSq(S);
    for (int64_t nc = begin; nc < end; ++nc) {
      const int64_t n = nc / C, c = nc % C;
      const float* image = x + n * C * S;
      std::fill(sumSq.begin(), sumSq.end(), 0.0);
      const int64_t c0 = c - before < 0 ? 0 : c - before;
      const int64_t c1 = c + after >= C ? C - 1 : c + after;
      for (int64_t cc = c0; cc <= c1; ++cc) {
        const float* plane = image + cc * S;
        for (int64_t s = 0; s < S; ++s) sumSq[s] += static_cast<double>(plane[s]) * plane[s];
      }
      scaleFn(sumSq.data(), S, g.k, alphaOverN, g.beta, image + c * S, out + nc * S,
              scale == nullptr ? nullptr : scale + nc * S);
    }
  });
}

void lrnBackward(const LrnParams& g, const float* x, const float* out, const float* scale, const float* gradOut,
                 float* gradIn) {
  const int64_t C = g.channels, S = g.spatial;
  const int64_t before = g.size / 2, after = (g.size - 1) / 2;
  const double factor = 2.0 * g.alpha * g.beta / static_cast<double>(g.size);
  parallelForStatic(g.batch * C, [&](int64_t begin, int64_t end, int) {
    std::vector<double> acc(S);
    for (int64_t nj = begin; nj < end; ++nj) {
      const int64_t n = nj / C, j = nj % C;
      const int64_t base = n * C * S;
      // c with j ∈ W(c): c − before ≤ j ≤ c + after  ⇔  j − after ≤ c ≤ j + before.
      const int64_t c0 = j - after < 0 ? 0 : j - after;
      const int64_t c1 = j + before >= C ? C - 1 : j + before;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t c = c0; c <= c1; ++c) {
        const float* go = gradOut + base + c * S;
        const float* o = out + base + c * S;
        const float* sc = scale + base + c * S;
        for (int64_t s = 0; s < S; ++s) acc[s] += static_cast<double>(go[s]) * o[s] / sc[s];
      }
      const float* xj = x + base + j * S;
      const float* goj = gradOut + base + j * S;
      const float* scj = scale + base + j * S;
      float* gi = gradIn + base + j * S;
      for (int64_t s = 0; s < S; ++s)
        gi[s] = static_cast<float>(goj[s] * std::pow(static_cast<double>(scj[s]), -g.beta) - factor * xj[s] * acc[s]);
    }
  });
}

}  // namespace alexnet
