// Which SIMD instruction set the kernels use. The addon is compiled for the
// baseline of the architecture; the AVX2+FMA and AVX-512 kernels are compiled
// with per-function target attributes and chosen here at run time, so one
// binary runs on any x86-64 CPU (and non-x86 builds get the generic kernels).
// The WebAssembly build (native/wasm/) has one level of its own, SIMD128.
#pragma once

#include <string>
#include <vector>

namespace alexnet {

enum class SimdLevel { Generic = 0, Avx2 = 1, Avx512 = 2, WasmSimd128 = 3 };

const char* simdName(SimdLevel level);
// Parses "generic" | "avx2" | "avx512" | "wasm-simd128"; returns false for anything else.
bool parseSimdName(const std::string& name, SimdLevel* level);

// The best level this CPU (and OS) supports.
SimdLevel bestSupportedSimd();
// The level in use: the best supported, lowered by ALEXNET_SIMD at load time
// or by setSimdLevel().
SimdLevel currentSimd();
// Sets the level, clamped to what the CPU supports; returns the level in effect.
SimdLevel setSimdLevel(SimdLevel requested);

// The CPU feature names relevant to the kernels that this CPU has.
std::vector<std::string> cpuFeatures();

}  // namespace alexnet
