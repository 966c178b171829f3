// The register-tiled nearest-center micro-kernel, written once for the SIMD levels.
//
// Included by kernels_avx2.cpp and kernels_avx512.cpp inside their own ISA namespace, after they
// define the register type S (T, V, kLanes, zero, load, store, set1, fmadd, add, lt, eq, min,
// hmin, keep_below) and
// pack_panel<MR>(x, d, rows, work), the row-panel packing of kernels-inl.h's pack_rows. It
// includes nothing itself, so it compiles under the including file's ISA flags only.

/// MR rows x NR = 2 registers of centers: 2 * MR accumulators + 2 center loads + 1 broadcast
/// must fit the register file (16 ymm: MR <= 6; 32 zmm: MR <= 14).
template <class S, int MR>
struct Micro {
  using T = typename S::T;
  using V = typename S::V;
  static constexpr index_t kRows = MR;
  static constexpr index_t kCenters = 2 * S::kLanes;

  static void pack(const T* x, index_t d, index_t rows, T* work) {
    pack_panel<MR>(x, d, rows, work);
  }

  static void tile(const T* xp, index_t d, const T* cp, const T* norms, index_t c0, index_t rows,
                   T* best, index_t* labels) {
    V acc0[MR], acc1[MR];
    CORESAMPLE_UNROLL(16)
    for (int r = 0; r < MR; ++r) {
      acc0[r] = S::zero();
      acc1[r] = S::zero();
    }
    for (index_t j = 0; j < d; ++j) {
      const V b0 = S::load(cp);
      const V b1 = S::load(cp + S::kLanes);
      CORESAMPLE_UNROLL(16)
      for (int r = 0; r < MR; ++r) {
        const V xr = S::set1(xp[r]);
        acc0[r] = S::fmadd(xr, b0, acc0[r]);
        acc1[r] = S::fmadd(xr, b1, acc1[r]);
      }
      cp += kCenters;
      xp += MR;
    }
    // dist = ||c||^2 - 2 x.c (padding lanes: +inf). The common case, no lane below the row's best
    // so far, costs two compares. Otherwise the winner is the first lane holding the smallest value
    // among the lanes below it (NaN never is), which is what the portable body's scan in center
    // order with strict < finds; found by a vector minimum and one equality mask, since for a small
    // k every row's first tile takes this path and a scalar scan of its lanes cost most of the pass
    // (k = 8: 70%).
    const V n0 = S::load(norms);
    const V n1 = S::load(norms + S::kLanes);
    CORESAMPLE_UNROLL(16)
    for (int r = 0; r < MR; ++r) {
      if (r >= rows) break;
      const V a = S::add(n0, acc0[r]);
      const V b = S::add(n1, acc1[r]);
      const V bv = S::set1(best[r]);
      if ((S::lt(a, bv) | S::lt(b, bv)) != 0) {
        const V am = S::keep_below(a, bv);  // lanes not below best: +inf
        const V bm = S::keep_below(b, bv);
        const T m = S::hmin(S::min(am, bm));
        const V mv = S::set1(m);
        const std::uint32_t at = S::eq(am, mv) | (S::eq(bm, mv) << S::kLanes);
        best[r] = m;
        labels[r] = c0 + CORESAMPLE_CTZ(at);
      }
    }
  }
};

