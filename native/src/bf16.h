// bf16 inference: weights converted once, activations rounded at the GEMM
// inputs, products accumulated in fp32 (vdpbf16ps, or AMX tiles where the
// CPU has them), fp32 everywhere else.
//
// Layouts. A bf16 matrix row that the micro-kernel broadcasts from holds its
// K values contiguously (K padded with zeros to whole pairs, and to the
// kernel set's pairAlign), read as 32-bit pairs. The vector side is packed
// into NR-wide panels of pairs: panel[kp][j][2] = (B(2kp, j), B(2kp+1, j)),
// which is what vdpbf16ps multiplies against a broadcast pair, and also the
// layout AMX's tdpbf16ps reads its B tiles in (16 pair rows of 16 columns).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tile_kernel.h"

namespace alexnet {

using bf16 = uint16_t;

// float → bf16 as vcvtneps2bf16 does it: round to nearest even, denormal
// inputs to signed zero, NaN kept quiet. The js reference (src/backend/js/bf16.ts)
// rounds the same way.
inline bf16 toBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  if ((u & 0x7F800000u) == 0) return static_cast<bf16>((u >> 16) & 0x8000u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<bf16>((u >> 16) | 0x40u);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<bf16>(u >> 16);
}

inline float fromBf16(bf16 h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

// One register tile of C (mr × nr) += Σ_pairs A·B over kp pairs of k.
struct Bf16TileArgs {
  int64_t kp = 0;               // a multiple of the kernel set's pairAlign
  const uint32_t* a = nullptr;  // mr rows of kp bf16 pairs, lda pairs apart
  int64_t lda = 0;
  const bf16* b = nullptr;  // panel of pairs: b[(kk·ldb + j)·2 + {0,1}]
  int64_t ldb = 0;          // panel width in columns (≥ nr, zero-padded)
  float* c = nullptr;
  int64_t ldc = 0;
  int mr = 0, nr = 0;
  bool accumulate = false;
  const float* biasRow = nullptr;
  const float* biasCol = nullptr;
  bool relu = false;
};

// out[i·ldo + j] (=|+=) Σ_k a[i][k]·b[j][k] for k < k (even), rows contiguous bf16.
struct Bf16DotArgs {
  int64_t k = 0;
  const bf16* const* a = nullptr;
  const bf16* const* b = nullptr;
  float* out = nullptr;
  int64_t ldo = 0;
  int mb = 0, nb = 0;
  bool accumulate = false;
};

// A block of a stride-1 convolution from pair planes (conv_pair_planes.cc):
// up to 32 output channels × 32 consecutive pixel positions, with the
// products over every tap and input channel, then bias, ReLU and the stores.
struct Bf16PlaneConvArgs {
  // The block's weights in steps of k (32 channels of one tap; the channel
  // steps outside, the taps inside): [channels / 32][taps][32 output
  // channels][32], so that each A tile is 1 KiB read in sequence.
  const bf16* weights = nullptr;
  const bf16* planes = nullptr;  // pair planes [channels / 2][planePairs][2], at the block's first position
  int64_t planePairs = 0;
  const int64_t* tapOffsets = nullptr;  // positions from a window's corner to each tap
  int taps = 0;
  int64_t channels = 0;  // input channels, a multiple of 32 (zero-padded)
  int rows = 0;          // output channels to compute and store (≤ 32)
  int columns = 0;       // positions to compute (≤ 32)
  // Where the results go: runs of the block's positions (column, count) to
  // out + outOffset (+ row · outPlane), the positions between runs (the
  // padding columns of the planes) dropped.
  struct Run {
    int column = 0, count = 0;
    int64_t outOffset = 0;
  };
  const Run* runs = nullptr;
  int runCount = 0;
  float* out = nullptr;
  int64_t outPlane = 0;
  const float* bias = nullptr;  // per row, or null
  bool relu = false;
};

struct Bf16Kernels {
  const char* name;  // "avx512_bf16" or "amx"
  // Rows of pairs handed to `tile` are padded with zero pairs to a multiple
  // of this (AMX multiplies 16 pairs per tile row; vdpbf16ps one).
  int pairAlign;
  int shapeCount;
  TileShape shapes[3];  // tiles the kernel has (rows × columns)
  int dotMb, dotNb;
  void (*tile)(const Bf16TileArgs&);
  void (*dot)(const Bf16DotArgs&);
  // dst[i] = toBf16(src[i]) for i < n.
  void (*convert)(const float* src, bf16* dst, int64_t n);
  // Rows of an implicit im2col in bf16: for each of `count` pixels, the K
  // values src[pixel][koff(k)] where the taps come in runs of `run`
  // consecutive floats starting at runStart[i] (i < runs), written to
  // dst + p·ldd (K = runs·run, padded with zeros to ldd).
  void (*gatherRuns)(const float* const* pixels, int count, const int64_t* runStart, int64_t runs, int64_t run,
                     bf16* dst, int64_t ldd);
  // dst[2i] = toBf16(a[i]), dst[2i + 1] = toBf16(b[i]) for i < n: two
  // channels' rows as one row of pairs.
  void (*interleavePairs)(const float* a, const float* b, int64_t n, bf16* dst);
  // A convolution block from pair planes (Bf16PlaneConvArgs); null where the
  // set has none (AVX512-BF16 keeps its im2col and Winograd paths).
  void (*planeConv)(const Bf16PlaneConvArgs&);
};

// The bf16 kernels in use, or null when this CPU has no bf16 instructions
// the addon uses (then bf16Unsupported() says why): AMX where the CPU has it
// and Linux grants the tile state (arch_prctl), else AVX512-BF16. The
// environment variable ALEXNET_BF16=avx512_bf16, or setBf16Level, keeps an
// AMX CPU on AVX512-BF16 (to compare the two, and to test both).
const Bf16Kernels* bf16Kernels();
std::string bf16Unsupported();

// Names of the bf16 kernel sets this CPU can run, lowest first.
std::vector<std::string> availableBf16Levels();
// Caps the kernel set at `name` ("avx512_bf16" | "amx"); returns the name in
// effect (empty when bf16 is unsupported), or false from parse for others.
bool setBf16Level(const std::string& name, std::string* inEffect);

#if ALEXNET_X86
const Bf16Kernels& avx512Bf16Kernels();
// AMX tiles for the products; conversion, gathers and dots from avx512Bf16Kernels.
const Bf16Kernels& amxBf16Kernels();
// Asks Linux for the AMX tile state (once per process); whether it was granted.
bool amxPermitted();
#endif

// The tile shape for a product with `columns` columns (fewest padded columns).
TileShape pickBf16TileShape(const Bf16Kernels& k, int64_t columns);

// Pairs of k for K values, padded to the kernel set's pairAlign.
inline int64_t bf16Pairs(const Bf16Kernels& bk, int64_t K) {
  const int64_t pairs = (K + 1) / 2;
  return (pairs + bk.pairAlign - 1) / bk.pairAlign * bk.pairAlign;
}

// Packs columns [j0, j0 + cols) of a row-major op(B) into pair panels NR wide:
//   transB = false: B is [K][ldb] (columns contiguous);  true: B is [N][ldb] (k contiguous).
// dst holds ceil(cols / NR) panels of kp × NR pairs (kp ≥ ceil(K/2)); padding is zero.
void packBf16Panels(bool transB, const float* B, int64_t ldb, int64_t K, int64_t kp, int64_t j0, int64_t cols, int nr,
                    bf16* dst);

}  // namespace alexnet
