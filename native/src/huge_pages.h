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
// Sets [p, p + bytes) to zero and gives the whole pages inside it back to the
// OS at once (Linux: MADV_DONTNEED, after which private anonymous memory reads
// as zero pages that take no memory until written); the partial pages at the
// ends are zeroed in place. For weights whose values are no longer needed
// (bf16 packing that consumes its fp32 source).
void zeroAndRelease(void* p, size_t bytes) noexcept;

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

// The same for data its owner writes in full before reading, of a trivial
// type: never filled by the container (a vector's resize zero-fills, touching
// every page at once: bf16 packing that consumes its fp32 source would hold a
// second copy whole).
template <typename T>
class LargeArray {
 public:
  LargeArray() = default;
  explicit LargeArray(size_t n) : data_(n == 0 ? nullptr : static_cast<T*>(allocateLarge(n * sizeof(T)))), size_(n) {}
  LargeArray(const LargeArray&) = delete;
  LargeArray& operator=(const LargeArray&) = delete;
  LargeArray(LargeArray&& other) noexcept : data_(other.data_), size_(other.size_) {
    other.data_ = nullptr;
    other.size_ = 0;
  }
  LargeArray& operator=(LargeArray&& other) noexcept {
    if (this != &other) {
      freeLarge(data_, size_ * sizeof(T));
      data_ = other.data_;
      size_ = other.size_;
      other.data_ = nullptr;
      other.size_ = 0;
    }
    return *this;
  }
  ~LargeArray() { freeLarge(data_, size_ * sizeof(T)); }
  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace alexnet
