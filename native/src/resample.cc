#include "resample.h"

#include <algorithm>
#include <vector>

namespace alexnet {

namespace {

constexpr int kPrecisionBits = 22;
constexpr int64_t kHalf = int64_t{1} << (kPrecisionBits - 1);

inline uint8_t toByte(int64_t sum) {
  if (sum <= 0) return 0;
  const int64_t value = sum >> kPrecisionBits;
  return value > 255 ? 255 : static_cast<uint8_t>(value);
}

}  // namespace

void resampleBilinear(const uint8_t* src, int64_t width, int64_t channels, const ResampleTaps& cols,
                      const ResampleTaps& rows, int64_t rowBegin, int64_t rowEnd, uint8_t* scratch, uint8_t* dst) {
  const int64_t outWidth = cols.outputs;
  const int64_t rowLength = outWidth * channels;
  // Horizontal pass: only the source rows the vertical pass reads.
  for (int64_t y = rowBegin; y < rowEnd; y++) {
    const uint8_t* in = src + y * width * channels;
    uint8_t* out = scratch + (y - rowBegin) * rowLength;
    for (int64_t x = 0; x < outWidth; x++) {
      const int32_t* w = cols.weights + x * cols.stride;
      const uint8_t* p = in + static_cast<int64_t>(cols.first[x]) * channels;
      const int64_t n = cols.count[x];
      for (int64_t c = 0; c < channels; c++) {
        int64_t sum = kHalf;
        for (int64_t i = 0; i < n; i++) sum += static_cast<int64_t>(p[i * channels + c]) * w[i];
        out[x * channels + c] = toByte(sum);
      }
    }
  }
  // Vertical pass: whole rows at a time, so the inner loop walks memory in order.
  for (int64_t y = 0; y < rows.outputs; y++) {
    const int32_t* w = rows.weights + y * rows.stride;
    const uint8_t* base = scratch + (rows.first[y] - rowBegin) * rowLength;
    const int64_t n = rows.count[y];
    uint8_t* out = dst + y * rowLength;
    for (int64_t j = 0; j < rowLength; j++) {
      int64_t sum = kHalf;
      for (int64_t i = 0; i < n; i++) sum += static_cast<int64_t>(base[i * rowLength + j]) * w[i];
      out[j] = toByte(sum);
    }
  }
}

std::string checkTaps(const ResampleTaps& taps, int64_t sourceSize, const char* axis) {
  for (int64_t o = 0; o < taps.outputs; o++) {
    if (taps.first[o] < 0 || taps.count[o] < 0 || taps.count[o] > taps.stride ||
        taps.first[o] + taps.count[o] > sourceSize)
      return std::string(axis) + " tap " + std::to_string(o) + " reads outside the " + std::to_string(sourceSize) +
             " source pixels";
  }
  return "";
}

void resampleBilinearImage(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                           const ResampleTaps& cols, const ResampleTaps& rows, uint8_t* dst) {
  if (rows.outputs == 0 || cols.outputs == 0) return;
  int64_t rowBegin = height;
  int64_t rowEnd = 0;
  for (int64_t o = 0; o < rows.outputs; o++) {
    rowBegin = std::min<int64_t>(rowBegin, rows.first[o]);
    rowEnd = std::max<int64_t>(rowEnd, rows.first[o] + rows.count[o]);
  }
  if (rowEnd <= rowBegin) rowEnd = rowBegin;
  std::vector<uint8_t> scratch(static_cast<size_t>((rowEnd - rowBegin) * cols.outputs * channels));
  resampleBilinear(src, width, channels, cols, rows, rowBegin, rowEnd, scratch.data(), dst);
}

}  // namespace alexnet
