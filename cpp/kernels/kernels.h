// SIMD-free kernel API: the SIMD levels, the per-level KernelTable of function pointers, and the dispatched choice.
//
// Kernel vocabulary: n = n_samples, d = n_features, k = n_clusters; m = rows in one call (a block).
// This header must stay free of inline code: it is included by files built with ISA flags, and an
// inline function emitted there could be picked by the linker for baseline callers.
#pragma once

#include <cstdint>
#include <vector>

#include "common.h"

namespace coresample {

enum class SimdLevel { kScalar, kAvx2, kAvx512 };

/// Rows of X a kernel may pack at once; the caller's workspace holds kMaxPanelRows * d elements.
constexpr index_t kMaxPanelRows = 16;

/// Floats per feature of trial_distances_screened's workspace: three row panels.
constexpr index_t kScreenWork = 3 * kMaxPanelRows;

/// Packed centers for the nearest-center kernel, built by the caller with the table's tile width
/// kc = KernelTable::tile_f32 or tile_f64 (the centers handled side by side by one micro-kernel):
///   tile t (t = 0 .. ceil(k / kc) - 1) holds centers c = t * kc + i, transposed:
///   packed[t * d * kc + j * kc + i] = -2 * centers[c * d + j]   (0 for padding c >= k)
///   norms[t * kc + i] = ||center c||^2 (computed in double, rounded to T; +inf for padding, so a
///   padding lane never wins a strict < comparison)
/// so that the innermost loop of the kernel runs over kc independent accumulators.
///
/// nearest_center(x, m, d, packed, norms, k, best, labels, work):
///   x       IN  (m*d)  rows, C order
///   packed  IN  (ceil(k/kc)*kc*d), norms IN (ceil(k/kc)*kc)
///   best    OUT (m)    min over c of ||c||^2 - 2 x.c, in T (not a distance: ||x||^2 is left out)
///   labels  OUT (m)    the argmin; ties go to the lowest center index (strict <, tiles ascending)
///   work    scratch (kMaxPanelRows*d), owned by the calling thread (row panels of the tiled levels)
/// Each row's result depends only on that row and the centers, never on m or on the other rows,
/// so any partition of the rows into calls gives the same bits.
struct KernelTable {
  SimdLevel level;
  index_t tile_f32;  ///< kc for float: 16 (scalar, AVX2) or 32 (AVX-512)
  index_t tile_f64;  ///< kc for double: 8 (scalar, AVX2) or 16 (AVX-512)
  void (*nearest_center_f32)(const float* x, index_t m, index_t d, const float* packed,
                             const float* norms, index_t k, float* best, index_t* labels,
                             float* work);
  void (*nearest_center_f64)(const double* x, index_t m, index_t d, const double* packed,
                             const double* norms, index_t k, double* best, index_t* labels,
                             double* work);
  /// row_norms(x, m, d, out): out[i] = x_i . x_i in double, by the same multiply-add chain over
  /// the features (in order, from 0; fused at the FMA levels) that trial_distances uses for
  /// x_i . p_j, so that a row bitwise equal to a point is at distance 0 exactly.
  ///   x IN (m*d), out OUT (m).
  void (*row_norms_f32)(const float* x, index_t m, index_t d, double* out);
  void (*row_norms_f64)(const double* x, index_t m, index_t d, double* out);
  /// trial_distances(x, m, d, x_norms, points_t, p_norms, L, out, stride, work): k-means++'s
  /// trial distances in dot-product form, one multiply-add per feature and trial:
  ///   out[j * stride + i] = max(0, (x_norms[i] + p_norms[j]) - 2 x_i . p_j), j < L
  /// (NaN stays NaN). The error is at most about d * 2^-52 * (||x_i||^2 + ||p_j||^2).
  ///   x IN (m*d); x_norms IN (m) and p_norms IN (L) from this level's row_norms; points_t IN
  ///   (d*L) the points (rows of X) in double, transposed: points_t[f * L + j] = p_j[f];
  ///   out OUT (L*stride), stride >= m; work scratch (kMaxPanelRows*d) owned by the calling thread.
  void (*trial_distances_f32)(const float* x, index_t m, index_t d, const double* x_norms,
                              const double* points_t, const double* p_norms, index_t L,
                              double* out, index_t stride, float* work);
  void (*trial_distances_f64)(const double* x, index_t m, index_t d, const double* x_norms,
                              const double* points_t, const double* p_norms, index_t L,
                              double* out, index_t stride, double* work);
  /// trial_distances_screened_f32(x, m, d, x_norms, points_t, points_t32, p_norms, L, thr, out,
  /// stride, work): trial_distances for float rows, screened in float32 (trials-inl.h). For each
  /// row i, either out holds exactly trial_distances' values for every trial, or every trial's
  /// value is provably above thr[i] and out holds an estimate that is above thr[i] too (so a
  /// caller that needs only min(thr-equivalent, distance) gets identical results). nullptr at
  /// levels without it (scalar).
  ///   points_t32 IN (d*L) the same points in float (exact: they are rows of x's array);
  ///   thr IN (m); work scratch (kScreenWork * d floats); the rest as trial_distances.
  void (*trial_distances_screened_f32)(const float* x, index_t m, index_t d,
                                       const double* x_norms, const double* points_t,
                                       const float* points_t32, const double* p_norms, index_t L,
                                       const double* thr, double* out, index_t stride,
                                       float* work);
  /// add_rows(X, d, rows, count, w, acc): acc[j] += w[r] * X[r * d + j] for r = rows[0 .. count)
  /// in that order (w = nullptr: weight 1), in double. Lloyd's center sums (one owner per center).
  ///   X IN (n*d), rows IN (count), w IN (n) or nullptr, acc INOUT (d).
  void (*add_rows_f32)(const float* X, index_t d, const index_t* rows, index_t count,
                       const double* w, double* acc);
  void (*add_rows_f64)(const double* X, index_t d, const index_t* rows, index_t count,
                       const double* w, double* acc);
  /// key_filter(p, m, state, tc, keep): the exponential keys' rejection test of sampling.cpp for
  /// m consecutive rows. keep[i] = 1 when p[i] > 0 and unit_open(mix64(state + i * kGolden)) >
  /// (1 - tc p[i]) - 2^-52, else 0 (mix64, kGolden and unit_open as in rng.h). It decides only
  /// which rows get an exact key, never the sample, so rounding may differ between levels.
  ///   p IN (m), keep OUT (m).
  void (*key_filter)(const double* p, index_t m, std::uint64_t state, double tc,
                     std::uint8_t* keep);
};

/// Per-level tables, defined in kernels_<isa>.cpp (scalar = the baseline build).
const KernelTable& kernel_table_scalar();
#ifdef CORESAMPLE_HAVE_AVX2
const KernelTable& kernel_table_avx2();
#endif
#ifdef CORESAMPLE_HAVE_AVX512
const KernelTable& kernel_table_avx512();
#endif

/// The table chosen once at first use (CORESAMPLE_SIMD=scalar|avx2|avx512 if supported, else the best level).
const KernelTable& kernels();

/// The table of a level, or nullptr when it is not compiled in or the CPU/OS lacks it.
const KernelTable* kernels_for(SimdLevel level);

/// Levels usable on this CPU with this build, lowest first.
std::vector<SimdLevel> available_simd_levels();

/// "scalar", "avx2" or "avx512".
const char* simd_level_name(SimdLevel level);

/// Parses "scalar" / "avx2" / "avx512"; false for anything else.
bool parse_simd_level(const char* name, SimdLevel* level);

}  // namespace coresample
