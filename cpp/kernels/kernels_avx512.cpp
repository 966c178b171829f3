// AVX-512 build of the kernels: register-tiled micro-kernels in intrinsics; the only file compiled with -mavx512f/bw/dq/vl (see CMakeLists.txt).
//
// Why intrinsics: the portable body auto-vectorised with these flags reached about 25-40 GFLOP/s
// per thread on float32 (d = 128, k = 256), against about 90 for OpenBLAS SGEMM of the same shape
// on the same core. A GEMM-style micro-kernel needs the MR x NR accumulators held in registers
// over the whole of d, which GCC does not do from the portable loops.
#include <immintrin.h>

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
  static unsigned lt(V a, V b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
};

/// MR rows x NR = 2 registers of centers. 2 * MR accumulators + 2 center loads + 1 broadcast must
/// fit the 32 zmm registers: MR <= 14.
template <class S, int MR>
struct Micro {
  using T = typename S::T;
  using V = typename S::V;
  static constexpr index_t kRows = MR;
  static constexpr index_t kCenters = 2 * S::kLanes;

  static void tile(const T* xp, index_t d, const T* cp, const T* norms, index_t c0, index_t rows,
                   T* best, index_t* labels) {
    V acc0[MR], acc1[MR];
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      acc0[r] = S::zero();
      acc1[r] = S::zero();
    }
    for (index_t j = 0; j < d; ++j) {
      const V b0 = S::load(cp);
      const V b1 = S::load(cp + S::kLanes);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) {
        const V xr = S::set1(xp[r]);
        acc0[r] = S::fmadd(xr, b0, acc0[r]);
        acc1[r] = S::fmadd(xr, b1, acc1[r]);
      }
      cp += kCenters;
      xp += MR;
    }
    // dist = ||c||^2 - 2 x.c (padding lanes: +inf). The common case, no lane below the row's best
    // so far, costs two compares; otherwise (a few tiles per row) the tile is scanned in center
    // order with strict <, exactly as the portable body does.
    const V n0 = S::load(norms);
    const V n1 = S::load(norms + S::kLanes);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      if (r >= rows) break;
      const V a = S::add(n0, acc0[r]);
      const V b = S::add(n1, acc1[r]);
      const V bv = S::set1(best[r]);
      if ((S::lt(a, bv) | S::lt(b, bv)) != 0) {
        T dist[kCenters];
        S::store(dist, a);
        S::store(dist + S::kLanes, b);
        T bb = best[r];
        index_t l = labels[r];
        for (index_t c = 0; c < kCenters; ++c) {
          if (dist[c] < bb) {
            bb = dist[c];
            l = c0 + c;
          }
        }
        best[r] = bb;
        labels[r] = l;
      }
    }
  }
};

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
                                 &avx512::nearest_center_f64};
  return table;
}

}  // namespace coresample
