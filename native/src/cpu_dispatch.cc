#include "cpu_dispatch.h"
#include "arch.h"
#include "settings.h"
#include "cpu_info.h"

#include <atomic>
#include <cstdlib>

namespace alexnet {

namespace {

bool hasAvx2Fma() {
#if ALEXNET_X86
  __builtin_cpu_init();  // idempotent; makes the queries safe before any constructor order
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool hasAvx512() {
#if ALEXNET_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
  return false;
#endif
}

SimdLevel clampToSupported(SimdLevel requested) {
  SimdLevel best = bestSupportedSimd();
  return static_cast<int>(requested) < static_cast<int>(best) ? requested : best;
}

SimdLevel initialLevel() {
  SimdLevel level = bestSupportedSimd();
  const char* forced = settingValue("ALEXNET_SIMD");
  SimdLevel requested;
  if (forced != nullptr) {
    if (parseSimdName(forced, &requested))
      level = clampToSupported(requested);
    else
      recordBadSetting("ALEXNET_SIMD", forced, "one of generic, avx2, avx512");
  }
  return level;
}

std::atomic<int>& levelSlot() {
  static std::atomic<int> slot{static_cast<int>(initialLevel())};
  return slot;
}

}  // namespace

const char* simdName(SimdLevel level) {
  switch (level) {
    case SimdLevel::Avx512:
      return "avx512";
    case SimdLevel::Avx2:
      return "avx2";
    case SimdLevel::WasmSimd128:
      return "wasm-simd128";
    default:
      return "generic";
  }
}

bool parseSimdName(const std::string& name, SimdLevel* level) {
  if (name == "generic")
    *level = SimdLevel::Generic;
  else if (name == "avx2")
    *level = SimdLevel::Avx2;
  else if (name == "avx512")
    *level = SimdLevel::Avx512;
  else if (name == "wasm-simd128")
    *level = SimdLevel::WasmSimd128;
  else
    return false;
  return true;
}

SimdLevel bestSupportedSimd() {
#if defined(__wasm_simd128__)
  return SimdLevel::WasmSimd128;
#endif
  static const SimdLevel best = hasAvx512() ? SimdLevel::Avx512 : hasAvx2Fma() ? SimdLevel::Avx2 : SimdLevel::Generic;
  return best;
}

SimdLevel currentSimd() { return static_cast<SimdLevel>(levelSlot().load(std::memory_order_relaxed)); }

SimdLevel setSimdLevel(SimdLevel requested) {
  SimdLevel level = clampToSupported(requested);
  levelSlot().store(static_cast<int>(level), std::memory_order_relaxed);
  return level;
}

std::vector<std::string> cpuFeatures() { return cpuInfo().featureNames(); }

}  // namespace alexnet
