// Winograd F(m×m, r×r) for r×r stride-1 convolutions (r = 3 or 5): each m×m
// output block needs (m+r−1)² products per (input, output channel) pair
// instead of m²r² (F(2, 3): 2.25× fewer, F(4, 3): 4×, F(5, 3): 4.6×, F(2, 5): 2.8×,
// F(4, 5): 6.25×). Per chunk of tiles, the input transform writes V[ξ][tile][c]
// (one matrix per patch position ξ), the products
// M_ξ = V_ξ · U_ξ run on the micro-kernels (tiles as broadcast rows, output
// channels as vector columns, U_ξ pre-transformed and packed into NR-wide
// panels), and the output transform turns M[ξ][tile][o] into the NCHW output
// with bias and ReLU.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "conv.h"
#include "cpu_tuning.h"
#include "winograd_range.h"
#include "scratch.h"
#include "thread_pool.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

}  // namespace

int64_t winogradPaddedStride(int64_t floats) { return floats + 16; }

void toPaddedHwc(const KernelSet& ks, const float* src, int64_t C, int64_t H, int64_t W, int64_t padH, int64_t padW,
                 int64_t Hp, int64_t Wp, float* dst) {
  const int64_t y0 = std::max<int64_t>(0, padH), y1 = std::min(Hp, H + padH);
  const int64_t x0 = std::max<int64_t>(0, padW), x1 = std::min(Wp, W + padW);
  // Zero only the padding: rows above and below, then the left and right margins of each row.
  std::memset(dst, 0, sizeof(float) * y0 * Wp * C);
  std::memset(dst + y1 * Wp * C, 0, sizeof(float) * (Hp - y1) * Wp * C);
  for (int64_t y = y0; y < y1; ++y) {
    float* drow = dst + y * Wp * C;
    std::memset(drow, 0, sizeof(float) * x0 * C);
    std::memset(drow + x1 * C, 0, sizeof(float) * (Wp - x1) * C);
  }
  // Blocks of 16 channels × 16 pixels: 16 source planes are read as
  // sequential streams (few enough for the hardware prefetchers; all C planes
  // at once would miss on every line) and each pixel's 16 values are written
  // as one 64-byte run of the destination.
  constexpr int64_t kBlock = 16;
  const int64_t plane = H * W;
  for (int64_t c0 = 0; c0 < C; c0 += kBlock) {
    const int64_t cb = std::min(kBlock, C - c0);
    for (int64_t y = y0; y < y1; ++y) {
      const float* s = src + c0 * plane + (y - padH) * W - padW;
      float* drow = dst + y * Wp * C + c0;
      for (int64_t x = x0; x < x1; x += kBlock)
        ks.toHwcBlock(s + x, plane, cb, std::min(kBlock, x1 - x), drow + x * C, C);
    }
  }
}

namespace {

int64_t paddedStride(int64_t floats) { return winogradPaddedStride(floats); }

// Filters per block of gathered input channels (see transformPanel).
constexpr int64_t kChannelBlock = 8;
constexpr int64_t kMaxNr = 64;  // the widest tile of any kernel set

// Floats of scratch transformPanel needs.
constexpr int64_t kPanelScratchFloats = kChannelBlock * 5 * 5 * kMaxNr;

// U = G g Gᵀ for the output channels of panel q of group grp: written at
// U (ξ = 0; ξ apart by xiStride) in the panel layout of winogradOffset,
// zero past the group's last channel. scratch: kPanelScratchFloats.
// Vectorised over 4 output channels at a time, with G's coefficients known
// at compile time (zero terms dropped): per call at batch 1 this transform
// runs on every forward (winogradFiltersPerCall). Each value is summed as
// 0 + G[i][k]·g[k][l] + … in k order, then l order, skipping zero
// coefficients, whatever the vector width, so every packing of a layer
// holds the same filters to the bit.
template <class Mx>
void transformPanel(const ConvGeom& g, const float* w, const PackedConvWeight& packed, int64_t grp, int64_t q, float* U,
                    int64_t xiStride, float* scratch) {
  constexpr int R = Mx::r, n = Mx::n;
  using V4 = winograd::VecOf<4>::type;
  const int64_t nr = packed.nr;
  const int64_t cg = g.cg(), og = g.og();
  if (nr > kMaxNr || nr % 4 != 0) throw std::logic_error("winograd: panels must be 4 to 64 columns, whole vectors");
  float* block = scratch;  // [kChannelBlock][R·R][kMaxNr]: the block's filters, columns zero past the group
  const int64_t o0 = q * nr, cols = std::min(og, o0 + nr) - o0;
  for (int64_t c = 0; c < cg; ++c) {
    if (c % kChannelBlock == 0) {
      // Gather a block of input channels at once: each filter row reads
      // kChannelBlock·R² contiguous floats.
      const int64_t cb = std::min(kChannelBlock, cg - c);
      for (int64_t j = 0; j < cols; ++j) {
        const float* src = w + ((grp * og + o0 + j) * cg + c) * R * R;
        for (int64_t cc = 0; cc < cb; ++cc)
          for (int k = 0; k < R * R; ++k) block[(cc * R * R + k) * kMaxNr + j] = src[cc * R * R + k];
      }
      for (int64_t cc = 0; cc < cb; ++cc)
        for (int k = 0; k < R * R; ++k)
          for (int64_t j = cols; j < nr; ++j) block[(cc * R * R + k) * kMaxNr + j] = 0.0f;
    }
    const float* gathered = block + (c % kChannelBlock) * R * R * kMaxNr;
    for (int64_t j0 = 0; j0 < nr; j0 += 4) {
      V4 gv[R][R];
      for (int k = 0; k < R; ++k)
        for (int l = 0; l < R; ++l) gv[k][l] = winograd::loadVec<V4>(gathered + (k * R + l) * kMaxNr + j0);
      // t[i][l] = Σ_k G[i][k] g[k][l]
      V4 t[n][R];
      for (int i = 0; i < n; ++i)
        for (int l = 0; l < R; ++l) {
          V4 acc = {};
          for (int k = 0; k < R; ++k)
            if (Mx::G[i][k] != 0.0f) acc += Mx::G[i][k] * gv[k][l];
          t[i][l] = acc;
        }
      // u[i][jj] = Σ_l t[i][l] G[jj][l], into the ξ = (i, jj) panel.
      float* dst = U + packed.winogradOffset(c, j0);
      for (int i = 0; i < n; ++i)
        for (int jj = 0; jj < n; ++jj) {
          V4 acc = {};
          for (int l = 0; l < R; ++l)
            if (Mx::G[jj][l] != 0.0f) acc += Mx::G[jj][l] * t[i][l];
          winograd::storeVec(dst + (i * n + jj) * xiStride, acc);
        }
    }
  }
}

void transformPanelOf(winograd::Kind kind, const ConvGeom& g, const float* w, const PackedConvWeight& packed,
                      int64_t grp, int64_t q, float* U, int64_t xiStride, float* scratch) {
  switch (kind) {
    case winograd::Kind::F2x5:
      return transformPanel<winograd::Matrices<5>>(g, w, packed, grp, q, U, xiStride, scratch);
    case winograd::Kind::F4x5:
      return transformPanel<winograd::MatricesF45>(g, w, packed, grp, q, U, xiStride, scratch);
    case winograd::Kind::F4x3:
      return transformPanel<winograd::MatricesF43>(g, w, packed, grp, q, U, xiStride, scratch);
    case winograd::Kind::F5x3:
      return transformPanel<winograd::MatricesF53>(g, w, packed, grp, q, U, xiStride, scratch);
    default:
      return transformPanel<winograd::Matrices<3>>(g, w, packed, grp, q, U, xiStride, scratch);
  }
}

// Every panel of the filters into U ([groups][ξ][panels][cg][NR], ξ apart
// by paddedStride(panels·cg·NR)), in parallel over (group, panel).
void packFilters(const ConvGeom& g, const float* w, const PackedConvWeight& packed, LargeVector<float>& U) {
  const int64_t xis = winograd::patchSide(packed.winogradKind) * winograd::patchSide(packed.winogradKind);
  const int64_t cg = g.cg(), panels = packed.panelsPerGroup;
  const int64_t xiStride = paddedStride(panels * cg * packed.nr);
  U.resize(g.groups * xis * xiStride);
  parallelForDynamic(g.groups * panels, 1, [&](int64_t begin, int64_t end, int) {
    std::vector<float> scratch(kPanelScratchFloats);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t grp = task / panels, q = task % panels;
      transformPanelOf(packed.winogradKind, g, w, packed, grp, q, U.data() + grp * xis * xiStride + q * cg * packed.nr,
                       xiStride, scratch.data());
    }
  });
}

}  // namespace

namespace {

// Products per channel pair of a kind on the layer's output: (m+r−1)² per m×m block.
int64_t winogradProducts(winograd::Kind kind, const ConvGeom& g) {
  const int64_t m = winograd::outputSide(kind), n = winograd::patchSide(kind);
  return ceilDiv(g.outH, m) * ceilDiv(g.outW, m) * n * n;
}

}  // namespace

void packWinogradWeight(const ConvGeom& g, const float* w, PackedConvWeight* packed) {
  // F(4, 3), F(5, 3) and F(4, 5) for fp32 inference; training and bf16 keep F(2, r),
  // whose smaller coefficients amplify rounding less (see forInference in conv.h).
  // Of the 3×3 kinds, F(5, 3) where it needs fewer products (see Kind).
  const bool largeTiles = packed->forInference && !packed->isBf16();
  if (g.kernelH == 5) {
    packed->winogradKind = largeTiles ? winograd::Kind::F4x5 : winograd::Kind::F2x5;
  } else if (!largeTiles) {
    packed->winogradKind = winograd::Kind::F2x3;
  } else {
    const bool fewer = winogradProducts(winograd::Kind::F5x3, g) < winogradProducts(winograd::Kind::F4x3, g);
    packed->winogradKind = fewer ? winograd::Kind::F5x3 : winograd::Kind::F4x3;
  }
  packed->winogradSlice = packed->ks->narrowTile != nullptr ? packed->ks->vector : packed->nr;
  packed->winogradSource.clear();
  packed->winogradOnce = std::make_shared<WinogradFilters>();
  // Filters kept as they are, transformed per call (see winogradFiltersPerCall).
  const int64_t n = winograd::patchSide(packed->winogradKind);
  const int64_t transformedBytes =
      g.groups * n * n * packed->panelsPerGroup * g.cg() * packed->nr * static_cast<int64_t>(sizeof(float));
  if (largeTiles && packed->ks->winogradFiltersPerCall && packed->spaceToDepth == 1 &&
      transformedBytes >= kFiltersPerCallBytes) {
    packed->winograd.clear();
    packed->winogradSource.assign(w, w + g.weightSize());
    return;
  }
  packFilters(g, w, *packed, packed->winograd);
}

bool conv2dForwardWinograd(const ConvGeom& layer, const float* x, const PackedConvWeight& w, const float* bias,
                           float* out, bool relu) {
  const KernelSet& ks = *w.ks;
  // With space-to-depth the products run on the rewritten stride-1 layer; the
  // input conversion below reads the layer's own planes.
  const int64_t s = w.spaceToDepth;
  const ConvGeom g = s > 1 ? spaceToDepthGeom(layer, s) : layer;
  const winograd::Kind kind = w.winogradKind;
  const int64_t r = g.kernelH, m = winograd::outputSide(kind), n = winograd::patchSide(kind), xis = n * n;
  const int64_t MR = w.mr, NR = w.nr;
  const int64_t cg = g.cg(), og = g.og(), panels = w.panelsPerGroup;
  const int64_t tilesH = ceilDiv(g.outH, m), tilesW = ceilDiv(g.outW, m), tiles = tilesH * tilesW;
  const int64_t Hp = m * tilesH + r - 1, Wp = m * tilesW + r - 1;

  // Tasks are (image·group, range of tiles, range of output-channel panels).
  // When images are fewer than threads (batch 1), the work of an image is
  // split one of two ways, chosen by the kernel set (winogradSplit), or
  // measured per layer where it cannot know the CPU (winograd_split.h):
  // - panels: each thread reads only its share of the transformed filters U,
  //   which at batch 1 come from memory (F(5, 3)'s U is 5.4× the raw weights)
  //   and are used by few tiles (9 on a 13×13 layer), while V, cheap to
  //   compute, is computed by every thread that needs it. Pays where the
  //   products outrun memory (AVX-512, AVX2).
  // - tiles: each thread converts, transforms and multiplies only its tiles,
  //   reading all of U. Pays where the products are slow next to memory
  //   (WebAssembly on Zen 5: with panels, both threads converted the whole
  //   input, from lines the other core had just written, at 5× the one-thread
  //   cost; in Chromium the split by tiles took conv2-5 from 7.6 to 6.9 ms;
  //   on Sapphire Rapids the panels won on the 13×13 layers, hence measured).
  const int threads = poolThreads();
  const int64_t imagesGroups = g.batch * g.groups;
  const bool fewImages = imagesGroups < threads;
  const int64_t share = fewImages ? ceilDiv(threads, imagesGroups) : 1;  // threads per image·group
  // Filters kept as they are (winogradSource): at images ≤ threads each task
  // transforms its own panels, a chunk at a time, and multiplies all its tiles
  // by each chunk; with more images, the transform of all the filters is
  // made once and kept.
  const bool perCall = !w.winogradSource.empty() && imagesGroups <= threads;
  const bool measured = fewImages && !perCall && ks.winogradSplit == WinogradSplit::Measured && w.forInference;
  const bool panelSplit =
      perCall || (measured ? w.splitTrials->panelsForNextCall(threads) : ks.winogradSplit == WinogradSplit::Panels);
  const int64_t panelParts = fewImages && panelSplit ? std::min(panels, share) : 1;
  const int64_t panelsPerPart = ceilDiv(panels, panelParts);
  // Tiles per task: V and the task's columns of M near the L2 budget, a
  // multiple of MR.
  const int64_t taskColumns = std::min(og, panelsPerPart * NR);
  int64_t T = winogradScratchBudgetBytes() / (xis * (cg + taskColumns) * static_cast<int64_t>(sizeof(float)));
  T = std::max<int64_t>(MR, T / MR * MR);
  // Each tile range reads the task's share of U once. With few tiles (batch 1
  // on 13×13 layers) that share is far larger than V and M for every tile,
  // and each range re-reads it from memory (conv4 in 3 ranges read its 14 MB
  // of U three times): then one range, whose V and M spill from L2 to L3,
  // costs far less.
  const int64_t taskUBytes = xis * cg * taskColumns * static_cast<int64_t>(sizeof(float));
  int64_t parts = 0;
  if (fewImages && !panelSplit) {
    // Split by tiles: one even range per thread where U outweighs the range's
    // V and M (AlexNet at batch 1: conv2's 49 tiles as 25 + 24, the 13×13
    // layers' 9 as 5 + 4), else ranges within the L2 budget, as many for
    // each thread.
    const int64_t perThread = ceilDiv(tiles, std::min(share, tiles));
    const int64_t rangeScratchBytes = xis * perThread * (cg + taskColumns) * static_cast<int64_t>(sizeof(float));
    if (taskUBytes >= rangeScratchBytes || T >= perThread) {
      T = perThread;
    } else {
      T = ceilDiv(tiles, roundUp(ceilDiv(tiles, T), share));
    }
    parts = ceilDiv(tiles, T);
  } else {
    const int64_t allTilesScratchBytes = xis * tiles * (cg + taskColumns) * static_cast<int64_t>(sizeof(float));
    if (taskUBytes >= allTilesScratchBytes || perCall) T = std::max(T, roundUp(tiles, MR));
    parts = std::min(ceilDiv(tiles, T), tiles);
    // Whole register tiles per task: only an image's last task has a partial
    // one (e.g. 49 tiles in 4 tasks as 16+16+16+1 rather than 13 = 8+5 each,
    // which ran 5-row tiles for a third of the rows).
    T = std::min(tiles, ceilDiv(ceilDiv(tiles, parts), MR) * MR);
    parts = ceilDiv(tiles, T);
  }

  const int64_t uStride = paddedStride(panels * cg * NR);
  const int64_t vStride = paddedStride(T * cg), mStride = paddedStride(T * og);
  const float* transformed = w.winograd.data();
  if (!w.winogradSource.empty() && !perCall) {
    std::call_once(w.winogradOnce->once, [&] { packFilters(g, w.winogradSource.data(), w, w.winogradOnce->u); });
    transformed = w.winogradOnce->u.data();
  }
  // Per call: panels per chunk, the chunk's transformed filters within half the L2 budget.
  const int64_t panelBytes = xis * cg * NR * static_cast<int64_t>(sizeof(float));
  const int64_t chunkPanels = std::max<int64_t>(1, winogradScratchBudgetBytes() / (2 * panelBytes));
  const int64_t chunkStride = paddedStride(chunkPanels * cg * NR);

  // Filters (ξ, q) of a set of panels [qa, qb): `base` holds panel qFirst at ξ = 0, ξ apart by xiStride.
  struct PanelSet {
    const float* base;
    int64_t xiStride, qFirst, qa, qb;
    const float* at(int64_t xi, int64_t q, int64_t panelFloats) const {
      return base + xi * xiStride + (q - qFirst) * panelFloats;
    }
  };
  // From panel (ξ, q) to the next one multiplied, in floats (0: none).
  auto nextPanelDistance = [&](const PanelSet& u, int64_t xi, int64_t q) -> int64_t {
    if (q + 1 < u.qb) return cg * NR;
    return xi + 1 < xis ? u.xiStride - (q - u.qa) * cg * NR : 0;
  };

  std::vector<int64_t> koff(cg);
  for (int64_t c = 0; c < cg; ++c) koff[c] = c;

  // bf16: V is rounded to pair rows along the channels after the (fp32)
  // input transform; the products then run on the bf16 tiles.
  if (w.isBf16() && bf16Kernels() == nullptr) throw std::runtime_error(bf16Unsupported());
  const Bf16Kernels* bk = w.bf16Set;
  const int64_t cp = bk != nullptr ? bf16Pairs(*bk, cg) : 0;

  // With images enough for every thread, a hand-out is a whole image, so that
  // each image is converted to padded HWC once: one tile range at a time, the
  // threads alternated within each image and both converted it (on Zen 4 at
  // batch 32, toPaddedHwc fell from 5.6% to 1.8% of the forward's time), as
  // conv2dForwardDirect hands out whole images to pad each once.
  const int64_t grain = imagesGroups >= 2 * threads ? parts * panelParts : 1;
  const auto start = std::chrono::steady_clock::now();
  // Set by the task whose converted input holds a value outside Winograd's
  // range (winograd_range.h): the other tasks then stop, and the caller convolves directly. Checked on the
  // HWC copy just written (in cache) rather than by a pass over x before the
  // layer, which cost 3% of AlexNet's batch-32 forward on Sapphire Rapids.
  std::atomic<bool> outOfRange{false};
  parallelForDynamic(imagesGroups * parts * panelParts, grain, [&](int64_t begin, int64_t end, int) {
    float* hwc = threadScratch<float>(ScratchSlot::PaddedInput, Hp * Wp * cg);
    float* V = threadScratch<float>(ScratchSlot::Winograd0, xis * vStride);
    float* M = threadScratch<float>(ScratchSlot::Winograd1, xis * mStride);
    int64_t convertedFor = -1, transformedFor = -1;
    const float* rowPtrs[16];
    for (int64_t task = begin; task < end; ++task) {
      if (outOfRange.load(std::memory_order_relaxed)) return;
      const int64_t tileTask = task / panelParts;  // (image·group, tile range)
      const int64_t ig = tileTask / parts;
      const int64_t img = ig / g.groups, grp = ig % g.groups;
      const int64_t t0 = (tileTask % parts) * T;
      const int64_t t1 = std::min(tiles, t0 + T);
      const int64_t count = t1 - t0;
      const int64_t q0 = (task % panelParts) * panelsPerPart, q1 = std::min(panels, q0 + panelsPerPart);
      if (q0 >= q1) continue;
      if (transformedFor != tileTask) {
        if (convertedFor != ig) {
          const int64_t layerCg = layer.cg();
          const float* planes = x + (img * layer.inChannels + grp * layerCg) * layer.inPlane();
          if (s > 1)
            toSpaceToDepthHwc(planes, layerCg, layer.inH, layer.inW, layer.padH, layer.padW, s, Hp, Wp, hwc);
          else
            toPaddedHwc(ks, planes, cg, g.inH, g.inW, g.padH, g.padW, Hp, Wp, hwc);
          if (!allInWinogradRangeSerial(hwc, Hp * Wp * cg)) {
            outOfRange.store(true, std::memory_order_relaxed);
            return;
          }
          convertedFor = ig;
        }
        ks.winogradInput(kind, hwc, Wp * cg, cg, tilesW, t0, t1, V, vStride);
        transformedFor = tileTask;
      }

      if (bk != nullptr) {
        bf16* Vb = threadScratch<bf16>(ScratchSlot::Bf16Activations, count * 2 * cp);
        for (int64_t xi = 0; xi < xis; ++xi) {
          const float* Vxi = V + xi * vStride;
          if (cg == 2 * cp) {
            bk->convert(Vxi, Vb, count * cg);
          } else {
            for (int64_t row = 0; row < count; ++row) {
              bk->convert(Vxi + row * cg, Vb + row * 2 * cp, cg);
              std::fill(Vb + row * 2 * cp + cg, Vb + (row + 1) * 2 * cp, bf16{0});
            }
          }
          float* Mxi = M + xi * mStride;
          for (int64_t q = q0; q < q1; ++q) {
            const bf16* panel = w.winogradBf16.data() + ((grp * xis + xi) * panels + q) * cp * NR * 2;
            const int nr = static_cast<int>(std::min<int64_t>(NR, og - q * NR));
            for (int64_t r0 = 0; r0 < count; r0 += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, count - r0));
              Bf16TileArgs t;
              t.kp = cp;
              t.a = reinterpret_cast<const uint32_t*>(Vb + r0 * 2 * cp);
              t.lda = cp;
              t.b = panel;
              t.ldb = NR;
              t.c = Mxi + r0 * og + q * NR;
              t.ldc = og;
              t.mr = mr;
              t.nr = nr;
              bk->tile(t);
            }
          }
        }
      } else {
        // fp32: the products of the task's tiles with a set of panels.
        auto multiply = [&](const PanelSet& u) {
          if (count > MR && count <= ks.narrowRows) {
            // Few tiles (batch 1): one pass per column slice of each panel with
            // every tile as a row, so U, streamed from memory, is read once and
            // used by all tiles (MR-row blocks read it from memory for the first
            // block only and then ran from L2 with nothing to overlap).
            const int64_t vec = ks.vector;
            for (int64_t xi = 0; xi < xis; ++xi) {
              for (int64_t q = u.qa; q < u.qb; ++q) {
                const float* panel = u.at(xi, q, cg * NR);
                const int64_t nr = std::min<int64_t>(NR, og - q * NR);
                const int64_t toNextPanel = nextPanelDistance(u, xi, q);
                for (int64_t s0 = 0; s0 < nr; s0 += vec) {
                  NarrowTileArgs t;
                  t.kc = cg;
                  t.a = V + xi * vStride;
                  t.lda = cg;
                  t.b = panel + w.winogradOffset(0, s0);
                  t.ldb = w.winogradSlice;
                  t.c = M + xi * mStride + q * NR + s0;
                  t.ldc = og;
                  t.mr = static_cast<int>(count);
                  t.nr = static_cast<int>(std::min(vec, nr - s0));
                  // Prefetch the next slice, after the last one the next panel's first.
                  const int64_t sliceStart = w.winogradOffset(0, s0);
                  t.prefetchDistance = s0 + vec < nr ? w.winogradOffset(0, s0 + vec) - sliceStart
                                                     : (toNextPanel == 0 ? 0 : toNextPanel - sliceStart);
                  ks.narrowTile(t);
                }
              }
            }
          } else {
            for (int64_t xi = 0; xi < xis; ++xi) {
              const float* Vxi = V + xi * vStride;
              float* Mxi = M + xi * mStride;
              for (int64_t q = u.qa; q < u.qb; ++q) {
                const float* panel = u.at(xi, q, cg * NR);
                const int nr = static_cast<int>(std::min<int64_t>(NR, og - q * NR));
                // Row blocks as even as MR allows (16 tiles as 4+4+4+4, not
                // 5+5+5+1: a one-row tile waits on its two accumulators' adds).
                const int64_t blocks = ceilDiv(count, MR);
                for (int64_t blk = 0, r0 = 0, mr = 0; blk < blocks; ++blk, r0 += mr) {
                  mr = ceilDiv(count - r0, blocks - blk);
                  for (int i = 0; i < mr; ++i) rowPtrs[i] = Vxi + (r0 + i) * cg;
                  TileArgs t;
                  t.kc = cg;
                  t.rows = rowPtrs;
                  t.koff = koff.data();
                  t.unitK = true;
                  t.b = panel;
                  t.ldb = w.winogradSlice;
                  t.bVec = w.winogradSlice == NR ? 0 : cg * w.winogradSlice;
                  t.c = Mxi + r0 * og + q * NR;
                  t.ldc = og;
                  t.mr = static_cast<int>(mr);
                  t.nr = nr;
                  // The first row block of a panel pulls in the next panel
                  // (batch 1 reads each panel for only one or two blocks).
                  if (r0 == 0) t.prefetchDistance = nextPanelDistance(u, xi, q);
                  ks.tile(t);
                }
              }
            }
          }
        };
        if (!perCall) {
          multiply(PanelSet{transformed + grp * xis * uStride, uStride, 0, q0, q1});
        } else {
          float* chunk = threadScratch<float>(ScratchSlot::WinogradFilters, xis * chunkStride);
          float* panelScratch = threadScratch<float>(ScratchSlot::WinogradFilterGather, kPanelScratchFloats);
          for (int64_t c0 = q0; c0 < q1; c0 += chunkPanels) {
            const int64_t c1 = std::min(q1, c0 + chunkPanels);
            for (int64_t q = c0; q < c1; ++q)
              transformPanelOf(kind, g, w.winogradSource.data(), w, grp, q, chunk + (q - c0) * cg * NR, chunkStride,
                               panelScratch);
            multiply(PanelSet{chunk, chunkStride, c0, c0, c1});
          }
        }
      }

      const int64_t o0 = q0 * NR, o1 = std::min(og, q1 * NR);
      ks.winogradOutput(kind, M + o0, mStride, og, o1 - o0, bias != nullptr ? bias + grp * og + o0 : nullptr, relu,
                        tilesW, t0, t1, g.outH, g.outW, out + (img * g.outChannels + grp * og + o0) * g.pixels());
    }
  });
  if (outOfRange.load()) return false;
  if (measured)
    w.splitTrials->record(panelSplit, threads,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return true;
}

}  // namespace alexnet
