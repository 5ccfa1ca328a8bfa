// Convolution gradients.
//
// Data: for stride 1 the gradient w.r.t. the input is itself a convolution of
// gradOut with the flipped, transposed filters (padding d·(k−1) − p), so it
// reuses the fast forward paths (Winograd for 3×3). Other strides compute the
// column gradient gradCol = Wᵀ·gradOut with the GEMM and scatter it back
// (col2im).
//
// Weight: for 3×3 and 5×5 stride-1 layers, by Winograd (winograd_backward.cc);
// otherwise gradWᵀ[ck][o] = Σ_pixels im2col[ck][p] · gradOut[o][p], with the
// im2col rows read by broadcast straight from the padded input (rows = taps,
// koff = pixel offsets) and gradOutᵀ packed into NR-wide panels per image.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "gemm.h"
#include "scratch.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

bool backwardDataAsConvolution(const ConvGeom& g) {
  return g.strideH == 1 && g.strideW == 1 && g.padH <= g.dilationH * (g.kernelH - 1) &&
         g.padW <= g.dilationW * (g.kernelW - 1);
}

void backwardDataByConvolution(const KernelSet& ks, const ConvGeom& g, const float* gradOut, const float* w,
                               float* gradIn) {
  const int64_t cg = g.cg(), og = g.og(), taps = g.taps();
  // w'[grp·cg + c][o][i][j] = w[grp·og + o][c][kH−1−i][kW−1−j]
  float* flipped = threadScratch<float>(ScratchSlot::FlippedWeights, g.weightSize());
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < og; ++o)
      for (int64_t c = 0; c < cg; ++c) {
        const float* src = w + ((grp * og + o) * cg + c) * taps;
        float* dst = flipped + ((grp * cg + c) * og + o) * taps;
        for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];
      }
  ConvGeom t;
  t.batch = g.batch;
  t.inChannels = g.outChannels;
  t.inH = g.outH;
  t.inW = g.outW;
  t.outChannels = g.inChannels;
  t.outH = g.inH;
  t.outW = g.inW;
  t.kernelH = g.kernelH;
  t.kernelW = g.kernelW;
  t.strideH = t.strideW = 1;
  t.padH = g.dilationH * (g.kernelH - 1) - g.padH;
  t.padW = g.dilationW * (g.kernelW - 1) - g.padW;
  t.dilationH = g.dilationH;
  t.dilationW = g.dilationW;
  t.groups = g.groups;
  // F(4, 3) or F(5, 3) for 3×3: their rounding error in a gradient (about 1e-5
  // relative) moves no argmax, unlike in the forward pass.
  conv2dForward(ks, t, gradOut, flipped, nullptr, gradIn, false, true);
}

void backwardDataByCol2im(const KernelSet& ks, const ConvGeom& g, const float* gradOut, const float* w, float* gradIn) {
  const int64_t cg = g.cg(), og = g.og(), K = g.kdim(), P = g.pixels();
  std::memset(gradIn, 0, sizeof(float) * g.inputSize());
  float* col = threadScratch<float>(ScratchSlot::Columns, K * P);
  for (int64_t n = 0; n < g.batch; ++n) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      // col[K, P] = W_gᵀ · gradOut_g, W_g stored [og, K].
      gemm(ks, true, false, K, P, og, w + grp * og * K, K, gradOut + (n * g.outChannels + grp * og) * P, P, col, P,
           false);
      float* image = gradIn + (n * g.inChannels + grp * cg) * g.inPlane();
      // Each channel's taps scatter only into that channel's plane: channels in parallel.
      parallelForStatic(cg, [&](int64_t begin, int64_t end, int) {
        for (int64_t c = begin; c < end; ++c) {
          float* plane = image + c * g.inPlane();
          for (int64_t i = 0; i < g.kernelH; ++i)
            for (int64_t j = 0; j < g.kernelW; ++j) {
              const float* row = col + ((c * g.kernelH + i) * g.kernelW + j) * P;
              for (int64_t oh = 0; oh < g.outH; ++oh) {
                const int64_t ih = oh * g.strideH - g.padH + i * g.dilationH;
                if (ih < 0 || ih >= g.inH) continue;
                for (int64_t ow = 0; ow < g.outW; ++ow) {
                  const int64_t iw = ow * g.strideW - g.padW + j * g.dilationW;
                  if (iw < 0 || iw >= g.inW) continue;
                  plane[ih * g.inW + iw] += row[oh * g.outW + ow];
                }
              }
            }
        }
      });
    }
  }
}

}  // namespace

void conv2dBackwardData(const KernelSet& ks, const ConvGeom& g, const float* gradOut, const float* w, float* gradIn) {
  if (g.batch == 0) return;
  if (backwardDataAsConvolution(g))
    backwardDataByConvolution(ks, g, gradOut, w, gradIn);
  else
    backwardDataByCol2im(ks, g, gradOut, w, gradIn);
}

void conv2dBackwardWeight(const KernelSet& ks, const ConvGeom& g, const float* x, const float* gradOut, float* gradW,
                          float* gradBias) {
  const int64_t cg = g.cg(), og = g.og(), K = g.kdim(), P = g.pixels();
  const TileShape shape = pickTileShape(ks, og);
  const int64_t MR = shape.mr, NR = shape.nr;
  const int64_t Hp = g.inH + 2 * g.padH, Wp = g.inW + 2 * g.padW;
  const int64_t panels = ceilDiv(og, NR);

  if (gradBias != nullptr) {
    parallelForStatic(g.outChannels, [&](int64_t begin, int64_t end, int) {
      for (int64_t o = begin; o < end; ++o) {
        // Eight float64 partial sums in a fixed order: independent chains the
        // compiler vectorizes (one chain waited on each add's latency).
        double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int64_t n = 0; n < g.batch; ++n) {
          const float* plane = gradOut + (n * g.outChannels + o) * P;
          int64_t p = 0;
          for (; p + 8 <= P; p += 8)
            for (int l = 0; l < 8; ++l) s[l] += plane[p + l];
          for (; p < P; ++p) s[p % 8] += plane[p];
        }
        gradBias[o] = static_cast<float>(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
      }
    });
  }
  if (g.batch == 0 || P == 0) {
    std::memset(gradW, 0, sizeof(float) * g.weightSize());
    return;
  }
  // Winograd would spread a NaN or ∞ of either operand over the whole filter
  // gradient (its transforms mix neighbouring values), and overflow on huge
  // ones; it declines operands outside its range (winograd_range.h), and the direct sums below keep it to the taps
  // whose products meet one, as torch's.
  if (winogradApplies(g) && conv2dBackwardWeightWinograd(ks, g, x, gradOut, gradW)) return;

  // Tap offsets (rows of A) and pixel offsets (the k index) in the padded planes.
  std::vector<int64_t> tapOffset(K), pixelOffset(P);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < g.kernelH; ++i)
      for (int64_t j = 0; j < g.kernelW; ++j)
        tapOffset[(c * g.kernelH + i) * g.kernelW + j] = c * Hp * Wp + i * g.dilationH * Wp + j * g.dilationW;
  for (int64_t oh = 0; oh < g.outH; ++oh)
    for (int64_t ow = 0; ow < g.outW; ++ow) pixelOffset[oh * g.outW + ow] = oh * g.strideH * Wp + ow * g.strideW;

  // Work items (image, group, chunk of taps) are split statically: each
  // worker accumulates gradWᵀ for its own fixed, contiguous range of items
  // in its own buffer (so an image is padded and packed once per item), and
  // the buffers are summed in worker order at the end. Static, not dynamic:
  // which items a buffer sums, and in what order, must not depend on thread
  // timing, or gradients would differ in the last bits from run to run (and
  // a resumed training run would not match an uninterrupted one). Taps are
  // split only when images are too few.
  const int threads = poolThreads();
  const int64_t rowChunks = std::min(g.batch >= threads ? 1 : ceilDiv(threads, g.batch), ceilDiv(K, MR));
  const int64_t rowChunk = ceilDiv(ceilDiv(K, rowChunks), MR) * MR;
  const int64_t perWorker = g.groups * K * og;
  float* acc = threadScratch<float>(ScratchSlot::Accumulator, threads * perWorker);
  std::memset(acc, 0, sizeof(float) * threads * perWorker);
  const int64_t kcMax = 512;

  parallelForStatic(g.batch * g.groups * rowChunks, [&](int64_t begin, int64_t end, int worker) {
    float* pad = threadScratch<float>(ScratchSlot::PaddedInput, cg * Hp * Wp);
    float* packed = threadScratch<float>(ScratchSlot::PackB, panels * std::min(P, kcMax) * NR);
    const float* rowPtrs[16];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / (g.groups * rowChunks);
      const int64_t grp = (task / rowChunks) % g.groups;
      const int64_t r0 = (task % rowChunks) * rowChunk, r1 = std::min(K, r0 + rowChunk);
      if (r0 >= r1) continue;
      float* accumulator = acc + worker * perWorker + grp * K * og;
      padPlanes(x + (n * g.inChannels + grp * cg) * g.inPlane(), cg, g.inH, g.inW, g.padH, g.padW, Hp, Wp, pad);
      const float* go = gradOut + (n * g.outChannels + grp * og) * P;
      for (int64_t p0 = 0; p0 < P; p0 += kcMax) {
        const int64_t kc = std::min(kcMax, P - p0);
        // gradOutᵀ block [kc pixels][og] as NR-wide panels, transposed in
        // 16 × 16 blocks (element by element, each store of a column went to
        // a different line of a panel larger than L1: a quarter of conv1's
        // weight gradient).
        for (int64_t q = 0; q < panels; ++q) {
          float* panel = packed + q * kc * NR;
          const int64_t cols = std::min<int64_t>(NR, og - q * NR);
          for (int64_t k0 = 0; k0 < kc; k0 += 16)
            for (int64_t j0 = 0; j0 < cols; j0 += 16)
              ks.toHwcBlock(go + (q * NR + j0) * P + p0 + k0, P, std::min<int64_t>(16, cols - j0),
                            std::min<int64_t>(16, kc - k0), panel + k0 * NR + j0, NR);
        }
        for (int64_t r = r0; r < r1; r += MR) {
          const int mr = static_cast<int>(std::min<int64_t>(MR, r1 - r));
          for (int i = 0; i < mr; ++i) rowPtrs[i] = pad + tapOffset[r + i];
          for (int64_t q = 0; q < panels; ++q) {
            TileArgs t;
            t.kc = kc;
            t.rows = rowPtrs;
            t.koff = pixelOffset.data() + p0;
            t.b = packed + q * kc * NR;
            t.ldb = NR;
            t.c = accumulator + r * og + q * NR;
            t.ldc = og;
            t.mr = mr;
            t.nr = static_cast<int>(std::min<int64_t>(NR, og - q * NR));
            t.accumulate = true;
            ks.tile(t);
          }
        }
      }
    }
  });

  // gradW[grp·og + o][k] = Σ_workers accᵀ.
  parallelForStatic(g.outChannels, [&](int64_t begin, int64_t end, int) {
    for (int64_t o = begin; o < end; ++o) {
      const int64_t grp = o / og, oo = o % og;
      float* dst = gradW + o * K;
      for (int64_t k = 0; k < K; ++k) {
        float s = 0.0f;
        for (int w = 0; w < threads; ++w) s += acc[w * perWorker + (grp * K + k) * og + oo];
        dst[k] = s;
      }
    }
  });
}

}  // namespace alexnet
