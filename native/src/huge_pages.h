// Memory for large arrays (packed weights, and tensors of 8 MiB or more
// through the addon's allocateFloat32) backed by 2 MiB pages where the OS
// allows it. Streaming a layer's weights from DRAM, as batch-1
// inference does for every layer, is limited by TLB misses and by the hardware
// prefetchers stopping at each 4 KiB page: on a Zen 4 VM one core read 15 GB/s
// from 4 KiB pages and 27 GB/s from 2 MiB pages (both cores: 24 → 33 GB/s).
//
// Linux with transparent huge pages in "madvise" mode (Debian's default) gives
// huge pages only to ranges advised with MADV_HUGEPAGE before they are first
// touched; elsewhere the allocation is ordinary memory.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace alexnet {

// At least `bytes` bytes, 64-byte aligned (2 MiB aligned, and advised for
// huge pages, when large). Never returns null: throws std::bad_alloc.
void* allocateLarge(size_t bytes);
void freeLarge(void* p, size_t bytes) noexcept;
// Whether allocateLarge(bytes) returns zero-filled memory (fresh pages).
bool largeAllocationIsZeroed(size_t bytes) noexcept;

template <typename T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() = default;
  template <typename U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}
  T* allocate(size_t n) { return static_cast<T*>(allocateLarge(n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { freeLarge(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const LargeAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const LargeAllocator<U>&) const noexcept {
    return false;
  }
};

// A vector for packed weights: large ones on huge pages.
template <typename T>
using LargeVector = std::vector<T, LargeAllocator<T>>;

}  // namespace alexnet
