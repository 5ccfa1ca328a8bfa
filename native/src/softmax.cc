// Row-wise log-softmax and its gradient.
#include <cmath>

#include "ops.h"
#include "thread_pool.h"

namespace alexnet {

void logSoftmaxForward(int64_t rows, int64_t cols, const float* x, float* out) {
  parallelForStatic(rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      const float* in = x + r * cols;
      float* o = out + r * cols;
      float maxValue = -INFINITY;
      for (int64_t c = 0; c < cols; ++c) maxValue = in[c] > maxValue ? in[c] : maxValue;
      double sum = 0.0;
      for (int64_t c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(in[c]) - maxValue);
      // (x − max) − log(sum), as torch: max + log(sum) would lose log(sum) when
      // the maximum is large (a row [1e16, 1e16, 0] gave 0, not −log 2).
      const double logSum = std::log(sum);
      for (int64_t c = 0; c < cols; ++c) o[c] = static_cast<float>((in[c] - static_cast<double>(maxValue)) - logSum);
    }
  });
}

void logSoftmaxBackward(int64_t rows, int64_t cols, const float* gradOut, const float* out, float* gradIn) {
  parallelForStatic(rows, [&](int64_t begin, int64_t end, int) {
    for (int64_t r = begin; r < end; ++r) {
      const float* go = gradOut + r * cols;
      const float* o = out + r * cols;
      float* gi = gradIn + r * cols;
      double sum = 0.0;
      for (int64_t c = 0; c < cols; ++c) sum += go[c];
      for (int64_t c = 0; c < cols; ++c) gi[c] = static_cast<float>(go[c] - std::exp(static_cast<double>(o[c])) * sum);
    }
  });
}

}  // namespace alexnet
