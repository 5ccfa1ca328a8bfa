// <immintrin.h> for the SIMD kernel files, which include it through here.
// GCC 12's AVX-512 intrinsics start many results from _mm512_undefined_ps()
// and the like (`__m512 __Y = __Y;`), which -Wuninitialized and
// -Wmaybe-uninitialized flag once inlined into our kernels (GCC bug 105593,
// fixed in GCC 13). The warnings are silenced for the header's own lines
// only: everywhere else the native code builds with -Wall -Wextra -Werror.
#pragma once

#include "arch.h"

#if ALEXNET_X86
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
