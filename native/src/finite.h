// Whether an array holds only finite values (no NaN, no ±∞).
//
// Winograd's transforms add and subtract neighbouring inputs (and filter
// taps) before the products, so one NaN or ∞ turns a whole tile of outputs
// into NaN (0·∞, ∞ − ∞), where torch's direct convolution makes NaN or ±∞
// only of the outputs whose window holds it. The convolutions ask this before
// taking a Winograd path and take the direct one otherwise.
#pragma once

#include <cstdint>

namespace alexnet {

bool allFinite(const float* values, int64_t count);
// The same on the calling thread only (inside a parallel task).
bool allFiniteSerial(const float* values, int64_t count);

}  // namespace alexnet
