// Convolution bindings, including weight packing for inference.
#include "bind_common.h"

namespace alexnet {
namespace js {

namespace {

void finalizePacked(napi_env env, void* data, void*) {
  auto* holder = static_cast<PackedHolder*>(data);
  int64_t ignored;
  if (holder->packed) napi_adjust_external_memory(env, -holder->bytes, &ignored);
  delete holder;
}

// packConvWeight(geometry, w) → handle. Only the weight-related fields of the
// geometry matter; the handle works for any batch and spatial size.
napi_value packConvWeightBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "packConvWeight", [&] {
    Args args(env, info, "packConvWeight");
    ConvGeom g = readConvGeom(args, 0);
    auto w = args.f32(1, "w", g.weightSize());
    auto holder = std::make_unique<PackedHolder>();
    holder->packed = packConvWeight(currentKernels(), g, w.data);
    holder->bytes = static_cast<int64_t>(holder->packed->bytes());
    const int64_t bytes = holder->bytes;
    napi_value handle;
    check(env, napi_create_external(env, holder.get(), finalizePacked, nullptr, &handle), "napi_create_external");
    holder.release();
    check(env, napi_type_tag_object(env, handle, &kPackedConvTag), "napi_type_tag_object");
    int64_t ignored;
    napi_adjust_external_memory(env, bytes, &ignored);
    return handle;
  });
}

// disposePackedWeight(handle): frees the packed data now instead of at garbage collection.
napi_value disposePackedBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "disposePackedWeight", [&] {
    Args args(env, info, "disposePackedWeight");
    auto* holder = static_cast<PackedHolder*>(args.external(0, "handle", kPackedConvTag));
    if (holder->packed) {
      int64_t ignored;
      napi_adjust_external_memory(env, -holder->bytes, &ignored);
      holder->packed.reset();  // freed now, or when the last async job using it ends
    }
    return undefinedValue(env);
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

// conv2dForwardPacked(geometry, packed, x, bias, out, fuseRelu)
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
    conv2dForward(g, x.data, *packed, bias.data, out.data, relu);
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
  static const Export functions[] = {
      {"packConvWeight", packConvWeightBinding},
      {"disposePackedWeight", disposePackedBinding},
      {"conv2dForward", conv2dForwardBinding},
      {"conv2dForwardPacked", conv2dForwardPackedBinding},
      {"conv2dBackwardData", conv2dBackwardDataBinding},
      {"conv2dBackwardWeight", conv2dBackwardWeightBinding},
  };
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
