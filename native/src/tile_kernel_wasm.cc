// WebAssembly SIMD128 micro-kernels, for the wasm build (native/wasm/): the
// same tile and dot contracts as the x86 kernels (tile_kernel.h) in 128-bit
// vectors. WebAssembly's baseline SIMD has no fused multiply-add, so each
// step is a multiply and an add; and the engines that run it (V8 on x86-64)
// give it 16 vector registers, which sizes the tile: 5 rows × 8 columns is 10
// accumulators + 2 vectors of B + 1 broadcast A. Measured in V8 (Node 20) on
// Zen 4, L1-resident: 4 and 5 rows 33-37 GFLOP/s, 6 rows (15 registers) about
// 20, as V8 spills. Compiled only where the compiler targets wasm SIMD.
#include "arch.h"
#include "tile_kernel.h"

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#include "max_pool_plane.h"
#include "winograd_transforms.h"

namespace alexnet {

namespace {

constexpr int kMr = 5;
constexpr int kNr = 8;

inline v128_t madd(v128_t acc, v128_t a, v128_t b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

// The epilogue of one row of 4 columns: accumulate, biases, ReLU (torch's: only
// values below zero become 0, NaN and −0 stay).
inline v128_t finish(v128_t x, const float* c, const TileArgs& t, int r, int j) {
  if (t.accumulate) x = wasm_f32x4_add(x, wasm_v128_load(c));
  if (t.biasRow != nullptr) x = wasm_f32x4_add(x, wasm_v128_load32_splat(t.biasRow + r));
  if (t.biasCol != nullptr) x = wasm_f32x4_add(x, wasm_v128_load(t.biasCol + j));
  if (t.relu) x = wasm_v128_andnot(x, wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f)));
  return x;
}

// UnitK: A is row-major (t.unitK), read as rows[r][k] without the offset table.
template <int R, bool UnitK>
void fullTile(const TileArgs& t) {
  v128_t acc0[R], acc1[R];
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = wasm_f32x4_splat(0.0f);
  const float* rows[R];
  for (int r = 0; r < R; ++r) rows[r] = t.rows[r];
  const int64_t* koff = t.koff;
  const float* b = t.b;
  const int64_t ldb = t.ldb;
#pragma clang loop unroll(disable)
  for (int64_t k = 0; k < t.kc; ++k) {
    const int64_t off = UnitK ? k : koff[k];
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
#pragma clang loop unroll(full)
    for (int r = 0; r < R; ++r) {
      const v128_t a = wasm_v128_load32_splat(rows[r] + off);
      acc0[r] = madd(acc0[r], a, b0);
      acc1[r] = madd(acc1[r], a, b1);
    }
    b += ldb;
  }
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
    wasm_v128_store(c, finish(acc0[r], c, t, r, 0));
    wasm_v128_store(c + 4, finish(acc1[r], c + 4, t, r, 4));
  }
}

// An edge tile (fewer than 8 columns, of which only nr may be read): scalar,
// and rare (the last panel of a product whose width is not a multiple of 8).
template <int R>
void edgeTile(const TileArgs& t) {
  float acc[R][kNr] = {};
  const float* b = t.b;
  for (int64_t k = 0; k < t.kc; ++k) {
    const int64_t off = t.koff[k];
    for (int r = 0; r < R; ++r) {
      const float a = t.rows[r][off];
      for (int j = 0; j < t.nr; ++j) acc[r][j] += a * b[j];
    }
    b += t.ldb;
  }
  for (int r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
    for (int j = 0; j < t.nr; ++j) {
      float x = acc[r][j];
      if (t.accumulate) x += c[j];
      if (t.biasRow != nullptr) x += t.biasRow[r];
      if (t.biasCol != nullptr) x += t.biasCol[j];
      if (t.relu && x < 0.0f) x = 0.0f;
      c[j] = x;
    }
  }
}

// Every shape is reached through a table of function pointers, so each stays
// a function of its own: called directly, the linker's optimiser (Binaryen)
// inlined each single-caller shape into one huge dispatcher, which V8
// compiled to a third of the speed (11 instead of 37 GFLOP/s in a 4-row tile).
using TileFn = void (*)(const TileArgs&);
constexpr int kMaxRows = 6;  // the tables cover every row count the kernel sets may ask for
constexpr TileFn kFullTiles[kMaxRows] = {&fullTile<1, false>, &fullTile<2, false>, &fullTile<3, false>,
                                         &fullTile<4, false>, &fullTile<5, false>, &fullTile<6, false>};
constexpr TileFn kUnitKTiles[kMaxRows] = {&fullTile<1, true>, &fullTile<2, true>, &fullTile<3, true>,
                                          &fullTile<4, true>, &fullTile<5, true>, &fullTile<6, true>};
constexpr TileFn kEdgeTiles[kMaxRows] = {&edgeTile<1>, &edgeTile<2>, &edgeTile<3>,
                                         &edgeTile<4>, &edgeTile<5>, &edgeTile<6>};

void tileDispatch(const TileArgs& t) {
  const int r = t.mr < 1 ? 0 : t.mr > kMaxRows ? kMaxRows - 1 : t.mr - 1;
  (t.nr != kNr ? kEdgeTiles : t.unitK ? kUnitKTiles : kFullTiles)[r](t);
}

// Dot tiles: up to 2 rows of A × 4 rows of B, 4 lanes of k at a time
// (8 accumulators + 6 loaded vectors: within the 16 registers).
constexpr int kDotMb = 2;
constexpr int kDotNb = 4;

inline float horizontalSum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

template <int MB, int NB>
void dotTile(const DotArgs& d) {
  v128_t acc[MB][NB];
  for (int i = 0; i < MB; ++i)
    for (int j = 0; j < NB; ++j) acc[i][j] = wasm_f32x4_splat(0.0f);
  int64_t k = 0;
  for (; k + 4 <= d.k; k += 4) {
    v128_t a[MB];
    for (int i = 0; i < MB; ++i) a[i] = wasm_v128_load(d.a[i] + k);
#pragma clang loop unroll(full)
    for (int j = 0; j < NB; ++j) {
      const v128_t b = wasm_v128_load(d.b[j] + k);
      for (int i = 0; i < MB; ++i) acc[i][j] = madd(acc[i][j], a[i], b);
    }
  }
  for (int i = 0; i < MB; ++i) {
    for (int j = 0; j < NB; ++j) {
      float s = horizontalSum(acc[i][j]);
      for (int64_t kk = k; kk < d.k; ++kk) s += d.a[i][kk] * d.b[j][kk];
      float* o = d.out + i * d.ldo + j;
      *o = d.accumulate ? *o + s : s;
    }
  }
}

// As the tiles: one function per shape, through a table.
using DotFn = void (*)(const DotArgs&);
constexpr DotFn kDots[kDotMb][kDotNb] = {{&dotTile<1, 1>, &dotTile<1, 2>, &dotTile<1, 3>, &dotTile<1, 4>},
                                         {&dotTile<2, 1>, &dotTile<2, 2>, &dotTile<2, 3>, &dotTile<2, 4>}};

void dotDispatch(const DotArgs& d) {
  const int i = d.mb < 2 ? 0 : 1;
  const int j = d.nb < 1 ? 0 : d.nb > kDotNb ? kDotNb - 1 : d.nb - 1;
  kDots[i][j](d);
}

// The Winograd transforms and max pooling are the portable templates,
// instantiated 4 floats wide: clang turns their vector types into SIMD128.
// One function per transform kind, through a table, for the reason the tiles
// have theirs (Kind's order: F2x3, F2x5, F4x3, F4x5, F5x3).
static_assert(static_cast<int>(winograd::Kind::F2x3) == 0 && static_cast<int>(winograd::Kind::F2x5) == 1 &&
                  static_cast<int>(winograd::Kind::F4x3) == 2 && static_cast<int>(winograd::Kind::F4x5) == 3 &&
                  static_cast<int>(winograd::Kind::F5x3) == 4,
              "the transform tables below follow Kind's order");

template <class Mx>
void inputOf(const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW, int64_t t0, int64_t t1, float* V,
             int64_t xiStride) {
  winograd::inputTransform<Mx, 4>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}
using InputFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*, int64_t);
constexpr InputFn kInputs[5] = {&inputOf<winograd::Matrices<3>>, &inputOf<winograd::Matrices<5>>,
                                &inputOf<winograd::MatricesF43>, &inputOf<winograd::MatricesF45>,
                                &inputOf<winograd::MatricesF53>};

void winogradInput(winograd::Kind kind, const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW, int64_t t0,
                   int64_t t1, float* V, int64_t xiStride) {
  kInputs[static_cast<int>(kind)](hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}

template <class Mx>
void outputOf(const float* M, int64_t xiStride, int64_t ldm, int64_t O, const float* bias, bool relu, int64_t tilesW,
              int64_t t0, int64_t t1, int64_t OH, int64_t OW, float* out) {
  winograd::outputTransform<Mx, 4>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}
using OutputFn = void (*)(const float*, int64_t, int64_t, int64_t, const float*, bool, int64_t, int64_t, int64_t,
                          int64_t, int64_t, float*);
constexpr OutputFn kOutputs[5] = {&outputOf<winograd::Matrices<3>>, &outputOf<winograd::Matrices<5>>,
                                  &outputOf<winograd::MatricesF43>, &outputOf<winograd::MatricesF45>,
                                  &outputOf<winograd::MatricesF53>};

void winogradOutput(winograd::Kind kind, const float* M, int64_t xiStride, int64_t ldm, int64_t O, const float* bias,
                    bool relu, int64_t tilesW, int64_t t0, int64_t t1, int64_t OH, int64_t OW, float* out) {
  kOutputs[static_cast<int>(kind)](M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}

void winogradGradOutput(int r, const float* hwc, int64_t rowStride, int64_t O, int64_t tilesW, int64_t t0, int64_t t1,
                        float* yhat, int64_t xiStride) {
  winograd::gradOutputTransformOf<4>(r, hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
}

void maxPoolPlaneKernel(const PoolPlaneGeom& g, const float* x, float* out, int32_t* argmax, float* scratch) {
  maxPoolPlane(g, x, out, argmax, scratch);
}

void sparseRows(const SparseRowsArgs& args) { sparse::sparseRowsOf<4>(args); }

}  // namespace

const KernelSet& wasmSimdKernels() {
  static const KernelSet set{SimdLevel::WasmSimd128,
                             kMr,
                             kNr,
                             4,
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
                             WinogradSplit::Measured,
                             true};
  return set;
}

}  // namespace alexnet

#endif  // __wasm_simd128__
