// Bindings of the elementwise, normalisation, pooling, softmax and optimiser kernels.
#include "bind_common.h"

namespace alexnet {
namespace js {

namespace {

using BinaryKernel = void (*)(const float*, const float*, float*, int64_t);

napi_value binary(napi_env env, napi_callback_info info, const char* name, BinaryKernel kernel) {
  return guarded(env, name, [&] {
    Args args(env, info, name);
    auto a = args.f32(0, "a");
    auto b = args.f32(1, "b", a.length);
    auto out = args.f32(2, "out", a.length);
    kernel(a.data, b.data, out.data, a.length);
    return undefinedValue(env);
  });
}

napi_value addBinding(napi_env env, napi_callback_info info) { return binary(env, info, "add", addArrays); }
napi_value subBinding(napi_env env, napi_callback_info info) { return binary(env, info, "sub", subArrays); }
napi_value mulBinding(napi_env env, napi_callback_info info) { return binary(env, info, "mul", mulArrays); }
napi_value divBinding(napi_env env, napi_callback_info info) { return binary(env, info, "div", divArrays); }

// scale(a, s, out)
napi_value scaleBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "scale", [&] {
    Args args(env, info, "scale");
    auto a = args.f32(0, "a");
    const float s = static_cast<float>(args.number(1, "s"));
    auto out = args.f32(2, "out", a.length);
    scaleArray(a.data, s, out.data, a.length);
    return undefinedValue(env);
  });
}

// axpy(alpha, x, y)
napi_value axpyBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "axpy", [&] {
    Args args(env, info, "axpy");
    const float alpha = static_cast<float>(args.number(0, "alpha"));
    auto x = args.f32(1, "x");
    auto y = args.f32(2, "y", x.length);
    axpy(alpha, x.data, y.data, x.length);
    return undefinedValue(env);
  });
}

// sum(a) → number
napi_value sumBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "sum", [&] {
    Args args(env, info, "sum");
    auto a = args.f32(0, "a");
    return numberValue(env, sumArray(a.data, a.length));
  });
}

// reluForward(x, out)
napi_value reluForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "reluForward", [&] {
    Args args(env, info, "reluForward");
    auto x = args.f32(0, "x");
    auto out = args.f32(1, "out", x.length);
    reluForward(x.data, out.data, x.length);
    return undefinedValue(env);
  });
}

// reluBackward(gradOut, y, gradIn)
napi_value reluBackwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "reluBackward", [&] {
    Args args(env, info, "reluBackward");
    auto gradOut = args.f32(0, "gradOut");
    auto y = args.f32(1, "y", gradOut.length);
    auto gradIn = args.f32(2, "gradIn", gradOut.length);
    reluBackward(gradOut.data, y.data, gradIn.data, gradOut.length);
    return undefinedValue(env);
  });
}

// lrnForward(geometry, x, out, scale | null)
napi_value lrnForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "lrnForward", [&] {
    Args args(env, info, "lrnForward");
    LrnParams g = readLrnParams(args, 0);
    const int64_t n = args.elements("x", {g.batch, g.channels, g.spatial});
    auto x = args.f32(1, "x", n);
    auto out = args.f32(2, "out", n);
    auto scale = args.f32OrNull(3, "scale", n);
    lrnForward(g, x.data, out.data, scale.data);
    return undefinedValue(env);
  });
}

// lrnBackward(geometry, x, out, scale, gradOut, gradIn)
napi_value lrnBackwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "lrnBackward", [&] {
    Args args(env, info, "lrnBackward");
    LrnParams g = readLrnParams(args, 0);
    const int64_t n = args.elements("x", {g.batch, g.channels, g.spatial});
    auto x = args.f32(1, "x", n);
    auto out = args.f32(2, "out", n);
    auto scale = args.f32(3, "scale", n);
    auto gradOut = args.f32(4, "gradOut", n);
    auto gradIn = args.f32(5, "gradIn", n);
    lrnBackward(g, x.data, out.data, scale.data, gradOut.data, gradIn.data);
    return undefinedValue(env);
  });
}

// maxPool2dForward(geometry, x, out, argmax | null)
napi_value maxPoolForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "maxPool2dForward", [&] {
    Args args(env, info, "maxPool2dForward");
    const PoolForwardArgs a = readPoolForwardArgs(args);
    // argmax null or undefined: inference, no indices kept.
    int32_t* argmax = nullptr;
    if (!args.isNullish(3)) argmax = args.i32(3, "argmax", a.out.length).data;
    maxPool2dForward(a.g, a.x.data, a.out.data, argmax);
    return undefinedValue(env);
  });
}

// maxPool2dBackward(geometry, gradOut, argmax, gradIn)
napi_value maxPoolBackwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "maxPool2dBackward", [&] {
    Args args(env, info, "maxPool2dBackward");
    PoolGeom g = readPoolGeom(args, 0);
    auto gradOut = args.f32(1, "gradOut", args.elements("gradOut", {g.batch, g.channels, g.outH, g.outW}));
    auto argmax = args.i32(2, "argmax", args.elements("argmax", {g.batch, g.channels, g.outH, g.outW}));
    auto gradIn = args.f32(3, "gradIn", args.elements("gradIn", {g.batch, g.channels, g.inH, g.inW}));
    maxPool2dBackward(g, gradOut.data, argmax.data, gradIn.data);
    return undefinedValue(env);
  });
}

// adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x, out)
napi_value adaptiveForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "adaptiveAvgPool2dForward", [&] {
    Args args(env, info, "adaptiveAvgPool2dForward");
    const int64_t planes = args.integer(0, "planes"), inH = args.integer(1, "inH", 1), inW = args.integer(2, "inW", 1),
                  outH = args.integer(3, "outH", 1), outW = args.integer(4, "outW", 1);
    auto x = args.f32(5, "x", args.elements("x", {planes, inH, inW}));
    auto out = args.f32(6, "out", args.elements("out", {planes, outH, outW}));
    adaptiveAvgPool2dForward(planes, inH, inW, outH, outW, x.data, out.data);
    return undefinedValue(env);
  });
}

// adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut, gradIn)
napi_value adaptiveBackwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "adaptiveAvgPool2dBackward", [&] {
    Args args(env, info, "adaptiveAvgPool2dBackward");
    const int64_t planes = args.integer(0, "planes"), inH = args.integer(1, "inH", 1), inW = args.integer(2, "inW", 1),
                  outH = args.integer(3, "outH", 1), outW = args.integer(4, "outW", 1);
    auto gradOut = args.f32(5, "gradOut", args.elements("gradOut", {planes, outH, outW}));
    auto gradIn = args.f32(6, "gradIn", args.elements("gradIn", {planes, inH, inW}));
    adaptiveAvgPool2dBackward(planes, inH, inW, outH, outW, gradOut.data, gradIn.data);
    return undefinedValue(env);
  });
}

// logSoftmaxForward(rows, cols, x, out)
napi_value logSoftmaxForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "logSoftmaxForward", [&] {
    Args args(env, info, "logSoftmaxForward");
    const int64_t rows = args.integer(0, "rows"), cols = args.integer(1, "cols", 1);
    auto x = args.f32(2, "x", args.elements("x", {rows, cols}));
    auto out = args.f32(3, "out", args.elements("out", {rows, cols}));
    logSoftmaxForward(rows, cols, x.data, out.data);
    return undefinedValue(env);
  });
}

// logSoftmaxBackward(rows, cols, gradOut, out, gradIn)
napi_value logSoftmaxBackwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "logSoftmaxBackward", [&] {
    Args args(env, info, "logSoftmaxBackward");
    const int64_t rows = args.integer(0, "rows"), cols = args.integer(1, "cols", 1);
    auto gradOut = args.f32(2, "gradOut", args.elements("gradOut", {rows, cols}));
    auto out = args.f32(3, "out", args.elements("out", {rows, cols}));
    auto gradIn = args.f32(4, "gradIn", args.elements("gradIn", {rows, cols}));
    logSoftmaxBackward(rows, cols, gradOut.data, out.data, gradIn.data);
    return undefinedValue(env);
  });
}

// sgdStep(hyper, param, grad, momentumBuffer)
napi_value sgdStepBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "sgdStep", [&] {
    Args args(env, info, "sgdStep");
    napi_value h = args.object(0, "hyper");
    SgdParams p;
    p.lr = static_cast<float>(args.numberProperty(h, "hyper", "lr"));
    p.momentum = static_cast<float>(args.numberProperty(h, "hyper", "momentum"));
    p.dampening = static_cast<float>(args.numberProperty(h, "hyper", "dampening"));
    p.weightDecay = static_cast<float>(args.numberProperty(h, "hyper", "weightDecay"));
    p.nesterov = args.boolProperty(h, "hyper", "nesterov");
    p.firstStep = args.boolProperty(h, "hyper", "firstStep");
    auto param = args.f32(1, "param");
    auto grad = args.f32(2, "grad", param.length);
    auto buffer = args.f32OrNull(3, "momentumBuffer", param.length);
    if (p.momentum != 0.0f && buffer.data == nullptr && param.length > 0)
      args.fail("momentumBuffer is required when momentum is not 0");
    sgdStep(p, param.data, grad.data, buffer.data, param.length);
    return undefinedValue(env);
  });
}

}  // namespace

void registerOps(napi_env env, napi_value exports) {
  static const Export functions[] = {
      {"add", addBinding},
      {"sub", subBinding},
      {"mul", mulBinding},
      {"div", divBinding},
      {"scale", scaleBinding},
      {"axpy", axpyBinding},
      {"sum", sumBinding},
      {"reluForward", reluForwardBinding},
      {"reluBackward", reluBackwardBinding},
      {"lrnForward", lrnForwardBinding},
      {"lrnBackward", lrnBackwardBinding},
      {"maxPool2dForward", maxPoolForwardBinding},
      {"maxPool2dBackward", maxPoolBackwardBinding},
      {"adaptiveAvgPool2dForward", adaptiveForwardBinding},
      {"adaptiveAvgPool2dBackward", adaptiveBackwardBinding},
      {"logSoftmaxForward", logSoftmaxForwardBinding},
      {"logSoftmaxBackward", logSoftmaxBackwardBinding},
      {"sgdStep", sgdStepBinding},
  };
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
