// Convolution bindings, including weight packing for inference.
#include "bind_common.h"

namespace alexnet {
namespace js {

namespace {

// Reads an optional precision argument: "fp32" (the default) or "bf16";
// bf16 fails here, with the reason, on a CPU without bf16 kernels.
bool readBf16(const Args& args, size_t i) {
  if (args.isNullish(i)) return false;
  const std::string p = args.string(i, "precision");
  if (p == "fp32") return false;
  if (p != "bf16") args.fail("precision must be 'fp32' or 'bf16', got '" + p + "'");
  if (bf16Kernels() == nullptr) args.fail(bf16Unsupported());
  return true;
}

// packConvWeight(geometry, w, precision?) → handle. Only the weight-related
// fields of the geometry matter; the handle works for any batch and spatial size.
napi_value packConvWeightBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "packConvWeight", [&] {
    Args args(env, info, "packConvWeight");
    ConvGeom g = readConvGeom(args, 0);
    auto w = args.f32(1, "w", g.weightSize());
    const bool bf16 = readBf16(args, 2);
    auto holder = std::make_unique<PackedHolder>();
    holder->packed =
        bf16 ? packConvWeightBf16(currentKernels(), g, w.data) : packConvWeight(currentKernels(), g, w.data);
    holder->bytes = static_cast<int64_t>(holder->packed->bytes());
    return packedHandle(env, std::move(holder));
  });
}

// packLinearWeight(outFeatures, inFeatures, w, precision, consume?) → handle.
// bf16: the rows converted; consume: w is zeroed and its memory given back to
// the OS as it is converted. fp32: a handle that the calls pass with w itself
// (linear.h: the transposed copy for skipping zero inputs is made on first
// use); consume does not apply (w stays the weight).
napi_value packLinearWeightBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "packLinearWeight", [&] {
    Args args(env, info, "packLinearWeight");
    const int64_t outF = args.integer(0, "outFeatures", 1), inF = args.integer(1, "inFeatures", 1);
    auto w = args.f32(2, "w", args.elements("w", {outF, inF}));
    const bool bf16 = readBf16(args, 3);
    const bool consume = !args.isNullish(4) && args.boolean(4, "consume");
    if (!bf16 && consume) args.fail("packLinearWeight: consume applies to bf16 (an fp32 packing uses w in place)");
    auto holder = std::make_unique<PackedHolder>();
    holder->linear = bf16 ? packLinearWeightBf16(outF, inF, w.data, consume) : packLinearWeightFp32(outF, inF);
    holder->bytes = static_cast<int64_t>(holder->linear->bytes());
    return packedHandle(env, std::move(holder));
  });
}

// disposePackedWeight(handle): frees the packed data now instead of at garbage collection.
napi_value disposePackedBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "disposePackedWeight", [&] {
    Args args(env, info, "disposePackedWeight");
    auto* holder = static_cast<PackedHolder*>(args.external(0, "handle", kPackedConvTag));
    if (!holder->empty()) {
      int64_t ignored;
      napi_adjust_external_memory(env, -holder->bytes, &ignored);
      holder->reset();  // freed now, or when the last async job using it ends
    }
    return undefinedValue(env);
  });
}

// packedConvAlgorithm(packed) → what the packed layer runs, in words (describeConvAlgorithm).
napi_value packedConvAlgorithmBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "packedConvAlgorithm", [&] {
    Args args(env, info, "packedConvAlgorithm");
    return stringValue(env, describeConvAlgorithm(*packedConvArg(args, 0, "packed")));
  });
}

// packedWeightBytes(handle) → the bytes the packed weight holds now (a linear
// layer's fp32 packing grows by its transposed copy at its first skipping call).
napi_value packedWeightBytesBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "packedWeightBytes", [&] {
    Args args(env, info, "packedWeightBytes");
    auto* holder = static_cast<PackedHolder*>(args.external(0, "handle", kPackedConvTag));
    if (holder->empty()) args.fail("the packed weight was disposed");
    const size_t bytes = holder->packed ? holder->packed->bytes() : holder->linear->bytes();
    return numberValue(env, static_cast<double>(bytes));
  });
}

// conv2dForward(geometry, x, w, bias, out, fuseRelu)
napi_value conv2dForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "conv2dForward", [&] {
    Args args(env, info, "conv2dForward");
    ConvGeom g = readConvGeom(args, 0);
    auto x = args.f32(1, "x", g.inputSize());
    auto w = args.f32(2, "w", g.weightSize());
    auto bias = args.f32OrNull(3, "bias", g.outChannels);
    auto out = args.f32(4, "out", g.outputSize());
    const bool relu = args.boolean(5, "fuseRelu");
    conv2dForward(currentKernels(), g, x.data, w.data, bias.data, out.data, relu);
    return undefinedValue(env);
  });
}

// conv2dForwardPacked(geometry, packed, x, bias, out, fuseRelu, w?): w, the
// weight the packing was made from, for an input the packing cannot take
// (a value outside Winograd's range: see conv2dForward in conv.h).
napi_value conv2dForwardPackedBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "conv2dForwardPacked", [&] {
    Args args(env, info, "conv2dForwardPacked");
    ConvGeom g = readConvGeom(args, 0);
    auto packed = packedConvArg(args, 1, "packed");
    if (!packed->matches(g)) args.fail("the packed weight was made for another layer shape");
    auto x = args.f32(2, "x", g.inputSize());
    auto bias = args.f32OrNull(3, "bias", g.outChannels);
    auto out = args.f32(4, "out", g.outputSize());
    const bool relu = args.boolean(5, "fuseRelu");
    auto w = args.f32OrNull(6, "w", g.weightSize());
    if (!conv2dForward(g, x.data, *packed, bias.data, out.data, relu, w.data)) args.fail(kNeedsSource);
    return undefinedValue(env);
  });
}

// conv2dBackwardData(geometry, gradOut, w, gradIn)
napi_value conv2dBackwardDataBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "conv2dBackwardData", [&] {
    Args args(env, info, "conv2dBackwardData");
    ConvGeom g = readConvGeom(args, 0);
    auto gradOut = args.f32(1, "gradOut", g.outputSize());
    auto w = args.f32(2, "w", g.weightSize());
    auto gradIn = args.f32(3, "gradIn", g.inputSize());
    conv2dBackwardData(currentKernels(), g, gradOut.data, w.data, gradIn.data);
    return undefinedValue(env);
  });
}

// conv2dBackwardWeight(geometry, x, gradOut, gradW, gradBias)
napi_value conv2dBackwardWeightBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "conv2dBackwardWeight", [&] {
    Args args(env, info, "conv2dBackwardWeight");
    ConvGeom g = readConvGeom(args, 0);
    auto x = args.f32(1, "x", g.inputSize());
    auto gradOut = args.f32(2, "gradOut", g.outputSize());
    auto gradW = args.f32(3, "gradW", g.weightSize());
    auto gradBias = args.f32OrNull(4, "gradBias", g.outChannels);
    conv2dBackwardWeight(currentKernels(), g, x.data, gradOut.data, gradW.data, gradBias.data);
    return undefinedValue(env);
  });
}

}  // namespace

void registerConv(napi_env env, napi_value exports) {
  // One binding per line, as in the other tables.
  // clang-format off
  static const Export functions[] = {
      {"packConvWeight", packConvWeightBinding},
      {"packLinearWeight", packLinearWeightBinding},
      {"disposePackedWeight", disposePackedBinding},
      {"packedConvAlgorithm", packedConvAlgorithmBinding},
      {"packedWeightBytes", packedWeightBytesBinding},
      {"conv2dForward", conv2dForwardBinding},
      {"conv2dForwardPacked", conv2dForwardPackedBinding},
      {"conv2dBackwardData", conv2dBackwardDataBinding},
      {"conv2dBackwardWeight", conv2dBackwardWeightBinding},
  };
  // clang-format on
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
