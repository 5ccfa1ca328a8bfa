// The ALEXNET_* environment settings of the native kernels (ALEXNET_SIMD,
// ALEXNET_BF16, ALEXNET_NUM_THREADS, ALEXNET_SPIN_US, ALEXNET_SPARSE_LINEAR),
// each read once where it is used. A value that does not parse leaves the
// default in place and is recorded here, so that the addon can refuse to load
// naming it (bind_info.cc) rather than run on a guess: ALEXNET_BF16=AMX would
// otherwise quietly measure another kernel set than the one asked for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alexnet {

// The variable's value, or null when it is unset or empty.
const char* settingValue(const char* name);
// A whole number in [lo, hi] (decimal, nothing else in the string), or
// `fallback` when unset or invalid (recorded).
int64_t integerSetting(const char* name, int64_t lo, int64_t hi, int64_t fallback);
// Records that `name`'s value is not `expected` ("one of generic, avx2, avx512").
void recordBadSetting(const char* name, const char* value, const char* expected);
// Every problem recorded so far, one line each, by name.
std::vector<std::string> settingProblems();

}  // namespace alexnet
