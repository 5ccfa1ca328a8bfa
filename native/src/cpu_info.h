// What the CPU is, read from CPUID once: vendor, family/model, cache sizes and
// the instruction-set extensions the kernels care about. Kernel choices and
// cache blocking come from this (see cpu_tuning.h), not from ISA flags alone:
// two AVX-512 CPUs (one 512-bit FMA pipe on Zen 4, two ports on Sapphire
// Rapids; 1 MiB or 2 MiB of L2) want different blocking.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace alexnet {

struct CpuInfo {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ... ("" off x86)
  std::string brand;   // the processor brand string
  int family = 0;      // display family (base + extended)
  int model = 0;       // display model (with the extended model where it applies)
  int stepping = 0;
  // Data cache sizes in bytes: L1d and L2 per core, L3 as one instance (shared).
  int64_t l1d = 32 * 1024;
  int64_t l2 = 1024 * 1024;
  int64_t l3 = 8 * 1024 * 1024;
  bool avx2 = false, fma = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  bool avx512bf16 = false;  // vdpbf16ps / vcvtne2ps2bf16 (Zen 4, Cooper Lake, Sapphire Rapids)
  bool amxTile = false, amxBf16 = false, amxInt8 = false;
  bool osAvx512 = false;  // the OS saves the zmm/opmask state (XCR0)
  bool osAmx = false;     // the OS knows the AMX tile state (XCR0); use still needs arch_prctl on Linux

  bool isAmd() const { return vendor == "AuthenticAMD"; }
  bool isIntel() const { return vendor == "GenuineIntel"; }
  // "Intel family 6 model 143" style description for reports.
  std::string describe() const;
  // The extension names present (cpuinfo spelling: avx512_bf16, amx_tile, ...).
  std::vector<std::string> featureNames() const;
};

const CpuInfo& cpuInfo();

}  // namespace alexnet
