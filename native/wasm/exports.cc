// The WebAssembly build's entry points: the kernels of native/src behind a
// plain C ABI, as the N-API bindings (native/src/bind_*.cc) put them behind
// JavaScript functions in the addon. The TypeScript side
// (src/backend/wasm/) copies arrays into this module's memory, calls one of
// these with their addresses, and copies the results out.
//
// Geometry travels as an int32 array in wasm memory (the field order of
// src/backend/wasm/geometry.ts). Every function returns 0, or 1 with a
// message that alx_last_error() returns; C++ exceptions (bad geometry,
// allocation failure) are caught here so that they never cross into
// JavaScript as an opaque trap.
#include <emscripten/emscripten.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "../src/conv.h"
#include "../src/cpu_dispatch.h"
#include "../src/gemm.h"
#include "../src/linear.h"
#include "../src/ops.h"
#include "../src/resample.h"
#include "../src/thread_pool.h"
#include "../src/tile_kernel.h"

using namespace alexnet;

namespace {

// The message of the last failure, in a fixed buffer: recording it must not
// allocate, since the failure may be that memory ran out (a std::string built
// in the handler then threw again, and the threaded build's caller got a bare
// WebAssembly.Exception).
char lastError[1024] = "";

void setLastError(const char* name, const char* what) {
  std::snprintf(lastError, sizeof lastError, "%s: %s", name, what);
}

template <typename F>
int guarded(const char* name, F&& body) {
  try {
    body();
    return 0;
  } catch (const std::bad_alloc&) {
    setLastError(name, "out of WebAssembly memory");
  } catch (const std::exception& e) {
    setLastError(name, e.what());
  } catch (...) {
    setLastError(name, "an unknown C++ exception");
  }
  return 1;
}

struct Failure : std::exception {
  std::string message;
  explicit Failure(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

// Field order: batch, inChannels, inH, inW, outChannels, outH, outW, kernelH,
// kernelW, strideH, strideW, padH, padW, dilationH, dilationW, groups.
ConvGeom convGeom(const int32_t* f) {
  ConvGeom g;
  g.batch = f[0];
  g.inChannels = f[1];
  g.inH = f[2];
  g.inW = f[3];
  g.outChannels = f[4];
  g.outH = f[5];
  g.outW = f[6];
  g.kernelH = f[7];
  g.kernelW = f[8];
  g.strideH = f[9];
  g.strideW = f[10];
  g.padH = f[11];
  g.padW = f[12];
  g.dilationH = f[13];
  g.dilationW = f[14];
  g.groups = f[15];
  const std::string why = validateConvGeom(g);
  if (!why.empty()) throw Failure("invalid conv geometry: " + why);
  return g;
}

// Field order: batch, channels, inH, inW, outH, outW, kernelH, kernelW,
// strideH, strideW, padH, padW, dilationH, dilationW.
PoolGeom poolGeom(const int32_t* f) {
  PoolGeom g{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13]};
  const std::string why = validatePoolGeom(g);
  if (!why.empty()) throw Failure("invalid pool geometry: " + why);
  return g;
}

// Throws unless the channels are 1 to 4 and every tap reads inside the source
// with bilinear weights (checkTaps), before any kernel reads.
void checkResampleSource(int32_t width, int32_t height, int32_t channels, const ResampleTaps& cols,
                         const ResampleTaps& rows) {
  if (channels < 1 || channels > 4) throw Failure("channels must be 1 to 4");
  for (const std::string& problem : {checkTaps(cols, width, "col"), checkTaps(rows, height, "row")})
    if (!problem.empty()) throw Failure(problem);
}

}  // namespace

extern "C" {

EMSCRIPTEN_KEEPALIVE const char* alx_last_error() { return lastError; }

EMSCRIPTEN_KEEPALIVE void* alx_malloc(int32_t bytes) { return std::malloc(static_cast<size_t>(bytes)); }
EMSCRIPTEN_KEEPALIVE void alx_free(void* p) { std::free(p); }

// ---- what runs here ----

EMSCRIPTEN_KEEPALIVE int32_t alx_threads() { return ThreadPool::global().threads(); }
// At most the web workers the threaded build starts with, one per logical
// core up to 16 (scripts/build-wasm.mjs; see thread_pool.cc for why).
EMSCRIPTEN_KEEPALIVE int32_t alx_set_threads(int32_t n) {
  const int32_t cores = static_cast<int32_t>(std::thread::hardware_concurrency());
  const int32_t most = cores < 1 ? 1 : cores > 16 ? 16 : cores;
  ThreadPool::global().setThreads(n < 1 ? 1 : n > most ? most : n);
  return ThreadPool::global().threads();
}
EMSCRIPTEN_KEEPALIVE const char* alx_simd() { return simdName(currentSimd()); }
EMSCRIPTEN_KEEPALIVE int32_t alx_tile_rows() { return currentKernels().mr; }
EMSCRIPTEN_KEEPALIVE int32_t alx_tile_columns() { return currentKernels().nr; }

// ---- matrix products ----

EMSCRIPTEN_KEEPALIVE int alx_gemm(int32_t transA, int32_t transB, int32_t M, int32_t N, int32_t K, const float* A,
                                  const float* B, float* C, int32_t accumulate) {
  return guarded("gemm", [&] {
    gemm(currentKernels(), transA != 0, transB != 0, M, N, K, A, transA != 0 ? M : K, B, transB != 0 ? K : N, C, N,
         accumulate != 0);
  });
}

EMSCRIPTEN_KEEPALIVE int alx_linear_forward(int32_t batch, int32_t inF, int32_t outF, const float* x, const float* w,
                                            const float* bias, float* out, int32_t relu) {
  return guarded("linearForward",
                 [&] { linearForward(currentKernels(), batch, inF, outF, x, w, bias, out, relu != 0); });
}

// A linear layer's weight packed for inference: transposed (linear.h), so
// that batch 1-4 skip the weights of zero inputs. Made zero, filled a slice
// of rows at a time (so that packing a 151 MB weight needs no second full
// copy in this memory), freed with alx_linear_transposed_free. Writes the
// handle to *handle.
EMSCRIPTEN_KEEPALIVE int alx_linear_transposed_new(int32_t outF, int32_t inF, TransposedLinearWeight** handle) {
  return guarded("packLinearWeight", [&] { *handle = makeTransposedLinearWeight(outF, inF).release(); });
}

EMSCRIPTEN_KEEPALIVE int alx_linear_transpose_rows(TransposedLinearWeight* handle, int32_t row0, int32_t rows,
                                                   const float* src) {
  return guarded("packLinearWeight", [&] { transposeLinearRows(*handle, row0, rows, src); });
}

EMSCRIPTEN_KEEPALIVE void alx_linear_transposed_free(TransposedLinearWeight* handle) { delete handle; }

EMSCRIPTEN_KEEPALIVE int alx_linear_forward_transposed(int32_t batch, int32_t inF, int32_t outF, const float* x,
                                                       const TransposedLinearWeight* packed, const float* bias,
                                                       float* out, int32_t relu) {
  return guarded("linearForwardPacked", [&] {
    if (packed->inFeatures != inF || packed->outFeatures != outF)
      throw Failure("the packed weight is " + std::to_string(packed->outFeatures) + "x" +
                    std::to_string(packed->inFeatures) + ", the call expects " + std::to_string(outF) + "x" +
                    std::to_string(inF));
    linearForwardTransposed(currentKernels(), batch, x, *packed, bias, out, relu != 0);
  });
}

// ---- convolution ----

EMSCRIPTEN_KEEPALIVE int alx_conv_forward(const int32_t* geom, const float* x, const float* w, const float* bias,
                                          float* out, int32_t relu) {
  return guarded("conv2dForward", [&] {
    const ConvGeom g = convGeom(geom);
    conv2dForward(currentKernels(), g, x, w, bias, out, relu != 0);
  });
}

// Packs a convolution weight for inference; the handle goes to alx_conv_forward_packed
// and alx_packed_free. Writes the handle to *handle.
EMSCRIPTEN_KEEPALIVE int alx_conv_pack(const int32_t* geom, const float* w, PackedConvWeight** handle) {
  return guarded("packConv2dWeight", [&] {
    const ConvGeom g = convGeom(geom);
    *handle = packConvWeight(currentKernels(), g, w).release();
  });
}

EMSCRIPTEN_KEEPALIVE void alx_packed_free(PackedConvWeight* handle) { delete handle; }

// What a packed layer runs, in words (describeConvAlgorithm), as a C string
// valid until the next call (JavaScript reads it at once).
EMSCRIPTEN_KEEPALIVE const char* alx_packed_conv_algorithm(const PackedConvWeight* handle) {
  static std::string text;
  text = describeConvAlgorithm(*handle);
  return text.c_str();
}

// Returns 2, having written nothing, for an input the packing cannot take (a
// value outside Winograd's range: see conv2dForward in conv.h); the
// caller, which holds the weights, then calls alx_conv_forward.
EMSCRIPTEN_KEEPALIVE int alx_conv_forward_packed(const int32_t* geom, const PackedConvWeight* packed, const float* x,
                                                 const float* bias, float* out, int32_t relu) {
  bool done = true;
  const int status = guarded("conv2dForwardPacked", [&] {
    const ConvGeom g = convGeom(geom);
    if (!packed->matches(g)) throw Failure("the packed weight was made for another layer shape");
    done = conv2dForward(g, x, *packed, bias, out, relu != 0, nullptr);
  });
  return status == 0 && !done ? 2 : status;
}

EMSCRIPTEN_KEEPALIVE int alx_conv_backward_data(const int32_t* geom, const float* gradOut, const float* w,
                                                float* gradIn) {
  return guarded("conv2dBackwardData", [&] {
    const ConvGeom g = convGeom(geom);
    conv2dBackwardData(currentKernels(), g, gradOut, w, gradIn);
  });
}

EMSCRIPTEN_KEEPALIVE int alx_conv_backward_weight(const int32_t* geom, const float* x, const float* gradOut,
                                                  float* gradW, float* gradBias) {
  return guarded("conv2dBackwardWeight", [&] {
    const ConvGeom g = convGeom(geom);
    conv2dBackwardWeight(currentKernels(), g, x, gradOut, gradW, gradBias);
  });
}

// ---- normalisation and pooling ----

EMSCRIPTEN_KEEPALIVE int alx_lrn_forward(int32_t batch, int32_t channels, int32_t spatial, int32_t size, double alpha,
                                         double beta, double k, const float* x, float* out, float* scale) {
  return guarded("lrnForward", [&] {
    const LrnParams g{batch, channels, spatial, size, alpha, beta, k};
    lrnForward(g, x, out, scale);
  });
}

EMSCRIPTEN_KEEPALIVE int alx_lrn_backward(int32_t batch, int32_t channels, int32_t spatial, int32_t size, double alpha,
                                          double beta, double k, const float* x, const float* out, const float* scale,
                                          const float* gradOut, float* gradIn) {
  return guarded("lrnBackward", [&] {
    const LrnParams g{batch, channels, spatial, size, alpha, beta, k};
    lrnBackward(g, x, out, scale, gradOut, gradIn);
  });
}

EMSCRIPTEN_KEEPALIVE int alx_max_pool_forward(const int32_t* geom, const float* x, float* out, int32_t* argmax) {
  return guarded("maxPool2dForward", [&] { maxPool2dForward(poolGeom(geom), x, out, argmax); });
}

EMSCRIPTEN_KEEPALIVE int alx_max_pool_backward(const int32_t* geom, const float* gradOut, const int32_t* argmax,
                                               float* gradIn) {
  return guarded("maxPool2dBackward", [&] { maxPool2dBackward(poolGeom(geom), gradOut, argmax, gradIn); });
}

// ---- images ----

// Pillow's bilinear resampling; taps as in native/src/resample.h, each axis
// given as first[outputs], count[outputs], weights[outputs·stride].
EMSCRIPTEN_KEEPALIVE int alx_resample_bilinear(const uint8_t* src, int32_t width, int32_t height, int32_t channels,
                                               const int32_t* colFirst, const int32_t* colCount,
                                               const int32_t* colWeights, int32_t colStride, int32_t colOutputs,
                                               const int32_t* rowFirst, const int32_t* rowCount,
                                               const int32_t* rowWeights, int32_t rowStride, int32_t rowOutputs,
                                               uint8_t* out) {
  return guarded("resampleBilinear", [&] {
    const ResampleTaps cols{colFirst, colCount, colWeights, colStride, colOutputs};
    const ResampleTaps rows{rowFirst, rowCount, rowWeights, rowStride, rowOutputs};
    checkResampleSource(width, height, channels, cols, rows);
    resampleBilinearImage(src, width, height, channels, cols, rows, out);
  });
}

// The same window mapped through table[planes·256] into float32 planes
// (ToTensor + Normalize as a lookup): out is planes × rowOutputs × colOutputs,
// the first planes ≤ channels (checked by the caller, src/backend/wasm).
EMSCRIPTEN_KEEPALIVE int alx_resample_bilinear_to_planes(const uint8_t* src, int32_t width, int32_t height,
                                                         int32_t channels, const int32_t* colFirst,
                                                         const int32_t* colCount, const int32_t* colWeights,
                                                         int32_t colStride, int32_t colOutputs, const int32_t* rowFirst,
                                                         const int32_t* rowCount, const int32_t* rowWeights,
                                                         int32_t rowStride, int32_t rowOutputs, const float* table,
                                                         int32_t planes, float* out) {
  return guarded("resampleBilinearToPlanes", [&] {
    const ResampleTaps cols{colFirst, colCount, colWeights, colStride, colOutputs};
    const ResampleTaps rows{rowFirst, rowCount, rowWeights, rowStride, rowOutputs};
    checkResampleSource(width, height, channels, cols, rows);
    if (planes < 1 || planes > channels) throw Failure("planes must be 1 to channels");
    resampleBilinearToPlanes(src, width, height, channels, cols, rows, table, planes, out);
  });
}

}  // extern "C"
