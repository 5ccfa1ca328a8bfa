// gemm() and linearForward() bindings.
#include "bind_common.h"
#include "gemm.h"

#include <vector>

namespace alexnet {
namespace js {

namespace {

// gemm(transA, transB, M, N, K, A, B, C, accumulate)
napi_value gemmBinding(napi_env env, napi_callback_info info) {
  return guarded(env, "gemm", [&] {
    Args args(env, info, "gemm");
    const bool transA = args.boolean(0, "transA"), transB = args.boolean(1, "transB");
    const int64_t M = args.integer(2, "M"), N = args.integer(3, "N"), K = args.integer(4, "K");
    auto A = args.f32(5, "A", args.elements("A", {M, K}));
    auto B = args.f32(6, "B", args.elements("B", {K, N}));
    auto C = args.f32(7, "C", args.elements("C", {M, N}));
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
    runLinear(currentKernels(), a);
    return undefinedValue(env);
  });
}

// gemmBf16(M, N, K, A, B, C): C[M×N] = bf16(A[M×K]) · bf16(B[K×N]) in fp32,
// through the bf16 micro-kernels (for tests against the rounding reference).
napi_value gemmBf16Binding(napi_env env, napi_callback_info info) {
  return guarded(env, "gemmBf16", [&] {
    Args args(env, info, "gemmBf16");
    const int64_t M = args.integer(0, "M", 1), N = args.integer(1, "N", 1), K = args.integer(2, "K", 1);
    auto A = args.f32(3, "A", args.elements("A", {M, K}));
    auto B = args.f32(4, "B", args.elements("B", {K, N}));
    auto C = args.f32(5, "C", args.elements("C", {M, N}));
    const Bf16Kernels* bk = bf16Kernels();
    if (bk == nullptr) args.fail(bf16Unsupported());
    const int64_t kp = bf16Pairs(*bk, K);
    std::vector<bf16> rows(M * 2 * kp, 0);
    for (int64_t i = 0; i < M; ++i) bk->convert(A.data + i * K, rows.data() + i * 2 * kp, K);
    const TileShape shape = pickBf16TileShape(*bk, N);
    std::vector<bf16> panels(((N + shape.nr - 1) / shape.nr) * kp * shape.nr * 2);
    packBf16Panels(false, B.data, N, K, kp, 0, N, shape.nr, panels.data());
    bf16Gemm(*bk, shape, M, N, kp, reinterpret_cast<const uint32_t*>(rows.data()), kp, panels.data(), C.data, N,
             nullptr, nullptr, false);
    return undefinedValue(env);
  });
}

}  // namespace

void registerMatmul(napi_env env, napi_value exports) {
  static const Export functions[] = {
      {"gemm", gemmBinding}, {"linearForward", linearForwardBinding}, {"gemmBf16", gemmBf16Binding}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
