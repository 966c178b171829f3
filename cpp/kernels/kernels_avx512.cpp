// AVX-512 build of the kernels: register-tiled micro-kernels in intrinsics; the only file compiled with -mavx512f/bw/dq/vl (see CMakeLists.txt).
//
// Why intrinsics: the portable body auto-vectorised with AVX2 flags reached 27 GFLOP/s on float32
// (n = 200000, d = 128, k = 256, 1 thread) against 71 for numpy's X @ C.T in the same run; GCC does
// not keep an MR x NR block of accumulators in registers over the whole of d from portable loops.
// This micro-kernel reaches 0.9-1.0x numpy on that shape and on d = 768, k = 1024 (1 and 2
// threads, float32; float64 above numpy).
//
// GCC 12's AVX-512 headers trip -Wmaybe-uninitialized on their own `__Y = __Y` placeholders
// (_mm512_undefined_*, GCC bug 105593, fixed in GCC 13); silence it for the header's lines only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#define CORESAMPLE_KERNEL_NS avx512
#include "kernels/kernels-inl.h"

namespace coresample {
namespace avx512 {
namespace {

/// One 512-bit register of float (16 lanes) or double (8 lanes) and the few operations we use.
struct F32 {
  using T = float;
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static void store(float* p, V a) { _mm512_storeu_ps(p, a); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V set1(float v) { return _mm512_set1_ps(v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static unsigned lt(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static unsigned eq(V a, V b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
  static V min(V a, V b) { return _mm512_min_ps(a, b); }
  static float hmin(V a) { return _mm512_reduce_min_ps(a); }
  /// a where a < b, +inf elsewhere (NaN included).
  static V keep_below(V a, V b) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), _mm512_set1_ps(HUGE_VALF), a);
  }
  /// Lanes 8h .. 8h+7 converted to double (h = 0, 1).
  static __m512d to_double(V a, int h) {
    return _mm512_cvtps_pd(h == 0 ? _mm512_castps512_ps256(a) : _mm512_extractf32x8_ps(a, 1));
  }
};

struct F64 {
  using T = double;
  using V = __m512d;
  static constexpr int kLanes = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static void store(double* p, V a) { _mm512_storeu_pd(p, a); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static V set1(double v) { return _mm512_set1_pd(v); }
  static V fmadd(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  /// Stores lanes 0 .. count-1 (1 <= count <= kLanes) and leaves the rest of memory alone.
  static void store_first(double* p, V a, index_t count) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << count) - 1), a);
  }
  /// kLanes values of a row panel, converted to double.
  static V load_cvt(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
  static V load_cvt(const double* p) { return _mm512_loadu_pd(p); }
  static V sub(V a, V b) { return _mm512_sub_pd(a, b); }
  static V max(V a, V b) { return _mm512_max_pd(a, b); }  // a NaN b wins
  static unsigned lt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  static unsigned eq(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_EQ_OQ); }
  static V min(V a, V b) { return _mm512_min_pd(a, b); }
  static double hmin(V a) { return _mm512_reduce_min_pd(a); }
  /// a where a < b, +inf elsewhere (NaN included).
  static V keep_below(V a, V b) {
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(a, b, _CMP_LT_OQ), _mm512_set1_pd(HUGE_VAL), a);
  }
  static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  static unsigned gt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
};

/// 4 x 4 transpose of 128-bit lanes: x[i] lane l -> x[l] lane i (shuffle_f32x4 / f64x2 move whole
/// 128-bit lanes; the two forms share their immediates).
inline void transpose_lanes_ps(__m512& x0, __m512& x1, __m512& x2, __m512& x3) {
  const __m512 y0 = _mm512_shuffle_f32x4(x0, x1, 0x44);  // x0.l0 x0.l1 x1.l0 x1.l1
  const __m512 y1 = _mm512_shuffle_f32x4(x0, x1, 0xEE);  // x0.l2 x0.l3 x1.l2 x1.l3
  const __m512 y2 = _mm512_shuffle_f32x4(x2, x3, 0x44);
  const __m512 y3 = _mm512_shuffle_f32x4(x2, x3, 0xEE);
  x0 = _mm512_shuffle_f32x4(y0, y2, 0x88);  // x0.l0 x1.l0 x2.l0 x3.l0
  x1 = _mm512_shuffle_f32x4(y0, y2, 0xDD);  // x0.l1 x1.l1 x2.l1 x3.l1
  x2 = _mm512_shuffle_f32x4(y1, y3, 0x88);
  x3 = _mm512_shuffle_f32x4(y1, y3, 0xDD);
}

inline void transpose_lanes_pd(__m512d& x0, __m512d& x1, __m512d& x2, __m512d& x3) {
  const __m512d y0 = _mm512_shuffle_f64x2(x0, x1, 0x44);
  const __m512d y1 = _mm512_shuffle_f64x2(x0, x1, 0xEE);
  const __m512d y2 = _mm512_shuffle_f64x2(x2, x3, 0x44);
  const __m512d y3 = _mm512_shuffle_f64x2(x2, x3, 0xEE);
  x0 = _mm512_shuffle_f64x2(y0, y2, 0x88);
  x1 = _mm512_shuffle_f64x2(y0, y2, 0xDD);
  x2 = _mm512_shuffle_f64x2(y1, y3, 0x88);
  x3 = _mm512_shuffle_f64x2(y1, y3, 0xDD);
}

/// In-register transpose of a 16 x 16 float block: r[i] lane c -> o[c] lane i.
inline void transpose16(const __m512 r[16], __m512 o[16]) {
  __m512 a[16], b[16];
  for (int i = 0; i < 8; ++i) {  // a[2i] = r2i[4l] r2i+1[4l] r2i[4l+1] r2i+1[4l+1] per lane l
    a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // b[4i+q] lane l = rows 4i..4i+3 of column 4l+q
    b[4 * i + 0] = _mm512_shuffle_ps(a[4 * i], a[4 * i + 2], 0x44);
    b[4 * i + 1] = _mm512_shuffle_ps(a[4 * i], a[4 * i + 2], 0xEE);
    b[4 * i + 2] = _mm512_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0x44);
    b[4 * i + 3] = _mm512_shuffle_ps(a[4 * i + 1], a[4 * i + 3], 0xEE);
  }
  for (int q = 0; q < 4; ++q) {  // o[4l+q] lane i = b[4i+q] lane l
    transpose_lanes_ps(b[q], b[4 + q], b[8 + q], b[12 + q]);
    o[q] = b[q];
    o[4 + q] = b[4 + q];
    o[8 + q] = b[8 + q];
    o[12 + q] = b[12 + q];
  }
}

/// In-register transpose of an 8 x 8 double block: r[i] lane c -> o[c] lane i.
inline void transpose8(const __m512d r[8], __m512d o[8]) {
  __m512d a[8];
  for (int i = 0; i < 4; ++i) {  // a[2i+q] lane l = rows 2i, 2i+1 of column 2l+q
    a[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
  }
  for (int q = 0; q < 2; ++q) {  // o[2l+q] lane pair i = a[2i+q] lane l
    transpose_lanes_pd(a[q], a[2 + q], a[4 + q], a[6 + q]);
    o[q] = a[q];
    o[2 + q] = a[2 + q];
    o[4 + q] = a[4 + q];
    o[6 + q] = a[6 + q];
  }
}

/// pack_rows<float, MR> for 8 < MR <= 16 with 16 x 16 in-register transposes: about 4x fewer
/// instructions than the element-by-element copy, which cost ~10% of the pass at d = 128.
template <index_t MR>
inline void pack_panel(const float* x, index_t d, index_t rows, float* work) {
  static_assert(MR > 8 && MR <= 16, "one 16-lane register per column");
  constexpr __mmask16 kStore = static_cast<__mmask16>((1u << MR) - 1);
  __m512 r[16], o[16];
  for (index_t j = 0; j < d; j += 16) {
    const index_t cols = d - j < 16 ? d - j : 16;
    const __mmask16 load = static_cast<__mmask16>((1u << cols) - 1);
    for (index_t i = 0; i < 16; ++i) {
      r[i] = i < rows ? _mm512_maskz_loadu_ps(load, x + i * d + j) : _mm512_setzero_ps();
    }
    transpose16(r, o);
    for (index_t c = 0; c < cols; ++c) _mm512_mask_storeu_ps(work + (j + c) * MR, kStore, o[c]);
  }
}

/// pack_rows<double, MR> for 8 < MR <= 16: two 8 x 8 transposes (rows 0-7 and 8-15) per 8 columns.
template <index_t MR>
inline void pack_panel(const double* x, index_t d, index_t rows, double* work) {
  static_assert(MR > 8 && MR <= 16, "two 8-lane registers per column");
  constexpr __mmask8 kStoreHi = static_cast<__mmask8>((1u << (MR - 8)) - 1);
  __m512d r[8], o[8];
  for (index_t j = 0; j < d; j += 8) {
    const index_t cols = d - j < 8 ? d - j : 8;
    const __mmask8 load = static_cast<__mmask8>((1u << cols) - 1);
    for (index_t half = 0; half < 2; ++half) {
      for (index_t i = 0; i < 8; ++i) {
        const index_t row = half * 8 + i;
        r[i] = row < rows ? _mm512_maskz_loadu_pd(load, x + row * d + j) : _mm512_setzero_pd();
      }
      transpose8(r, o);
      const __mmask8 store = half == 0 ? static_cast<__mmask8>(0xFF) : kStoreHi;
      for (index_t c = 0; c < cols; ++c) {
        _mm512_mask_storeu_pd(work + (j + c) * MR + half * 8, store, o[c]);
      }
    }
  }
}

#include "kernels/micro-inl.h"

/// Rows per panel NR * kLanes = 16, trials per pass up to 8: 16 accumulators + 2 converted
/// feature registers + 1 broadcast fit the 32 registers.
constexpr int kTrialRowRegs = 2;
constexpr int kTrialsPerPass = 8;
#include "kernels/trials-inl.h"

using MicroF32 = Micro<F32, 14>;
using MicroF64 = Micro<F64, 14>;

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
}  // namespace avx512

const KernelTable& kernel_table_avx512() {
  static const KernelTable table{SimdLevel::kAvx512, avx512::MicroF32::kCenters,
                                 avx512::MicroF64::kCenters, &avx512::nearest_center_f32,
                                 &avx512::nearest_center_f64,
                                 &avx512::row_norms_f32, &avx512::row_norms_f64,
                                 &avx512::trial_distances_f32, &avx512::trial_distances_f64,
                                 &avx512::trial_distances_screened_f32,
                                 &avx512::add_rows_f32, &avx512::add_rows_f64,
                                 &avx512::key_filter};
  return table;
}

}  // namespace coresample
