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

enum class SimdLevel { kScalar, kAvx2 };

/// Centers per packed tile: 16 floats or 8 doubles, i.e. two 256-bit registers per row.
template <class T>
struct TileShape {
  static constexpr index_t kCenters = 64 / static_cast<index_t>(sizeof(T));
};

/// Packed centers for the nearest-center kernel, built by pack_centers():
///   tile t (t = 0 .. ceil(k / kCenters) - 1) holds centers c = t * kCenters + i, transposed:
///   packed[t * d * kCenters + j * kCenters + i] = -2 * centers[c * d + j]   (0 for padding c >= k)
///   norms[t * kCenters + i] = ||center c||^2 (computed in double, rounded to T; 0 for padding)
/// so that the innermost loop of the kernel runs over kCenters independent accumulators.
///
/// nearest_center(x, m, d, packed, norms, k, best, labels):
///   x       IN  (m*d)  rows, C order
///   packed  IN  (ceil(k/kCenters)*kCenters*d), norms IN (ceil(k/kCenters)*kCenters)
///   best    OUT (m)    min over c of ||c||^2 - 2 x.c, in T (not a distance: ||x||^2 is left out)
///   labels  OUT (m)    the argmin; ties go to the lowest center index (strict <)
struct KernelTable {
  SimdLevel level;
  void (*nearest_center_f32)(const float* x, index_t m, index_t d, const float* packed,
                             const float* norms, index_t k, float* best, index_t* labels);
  void (*nearest_center_f64)(const double* x, index_t m, index_t d, const double* packed,
                             const double* norms, index_t k, double* best, index_t* labels);
  /// squared_distances(x, m, d, points, L, out): out[i * L + j] = ||x_i - p_j||^2 in T, summed
  /// as sum_j (x_j - p_j)^2 (no cancellation) over 16 interleaved partial sums.
  ///   x IN (m*d), points IN (L*d), out OUT (m*L). k-means++ ranks its trials with it.
  void (*squared_distances_f32)(const float* x, index_t m, index_t d, const float* points,
                                index_t L, float* out);
  void (*squared_distances_f64)(const double* x, index_t m, index_t d, const double* points,
                                index_t L, double* out);
};

/// Per-level tables, defined in kernels_<isa>.cpp (scalar = the baseline build).
const KernelTable& kernel_table_scalar();
#ifdef CORESAMPLE_HAVE_AVX2
const KernelTable& kernel_table_avx2();
#endif

/// The table chosen once at first use (CORESAMPLE_SIMD=scalar|avx2 if supported, else the best level).
const KernelTable& kernels();

/// The table of a level, or nullptr when it is not compiled in or the CPU/OS lacks it.
const KernelTable* kernels_for(SimdLevel level);

/// Levels usable on this CPU with this build, lowest first.
std::vector<SimdLevel> available_simd_levels();

/// "scalar" or "avx2".
const char* simd_level_name(SimdLevel level);

/// Parses "scalar" / "avx2"; false for anything else.
bool parse_simd_level(const char* name, SimdLevel* level);

}  // namespace coresample
