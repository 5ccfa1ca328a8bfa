// The FMA peak of this machine: independent multiply-add chains kept in
// registers, for benchmarks to state kernel speed as a fraction of the peak.
#pragma once

#include "cpu_dispatch.h"

namespace alexnet {

// GFLOP/s (2 per multiply-add) of `level`'s vector FMA on every pool thread together, over ~`seconds`.
double measurePeakGflops(SimdLevel level, double seconds);

}  // namespace alexnet
