// bf16 inference: weights converted once, activations rounded at the GEMM
// inputs, products accumulated in fp32 (vdpbf16ps), fp32 everywhere else.
//
// Layouts. A bf16 matrix row that the micro-kernel broadcasts from holds its
// K values contiguously (K padded to even with a zero), read as K/2 32-bit
// pairs. The vector side is packed into NR-wide panels of pairs:
// panel[kp][j][2] = (B(2kp, j), B(2kp+1, j)), which is what vdpbf16ps
// multiplies against a broadcast pair.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

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
  int64_t kp = 0;
  const uint32_t* const* rows = nullptr;  // mr rows of kp bf16 pairs
  const bf16* b = nullptr;                // panel of pairs: b[(kk·ldb + j)·2 + {0,1}]
  int64_t ldb = 0;                        // panel width in columns (≥ nr, zero-padded)
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

struct Bf16Kernels {
  const char* name;  // "avx512_bf16"
  int shapeCount;
  TileShape shapes[3];  // register tiles the kernel has (rows × columns)
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
};

// The bf16 kernels of this CPU, or null when it has no bf16 instructions the
// addon uses (then bf16Unsupported() says why).
const Bf16Kernels* bf16Kernels();
std::string bf16Unsupported();

#if ALEXNET_X86
const Bf16Kernels& avx512Bf16Kernels();
#endif

// The tile shape for a product with `columns` columns (fewest padded columns).
TileShape pickBf16TileShape(const Bf16Kernels& k, int64_t columns);

// Pairs of k for K values.
inline int64_t bf16Pairs(int64_t K) { return (K + 1) / 2; }

// Packs columns [j0, j0 + cols) of a row-major op(B) into pair panels NR wide:
//   transB = false: B is [K][ldb] (columns contiguous);  true: B is [N][ldb] (k contiguous).
// dst holds ceil(cols / NR) panels of kp × NR pairs; padding is zero.
void packBf16Panels(bool transB, const float* B, int64_t ldb, int64_t K, int64_t j0, int64_t cols, int nr, bf16* dst);

}  // namespace alexnet
