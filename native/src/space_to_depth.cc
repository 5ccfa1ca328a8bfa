// Space-to-depth: a strided convolution rewritten as a stride-1 one, so that
// Winograd can compute it.
//
// A stride-s k×k convolution reads, for output (y, x), the padded input at
// (s·y + i, s·x + j). Writing i = s·a + p and j = s·b + q with 0 ≤ p, q < s,
// that is pixel (y + a, x + b) of the phase plane (p, q), the plane of every
// s-th row and column starting at (p, q). So the layer is a stride-1 R×R
// convolution, R = ⌈k/s⌉, over C·s² channels (c, p, q) with the filters
// w'[o][(c, p, q)][a][b] = w[o][c][s·a + p][s·b + q] (0 where s·a + p ≥ k).
// AlexNet's conv1 (11×11, stride 4, 3 channels) becomes a 3×3 layer over 48
// channels, which Winograd F(5×5, 3×3) covers in 3.9× fewer products than the
// direct 11×11 (on 55×55: 121 blocks · 49 · 48 against 3025 · 121 · 3 per
// output channel), the zero taps (144 against 121) included.
#include <algorithm>

#include "conv.h"

namespace alexnet {

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

ConvGeom spaceToDepthGeom(const ConvGeom& g, int64_t s) {
  ConvGeom r = g;
  const int64_t R = ceilDiv(g.kernelH, s);
  r.inChannels = g.inChannels * s * s;
  r.kernelH = r.kernelW = R;
  r.strideH = r.strideW = 1;
  r.padH = r.padW = 0;
  // The phase-plane pixels the outputs read (the source's padding is applied
  // when the planes are written, toSpaceToDepthHwc).
  r.inH = g.outH + R - 1;
  r.inW = g.outW + R - 1;
  return r;
}

int64_t spaceToDepthFactor(const ConvGeom& g) {
  const int64_t s = g.strideH;
  if (s <= 1 || g.strideW != s || g.kernelH != g.kernelW || g.dilationH != 1 || g.dilationW != 1) return 1;
  const ConvGeom r = spaceToDepthGeom(g, s);
  if (!winogradApplies(r)) return 1;
  // Worth it where Winograd's products (at best F(5, 3)'s or F(4, 5)'s (m+R−1)²
  // per m×m block, over s² times the channels) are fewer than half the direct
  // layer's k² per pixel: the input is rewritten on every call and the
  // transforms cost too. A small output (few whole blocks) fails this.
  const int64_t m = r.kernelH == 3 ? 5 : 4, n = m + r.kernelH - 1;
  const int64_t winogradProducts = ceilDiv(g.outH, m) * ceilDiv(g.outW, m) * n * n * s * s;
  const int64_t directProducts = g.pixels() * g.kernelH * g.kernelW;
  return 2 * winogradProducts < directProducts ? s : 1;
}

void spaceToDepthWeight(const ConvGeom& g, int64_t s, const float* w, float* dst) {
  const int64_t cg = g.cg(), k = g.kernelH, R = ceilDiv(k, s);
  for (int64_t o = 0; o < g.outChannels; ++o)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t p = 0; p < s; ++p)
        for (int64_t q = 0; q < s; ++q) {
          float* d = dst + ((o * cg + c) * s * s + p * s + q) * R * R;
          for (int64_t a = 0; a < R; ++a)
            for (int64_t b = 0; b < R; ++b) {
              const int64_t i = s * a + p, j = s * b + q;
              d[a * R + b] = i < k && j < k ? w[((o * cg + c) * k + i) * k + j] : 0.0f;
            }
        }
}

namespace {

// One source row into its phase columns: d[X·channels + q] = row[S·X + q − padW]
// (0 outside [0, W)); S a constant where it is AlexNet's, so the inner copy
// is a few moves rather than a call.
template <int S>
void phaseRow(const float* row, int64_t W, int64_t padW, int64_t runtimeS, int64_t Wp, int64_t channels, float* d) {
  const int64_t s = S > 0 ? S : runtimeS;
  // Phase columns whose s source columns all lie inside [0, W) need no checks.
  const int64_t x0 = std::min(Wp, ceilDiv(padW, s));
  const int64_t lastFull = W + padW - s;  // the last source start s·X that fits
  const int64_t x1 = lastFull < 0 ? x0 : std::max(x0, std::min(Wp, lastFull / s + 1));
  auto edge = [&](int64_t X) {
    for (int64_t q = 0; q < s; ++q) {
      const int64_t sx = s * X + q - padW;
      d[X * channels + q] = sx >= 0 && sx < W ? row[sx] : 0.0f;
    }
  };
  for (int64_t X = 0; X < x0; ++X) edge(X);
  for (int64_t X = x0; X < x1; ++X)
    for (int64_t q = 0; q < s; ++q) d[X * channels + q] = row[s * X + q - padW];
  for (int64_t X = x1; X < Wp; ++X) edge(X);
}

}  // namespace

void toSpaceToDepthHwc(const float* src, int64_t C, int64_t H, int64_t W, int64_t padH, int64_t padW, int64_t s,
                       int64_t Hp, int64_t Wp, float* dst) {
  const int64_t channels = C * s * s;
  for (int64_t Y = 0; Y < Hp; ++Y) {
    float* drow = dst + Y * Wp * channels;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < s; ++p) {
        const int64_t sy = s * Y + p - padH;
        float* d = drow + (c * s + p) * s;
        if (sy < 0 || sy >= H) {
          for (int64_t X = 0; X < Wp; ++X)
            for (int64_t q = 0; q < s; ++q) d[X * channels + q] = 0.0f;
          continue;
        }
        const float* row = src + (c * H + sy) * W;
        if (s == 4)
          phaseRow<4>(row, W, padW, s, Wp, channels, d);
        else if (s == 2)
          phaseRow<2>(row, W, padW, s, Wp, channels, d);
        else
          phaseRow<0>(row, W, padW, s, Wp, channels, d);
      }
  }
}

}  // namespace alexnet
