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
  static unsigned eq(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_EQ_OQ)));
  }
  static V min(V a, V b) { return _mm256_min_ps(a, b); }
  static float hmin(V a) {
    __m128 h = _mm_min_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    h = _mm_min_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_min_ss(h, _mm_shuffle_ps(h, h, 1)));
  }
  /// a where a < b, +inf elsewhere (NaN included).
  static V keep_below(V a, V b) {
    return _mm256_blendv_ps(_mm256_set1_ps(HUGE_VALF), a, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
  }
  /// Lanes 4h .. 4h+3 converted to double (h = 0, 1).
  static __m256d to_double(V a, int h) {
    return _mm256_cvtps_pd(h == 0 ? _mm256_castps256_ps128(a) : _mm256_extractf128_ps(a, 1));
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
  /// Stores lanes 0 .. count-1 (1 <= count <= kLanes) and leaves the rest of memory alone.
  static void store_first(double* p, V a, index_t count) {
    _mm256_maskstore_pd(p, _mm256_cmpgt_epi64(_mm256_set1_epi64x(count), _mm256_setr_epi64x(0, 1, 2, 3)), a);
  }
  /// kLanes values of a row panel, converted to double.
  static V load_cvt(const float* p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
  static V load_cvt(const double* p) { return _mm256_loadu_pd(p); }
  static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
  static V max(V a, V b) { return _mm256_max_pd(a, b); }  // a NaN b wins
  static unsigned lt(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_LT_OQ)));
  }
  static unsigned eq(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_EQ_OQ)));
  }
  static V min(V a, V b) { return _mm256_min_pd(a, b); }
  static double hmin(V a) {
    const __m128d h = _mm_min_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_min_sd(h, _mm_unpackhi_pd(h, h)));
  }
  /// a where a < b, +inf elsewhere (NaN included).
  static V keep_below(V a, V b) {
    return _mm256_blendv_pd(_mm256_set1_pd(HUGE_VAL), a, _mm256_cmp_pd(a, b, _CMP_LT_OQ));
  }
  static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
  static unsigned gt(V a, V b) {
    return static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(a, b, _CMP_GT_OQ)));
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

/// Rows per panel NR * kLanes = 4, trials per pass up to 8: 8 accumulators + 1 converted
/// feature register + 1 broadcast fit the 16 registers.
constexpr int kTrialRowRegs = 1;
constexpr int kTrialsPerPass = 8;
#include "kernels/trials-inl.h"

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
                                 &avx2::row_norms_f32, &avx2::row_norms_f64,
                                 &avx2::trial_distances_f32, &avx2::trial_distances_f64,
                                 &avx2::trial_distances_screened_f32,
                                 &avx2::add_rows_f32, &avx2::add_rows_f64,
                                 &avx2::key_filter};
  return table;
}

}  // namespace coresample
