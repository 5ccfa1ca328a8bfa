// Winograd F(m×m, r×r) transforms (F(2, 3), F(2, 5), F(4, 3), F(5, 3), F(4, 5)), written once with GCC
// vector extensions over channels (contiguous in the HWC layouts used here)
// and instantiated by each kernel set for its own vector width: the per-ISA
// translation units wrap these inline templates in functions that carry their
// target attribute.
//
// With n = m + r − 1:  V = Bᵀ d B (d: n×n input patch), U = G g Gᵀ (g: r×r
// filter), Y = Aᵀ (Σ_c U ⊙ V) A (m×m outputs). The matrices come from Toom-Cook at the
// points {0, 1, −1, ∞} (r = 3) and {0, 1, −1, 2, −½, ∞} (r = 5, chosen for its
// float32 error: about 2e-6 relative against 3e-7 for direct summation).
// Zero coefficients are skipped at compile time, so each transform costs what
// a hand-written one would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace alexnet {
namespace winograd {

// Which transform a layer uses. F(4, 3) does 36 products per 16 outputs
// against F(2, 3)'s 16 per 4 (1.78× fewer), at about 10× the float32 rounding
// error (1e-5 of the largest output on AlexNet's layers, 1.3e-6 on its
// logits); F(4, 5) does 64 per 16 against F(2, 5)'s 36 per 4 (2.25× fewer),
// at 1.3× F(3, 5)'s error (7.1e-6 against 5.5e-6 of the largest output on
// AlexNet's conv2): on that 27×27 layer its 7×7 blocks of 4 (28×28) did 21%
// fewer products than F(3, 5)'s exact 9×9 blocks of 3, and conv2 ran 10-14%
// faster at batch 1 and 12% at batch 32 (Zen 5).
// F(5, 3) does 49 products per 25 outputs: on a 13×13 layer (AlexNet's
// conv3-5) its 3×3 blocks of 5 (15×15) need 441 products per channel pair
// against F(4, 3)'s 4×4 blocks of 4 (16×16), 576: 23% fewer, at a lower
// float32 error (tools/winograd_matrices.py: 8.7e-6 against 1.1e-5). Where
// both cover a layer in as many products (27×27, 56×56), F(4, 3) stays, for
// its smaller transformed filters (36 against 49 values per 3×3 filter).
// fp32 inference uses the larger tiles; training and bf16 (whose rounding the
// larger coefficients would amplify) keep F(2, r).
enum class Kind { F2x3, F2x5, F4x3, F4x5, F5x3 };

template <int R>
struct Matrices;

template <>
struct Matrices<3> {
  static constexpr int m = 2, r = 3;
  static constexpr int n = 4;
  static constexpr float BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
  static constexpr float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  static constexpr float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};

template <>
struct Matrices<5> {
  static constexpr int m = 2, r = 5;
  static constexpr int n = 6;
  static constexpr float BT[6][6] = {
      {1, 1.5f, -2, -1.5f, 1, 0}, {0, -1, -2.5f, -0.5f, 1, 0}, {0, 1, 0.5f, -2.5f, 1, 0},
      {0, -0.5f, -1, 0.5f, 1, 0}, {0, 2, -1, -2, 1, 0},        {0, 1, 1.5f, -2, -1.5f, 1},
  };
  static constexpr float G[6][5] = {
      {1, 0, 0, 0, 0},
      {-1.f / 3, -1.f / 3, -1.f / 3, -1.f / 3, -1.f / 3},
      {1.f / 3, -1.f / 3, 1.f / 3, -1.f / 3, 1.f / 3},
      {1.f / 15, 2.f / 15, 4.f / 15, 8.f / 15, 16.f / 15},
      {-16.f / 15, 8.f / 15, -4.f / 15, 2.f / 15, -1.f / 15},
      {0, 0, 0, 0, 1},
  };
  static constexpr float AT[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -0.5f, 1}};
};

// F(4, 3) at the points {0, 1, −1, 2, −2, ∞} (Lavin & Gray).
struct MatricesF43 {
  static constexpr int m = 4, r = 3;
  static constexpr int n = 6;
  static constexpr float BT[6][6] = {
      {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
      {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
  };
  static constexpr float G[6][3] = {
      {1.f / 4, 0, 0},
      {-1.f / 6, -1.f / 6, -1.f / 6},
      {-1.f / 6, 1.f / 6, -1.f / 6},
      {1.f / 24, 1.f / 12, 1.f / 6},
      {1.f / 24, -1.f / 12, 1.f / 6},
      {0, 0, 1},
  };
  static constexpr float AT[4][6] = {
      {1, 1, 1, 1, 1, 0},
      {0, 1, -1, 2, -2, 0},
      {0, 1, 1, 4, 4, 0},
      {0, 1, -1, 8, -8, 1},
  };
};

// F(4, 5) at the points {0, 1, −1, 2, −2, ½, −½, ∞} (tools/winograd_matrices.py: float32
// error 1.7e-5 relative).
struct MatricesF45 {
  static constexpr int m = 4, r = 5;
  static constexpr int n = 8;
  static constexpr float BT[8][8] = {
      {-1, 0, 21.f / 4, 0, -21.f / 4, 0, 1, 0},
      {0, 1, 1, -17.f / 4, -17.f / 4, 1, 1, 0},
      {0, -1, 1, 17.f / 4, -17.f / 4, -1, 1, 0},
      {0, 1.f / 2, 1.f / 4, -5.f / 2, -5.f / 4, 2, 1, 0},
      {0, -1.f / 2, 1.f / 4, 5.f / 2, -5.f / 4, -2, 1, 0},
      {0, 2, 4, -5.f / 2, -5, 1.f / 2, 1, 0},
      {0, -2, 4, 5.f / 2, -5, -1.f / 2, 1, 0},
      {0, -1, 0, 21.f / 4, 0, -21.f / 4, 0, 1},
  };
  static constexpr float G[8][5] = {
      {-1, 0, 0, 0, 0},
      {-2.f / 9, -2.f / 9, -2.f / 9, -2.f / 9, -2.f / 9},
      {-2.f / 9, 2.f / 9, -2.f / 9, 2.f / 9, -2.f / 9},
      {1.f / 90, 1.f / 45, 2.f / 45, 4.f / 45, 8.f / 45},
      {1.f / 90, -1.f / 45, 2.f / 45, -4.f / 45, 8.f / 45},
      {32.f / 45, 16.f / 45, 8.f / 45, 4.f / 45, 2.f / 45},
      {32.f / 45, -16.f / 45, 8.f / 45, -4.f / 45, 2.f / 45},
      {0, 0, 0, 0, 1},
  };
  static constexpr float AT[4][8] = {{1, 1, 1, 1, 1, 1, 1, 0},
                                     {0, 1, -1, 2, -2, 1.f / 2, -1.f / 2, 0},
                                     {0, 1, 1, 4, 4, 1.f / 4, 1.f / 4, 0},
                                     {0, 1, -1, 8, -8, 1.f / 8, -1.f / 8, 1}};
};

// F(5, 3) at the points {0, 1, −1, 2, −2, ½, ∞} (tools/winograd_matrices.py: float32
// error 8.7e-6 relative).
struct MatricesF53 {
  static constexpr int m = 5, r = 3;
  static constexpr int n = 7;
  static constexpr float BT[7][7] = {
      {-2, 4, 5.f / 2, -5, -1.f / 2, 1, 0}, {0, 2, -2, -9.f / 2, 1.f / 2, 1, 0}, {0, -2, 6, -7.f / 2, -3.f / 2, 1, 0},
      {0, 1, -3.f / 2, -2, 3.f / 2, 1, 0},  {0, -1, 5.f / 2, 0, -5.f / 2, 1, 0}, {0, 4, 0, -5, 0, 1, 0},
      {0, -2, 4, 5.f / 2, -5, -1.f / 2, 1},
  };
  static constexpr float G[7][3] = {
      {-1.f / 2, 0, 0},
      {-1.f / 3, -1.f / 3, -1.f / 3},
      {1.f / 9, -1.f / 9, 1.f / 9},
      {1.f / 36, 1.f / 18, 1.f / 9},
      {-1.f / 60, 1.f / 30, -1.f / 15},
      {32.f / 45, 16.f / 45, 8.f / 45},
      {0, 0, 1},
  };
  static constexpr float AT[5][7] = {{1, 1, 1, 1, 1, 1, 0},
                                     {0, 1, -1, 2, -2, 1.f / 2, 0},
                                     {0, 1, 1, 4, 4, 1.f / 4, 0},
                                     {0, 1, -1, 8, -8, 1.f / 8, 0},
                                     {0, 1, 1, 16, 16, 1.f / 16, 1}};
};

// Output block side m, filter side r and patch side n of a kind.
constexpr int outputSide(Kind k) { return k == Kind::F5x3 ? 5 : k == Kind::F4x3 || k == Kind::F4x5 ? 4 : 2; }
constexpr int filterSide(Kind k) { return k == Kind::F2x5 || k == Kind::F4x5 ? 5 : 3; }
constexpr int patchSide(Kind k) { return outputSide(k) + filterSide(k) - 1; }

// W floats of a vector register, with the vector's natural alignment: locals
// of this type are values. Memory is reached through loadVec and storeVec,
// from any float address. (A type declared with float alignment instead let
// GCC place such locals 16 bytes off a 32-byte boundary under AddressSanitizer
// and still store to them with vmovaps, which faulted.)
template <int W>
struct VecOf {
  typedef float type __attribute__((vector_size(W * sizeof(float))));
};
template <>
struct VecOf<1> {
  typedef float type;
};

template <typename V>
__attribute__((always_inline)) inline V loadVec(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}

template <typename V>
__attribute__((always_inline)) inline void storeVec(float* p, const V& v) {
  std::memcpy(p, &v, sizeof(V));
}

// Σ_l M[row][l] · x[l] over the nonzero coefficients only (decided at compile time).
template <typename V, int Rows, int Cols, const float (&M)[Rows][Cols], int Row, std::size_t... L>
__attribute__((always_inline)) inline V rowTimes(const V* x, std::index_sequence<L...>) {
  V acc = x[0] - x[0];  // a zero of type V
  ((M[Row][L] == 0.0f ? void()
                      : (M[Row][L] == 1.0f    ? void(acc += x[L])
                         : M[Row][L] == -1.0f ? void(acc -= x[L])
                                              : void(acc += M[Row][L] * x[L]))),
   ...);
  return acc;
}

// out[i] = Σ_l M[i][l] · x[l] for i < Rows.
template <typename V, int Rows, int Cols, const float (&M)[Rows][Cols], std::size_t... I>
__attribute__((always_inline)) inline void matTimes(const V* x, V* out, std::index_sequence<I...>) {
  ((out[I] = rowTimes<V, Rows, Cols, M, static_cast<int>(I)>(x, std::make_index_sequence<Cols>())), ...);
}

template <class Mx, int W>
__attribute__((always_inline)) inline void inputChannels(const float* const* rows, int64_t C, int64_t c, float* v,
                                                         int64_t xiStride) {
  using V = typename VecOf<W>::type;
  constexpr int n = Mx::n;
  // e = Bᵀ d, column by column; then V = e B, row by row.
  V e[n][n];
  for (int j = 0; j < n; ++j) {
    V column[n], t[n];
    for (int l = 0; l < n; ++l) column[l] = loadVec<V>(rows[l] + j * C + c);
    matTimes<V, n, n, Mx::BT>(column, t, std::make_index_sequence<n>());
    for (int i = 0; i < n; ++i) e[i][j] = t[i];
  }
  for (int i = 0; i < n; ++i) {
    V t[n];
    matTimes<V, n, n, Mx::BT>(e[i], t, std::make_index_sequence<n>());
    for (int j = 0; j < n; ++j) storeVec(v + (i * n + j) * xiStride + c, t[j]);
  }
}

// Tiles [t0, t1) of an image, tile t = (t / tilesW, t % tilesW) covering the
// n×n patch at padded row m·ty, column m·tx of `hwc` (C channels per pixel,
// `rowStride` floats per padded row). Writes V[ξ·xiStride + (t − t0)·C + c].
template <class Mx, int W>
__attribute__((always_inline)) inline void inputTransform(const float* hwc, int64_t rowStride, int64_t C,
                                                          int64_t tilesW, int64_t t0, int64_t t1, float* V,
                                                          int64_t xiStride) {
  constexpr int n = Mx::n, m = Mx::m;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t ty = t / tilesW, tx = t % tilesW;
    const float* rows[n];
    for (int l = 0; l < n; ++l) rows[l] = hwc + (m * ty + l) * rowStride + (m * tx) * C;
    float* v = V + (t - t0) * C;
    int64_t c = 0;
    for (; c + W <= C; c += W) inputChannels<Mx, W>(rows, C, c, v, xiStride);
    for (; c < C; ++c) inputChannels<Mx, 1>(rows, C, c, v, xiStride);
  }
}

// Lane l of a becomes (l & S) ? b[l − S] : a[l] and of b (l & S) ? b[l] : a[l + S]:
// the off-diagonal S×S blocks of the two rows trade places.
template <int S, typename V, std::size_t... L>
__attribute__((always_inline)) inline void swapBlocks(V& a, V& b, std::index_sequence<L...>) {
  constexpr std::size_t W = sizeof...(L);
  const V na = __builtin_shufflevector(a, b, ((L & S) ? W + L - S : L)...);
  const V nb = __builtin_shufflevector(a, b, ((L & S) ? W + L : L + S)...);
  a = na;
  b = nb;
}

// Transposes W rows of W lanes in place: one block swap per bit of the index.
template <int W, int S = W / 2, typename V>
__attribute__((always_inline)) inline void transposeRows(V* rows) {
  if constexpr (S >= 1) {
    for (int i = 0; i < W; ++i)
      if ((i & S) == 0) swapBlocks<S>(rows[i], rows[i + S], std::make_index_sequence<W>());
    transposeRows<W, S / 2>(rows);
  }
}

// Output channels [o, o + W) of one tile: Y = Aᵀ M A (+ bias, ReLU), written
// to the in-range rowsIn × colsIn corner of the m×m block at dst in each
// channel's plane. The m² results hold W channels each; transposing them in
// registers gives each channel's m² pixels as consecutive floats, so a
// channel's block is m short row copies rather than m² scalar reads strided
// by the channel count (those took 6-9% of a batch-1 convolution on Zen 5).
template <class Mx, int W>
__attribute__((always_inline)) inline void outputChannels(const float* mm, int64_t xiStride, int64_t o,
                                                          const float* bias, bool relu, float* dst, int64_t plane,
                                                          int64_t OW, int rowsIn, int colsIn) {
  using V = typename VecOf<W>::type;
  constexpr int n = Mx::n, m = Mx::m, pixels = m * m;
  // a = Aᵀ M (m×n), then y = a A (m×m).
  V a[m][n];
  for (int j = 0; j < n; ++j) {
    V column[n], t[m];
    for (int l = 0; l < n; ++l) column[l] = loadVec<V>(mm + (l * n + j) * xiStride + o);
    matTimes<V, m, n, Mx::AT>(column, t, std::make_index_sequence<m>());
    for (int i = 0; i < m; ++i) a[i][j] = t[i];
  }
  V y[pixels];
  for (int i = 0; i < m; ++i) matTimes<V, m, n, Mx::AT>(a[i], y + i * m, std::make_index_sequence<m>());
  const V zero = y[0] - y[0];
  if (bias != nullptr) {
    const V b = loadVec<V>(bias + o);
    for (auto& v : y) v += b;
  }
  // torch.relu: values below zero become 0, NaN and −0 stay.
  if (relu)
    for (auto& v : y) v = v < zero ? zero : v;
  // Per channel, its m² pixels (in blocks of W from the transposes).
  constexpr int stride = (pixels + W - 1) / W * W;
  float channel[W * stride];
  for (int p0 = 0; p0 < pixels; p0 += W) {
    V rows[W];
    for (int i = 0; i < W; ++i) rows[i] = p0 + i < pixels ? y[p0 + i] : zero;
    transposeRows<W>(rows);
    for (int c = 0; c < W; ++c) storeVec(channel + c * stride + p0, rows[c]);
  }
  for (int c = 0; c < W; ++c) {
    float* p = dst + (o + c) * plane;
    const float* from = channel + c * stride;
    if (rowsIn == m && colsIn == m) {
      for (int i = 0; i < m; ++i) std::memcpy(p + i * OW, from + i * m, m * sizeof(float));
    } else {
      for (int i = 0; i < rowsIn; ++i)
        for (int j = 0; j < colsIn; ++j) p[i * OW + j] = from[i * m + j];
    }
  }
}

// Tiles [t0, t1): reads M[ξ·xiStride + (t − t0)·ldm + o] for o < O, computes
// Y = Aᵀ M A + bias (then ReLU) and writes the in-range outputs of each m×m
// block to the NCHW planes out[o·OH·OW + y·OW + x].
template <class Mx, int W>
__attribute__((always_inline)) inline void outputTransform(const float* M, int64_t xiStride, int64_t ldm, int64_t O,
                                                           const float* bias, bool relu, int64_t tilesW, int64_t t0,
                                                           int64_t t1, int64_t OH, int64_t OW, float* out) {
  constexpr int m = Mx::m;
  const int64_t plane = OH * OW;
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t ty = t / tilesW, tx = t % tilesW;
    const float* mm = M + (t - t0) * ldm;
    const int64_t y = m * ty, x = m * tx;
    const int rowsIn = static_cast<int>(OH - y < m ? OH - y : m), colsIn = static_cast<int>(OW - x < m ? OW - x : m);
    float* dst = out + y * OW + x;
    int64_t o = 0;
    for (; o + W <= O; o += W) outputChannels<Mx, W>(mm, xiStride, o, bias, relu, dst, plane, OW, rowsIn, colsIn);
    for (; o < O; ++o) outputChannels<Mx, 1>(mm, xiStride, o, bias, relu, dst, plane, OW, rowsIn, colsIn);
  }
}

// Output-gradient transform of the weight gradient: for tiles [t0, t1) of an
// image, Ŷ = A dY Aᵀ (n×n) from the 2×2 output-gradient block at row 2·ty,
// column 2·tx of `hwc` (O channels per pixel, `rowStride` floats per row,
// zero-padded past the output). Writes Ŷ[ξ·xiStride + (t − t0)·O + o].
template <int R, int W>
__attribute__((always_inline)) inline void gradOutputChannels(const float* const* rows, int64_t O, int64_t o,
                                                              float* yhat, int64_t xiStride) {
  using V = typename VecOf<W>::type;
  constexpr int n = Matrices<R>::n;
  // A = Aᵀᵀ (n×2): Ŷ[i][j] = Σ_a Σ_b Aᵀ[a][i] dY[a][b] Aᵀ[b][j].
  const V d00 = loadVec<V>(rows[0] + o), d01 = loadVec<V>(rows[0] + O + o);
  const V d10 = loadVec<V>(rows[1] + o), d11 = loadVec<V>(rows[1] + O + o);
  V e[n][2];  // A dY
  for (int i = 0; i < n; ++i) {
    const float a0 = Matrices<R>::AT[0][i], a1 = Matrices<R>::AT[1][i];
    e[i][0] = a0 * d00 + a1 * d10;
    e[i][1] = a0 * d01 + a1 * d11;
  }
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const float b0 = Matrices<R>::AT[0][j], b1 = Matrices<R>::AT[1][j];
      storeVec(yhat + (i * n + j) * xiStride + o, V(b0 * e[i][0] + b1 * e[i][1]));
    }
}

template <int R, int W>
__attribute__((always_inline)) inline void gradOutputTransform(const float* hwc, int64_t rowStride, int64_t O,
                                                               int64_t tilesW, int64_t t0, int64_t t1, float* yhat,
                                                               int64_t xiStride) {
  for (int64_t t = t0; t < t1; ++t) {
    const int64_t ty = t / tilesW, tx = t % tilesW;
    const float* rows[2] = {hwc + (2 * ty) * rowStride + (2 * tx) * O, hwc + (2 * ty + 1) * rowStride + (2 * tx) * O};
    float* y = yhat + (t - t0) * O;
    int64_t o = 0;
    for (; o + W <= O; o += W) gradOutputChannels<R, W>(rows, O, o, y, xiStride);
    for (; o < O; ++o) gradOutputChannels<R, 1>(rows, O, o, y, xiStride);
  }
}

// The input and output transforms of a kind, for the per-ISA wrappers.
template <int W>
__attribute__((always_inline)) inline void inputTransformOf(Kind kind, const float* hwc, int64_t rowStride, int64_t C,
                                                            int64_t tilesW, int64_t t0, int64_t t1, float* V,
                                                            int64_t xiStride) {
  if (kind == Kind::F2x5)
    inputTransform<Matrices<5>, W>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
  else if (kind == Kind::F4x5)
    inputTransform<MatricesF45, W>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
  else if (kind == Kind::F4x3)
    inputTransform<MatricesF43, W>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
  else if (kind == Kind::F5x3)
    inputTransform<MatricesF53, W>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
  else
    inputTransform<Matrices<3>, W>(hwc, rowStride, C, tilesW, t0, t1, V, xiStride);
}

template <int W>
__attribute__((always_inline)) inline void outputTransformOf(Kind kind, const float* M, int64_t xiStride, int64_t ldm,
                                                             int64_t O, const float* bias, bool relu, int64_t tilesW,
                                                             int64_t t0, int64_t t1, int64_t OH, int64_t OW,
                                                             float* out) {
  if (kind == Kind::F2x5)
    outputTransform<Matrices<5>, W>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
  else if (kind == Kind::F4x5)
    outputTransform<MatricesF45, W>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
  else if (kind == Kind::F4x3)
    outputTransform<MatricesF43, W>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
  else if (kind == Kind::F5x3)
    outputTransform<MatricesF53, W>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
  else
    outputTransform<Matrices<3>, W>(M, xiStride, ldm, O, bias, relu, tilesW, t0, t1, OH, OW, out);
}

// The output-gradient transform of the Winograd weight gradient for r = 3 or 5
// (KernelSet::winogradGradOutput), W floats wide.
template <int W>
__attribute__((always_inline)) inline void gradOutputTransformOf(int r, const float* hwc, int64_t rowStride, int64_t O,
                                                                 int64_t tilesW, int64_t t0, int64_t t1, float* yhat,
                                                                 int64_t xiStride) {
  if (r == 5)
    gradOutputTransform<5, W>(hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
  else
    gradOutputTransform<3, W>(hwc, rowStride, O, tilesW, t0, t1, yhat, xiStride);
}

}  // namespace winograd
}  // namespace alexnet
