// AVX2 + FMA build of the kernels: register-tiled micro-kernels in intrinsics; the only file compiled with -mavx2 -mfma (see CMakeLists.txt).
//
// Why intrinsics: the portable body auto-vectorised with these flags reached 27 GFLOP/s on float32
// and 3 on float64 (n = 200000, d = 128, k = 256, 1 thread); the 6 x 16 (float) or 6 x 8 (double)
// micro-kernel below keeps its accumulators in registers over the whole of d and matches OpenBLAS's
// own AVX2 kernels (OPENBLAS_CORETYPE=Haswell) on that shape: 0.97x float32, 1.09x float64.
#include <immintrin.h>

#define CORESAMPLE_KERNEL_NS avx2
#include "kernels/kernels-inl.h"

namespace coresample {
namespace avx2 {
namespace {

/// One 256-bit register of float (8 lanes) or double (4 lanes) and the few operations we use.
struct F32 {
  using T = float;
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static void store(float* p, V a) { _mm256_storeu_ps(p, a); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V set1(float v) { return _mm256_set1_ps(v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static unsigned lt(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_LT_OQ)));
  }
};

struct F64 {
  using T = double;
  using V = __m256d;
  static constexpr int kLanes = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static void store(double* p, V a) { _mm256_storeu_pd(p, a); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static V set1(double v) { return _mm256_set1_pd(v); }
  static V fmadd(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static unsigned lt(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_LT_OQ)));
  }
};

/// The portable row packing; AVX-512 transposes in registers instead.
template <index_t MR>
inline void pack_panel(const float* x, index_t d, index_t rows, float* work) {
  pack_rows<float, MR>(x, d, rows, work);
}

template <index_t MR>
inline void pack_panel(const double* x, index_t d, index_t rows, double* work) {
  pack_rows<double, MR>(x, d, rows, work);
}

#include "kernels/micro-inl.h"

using MicroF32 = Micro<F32, 6>;
using MicroF64 = Micro<F64, 6>;

void nearest_center_f32(const float* x, index_t m, index_t d, const float* packed,
                        const float* norms, index_t k, float* best, index_t* labels,
                        float* work) {
  nearest_center_tiled<MicroF32>(x, m, d, packed, norms, k, best, labels, work);
}

void nearest_center_f64(const double* x, index_t m, index_t d, const double* packed,
                        const double* norms, index_t k, double* best, index_t* labels,
                        double* work) {
  nearest_center_tiled<MicroF64>(x, m, d, packed, norms, k, best, labels, work);
}

}  // namespace
}  // namespace avx2

const KernelTable& kernel_table_avx2() {
  static const KernelTable table{SimdLevel::kAvx2, avx2::MicroF32::kCenters,
                                 avx2::MicroF64::kCenters, &avx2::nearest_center_f32,
                                 &avx2::nearest_center_f64,
                                 &avx2::squared_distances_f32, &avx2::squared_distances_f64,
                                 &avx2::add_rows_f32, &avx2::add_rows_f64,
                                 &avx2::key_filter};
  return table;
}

}  // namespace coresample
