// Compiler and C-runtime portability: the GCC/clang builtins the core uses, spelled for MSVC too.
//
// Under GCC and clang (Linux, macOS, MinGW) every macro expands to the builtin the code used
// before, so the generated code there is unchanged. The kernel files are compiled with different
// ISA flags and must not share inline functions (see kernels/kernels-inl.h), so the helpers are
// macros or `static inline` functions (internal linkage: one copy per file, never merged by the
// linker across ISA levels). +inf is spelled HUGE_VAL (<cmath>): __builtin_huge_val() in glibc,
// +inf in the UCRT.
#pragma once

#include <cstddef>
#include <cstdlib>

/// x86 (32 or 64 bit) in any compiler's spelling.
#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define CORESAMPLE_ARCH_X86 1
#endif

/// cl.exe takes the MSVC spellings below; GCC and clang (clang-cl too) the builtins. Defining
/// CORESAMPLE_TEST_MSVC_SPELLINGS makes MinGW clang take the MSVC spellings as well, so that
/// .ci/windows-compile-check can compile them without MSVC: MinGW's <intrin.h> declares the same
/// intrinsics. Never defined in a build.
#if (defined(_MSC_VER) && !defined(__clang__)) || defined(CORESAMPLE_TEST_MSVC_SPELLINGS)
#define CORESAMPLE_MSVC_SPELLINGS 1
#endif

#if defined(_WIN32)
#include <malloc.h>  // _aligned_malloc, _aligned_free
#endif
#if defined(CORESAMPLE_MSVC_SPELLINGS)
#include <intrin.h>  // _BitScanForward, _mm_prefetch
#endif

namespace coresample {

/// Aligned blocks for Buffer (sampling.cpp). The UCRT behind MSVC and MinGW has no
/// std::aligned_alloc, only _aligned_malloc, whose blocks must be released by _aligned_free, not
/// free(); so every block goes through this pair. Elsewhere an alignment malloc already gives
/// stays plain malloc.
static inline void* aligned_malloc(std::size_t alignment, std::size_t bytes) {
#if defined(_WIN32)
  return _aligned_malloc(bytes, alignment);
#else
  return alignment <= alignof(std::max_align_t) ? std::malloc(bytes)
                                                : std::aligned_alloc(alignment, bytes);
#endif
}

static inline void aligned_free(void* p) {
#if defined(_WIN32)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

#if defined(CORESAMPLE_MSVC_SPELLINGS)
/// Index of the lowest set bit of x != 0 (__builtin_ctz).
static inline int msvc_ctz(unsigned x) {
  unsigned long i = 0;
  _BitScanForward(&i, x);
  return static_cast<int>(i);
}
#endif

}  // namespace coresample

#if defined(CORESAMPLE_MSVC_SPELLINGS)

#include <cmath>
#if defined(CORESAMPLE_ARCH_X86)
#define CORESAMPLE_PREFETCH(p) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0)
#define CORESAMPLE_PREFETCH_L2(p) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T1)
#else
#define CORESAMPLE_PREFETCH(p) ((void)(p))
#define CORESAMPLE_PREFETCH_L2(p) ((void)(p))
#endif
// The CRT's fma is exact; under /arch:AVX2 and up MSVC may emit the instruction for it.
#define CORESAMPLE_FMA(a, b, c) std::fma((a), (b), (c))
#define CORESAMPLE_CTZ(x) ::coresample::msvc_ctz(x)
// MSVC has no unroll pragma (and warns C4068 on GCC's); its own heuristics decide.
#define CORESAMPLE_UNROLL(n)

#elif defined(__GNUC__) || defined(__clang__)

/// Prefetch for reading into all cache levels / into L2 only (hints, no effect on results).
#define CORESAMPLE_PREFETCH(p) __builtin_prefetch(p)
#define CORESAMPLE_PREFETCH_L2(p) __builtin_prefetch((p), 0, 2)
/// Exactly rounded a * b + c (one FMA instruction where the ISA has it, libm's fma otherwise).
/// Not std::fma: kernels-inl.h bodies call no std:: functions.
#define CORESAMPLE_FMA(a, b, c) __builtin_fma((a), (b), (c))
/// Index of the lowest set bit of an unsigned x != 0.
#define CORESAMPLE_CTZ(x) __builtin_ctz(x)
/// Loop unrolling hint for the loop that follows.
#define CORESAMPLE_PRAGMA(x) _Pragma(#x)
#define CORESAMPLE_UNROLL(n) CORESAMPLE_PRAGMA(GCC unroll n)

#else
#error "coresample: unknown compiler; add its spellings to cpp/portable.h"
#endif
