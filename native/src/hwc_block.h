// One block of the NCHW → HWC conversion that the Winograd convolutions read
// their input in (toPaddedHwc): up to 16 channels × up to 16 pixels,
//     dst[p·dstStride + c] = src[c·planeStride + p],  c < channels, p < pixels.
// The scalar form here serves the generic, AVX2 and WebAssembly kernel sets;
// AVX-512 transposes the 16 × 16 block in registers (tile_kernel_avx512.cc):
// element by element, the conversion of AlexNet's 384-channel 13×13 conv4
// input took 35 µs per thread at batch 1 (21 µs transposed; the Winograd
// input transform after it: 55 µs), Zen 5.
#pragma once

#include <cstdint>

namespace alexnet {

inline void toHwcBlockScalar(const float* src, int64_t planeStride, int64_t channels, int64_t pixels, float* dst,
                             int64_t dstStride) {
  for (int64_t p = 0; p < pixels; ++p)
    for (int64_t c = 0; c < channels; ++c) dst[p * dstStride + c] = src[c * planeStride + p];
}

}  // namespace alexnet
