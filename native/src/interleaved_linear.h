// A fully connected layer's fp32 weight interleaved for streaming, for
// inference at small batches where the weight is read from memory once per
// call (the wasm backend's packed linear weights).
//
// Layout: the rows in groups of 4; in a group, k in chunks of 4, each chunk
// the group's 4 rows × 4 consecutive k:
//     packed[((g·chunks + c)·4 + r)·4 + l] = w[4g + r][4c + l]   (0 past the edges)
// so a product walks the weight as one sequential stream. Why: WebAssembly
// has no prefetch instruction, and in Chromium 150 on Zen 5 one thread read
// fc6's 151 MB as dot products over 4 separate rows at 23-25 GB/s, as this
// one stream at 31-34 GB/s; at batch 1 the classifier is 40% of the forward.
#pragma once

#include <cstdint>
#include <memory>

#include "huge_pages.h"

namespace alexnet {

struct KernelSet;

struct InterleavedLinearWeight {
  static constexpr int64_t kRows = 4;   // rows per group
  static constexpr int64_t kLanes = 4;  // k per chunk
  int64_t outFeatures = 0, inFeatures = 0;
  LargeVector<float> weights;  // groups() × chunks() × kRows × kLanes
  int64_t groups() const { return (outFeatures + kRows - 1) / kRows; }
  int64_t chunks() const { return (inFeatures + kLanes - 1) / kLanes; }
};

// An all-zero weight of the given shape, to be filled by interleaveLinearRows.
std::unique_ptr<InterleavedLinearWeight> makeInterleavedLinearWeight(int64_t outFeatures, int64_t inFeatures);

// Copies rows [row0, row0 + rows) of the row-major weight (src: those rows,
// inFeatures apart) into place, so a caller can fill a large weight a slice
// at a time.
void interleaveLinearRows(InterleavedLinearWeight& w, int64_t row0, int64_t rows, const float* src);

// out[B, outF] = x[B, inF] · wᵀ + bias (ReLU), as linearForward: dot
// products along the stream at batch 1-2, register tiles of ks above.
void linearForwardInterleaved(const KernelSet& ks, int64_t batch, const float* x, const InterleavedLinearWeight& w,
                              const float* bias, float* out, bool relu);

}  // namespace alexnet
