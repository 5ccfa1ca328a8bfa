#include "linear.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "ops.h"
#include "scratch.h"
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

// Floats per 64-byte line: the transposed rows' padding, and the columns' grain among threads.
constexpr int64_t kLine = 16;

// Whether summing `rows` of the transposed weight beats the dot products over
// all of w at this batch. Each skipped-path row costs more than a row of the
// dense read (y is loaded and stored per four rows, more so per batch row):
// on Sapphire Rapids, with nothing to skip, 1.12× at batch 1, 1.22× at 2,
// 1.73× at 4 (fc6). The rule stays on the safe side of those.
bool skippingPays(int64_t batch, int64_t rows, int64_t inFeatures) {
  return batch <= kSparseRowsMaxBatch && rows * (5 + batch) < 5 * inFeatures;
}

// ALEXNET_SPARSE_LINEAR=0 keeps every call on the dense product: no transposed
// copy is made (for a process that would rather keep the memory).
bool skippingEnabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("ALEXNET_SPARSE_LINEAR");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return enabled;
}

}  // namespace

const PackedLinearWeight::Transposed& PackedLinearWeight::transposedFrom(const float* w) const {
  std::call_once(transposeOnce_, [&] {
    const int64_t stride = roundUp(outFeatures, kLine), in = inFeatures, out = outFeatures;
    LargeArray<float> t(static_cast<size_t>(in * stride));
    // Blocks of 64 outputs × 64 inputs: each reads 64 runs of w's rows and
    // writes 64 runs of t's; blocks of inputs in parallel (each thread writes
    // whole rows of t, including their zero padding).
    constexpr int64_t kBlock = 64;
    std::vector<char> finite(static_cast<size_t>(poolThreads()), 1);
    float* dst = t.data();
    parallelForDynamic((in + kBlock - 1) / kBlock, 1, [&](int64_t begin, int64_t end, int worker) {
      bool ok = true;
      for (int64_t b = begin; b < end; ++b) {
        const int64_t j0 = b * kBlock, j1 = std::min(in, j0 + kBlock);
        for (int64_t o0 = 0; o0 < out; o0 += kBlock) {
          const int64_t o1 = std::min(out, o0 + kBlock);
          for (int64_t o = o0; o < o1; ++o) {
            const float* row = w + o * in;
            for (int64_t j = j0; j < j1; ++j) {
              dst[j * stride + o] = row[j];
              ok = ok && std::isfinite(row[j]);
            }
          }
        }
        for (int64_t j = j0; j < j1; ++j) std::fill(dst + j * stride + out, dst + (j + 1) * stride, 0.0f);
      }
      if (!ok) finite[static_cast<size_t>(worker)] = 0;
    });
    transposed_.weights = std::move(t);
    transposed_.stride = stride;
    transposed_.allFinite = std::all_of(finite.begin(), finite.end(), [](char f) { return f != 0; });
    transposedBytes_.store(static_cast<size_t>(in * stride) * sizeof(float));
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

void linearForwardFp32(const KernelSet& ks, int64_t batch, const float* x, const PackedLinearWeight& packed,
                       const float* w, const float* bias, float* out, bool relu) {
  const int64_t in = packed.inFeatures, outF = packed.outFeatures;
  // The rows an input of few rows needs: those where some batch row is not 0.
  std::vector<int32_t> rows;
  const bool candidate = batch <= kSparseRowsMaxBatch && ks.sparseRows != nullptr && skippingEnabled();
  if (candidate) {
    rows.reserve(static_cast<size_t>(in));
    for (int64_t j = 0; j < in; ++j) {
      bool needed = false;
      for (int64_t n = 0; n < batch; ++n) needed = needed || x[n * in + j] != 0.0f;
      if (needed) rows.push_back(static_cast<int32_t>(j));
    }
  }
  const bool skip = candidate && skippingPays(batch, static_cast<int64_t>(rows.size()), in);
  const PackedLinearWeight::Transposed* t = skip ? &packed.transposedFrom(w) : nullptr;
  if (t == nullptr || !t->allFinite) {
    linearForward(ks, batch, in, outF, x, w, bias, out, relu);
    return;
  }

  // Each thread sums all the rows over its own columns (whole lines), into a
  // padded buffer: the sums, and so the results, do not depend on the thread count.
  const int64_t stride = t->stride;
  float* y = threadScratch<float>(ScratchSlot::Accumulator, static_cast<size_t>(batch * stride));
  const int64_t lines = stride / kLine, threads = poolThreads();
  const int64_t linesPerPart = (lines + threads - 1) / threads;
  parallelForStatic(threads, [&](int64_t begin, int64_t end, int) {
    for (int64_t part = begin; part < end; ++part) {
      const int64_t o0 = part * linesPerPart * kLine, o1 = std::min(stride, o0 + linesPerPart * kLine);
      if (o0 >= o1) continue;
      SparseRowsArgs a;
      a.batch = static_cast<int>(batch);
      a.x = x;
      a.ldx = in;
      a.wt = t->weights.data() + o0;
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

}  // namespace alexnet
