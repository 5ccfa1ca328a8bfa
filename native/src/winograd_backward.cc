// The weight gradient of r×r stride-1 convolutions by Winograd F(2×2, r×r).
//
// The forward pass is Y = Aᵀ [Σ_c U_oc ⊙ V_ct] A per tile, with U = G g Gᵀ and
// V = Bᵀ d B. Differentiating: ∂L/∂U_oc = Σ_tiles Ŷ_ot ⊙ V_ct with
// Ŷ = A (∂L/∂Y) Aᵀ, and ∂L/∂g = Gᵀ (∂L/∂U) G. So, per chunk of images:
// transform the inputs (V[ξ][tile][c]) and the output gradients
// (Ŷ[ξ][tile][o]), then for each ξ one GEMM over all tiles,
// dU_ξ[o][c] += Σ_t Ŷ_ξ[t][o] · V_ξ[t][c], and finally dW = Gᵀ dU G.
// (r+1)² products per tile and channel pair instead of 4r² pixel products:
// 2.25× fewer for 3×3, 2.8× for 5×5.
#include <algorithm>
#include <atomic>
#include <cstring>

#include "conv.h"
#include "winograd_range.h"
#include "gemm.h"
#include "scratch.h"
#include "thread_pool.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Bytes of V and Ŷ for one chunk of images: small enough to stay in L3
// between the transforms and the products.
constexpr int64_t kChunkBudget = int64_t{8} << 20;

// gradW[o][c] = Gᵀ dU_oc G for output channel o of a group, all input
// channels at once (dU rows are contiguous along c).
template <int R>
void filterGradients(const float* dU, int64_t xiStride, int64_t o, int64_t cg, float* gradWRow, float* t) {
  constexpr int n = R + 1;
  // t[k][j][c] = Σ_i G[i][k] dU[i·n + j][o][c]
  for (int k = 0; k < R; ++k)
    for (int j = 0; j < n; ++j) {
      float* tr = t + (k * n + j) * cg;
      for (int64_t c = 0; c < cg; ++c) tr[c] = 0.0f;
      for (int i = 0; i < n; ++i) {
        const float coef = winograd::Matrices<R>::G[i][k];
        if (coef == 0.0f) continue;
        const float* row = dU + (i * n + j) * xiStride + o * cg;
        for (int64_t c = 0; c < cg; ++c) tr[c] += coef * row[c];
      }
    }
  // gradW[o][c][k][l] = Σ_j t[k][j][c] G[j][l]
  for (int k = 0; k < R; ++k)
    for (int l = 0; l < R; ++l) {
      float* dst = gradWRow + k * R + l;
      for (int64_t c = 0; c < cg; ++c) dst[c * R * R] = 0.0f;
      for (int j = 0; j < n; ++j) {
        const float coef = winograd::Matrices<R>::G[j][l];
        if (coef == 0.0f) continue;
        const float* tr = t + (k * n + j) * cg;
        for (int64_t c = 0; c < cg; ++c) dst[c * R * R] += coef * tr[c];
      }
    }
}

}  // namespace

bool conv2dBackwardWeightWinograd(const KernelSet& ks, const ConvGeom& g, const float* x, const float* gradOut,
                                  float* gradW) {
  const int r = static_cast<int>(g.kernelH);
  const int64_t n = r + 1, xis = n * n;
  const int64_t cg = g.cg(), og = g.og();
  const int64_t tilesH = ceilDiv(g.outH, 2), tilesW = ceilDiv(g.outW, 2), tiles = tilesH * tilesW;
  const int64_t Hp = 2 * tilesH + r - 1, Wp = 2 * tilesW + r - 1;  // padded input
  const int64_t Gh = 2 * tilesH, Gw = 2 * tilesW;                  // output gradient, zero past the edge

  const int64_t perImage = xis * tiles * (cg + og) * static_cast<int64_t>(sizeof(float));
  // At least an image per thread: the transforms run one image per task, and
  // AlexNet's conv2 (7 MB per image) with one image per chunk left a thread
  // idle through them (its weight gradient 1.3× slower at batch 32).
  const int64_t fitting = kChunkBudget / std::max<int64_t>(perImage, 1);
  const int64_t chunkImages = std::min(g.batch, std::max<int64_t>({1, fitting, poolThreads()}));
  const int64_t chunkTiles = chunkImages * tiles;
  const int64_t vStride = winogradPaddedStride(chunkTiles * cg), yStride = winogradPaddedStride(chunkTiles * og);
  const int64_t uStride = winogradPaddedStride(og * cg);
  float* V = threadScratch<float>(ScratchSlot::WinogradGradV, xis * vStride);
  float* Y = threadScratch<float>(ScratchSlot::WinogradGradY, xis * yStride);
  float* dU = threadScratch<float>(ScratchSlot::WinogradGradU, xis * uStride);

  for (int64_t grp = 0; grp < g.groups; ++grp) {
    for (int64_t n0 = 0; n0 < g.batch; n0 += chunkImages) {
      const int64_t images = std::min(chunkImages, g.batch - n0);
      // Transforms, one image per task. Each converted copy is checked for a
      // value outside Winograd's range while in cache (winograd_range.h): one
      // stops the Winograd path, whose transforms would spread a NaN or ∞ over
      // the whole filter gradient or overflow on a huge value.
      std::atomic<bool> outOfRange{false};
      parallelForDynamic(images, 1, [&](int64_t begin, int64_t end, int) {
        float* hwc = threadScratch<float>(ScratchSlot::PaddedInput, std::max(Hp * Wp * cg, Gh * Gw * og));
        for (int64_t i = begin; i < end; ++i) {
          if (outOfRange.load(std::memory_order_relaxed)) return;
          const int64_t img = n0 + i;
          toPaddedHwc(ks, x + (img * g.inChannels + grp * cg) * g.inPlane(), cg, g.inH, g.inW, g.padH, g.padW, Hp, Wp,
                      hwc);
          if (!allInWinogradRangeSerial(hwc, Hp * Wp * cg)) {
            outOfRange.store(true, std::memory_order_relaxed);
            return;
          }
          ks.winogradInput(r == 5 ? winograd::Kind::F2x5 : winograd::Kind::F2x3, hwc, Wp * cg, cg, tilesW, 0, tiles,
                           V + i * tiles * cg, vStride);
          toPaddedHwc(ks, gradOut + (img * g.outChannels + grp * og) * g.pixels(), og, g.outH, g.outW, 0, 0, Gh, Gw,
                      hwc);
          if (!allInWinogradRangeSerial(hwc, Gh * Gw * og)) {
            outOfRange.store(true, std::memory_order_relaxed);
            return;
          }
          ks.winogradGradOutput(r, hwc, Gw * og, og, tilesW, 0, tiles, Y + i * tiles * og, yStride);
        }
      });
      if (outOfRange.load()) return false;  // gradW not written yet
      // dU_ξ[o][c] (+)= Σ_t Ŷ_ξ[t][o] · V_ξ[t][c]: Ŷ is op(A) stored [tiles, og].
      // One product per task (each runs serially on its thread): the ξ are
      // independent, and this avoids a parallel hand-out per small product.
      parallelForDynamic(xis, 1, [&](int64_t begin, int64_t end, int) {
        for (int64_t xi = begin; xi < end; ++xi)
          gemm(ks, true, false, og, cg, images * tiles, Y + xi * yStride, og, V + xi * vStride, cg, dU + xi * uStride,
               cg, n0 > 0);
      });
    }
    parallelForDynamic(og, 4, [&](int64_t begin, int64_t end, int) {
      float* t = threadScratch<float>(ScratchSlot::Partial, r * n * cg);
      for (int64_t o = begin; o < end; ++o) {
        float* row = gradW + (grp * og + o) * cg * r * r;
        if (r == 5)
          filterGradients<5>(dU, uStride, o, cg, row, t);
        else
          filterGradients<3>(dU, uStride, o, cg, row, t);
      }
    });
  }
  return true;
}

}  // namespace alexnet
