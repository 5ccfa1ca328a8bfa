// AMX-BF16 tiles (Sapphire Rapids and later Intel server cores): tdpbf16ps
// multiplies a 16-row × 16-pair tile of A by a 16-pair × 16-column tile of B
// into a 16×16 fp32 tile of C, 8,192 products per instruction, 16× what
// vdpbf16ps does per instruction (measured 2.9 TFLOP/s per core on a
// Sapphire Rapids-class Xeon with its operands in L1, against ~240 for fp32 FMA).
//
// One call computes up to 32×32 of C as 2×2 tiles (registers tmm0-3), from
// two A tiles (tmm4-5: rows 0-15 and 16-31) and two B tiles (tmm6-7: columns
// 0-15 and 16-31 of the pair panel, which bf16.h's layout already gives), 16
// pairs of k per step; the caller pads k to whole steps (pairAlign = 16) with
// zeros. Rows past mr are left out by the tile configuration (rows per tile),
// columns past nr are zero in the panel and not stored.
#include "arch.h"
#include "bf16.h"

#if ALEXNET_X86
#include "simd_intrinsics.h"

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define ALEXNET_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16")))

namespace alexnet {

namespace {

constexpr int kTileRows = 16;      // rows of an A or C tile, pair rows of a B tile
constexpr int kPairsPerStep = 16;  // pairs of k per tdpbf16ps (64 bytes per tile row)
constexpr int kMaxRows = 2 * kTileRows, kMaxColumns = 32;

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

// Configures the tiles for `rows0` rows in the upper half of C and A and
// `rows1` in the lower (0: unused), when this thread's configuration differs:
// ldtilecfg also zeroes every tile, so it is loaded only on a change of shape.
ALEXNET_AMX void configure(int rows0, int rows1) {
  thread_local int configured = -1;
  const int key = rows0 * (kTileRows + 1) + rows1;
  if (key == configured) return;
  TileConfig cfg;
  const auto set = [&](int tile, int rows) {
    cfg.rows[tile] = static_cast<uint8_t>(rows);
    cfg.bytesPerRow[tile] = rows == 0 ? 0 : 64;  // an unused tile has neither rows nor bytes
  };
  set(0, rows0), set(1, rows0), set(4, rows0);  // C upper, A upper
  set(2, rows1), set(3, rows1), set(5, rows1);  // C lower, A lower
  set(6, kTileRows), set(7, kTileRows);         // B: 16 pair rows
  // GCC's _tile_loadconfig tells the compiler it reads 8 bytes of cfg, so
  // without this barrier the stores above are dropped as dead.
  __asm__ __volatile__("" : : "r"(&cfg) : "memory");
  _tile_loadconfig(&cfg);
  configured = key;
}

// The C tiles in use set to zero.
template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void zeroTiles() {
  _tile_zero(0);
  if constexpr (ColumnHalves == 2) _tile_zero(1);
  if constexpr (RowHalves == 2) _tile_zero(2);
  if constexpr (RowHalves == 2 && ColumnHalves == 2) _tile_zero(3);
}

// C tiles (RowHalves × ColumnHalves) = Σ over t.kp pairs of A · B.
template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void multiply(const Bf16TileArgs& t) {
  zeroTiles<RowHalves, ColumnHalves>();
  const long aStride = static_cast<long>(t.lda) * 4, bStride = static_cast<long>(t.ldb) * 4;
  const uint32_t* aLower = t.a + kTileRows * t.lda;
  for (int64_t k = 0; k < t.kp; k += kPairsPerStep) {
    const bf16* b = t.b + k * t.ldb * 2;
    _tile_loadd(6, b, bStride);
    if constexpr (ColumnHalves == 2) _tile_loadd(7, b + 2 * kTileRows, bStride);
    _tile_loadd(4, t.a + k, aStride);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (ColumnHalves == 2) _tile_dpbf16ps(1, 4, 7);
    if constexpr (RowHalves == 2) {
      _tile_loadd(5, aLower + k, aStride);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (ColumnHalves == 2) _tile_dpbf16ps(3, 5, 7);
    }
  }
}

// Stores the C tiles to dst (ld floats apart).
template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void storeTiles(float* dst, int64_t ld) {
  const long stride = static_cast<long>(ld) * 4;
  _tile_stored(0, dst, stride);
  if constexpr (ColumnHalves == 2) _tile_stored(1, dst + 16, stride);
  if constexpr (RowHalves == 2) _tile_stored(2, dst + kTileRows * ld, stride);
  if constexpr (RowHalves == 2 && ColumnHalves == 2) _tile_stored(3, dst + kTileRows * ld + 16, stride);
}

template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void tile(const Bf16TileArgs& t) {
  multiply<RowHalves, ColumnHalves>(t);
  const bool plain = !t.accumulate && t.biasRow == nullptr && t.biasCol == nullptr && !t.relu;
  if (plain && t.nr == 16 * ColumnHalves) {
    // Nothing to add: the tiles go straight to C (only the configured rows are written).
    storeTiles<RowHalves, ColumnHalves>(t.c, t.ldc);
    return;
  }
  alignas(64) float buffer[kMaxRows * kMaxColumns];
  storeTiles<RowHalves, ColumnHalves>(buffer, kMaxColumns);
  const __m512 zero = _mm512_setzero_ps();
  for (int r = 0; r < t.mr; ++r) {
    float* c = t.c + r * t.ldc;
    for (int v = 0; v < ColumnHalves; ++v) {
      const int left = t.nr - v * 16;
      if (left <= 0) break;
      const __mmask16 m = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1);
      __m512 x = _mm512_load_ps(buffer + r * kMaxColumns + v * 16);
      if (t.accumulate) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, c + v * 16));
      if (t.biasRow != nullptr) x = _mm512_add_ps(x, _mm512_set1_ps(t.biasRow[r]));
      if (t.biasCol != nullptr) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, t.biasCol + v * 16));
      // max(0, x) returns x when x is NaN or −0, as torch.relu does.
      if (t.relu) x = _mm512_max_ps(zero, x);
      _mm512_mask_storeu_ps(c + v * 16, m, x);
    }
  }
}

void tileDispatch(const Bf16TileArgs& t) {
  const int rows0 = t.mr < kTileRows ? t.mr : kTileRows, rows1 = t.mr - rows0;
  configure(rows0, rows1);
  if (rows1 > 0)
    t.nr > 16 ? tile<2, 2>(t) : tile<2, 1>(t);
  else
    t.nr > 16 ? tile<1, 2>(t) : tile<1, 1>(t);
}

// ---- convolution blocks from pair planes ----

// C tiles = Σ over taps and 32-channel steps of weights · pair-plane pixels:
// A tiles are 16 output channels' weights for one tap and 32 channels, B
// tiles 16 channel pairs × 16 consecutive positions of the pair planes (at
// the tap's offset), so the input is read in place, with no im2col.
template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void multiplyPlanes(const Bf16PlaneConvArgs& p) {
  zeroTiles<RowHalves, ColumnHalves>();
  constexpr long aStride = 2 * kPairsPerStep * sizeof(bf16);  // A tiles are 16 rows of 32 contiguous bf16
  const long bStride = static_cast<long>(p.planePairs) * 4;
  const int64_t stepPairs = kPairsPerStep * p.planePairs * 2;  // bf16 from one 32-channel step to the next
  // Channel steps outside, taps inside: the taps of one step read 16 planes'
  // rows around the block (a few KB, in L1 across the taps, which overlap but
  // for a shift of one pixel); taps outside read every plane once per tap,
  // more than L1 holds on AlexNet's conv3-5 (192 planes), so from L2.
  for (int64_t c = 0; c < p.channels; c += 2 * kPairsPerStep) {
    for (int tap = 0; tap < p.taps; ++tap) {
      const bf16* a = p.weights + ((c / (2 * kPairsPerStep)) * p.taps + tap) * kMaxRows * 2 * kPairsPerStep;
      const bf16* b = p.planes + (c / (2 * kPairsPerStep)) * stepPairs + p.tapOffsets[tap] * 2;
      _tile_loadd(6, b, bStride);
      if constexpr (ColumnHalves == 2) _tile_loadd(7, b + 2 * kTileRows, bStride);
      _tile_loadd(4, a, aStride);
      _tile_dpbf16ps(0, 4, 6);
      if constexpr (ColumnHalves == 2) _tile_dpbf16ps(1, 4, 7);
      if constexpr (RowHalves == 2) {
        _tile_loadd(5, a + kTileRows * 2 * kPairsPerStep, aStride);
        _tile_dpbf16ps(2, 5, 6);
        if constexpr (ColumnHalves == 2) _tile_dpbf16ps(3, 5, 7);
      }
    }
  }
}

template <int RowHalves, int ColumnHalves>
ALEXNET_AMX void planeConv(const Bf16PlaneConvArgs& p) {
  multiplyPlanes<RowHalves, ColumnHalves>(p);
  alignas(64) float buffer[kMaxRows * kMaxColumns];
  storeTiles<RowHalves, ColumnHalves>(buffer, kMaxColumns);
  const __m512 zero = _mm512_setzero_ps();
  for (int r = 0; r < p.rows; ++r) {
    const __m512 bias = _mm512_set1_ps(p.bias != nullptr ? p.bias[r] : 0.0f);
    const float* row = buffer + r * kMaxColumns;
    float* out = p.out + r * p.outPlane;
    for (int i = 0; i < p.runCount; ++i) {
      const Bf16PlaneConvArgs::Run& run = p.runs[i];
      for (int j = 0; j < run.count; j += 16) {
        const int left = run.count - j;
        const __mmask16 m = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1);
        __m512 x = _mm512_add_ps(_mm512_maskz_loadu_ps(m, row + run.column + j), bias);
        // max(0, x) returns x when x is NaN or −0, as torch.relu does.
        if (p.relu) x = _mm512_max_ps(zero, x);
        _mm512_mask_storeu_ps(out + run.outOffset + j, m, x);
      }
    }
  }
}

void planeConvDispatch(const Bf16PlaneConvArgs& p) {
  configure(kTileRows, kTileRows);
  if (p.rows > kTileRows)
    p.columns > 16 ? planeConv<2, 2>(p) : planeConv<2, 1>(p);
  else
    p.columns > 16 ? planeConv<1, 2>(p) : planeConv<1, 1>(p);
}

}  // namespace

bool amxPermitted() {
  static const bool granted = [] {
#if defined(__linux__)
    // Linux keeps the 8 KiB tile state out of a process until it asks
    // (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)); the grant covers every thread.
    constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtileData = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
#else
    return false;
#endif
  }();
  return granted;
}

const Bf16Kernels& amxBf16Kernels() {
  static const Bf16Kernels set = [] {
    Bf16Kernels k = avx512Bf16Kernels();  // the conversions and the few-row dots
    k.name = "amx";
    k.pairAlign = kPairsPerStep;
    k.shapeCount = 2;
    k.shapes[0] = {kMaxRows, 32};
    k.shapes[1] = {kMaxRows, 16};
    k.tile = &tileDispatch;
    k.planeConv = &planeConvDispatch;
    return k;
  }();
  return set;
}

}  // namespace alexnet

#endif  // ALEXNET_X86
