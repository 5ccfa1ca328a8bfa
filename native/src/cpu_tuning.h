// Blocking and kernel choices per CPU, from one table (as onnxruntime's MLAS
// picks its kernels per platform): the row is chosen by vendor/family/model
// and features (cpu_info.h), and the byte budgets are scaled by the cache
// sizes read at run time, so an unknown CPU still gets sensible blocking.
#pragma once

#include <cstdint>

#include "cpu_info.h"

namespace alexnet {

struct CpuTuning {
  const char* row;  // the table row that matched ("zen4", "sapphire-rapids", ...)
  // Share of the per-core L2 that a packed GEMM operand block may take (the
  // rest holds the streamed operand, C and the other thread's traffic).
  double gemmL2Share;
  // Share of L2 for a Winograd task's V and M scratch.
  double winogradL2Share;
  // K block of the direct convolution (floats of a tap run).
  int64_t convKc;
  // Prefer the tile shape with more rows (broadcasts) over more columns
  // (vector loads) when both fit a product equally: true on CPUs with one
  // 512-bit load per cycle (Zen 4 splits a zmm load in two 256-bit halves).
  bool preferTallTiles;
};

// The row for this CPU, with byte budgets already in bytes for its caches.
const CpuTuning& cpuTuning();

// Bytes of L2 per core the GEMM may fill with a packed block.
int64_t gemmPackBudgetBytes();
// Bytes of L2 per core a Winograd task may fill with its V and M scratch.
int64_t winogradScratchBudgetBytes();

}  // namespace alexnet
