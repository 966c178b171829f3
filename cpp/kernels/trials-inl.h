







// k-means++'s trial distances (KernelTable::trial_distances), written once for the SIMD levels.
//
// Included by kernels_avx2.cpp and kernels_avx512.cpp inside their own ISA namespace, after they
// define the register types F64 (V, kLanes, zero, load, store, store_first, set1, fmadd, add, sub,
// mul, max, gt, load_cvt) and F32 (the screen: also to_double), pack_panel<MR>(x, d, rows,
// work), the transposed row panel of kernels-inl.h's pack_rows, and the register blocking
// kTrialRowRegs (NR) and kTrialsPerPass (kMaxJ). It defines the level's KernelTable entries
// row_norms_f32/f64, trial_distances_f32/f64 and trial_distances_screened_f32 at the end. It includes nothing itself, so it compiles under the including
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
  static double apply(double a, double b, double c) { return CORESAMPLE_FMA(a, b, c); }
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
  CORESAMPLE_UNROLL(16)
  for (int j = 0; j < J; ++j)
    CORESAMPLE_UNROLL(2)
    for (int q = 0; q < NR; ++q) acc[j][q] = D::zero();
  for (index_t f = 0; f < d; ++f) {
    // A later panel's rows are fetched while these FMAs run (X streams from memory).
    const index_t ahead = f * 128;
    if (ahead < next_bytes) {
      CORESAMPLE_PREFETCH_L2(next + ahead);  // into L2
      CORESAMPLE_PREFETCH_L2(next + ahead + 64);
    }
    V x[NR];
    CORESAMPLE_UNROLL(2)
    for (int q = 0; q < NR; ++q) x[q] = D::load_cvt(xp + f * MR + q * D::kLanes);
    const double* p = pt + f * L;
    CORESAMPLE_UNROLL(16)
    for (int j = 0; j < J; ++j) {
      const V b = D::set1(p[j]);
      CORESAMPLE_UNROLL(2)
      for (int q = 0; q < NR; ++q) acc[j][q] = D::fmadd(x[q], b, acc[j][q]);
    }
  }
  V xnv[NR];
  CORESAMPLE_UNROLL(2)
  for (int q = 0; q < NR; ++q) xnv[q] = D::load(xn + q * D::kLanes);
  CORESAMPLE_UNROLL(16)
  for (int j = 0; j < J; ++j) {
    const V pj = D::set1(pn[j]);
    CORESAMPLE_UNROLL(2)
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

/// A compile-time trial count, for with_trials.
template <int N>
struct Trials {
  static constexpr int value = N;
};

/// Calls fn(Trials<J>()) for the run-time J in [1, kMaxJ <= 16], so that J trials' accumulators
/// can live in registers.
template <int kMaxJ, class F>
inline void with_trials(index_t J, F&& fn) {
  static_assert(kMaxJ >= 1 && kMaxJ <= 16, "1 to 16 trials per pass");
  switch (J) {
#define CORESAMPLE_TRIALS_CASE(W)          \
  case W:                                  \
    if (W <= kMaxJ) fn(Trials<(W <= kMaxJ ? W : 1)>()); \
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

/// One pass of J <= kMaxJ trials (pt: their first column, rows f at pt + f * L).
template <class D, int NR, int kMaxJ, class T>
inline void trial_pass(const T* xp, index_t d, const double* pt, index_t L, const double* xn,
                       const double* pn, index_t rows, double* out, index_t stride,
                       const char* next, index_t next_bytes, index_t J) {
  with_trials<kMaxJ>(J, [&](auto c) {
    trial_tile<D, NR, decltype(c)::value>(xp, d, pt, L, xn, pn, rows, out, stride, next,
                                          next_bytes);
  });
}

/// All L trials in passes of at most kMaxJ.
template <class D, int NR, int kMaxJ, class T>
inline void trial_tiles(const T* xp, index_t d, const double* pt, index_t L, const double* xn,
                        const double* pn, index_t rows, double* out, index_t stride,
                        const char* next, index_t next_bytes) {
  for (index_t j0 = 0; j0 < L; j0 += kMaxJ) {
    const index_t J = L - j0 < kMaxJ ? L - j0 : kMaxJ;
    trial_pass<D, NR, kMaxJ>(xp, d, pt + j0, L, xn, pn + j0, rows, out + j0 * stride, stride,
                             next, next_bytes, J);
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

// ---- Float32 screening (float input only) ----------------------------------------------------
//
// Late in k-means++ a trial beats a row's current distance D_e for few rows: every other row adds
// exactly D_e to each trial's potential and leaves D unchanged, so its exact distances are never
// needed. The screen computes the dot products in float32 (16 lanes per register at AVX-512: half
// the FMAs of double, and no conversion), bounds the error, and recomputes exactly, in double by
// trial_tile, only the rows where some trial might come closer than thr[e]. The chosen centers
// are then bit-identical to the unscreened kernel's.
//
// Error bound: the float32 chain of d FMAs gives |dot32 - x.p| <= gamma_d sum_f |x_f p_f| <=
// gamma_d (||x||^2 + ||p||^2) / 2 with gamma_d = d u / (1 - d u), u = 2^-24 (Higham, "Accuracy and
// Stability of Numerical Algorithms", 2nd ed., section 3.1); the inputs are float already, so the
// products are of exact values. est = (xn + pn) - 2 dot32 is then within gamma_d (xn + pn) of the
// exact path's value, plus d * 2^-149 * 2 for float32 underflow; the caller passes
// gamma = 1.01 * gamma_{d+2} and tiny = d * 2^-148 (screen_gamma below). NaN or inf anywhere
// fails the "lo > thr" test, so such rows take the exact path.

/// gamma for screen_tile, or 0 when float32 cannot screen d features (d u >= 1/4).
inline double screen_gamma(index_t d) {
  const double du = static_cast<double>(d + 2) * 0x1p-24;
  return du >= 0.25 ? 0.0 : 1.01 * du / (1.0 - du);
}

/// J trials against one float panel xp of MR = S::kLanes rows (transposed, as pack_panel).
/// Writes the estimate of every row's distance to out (columns as trial_tile) and returns the
/// bit mask of rows (< rows) for which some trial's lower bound est - err is not above thr[r].
template <class S, class D, int J>
inline unsigned screen_tile(const float* xp, index_t d, const float* pt32, index_t L,
                            const double* xn, const double* pn, const double* thr, double gamma,
                            double tiny, index_t rows, double* out, index_t stride,
                            const char* next, index_t next_bytes) {
  using V = typename S::V;
  using W = typename D::V;
  constexpr index_t MR = S::kLanes;
  constexpr int H = S::kLanes / D::kLanes;  // double registers per float register
  V acc[J];
  CORESAMPLE_UNROLL(16)
  for (int j = 0; j < J; ++j) acc[j] = S::zero();
  for (index_t f = 0; f < d; ++f) {
    const index_t ahead = f * 128;
    if (ahead < next_bytes) {
      CORESAMPLE_PREFETCH_L2(next + ahead);
      CORESAMPLE_PREFETCH_L2(next + ahead + 64);
    }
    const V x = S::load(xp + f * MR);
    const float* p = pt32 + f * L;
    CORESAMPLE_UNROLL(16)
    for (int j = 0; j < J; ++j) acc[j] = S::fmadd(x, S::set1(p[j]), acc[j]);
  }
  unsigned unsafe = 0;
  const W g = D::set1(gamma);
  const W t = D::set1(tiny);
  CORESAMPLE_UNROLL(2)
  for (int h = 0; h < H; ++h) {
    const index_t r0 = h * D::kLanes;
    if (rows <= r0) break;
    const W xnh = D::load(xn + r0);
    const W thrh = D::load(thr + r0);
    unsigned ok = (1u << D::kLanes) - 1;
    CORESAMPLE_UNROLL(16)
    for (int j = 0; j < J; ++j) {
      const W sum = D::add(xnh, D::set1(pn[j]));
      const W dot = S::to_double(acc[j], h);
      const W est = D::sub(sum, D::add(dot, dot));
      const W lo = D::sub(est, D::add(D::mul(g, sum), t));
      ok &= D::gt(lo, thrh);
      if (rows >= r0 + D::kLanes) {
        D::store(out + j * stride + r0, est);
      } else {
        D::store_first(out + j * stride + r0, est, rows - r0);
      }
    }
    unsafe |= (~ok & ((1u << D::kLanes) - 1)) << r0;
  }
  const unsigned valid = rows >= 32 ? ~0u : (1u << rows) - 1;
  return unsafe & valid;
}

/// Exact distances (trial_tile, in double) of `count` <= MRd gathered rows (their indices in
/// `which`, relative to x) into out's columns at those rows. gbuf, gpanel: MRd * d floats each.
template <class D, int NR, int kMaxJ>
void exact_rows(const float* x, index_t d, const index_t* which, index_t count,
                const double* x_norms, const double* points_t, const double* p_norms, index_t L,
                double* out, index_t stride, float* gbuf, float* gpanel) {
  constexpr index_t MRd = NR * D::kLanes;
  for (index_t i = 0; i < count; ++i) {
    const float* src = x + which[i] * d;
    for (index_t f = 0; f < d; ++f) gbuf[i * d + f] = src[f];
  }
  pack_panel<MRd>(gbuf, d, count, gpanel);
  double xn[MRd];
  for (index_t i = 0; i < MRd; ++i) xn[i] = i < count ? x_norms[which[i]] : 0.0;
  double tmp[kMaxJ * MRd];
  for (index_t j0 = 0; j0 < L; j0 += kMaxJ) {
    const index_t J = L - j0 < kMaxJ ? L - j0 : kMaxJ;
    trial_pass<D, NR, kMaxJ>(gpanel, d, points_t + j0, L, xn, p_norms + j0, count, tmp, MRd,
                             nullptr, 0, J);
    for (index_t j = 0; j < J; ++j)
      for (index_t i = 0; i < count; ++i) out[(j0 + j) * stride + which[i]] = tmp[j * MRd + i];
  }
}

/// See KernelTable::trial_distances_screened in kernels.h: float panels of MR = S::kLanes rows are
/// screened (all trials, in passes of kMaxJ); flagged rows are gathered MRd = NR * D::kLanes at a
/// time and computed exactly. work: 3 * kMaxPanelRows * d floats.
template <class S, class D, int NR, int kMaxJ>
void trial_distances_screened(const float* x, index_t m, index_t d, const double* x_norms,
                              const double* points_t, const float* points_t32,
                              const double* p_norms, index_t L, const double* thr, double* out,
                              index_t stride, float* work) {
  constexpr index_t MR = S::kLanes;
  constexpr index_t MRd = NR * D::kLanes;
  static_assert(MR <= kMaxPanelRows && MRd <= kMaxPanelRows, "workspace holds the panels");
  const double gamma = screen_gamma(d);
  if (gamma == 0.0) {
    trial_distances_tiled<D, NR, kMaxJ>(x, m, d, x_norms, points_t, p_norms, L, out, stride, work);
    return;
  }
  const double tiny = static_cast<double>(d) * 0x1p-148;
  float* panel = work;
  float* gbuf = work + kMaxPanelRows * d;
  float* gpanel = gbuf + kMaxPanelRows * d;
  index_t which[MRd];
  index_t pending = 0;
  double xn[MR], th[MR];
  for (index_t r0 = 0; r0 < m; r0 += MR) {
    const index_t rows = m - r0 < MR ? m - r0 : MR;
    pack_panel<MR>(x + r0 * d, d, rows, panel);
    for (index_t r = 0; r < MR; ++r) {
      xn[r] = r < rows ? x_norms[r0 + r] : 0.0;
      th[r] = r < rows ? thr[r0 + r] : 0.0;
    }
    const index_t ahead_r = r0 + rows + (kPrefetchPanels - 1) * MR;
    const index_t next_rows = ahead_r >= m ? 0 : (m - ahead_r < MR ? m - ahead_r : MR);
    const char* next = reinterpret_cast<const char*>(x + (ahead_r < m ? ahead_r : 0) * d);
    const index_t next_bytes = next_rows * d * static_cast<index_t>(sizeof(float));
    unsigned unsafe = 0;
    for (index_t j0 = 0; j0 < L; j0 += kMaxJ) {
      const index_t J = L - j0 < kMaxJ ? L - j0 : kMaxJ;
      with_trials<kMaxJ>(J, [&](auto c) {
        unsafe |= screen_tile<S, D, decltype(c)::value>(
            panel, d, points_t32 + j0, L, xn, p_norms + j0, th, gamma, tiny, rows,
            out + j0 * stride + r0, stride, next, next_bytes);
      });
    }
    while (unsafe != 0) {
      which[pending++] = r0 + CORESAMPLE_CTZ(unsafe);
      unsafe &= unsafe - 1;
      if (pending == MRd) {
        exact_rows<D, NR, kMaxJ>(x, d, which, pending, x_norms, points_t, p_norms, L, out, stride,
                                 gbuf, gpanel);
        pending = 0;
      }
    }
  }
  if (pending > 0) {
    exact_rows<D, NR, kMaxJ>(x, d, which, pending, x_norms, points_t, p_norms, L, out, stride, gbuf,
                             gpanel);
  }
}

// ---- The level's KernelTable entries ---------------------------------------------------------

void trial_distances_f32(const float* x, index_t m, index_t d, const double* x_norms,
                         const double* points_t, const double* p_norms, index_t L, double* out,
                         index_t stride, float* work) {
  trial_distances_tiled<F64, kTrialRowRegs, kTrialsPerPass>(x, m, d, x_norms, points_t, p_norms,
                                                            L, out, stride, work);
}

void trial_distances_f64(const double* x, index_t m, index_t d, const double* x_norms,
                         const double* points_t, const double* p_norms, index_t L, double* out,
                         index_t stride, double* work) {
  trial_distances_tiled<F64, kTrialRowRegs, kTrialsPerPass>(x, m, d, x_norms, points_t, p_norms,
                                                            L, out, stride, work);
}

void trial_distances_screened_f32(const float* x, index_t m, index_t d, const double* x_norms,
                                  const double* points_t, const float* points_t32,
                                  const double* p_norms, index_t L, const double* thr,
                                  double* out, index_t stride, float* work) {
  trial_distances_screened<F32, F64, kTrialRowRegs, kTrialsPerPass>(
      x, m, d, x_norms, points_t, points_t32, p_norms, L, thr, out, stride, work);
}

void row_norms_f32(const float* x, index_t m, index_t d, double* out) {
  row_norms<float, FusedMadd>(x, m, d, out);
}

void row_norms_f64(const double* x, index_t m, index_t d, double* out) {
  row_norms<double, FusedMadd>(x, m, d, out);
}
