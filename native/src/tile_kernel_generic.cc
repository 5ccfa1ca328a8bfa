// Portable micro-kernels in plain C++ (4 rows × 8 columns) that the compiler
// vectorises for the baseline instruction set; the fallback on CPUs without
// AVX2 and on other architectures.
#include "arch.h"
#include "tile_kernel.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

template <int R>
void tile(const TileArgs& t) {
  float acc[R][kNr] = {};
  const float* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = t.rows[r];
  const int nr = t.nr;
  const float* b = t.b;
  if (nr == kNr) {
    for (int64_t k = 0; k < t.kc; ++k) {
      const int64_t off = t.koff[k];
      for (int r = 0; r < R; ++r) {
        const float a = rows[r][off];
        for (int j = 0; j < kNr; ++j) acc[r][j] += a * b[j];
      }
      b += t.ldb;
    }
  } else {
    // Edge tile: only nr columns of B may be read.
    for (int64_t k = 0; k < t.kc; ++k) {
      const int64_t off = t.koff[k];
      for (int r = 0; r < R; ++r) {
        const float a = rows[r][off];
        for (int j = 0; j < nr; ++j) acc[r][j] += a * b[j];
      }
      b += t.ldb;
    }
  }
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
    for (int j = 0; j < nr; ++j) {
      float x = acc[r][j];
      if (t.accumulate) x += c[j];
      if (t.biasRow != nullptr) x += t.biasRow[r];
      if (t.biasCol != nullptr) x += t.biasCol[j];
      // torch.relu keeps NaN and −0: only values below zero become 0.
      if (t.relu && x < 0.0f) x = 0.0f;
      c[j] = x;
    }
  }
}

void tileDispatch(const TileArgs& t) {
  switch (t.mr) {
    case 1:
      tile<1>(t);
      break;
    case 2:
      tile<2>(t);
      break;
    case 3:
      tile<3>(t);
      break;
    default:
      tile<4>(t);
      break;
  }
}

constexpr int kDotMb = 4;
constexpr int kDotNb = 4;
constexpr int kLanes = 8;  // independent partial sums per dot product

void dotDispatch(const DotArgs& d) {
  for (int i = 0; i < d.mb; ++i) {
    for (int j = 0; j < d.nb; ++j) {
      const float* a = d.a[i];
      const float* b = d.b[j];
      float partial[kLanes] = {};
      int64_t k = 0;
      for (; k + kLanes <= d.k; k += kLanes)
        for (int l = 0; l < kLanes; ++l) partial[l] += a[k + l] * b[k + l];
      float s = 0.0f;
      for (int l = 0; l < kLanes; ++l) s += partial[l];
      for (; k < d.k; ++k) s += a[k] * b[k];
      float* o = d.out + i * d.ldo + j;
      *o = d.accumulate ? *o + s : s;
    }
  }
}

void winogradInput(winograd::Kind kind, const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW, int64_t t0,
                   int64_t t1, float* V, int64_t xiStride) {
  winograd::inputTransformOf<4>(kind, hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}

void winogradOutput(winograd::Kind kind, const float* M, int64_t xiStride, int64_t ldm, int64_t O, const float* bias,
                    bool relu, int64_t tilesW, int64_t t0, int64_t t1, int64_t OH, int64_t OW, float* out) {
  winograd::outputTransformOf<4>(kind, M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}

void maxPoolPlaneKernel(const PoolPlaneGeom& g, const float* x, float* out, int32_t* argmax, float* scratch) {
  maxPoolPlane(g, x, out, argmax, scratch);
}

void winogradGradOutput(int r, const float* hwc, int64_t rowStride, int64_t O, int64_t tilesW, int64_t t0, int64_t t1,
                        float* yhat, int64_t xiStride) {
  winograd::gradOutputTransformOf<4>(r, hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
}

void sparseRows(const SparseRowsArgs& args) { sparse::sparseRowsOf<4>(args); }

}  // namespace

const KernelSet& genericKernels() {
  static const KernelSet set{SimdLevel::Generic,
                             kMr,
                             kNr,
                             1,
                             1,
                             {{kMr, kNr}, {kMr, kNr}},
                             0,
                             nullptr,
                             kDotMb,
                             kDotNb,
                             &tileDispatch,
                             &dotDispatch,
                             &winogradInput,
                             &winogradOutput,
                             &sparseRows,
                             &winogradGradOutput,
                             &maxPoolPlaneKernel,
                             &toHwcBlockScalar,
                             WinogradSplit::Tiles,
                             false};
  return set;
}

TileShape pickTileShape(const KernelSet& ks, int64_t columns) {
  TileShape bestShape = ks.shapes[0];
  int64_t bestPadded = -1;
  for (int i = 0; i < ks.shapeCount; ++i) {
    const int64_t nr = ks.shapes[i].nr;
    const int64_t padded = (columns + nr - 1) / nr * nr;
    if (bestPadded < 0 || padded < bestPadded) {
      bestPadded = padded;
      bestShape = ks.shapes[i];
    }
  }
  return bestShape;
}

const KernelSet& kernelsFor(SimdLevel level) {
#if ALEXNET_X86
  if (level == SimdLevel::Avx512) return avx512Kernels();
  if (level == SimdLevel::Avx2) return avx2Kernels();
#endif
#if defined(__wasm_simd128__)
  if (level == SimdLevel::WasmSimd128) return wasmSimdKernels();
#endif
  (void)level;
  return genericKernels();
}

}  // namespace alexnet
