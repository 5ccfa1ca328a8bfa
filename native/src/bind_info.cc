// info(), setSimd(), setBf16(), setThreads(), setSpin(): what the addon runs on, and switches for tests and benchmarks.
#include "bind_common.h"

#include <cstring>
#include "bf16.h"
#include "cpu_dispatch.h"
#include "cpu_info.h"
#include "cpu_tuning.h"
#include "huge_pages.h"
#include "linear.h"
#include "peak.h"
#include "settings.h"
#include "thread_pool.h"
#include "tile_kernel.h"

namespace alexnet {
namespace js {

namespace {

napi_value stringArray(napi_env env, const std::vector<std::string>& strings) {
  napi_value list;
  check(env, napi_create_array_with_length(env, strings.size(), &list), "napi_create_array");
  for (size_t i = 0; i < strings.size(); ++i)
    check(env, napi_set_element(env, list, static_cast<uint32_t>(i), stringValue(env, strings[i])), "set");
  return list;
}

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
    check(env,
          napi_set_named_property(env, result, "spinMicros",
                                  numberValue(env, static_cast<double>(ThreadPool::spinMicrosNow()))),
          "set");
    check(env, napi_set_named_property(env, result, "tileRows", numberValue(env, ks.mr)), "set");
    check(env, napi_set_named_property(env, result, "tileColumns", numberValue(env, ks.nr)), "set");
    // The CPU as CPUID describes it, and the tuning row chosen for it.
    const CpuInfo& cpu = cpuInfo();
    napi_value c;
    check(env, napi_create_object(env, &c), "napi_create_object");
    check(env, napi_set_named_property(env, c, "vendor", stringValue(env, cpu.vendor.c_str())), "set");
    check(env, napi_set_named_property(env, c, "brand", stringValue(env, cpu.brand.c_str())), "set");
    check(env, napi_set_named_property(env, c, "family", numberValue(env, cpu.family)), "set");
    check(env, napi_set_named_property(env, c, "model", numberValue(env, cpu.model)), "set");
    check(env, napi_set_named_property(env, c, "l1d", numberValue(env, static_cast<double>(cpu.l1d))), "set");
    check(env, napi_set_named_property(env, c, "l2", numberValue(env, static_cast<double>(cpu.l2))), "set");
    check(env, napi_set_named_property(env, c, "l3", numberValue(env, static_cast<double>(cpu.l3))), "set");
    check(env, napi_set_named_property(env, c, "description", stringValue(env, cpu.describe().c_str())), "set");
    check(env, napi_set_named_property(env, result, "cpu", c), "set");
    check(env, napi_set_named_property(env, result, "tuning", stringValue(env, cpuTuning().row)), "set");
    const Bf16Kernels* bk = bf16Kernels();
    napi_value bf16Name;
    if (bk != nullptr)
      bf16Name = stringValue(env, bk->name);
    else
      check(env, napi_get_null(env, &bf16Name), "napi_get_null");
    check(env, napi_set_named_property(env, result, "bf16", bf16Name), "set");
    check(env, napi_set_named_property(env, result, "bf16Unsupported", stringValue(env, bf16Unsupported().c_str())),
          "set");
    const std::vector<std::string> bf16Levels = availableBf16Levels();
    check(env, napi_set_named_property(env, result, "bf16Levels", stringArray(env, bf16Levels)), "set");
    check(env, napi_set_named_property(env, result, "cpuFeatures", stringArray(env, cpuFeatures())), "set");
    check(env, napi_set_named_property(env, result, "sparseLinear", boolValue(env, sparseLinearEnabled())), "set");
    // Last: every setting above has been read by now (the loader refuses the addon while this is not empty).
    check(env, napi_set_named_property(env, result, "settingProblems", stringArray(env, settingProblems())), "set");
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

// setBf16(name): caps the bf16 kernels at "avx512_bf16" or "amx"; returns the set in effect, or null.
napi_value setBf16(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "setBf16", [&] {
    Args args(env, cbinfo, "setBf16");
    const std::string name = args.string(0, "level");
    std::string inEffect;
    if (!setBf16Level(name, &inEffect)) args.fail("level must be 'avx512_bf16' or 'amx', got '" + name + "'");
    if (inEffect.empty()) {
      napi_value none;
      check(env, napi_get_null(env, &none), "napi_get_null");
      return none;
    }
    return stringValue(env, inEffect.c_str());
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

// setSpin(us) → how long idle pool threads spin before sleeping, in effect.
napi_value setSpin(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "setSpin", [&] {
    Args args(env, cbinfo, "setSpin");
    return numberValue(env, static_cast<double>(ThreadPool::setSpinMicros(args.integer(0, "microseconds", 0))));
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

// allocateFloat32(length) → a zero-filled Float32Array on memory from
// allocateLarge (2 MiB pages where the OS gives them): large tensors, whose
// streaming from DRAM is faster on huge pages (huge_pages.h).
napi_value allocateFloat32(napi_env env, napi_callback_info cbinfo) {
  return guarded(env, "allocateFloat32", [&] {
    Args args(env, cbinfo, "allocateFloat32");
    const int64_t length = args.integer(0, "length", 1);
    if (length > (int64_t{1} << 34)) args.fail("length must be at most 2^34 floats");
    const size_t bytes = static_cast<size_t>(length) * sizeof(float);
    void* data = allocateLarge(bytes);
    // allocateLarge's small sizes come from aligned_alloc: zero them (large
    // ones are fresh anonymous pages, already zero, and stay untouched).
    if (!largeAllocationIsZeroed(bytes)) std::memset(data, 0, bytes);
    napi_value buffer = nullptr;
    napi_status status = napi_create_external_arraybuffer(
        env, data, bytes,
        [](napi_env finalizeEnv, void* finalizeData, void* hint) {
          const size_t size = reinterpret_cast<size_t>(hint);
          freeLarge(finalizeData, size);
          int64_t ignored = 0;
          napi_adjust_external_memory(finalizeEnv, -static_cast<int64_t>(size), &ignored);
        },
        reinterpret_cast<void*>(bytes), &buffer);
    if (status != napi_ok) {
      freeLarge(data, bytes);
      check(env, status, "napi_create_external_arraybuffer");
    }
    // The GC does not see external memory unless told: without this, large
    // tensors dropped by JavaScript would be collected late.
    int64_t ignored = 0;
    napi_adjust_external_memory(env, static_cast<int64_t>(bytes), &ignored);
    napi_value array = nullptr;
    check(env, napi_create_typedarray(env, napi_float32_array, static_cast<size_t>(length), buffer, 0, &array),
          "napi_create_typedarray");
    return array;
  });
}

}  // namespace

void registerInfo(napi_env env, napi_value exports) {
  static const Export functions[] = {{"info", info},
                                     {"setSimd", setSimd},
                                     {"setBf16", setBf16},
                                     {"setThreads", setThreads},
                                     {"setSpin", setSpin},
                                     {"peakGflops", peakGflops},
                                     {"allocateFloat32", allocateFloat32}};
  defineFunctions(env, exports, functions, sizeof(functions) / sizeof(functions[0]));
}

}  // namespace js
}  // namespace alexnet
