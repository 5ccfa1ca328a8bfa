// info(), setSimd(), setThreads(): what the addon runs on, and switches for tests and benchmarks.
#include "bind_common.h"
#include "cpu_dispatch.h"
#include "peak.h"
#include "thread_pool.h"
#include "tile_kernel.h"

namespace alexnet {
namespace js {

namespace {

napi_value info(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "info", [&] {
    Args args(env, cbinfo, "info");
    napi_value result;
    check(env, napi_create_object(env, &result), "napi_create_object");
    const KernelSet& ks = currentKernels();
    check(env, napi_set_named_property(env, result, "simd", stringValue(env, simdName(currentSimd()))), "set");
    check(env, napi_set_named_property(env, result, "bestSimd", stringValue(env, simdName(bestSupportedSimd()))),
          "set");
    check(env, napi_set_named_property(env, result, "threads", numberValue(env, poolThreads())), "set");
    check(env, napi_set_named_property(env, result, "tileRows", numberValue(env, ks.mr)), "set");
    check(env, napi_set_named_property(env, result, "tileColumns", numberValue(env, ks.nr)), "set");
    std::vector<std::string> features = cpuFeatures();
    napi_value list;
    check(env, napi_create_array_with_length(env, features.size(), &list), "napi_create_array");
    for (size_t i = 0; i < features.size(); ++i)
      check(env, napi_set_element(env, list, static_cast<uint32_t>(i), stringValue(env, features[i])), "set");
    check(env, napi_set_named_property(env, result, "cpuFeatures", list), "set");
    return result;
  });
}

// setSimd(name): lowers (or restores) the kernel level; returns the level in effect.
napi_value setSimd(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "setSimd", [&] {
    Args args(env, cbinfo, "setSimd");
    std::string name = args.string(0, "level");
    SimdLevel level;
    if (!parseSimdName(name, &level)) args.fail("level must be 'generic', 'avx2' or 'avx512', got '" + name + "'");
    return stringValue(env, simdName(setSimdLevel(level)));
  });
}

napi_value setThreads(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "setThreads", [&] {
    Args args(env, cbinfo, "setThreads");
    int64_t n = args.integer(0, "threads", 1);
    ThreadPool::global().setThreads(static_cast<int>(n > 256 ? 256 : n));
    return numberValue(env, poolThreads());
  });
}

// peakGflops(seconds?) → the FMA peak of the current kernel set on all pool threads.
napi_value peakGflops(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "peakGflops", [&] {
    Args args(env, cbinfo, "peakGflops");
    double seconds = args.isNullish(0) ? 0.5 : args.number(0, "seconds");
    if (!(seconds > 0 && seconds <= 60)) args.fail("seconds must be in (0, 60]");
    return numberValue(env, measurePeakGflops(currentSimd(), seconds));
  });
}

}  // namespace

void registerInfo(napi_env env, napi_value exports) {
  static const Export functions[] = {{"info", info}, {"setSimd", setSimd}, {"setThreads", setThreads},
                                     {"peakGflops", peakGflops}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
