// Max pooling of one plane: for inference maxPoolPlaneInside (windows inside
// the plane) or maxPoolPlaneValues (any geometry), and maxPoolPlaneWithIndex,
// which also writes torch's argmax for the backward pass. Compiled per ISA by the kernel translation units (inline,
// wrapped in target-attributed functions).
//
// Semantics (torch's CPU kernel, which the js reference mirrors): scanning the
// window in row-major order, a value replaces the running maximum when it is
// greater or NaN; the index starts at the first in-range tap. Padding is never
// selected (it is −∞ and a later real −∞ is not greater).
#pragma once

#include <cmath>
#include <cstdint>

namespace alexnet {

struct PoolPlaneGeom {
  int64_t inH, inW, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW;
};

// Output columns rounded up to 16: the window loops run over whole vectors
// (no scalar remainder, whose data-dependent branches would cost more than
// the vector part on rows as short as AlexNet's 27 or 13).
inline int64_t maxPoolPaddedWidth(const PoolPlaneGeom& g) { return (g.outW + 15) / 16 * 16; }

// Floats per phase array of a row (long enough for the padded output columns).
inline int64_t maxPoolPhaseLength(const PoolPlaneGeom& g) {
  return maxPoolPaddedWidth(g) + g.kernelW * g.dilationW / g.strideW + 2;
}

// Floats of one row of column maxima (maxPoolPlaneValues): from the left
// padding to past the right end of the last window of the padded output row
// (ceil_mode may put windows beyond the right padding), −∞ outside the input.
inline int64_t maxPoolColumnRowLength(const PoolPlaneGeom& g) {
  const int64_t phased = g.strideW * maxPoolPhaseLength(g);
  return phased > g.inW + 2 * g.padW ? phased : g.inW + 2 * g.padW;
}

// Floats of scratch that either kernel needs. maxPoolPlaneValues: a row of
// column maxima, its phase split and a padded row of maxima; maxPoolPlaneWithIndex:
// every input row, phase-split, plus a padded row of maxima and one of indices.
inline int64_t maxPoolScratchFloats(const PoolPlaneGeom& g) {
  const int64_t withIndex = g.inH * g.strideW * maxPoolPhaseLength(g) + 2 * maxPoolPaddedWidth(g);
  const int64_t values = maxPoolColumnRowLength(g) + g.strideW * maxPoolPhaseLength(g) + maxPoolPaddedWidth(g);
  const int64_t plane = g.inH * g.inW;  // maxPoolPlaneInside's row maxima
  const int64_t most = withIndex > values ? withIndex : values;
  return most > plane ? most : plane;
}

// Windows that stay inside the plane: no padding, no dilation, and no
// ceil-mode window past the edge (AlexNet's pools and most networks').
inline bool maxPoolWindowsInside(const PoolPlaneGeom& g) {
  return g.padH == 0 && g.padW == 0 && g.dilationH == 1 && g.dilationW == 1 &&
         (g.outH - 1) * g.strideH + g.kernelH <= g.inH && (g.outW - 1) * g.strideW + g.kernelW <= g.inW;
}

// torch's rule for the running maximum: a value replaces it when greater or NaN.
__attribute__((always_inline)) inline float maxKeepingNaN(float current, float value) {
  return (value > current || value != value) ? value : current;
}

// Inference (no indices): without an argmax to pick, the window maximum does
// not depend on the scan order (any NaN wins; equal values are equal), so it
// splits into a maximum down the window's rows, contiguous along the input row,
// then a maximum along that one row, phase-split so that the window column j
// of consecutive outputs is a unit-stride run. Both loops vectorise; the
// phase-split form below must split every input row instead, to keep torch's
// scan order for the indices.
__attribute__((always_inline)) inline void maxPoolPlaneValues(const PoolPlaneGeom& g, const float* __restrict x,
                                                              float* __restrict out, float* __restrict scratch) {
  const int64_t s = g.strideW;
  const int64_t rowLength = maxPoolColumnRowLength(g);
  const int64_t phaseLen = maxPoolPhaseLength(g);
  const int64_t width = maxPoolPaddedWidth(g);
  float* __restrict columns = scratch;  // columns[u]: input column u − padW
  float* __restrict phases = columns + rowLength;
  float* __restrict best = phases + s * phaseLen;
  const float negInf = -INFINITY;
  for (int64_t u = 0; u < g.padW; ++u) columns[u] = negInf;
  for (int64_t u = g.padW + g.inW; u < rowLength; ++u) columns[u] = negInf;
  float* __restrict inside = columns + g.padW;
  for (int64_t oh = 0; oh < g.outH; ++oh) {
    bool first = true;
    for (int64_t i = 0; i < g.kernelH; ++i) {
      const int64_t h = oh * g.strideH - g.padH + i * g.dilationH;
      if (h < 0 || h >= g.inH) continue;
      const float* __restrict src = x + h * g.inW;
      if (first) {
        for (int64_t w = 0; w < g.inW; ++w) inside[w] = src[w];
        first = false;
      } else {
        for (int64_t w = 0; w < g.inW; ++w) inside[w] = maxKeepingNaN(inside[w], src[w]);
      }
    }
    // Padding at most half the kernel still lets a dilated window's rows all
    // miss the input (kernel 2, dilation 3, padding 1 on 2 rows): −∞, as torch.
    if (first)
      for (int64_t w = 0; w < g.inW; ++w) inside[w] = negInf;
    // phases[r][m] = columns[m·s + r]; stride 2 (AlexNet's pools) as a
    // constant, which the compiler vectorises with permutes: with the run-time
    // stride this copy stayed scalar and took most of a 55×55 plane's time.
    if (s == 2) {
      for (int64_t m = 0; m < phaseLen; ++m) {
        phases[m] = columns[2 * m];
        phases[phaseLen + m] = columns[2 * m + 1];
      }
    } else {
      for (int64_t r = 0; r < s; ++r)
        for (int64_t m = 0; m < phaseLen; ++m) phases[r * phaseLen + m] = columns[m * s + r];
    }
    for (int64_t ow = 0; ow < width; ++ow) best[ow] = phases[ow];  // window column 0
    for (int64_t j = 1; j < g.kernelW; ++j) {
      const int64_t offset = j * g.dilationW;
      const float* __restrict v = phases + (offset % s) * phaseLen + offset / s;
      for (int64_t ow = 0; ow < width; ++ow) best[ow] = maxKeepingNaN(best[ow], v[ow]);
    }
    for (int64_t ow = 0; ow < g.outW; ++ow) out[oh * g.outW + ow] = best[ow];
  }
}

// Inference for K×K windows at stride S inside the plane (maxPoolWindowsInside),
// in two passes that the compiler vectorises without a per-row remainder
// for the first: the maximum along each window row for every start of the
// flat plane (a start near a row's end mixes two rows, and no window uses
// it), then, for each output, the maximum of its K row maxima, read at
// stride S. On AlexNet's 55×55 planes it ran several times faster than
// maxPoolPlaneValues, whose eight short loops per output row (each with a
// remainder, two of them calls to memmove) cost more than the maxima.
template <int K, int S>
__attribute__((always_inline)) inline void maxPoolPlaneInside(const PoolPlaneGeom& g, const float* __restrict x,
                                                              float* __restrict out, float* __restrict rowMax) {
  const int64_t inW = g.inW, outW = g.outW;
  const int64_t starts = g.inH * inW - (K - 1);
  for (int64_t i = 0; i < starts; ++i) {
    float m = x[i];
    for (int t = 1; t < K; ++t) m = maxKeepingNaN(m, x[i + t]);
    rowMax[i] = m;
  }
  for (int64_t oh = 0; oh < g.outH; ++oh) {
    const float* __restrict r = rowMax + oh * S * inW;
    float* __restrict o = out + oh * outW;
    for (int64_t ow = 0; ow < outW; ++ow) {
      float m = r[S * ow];
      for (int t = 1; t < K; ++t) m = maxKeepingNaN(m, r[t * inW + S * ow]);
      o[ow] = m;
    }
  }
}

// The training form: values and torch's argmax, vectorised along the output
// row: each padded input row is first split into `strideW` phase arrays
// (phase r holds columns r, r + s, r + 2s, ...), which makes the window column
// j of consecutive outputs a unit-stride run.
__attribute__((always_inline)) inline void maxPoolPlaneWithIndex(const PoolPlaneGeom& g, const float* __restrict x,
                                                                 float* __restrict out, int32_t* __restrict argmax,
                                                                 float* __restrict scratch) {
  const int64_t s = g.strideW;
  const int64_t phaseLen = maxPoolPhaseLength(g);
  const int64_t width = maxPoolPaddedWidth(g);
  float* bestRow = scratch + g.inH * s * phaseLen;
  int32_t* idxRow = reinterpret_cast<int32_t*>(bestRow + width);
  const float negInf = -INFINITY;

  // Phase-split every row once (rows are shared by overlapping windows):
  // scratch[h][r][m] = x[h][m·s + r − padW], −∞ outside the row.
  for (int64_t h = 0; h < g.inH; ++h) {
    const float* src = x + h * g.inW;
    for (int64_t r = 0; r < s; ++r) {
      float* ph = scratch + (h * s + r) * phaseLen;
      // m range [m0, m1) whose column m·s + r − padW lies inside the row:
      // computed up front so that the copy is a counted (vectorisable) loop.
      const int64_t first = g.padW - r;  // m·s must reach this
      int64_t m0 = first <= 0 ? 0 : (first + s - 1) / s;
      int64_t m1 = (g.inW + g.padW - r + s - 1) / s;
      if (m0 > phaseLen) m0 = phaseLen;
      if (m1 > phaseLen) m1 = phaseLen;
      if (m1 < m0) m1 = m0;
      for (int64_t m = 0; m < m0; ++m) ph[m] = negInf;
      const float* from = src + r - g.padW;
      if (s == 2) {
        // A constant stride, which the compiler vectorises (AlexNet's pools).
        for (int64_t m = m0; m < m1; ++m) ph[m] = from[m * 2];
      } else {
        for (int64_t m = m0; m < m1; ++m) ph[m] = from[m * s];
      }
      for (; m1 < phaseLen; ++m1) ph[m1] = negInf;
    }
  }

  for (int64_t oh = 0; oh < g.outH; ++oh) {
    // First in-range tap of each window: the starting index.
    int64_t h0 = oh * g.strideH - g.padH;
    while (h0 < 0) h0 += g.dilationH;
    for (int64_t ow = g.outW; ow < width; ++ow) {
      bestRow[ow] = negInf;
      idxRow[ow] = 0;
    }
    for (int64_t ow = 0; ow < g.outW; ++ow) {
      int64_t w0 = ow * g.strideW - g.padW;
      while (w0 < 0) w0 += g.dilationW;
      bestRow[ow] = negInf;
      idxRow[ow] = static_cast<int32_t>(h0 * g.inW + w0);
    }
    for (int64_t i = 0; i < g.kernelH; ++i) {
      const int64_t h = oh * g.strideH - g.padH + i * g.dilationH;
      if (h < 0 || h >= g.inH) continue;
      const float* phases = scratch + h * s * phaseLen;
      for (int64_t j = 0; j < g.kernelW; ++j) {
        const int64_t offset = j * g.dilationW;
        const float* v = phases + (offset % s) * phaseLen + offset / s;
        const int32_t base = static_cast<int32_t>(h * g.inW + offset - g.padW);
        const int32_t step = static_cast<int32_t>(s);
        for (int64_t ow = 0; ow < width; ++ow) {
          const float value = v[ow];
          const float current = bestRow[ow];
          const bool take = value > current || value != value;
          bestRow[ow] = take ? value : current;
          idxRow[ow] = take ? base + step * static_cast<int32_t>(ow) : idxRow[ow];
        }
      }
    }
    for (int64_t ow = 0; ow < g.outW; ++ow) {
      out[oh * g.outW + ow] = bestRow[ow];
      argmax[oh * g.outW + ow] = idxRow[ow];
    }
  }
}

// KernelSet::maxPoolPlane: either form, by whether argmax is wanted (null in
// inference). Each kernel file wraps it in a function of its instruction set.
__attribute__((always_inline)) inline void maxPoolPlane(const PoolPlaneGeom& g, const float* __restrict x,
                                                        float* __restrict out, int32_t* __restrict argmax,
                                                        float* __restrict scratch) {
  if (argmax != nullptr) {
    maxPoolPlaneWithIndex(g, x, out, argmax, scratch);
    return;
  }
  const bool square = g.kernelH == g.kernelW && g.strideH == g.strideW;
  if (square && maxPoolWindowsInside(g)) {
    if (g.kernelH == 3 && g.strideH == 2) return maxPoolPlaneInside<3, 2>(g, x, out, scratch);
    if (g.kernelH == 2 && g.strideH == 2) return maxPoolPlaneInside<2, 2>(g, x, out, scratch);
  }
  maxPoolPlaneValues(g, x, out, scratch);
}

}  // namespace alexnet
