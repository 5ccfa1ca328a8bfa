// Pillow's separable bilinear resampling of 8-bit images, given the taps that
// src/image/resample.ts computes (so the weights are the same numbers): a
// horizontal pass into 8-bit rows, then a vertical pass. Fixed-point sums
// start at one half and are truncated then clamped, as Pillow's are; int64
// sums make the result independent of the order of the additions, like the
// JavaScript version's exact float64 sums.
#pragma once

#include <cstdint>
#include <string>

namespace alexnet {

struct ResampleTaps {
  const int32_t* first;    // per output: the first source index
  const int32_t* count;    // per output: how many source pixels it reads
  const int32_t* weights;  // per output: `stride` fixed-point weights
  int64_t stride;
  int64_t outputs;
};

// dst (rows.outputs × cols.outputs × channels) = the window the taps describe of
// src (height × width × channels, row-major, channels interleaved). `scratch`
// holds (rowEnd - rowBegin) × cols.outputs × channels bytes, where the row range
// is the union of the row taps' reads.
void resampleBilinear(const uint8_t* src, int64_t width, int64_t channels, const ResampleTaps& cols,
                      const ResampleTaps& rows, int64_t rowBegin, int64_t rowEnd, uint8_t* scratch, uint8_t* dst);

// Empty when every tap of an axis reads inside its `sourceSize` pixels, else
// which one does not (taps come from JavaScript: checked before any read).
std::string checkTaps(const ResampleTaps& taps, int64_t sourceSize, const char* axis);

// The whole resampling of an image into dst (rows.outputs × cols.outputs ×
// channels): the horizontal pass runs only over the source rows that the
// vertical pass reads, into scratch memory of its own.
void resampleBilinearImage(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                           const ResampleTaps& cols, const ResampleTaps& rows, uint8_t* dst);

}  // namespace alexnet
