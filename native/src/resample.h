// Pillow's separable bilinear resampling of 8-bit images, given the taps that
// src/image/resample.ts computes (so the weights are the same numbers): a
// horizontal pass into 8-bit rows, then a vertical pass. Fixed-point sums
// start at one half and are truncated then clamped, as Pillow's are. The sums
// are int32, as Pillow's: checkTaps bounds the weights so that no sum can
// overflow, and integer sums do not depend on the order of the additions, so
// the loops are free to run in whatever order vectorizes.
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

// Empty when every tap of an axis reads inside its `sourceSize` pixels with
// weights Pillow's bilinear filter can give (each in [0, 1], an output's sum
// at most 2, in fixed point: so no int32 sum overflows), else which tap does
// not. Taps come from JavaScript: checked before any read.
std::string checkTaps(const ResampleTaps& taps, int64_t sourceSize, const char* axis);

// dst (rows.outputs × cols.outputs × channels, interleaved 8-bit) = the window
// the taps describe of src (height × width × channels, row-major, channels
// interleaved). The horizontal pass runs only over the source rows that the
// vertical pass reads, into scratch memory of its own.
void resampleBilinearImage(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                           const ResampleTaps& cols, const ResampleTaps& rows, uint8_t* dst);

// The same window, each byte of channel c < planes then mapped through
// table[c·256 + byte] into plane c of `out` (planes × rows.outputs ×
// cols.outputs float32): ToTensor + Normalize as one lookup, so an image
// becomes a model input in one pass without an 8-bit copy of the window.
// planes ≤ channels: the channels after them are resampled and left out (the
// alpha of RGBA, which PIL's convert('RGB') drops).
void resampleBilinearToPlanes(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                              const ResampleTaps& cols, const ResampleTaps& rows, const float* table, int64_t planes,
                              float* out);

}  // namespace alexnet
