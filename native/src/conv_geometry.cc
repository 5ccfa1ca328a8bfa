#include "checked_size.h"
#include "conv.h"

#include <cstring>
#include <sstream>

namespace alexnet {

std::string validateConvGeom(const ConvGeom& g) {
  std::ostringstream why;
  if (g.batch < 0 || g.inChannels <= 0 || g.inH <= 0 || g.inW <= 0 || g.outChannels <= 0 || g.kernelH <= 0 ||
      g.kernelW <= 0) {
    why << "sizes must be positive (batch may be 0)";
  } else if (g.strideH <= 0 || g.strideW <= 0 || g.dilationH <= 0 || g.dilationW <= 0) {
    why << "stride and dilation must be positive";
  } else if (g.padH < 0 || g.padW < 0) {
    why << "padding must not be negative";
  } else if (g.groups <= 0 || g.inChannels % g.groups != 0 || g.outChannels % g.groups != 0) {
    why << "groups (" << g.groups << ") must divide inChannels (" << g.inChannels << ") and outChannels ("
        << g.outChannels << ")";
  } else if (checkedProduct({g.dilationH, g.kernelH - 1}) < 0 || checkedProduct({g.dilationW, g.kernelW - 1}) < 0 ||
             checkedProduct({g.batch, g.inChannels, g.inH, g.inW}) < 0 ||
             checkedProduct({g.batch, g.outChannels, g.outH, g.outW}) < 0 ||
             checkedProduct({g.outChannels, g.inChannels / g.groups, g.kernelH, g.kernelW}) < 0) {
    // Sizes from JavaScript reach 2^53: products that would wrap around are refused before any is formed.
    why << "sizes too large (a product of them is above 2^53)";
  } else {
    const int64_t spanH = g.dilationH * (g.kernelH - 1) + 1;
    const int64_t spanW = g.dilationW * (g.kernelW - 1) + 1;
    const int64_t expectH = (g.inH + 2 * g.padH - spanH) / g.strideH + 1;
    const int64_t expectW = (g.inW + 2 * g.padW - spanW) / g.strideW + 1;
    if (g.inH + 2 * g.padH < spanH || g.inW + 2 * g.padW < spanW) {
      why << "the kernel (" << spanH << "x" << spanW << " with dilation) is larger than the padded input";
    } else if (g.outH != expectH || g.outW != expectW) {
      why << "output size " << g.outH << "x" << g.outW << " does not match the geometry (expected " << expectH << "x"
          << expectW << ")";
    }
  }
  return why.str();
}

bool winogradApplies(const ConvGeom& g) {
  // F(2×2, 3×3) and F(2×2, 5×5); with few channels the transforms cost more than they save.
  return g.kernelH == g.kernelW && (g.kernelH == 3 || g.kernelH == 5) && g.strideH == 1 && g.strideW == 1 &&
         g.dilationH == 1 && g.dilationW == 1 && g.cg() >= 16 && g.og() >= 16;
}

void padPlanes(const float* src, int64_t channels, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t outH,
               int64_t outW, float* dst) {
  padPlaneRows(src, channels, H, W, padH, padW, outH, outW, 0, outH, dst);
}

void padPlaneRows(const float* src, int64_t channels, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t outH,
                  int64_t outW, int64_t y0, int64_t y1, float* dst) {
  for (int64_t c = 0; c < channels; ++c) {
    const float* s = src + c * H * W;
    float* d = dst + c * outH * outW;
    for (int64_t y = y0; y < y1; ++y) {
      float* row = d + y * outW;
      const int64_t sy = y - padH;
      if (sy < 0 || sy >= H) {
        for (int64_t x = 0; x < outW; ++x) row[x] = 0.0f;
        continue;
      }
      // Columns x with a source column x − padW inside [0, W).
      const float* srow = s + sy * W;
      const int64_t x0 = padW > 0 ? padW : 0;
      int64_t x1 = W + padW;
      if (x1 > outW) x1 = outW;
      for (int64_t x = 0; x < x0 && x < outW; ++x) row[x] = 0.0f;
      if (x1 > x0) std::memcpy(row + x0, srow + (x0 - padW), (x1 - x0) * sizeof(float));
      for (int64_t x = x1 > x0 ? x1 : x0; x < outW; ++x) row[x] = 0.0f;
    }
  }
}

}  // namespace alexnet
