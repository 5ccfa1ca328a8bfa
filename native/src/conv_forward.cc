#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "conv.h"
#include "winograd_range.h"
#include "scratch.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// K-block of the direct path: the B block (KC × NR floats) is reused from L2
// by every tile of a pixel chunk.
constexpr int64_t kConvKc = 512;
// Pixels per chunk (a multiple of every MR): the tile buffer holds one chunk.
constexpr int64_t kMaxPixelChunk = 240;
// The same when an image is split over the threads (batch 1): two chunks per
// thread, up to this many pixels (conv1 of AlexNet at batch 1 ran 10% faster
// in four 756-pixel chunks than in thirteen of 240 on Zen 5).
constexpr int64_t kMaxSplitPixelChunk = 1024;

// The layer and tile shape a packing is for (what matches() compares).
void describeLayer(const KernelSet& ks, const ConvGeom& g, TileShape shape, PackedConvWeight* packed) {
  packed->ks = &ks;
  packed->mr = shape.mr;
  packed->nr = shape.nr;
  packed->outChannels = g.outChannels;
  packed->cg = g.cg();
  packed->kernelH = g.kernelH;
  packed->kernelW = g.kernelW;
  packed->groups = g.groups;
  packed->strideH = g.strideH;
  packed->strideW = g.strideW;
  packed->dilationH = g.dilationH;
  packed->dilationW = g.dilationW;
}

}  // namespace

std::unique_ptr<PackedConvWeight> packConvWeight(const KernelSet& ks, const ConvGeom& g, const float* w) {
  auto packed = std::make_unique<PackedConvWeight>();
  packed->forInference = true;
  packConvWeightInto(ks, g, w, packed.get());
  return packed;
}

void packConvWeightInto(const KernelSet& ks, const ConvGeom& g, const float* w, PackedConvWeight* packed,
                        bool winogradAllowed) {
  const TileShape shape = pickTileShape(ks, g.og());
  describeLayer(ks, g, shape, packed);
  const int64_t og = g.og();
  const int64_t K = g.kdim();
  const int64_t nr = shape.nr;
  packed->panelsPerGroup = ceilDiv(og, nr);
  // Strided layers Winograd can take after space-to-depth (AlexNet's conv1):
  // fp32 inference only, like F(4, 3) and F(5, 3) (see forInference).
  const int64_t s2d = packed->forInference ? spaceToDepthFactor(g) : 1;
  if ((s2d > 1 || winogradApplies(g)) && winogradAllowed) winogradAllowed = allInWinogradRange(w, g.weightSize());
  packed->spaceToDepth = winogradAllowed ? s2d : 1;
  if (packed->spaceToDepth > 1) {
    const ConvGeom rewritten = spaceToDepthGeom(g, packed->spaceToDepth);
    std::vector<float> filters(rewritten.weightSize());
    spaceToDepthWeight(g, packed->spaceToDepth, w, filters.data());
    packed->direct.clear();
    packWinogradWeight(rewritten, filters.data(), packed);
    return;
  }
  if (winogradApplies(g) && winogradAllowed) {
    // Only the Winograd filters are used for this layer shape.
    packed->direct.clear();
    packWinogradWeight(g, w, packed);
    return;
  }
  // A per-call scratch packing may hold a Winograd layer's filters from an
  // earlier call: none of them may make usesWinograd() true for this one.
  packed->winograd.clear();
  packed->winogradSource.clear();
  packed->direct.resize(g.groups * packed->panelsPerGroup * K * nr);
  // Panels are independent: packed in parallel (this runs on every call of
  // the unpacked forward, i.e. on every training step).
  parallelForDynamic(g.groups * packed->panelsPerGroup, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t grp = task / packed->panelsPerGroup, q = task % packed->panelsPerGroup;
      float* panel = packed->direct.data() + task * K * nr;
      const int64_t cols = std::min<int64_t>(nr, og - q * nr);
      const float* src = w + (grp * og + q * nr) * K;  // weight row o is contiguous along k
      // Write the panel sequentially (row k holds the taps k of `cols` filters);
      // the strided side is the reads, which the cache tolerates better.
      for (int64_t k = 0; k < K; ++k) {
        float* row = panel + k * nr;
        for (int64_t j = 0; j < cols; ++j) row[j] = src[j * K + k];
        for (int64_t j = cols; j < nr; ++j) row[j] = 0.0f;
      }
    }
  });
}

std::string describeConvAlgorithm(const PackedConvWeight& packed) {
  std::string what;
  if (packed.usesWinograd()) {
    const int m = winograd::outputSide(packed.winogradKind), r = winograd::filterSide(packed.winogradKind);
    what = "Winograd F(" + std::to_string(m) + "×" + std::to_string(m) + ", " + std::to_string(r) + "×" +
           std::to_string(r) + ")";
  } else if (!packed.pairPlaneBf16.empty()) {
    what = "direct (AMX tiles on pair planes)";
  } else {
    what = "direct (implicit im2col)";
  }
  if (packed.spaceToDepth > 1) {
    const std::string s = std::to_string(packed.spaceToDepth);
    what += " after " + s + "×" + s + " space-to-depth";
  }
  if (!packed.winogradSource.empty()) what += ", filters transformed per call";
  return packed.isBf16() ? what + ", bf16" : what;
}

std::unique_ptr<PackedConvWeight> packConvWeightBf16(const KernelSet& ks, const ConvGeom& g, const float* w) {
  const Bf16Kernels* bk = bf16Kernels();
  if (bk == nullptr) throw std::runtime_error(bf16Unsupported());
  // Weights outside Winograd's range: no Winograd below (the fp32 packings decide for themselves).
  const bool winogradAllowed = !winogradApplies(g) || pairPlanesApply(*bk, g) || allInWinogradRange(w, g.weightSize());
  // Kernel sets with AMX tiles: every undilated layer as a direct product
  // from pair planes. At 16× the fp32 rate per instruction, the direct
  // product outruns Winograd's fewer products (whose transforms stay fp32
  // vector work) and rounds nothing but the inputs (Sapphire Rapids, batch
  // 32: conv1-5 in 7.6, 8.5, 4.8, 5.6, 4.4 ms against 12.5, 21.7, 22.5, 29.0,
  // 19.3 on the same CPU's AVX512-BF16 paths below).
  if (pairPlanesApply(*bk, g)) {
    auto packed = std::make_unique<PackedConvWeight>();
    packed->bf16Set = bk;
    describeLayer(ks, g, pickBf16TileShape(*bk, g.og()), packed.get());
    packPairPlaneWeight(g, w, packed.get());
    return packed;
  }
  // Otherwise (AVX512-BF16), 5×5 layers Winograd applies to stay fp32
  // Winograd: in bf16, a 5×5 Winograd transform would amplify the rounding of
  // its input tiles about 7× (max error 1.6e-2 of the largest output on
  // conv2's shape, against 2.2e-3 direct), and the direct bf16 product does
  // 4.6× the multiplications of fp32's F(3, 5) then (225 per 9 outputs
  // against 49; 6.25× those of F(4, 5) now), which bf16's 2× rate does not
  // repay: AlexNet's conv2 took 28.1 ms in direct bf16 against 13.1 ms in
  // fp32 F(3, 5) at batch 32, 0.92 against 0.45-0.8 ms at batch 1 (Zen 5).
  if (winogradApplies(g) && g.kernelH == 5) return packConvWeight(ks, g, w);
  // Likewise strided layers that space-to-depth turns into Winograd ones
  // (AlexNet's conv1): fp32 F(5, 3) over the phase planes does 3.9× fewer
  // products than the direct 11×11, which bf16's 2× rate does not repay
  // (batch 32 on Zen 5: 7.6 ms against 11.3 direct bf16), and rounds nothing.
  if (spaceToDepthFactor(g) > 1) return packConvWeight(ks, g, w);
  const TileShape shape = pickBf16TileShape(*bk, g.og());
  auto packed = std::make_unique<PackedConvWeight>();
  PackedConvWeight* p = packed.get();
  p->bf16Set = bk;
  describeLayer(ks, g, shape, p);
  const int64_t og = g.og(), nr = shape.nr;
  p->panelsPerGroup = ceilDiv(og, nr);
  // Winograd 3×3 in bf16: F(2, 3)'s transform amplifies the rounding about 2×.
  if (winogradApplies(g) && winogradAllowed) {
    // Transform in fp32 (the fp32 packing, for this tile width), then round
    // each ξ panel to bf16 pairs along the input channels.
    packWinogradWeight(g, w, p);
    const int64_t xis = winograd::patchSide(p->winogradKind) * winograd::patchSide(p->winogradKind);
    const int64_t cg = g.cg(), cp = bf16Pairs(*bk, cg);
    const int64_t xiStride = winogradPaddedStride(p->panelsPerGroup * cg * nr);
    p->winogradBf16.assign(g.groups * xis * p->panelsPerGroup * cp * nr * 2, 0);
    parallelForDynamic(g.groups * xis * p->panelsPerGroup, 1, [&](int64_t begin, int64_t end, int) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t q = task % p->panelsPerGroup, gx = task / p->panelsPerGroup;  // gx = group·ξs + ξ
        const float* src = p->winograd.data() + gx * xiStride + q * cg * nr;
        bf16* dst = p->winogradBf16.data() + task * cp * nr * 2;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t j = 0; j < nr; ++j) dst[((c / 2) * nr + j) * 2 + (c & 1)] = toBf16(src[p->winogradOffset(c, j)]);
      }
    });
    LargeVector<float>().swap(p->winograd);
    return packed;
  }
  const int64_t K = g.kdim(), kp = bf16Pairs(*bk, K);
  p->directBf16.resize(g.groups * p->panelsPerGroup * kp * nr * 2);
  parallelForDynamic(g.groups * p->panelsPerGroup, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t grp = task / p->panelsPerGroup, q = task % p->panelsPerGroup;
      const int64_t cols = std::min<int64_t>(nr, og - q * nr);
      packBf16Panels(true, w + (grp * og + q * nr) * K, K, K, kp, 0, cols, static_cast<int>(nr),
                     p->directBf16.data() + task * kp * nr * 2);
    }
  });
  return packed;
}

namespace {

// The packing's own algorithm; false when Winograd found an input value outside its range.
bool runPacked(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out, bool relu) {
  if (!w.pairPlaneBf16.empty()) {
    if (bf16Kernels() == nullptr) throw std::runtime_error(bf16Unsupported());
    conv2dForwardPairPlanes(g, x, w, bias, out, relu);
  } else if (w.usesWinograd()) {
    return conv2dForwardWinograd(g, x, w, bias, out, relu);
  } else {
    conv2dForwardDirect(g, x, w, bias, out, relu);
  }
  return true;
}

// The direct path with weights packed for this call (an input Winograd declined).
void forwardDirectPerCall(const KernelSet& ks, const ConvGeom& g, const float* x, const float* w, const float* bias,
                          float* out, bool relu, PackedConvWeight* scratch) {
  packConvWeightInto(ks, g, w, scratch, false);
  runPacked(g, x, *scratch, bias, out, relu);
}

thread_local PackedConvWeight perCallScratch;

}  // namespace

bool conv2dForward(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out,
                   bool relu, const float* source) {
  if (g.batch == 0 || runPacked(g, x, w, bias, out, relu)) return true;
  if (source == nullptr) return false;
  // Direct fp32 from the source (a bf16 packing's layer too: with a NaN or ∞
  // in the input, bf16's rounding is not what decides its outputs).
  forwardDirectPerCall(*w.ks, g, x, source, bias, out, relu, &perCallScratch);
  return true;
}

void conv2dForward(const KernelSet& ks, const ConvGeom& g, const float* x, const float* w, const float* bias,
                   float* out, bool relu, bool largeWinogradTiles) {
  if (g.batch == 0) return;
  // Weights that change between calls (training) are packed on every call,
  // into per-thread buffers kept from call to call.
  perCallScratch.forInference = largeWinogradTiles;
  packConvWeightInto(ks, g, w, &perCallScratch);
  if (!runPacked(g, x, perCallScratch, bias, out, relu))
    forwardDirectPerCall(ks, g, x, w, bias, out, relu, &perCallScratch);
}

void conv2dForwardDirect(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out,
                         bool relu) {
  const KernelSet& ks = *w.ks;
  const int64_t MR = w.mr, NR = w.nr;
  const int64_t cg = g.cg(), og = g.og(), K = g.kdim(), P = g.pixels();
  const bool padded = g.padH > 0 || g.padW > 0;
  const int64_t Hp = g.inH + 2 * g.padH, Wp = g.inW + 2 * g.padW;

  // Offset of tap k = (c, kh, kw) from a pixel's window corner in the padded planes.
  std::vector<int64_t> koff(K);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < g.kernelH; ++i)
      for (int64_t j = 0; j < g.kernelW; ++j)
        koff[(c * g.kernelH + i) * g.kernelW + j] = c * Hp * Wp + i * g.dilationH * Wp + j * g.dilationW;

  // Tasks: (image, group, pixel chunk); chunks small enough that a single
  // image still feeds every thread.
  const int threads = poolThreads();
  const int64_t imagesGroups = g.batch * g.groups;
  const bool splitImages = imagesGroups < 2 * threads;
  int64_t chunk = kMaxPixelChunk;
  if (splitImages) chunk = std::min(kMaxSplitPixelChunk, roundUp(ceilDiv(P, ceilDiv(2 * threads, imagesGroups)), MR));
  chunk = roundUp(std::max<int64_t>(chunk, MR), MR);
  const int64_t chunks = ceilDiv(P, chunk);
  const int64_t kc = std::min(K, kConvKc);

  // bf16: the chunk's im2col rows are rounded into a pair-row buffer
  // (vdpbf16ps needs taps k and k+1 side by side), gathered in runs of
  // kernelW consecutive floats (one per (c, kh)) when the row is undilated.
  // The kernels the weight was packed for (its pair padding is theirs), as
  // long as the SIMD level still allows bf16 at all.
  if (w.isBf16() && bf16Kernels() == nullptr) throw std::runtime_error(bf16Unsupported());
  const Bf16Kernels* bk = w.bf16Set;
  const int64_t kp = bk != nullptr ? bf16Pairs(*bk, K) : 0, ldd = 2 * kp;
  std::vector<int64_t> runStart(cg * g.kernelH);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t i = 0; i < g.kernelH; ++i) runStart[c * g.kernelH + i] = c * Hp * Wp + i * g.dilationH * Wp;

  // Dynamic hand-out: a thread slowed down by another process does not hold
  // up the others. With images enough for every thread, a hand-out is a whole
  // image, so that each image is padded once (one chunk at a time, threads
  // would alternate and both pad every image); otherwise single chunks.
  const int64_t grain = imagesGroups >= 2 * threads ? chunks : 1;
  parallelForDynamic(imagesGroups * chunks, grain, [&](int64_t begin, int64_t end, int) {
    float* tileBuf = threadScratch<float>(ScratchSlot::TileBuffer, chunk * NR);
    float* pad = padded ? threadScratch<float>(ScratchSlot::PaddedInput, cg * Hp * Wp) : nullptr;
    int64_t paddedFor = -1;
    const float* rowPtrs[16];
    for (int64_t task = begin; task < end; ++task) {
      const int64_t ig = task / chunks;  // image·groups + group
      const int64_t n = ig / g.groups, grp = ig % g.groups;
      const float* src = x + (n * g.inChannels + grp * cg) * g.inPlane();
      const float* planes = src;
      const int64_t p0 = (task % chunks) * chunk;
      const int64_t p1 = std::min(P, p0 + chunk);
      if (padded) {
        if (splitImages) {
          // Only the padded rows this chunk's pixels read: each thread pads
          // its share of the image rather than all of it.
          const int64_t y0 = (p0 / g.outW) * g.strideH;
          const int64_t y1 = std::min(Hp, ((p1 - 1) / g.outW) * g.strideH + (g.kernelH - 1) * g.dilationH + 1);
          padPlaneRows(src, cg, g.inH, g.inW, g.padH, g.padW, Hp, Wp, y0, y1, pad);
        } else if (paddedFor != ig) {
          padPlanes(src, cg, g.inH, g.inW, g.padH, g.padW, Hp, Wp, pad);
          paddedFor = ig;
        }
        planes = pad;
      }

      bf16* rowsBf16 = nullptr;
      if (bk != nullptr) {
        rowsBf16 = threadScratch<bf16>(ScratchSlot::Bf16Activations, chunk * ldd);
        const float* pixels[16];
        for (int64_t p = p0; p < p1; p += 16) {
          const int count = static_cast<int>(std::min<int64_t>(16, p1 - p));
          for (int r = 0; r < count; ++r) {
            const int64_t oh = (p + r) / g.outW, ow = (p + r) % g.outW;
            pixels[r] = planes + oh * g.strideH * Wp + ow * g.strideW;
          }
          bf16* dst = rowsBf16 + (p - p0) * ldd;
          if (g.dilationW == 1) {
            bk->gatherRuns(pixels, count, runStart.data(), cg * g.kernelH, g.kernelW, dst, ldd);
          } else {
            for (int r = 0; r < count; ++r) {
              for (int64_t k = 0; k < K; ++k) dst[r * ldd + k] = toBf16(pixels[r][koff[k]]);
              for (int64_t k = K; k < ldd; ++k) dst[r * ldd + k] = 0;
            }
          }
        }
      }

      for (int64_t q = 0; q < w.panelsPerGroup; ++q) {
        const int64_t o0 = q * NR;
        const int nr = static_cast<int>(std::min<int64_t>(NR, og - o0));
        if (bk != nullptr) {
          const bf16* panel = w.directBf16.data() + (grp * w.panelsPerGroup + q) * kp * NR * 2;
          for (int64_t p = p0; p < p1; p += MR) {
            const int mr = static_cast<int>(std::min<int64_t>(MR, p1 - p));
            Bf16TileArgs t;
            t.kp = kp;
            t.a = reinterpret_cast<const uint32_t*>(rowsBf16 + (p - p0) * ldd);
            t.lda = kp;
            t.b = panel;
            t.ldb = NR;
            t.c = tileBuf + (p - p0) * NR;
            t.ldc = NR;
            t.mr = mr;
            t.nr = nr;
            bk->tile(t);
          }
        } else {
          const float* panel = w.directPanel(grp, q);
          for (int64_t k0 = 0; k0 < K || k0 == 0; k0 += kc) {
            const int64_t kLen = std::min(kc, K - k0);
            for (int64_t p = p0; p < p1; p += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, p1 - p));
              for (int r = 0; r < mr; ++r) {
                const int64_t oh = (p + r) / g.outW, ow = (p + r) % g.outW;
                rowPtrs[r] = planes + oh * g.strideH * Wp + ow * g.strideW;
              }
              TileArgs t;
              t.kc = kLen;
              t.rows = rowPtrs;
              t.koff = koff.data() + k0;
              t.b = panel + k0 * NR;
              t.ldb = NR;
              t.c = tileBuf + (p - p0) * NR;
              t.ldc = NR;
              t.mr = mr;
              t.nr = nr;
              t.accumulate = k0 > 0;
              ks.tile(t);
            }
            if (K == 0) break;
          }
        }
        // Transpose the chunk's tile rows (pixels) into the NCHW output planes,
        // 16 pixels at a time so that the block being read stays in L1.
        for (int64_t pb = p0; pb < p1; pb += 16) {
          const int64_t pe = std::min(p1, pb + 16);
          for (int64_t j = 0; j < nr; ++j) {
            const int64_t o = grp * og + o0 + j;
            const float b = bias != nullptr ? bias[o] : 0.0f;
            float* dst = out + (n * g.outChannels + o) * P;
            const float* col = tileBuf + j;
            if (relu) {
              for (int64_t p = pb; p < pe; ++p) {
                const float v = col[(p - p0) * NR] + b;
                dst[p] = v < 0.0f ? 0.0f : v;
              }
            } else {
              for (int64_t p = pb; p < pe; ++p) dst[p] = col[(p - p0) * NR] + b;
            }
          }
        }
      }
    }
  });
}

}  // namespace alexnet
