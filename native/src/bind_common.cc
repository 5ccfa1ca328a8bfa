#include "bind_common.h"

namespace alexnet {
namespace js {

ConvGeom readConvGeom(const Args& args, size_t i) {
  napi_value o = args.object(i, "geometry");
  ConvGeom g;
  g.batch = args.intProperty(o, "geometry", "batch");
  g.inChannels = args.intProperty(o, "geometry", "inChannels", 1);
  g.inH = args.intProperty(o, "geometry", "inH", 1);
  g.inW = args.intProperty(o, "geometry", "inW", 1);
  g.outChannels = args.intProperty(o, "geometry", "outChannels", 1);
  g.outH = args.intProperty(o, "geometry", "outH", 1);
  g.outW = args.intProperty(o, "geometry", "outW", 1);
  g.kernelH = args.intProperty(o, "geometry", "kernelH", 1);
  g.kernelW = args.intProperty(o, "geometry", "kernelW", 1);
  g.strideH = args.intProperty(o, "geometry", "strideH", 1);
  g.strideW = args.intProperty(o, "geometry", "strideW", 1);
  g.padH = args.intProperty(o, "geometry", "padH");
  g.padW = args.intProperty(o, "geometry", "padW");
  g.dilationH = args.intProperty(o, "geometry", "dilationH", 1);
  g.dilationW = args.intProperty(o, "geometry", "dilationW", 1);
  g.groups = args.intProperty(o, "geometry", "groups", 1);
  std::string why = validateConvGeom(g);
  if (!why.empty()) args.fail("invalid conv geometry: " + why);
  return g;
}

LinearArgs readLinearArgs(const Args& args) {
  const int64_t batch = args.integer(0, "batch"), inF = args.integer(1, "inFeatures", 1),
                outF = args.integer(2, "outFeatures", 1);
  LinearArgs a{batch,
               inF,
               outF,
               args.f32(3, "x", args.elements("x", {batch, inF})),
               {},
               args.f32OrNull(5, "bias", outF),
               args.f32(6, "out", args.elements("out", {batch, outF})),
               args.boolean(7, "fuseRelu"),
               nullptr,
               args[4],
               nullptr};
  if (isPackedHandle(args, 4)) {
    a.packed = packedLinearArg(args, 4, "packed");
    if (a.packed->outFeatures != outF || a.packed->inFeatures != inF)
      args.fail("the packed weight was made for another layer shape");
    if (a.packed->bf16Set == nullptr) {
      if (args.isNullish(8)) args.fail("an fp32 packed weight needs the weight itself (argument 9, w)");
      a.w = args.f32(8, "w", args.elements("w", {outF, inF}));
      a.fp32Value = a.w.value;
    }
  } else {
    a.w = args.f32(4, "w", args.elements("w", {outF, inF}));
  }
  return a;
}

void runLinear(const KernelSet& ks, const LinearArgs& a) {
  if (a.packed && a.packed->bf16Set != nullptr)
    linearForwardBf16(a.batch, a.x.data, *a.packed, a.bias.data, a.out.data, a.relu);
  else if (a.packed)
    linearForwardFp32(ks, a.batch, a.x.data, *a.packed, a.w.data, a.bias.data, a.out.data, a.relu);
  else
    linearForward(ks, a.batch, a.inFeatures, a.outFeatures, a.x.data, a.w.data, a.bias.data, a.out.data, a.relu);
}

PoolGeom readPoolGeom(const Args& args, size_t i) {
  napi_value o = args.object(i, "geometry");
  PoolGeom g;
  g.batch = args.intProperty(o, "geometry", "batch");
  g.channels = args.intProperty(o, "geometry", "channels", 1);
  g.inH = args.intProperty(o, "geometry", "inH", 1);
  g.inW = args.intProperty(o, "geometry", "inW", 1);
  g.outH = args.intProperty(o, "geometry", "outH", 1);
  g.outW = args.intProperty(o, "geometry", "outW", 1);
  g.kernelH = args.intProperty(o, "geometry", "kernelH", 1);
  g.kernelW = args.intProperty(o, "geometry", "kernelW", 1);
  g.strideH = args.intProperty(o, "geometry", "strideH", 1);
  g.strideW = args.intProperty(o, "geometry", "strideW", 1);
  g.padH = args.intProperty(o, "geometry", "padH");
  g.padW = args.intProperty(o, "geometry", "padW");
  g.dilationH = args.intProperty(o, "geometry", "dilationH", 1);
  g.dilationW = args.intProperty(o, "geometry", "dilationW", 1);
  const std::string why = validatePoolGeom(g);
  if (!why.empty()) args.fail("invalid pool geometry: " + why);
  return g;
}

PoolForwardArgs readPoolForwardArgs(const Args& args) {
  PoolGeom g = readPoolGeom(args, 0);
  auto x = args.f32(1, "x", args.elements("x", {g.batch, g.channels, g.inH, g.inW}));
  auto out = args.f32(2, "out", args.elements("out", {g.batch, g.channels, g.outH, g.outW}));
  return {g, x, out};
}

LrnParams readLrnParams(const Args& args, size_t i) {
  napi_value o = args.object(i, "geometry");
  LrnParams g;
  g.batch = args.intProperty(o, "geometry", "batch");
  g.channels = args.intProperty(o, "geometry", "channels", 1);
  g.spatial = args.intProperty(o, "geometry", "spatial");
  g.size = args.intProperty(o, "geometry", "size", 1);
  g.alpha = args.numberProperty(o, "geometry", "alpha");
  g.beta = args.numberProperty(o, "geometry", "beta");
  g.k = args.numberProperty(o, "geometry", "k");
  return g;
}

void defineFunctions(napi_env env, napi_value exports, const Export* functions, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    napi_value fn;
    check(env, napi_create_function(env, functions[i].name, NAPI_AUTO_LENGTH, functions[i].callback, nullptr, &fn),
          "napi_create_function");
    check(env, napi_set_named_property(env, exports, functions[i].name, fn), "napi_set_named_property");
  }
}

// Random 128-bit tag: proves an External was made by this addon's packConvWeight.
const char* const kNeedsSource =
    "the input holds a value outside this layer's Winograd range (NaN, infinity, or a magnitude of 2^40 or more, "
    "which its transforms would spread over whole tiles or overflow on); pass the weight the packing was made from "
    "(argument w) to convolve it directly";

const napi_type_tag kPackedConvTag = {0x6a1e8f0d3c2b4e51ULL, 0x9d7c5b3a1f0e2d4cULL};

bool isPackedHandle(const Args& args, size_t i) {
  napi_valuetype type;
  check(args.env(), napi_typeof(args.env(), args[i], &type), "napi_typeof");
  if (type != napi_external) return false;
  bool tagged = false;
  check(args.env(), napi_check_object_type_tag(args.env(), args[i], &kPackedConvTag, &tagged), "type tag");
  return tagged;
}

std::shared_ptr<const PackedConvWeight> packedConvArg(const Args& args, size_t i, const char* name) {
  auto* holder = static_cast<PackedHolder*>(args.external(i, name, kPackedConvTag));
  if (holder->empty()) args.fail(std::string(name) + " was disposed");
  if (!holder->packed) args.fail(std::string(name) + " is a linear layer's packed weight, not a convolution's");
  return holder->packed;
}

std::shared_ptr<const PackedLinearWeight> packedLinearArg(const Args& args, size_t i, const char* name) {
  auto* holder = static_cast<PackedHolder*>(args.external(i, name, kPackedConvTag));
  if (holder->empty()) args.fail(std::string(name) + " was disposed");
  if (!holder->linear) args.fail(std::string(name) + " is a convolution's packed weight, not a linear layer's");
  return holder->linear;
}

namespace {

void finalizePacked(napi_env env, void* data, void*) {
  auto* holder = static_cast<PackedHolder*>(data);
  int64_t ignored;
  if (!holder->empty()) napi_adjust_external_memory(env, -holder->bytes, &ignored);
  delete holder;
}

}  // namespace

napi_value packedHandle(napi_env env, std::unique_ptr<PackedHolder> holder) {
  const int64_t bytes = holder->bytes;
  napi_value handle;
  check(env, napi_create_external(env, holder.get(), finalizePacked, nullptr, &handle), "napi_create_external");
  holder.release();
  check(env, napi_type_tag_object(env, handle, &kPackedConvTag), "napi_type_tag_object");
  int64_t ignored;
  napi_adjust_external_memory(env, bytes, &ignored);
  return handle;
}

}  // namespace js
}  // namespace alexnet
