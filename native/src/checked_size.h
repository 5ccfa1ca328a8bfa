// Products of sizes that came from JavaScript. Each size may be up to 2^53 (the
// largest whole number a JS number holds exactly), so their products overflow
// int64_t long before any array could be that long; a product that wrapped
// around passed the length checks, and a kernel then ran far outside its arrays.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace alexnet {

// No typed array, and no tensor, holds more elements than this.
constexpr int64_t kMaxElements = int64_t(1) << 53;

// The product of non-negative sizes, or -1 when it is above kMaxElements (or
// would overflow on the way there). A zero size makes the product 0.
inline int64_t checkedProduct(std::initializer_list<int64_t> sizes) {
  for (int64_t s : sizes)
    if (s == 0) return 0;
  int64_t product = 1;
  for (int64_t s : sizes)
    if (__builtin_mul_overflow(product, s, &product) || product > kMaxElements) return -1;
  return product;
}

}  // namespace alexnet
