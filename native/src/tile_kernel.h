// The register-blocked micro-kernels every matrix product is built on.
//
// One call computes a tile of up to MR rows × NR columns
//     tile[r][j] = Σ_{k < kc} A(r, k) · B(k, j)
// where A is read *indirectly*: A(r, k) = rows[r][koff[k]]. With rows[r] the
// start of row r and koff[k] = k this is a row-major matrix; with koff[k] = k·MR
// it is a packed k-major panel; with rows[r] an output pixel's corner in a
// padded image and koff[k] the offset of tap k = (c, kh, kw) it is the im2col
// matrix, read straight from the image without ever building it. The A values
// are broadcast, so A never needs packing.
// B is read as B(k, j) = b[k·ldb + j]: a packed panel (ldb = NR) or any
// row-major matrix whose rows are contiguous along j; or, with bVec set, in
// column slices one vector wide: B(k, j) = b[(j / W)·bVec + k·ldb + j % W].
//
// The tile then goes to C (row-major, ldc) as C = tile or C += tile, with an
// optional bias per row or per column and an optional ReLU (torch semantics:
// max(0, x) keeping NaN and −0).
#pragma once

#include "arch.h"

#include <cstdint>

#include "cpu_dispatch.h"
#include "hwc_block.h"
#include "max_pool_plane.h"
#include "sparse_rows.h"
#include "winograd_split.h"
#include "winograd_transforms.h"

namespace alexnet {

struct TileArgs {
  int64_t kc = 0;
  const float* const* rows = nullptr;  // mr row pointers
  const int64_t* koff = nullptr;       // kc offsets into each row
  // Set when koff[k] = k (row-major A): a kernel may then read rows[r][k]
  // directly. The WebAssembly tile does: the offset load and address add per
  // k cost it about a tenth of its speed (V8, Zen 5); the x86 tiles ignore it.
  bool unitK = false;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  int mr = 0;  // 1..MR rows
  int nr = 0;  // 1..NR columns
  bool accumulate = false;
  const float* biasRow = nullptr;  // mr values, added to each row
  const float* biasCol = nullptr;  // nr values, added to each column
  bool relu = false;
  // Write C with non-temporal (streaming) stores where a whole vector is
  // stored: for a large C written once and not read again soon (a fully
  // connected layer's weight gradient), which then skips reading every line
  // of C from memory before writing it. The caller guarantees that C and ldc
  // keep every whole-vector store 64-byte aligned, and fences after the
  // product (gemm.cc). Kernel sets without streaming stores ignore it.
  bool stream = false;
  // 0, or the distance in floats from b to the B of the next product: the
  // kernel then prefetches the matching rows of that B as it walks k, so that
  // a panel streamed from memory (Winograd filters at batch 1) arrives while
  // this one is multiplied instead of stalling the next tile.
  int64_t prefetchDistance = 0;
  // 0 (a row of B is nr contiguous floats), or the distance in floats from one
  // vector of a row of B to the next: B in column slices one vector wide
  // (Winograd panels on kernel sets with narrow tiles, see PackedConvWeight).
  // Only kernel sets with narrow tiles read it.
  int64_t bVec = 0;
};

// A tile one vector wide with A's rows a stride apart:
//   c[r·ldc + j] = Σ_k a[r·lda + k] · b[k·ldb + j]   for r < mr ≤ narrowRows, j < nr ≤ vector.
struct NarrowTileArgs {
  int64_t kc = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;
  int64_t ldb = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  int mr = 0;
  int nr = 0;
  int64_t prefetchDistance = 0;  // as in TileArgs: one line of the next B per k
};

// Small-M products with B stored transposed, vectorised along K:
//   out[i·ldo + j] (=|+=) Σ_k a[i][k] · b[j][k]   for i < mb, j < nb.
struct DotArgs {
  int64_t k = 0;
  const float* const* a = nullptr;  // mb rows, contiguous along k
  const float* const* b = nullptr;  // nb rows, contiguous along k
  float* out = nullptr;
  int64_t ldo = 0;
  int mb = 0;
  int nb = 0;
  bool accumulate = false;
};

// Rows × columns of a register tile.
struct TileShape {
  int mr;
  int nr;
};

struct KernelSet {
  SimdLevel level;
  int mr;      // rows per tile of the default shape
  int nr;      // columns per tile of the default shape
  int vector;  // floats per vector register (the granularity of column edges)
  // Alternative tile shapes (the default first): a product picks the one that
  // wastes the fewest padded columns (e.g. 64 output channels fill 6×64 tiles
  // exactly but leave a third of the second 48-wide panel empty).
  int shapeCount;
  TileShape shapes[2];
  // Narrow tiles (0 and null where the level has none): one vector of
  // columns and up to narrowRows rows, so a product with few rows (Winograd at
  // batch 1) reads each column slice of a B streamed from memory once.
  int narrowRows;
  void (*narrowTile)(const NarrowTileArgs&);
  int dotMb;  // max rows of a dot tile
  int dotNb;  // max columns of a dot tile
  void (*tile)(const TileArgs&);
  void (*dot)(const DotArgs&);
  // Winograd F(m×m, r×r) transforms of a kind (see winograd_transforms.h), compiled for this level.
  void (*winogradInput)(winograd::Kind kind, const float* hwc, int64_t rowStride, int64_t C, int64_t tilesW, int64_t t0,
                        int64_t t1, float* V, int64_t xiStride);
  void (*winogradOutput)(winograd::Kind kind, const float* M, int64_t xiStride, int64_t ldm, int64_t O,
                         const float* bias, bool relu, int64_t tilesW, int64_t t0, int64_t t1, int64_t OH, int64_t OW,
                         float* out);
  // A linear layer at batch 1-4 over the rows of its transposed weight its input needs (sparse_rows.h).
  void (*sparseRows)(const SparseRowsArgs& args);
  // The output-gradient transform of the Winograd weight gradient (r = 3 or 5).
  void (*winogradGradOutput)(int r, const float* hwc, int64_t rowStride, int64_t O, int64_t tilesW, int64_t t0,
                             int64_t t1, float* yhat, int64_t xiStride);
  // Max pooling of one plane (see max_pool_plane.h), compiled for this level.
  void (*maxPoolPlane)(const PoolPlaneGeom& g, const float* x, float* out, int32_t* argmax, float* scratch);
  // A block (≤ 16 channels × ≤ 16 pixels) of the NCHW → HWC conversion (see hwc_block.h).
  void (*toHwcBlock)(const float* src, int64_t planeStride, int64_t channels, int64_t pixels, float* dst,
                     int64_t dstStride);
  // With fewer images than threads, how a Winograd convolution shares an
  // image among the threads (winograd_split.h; see conv2dForwardWinograd).
  WinogradSplit winogradSplit;
  // Whether large Winograd filters (kFiltersPerCallBytes) of a layer packed
  // for inference are kept as they are and transformed per call when images
  // are no more than threads: the transformed filters, 5.4× the raw ones in
  // F(5, 3), are read once per call, from memory at batch 1 (WebAssembly, no
  // prefetch instructions: AlexNet's conv3-5 took 14.5 ms of a 31 ms forward
  // on one thread in Node on Sapphire Rapids, 5.8 with the filters in cache).
  bool winogradFiltersPerCall;
};

const KernelSet& genericKernels();
#if ALEXNET_X86
const KernelSet& avx2Kernels();
const KernelSet& avx512Kernels();
#endif
#if defined(__wasm_simd128__)
const KernelSet& wasmSimdKernels();
#endif

// The tile shape of `ks` for products with `columns` columns.
TileShape pickTileShape(const KernelSet& ks, int64_t columns);

// The kernel set of a SIMD level (which the CPU must support), and of the current level.
const KernelSet& kernelsFor(SimdLevel level);
inline const KernelSet& currentKernels() { return kernelsFor(currentSimd()); }

}  // namespace alexnet
