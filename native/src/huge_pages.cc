#include "huge_pages.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace alexnet {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Below a few huge pages the alignment waste outweighs the gain.
constexpr size_t kLargeThreshold = 4 * kHugePage;

size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

}  // namespace

void* allocateLarge(size_t bytes) {
  if (bytes == 0) bytes = 1;
#if defined(__linux__)
  if (bytes >= kLargeThreshold) {
    // Over-map by one huge page and trim to a 2 MiB-aligned range, so that
    // every page of the array can be a huge page.
    const size_t length = roundUp(bytes, kHugePage);
    void* raw = mmap(nullptr, length + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = roundUp(start, kHugePage);
    if (aligned > start) munmap(raw, aligned - start);
    const uintptr_t end = aligned + length, rawEnd = start + length + kHugePage;
    if (rawEnd > end) munmap(reinterpret_cast<void*>(end), rawEnd - end);
    void* p = reinterpret_cast<void*>(aligned);
    madvise(p, length, MADV_HUGEPAGE);  // advice only: failure leaves ordinary pages
    return p;
  }
#endif
  void* p = std::aligned_alloc(64, roundUp(bytes, 64));
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void freeLarge(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes == 0) bytes = 1;
#if defined(__linux__)
  if (bytes >= kLargeThreshold) {
    munmap(p, roundUp(bytes, kHugePage));
    return;
  }
#endif
  std::free(p);
}

void zeroAndRelease(void* p, size_t bytes) noexcept {
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p), end = begin + bytes;
#if defined(__linux__)
  const uintptr_t page = 4096;
  const uintptr_t first = roundUp(begin, page), last = end / page * page;
  if (first < last && madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED) == 0) {
    std::memset(p, 0, first - begin);
    std::memset(reinterpret_cast<void*>(last), 0, end - last);
    return;
  }
#endif
  std::memset(p, 0, end - begin);
}

bool largeAllocationIsZeroed(size_t bytes) noexcept {
#if defined(__linux__)
  return bytes >= kLargeThreshold;
#else
  (void)bytes;
  return false;
#endif
}

}  // namespace alexnet
