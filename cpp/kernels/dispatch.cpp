// Picks the kernel table once: CPU and OS checks, the CORESAMPLE_SIMD override, and level names.
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.h"
#include "portable.h"

// x86 CPU detection: GCC/clang (Linux, macOS, MinGW) use <cpuid.h>, inline xgetbv and
// __builtin_cpu_supports; MSVC has none of them, and clang-cl would need compiler-rt linked for
// __builtin_cpu_supports, so both use the <intrin.h> intrinsics instead (see portable.h for
// CORESAMPLE_TEST_MSVC_SPELLINGS).
#if defined(CORESAMPLE_ARCH_X86) && \
    (defined(_MSC_VER) || defined(CORESAMPLE_TEST_MSVC_SPELLINGS))
#define CORESAMPLE_CPUID_MSVC 1
#include <immintrin.h>  // _xgetbv
#include <intrin.h>     // __cpuid, __cpuidex
#elif defined(CORESAMPLE_ARCH_X86)
#define CORESAMPLE_CPUID_GNU 1
#include <cpuid.h>
#endif

namespace coresample {

namespace {

#if defined(CORESAMPLE_HAVE_AVX2) || defined(CORESAMPLE_HAVE_AVX512)
// cpuid feature bits of `bits` in (leaf 1, ecx) and (leaf 7, ebx), and the OS saves every state
// component of `xcr0_bits` in XCR0 (OSXSAVE set, then xgetbv). GCC's __builtin_cpu_supports
// already folds the XCR0 test in; we repeat it with xgetbv so that the check does not depend on
// the compiler's runtime.
bool cpu_has(unsigned leaf1_ecx, unsigned leaf7_ebx, unsigned xcr0_bits) {
#if defined(CORESAMPLE_CPUID_MSVC)
  // The same tests as below; __cpuid does not check the highest leaf, so leaf 0 is read first.
  int r[4] = {0, 0, 0, 0};  // eax, ebx, ecx, edx
  __cpuid(r, 0);
  const unsigned max_leaf = static_cast<unsigned>(r[0]);
  if (max_leaf < 1) return false;
  __cpuid(r, 1);
  const unsigned ecx = static_cast<unsigned>(r[2]);
  const bool osxsave = (ecx & (1u << 27)) != 0;
  if (!osxsave || (ecx & leaf1_ecx) != leaf1_ecx) return false;
  const unsigned long long xcr0 = _xgetbv(0);
  if ((static_cast<unsigned>(xcr0) & xcr0_bits) != xcr0_bits) return false;
  if (max_leaf < 7) return false;
  __cpuidex(r, 7, 0);
  const unsigned ebx = static_cast<unsigned>(r[1]);
  return (ebx & leaf7_ebx) == leaf7_ebx;
#elif defined(CORESAMPLE_CPUID_GNU)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  if (!osxsave || (ecx & leaf1_ecx) != leaf1_ecx) return false;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & xcr0_bits) != xcr0_bits) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & leaf7_ebx) == leaf7_ebx;
#else
  (void)leaf1_ecx;
  (void)leaf7_ebx;
  (void)xcr0_bits;
  return false;
#endif
}

constexpr unsigned kLeaf1Fma = 1u << 12;
constexpr unsigned kLeaf7Avx2 = 1u << 5;
constexpr unsigned kXcr0Avx = 0x6u;  // SSE and AVX (YMM) state
#endif

#ifdef CORESAMPLE_HAVE_AVX2
// AVX2 and FMA in cpuid, and the OS saves the YMM state (XCR0 bits 1-2).
bool cpu_has_avx2() {
#if defined(CORESAMPLE_CPUID_GNU)
  return cpu_has(kLeaf1Fma, kLeaf7Avx2, kXcr0Avx) && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("fma");
#else
  return cpu_has(kLeaf1Fma, kLeaf7Avx2, kXcr0Avx);
#endif
}
#endif

#ifdef CORESAMPLE_HAVE_AVX512
// AVX-512 F, DQ, BW and VL (leaf 7 ebx bits 16, 17, 30, 31) with AVX2 and FMA, and the OS saves
// the opmask and ZMM state as well (XCR0 bits 5-7): a kernel may hide AVX-512 from a guest by
// leaving those bits clear while cpuid still reports the instructions.
bool cpu_has_avx512() {
  constexpr unsigned kLeaf7Avx512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
  constexpr unsigned kXcr0Zmm = 0xE0u;
#if defined(CORESAMPLE_CPUID_GNU)
  return cpu_has(kLeaf1Fma, kLeaf7Avx2 | kLeaf7Avx512, kXcr0Avx | kXcr0Zmm) &&
         __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return cpu_has(kLeaf1Fma, kLeaf7Avx2 | kLeaf7Avx512, kXcr0Avx | kXcr0Zmm);
#endif
}
#endif

bool level_supported(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return true;
    case SimdLevel::kAvx2:
#ifdef CORESAMPLE_HAVE_AVX2
    {
      static const bool ok = cpu_has_avx2();
      return ok;
    }
#else
      return false;
#endif
    case SimdLevel::kAvx512:
#ifdef CORESAMPLE_HAVE_AVX512
    {
      static const bool ok = cpu_has_avx512();
      return ok;
    }
#else
      return false;
#endif
  }
  return false;
}

const KernelTable& choose_table() {
  // An explicit, supported CORESAMPLE_SIMD wins; an unknown or unsupported value is ignored
  // (simd_level() then reports the level actually used).
  SimdLevel level = SimdLevel::kScalar;
  const char* env = std::getenv("CORESAMPLE_SIMD");
  if (env != nullptr && parse_simd_level(env, &level) && kernels_for(level) != nullptr) {
    return *kernels_for(level);
  }
  const std::vector<SimdLevel> levels = available_simd_levels();
  return *kernels_for(levels.back());
}

}  // namespace

const KernelTable* kernels_for(SimdLevel level) {
  if (!level_supported(level)) return nullptr;
  switch (level) {
    case SimdLevel::kScalar:
      return &kernel_table_scalar();
    case SimdLevel::kAvx2:
#ifdef CORESAMPLE_HAVE_AVX2
      return &kernel_table_avx2();
#else
      return nullptr;
#endif
    case SimdLevel::kAvx512:
#ifdef CORESAMPLE_HAVE_AVX512
      return &kernel_table_avx512();
#else
      return nullptr;
#endif
  }
  return nullptr;
}

const KernelTable& kernels() {
  static const KernelTable& table = choose_table();
  return table;
}

std::vector<SimdLevel> available_simd_levels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2, SimdLevel::kAvx512}) {
    if (kernels_for(level) != nullptr) levels.push_back(level);
  }
  return levels;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kScalar:
      return "scalar";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

bool parse_simd_level(const char* name, SimdLevel* level) {
  if (std::strcmp(name, "scalar") == 0) {
    *level = SimdLevel::kScalar;
    return true;
  }
  if (std::strcmp(name, "avx2") == 0) {
    *level = SimdLevel::kAvx2;
    return true;
  }
  if (std::strcmp(name, "avx512") == 0) {
    *level = SimdLevel::kAvx512;
    return true;
  }
  return false;
}

}  // namespace coresample
