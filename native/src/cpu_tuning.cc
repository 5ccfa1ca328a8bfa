#include "cpu_tuning.h"

namespace alexnet {

namespace {

struct TuningRow {
  CpuTuning tuning;
  bool (*matches)(const CpuInfo&);
};

// First match wins; the last row matches every CPU.
const TuningRow kTable[] = {
    // AMD Zen 4 (family 0x19 with AVX-512): one 512-bit FMA per cycle, 1 MiB L2.
    {{"zen4", 0.5, 0.75, 512, true}, [](const CpuInfo& c) { return c.isAmd() && c.family == 0x19 && c.avx512f; }},
    // AMD Zen 5 and later with AVX-512.
    {{"zen5+", 0.5, 0.75, 512, true}, [](const CpuInfo& c) { return c.isAmd() && c.family >= 0x1A && c.avx512f; }},
    // Intel server cores with AMX (Sapphire/Emerald/Granite Rapids): two 512-bit FMA ports, 2 MiB L2.
    {{"sapphire-rapids", 0.5, 0.5, 512, false}, [](const CpuInfo& c) { return c.isIntel() && c.amxTile; }},
    // Other AVX-512 CPUs (Skylake-SP to Ice Lake): 1-2 MiB L2.
    {{"avx512", 0.5, 0.6, 512, false}, [](const CpuInfo& c) { return c.avx512f; }},
    // AVX2 desktops and laptops: 256-512 KiB L2.
    {{"avx2", 0.5, 0.75, 256, true}, [](const CpuInfo& c) { return c.avx2; }},
    {{"generic", 0.5, 0.75, 256, true}, [](const CpuInfo&) { return true; }},
};

}  // namespace

const CpuTuning& cpuTuning() {
  static const CpuTuning* row = [] {
    const CpuInfo& info = cpuInfo();
    for (const TuningRow& r : kTable)
      if (r.matches(info)) return &r.tuning;
    return &kTable[sizeof(kTable) / sizeof(kTable[0]) - 1].tuning;
  }();
  return *row;
}

int64_t gemmPackBudgetBytes() {
  return static_cast<int64_t>(cpuTuning().gemmL2Share * static_cast<double>(cpuInfo().l2));
}

int64_t winogradScratchBudgetBytes() {
  return static_cast<int64_t>(cpuTuning().winogradL2Share * static_cast<double>(cpuInfo().l2));
}

}  // namespace alexnet
