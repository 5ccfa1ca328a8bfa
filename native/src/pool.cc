// Max pooling (with torch's argmax choice) and adaptive average pooling.
#include <cmath>
#include <cstring>

#include "checked_size.h"
#include "ops.h"
#include "scratch.h"
#include "tile_kernel.h"
#include "thread_pool.h"

namespace alexnet {

// argmax may be null (inference): the indices are then not computed.
std::string validatePoolGeom(const PoolGeom& g) {
  if (g.batch < 0 || g.channels <= 0 || g.inH <= 0 || g.inW <= 0 || g.outH <= 0 || g.outW <= 0 || g.kernelH <= 0 ||
      g.kernelW <= 0)
    return "sizes must be positive (batch may be 0)";
  if (g.strideH <= 0 || g.strideW <= 0 || g.dilationH <= 0 || g.dilationW <= 0)
    return "stride and dilation must be positive";
  if (g.padH < 0 || g.padW < 0 || 2 * g.padH > g.kernelH || 2 * g.padW > g.kernelW)
    return "padding must be at most half the kernel size";
  // Sizes from JavaScript reach 2^53: products that would wrap around are refused before any is formed.
  if (checkedProduct({g.batch, g.channels, g.inH, g.inW}) < 0 ||
      checkedProduct({g.batch, g.channels, g.outH, g.outW}) < 0 || checkedProduct({g.outH - 1, g.strideH}) < 0 ||
      checkedProduct({g.outW - 1, g.strideW}) < 0 || checkedProduct({g.kernelH - 1, g.dilationH}) < 0 ||
      checkedProduct({g.kernelW - 1, g.dilationW}) < 0)
    return "sizes too large (a product of them is above 2^53)";
  if ((g.outH - 1) * g.strideH - g.padH >= g.inH || (g.outW - 1) * g.strideW - g.padW >= g.inW)
    return "the last window starts past the input";
  return "";
}

void maxPool2dForward(const PoolGeom& g, const float* x, float* out, int32_t* argmax) {
  const int64_t inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  const PoolPlaneGeom pg{g.inH,     g.inW,     g.outH, g.outW, g.kernelH,   g.kernelW,
                         g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW};
  const KernelSet& ks = currentKernels();
  parallelForStatic(g.planes(), [&](int64_t begin, int64_t end, int) {
    float* scratch = threadScratch<float>(ScratchSlot::Partial, maxPoolScratchFloats(pg));
    for (int64_t pl = begin; pl < end; ++pl)
      ks.maxPoolPlane(pg, x + pl * inPlane, out + pl * outPlane, argmax == nullptr ? nullptr : argmax + pl * outPlane,
                      scratch);
  });
}

void maxPool2dBackward(const PoolGeom& g, const float* gradOut, const int32_t* argmax, float* gradIn) {
  const int64_t inPlane = g.inH * g.inW, outPlane = g.outH * g.outW;
  parallelForStatic(g.planes(), [&](int64_t begin, int64_t end, int) {
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dst = gradIn + pl * inPlane;
      std::memset(dst, 0, sizeof(float) * inPlane);
      const float* go = gradOut + pl * outPlane;
      const int32_t* idx = argmax + pl * outPlane;
      for (int64_t o = 0; o < outPlane; ++o)
        if (idx[o] >= 0 && idx[o] < inPlane) dst[idx[o]] += go[o];
    }
  });
}

namespace {

// torch's adaptive pooling window along one axis: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).
inline int64_t windowStart(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
inline int64_t windowEnd(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

void adaptiveAvgPool2dForward(int64_t planes, int64_t inH, int64_t inW, int64_t outH, int64_t outW, const float* x,
                              float* out) {
  parallelForStatic(planes, [&](int64_t begin, int64_t end, int) {
    for (int64_t pl = begin; pl < end; ++pl) {
      const float* src = x + pl * inH * inW;
      float* dst = out + pl * outH * outW;
      for (int64_t oh = 0; oh < outH; ++oh) {
        const int64_t h0 = windowStart(oh, inH, outH), h1 = windowEnd(oh, inH, outH);
        for (int64_t ow = 0; ow < outW; ++ow) {
          const int64_t w0 = windowStart(ow, inW, outW), w1 = windowEnd(ow, inW, outW);
          float sum = 0.0f;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) sum += src[h * inW + w];
          dst[oh * outW + ow] = sum / static_cast<float>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

void adaptiveAvgPool2dBackward(int64_t planes, int64_t inH, int64_t inW, int64_t outH, int64_t outW,
                               const float* gradOut, float* gradIn) {
  parallelForStatic(planes, [&](int64_t begin, int64_t end, int) {
    for (int64_t pl = begin; pl < end; ++pl) {
      float* dst = gradIn + pl * inH * inW;
      std::memset(dst, 0, sizeof(float) * inH * inW);
      const float* go = gradOut + pl * outH * outW;
      for (int64_t oh = 0; oh < outH; ++oh) {
        const int64_t h0 = windowStart(oh, inH, outH), h1 = windowEnd(oh, inH, outH);
        for (int64_t ow = 0; ow < outW; ++ow) {
          const int64_t w0 = windowStart(ow, inW, outW), w1 = windowEnd(ow, inW, outW);
          const float share = go[oh * outW + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) dst[h * inW + w] += share;
        }
      }
    }
  });
}

}  // namespace alexnet
