







// k-means++'s trial distances (KernelTable::trial_distances), written once for the SIMD levels.
//
// Included by kernels_avx2.cpp and kernels_avx512.cpp inside their own ISA namespace, after they
// define the double register type D (V, kLanes, zero, load, store, store_first, set1, fmadd,
// add, sub, max, load_cvt) and pack_panel<MR>(x, d, rows, work), the transposed row panel of
// kernels-inl.h's pack_rows. It includes nothing itself, so it compiles under the including
// file's ISA flags only.
//
// Layout: the lanes are rows. A panel of MR = NR * kLanes rows is packed transposed (one feature
// of all its rows side by side, in the input type), each feature is converted to double once and
// fused with every trial's broadcast coordinate: J trials x NR registers of independent FMA
// chains, no horizontal sums, and each trial's distances come out as contiguous rows of its
// column. This is the dot-product form (one FMA per feature and trial); the earlier difference
// form, (x - p)^2 in 16 partial sums per trial, needed two operations and a horizontal sum.

/// FusedMadd: the row norms' multiply-add at this level, one FMA, as D::fmadd in the trials.
struct FusedMadd {
  static double apply(double a, double b, double c) { return __builtin_fma(a, b, c); }
};

/// J trials (pt: the transposed points, row f at pt + f * L) against one packed panel xp of MR
/// rows; writes the first `rows` distances of each trial's column.
template <class D, int NR, int J, class T>
inline void trial_tile(const T* xp, index_t d, const double* pt, index_t L, const double* xn,
                       const double* pn, index_t rows, double* out, index_t stride,
                       const char* next, index_t next_bytes) {
  using V = typename D::V;
  constexpr index_t MR = NR * D::kLanes;
  V acc[J][NR];
#pragma GCC unroll 16
  for (int j = 0; j < J; ++j)
#pragma GCC unroll 2
    for (int q = 0; q < NR; ++q) acc[j][q] = D::zero();
  for (index_t f = 0; f < d; ++f) {
    // A later panel's rows are fetched while these FMAs run (X streams from memory).
    const index_t ahead = f * 128;
    if (ahead < next_bytes) {
      __builtin_prefetch(next + ahead, 0, 2);  // into L2
      __builtin_prefetch(next + ahead + 64, 0, 2);
    }
    V x[NR];
#pragma GCC unroll 2
    for (int q = 0; q < NR; ++q) x[q] = D::load_cvt(xp + f * MR + q * D::kLanes);
    const double* p = pt + f * L;
#pragma GCC unroll 16
    for (int j = 0; j < J; ++j) {
      const V b = D::set1(p[j]);
#pragma GCC unroll 2
      for (int q = 0; q < NR; ++q) acc[j][q] = D::fmadd(x[q], b, acc[j][q]);
    }
  }
  V xnv[NR];
#pragma GCC unroll 2
  for (int q = 0; q < NR; ++q) xnv[q] = D::load(xn + q * D::kLanes);
#pragma GCC unroll 16
  for (int j = 0; j < J; ++j) {
    const V pj = D::set1(pn[j]);
#pragma GCC unroll 2
    for (int q = 0; q < NR; ++q) {
      const V s = D::sub(D::add(xnv[q], pj), D::add(acc[j][q], acc[j][q]));
      const V d2 = D::max(D::zero(), s);  // max(0, NaN) keeps the NaN
      const index_t r0 = q * D::kLanes;
      if (rows >= r0 + D::kLanes) {
        D::store(out + j * stride + r0, d2);
      } else if (rows > r0) {
        D::store_first(out + j * stride + r0, d2, rows - r0);
      }
    }
  }
}

/// Calls trial_tile with the compile-time trial count J = L - j0 clipped to kMaxJ.
template <class D, int NR, int kMaxJ, class T>
inline void trial_tiles(const T* xp, index_t d, const double* pt, index_t L, const double* xn,
                        const double* pn, index_t rows, double* out, index_t stride,
                        const char* next, index_t next_bytes) {
  static_assert(kMaxJ <= 16, "at most 16 trials per pass");
  for (index_t j0 = 0; j0 < L; j0 += kMaxJ) {
    const index_t J = L - j0 < kMaxJ ? L - j0 : kMaxJ;
    const double* p = pt + j0;
    double* o = out + j0 * stride;
    switch (J) {
#define CORESAMPLE_TRIALS_CASE(W)                                                            \
  case W:                                                                                    \
    if (W <= kMaxJ)                                                                          \
      trial_tile<D, NR, (W <= kMaxJ ? W : 1)>(xp, d, p, L, xn, pn + j0, rows, o, stride, next, \
                                              next_bytes);                                   \
    break;
      CORESAMPLE_TRIALS_CASE(1) CORESAMPLE_TRIALS_CASE(2) CORESAMPLE_TRIALS_CASE(3)
      CORESAMPLE_TRIALS_CASE(4) CORESAMPLE_TRIALS_CASE(5) CORESAMPLE_TRIALS_CASE(6)
      CORESAMPLE_TRIALS_CASE(7) CORESAMPLE_TRIALS_CASE(8) CORESAMPLE_TRIALS_CASE(9)
      CORESAMPLE_TRIALS_CASE(10) CORESAMPLE_TRIALS_CASE(11) CORESAMPLE_TRIALS_CASE(12)
      CORESAMPLE_TRIALS_CASE(13) CORESAMPLE_TRIALS_CASE(14) CORESAMPLE_TRIALS_CASE(15)
      CORESAMPLE_TRIALS_CASE(16)
#undef CORESAMPLE_TRIALS_CASE
      default:
        break;
    }
  }
}

/// Panels ahead whose rows a tile prefetches (into L2). X streams from memory once per k-means++
/// step; on n = 200000, d = 128, float32, k = 200, 2 threads (ms per center, two runs each): no
/// prefetch 9.5-11.3, the next panel 8.0-8.8, 4 panels ahead 6.8-7.9, 8 ahead 8.0.
constexpr index_t kPrefetchPanels = 4;

/// See KernelTable::trial_distances in kernels.h: rows MR = NR * kLanes at a time, trials in
/// passes of at most kMaxJ (the register file holds kMaxJ * NR accumulators).
template <class D, int NR, int kMaxJ, class T>
void trial_distances_tiled(const T* x, index_t m, index_t d, const double* x_norms,
                           const double* points_t, const double* p_norms, index_t L, double* out,
                           index_t stride, T* work) {
  constexpr index_t MR = NR * D::kLanes;
  static_assert(MR <= kMaxPanelRows, "the caller's workspace holds kMaxPanelRows rows");
  double xn[MR];
  for (index_t r0 = 0; r0 < m; r0 += MR) {
    const index_t rows = m - r0 < MR ? m - r0 : MR;
    pack_panel<MR>(x + r0 * d, d, rows, work);
    for (index_t r = 0; r < MR; ++r) xn[r] = r < rows ? x_norms[r0 + r] : 0.0;
    const index_t ahead_r = r0 + rows + (kPrefetchPanels - 1) * MR;
    const index_t next_rows = ahead_r >= m ? 0 : (m - ahead_r < MR ? m - ahead_r : MR);
    const char* next = reinterpret_cast<const char*>(x + (ahead_r < m ? ahead_r : 0) * d);
    trial_tiles<D, NR, kMaxJ>(work, d, points_t, L, xn, p_norms, rows, out + r0, stride, next,
                              next_rows * d * static_cast<index_t>(sizeof(T)));
  }
}
