#include "gemm.h"
#include "ops.h"

namespace alexnet {

void linearForward(const KernelSet& ks, int64_t batch, int64_t inFeatures, int64_t outFeatures, const float* x,
                   const float* w, const float* bias, float* out, bool relu) {
  // out = x · wᵀ: w is [outF, inF] as torch.nn.Linear stores it, i.e. B transposed.
  GemmEpilogue ep;
  ep.biasCol = bias;
  ep.relu = relu;
  gemm(ks, false, true, batch, outFeatures, inFeatures, x, inFeatures, w, inFeatures, out, outFeatures, false, ep);
}

}  // namespace alexnet
