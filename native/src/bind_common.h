// Shared pieces of the JS bindings: reading geometry records, registering
// functions, and the exports of each binding file.
#pragma once

#include <node_api.h>

#include <memory>

#include "conv.h"
#include "linear.h"
#include "napi_util.h"
#include "ops.h"

namespace alexnet {
namespace js {

ConvGeom readConvGeom(const Args& args, size_t i);
PoolGeom readPoolGeom(const Args& args, size_t i);

// The first arguments of maxPool2dForward and maxPool2dForwardAsync: (geometry, x, out).
struct PoolForwardArgs {
  PoolGeom g;
  ArrayView<float> x, out;
};
PoolForwardArgs readPoolForwardArgs(const Args& args);
LrnParams readLrnParams(const Args& args, size_t i);

// The arguments of linearForward and linearForwardAsync:
// (batch, inFeatures, outFeatures, x, w | packed, bias, out, fuseRelu).
struct LinearArgs {
  int64_t batch, inFeatures, outFeatures;
  ArrayView<float> x, w, bias, out;
  bool relu;
  // Set when argument 4 is a packed handle. w is then empty for bf16, and
  // for fp32 the weight itself, from argument 8 (kept alive by async jobs in
  // fp32Value).
  std::shared_ptr<const PackedLinearWeight> packed;
  napi_value weightValue;  // w or the handle, kept alive by async jobs
  napi_value fp32Value;    // an fp32 packing's w, or null
};
// Runs the linear layer the arguments describe (packed bf16 or fp32 weights).
void runLinear(const KernelSet& ks, const LinearArgs& a);
LinearArgs readLinearArgs(const Args& args);

// Adds `count` functions to `exports`.
void defineFunctions(napi_env env, napi_value exports, const Export* functions, size_t count);

// Why a packed convolution was refused an input without its weights
// (conv2dForward in conv.h returned false).
extern const char* const kNeedsSource;

// The type tag of packed-weight handles (napi_external values).
extern const napi_type_tag kPackedConvTag;
// What a handle points to. Shared so that an async job still running keeps
// the packed data alive when the handle is disposed.
struct PackedHolder {
  std::shared_ptr<const PackedConvWeight> packed;    // a convolution's weight, or
  std::shared_ptr<const PackedLinearWeight> linear;  // a linear layer's
  int64_t bytes = 0;                                 // reported to the JS engine as external memory
  void reset() {
    packed.reset();
    linear.reset();
  }
  bool empty() const { return !packed && !linear; }
};
// Whether argument i is a packed-weight handle.
bool isPackedHandle(const Args& args, size_t i);
// The packed weight behind a handle argument; throws if it was disposed.
std::shared_ptr<const PackedConvWeight> packedConvArg(const Args& args, size_t i, const char* name);
std::shared_ptr<const PackedLinearWeight> packedLinearArg(const Args& args, size_t i, const char* name);
// Wraps a holder in a tagged External whose finalizer frees it (and reports the bytes to the engine).
napi_value packedHandle(napi_env env, std::unique_ptr<PackedHolder> holder);

void registerInfo(napi_env env, napi_value exports);
void registerMatmul(napi_env env, napi_value exports);
void registerConv(napi_env env, napi_value exports);
void registerOps(napi_env env, napi_value exports);
void registerAsync(napi_env env, napi_value exports);
void registerImage(napi_env env, napi_value exports);

}  // namespace js
}  // namespace alexnet
