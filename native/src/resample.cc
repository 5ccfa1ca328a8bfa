#include "resample.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "arch.h"
#include "cpu_dispatch.h"

#if ALEXNET_X86
#include <immintrin.h>
#endif

namespace alexnet {

namespace {

constexpr int kPrecisionBits = 22;
constexpr int32_t kOne = int32_t{1} << kPrecisionBits;
constexpr int32_t kHalf = int32_t{1} << (kPrecisionBits - 1);

inline uint8_t toByte(int32_t sum) {
  if (sum <= 0) return 0;
  const int32_t value = sum >> kPrecisionBits;
  return value > 255 ? 255 : static_cast<uint8_t>(value);
}

// One RGB output pixel of the horizontal pass: the three sums of its `n` taps
// side by side.
inline void rgbPixel(const uint8_t* p, const int32_t* w, int32_t n, uint8_t* out) {
  int32_t r = kHalf, g = kHalf, b = kHalf;
  for (int32_t i = 0; i < n; i++) {
    r += p[3 * i] * w[i];
    g += p[3 * i + 1] * w[i];
    b += p[3 * i + 2] * w[i];
  }
  out[0] = toByte(r);
  out[1] = toByte(g);
  out[2] = toByte(b);
}

#if ALEXNET_X86
// One source row's outputs with SSE4.1 (every AVX2 CPU has it), for 3-byte
// (RGB) or 4-byte (RGBA) pixels: a pixel's channels (for RGB, and one byte of
// the next pixel, ignored) in the lanes of one vector, one multiply-add per
// tap instead of one per channel. The same int32 sums as the scalar loop, and
// the same rounding: shift, then saturate to a byte. An RGB row's last pixel
// would read a byte past the image on its last row: `lastRow` sends the
// outputs that read it to the scalar loop (an RGBA pixel is exactly one load).
template <int kBytes>
__attribute__((target("sse4.1"))) void pixelRowSse41(const uint8_t* in, int64_t width, const ResampleTaps& cols,
                                                     bool lastRow, uint8_t* out) {
  static_assert(kBytes == 3 || kBytes == 4, "RGB or RGBA pixels");
  for (int64_t x = 0; x < cols.outputs; x++) {
    const int32_t* w = cols.weights + x * cols.stride;
    const int64_t first = cols.first[x];
    const int32_t n = cols.count[x];
    const uint8_t* p = in + first * kBytes;
    if (kBytes == 3 && lastRow && first + n == width) {
      rgbPixel(p, w, n, out + 3 * x);
      continue;
    }
    __m128i acc = _mm_set1_epi32(kHalf);
    for (int32_t i = 0; i < n; i++) {
      int32_t bytes;
      std::memcpy(&bytes, p + kBytes * i, 4);
      const __m128i pixel = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(bytes));
      acc = _mm_add_epi32(acc, _mm_mullo_epi32(pixel, _mm_set1_epi32(w[i])));
    }
    // Shifted sums lie in [0, 510] (checkTaps bounds the weights), so both
    // saturating packs, signed 32 → unsigned 16 → unsigned 8, clamp as toByte.
    const __m128i shifted = _mm_srai_epi32(acc, kPrecisionBits);
    const __m128i words = _mm_packus_epi32(shifted, shifted);
    const int32_t pixelOut = _mm_cvtsi128_si32(_mm_packus_epi16(words, words));
    std::memcpy(out + kBytes * x, &pixelOut, kBytes);
  }
}

// One output row of the vertical pass, eight sums at a time: the `n` source
// rows `base`, `base + rowLength`, ... weighted and summed in registers, so
// each sum is written once instead of once per tap.
__attribute__((target("avx2"))) void verticalRowAvx2(const uint8_t* base, int64_t rowLength, const int32_t* w,
                                                     int32_t n, int32_t* sums) {
  int64_t j = 0;
  for (; j + 8 <= rowLength; j += 8) {
    __m256i acc = _mm256_set1_epi32(kHalf);
    for (int32_t i = 0; i < n; i++) {
      const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(base + i * rowLength + j));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(bytes), _mm256_set1_epi32(w[i])));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(sums + j), acc);
  }
  for (; j < rowLength; j++) {
    int32_t acc = kHalf;
    for (int32_t i = 0; i < n; i++) acc += base[i * rowLength + j] * w[i];
    sums[j] = acc;
  }
}

// toByte over a row of sums, sixteen at a time: shift, then the saturating
// packs clamp to [0, 255] as toByte does (a negative sum packs to 0).
__attribute__((target("avx2"))) void sumsToBytesAvx2(const int32_t* sums, int64_t length, uint8_t* bytes) {
  int64_t j = 0;
  for (; j + 16 <= length; j += 16) {
    const __m256i a = _mm256_srai_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + j)), kPrecisionBits);
    const __m256i b =
        _mm256_srai_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sums + j + 8)), kPrecisionBits);
    // packs work within 128-bit lanes: words come out as a0-3 b0-3 a4-7 b4-7; the permute restores the order.
    const __m256i words = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8);
    const __m128i packed = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes + j), packed);
  }
  for (; j < length; j++) bytes[j] = toByte(sums[j]);
}
#endif

// Horizontal pass over source rows [rowBegin, rowEnd) into `scratch`
// (one row of cols.outputs × channels bytes per source row).
void resampleRows(const uint8_t* src, int64_t width, int64_t height, int64_t channels, const ResampleTaps& cols,
                  int64_t rowBegin, int64_t rowEnd, uint8_t* scratch) {
  const int64_t outWidth = cols.outputs;
  const int64_t rowLength = outWidth * channels;
#if ALEXNET_X86
  // Measured on Zen 4, the whole ImageNet transform of a 3000×2000 photo:
  // 11.8 ms with the scalar loop below, 9.1 ms with the vector one (a
  // 1411×1411 photo 1.9 → 1.2 ms, a 224×224 one 0.8 → 0.6 ms).
  const bool vector = (channels == 3 || channels == 4) && currentSimd() >= SimdLevel::Avx2;
#endif
  for (int64_t y = rowBegin; y < rowEnd; y++) {
    const uint8_t* in = src + y * width * channels;
    uint8_t* out = scratch + (y - rowBegin) * rowLength;
#if ALEXNET_X86
    if (vector) {
      if (channels == 4)
        pixelRowSse41<4>(in, width, cols, y == height - 1, out);
      else
        pixelRowSse41<3>(in, width, cols, y == height - 1, out);
      continue;
    }
#endif
    if (channels == 3) {
      for (int64_t x = 0; x < outWidth; x++)
        rgbPixel(in + static_cast<int64_t>(cols.first[x]) * 3, cols.weights + x * cols.stride, cols.count[x],
                 out + 3 * x);
      continue;
    }
    for (int64_t x = 0; x < outWidth; x++) {
      const int32_t* w = cols.weights + x * cols.stride;
      const uint8_t* p = in + static_cast<int64_t>(cols.first[x]) * channels;
      const int32_t n = cols.count[x];
      for (int64_t c = 0; c < channels; c++) {
        int32_t sum = kHalf;
        for (int32_t i = 0; i < n; i++) sum += p[i * channels + c] * w[i];
        out[x * channels + c] = toByte(sum);
      }
    }
  }
}

// Both passes; `store(y, sums)` receives output row y as rowLength fixed-point
// sums (not yet rounded to bytes).
template <typename Store>
void resample(const uint8_t* src, int64_t width, int64_t height, int64_t channels, const ResampleTaps& cols,
              const ResampleTaps& rows, Store store) {
  if (rows.outputs == 0 || cols.outputs == 0) return;
  int64_t rowBegin = height;
  int64_t rowEnd = 0;
  for (int64_t o = 0; o < rows.outputs; o++) {
    rowBegin = std::min<int64_t>(rowBegin, rows.first[o]);
    rowEnd = std::max<int64_t>(rowEnd, rows.first[o] + rows.count[o]);
  }
  if (rowEnd <= rowBegin) rowEnd = rowBegin;
  const int64_t rowLength = cols.outputs * channels;
  std::vector<uint8_t> scratch(static_cast<size_t>((rowEnd - rowBegin) * rowLength));
  resampleRows(src, width, height, channels, cols, rowBegin, rowEnd, scratch.data());
  // Vertical pass: one weight per source row, so each tap is a multiply-add
  // over a whole row in memory order.
  std::vector<int32_t> sums(static_cast<size_t>(rowLength));
  int32_t* acc = sums.data();
#if ALEXNET_X86
  const bool avx2 = currentSimd() >= SimdLevel::Avx2;
#endif
  for (int64_t y = 0; y < rows.outputs; y++) {
    const int32_t* w = rows.weights + y * rows.stride;
    const uint8_t* base = scratch.data() + (rows.first[y] - rowBegin) * rowLength;
    const int32_t n = rows.count[y];
#if ALEXNET_X86
    if (avx2) {
      verticalRowAvx2(base, rowLength, w, n, acc);
      store(y, acc);
      continue;
    }
#endif
    std::fill(acc, acc + rowLength, kHalf);
    for (int32_t i = 0; i < n; i++) {
      const uint8_t* line = base + i * rowLength;
      const int32_t weight = w[i];
      for (int64_t j = 0; j < rowLength; j++) acc[j] += line[j] * weight;
    }
    store(y, acc);
  }
}

// A row of fixed-point sums to bytes (toByte on each).
void sumsToBytes(const int32_t* sums, int64_t length, uint8_t* bytes) {
#if ALEXNET_X86
  if (currentSimd() >= SimdLevel::Avx2) {
    sumsToBytesAvx2(sums, length, bytes);
    return;
  }
#endif
  for (int64_t j = 0; j < length; j++) bytes[j] = toByte(sums[j]);
}

}  // namespace

std::string checkTaps(const ResampleTaps& taps, int64_t sourceSize, const char* axis) {
  for (int64_t o = 0; o < taps.outputs; o++) {
    const std::string where = std::string(axis) + " tap " + std::to_string(o);
    if (taps.first[o] < 0 || taps.count[o] < 0 || taps.count[o] > taps.stride ||
        taps.first[o] + taps.count[o] > sourceSize)
      return where + " reads outside the " + std::to_string(sourceSize) + " source pixels";
    // 255 × 2·kOne + kHalf < 2^31: no sum overflows.
    int64_t total = 0;
    for (int64_t i = 0; i < taps.count[o]; i++) {
      const int32_t w = taps.weights[o * taps.stride + i];
      if (w < 0 || w > kOne) return where + " has a weight outside [0, 1] (bilinear weights are)";
      total += w;
    }
    if (total > 2 * int64_t{kOne}) return where + "'s weights sum above 2 (bilinear weights sum to 1)";
  }
  return "";
}

void resampleBilinearImage(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                           const ResampleTaps& cols, const ResampleTaps& rows, uint8_t* dst) {
  const int64_t rowLength = cols.outputs * channels;
  resample(src, width, height, channels, cols, rows,
           [&](int64_t y, const int32_t* sums) { sumsToBytes(sums, rowLength, dst + y * rowLength); });
}

// Measured on Zen 4, a 224×224 JPEG's ImageNet transform (upscaled to 256,
// the 224 crop): 0.37-0.50 ms with the vertical pass left to the compiler
// (SSE2, whose 32-bit multiply takes two instructions) and a byte rounded per
// lookup; 0.20-0.26 ms with the AVX2 vertical pass and rounding. Read as
// RGBA (the WebAssembly JPEG decoder's output) it takes the same time, where
// a copy to RGB first cost another 0.25 ms.
void resampleBilinearToPlanes(const uint8_t* src, int64_t width, int64_t height, int64_t channels,
                              const ResampleTaps& cols, const ResampleTaps& rows, const float* table, int64_t planes,
                              float* out) {
  const int64_t outWidth = cols.outputs;
  const int64_t plane = rows.outputs * outWidth;
  const int64_t rowLength = outWidth * channels;
  std::vector<uint8_t> bytes(static_cast<size_t>(rowLength));
  uint8_t* row = bytes.data();
  resample(src, width, height, channels, cols, rows, [&](int64_t y, const int32_t* sums) {
    sumsToBytes(sums, rowLength, row);
    if (planes == 3) {
      // RGB, or RGBA whose alpha is left out: three lookups per pixel.
      const float* red = table;
      const float* green = table + 256;
      const float* blue = table + 512;
      float* outRed = out + y * outWidth;
      float* outGreen = outRed + plane;
      float* outBlue = outGreen + plane;
      for (int64_t x = 0; x < outWidth; x++) {
        const uint8_t* pixel = row + x * channels;
        outRed[x] = red[pixel[0]];
        outGreen[x] = green[pixel[1]];
        outBlue[x] = blue[pixel[2]];
      }
      return;
    }
    for (int64_t c = 0; c < planes; c++) {
      const float* lookup = table + c * 256;
      float* o = out + c * plane + y * outWidth;
      for (int64_t x = 0; x < outWidth; x++) o[x] = lookup[row[x * channels + c]];
    }
  });
}

}  // namespace alexnet
