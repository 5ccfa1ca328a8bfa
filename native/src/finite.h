// Whether an array holds only finite values (no NaN, no ±∞).
//
// Winograd's transforms add and subtract neighbouring inputs (and filter
// taps) before the products, so one NaN or ∞ turns a whole tile of outputs
// into NaN (0·∞, ∞ − ∞), where torch's direct convolution makes NaN or ±∞
// only of the outputs whose window holds it. Weights are checked when packed
// (allFinite), inputs on each image's converted copy inside the Winograd task
// (allFiniteSerial); a layer that finds one takes the direct path.
#pragma once

#include <cstdint>

namespace alexnet {

bool allFinite(const float* values, int64_t count);
// The same on the calling thread only (inside a parallel task).
bool allFiniteSerial(const float* values, int64_t count);

}  // namespace alexnet
