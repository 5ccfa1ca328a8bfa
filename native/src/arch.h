// Whether the x86 SIMD kernels (AVX2+FMA, AVX-512) are compiled in. They are
// on x86 unless ALEXNET_NO_X86_KERNELS is defined, which builds the portable
// code alone (as on other architectures; also how that build is checked here).
#pragma once

#if (defined(__x86_64__) || defined(__i386__)) && !defined(ALEXNET_NO_X86_KERNELS)
#define ALEXNET_X86 1
#else
#define ALEXNET_X86 0
#endif
