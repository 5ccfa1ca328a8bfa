// bf16 dispatch, panel packing, the GEMM driver and the bf16 linear layer.
#include "bf16.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "cpu_dispatch.h"
#include "cpu_info.h"
#include "cpu_tuning.h"
#include "linear.h"
#include "scratch.h"
#include "settings.h"
#include "thread_pool.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

// The most capable bf16 kernel set allowed: 0 = AVX512-BF16, 1 = AMX.
enum : int { kCapAvx512Bf16 = 0, kCapAmx = 1 };

bool parseBf16Cap(const std::string& name, int* cap) {
  if (name == "avx512_bf16")
    *cap = kCapAvx512Bf16;
  else if (name == "amx")
    *cap = kCapAmx;
  else
    return false;
  return true;
}

std::atomic<int>& bf16Cap() {
  static std::atomic<int> cap{[] {
    int c = kCapAmx;
    const char* forced = settingValue("ALEXNET_BF16");
    if (forced != nullptr && !parseBf16Cap(forced, &c)) recordBadSetting("ALEXNET_BF16", forced, "avx512_bf16 or amx");
    return c;
  }()};
  return cap;
}

#if ALEXNET_X86
bool hasAmxBf16() {
  const CpuInfo& cpu = cpuInfo();
  return cpu.amxTile && cpu.amxBf16 && amxPermitted();
}
#endif

}  // namespace

const Bf16Kernels* bf16Kernels() {
#if ALEXNET_X86
  // The bf16 kernels are AVX-512 code (AMX's epilogue and conversions too):
  // a lowered SIMD level (ALEXNET_SIMD) turns them off.
  if (!cpuInfo().avx512bf16 || currentSimd() != SimdLevel::Avx512) return nullptr;
  if (bf16Cap().load() >= kCapAmx && hasAmxBf16()) return &amxBf16Kernels();
  return &avx512Bf16Kernels();
#else
  return nullptr;
#endif
}

std::vector<std::string> availableBf16Levels() {
  std::vector<std::string> names;
#if ALEXNET_X86
  if (cpuInfo().avx512bf16 && bestSupportedSimd() == SimdLevel::Avx512) {
    names.emplace_back(avx512Bf16Kernels().name);
    if (hasAmxBf16()) names.emplace_back(amxBf16Kernels().name);
  }
#endif
  return names;
}

bool setBf16Level(const std::string& name, std::string* inEffect) {
  int cap;
  if (!parseBf16Cap(name, &cap)) return false;
  bf16Cap().store(cap);
  const Bf16Kernels* bk = bf16Kernels();
  *inEffect = bk == nullptr ? "" : bk->name;
  return true;
}

std::string bf16Unsupported() {
  if (bf16Kernels() != nullptr) return "";
  const CpuInfo& cpu = cpuInfo();
  if (cpu.avx512bf16 && currentSimd() != SimdLevel::Avx512)
    return std::string("bf16 precision uses AVX-512 kernels, but the SIMD level is lowered to ") +
           simdName(currentSimd()) + " (ALEXNET_SIMD)";
  return "bf16 precision needs a CPU with AVX512-BF16; this one (" + cpu.describe() +
         (cpu.brand.empty() ? "" : ", " + cpu.brand) + ") has none";
}

TileShape pickBf16TileShape(const Bf16Kernels& k, int64_t columns) {
  TileShape best = k.shapes[0];
  int64_t bestPadded = -1;
  for (int i = 0; i < k.shapeCount; ++i) {
    const int64_t padded = roundUp(columns, k.shapes[i].nr);
    if (bestPadded < 0 || padded < bestPadded) {
      bestPadded = padded;
      best = k.shapes[i];
    }
  }
  return best;
}

void packBf16Panels(bool transB, const float* B, int64_t ldb, int64_t K, int64_t kp, int64_t j0, int64_t cols, int nr,
                    bf16* dst) {
  for (int64_t p = 0; p < cols; p += nr) {
    const int64_t w = std::min<int64_t>(nr, cols - p);
    bf16* panel = dst + (p / nr) * kp * nr * 2;
    for (int64_t kk = 0; kk < kp; ++kk) {
      bf16* row = panel + kk * nr * 2;
      for (int64_t j = 0; j < nr; ++j) {
        for (int t = 0; t < 2; ++t) {
          const int64_t k = 2 * kk + t;
          float v = 0.0f;
          if (j < w && k < K) v = transB ? B[(j0 + p + j) * ldb + k] : B[k * ldb + j0 + p + j];
          row[j * 2 + t] = toBf16(v);
        }
      }
    }
  }
}

void bf16Gemm(const Bf16Kernels& bk, TileShape shape, int64_t M, int64_t N, int64_t kp, const uint32_t* A, int64_t lda,
              const bf16* panels, float* C, int64_t ldc, const float* biasRow, const float* biasCol, bool relu) {
  if (M <= 0 || N <= 0) return;
  const int MR = shape.mr, NR = shape.nr;
  const int64_t panelCount = ceilDiv(N, NR);
  const int threads = poolThreads();
  // Row blocks small enough for every thread to get several; each task runs
  // one row block against every panel (the panels stay in L2 across tasks).
  const int64_t rowBlock = std::max<int64_t>(MR, roundUp(std::min<int64_t>(ceilDiv(M, 4 * threads), 16 * MR), MR));
  const int64_t rowBlocks = ceilDiv(M, rowBlock);
  parallelForDynamic(rowBlocks * panelCount, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i0 = (task / panelCount) * rowBlock, i1 = std::min(M, i0 + rowBlock);
      const int64_t q = task % panelCount;
      const int64_t j = q * NR;
      for (int64_t i = i0; i < i1; i += MR) {
        const int mr = static_cast<int>(std::min<int64_t>(MR, i1 - i));
        Bf16TileArgs t;
        t.kp = kp;
        t.a = A + i * lda;
        t.lda = lda;
        t.b = panels + q * kp * NR * 2;
        t.ldb = NR;
        t.c = C + i * ldc + j;
        t.ldc = ldc;
        t.mr = mr;
        t.nr = static_cast<int>(std::min<int64_t>(NR, N - j));
        t.biasRow = biasRow == nullptr ? nullptr : biasRow + i;
        t.biasCol = biasCol == nullptr ? nullptr : biasCol + j;
        t.relu = relu;
        bk.tile(t);
      }
    }
  });
}

// ---- linear layer ----

std::unique_ptr<PackedLinearWeight> packLinearWeightBf16(int64_t outFeatures, int64_t inFeatures, float* w,
                                                         bool consume) {
  const Bf16Kernels* bk = bf16Kernels();
  if (bk == nullptr) throw std::runtime_error(bf16Unsupported());
  auto packed = std::make_unique<PackedLinearWeight>();
  packed->bf16Set = bk;
  packed->outFeatures = outFeatures;
  packed->inFeatures = inFeatures;
  packed->rowLength = 2 * bf16Pairs(*bk, inFeatures);
  packed->weights = LargeArray<bf16>(outFeatures * packed->rowLength);  // every element written below
  // Consuming, each block of rows is released once converted, so that the
  // process never holds much more than one copy (fp32 shrinking as bf16 grows).
  const int64_t block = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(1, inFeatures));
  parallelForStatic(outFeatures, [&](int64_t begin, int64_t end, int) {
    for (int64_t b0 = begin; b0 < end; b0 += block) {
      const int64_t b1 = std::min(end, b0 + block);
      for (int64_t o = b0; o < b1; ++o) {
        bf16* row = packed->weights.data() + o * packed->rowLength;
        bk->convert(w + o * inFeatures, row, inFeatures);
        for (int64_t k = inFeatures; k < packed->rowLength; ++k) row[k] = 0;
      }
      if (consume) zeroAndRelease(w + b0 * inFeatures, static_cast<size_t>((b1 - b0) * inFeatures) * sizeof(float));
    }
  });
  return packed;
}

void linearForwardBf16(int64_t batch, const float* x, const PackedLinearWeight& w, const float* bias, float* out,
                       bool relu) {
  // The kernels the weight was packed for (its row padding is theirs), as
  // long as the SIMD level still allows bf16 at all.
  if (bf16Kernels() == nullptr) throw std::runtime_error(bf16Unsupported());
  const Bf16Kernels* bk = w.bf16Set;
  if (batch <= 0) return;
  const int64_t O = w.outFeatures, K = w.inFeatures, L = w.rowLength, kp = L / 2;

  if (batch <= kSparseRowsMaxBatch) {
    // Few rows: the input rounded as the products take it, then the rows of
    // the transposed weight its nonzero values need (linear.h), where that pays.
    float* rounded = threadScratch<float>(ScratchSlot::Partial, batch * K);
    for (int64_t i = 0; i < batch * K; ++i) rounded[i] = fromBf16(toBf16(x[i]));
    if (linearSkippingZeros(currentKernels(), batch, rounded, w, nullptr, bias, out, relu)) return;
  }

  if (batch <= bk->dotMb) {
    // A few rows: dot products along k read each weight row once, in place.
    bf16* xb = threadScratch<bf16>(ScratchSlot::Bf16Activations, batch * L);
    for (int64_t i = 0; i < batch; ++i) {
      bk->convert(x + i * K, xb + i * L, K);
      for (int64_t k = K; k < L; ++k) xb[i * L + k] = 0;
    }
    const int64_t nb = bk->dotNb;
    parallelForDynamic(ceilDiv(O, nb), 8, [&](int64_t begin, int64_t end, int) {
      const bf16* aRows[8];
      const bf16* bRows[8];
      for (int64_t i = 0; i < batch; ++i) aRows[i] = xb + i * L;
      for (int64_t g = begin; g < end; ++g) {
        const int64_t j0 = g * nb;
        const int n = static_cast<int>(std::min<int64_t>(nb, O - j0));
        for (int j = 0; j < n; ++j) bRows[j] = w.weights.data() + (j0 + j) * L;
        Bf16DotArgs d;
        d.k = L;
        d.a = aRows;
        d.b = bRows;
        d.out = out + j0;
        d.ldo = O;
        d.mb = static_cast<int>(batch);
        d.nb = n;
        bk->dot(d);
        for (int64_t i = 0; i < batch; ++i)
          for (int j = 0; j < n; ++j) {
            float v = out[i * O + j0 + j];
            if (bias != nullptr) v += bias[j0 + j];
            if (relu && v < 0.0f) v = 0.0f;
            out[i * O + j0 + j] = v;
          }
      }
    });
    return;
  }

  // More rows: Cᵀ[O][batch] = W · xᵀ with the weight rows broadcast (read
  // once, in place) and the batch packed into pair panels, then transposed.
  const TileShape shape = pickBf16TileShape(*bk, batch);
  const int64_t panels = ceilDiv(batch, shape.nr);
  bf16* xPanels = threadScratch<bf16>(ScratchSlot::Bf16Panels, panels * kp * shape.nr * 2);
  packBf16Panels(true, x, K, K, kp, 0, batch, shape.nr, xPanels);
  float* ct = threadScratch<float>(ScratchSlot::Partial, O * batch);
  bf16Gemm(*bk, shape, O, batch, kp, reinterpret_cast<const uint32_t*>(w.weights.data()), kp, xPanels, ct, batch, bias,
           nullptr, relu);
  parallelForStatic(batch, [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t j = 0; j < O; ++j) out[i * O + j] = ct[j * batch + i];
  });
}

}  // namespace alexnet
