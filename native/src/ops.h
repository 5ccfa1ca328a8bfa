// The non-GEMM kernels of the Backend interface: elementwise arithmetic,
// ReLU, LRN, pooling, log-softmax and the SGD step. All are memory-bound
// loops, split across the thread pool when the arrays are large.
#pragma once

#include <cstdint>
#include <string>

namespace alexnet {

// ---- elementwise ----
void addArrays(const float* a, const float* b, float* out, int64_t n);
void subArrays(const float* a, const float* b, float* out, int64_t n);
void mulArrays(const float* a, const float* b, float* out, int64_t n);
void divArrays(const float* a, const float* b, float* out, int64_t n);
void scaleArray(const float* a, float s, float* out, int64_t n);
void axpy(float alpha, const float* x, float* y, int64_t n);
double sumArray(const float* a, int64_t n);
void reluForward(const float* x, float* out, int64_t n);
void reluBackward(const float* gradOut, const float* y, float* gradIn, int64_t n);

struct SgdParams {
  float lr, momentum, dampening, weightDecay;
  bool nesterov, firstStep;
};
// torch.optim.SGD's update of one parameter, in place (momentumBuffer may be null when momentum is 0).
void sgdStep(const SgdParams& h, float* param, const float* grad, float* momentumBuffer, int64_t n);

// ---- local response normalisation over channels of [N, C, S] ----
struct LrnParams {
  int64_t batch, channels, spatial, size;
  double alpha, beta, k;
};
void lrnForward(const LrnParams& g, const float* x, float* out, float* scale);
void lrnBackward(const LrnParams& g, const float* x, const float* out, const float* scale, const float* gradOut,
                 float* gradIn);

// ---- pooling ----
struct PoolGeom {
  int64_t batch, channels, inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW;
  int64_t planes() const { return batch * channels; }
};
// Why the geometry is not one the pool kernels can run (empty when it is): positive sizes, stride and
// dilation, padding of at most half the kernel, and every window starting inside the (padded) input, as
// torch guarantees. Checked by the N-API binding and the wasm exports alike, before any kernel reads.
std::string validatePoolGeom(const PoolGeom& g);
void maxPool2dForward(const PoolGeom& g, const float* x, float* out, int32_t* argmax);
void maxPool2dBackward(const PoolGeom& g, const float* gradOut, const int32_t* argmax, float* gradIn);
void adaptiveAvgPool2dForward(int64_t planes, int64_t inH, int64_t inW, int64_t outH, int64_t outW, const float* x,
                              float* out);
void adaptiveAvgPool2dBackward(int64_t planes, int64_t inH, int64_t inW, int64_t outH, int64_t outW,
                               const float* gradOut, float* gradIn);

// ---- log-softmax over rows of [rows, cols] ----
void logSoftmaxForward(int64_t rows, int64_t cols, const float* x, float* out);
void logSoftmaxBackward(int64_t rows, int64_t cols, const float* gradOut, const float* out, float* gradIn);

// ---- linear layer: out[B, outF] = x[B, inF] · wᵀ + bias (ReLU) ----
struct KernelSet;
void linearForward(const KernelSet& ks, int64_t batch, int64_t inFeatures, int64_t outFeatures, const float* x,
                   const float* w, const float* bias, float* out, bool relu);

}  // namespace alexnet
