#include "finite.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "thread_pool.h"

namespace alexnet {

namespace {

// Values per block: a block is checked whole (a branch-free loop the compiler
// vectorises), and the scan stops at the first block with a non-finite value.
constexpr int64_t kBlock = 4096;
// Below this many values one thread scans (waking the pool costs more).
constexpr int64_t kParallelMin = int64_t{1} << 18;

bool blockFinite(const float* values, int64_t count) {
  uint32_t nonFinite = 0;
  for (int64_t i = 0; i < count; ++i) {
    uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    // All exponent bits set: ±∞ or NaN.
    nonFinite |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return nonFinite == 0;
}

bool rangeFinite(const float* values, int64_t begin, int64_t end, const std::atomic<bool>* stop) {
  for (int64_t b = begin; b < end; b += kBlock) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return true;  // another part found one
    if (!blockFinite(values + b, std::min(kBlock, end - b))) return false;
  }
  return true;
}

}  // namespace

bool allFiniteSerial(const float* values, int64_t count) { return rangeFinite(values, 0, count, nullptr); }

bool allFinite(const float* values, int64_t count) {
  if (count < kParallelMin) return rangeFinite(values, 0, count, nullptr);
  std::atomic<bool> found{false};
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  parallelForStatic(blocks, [&](int64_t begin, int64_t end, int) {
    if (!rangeFinite(values, begin * kBlock, std::min(count, end * kBlock), &found))
      found.store(true, std::memory_order_relaxed);
  });
  return !found.load();
}

}  // namespace alexnet
