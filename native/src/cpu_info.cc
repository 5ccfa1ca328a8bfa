#include "cpu_info.h"

#include "arch.h"

#if ALEXNET_X86
#include <cpuid.h>
#endif

#include <cstring>

namespace alexnet {

namespace {

#if ALEXNET_X86
struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

uint64_t xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

bool bit(unsigned value, int n) { return ((value >> n) & 1u) != 0; }

// Deterministic cache parameters (Intel leaf 4, AMD leaf 0x8000001D: the same
// layout). Fills l1d / l2 / l3 from the data and unified caches it lists.
void readCaches(unsigned leaf, CpuInfo* info) {
  for (unsigned sub = 0; sub < 16; ++sub) {
    Regs r = cpuid(leaf, sub);
    const unsigned type = r.a & 0x1F;  // 0 none, 1 data, 2 instruction, 3 unified
    if (type == 0) break;
    if (type == 2) continue;
    const unsigned level = (r.a >> 5) & 0x7;
    const int64_t ways = ((r.b >> 22) & 0x3FF) + 1;
    const int64_t partitions = ((r.b >> 12) & 0x3FF) + 1;
    const int64_t line = (r.b & 0xFFF) + 1;
    const int64_t sets = static_cast<int64_t>(r.c) + 1;
    const int64_t bytes = ways * partitions * line * sets;
    if (level == 1)
      info->l1d = bytes;
    else if (level == 2)
      info->l2 = bytes;
    else if (level == 3)
      info->l3 = bytes;
  }
}

CpuInfo readCpuInfo() {
  CpuInfo info;
  Regs v = cpuid(0);
  const unsigned maxLeaf = v.a;
  char vendor[13];
  std::memcpy(vendor, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  vendor[12] = '\0';
  info.vendor = vendor;

  Regs f = cpuid(1);
  const int baseFamily = (f.a >> 8) & 0xF, baseModel = (f.a >> 4) & 0xF;
  const int extFamily = (f.a >> 20) & 0xFF, extModel = (f.a >> 16) & 0xF;
  info.family = baseFamily == 0xF ? baseFamily + extFamily : baseFamily;
  info.model = (baseFamily == 0x6 || baseFamily == 0xF) ? (extModel << 4) + baseModel : baseModel;
  info.stepping = f.a & 0xF;
  info.fma = bit(f.c, 12);
  const bool osxsave = bit(f.c, 27);
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool osAvx = (xcr0 & 0x6) == 0x6;
  info.osAvx512 = osAvx && (xcr0 & 0xE0) == 0xE0;
  info.osAmx = (xcr0 & 0x60000) == 0x60000;

  if (maxLeaf >= 7) {
    Regs s = cpuid(7, 0);
    info.avx2 = osAvx && bit(s.b, 5);
    info.avx512f = info.osAvx512 && bit(s.b, 16);
    info.avx512dq = info.osAvx512 && bit(s.b, 17);
    info.avx512bw = info.osAvx512 && bit(s.b, 30);
    info.avx512vl = info.osAvx512 && bit(s.b, 31);
    info.avx512vnni = info.osAvx512 && bit(s.c, 11);
    info.amxBf16 = info.osAmx && bit(s.d, 22);
    info.amxTile = info.osAmx && bit(s.d, 24);
    info.amxInt8 = info.osAmx && bit(s.d, 25);
    if (s.a >= 1) info.avx512bf16 = info.osAvx512 && bit(cpuid(7, 1).a, 5);
  }
  if (!osAvx) info.fma = false;

  Regs ext = cpuid(0x80000000);
  if (ext.a >= 0x80000004) {
    char brand[49];
    for (unsigned i = 0; i < 3; ++i) {
      Regs b = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &b.a, 4);
      std::memcpy(brand + 16 * i + 4, &b.b, 4);
      std::memcpy(brand + 16 * i + 8, &b.c, 4);
      std::memcpy(brand + 16 * i + 12, &b.d, 4);
    }
    brand[48] = '\0';
    std::string s = brand;
    const size_t first = s.find_first_not_of(' ');
    const size_t last = s.find_last_not_of(" \0");
    info.brand = first == std::string::npos ? "" : s.substr(first, last - first + 1);
  }
  if (info.isAmd() && ext.a >= 0x8000001D)
    readCaches(0x8000001D, &info);
  else if (maxLeaf >= 4)
    readCaches(4, &info);
  return info;
}
#else
CpuInfo readCpuInfo() { return CpuInfo(); }
#endif

}  // namespace

std::string CpuInfo::describe() const {
  std::string who = isAmd() ? "AMD" : isIntel() ? "Intel" : vendor.empty() ? "unknown" : vendor;
  return who + " family " + std::to_string(family) + " model " + std::to_string(model);
}

std::vector<std::string> CpuInfo::featureNames() const {
  std::vector<std::string> names;
  const std::pair<const char*, bool> flags[] = {
      {"avx2", avx2},         {"fma", fma},           {"avx512f", avx512f},        {"avx512bw", avx512bw},
      {"avx512vl", avx512vl}, {"avx512dq", avx512dq}, {"avx512_vnni", avx512vnni}, {"avx512_bf16", avx512bf16},
      {"amx_tile", amxTile},  {"amx_bf16", amxBf16},  {"amx_int8", amxInt8},
  };
  for (const auto& f : flags)
    if (f.second) names.emplace_back(f.first);
  return names;
}

const CpuInfo& cpuInfo() {
  static const CpuInfo info = readCpuInfo();
  return info;
}

}  // namespace alexnet
