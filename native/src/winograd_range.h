// Whether an array's values are ones Winograd can take: finite (no NaN, no
// ±∞) and of magnitude below kWinogradMaxMagnitude.
//
// Winograd's transforms add and subtract neighbouring inputs (and filter
// taps) before the products, so one NaN or ∞ turns a whole tile of outputs
// into NaN (0·∞, ∞ − ∞), where torch's direct convolution makes NaN or ±∞
// only of the outputs whose window holds it; and those sums, the products
// and the output transform grow a value by up to about 2^37 (transform
// coefficients and 1,024 channels), so values near float's maximum overflow
// where the direct sum stays finite (inputs of 1e37 gave NaN everywhere).
// Weights are checked when packed (allInWinogradRange), inputs on each
// image's converted copy inside the Winograd task (allInWinogradRangeSerial);
// a layer that finds one outside takes the direct path.
#pragma once

#include <cstdint>

namespace alexnet {

// 2^40 ≈ 1.1e12, far above any activation or weight of a working network:
// two operands at the bound leave 2^127 / 2^80 = 2^47 of headroom for growth.
constexpr float kWinogradMaxMagnitude = 1099511627776.0f;

bool allInWinogradRange(const float* values, int64_t count);
// The same on the calling thread only (inside a parallel task).
bool allInWinogradRangeSerial(const float* values, int64_t count);

}  // namespace alexnet
