// Picks the kernel table once: CPU and OS checks, the CORESAMPLE_SIMD override, and level names.
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace coresample {

namespace {

#ifdef CORESAMPLE_HAVE_AVX2
// AVX2 and FMA in cpuid, and the OS saves the YMM state (OSXSAVE set and XCR0 bits 1-2, SSE and
// AVX state, enabled). GCC's __builtin_cpu_supports already folds the XCR0 test in; we repeat it
// with xgetbv so that the check does not depend on the compiler's runtime.
bool cpu_has_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool osxsave = (ecx & (1u << 27)) != 0;
  const bool fma = (ecx & (1u << 12)) != 0;
  if (!osxsave || !fma) return false;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6u) != 0x6u) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const bool avx2 = (ebx & (1u << 5)) != 0;
  return avx2 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
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
  }
  return nullptr;
}

const KernelTable& kernels() {
  static const KernelTable& table = choose_table();
  return table;
}

std::vector<SimdLevel> available_simd_levels() {
  std::vector<SimdLevel> levels;
  for (SimdLevel level : {SimdLevel::kScalar, SimdLevel::kAvx2}) {
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
  return false;
}

}  // namespace coresample
