#include "linear.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gemm.h"
#include "ops.h"
#include "scratch.h"
#include "settings.h"
#include "thread_pool.h"

namespace alexnet {

void linearForward(const KernelSet& ks, int64_t batch, int64_t inFeatures, int64_t outFeatures, const float* x,
                   const float* w, const float* bias, float* out, bool relu) {
  // out = x · wᵀ: w is [outF, inF] as torch.nn.Linear stores it, i.e. B transposed.
  GemmEpilogue ep;
  ep.biasCol = bias;
  ep.relu = relu;
  gemm(ks, false, true, batch, outFeatures, inFeatures, x, inFeatures, w, inFeatures, out, outFeatures, false, ep);
}

namespace {

int64_t roundUp(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// The transposed rows are padded to whole 64-byte lines, and the threads split
// the columns in whole lines.
constexpr int64_t kLineBytes = 64;

// Whether summing `rows` of the transposed weight beats the dot products over
// all of w at this batch. Each skipped-path row costs more than a row of the
// dense read (y is loaded and stored per four rows, more so per batch row):
// on Sapphire Rapids, with nothing to skip, 1.12× at batch 1, 1.22× at 2,
// 1.73× at 4 (fc6). The rule stays on the safe side of those.
bool skippingPays(int64_t batch, int64_t rows, int64_t inFeatures) {
  return batch <= kSparseRowsMaxBatch && rows * (5 + batch) < 5 * inFeatures;
}

}  // namespace

bool sparseLinearEnabled() {
  static const bool enabled = integerSetting("ALEXNET_SPARSE_LINEAR", 0, 1, 1) != 0;
  return enabled;
}

namespace {

// The transposed copy of a [out][in] weight (rows `ld` apart) into
// [in][stride], columns [0, out) of dst's rows: blocks of 64 outputs × 64
// inputs, each reading 64 runs of the rows and writing 64 runs of the copy;
// blocks of inputs in parallel. Returns whether every value is finite.
template <typename T>
bool transposeInto(const T* w, int64_t out, int64_t in, int64_t ld, int64_t stride, T* dst) {
  constexpr int64_t kBlock = 64;
  std::vector<char> finite(static_cast<size_t>(poolThreads()), 1);
  parallelForDynamic((in + kBlock - 1) / kBlock, 1, [&](int64_t begin, int64_t end, int worker) {
    bool ok = true;
    for (int64_t b = begin; b < end; ++b) {
      const int64_t j0 = b * kBlock, j1 = std::min(in, j0 + kBlock);
      for (int64_t o0 = 0; o0 < out; o0 += kBlock) {
        const int64_t o1 = std::min(out, o0 + kBlock);
        for (int64_t o = o0; o < o1; ++o) {
          const T* row = w + o * ld;
          for (int64_t j = j0; j < j1; ++j) {
            dst[j * stride + o] = row[j];
            if constexpr (sizeof(T) == sizeof(float))
              ok = ok && std::isfinite(row[j]);
            else
              ok = ok && (row[j] & 0x7F80u) != 0x7F80u;  // bf16: not ∞ or NaN
          }
        }
      }
    }
    if (!ok) finite[static_cast<size_t>(worker)] = 0;
  });
  return std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
}

// Zeroes the columns [out, stride) of every row of a transposed copy.
template <typename T>
void zeroPadding(T* dst, int64_t out, int64_t in, int64_t stride) {
  if (out == stride) return;
  for (int64_t j = 0; j < in; ++j) std::fill(dst + j * stride + out, dst + (j + 1) * stride, T{0});
}

// The rows of a transposed weight that x needs: those where some batch row of x is not 0.
std::vector<int32_t> neededRows(int64_t batch, const float* x, int64_t in) {
  std::vector<int32_t> rows;
  rows.reserve(static_cast<size_t>(in));
  for (int64_t j = 0; j < in; ++j) {
    bool needed = false;
    for (int64_t n = 0; n < batch; ++n) needed = needed || x[n * in + j] != 0.0f;
    if (needed) rows.push_back(static_cast<int32_t>(j));
  }
  return rows;
}

// out[n][o] = Σ_{j ∈ rows} x[n][j] · t[j][o] + bias[o] (ReLU), batch 1-4.
// Each thread sums all the rows over its own columns (whole 64-byte lines of
// the copy), into a padded buffer: the sums, and so the results, do not
// depend on the thread count.
void linearOverRows(const KernelSet& ks, int64_t batch, const float* x, const TransposedLinearWeight& t,
                    const std::vector<int32_t>& rows, const float* bias, float* out, bool relu) {
  if (batch < 1) return;  // the kernels take 1-4 rows
  const int64_t in = t.inFeatures, outF = t.outFeatures, stride = t.stride;
  const int64_t grain = kLineBytes / static_cast<int64_t>(t.half.size() > 0 ? sizeof(bf16) : sizeof(float));
  float* y = threadScratch<float>(ScratchSlot::Accumulator, static_cast<size_t>(batch * stride));
  const int64_t lines = stride / grain, threads = poolThreads();
  const int64_t linesPerPart = (lines + threads - 1) / threads;
  parallelForStatic(threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t part = begin; part < end; ++part) {
      const int64_t o0 = part * linesPerPart * grain, o1 = std::min(stride, o0 + linesPerPart * grain);
      if (o0 >= o1) continue;
      SparseRowsArgs a;
      a.batch = static_cast<int>(batch);
      a.x = x;
      a.ldx = in;
      if (t.half.size() > 0)
        a.wtBf16 = t.half.data() + o0;
      else
        a.wt = t.fp32.data() + o0;
      a.ldw = stride;
      a.rows = rows.data();
      a.rowCount = static_cast<int64_t>(rows.size());
      a.y = y + o0;
      a.ldy = stride;
      a.columns = o1 - o0;
      ks.sparseRows(a);
      // The epilogue of these columns: bias, then torch's ReLU (NaN and −0 stay).
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t o = o0; o < std::min(o1, outF); ++o) {
          float v = y[n * stride + o];
          if (bias != nullptr) v += bias[o];
          out[n * outF + o] = relu && v < 0.0f ? 0.0f : v;
        }
    }
  });
}

}  // namespace

const TransposedLinearWeight& PackedLinearWeight::transposed(const float* w) const {
  std::call_once(transposeOnce_, [&] {
    const int64_t in = inFeatures, out = outFeatures;
    transposed_.inFeatures = in;
    transposed_.outFeatures = out;
    if (bf16Set != nullptr) {
      const int64_t stride = roundUp(out, kLineBytes / static_cast<int64_t>(sizeof(bf16)));
      LargeArray<bf16> t(static_cast<size_t>(in * stride));
      transposed_.allFinite = transposeInto(weights.data(), out, in, rowLength, stride, t.data());
      zeroPadding(t.data(), out, in, stride);
      transposed_.half = std::move(t);
      transposed_.stride = stride;
      transposedBytes_.store(static_cast<size_t>(in * stride) * sizeof(bf16));
    } else {
      const int64_t stride = roundUp(out, kLineBytes / static_cast<int64_t>(sizeof(float)));
      LargeArray<float> t(static_cast<size_t>(in * stride));
      transposed_.allFinite = transposeInto(w, out, in, in, stride, t.data());
      zeroPadding(t.data(), out, in, stride);
      transposed_.fp32 = std::move(t);
      transposed_.stride = stride;
      transposedBytes_.store(static_cast<size_t>(in * stride) * sizeof(float));
    }
  });
  return transposed_;
}

size_t PackedLinearWeight::bytes() const { return weights.size() * sizeof(bf16) + transposedBytes_.load(); }

std::unique_ptr<PackedLinearWeight> packLinearWeightFp32(int64_t outFeatures, int64_t inFeatures) {
  auto packed = std::make_unique<PackedLinearWeight>();
  packed->outFeatures = outFeatures;
  packed->inFeatures = inFeatures;
  return packed;
}

bool linearSkippingZeros(const KernelSet& ks, int64_t batch, const float* x, const PackedLinearWeight& p,
                         const float* w, const float* bias, float* out, bool relu) {
  // An empty batch has nothing to skip (and the kernels take 1-4 rows): the GEMM path returns at once.
  if (batch < 1 || batch > kSparseRowsMaxBatch || ks.sparseRows == nullptr || !sparseLinearEnabled()) return false;
  const std::vector<int32_t> rows = neededRows(batch, x, p.inFeatures);
  if (!skippingPays(batch, static_cast<int64_t>(rows.size()), p.inFeatures)) return false;
  const TransposedLinearWeight& t = p.transposed(w);
  if (!t.allFinite) return false;
  linearOverRows(ks, batch, x, t, rows, bias, out, relu);
  return true;
}

void linearForwardFp32(const KernelSet& ks, int64_t batch, const float* x, const PackedLinearWeight& packed,
                       const float* w, const float* bias, float* out, bool relu) {
  if (!linearSkippingZeros(ks, batch, x, packed, w, bias, out, relu))
    linearForward(ks, batch, packed.inFeatures, packed.outFeatures, x, w, bias, out, relu);
}

std::unique_ptr<TransposedLinearWeight> makeTransposedLinearWeight(int64_t outFeatures, int64_t inFeatures) {
  if (outFeatures < 1 || inFeatures < 1)
    throw std::invalid_argument("a linear weight needs at least one row and column");
  auto t = std::make_unique<TransposedLinearWeight>();
  t->outFeatures = outFeatures;
  t->inFeatures = inFeatures;
  t->stride = roundUp(outFeatures, kLineBytes / static_cast<int64_t>(sizeof(float)));
  t->fp32 = LargeArray<float>(static_cast<size_t>(inFeatures * t->stride));
  std::fill(t->fp32.data(), t->fp32.data() + inFeatures * t->stride, 0.0f);
  t->allFinite = true;
  return t;
}

void transposeLinearRows(TransposedLinearWeight& t, int64_t row0, int64_t rows, const float* src) {
  if (row0 < 0 || rows < 0 || row0 + rows > t.outFeatures)
    throw std::out_of_range("rows outside the transposed linear weight");
  const bool finite = transposeInto(src, rows, t.inFeatures, t.inFeatures, t.stride, t.fp32.data() + row0);
  t.allFinite = t.allFinite && finite;
}

void linearForwardTransposed(const KernelSet& ks, int64_t batch, const float* x, const TransposedLinearWeight& t,
                             const float* bias, float* out, bool relu) {
  if (ks.sparseRows == nullptr) throw std::logic_error("linearForwardTransposed: the kernel set has no sparse rows");
  const int64_t in = t.inFeatures;
  // With a weight that is not finite every row stays (0·∞ is NaN, as in torch's product).
  std::vector<int32_t> allRows;
  if (!t.allFinite) {
    allRows.resize(static_cast<size_t>(in));
    for (int64_t j = 0; j < in; ++j) allRows[static_cast<size_t>(j)] = static_cast<int32_t>(j);
  }
  // Larger batches as passes of up to 4 rows: each reads the weight once, and
  // runs at the rate of a register-tiled product (WebAssembly in Node on
  // Sapphire Rapids, fc6 at batch 4: 16 G multiply-adds/s; a product with the
  // copy as its unpacked right operand read 32 bytes per 16 KB row and
  // managed 4).
  for (int64_t n0 = 0; n0 < batch; n0 += kSparseRowsMaxBatch) {
    const int64_t n = std::min<int64_t>(kSparseRowsMaxBatch, batch - n0);
    const float* xs = x + n0 * in;
    linearOverRows(ks, n, xs, t, t.allFinite ? neededRows(n, xs, in) : allRows, bias, out + n0 * t.outFeatures, relu);
  }
}

}  // namespace alexnet
