#include "scratch.h"

#include <cstdlib>
#include <new>

namespace alexnet {

namespace {

struct Buffer {
  void* data = nullptr;
  size_t bytes = 0;
};

struct ThreadBuffers {
  Buffer slots[static_cast<int>(ScratchSlot::Count)];
  ~ThreadBuffers() {
    for (auto& b : slots) std::free(b.data);
  }
};

thread_local ThreadBuffers buffers;

}  // namespace

void* threadScratchBytes(ScratchSlot slot, size_t bytes) {
  Buffer& b = buffers.slots[static_cast<int>(slot)];
  if (bytes > b.bytes) {
    std::free(b.data);
    // Round up so that vector over-reads at the end of a buffer stay inside it.
    size_t rounded = (bytes + 64 + 63) / 64 * 64;
    b.data = std::aligned_alloc(64, rounded);
    if (b.data == nullptr) {
      b.bytes = 0;
      throw std::bad_alloc();
    }
    b.bytes = rounded - 64;
  }
  return b.data;
}

void releaseThreadScratch() {
  for (auto& b : buffers.slots) {
    std::free(b.data);
    b.data = nullptr;
    b.bytes = 0;
  }
}

}  // namespace alexnet
