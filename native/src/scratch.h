// Per-thread scratch memory: 64-byte aligned buffers that grow on demand and
// are reused from call to call, so kernels allocate nothing in steady state.
// Each kernel uses its own slots; a slot's contents do not survive another
// kernel using the same slot on the same thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace alexnet {

enum class ScratchSlot : int {
  PackB = 0,
  Koff,
  RowPtrs,
  PaddedInput,
  TileBuffer,
  Winograd0,
  Winograd1,
  Partial,
  FlippedWeights,
  Columns,
  Accumulator,
  WinogradGradV,
  WinogradGradY,
  WinogradGradU,
  Bf16Activations,
  Bf16Panels,
  Bf16PairPlanes,
  WinogradFilters,
  WinogradFilterGather,
  Count
};

// A buffer of at least `bytes` bytes for this thread and slot.
void* threadScratchBytes(ScratchSlot slot, size_t bytes);

template <typename T>
T* threadScratch(ScratchSlot slot, size_t count) {
  return static_cast<T*>(threadScratchBytes(slot, count * sizeof(T)));
}

// Frees this thread's scratch (used by tests and after very large calls).
void releaseThreadScratch();

}  // namespace alexnet
