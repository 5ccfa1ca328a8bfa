// 2-D convolution kernels (NCHW input, OIHW weight, groups split C and O).
//
// The forward pass is an implicit-im2col product: output pixels are the rows
// of the micro-kernel tiles, read by broadcast straight from a zero-padded copy
// of the input (rows[r] = the pixel's window corner, koff[k] = the offset of
// tap k = (c, kh, kw)), and output channels are the vector columns, read from
// the weights packed into NR-wide k-major panels. Tiles are then transposed
// into the NCHW output with the bias and optional ReLU. 3×3 and 5×5 stride-1
// layers use Winograd instead (winograd.cc, winograd_transforms.h), and so do
// packed inference layers whose stride turns them into such a layer over the
// input's phase planes (space_to_depth.cc: AlexNet's conv1).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bf16.h"
#include "huge_pages.h"
#include "tile_kernel.h"

namespace alexnet {

struct ConvGeom {
  int64_t batch = 0, inChannels = 0, inH = 0, inW = 0;
  int64_t outChannels = 0, outH = 0, outW = 0;
  int64_t kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, padH = 0, padW = 0, dilationH = 1, dilationW = 1;
  int64_t groups = 1;

  int64_t cg() const { return inChannels / groups; }
  int64_t og() const { return outChannels / groups; }
  int64_t taps() const { return kernelH * kernelW; }
  int64_t kdim() const { return cg() * taps(); }  // K of the per-group product
  int64_t pixels() const { return outH * outW; }
  int64_t inPlane() const { return inH * inW; }
  int64_t inputSize() const { return batch * inChannels * inH * inW; }
  int64_t outputSize() const { return batch * outChannels * outH * outW; }
  int64_t weightSize() const { return outChannels * kdim(); }
};

// Checks the geometry (positive sizes, groups dividing the channels, output
// size matching torch's formula); returns an empty string or what is wrong.
std::string validateConvGeom(const ConvGeom& g);

// True when the Winograd F(2×2, r×r) path applies to this layer.
bool winogradApplies(const ConvGeom& g);

// Space-to-depth (space_to_depth.cc): a stride-s layer as a stride-1 one over
// the input's s² phase planes, which Winograd then computes. The factor s
// where packed inference weights take that path (a large enough output of a
// kernel that becomes 3×3 or 5×5), else 1.
int64_t spaceToDepthFactor(const ConvGeom& g);
// The stride-1 layer: C·s² channels, ⌈k/s⌉² kernel, no padding, same output.
ConvGeom spaceToDepthGeom(const ConvGeom& g, int64_t s);
// Its filters w'[O][C·s²][R][R] from w[O][C/groups][k][k].
void spaceToDepthWeight(const ConvGeom& g, int64_t s, const float* w, float* dst);
// C planes H×W of one image·group → the phase planes in HWC, Hp × Wp pixels of
// C·s² channels: dst[Y][X][(c·s + p)·s + q] = src[c][s·Y + p − padH][s·X + q − padW],
// 0 outside the source.
void toSpaceToDepthHwc(const float* src, int64_t C, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t s,
                       int64_t Hp, int64_t Wp, float* dst);

// The transformed Winograd filters of a packing that keeps its filters as
// they are (winogradSource), made at its first call with more images than
// threads and kept.
struct WinogradFilters {
  std::once_flag once;
  LargeVector<float> u;
};

// Transformed filters at least this large are not kept by kernel sets with
// winogradFiltersPerCall (AlexNet's conv3-5: 13-19 MB in F(5, 3), 5.4× their
// raw size; conv1 and conv2: 0.6 and 3.1 MB).
constexpr int64_t kFiltersPerCallBytes = int64_t{8} << 20;

// Weights prepared for the forward pass: NR-wide panels for the direct path
// or, for 3×3 and 5×5 stride-1 layers (and strided ones after space-to-depth),
// the Winograd-transformed filters. Tied to the kernel set they were packed for.
struct PackedConvWeight {
  const KernelSet* ks = nullptr;
  int mr = 0, nr = 0;  // the tile shape the panels were packed for
  int64_t outChannels = 0, cg = 0, kernelH = 0, kernelW = 0, groups = 1;
  int64_t strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
  int64_t panelsPerGroup = 0;  // ceil(og / NR)
  LargeVector<float> direct;   // [groups][panels][K][NR], empty when the Winograd path applies
  // [groups][(r+1)²][og panels][NR / slice][cg][slice] (ξ-padded), empty if not applicable. With
  // narrow tiles (AVX-512) a slice is one vector wide, so that batch 1, which
  // streams each slice from memory once (all of an image's tiles as its
  // rows), reads sequential lines (a third of every 192-byte row before:
  // AlexNet's conv3-5 took 5% longer at batch 1 on Zen 5); otherwise
  // slice = NR (row-major panels).
  LargeVector<float> winograd;
  int64_t winogradSlice = 0;
  // Or, where the kernel set transforms large filters per call
  // (winogradFiltersPerCall), the layer's weights as torch holds them
  // ([og·groups][cg][r][r]) and `winograd` empty; the transformed filters are
  // then made per call at batch ≤ threads, and once, into winogradOnce, for
  // larger batches.
  LargeVector<float> winogradSource;
  std::shared_ptr<WinogradFilters> winogradOnce = std::make_shared<WinogradFilters>();
  // bf16 inference (bf16.h): the same two layouts in pair panels, and the
  // fp32 vectors above left empty.
  //   directBf16:   [groups][panels][kp = bf16Pairs(K)][NR][2]
  //   winogradBf16: [groups][(r+1)²][panels][bf16Pairs(cg)][NR][2]
  const Bf16Kernels* bf16Set = nullptr;  // the bf16 kernel set the panels were packed for, or null (fp32)
  // The Winograd transform the `winograd*` panels hold (winograd_transforms.h).
  winograd::Kind winogradKind = winograd::Kind::F2x3;
  // s > 1: the Winograd panels (fp32 inference) or the pair-plane weights
  // (AMX) are those of the layer's space-to-depth rewriting, over cg·s² channels.
  int64_t spaceToDepth = 1;
  // Packed once for eval-mode inference (packConvWeight): fp32 layers then
  // take F(4, 3) or F(5, 3) (the fewer products) and F(4, 5). Weights packed
  // per call for training's forward keep F(2, r): F(4, 3)'s larger rounding
  // error is harmless in the logits (1.3e-6 of torch's) but flips near-ties
  // of max pooling's argmax in training, which moved sampled weight
  // gradients of the parity fixture 2e-3 away from torch's (seen with -O1
  // builds' rounding).
  bool forInference = false;
  LargeVector<bf16> directBf16;
  LargeVector<bf16> winogradBf16;
  // bf16 from pair planes (conv_pair_planes.cc; kernel sets with planeConv):
  // [groups][ceil(og / 32)][channels / 32][taps][32][32] of the stride-1
  // layer (after space-to-depth where spaceToDepth > 1), zero-padded.
  LargeVector<bf16> pairPlaneBf16;
  // The batch-1 thread split of a packing for inference on a kernel set that
  // measures it (WinogradSplit::Measured); weights packed on every call
  // (training) take the tiles.
  std::shared_ptr<SplitTrials> splitTrials = std::make_shared<SplitTrials>();

  int64_t og() const { return outChannels / groups; }
  int64_t kdim() const { return cg * kernelH * kernelW; }
  // Input channels of the Winograd panels (the phase planes' with space-to-depth).
  int64_t winogradChannels() const { return cg * spaceToDepth * spaceToDepth; }
  // Offset of (input channel c, column j) in a Winograd panel.
  int64_t winogradOffset(int64_t c, int64_t j) const {
    return (j / winogradSlice) * winogradChannels() * winogradSlice + c * winogradSlice + j % winogradSlice;
  }
  const float* directPanel(int64_t group, int64_t panel) const {
    return direct.data() + (group * panelsPerGroup + panel) * kdim() * nr;
  }
  size_t bytes() const {
    return (direct.size() + winograd.size() + winogradSource.size() + winogradOnce->u.size()) * sizeof(float) +
           (directBf16.size() + winogradBf16.size() + pairPlaneBf16.size()) * sizeof(bf16);
  }
  bool isBf16() const { return bf16Set != nullptr; }
  bool usesWinograd() const { return !winograd.empty() || !winogradSource.empty() || !winogradBf16.empty(); }
  // Whether this packing serves geometry g: same weight shape and the same
  // stride and dilation (which decide the algorithm); any batch and size.
  bool matches(const ConvGeom& g) const {
    return g.outChannels == outChannels && g.cg() == cg && g.kernelH == kernelH && g.kernelW == kernelW &&
           g.groups == groups && g.strideH == strideH && g.strideW == strideW && g.dilationH == dilationH &&
           g.dilationW == dilationW;
  }
};

std::unique_ptr<PackedConvWeight> packConvWeight(const KernelSet& ks, const ConvGeom& g, const float* w);
// The algorithm a packing runs, in words: "direct (implicit im2col)",
// "Winograd F(5×5, 3×3)", "Winograd F(5×5, 3×3) after 4×4 space-to-depth",
// "direct (AMX tiles on pair planes)", with ", bf16" where the products take
// bf16 (for per-layer reports and tests).
std::string describeConvAlgorithm(const PackedConvWeight& packed);
// The bf16 packing (throws the reason when the CPU has no bf16 kernels).
std::unique_ptr<PackedConvWeight> packConvWeightBf16(const KernelSet& ks, const ConvGeom& g, const float* w);
// Packs into `packed`, reusing its buffers' capacity (no fresh pages to fault in).
// winogradAllowed false: the direct layout whatever the layer (an input with a
// value outside Winograd's range, see winograd_range.h). Weights with one take the direct layout too.
void packConvWeightInto(const KernelSet& ks, const ConvGeom& g, const float* w, PackedConvWeight* packed,
                        bool winogradAllowed = true);

// out[N, O, oH, oW] = conv(x, w) + bias, optional ReLU. `source`: the weights
// the packing was made from, or null. A Winograd packing declines an input
// outside its range (a NaN or ∞, or a magnitude its sums would overflow:
// see winograd_range.h): the layer then runs directly from `source`, and without a
// source the call returns false, `out` unspecified (the wasm build's caller
// holds the weights outside its memory). True otherwise.
bool conv2dForward(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out,
                   bool relu, const float* source);
// largeWinogradTiles: 3×3 layers by F(4, 3) or F(5, 3), as packed inference
// weights are (the backward-data convolution); false keeps F(2, 3) (a
// training forward pass, see forInference). Layers that Winograd would take
// run directly when the input or the weights hold a value outside its range.
void conv2dForward(const KernelSet& ks, const ConvGeom& g, const float* x, const float* w, const float* bias,
                   float* out, bool relu, bool largeWinogradTiles = false);

// Internal entry points of the two forward algorithms.
void conv2dForwardDirect(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out,
                         bool relu);
// False, with `out` partly written, when the input holds a value outside Winograd's range (checked
// as each image is converted): the caller then convolves directly.
bool conv2dForwardWinograd(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias, float* out,
                           bool relu);
void packWinogradWeight(const ConvGeom& g, const float* w, PackedConvWeight* packed);
// bf16 from pair planes (conv_pair_planes.cc): whether kernels bk take g
// that way (they have planeConv; undilated, square strides), the packing,
// and the forward pass.
bool pairPlanesApply(const Bf16Kernels& bk, const ConvGeom& g);
void packPairPlaneWeight(const ConvGeom& g, const float* w, PackedConvWeight* packed);
void conv2dForwardPairPlanes(const ConvGeom& g, const float* x, const PackedConvWeight& w, const float* bias,
                             float* out, bool relu);
// The weight gradient by Winograd F(2×2, r×r), for layers where winogradApplies();
// false, gradW not written, when x or gradOut holds a value outside its range (winograd_range.h).
bool conv2dBackwardWeightWinograd(const KernelSet& ks, const ConvGeom& g, const float* x, const float* gradOut,
                                  float* gradW);

// Floats between consecutive ξ matrices of a Winograd buffer: the size plus
// one cache line, so that the matrices do not all start at the same offset
// modulo 4 KiB (16 or 36 streams in one L1 set would evict each other).
int64_t winogradPaddedStride(int64_t floats);
// NCHW planes of one image group → zero-padded HWC (C channels per pixel):
// dst[y][x][c] = src[c][y − padH][x − padW], 0 outside the source.
void toPaddedHwc(const KernelSet& ks, const float* src, int64_t C, int64_t H, int64_t W, int64_t padH, int64_t padW,
                 int64_t Hp, int64_t Wp, float* dst);

// gradIn[N, C, H, W] from gradOut[N, O, oH, oW].
void conv2dBackwardData(const KernelSet& ks, const ConvGeom& g, const float* gradOut, const float* w, float* gradIn);
// gradW[O, C/groups, kH, kW] and gradBias[O] (when not null).
void conv2dBackwardWeight(const KernelSet& ks, const ConvGeom& g, const float* x, const float* gradOut, float* gradW,
                          float* gradBias);

// Copies channels [c0, c0 + channels) of one image into a zero-padded buffer of
// planes (H + 2·padH) × (W + 2·padW) (padH/padW may be negative: cropping).
void padPlanes(const float* src, int64_t channels, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t outH,
               int64_t outW, float* dst);
// The same for rows [y0, y1) of every padded plane only (the rows a range of
// output pixels reads).
void padPlaneRows(const float* src, int64_t channels, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t outH,
                  int64_t outW, int64_t y0, int64_t y1, float* dst);

}  // namespace alexnet
