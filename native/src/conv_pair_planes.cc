// bf16 convolutions from pair planes, for kernel sets with a planeConv (AMX).
//
// The input is rewritten once per call as pair planes: channels 2i and 2i+1
// interleaved in bf16 ([C/2][Hp][Wp][2], zero-padded to whole 32-channel
// steps and by the layer's padding), which is the layout AMX reads its B
// tiles in, 16 channel pairs by 16 consecutive pixels. A stride-1 layer's
// output position (y, x) then reads, for tap (i, j), the 16 pixels starting at
// (y + i)·Wp + x + j of every plane: so an output block is a GEMM of the
// weights (rows: output channels; k: tap, channel) by tiles loaded straight
// from the planes, with no im2col. Output positions are counted along the
// padded width (q = y·Wp + x), so a block of 32 runs over row ends; the
// positions with x ≥ outW are computed from whatever follows and not stored.
// Strided layers (AlexNet's conv1) go through space-to-depth first
// (space_to_depth.cc): a stride-1 layer over the s² phase planes.
#include <algorithm>
#include <cstring>
#include <vector>

#include "conv.h"
#include "scratch.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

constexpr int64_t kBlock = 32;               // output channels and positions per kernel call
constexpr int64_t kChannelStep = 32;         // input channels per AMX step
constexpr int64_t kSlackPairs = 2 * kBlock;  // read past the last plane by the last block's unused positions

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// The stride-1 layer the planes serve: g itself, or its space-to-depth form.
struct PlaneLayer {
  int64_t s = 1;               // space-to-depth factor
  int64_t channels = 0;        // input channels of the stride-1 layer (cg · s²)
  int64_t paddedChannels = 0;  // rounded up to whole steps
  int64_t kernelH = 0, kernelW = 0;
  int64_t Hp = 0, Wp = 0;  // plane size
};

PlaneLayer planeLayer(const ConvGeom& g, int64_t s) {
  PlaneLayer p;
  p.s = s;
  if (s > 1) {
    const ConvGeom r = spaceToDepthGeom(g, s);
    p.channels = r.cg();
    p.kernelH = r.kernelH;
    p.kernelW = r.kernelW;
    p.Hp = r.inH;
    p.Wp = r.inW;
  } else {
    p.channels = g.cg();
    p.kernelH = g.kernelH;
    p.kernelW = g.kernelW;
    p.Hp = g.inH + 2 * g.padH;
    p.Wp = g.inW + 2 * g.padW;
  }
  p.paddedChannels = roundUp(p.channels, kChannelStep);
  return p;
}

// Row Y of the stride-1 layer's channel c (after space-to-depth: phase
// (p, q) of source channel c / s²) into dst[Wp], zeros outside the source.
void planeRow(const ConvGeom& g, const PlaneLayer& L, const float* src, int64_t c, int64_t Y, float* dst) {
  if (c >= L.channels) {
    std::fill(dst, dst + L.Wp, 0.0f);
    return;
  }
  const int64_t s = L.s, sc = c / (s * s), p = (c / s) % s, q = c % s;
  const int64_t sy = s * Y + p - g.padH;
  if (sy < 0 || sy >= g.inH) {
    std::fill(dst, dst + L.Wp, 0.0f);
    return;
  }
  const float* row = src + (sc * g.inH + sy) * g.inW;
  if (s == 1) {
    std::fill(dst, dst + std::min(g.padW, L.Wp), 0.0f);
    std::copy(row, row + g.inW, dst + g.padW);
    std::fill(dst + g.padW + g.inW, dst + L.Wp, 0.0f);
    return;
  }
  for (int64_t X = 0; X < L.Wp; ++X) {
    const int64_t sx = s * X + q - g.padW;
    dst[X] = sx >= 0 && sx < g.inW ? row[sx] : 0.0f;
  }
}

}  // namespace

bool pairPlanesApply(const Bf16Kernels& bk, const ConvGeom& g) {
  if (bk.planeConv == nullptr || g.dilationH != 1 || g.dilationW != 1 || g.strideH != g.strideW) return false;
  // Space-to-depth as written takes square kernels.
  return g.strideH == 1 || g.kernelH == g.kernelW;
}

void packPairPlaneWeight(const ConvGeom& g, const float* w, PackedConvWeight* packed) {
  const PlaneLayer L = planeLayer(g, g.strideH);
  std::vector<float> rewritten;
  if (L.s > 1) {
    rewritten.resize(static_cast<size_t>(g.outChannels * L.channels * L.kernelH * L.kernelW));
    spaceToDepthWeight(g, L.s, w, rewritten.data());
    w = rewritten.data();
  }
  const int64_t og = g.og(), taps = L.kernelH * L.kernelW, K = taps * L.paddedChannels;
  const int64_t blocks = ceilDiv(og, kBlock);
  packed->spaceToDepth = L.s;  // the rest of the plane geometry follows from the layer's (planeLayer)
  packed->pairPlaneBf16.assign(g.groups * blocks * kBlock * K, 0);
  parallelForStatic(g.outChannels, [&](int64_t begin, int64_t end, int) {
    for (int64_t o = begin; o < end; ++o) {
      const int64_t grp = o / og, oo = o % og;
      // Bf16PlaneConvArgs::weights: [channel step][tap][32 outputs][32 channels] per block.
      bf16* block = packed->pairPlaneBf16.data() + (grp * blocks + oo / kBlock) * kBlock * K;
      const float* src = w + o * L.channels * taps;
      for (int64_t c = 0; c < L.channels; ++c)
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t step = (c / kChannelStep) * taps + t;
          block[(step * kBlock + oo % kBlock) * kChannelStep + c % kChannelStep] = toBf16(src[c * taps + t]);
        }
    }
  });
}

void conv2dForwardPairPlanes(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias,
                             float* out, bool relu) {
  const Bf16Kernels& bk = *w.bf16Set;
  const PlaneLayer L = planeLayer(g, w.spaceToDepth);
  const int64_t og = g.og(), pairPlanes = L.paddedChannels / 2, planePairs = L.Hp * L.Wp;
  const int64_t imageStride = (pairPlanes * planePairs + kSlackPairs) * 2;  // bf16 per (image, group)
  const int64_t imagesGroups = g.batch * g.groups;
  const int64_t taps = L.kernelH * L.kernelW, K = taps * L.paddedChannels;
  const int64_t ocBlocks = ceilDiv(og, kBlock);

  // The input as pair planes, in units a thread converts alone:
  //  - stride 1: one pair plane per unit, its rows interleaved straight from
  //    the two source channels' rows (padding written as zeros);
  //  - even space-to-depth factors: one source row phase (channel c, row
  //    phase p) per unit, which feeds s/2 pair planes: channels (p, q) and
  //    (p, q + 1) for even q are the neighbours s·X + q and s·X + q + 1 of one
  //    source row, so each source row is converted to bf16 once and its 32-bit
  //    pairs picked every s/2-th (the padded pair planes past the real
  //    channels are units of their own, zero-filled);
  //  - odd factors (pairs straddle phase rows): one pair plane per unit,
  //    gathered value by value (planeRow).
  const int64_t s = L.s;
  const bool evenPhases = s > 1 && s % 2 == 0;
  const int64_t realPairPlanes = L.channels / 2;  // with an even s, cg·s² real channels make whole pairs
  const int64_t units = evenPhases ? g.cg() * s + (pairPlanes - realPairPlanes) : pairPlanes;
  const int64_t rowScratch = std::max(2 * L.Wp, std::max(g.inW, s * L.Wp + 2));
  const auto convertUnit = [&](int64_t ig, int64_t unit, bf16* imagePlanes, float* rows, bf16* converted) {
    const int64_t n = ig / g.groups, grp = ig % g.groups;
    const float* src = x + (n * g.inChannels + grp * g.cg()) * g.inPlane();
    const auto plane = [&](int64_t pp) { return imagePlanes + pp * planePairs * 2; };
    const auto zeroPlane = [&](int64_t pp) { std::fill(plane(pp), plane(pp) + planePairs * 2, bf16{0}); };
    if (evenPhases) {
      if (unit >= g.cg() * s) return zeroPlane(realPairPlanes + unit - g.cg() * s);
      const int64_t c = unit / s, p = unit % s, half = s / 2;
      const int64_t firstPlane = (c * s + p) * half;
      const int64_t width = s * L.Wp + 2;  // source columns the phases read, from −padW
      for (int64_t Y = 0; Y < L.Hp; ++Y) {
        const int64_t sy = s * Y + p - g.padH;
        if (sy < 0 || sy >= g.inH) {
          for (int64_t j = 0; j < half; ++j)
            std::fill(plane(firstPlane + j) + Y * L.Wp * 2, plane(firstPlane + j) + (Y + 1) * L.Wp * 2, bf16{0});
          continue;
        }
        const float* row = src + (c * g.inH + sy) * g.inW;
        const int64_t from = std::min(width, g.padW), to = std::min(width, g.padW + g.inW);
        std::fill(rows, rows + from, 0.0f);
        std::copy(row, row + (to - from), rows + from);
        std::fill(rows + to, rows + width, 0.0f);
        bk.convert(rows, converted, width);
        for (int64_t j = 0; j < half; ++j) {
          uint32_t* dst = reinterpret_cast<uint32_t*>(plane(firstPlane + j) + Y * L.Wp * 2);
          for (int64_t X = 0; X < L.Wp; ++X) std::memcpy(dst + X, converted + s * X + 2 * j, sizeof(uint32_t));
        }
      }
      return;
    }
    const int64_t pp = unit;
    if (2 * pp >= L.channels) return zeroPlane(pp);
    bf16* dst = plane(pp);
    if (s == 1) {
      const float* a = src + 2 * pp * g.inPlane();
      const float* b = 2 * pp + 1 < L.channels ? a + g.inPlane() : nullptr;
      std::fill(rows, rows + g.inW, 0.0f);  // the missing odd channel
      for (int64_t Y = 0; Y < L.Hp; ++Y) {
        bf16* d = dst + Y * L.Wp * 2;
        const int64_t sy = Y - g.padH;
        if (sy < 0 || sy >= g.inH) {
          std::fill(d, d + L.Wp * 2, bf16{0});
          continue;
        }
        std::fill(d, d + g.padW * 2, bf16{0});
        bk.interleavePairs(a + sy * g.inW, b != nullptr ? b + sy * g.inW : rows, g.inW, d + g.padW * 2);
        std::fill(d + (g.padW + g.inW) * 2, d + L.Wp * 2, bf16{0});
      }
      return;
    }
    for (int64_t Y = 0; Y < L.Hp; ++Y) {
      planeRow(g, L, src, 2 * pp, Y, rows);
      planeRow(g, L, src, 2 * pp + 1, Y, rows + L.Wp);
      bk.interleavePairs(rows, rows + L.Wp, L.Wp, dst + Y * L.Wp * 2);
    }
  };
  // The last plane's slack (read by the last blocks' unused positions).
  const auto zeroSlack = [&](bf16* imagePlanes) {
    std::fill(imagePlanes + pairPlanes * planePairs * 2, imagePlanes + imageStride, bf16{0});
  };

  // Blocks of 32 output channels × 32 positions: positions [blk0, blk1) of
  // (image, group) ig, against channel block ob, from its pair planes.
  std::vector<int64_t> tapOffsets(taps);
  for (int64_t i = 0; i < L.kernelH; ++i)
    for (int64_t j = 0; j < L.kernelW; ++j) tapOffsets[i * L.kernelW + j] = i * L.Wp + j;
  const int64_t positions = g.outH * L.Wp, positionBlocks = ceilDiv(positions, kBlock);
  const int64_t outPlane = g.pixels();
  const auto runBlocks = [&](int64_t ig, int64_t ob, int64_t blk0, int64_t blk1, const bf16* imagePlanes) {
    const int64_t n = ig / g.groups, grp = ig % g.groups;
    const int64_t o0 = grp * og + ob * kBlock;
    Bf16PlaneConvArgs a;
    a.planePairs = planePairs;
    a.tapOffsets = tapOffsets.data();
    a.taps = static_cast<int>(taps);
    a.channels = L.paddedChannels;
    a.outPlane = outPlane;
    a.relu = relu;
    a.weights = w.pairPlaneBf16.data() + (grp * ocBlocks + ob) * kBlock * K;
    a.rows = static_cast<int>(std::min(kBlock, og - ob * kBlock));
    a.out = out + (n * g.outChannels + o0) * outPlane;
    a.bias = bias != nullptr ? bias + o0 : nullptr;
    Bf16PlaneConvArgs::Run runs[kBlock];
    for (int64_t blk = blk0; blk < blk1; ++blk) {
      const int64_t q0 = blk * kBlock, q1 = std::min(positions, q0 + kBlock);
      a.planes = imagePlanes + q0 * 2;
      a.columns = static_cast<int>(q1 - q0);
      // The block's positions that are outputs, as runs within rows.
      int count = 0;
      for (int64_t q = q0; q < q1;) {
        const int64_t y = q / L.Wp, xpos = q % L.Wp;
        const int64_t rowEnd = std::min(q1, (y + 1) * L.Wp);
        if (xpos < g.outW) {
          runs[count].column = static_cast<int>(q - q0);
          runs[count].count = static_cast<int>(std::min(rowEnd, y * L.Wp + g.outW) - q);
          runs[count].outOffset = y * g.outW + xpos;
          ++count;
        }
        q = rowEnd;
      }
      a.runs = runs;
      a.runCount = count;
      bk.planeConv(a);
    }
  };

  const int threads = poolThreads();
  if (imagesGroups >= 2 * threads) {
    // Images enough for every thread: each takes whole images, converts one
    // into its own planes and runs all of its blocks while they are in its
    // L2 (a shared buffer of every image's planes went out to memory and
    // back: conv1 at batch 32 is 13 MB of planes).
    parallelForDynamic(imagesGroups, 1, [&](int64_t begin, int64_t end, int) {
      bf16* planes = threadScratch<bf16>(ScratchSlot::Bf16PairPlanes, imageStride);
      float* rows = threadScratch<float>(ScratchSlot::PaddedInput, rowScratch);
      bf16* converted = threadScratch<bf16>(ScratchSlot::Bf16Activations, rowScratch);
      for (int64_t ig = begin; ig < end; ++ig) {
        for (int64_t unit = 0; unit < units; ++unit) convertUnit(ig, unit, planes, rows, converted);
        zeroSlack(planes);
        for (int64_t ob = 0; ob < ocBlocks; ++ob) runBlocks(ig, ob, 0, positionBlocks, planes);
      }
    });
    return;
  }

  // Few images (batch 1): all threads convert them into one shared buffer,
  // then share out (image·group, channel block, range of position blocks),
  // ranges small enough to feed every thread; a task runs its positions
  // against one block of weights, so each thread streams only its share.
  bf16* planes = threadScratch<bf16>(ScratchSlot::Bf16PairPlanes, imagesGroups * imageStride);
  parallelForDynamic(imagesGroups * units, 1, [&](int64_t begin, int64_t end, int) {
    // (Other slots than the shared planes': the calling thread converts too.)
    float* rows = threadScratch<float>(ScratchSlot::PaddedInput, rowScratch);
    bf16* converted = threadScratch<bf16>(ScratchSlot::Bf16Activations, rowScratch);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t ig = task / units, unit = task % units;
      convertUnit(ig, unit, planes + ig * imageStride, rows, converted);
      if (unit == 0) zeroSlack(planes + ig * imageStride);
    }
  });
  const int64_t baseTasks = imagesGroups * ocBlocks;
  const int64_t parts = std::min(positionBlocks, std::max<int64_t>(1, ceilDiv(4 * threads, baseTasks)));
  const int64_t blocksPerPart = ceilDiv(positionBlocks, parts);
  parallelForDynamic(baseTasks * parts, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t part = task % parts, ob = (task / parts) % ocBlocks, ig = task / (parts * ocBlocks);
      const int64_t blk0 = part * blocksPerPart, blk1 = std::min(positionBlocks, blk0 + blocksPerPart);
      runBlocks(ig, ob, blk0, blk1, planes + ig * imageStride);
    }
  });
}

}  // namespace alexnet
