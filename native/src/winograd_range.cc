#include "winograd_range.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "thread_pool.h"

namespace alexnet {

namespace {

// Values per block: a block is checked whole (a branch-free loop the compiler
// vectorises), and the scan stops at the first block with a value outside.
constexpr int64_t kBlock = 4096;
// Below this many values one thread scans (waking the pool costs more).
constexpr int64_t kParallelMin = int64_t{1} << 18;

// As bits without the sign, |v| < bound exactly when bits < the bound's bits,
// and NaN and ±∞ (all exponent bits set) compare above every finite bound.
uint32_t magnitudeBits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits & 0x7fffffffu;
}

bool blockInRange(const float* values, int64_t count) {
  const uint32_t bound = magnitudeBits(kWinogradMaxMagnitude);
  uint32_t outside = 0;
  for (int64_t i = 0; i < count; ++i) outside |= static_cast<uint32_t>(magnitudeBits(values[i]) >= bound);
  return outside == 0;
}

bool spanInRange(const float* values, int64_t begin, int64_t end, const std::atomic<bool>* stop) {
  for (int64_t b = begin; b < end; b += kBlock) {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return true;  // another part found one
    if (!blockInRange(values + b, std::min(kBlock, end - b))) return false;
  }
  return true;
}

}  // namespace

bool allInWinogradRangeSerial(const float* values, int64_t count) { return spanInRange(values, 0, count, nullptr); }

bool allInWinogradRange(const float* values, int64_t count) {
  if (count < kParallelMin) return spanInRange(values, 0, count, nullptr);
  std::atomic<bool> found{false};
  const int64_t blocks = (count + kBlock - 1) / kBlock;
  parallelForStatic(blocks, [&](int64_t begin, int64_t end, int) {
    if (!spanInRange(values, begin * kBlock, std::min(count, end * kBlock), &found))
      found.store(true, std::memory_order_relaxed);
  });
  return !found.load();
}

}  // namespace alexnet
