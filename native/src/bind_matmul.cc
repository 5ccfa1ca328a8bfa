// gemm() and linearForward() bindings.
#include "bind_common.h"
#include "gemm.h"

namespace alexnet {
namespace js {

namespace {

// gemm(transA, transB, M, N, K, A, B, C, accumulate)
napi_value gemmBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "gemm", [&] {
    Args args(env, info, "gemm");
    const bool transA = args.boolean(0, "transA"), transB = args.boolean(1, "transB");
    const int64_t M = args.integer(2, "M"), N = args.integer(3, "N"), K = args.integer(4, "K");
    auto A = args.f32(5, "A", M * K);
    auto B = args.f32(6, "B", K * N);
    auto C = args.f32(7, "C", M * N);
    const bool accumulate = args.boolean(8, "accumulate");
    if (K == 0 && !accumulate) {
      for (int64_t i = 0; i < M * N; ++i) C.data[i] = 0.0f;
    } else {
      gemm(currentKernels(), transA, transB, M, N, K, A.data, transA ? M : K, B.data, transB ? K : N, C.data, N,
           accumulate);
    }
    return undefinedValue(env);
  });
}

// linearForward(batch, inFeatures, outFeatures, x, w, bias, out, fuseRelu)
napi_value linearForwardBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "linearForward", [&] {
    const LinearArgs a = readLinearArgs(Args(env, info, "linearForward"));
    linearForward(currentKernels(), a.batch, a.inFeatures, a.outFeatures, a.x.data, a.w.data, a.bias.data, a.out.data,
                  a.relu);
    return undefinedValue(env);
  });
}

}  // namespace

void registerMatmul(napi_env env, napi_value exports) {
  static const Export functions[] = {{"gemm", gemmBinding}, {"linearForward", linearForwardBinding}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
