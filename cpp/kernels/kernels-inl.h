// Kernel bodies written once, templated on the element type; each kernels_<isa>.cpp includes this under its own ISA flags.
//
// The including file defines CORESAMPLE_KERNEL_NS (scalar, avx2, ...) so that every function here,
// templates included, gets a distinct symbol per ISA: otherwise the linker could merge an AVX2
// instantiation into baseline callers. For the same reason these bodies call no std:: functions.
//
// Bodies here:
//   nearest_center<T>        the plain portable body; the scalar level (ground truth for the tests)
//   nearest_center_tiled<M>  the blocked driver of the register-tiled levels: it packs rows into
//                            panels and calls the ISA file's micro-kernel M (intrinsics) per tile
//   row_norms, trial_distances  k-means++'s norms (every level) and the portable trials (scalar;
//                            the SIMD levels use trials-inl.h)
//   add_rows, key_filter     Lloyd's center sums, the sampling's rejection filter
#ifndef CORESAMPLE_KERNEL_NS
#error "define CORESAMPLE_KERNEL_NS before including kernels-inl.h"
#endif

#include <cmath>  // HUGE_VAL (a macro: +inf)

#include "kernels/kernels.h"
#include "portable.h"

namespace coresample {
namespace CORESAMPLE_KERNEL_NS {

/// Centers per packed tile of the portable body: 16 floats or 8 doubles (64 bytes).
template <class T>
constexpr index_t kPortableTile = 64 / static_cast<index_t>(sizeof(T));

/// Rows handled together in one micro-tile of the portable body.
constexpr int kRows = 4;

/// Rows of a block visited per pass over the center tiles, so that they stay in L2 while a tile
/// (d x kCenters) stays in L1.
constexpr index_t kRowChunk = 128;

/// R rows (IN (R*d)) against one packed tile (IN (d*KC), norms IN (KC)) of which the first
/// `valid` centers are real; updates best/labels INOUT (R) with strict <, so that ties keep the
/// lower center index (tiles are visited in ascending order).
template <class T, int R>
inline void nearest_in_tile(const T* x, index_t d, const T* tile, const T* norms, index_t c0,
                            index_t valid, T* best, index_t* labels) {
  constexpr index_t KC = kPortableTile<T>;
  T acc[R][KC];
  for (int r = 0; r < R; ++r)
    for (index_t c = 0; c < KC; ++c) acc[r][c] = T(0);
  // Innermost loop over centers: KC independent accumulators per row, so the compiler vectorises
  // without reassociating any sum.
  for (index_t j = 0; j < d; ++j) {
    const T* tj = tile + j * KC;
    T xv[R];
    for (int r = 0; r < R; ++r) xv[r] = x[r * d + j];
    for (index_t c = 0; c < KC; ++c) {
      for (int r = 0; r < R; ++r) acc[r][c] += xv[r] * tj[c];
    }
  }
  // ||c||^2 - 2 x.c may be negative (||x||^2 is left out); it only ranks centers, and the caller
  // recomputes the chosen center's distance directly, so no clamp to 0 is needed here.
  for (int r = 0; r < R; ++r) {
    T b = best[r];
    index_t l = labels[r];
    for (index_t c = 0; c < valid; ++c) {
      const T dist = norms[c] + acc[r][c];
      if (dist < b) {
        b = dist;
        l = c0 + c;
      }
    }
    best[r] = b;
    labels[r] = l;
  }
}

/// See KernelTable::nearest_center in kernels.h (tile width kPortableTile<T>; no workspace).
template <class T>
void nearest_center(const T* x, index_t m, index_t d, const T* packed, const T* norms, index_t k,
                    T* best, index_t* labels) {
  constexpr index_t KC = kPortableTile<T>;
  const index_t n_tiles = (k + KC - 1) / KC;
  for (index_t i = 0; i < m; ++i) {
    best[i] = static_cast<T>(HUGE_VAL);  // +inf: any finite value is smaller
    labels[i] = 0;
  }
  for (index_t r0 = 0; r0 < m; r0 += kRowChunk) {
    const index_t r1 = (m - r0 < kRowChunk) ? m : r0 + kRowChunk;
    for (index_t t = 0; t < n_tiles; ++t) {
      const index_t c0 = t * KC;
      const index_t valid = (k - c0 < KC) ? k - c0 : KC;
      const T* tile = packed + t * d * KC;
      const T* tnorms = norms + c0;
      index_t r = r0;
      for (; r + kRows <= r1; r += kRows) {
        nearest_in_tile<T, kRows>(x + r * d, d, tile, tnorms, c0, valid, best + r, labels + r);
      }
      for (; r < r1; ++r) {
        nearest_in_tile<T, 1>(x + r * d, d, tile, tnorms, c0, valid, best + r, labels + r);
      }
    }
  }
}

/// The multiply-add of the trial dot products and the row norms. Madd is PlainMadd at the scalar
/// level (a * b + c as the compiler contracts it there: not at all on baseline x86-64) and the ISA
/// files' FusedMadd (one FMA) elsewhere; both kernels of a level use the same one, so a row's norm
/// and its dot product with an identical point come out bit-identical.
struct PlainMadd {
  static double apply(double a, double b, double c) { return a * b + c; }
};

/// See KernelTable::row_norms in kernels.h. Eight rows at a time, for eight independent chains.
template <class T, class Madd>
void row_norms(const T* x, index_t m, index_t d, double* out) {
  constexpr index_t kRowsAtOnce = 8;
  index_t i = 0;
  for (; i + kRowsAtOnce <= m; i += kRowsAtOnce) {
    double acc[kRowsAtOnce];
    for (index_t r = 0; r < kRowsAtOnce; ++r) acc[r] = 0.0;
    for (index_t f = 0; f < d; ++f) {
      for (index_t r = 0; r < kRowsAtOnce; ++r) {
        const double v = static_cast<double>(x[(i + r) * d + f]);
        acc[r] = Madd::apply(v, v, acc[r]);
      }
    }
    for (index_t r = 0; r < kRowsAtOnce; ++r) out[i + r] = acc[r];
  }
  for (; i < m; ++i) {
    double acc = 0.0;
    for (index_t f = 0; f < d; ++f) {
      const double v = static_cast<double>(x[i * d + f]);
      acc = Madd::apply(v, v, acc);
    }
    out[i] = acc;
  }
}

/// max(0, s) that keeps NaN (an overflowed norm must not turn into distance 0).
inline double clamp_distance(double s) { return s < 0.0 ? 0.0 : s; }

/// See KernelTable::trial_distances in kernels.h: the portable body (the scalar level).
template <class T, class Madd>
void trial_distances(const T* x, index_t m, index_t d, const double* x_norms,
                     const double* points_t, const double* p_norms, index_t L, double* out,
                     index_t stride) {
  constexpr index_t kTrials = 16;  // trials per pass, accumulators on the stack
  for (index_t i = 0; i < m; ++i) {
    const T* row = x + i * d;
    for (index_t j0 = 0; j0 < L; j0 += kTrials) {
      const index_t width = L - j0 < kTrials ? L - j0 : kTrials;
      double acc[kTrials];
      for (index_t j = 0; j < width; ++j) acc[j] = 0.0;
      for (index_t f = 0; f < d; ++f) {
        const double v = static_cast<double>(row[f]);
        const double* p = points_t + f * L + j0;
        for (index_t j = 0; j < width; ++j) acc[j] = Madd::apply(v, p[j], acc[j]);
      }
      for (index_t j = 0; j < width; ++j) {
        out[(j0 + j) * stride + i] =
            clamp_distance((x_norms[i] + p_norms[j0 + j]) - (acc[j] + acc[j]));
      }
    }
  }
}

/// See KernelTable::add_rows in kernels.h. Rows arrive in label order, so they are scattered in
/// memory: the row a few places ahead is prefetched.
template <class T>
void add_rows(const T* X, index_t d, const index_t* rows, index_t count, const double* w,
              double* acc) {
  constexpr index_t kAhead = 4;
  for (index_t p = 0; p < count; ++p) {
    if (p + kAhead < count) {
      const T* next = X + rows[p + kAhead] * d;
      for (index_t j = 0; j < d; j += 64 / static_cast<index_t>(sizeof(T))) {
        CORESAMPLE_PREFETCH(next + j);
      }
    }
    const T* x = X + rows[p] * d;
    if (w == nullptr) {
      for (index_t j = 0; j < d; ++j) acc[j] += static_cast<double>(x[j]);
    } else {
      const double wr = w[rows[p]];
      for (index_t j = 0; j < d; ++j) acc[j] += wr * static_cast<double>(x[j]);
    }
  }
}

void add_rows_f32(const float* X, index_t d, const index_t* rows, index_t count, const double* w,
                  double* acc) {
  add_rows<float>(X, d, rows, count, w, acc);
}

void add_rows_f64(const double* X, index_t d, const index_t* rows, index_t count,
                  const double* w, double* acc) {
  add_rows<double>(X, d, rows, count, w, acc);
}

/// SplitMix64's finaliser, a copy of rng.h's mix64: rng.h's inline functions must not be
/// instantiated in an ISA file (the linker could hand this file's version to baseline callers).
/// sampling's tests check the filtered samples against the reference bit for bit.
inline std::uint64_t kernel_mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// See KernelTable::key_filter in kernels.h: branch-free, so the loop vectorises (64-bit
/// multiplies need AVX-512DQ; the AVX2 build emulates them).
void key_filter(const double* p, index_t m, std::uint64_t state, double tc, std::uint8_t* keep) {
  constexpr std::uint64_t kGoldenStep = 0x9E3779B97F4A7C15ULL;
  for (index_t i = 0; i < m; ++i) {
    const std::uint64_t x = kernel_mix64(state + static_cast<std::uint64_t>(i) * kGoldenStep);
    const double u = static_cast<double>((x >> 11) + 1) * 0x1p-53;
    const double pe = p[i];
    keep[i] = static_cast<std::uint8_t>((pe > 0.0) & (u > (1.0 - tc * pe) - 0x1p-52));
  }
}

/// Bytes of packed centers visited per pass over the row panels (a "group" of tiles), so that
/// the group stays in L2 (2 MB per core on the Xeon we measured; 1 MB leaves room for the rows).
/// Each group repacks the row panels, so smaller groups cost more: float32, d = 768, k = 1024,
/// 1 thread, element-by-element pack: 256 KB 80, 512 KB 103-110, 1 MB 121-125 GFLOP/s.
constexpr index_t kGroupBytes = index_t{1} << 20;

/// Packs `rows` (<= MR) rows of x IN (rows*d) into the panel work OUT (d*MR), transposed:
/// work[j*MR + r] = x[r*d + j], and 0 for the padding rows r >= rows. The plain version; an ISA
/// file may transpose in registers instead.
template <class T, index_t MR>
inline void pack_rows(const T* x, index_t d, index_t rows, T* work) {
  for (index_t r = 0; r < MR; ++r) {
    if (r < rows) {
      const T* xr = x + r * d;
      for (index_t j = 0; j < d; ++j) work[j * MR + r] = xr[j];
    } else {
      for (index_t j = 0; j < d; ++j) work[j * MR + r] = T(0);
    }
  }
}

/// Blocked driver of the register-tiled levels. The ISA file's micro-kernel M provides
///   using T; kRows (MR <= kMaxPanelRows); kCenters (NR, the table's tile width);
///   pack(x, d, rows, work): the row panel, as pack_rows<T, MR>;
///   tile(xp, d, cp, norms, c0, rows, best, labels): the MR packed rows xp IN (d*MR) against the
///     packed tile cp IN (d*NR), norms IN (NR), centers c0.. ; best/labels INOUT (rows), updated
///     with strict < (ties keep the lower index), every dot product accumulated over all of d.
/// Loop order: center groups (L2) > row panels (packed once per group into work, L1) > tiles of
/// the group in ascending order, so every row sees the tiles in ascending center order.
template <class M>
void nearest_center_tiled(const typename M::T* x, index_t m, index_t d,
                          const typename M::T* packed, const typename M::T* norms, index_t k,
                          typename M::T* best, index_t* labels, typename M::T* work) {
  using T = typename M::T;
  constexpr index_t MR = M::kRows;
  constexpr index_t NR = M::kCenters;
  static_assert(MR <= kMaxPanelRows, "the caller's workspace holds kMaxPanelRows rows");
  const index_t n_tiles = (k + NR - 1) / NR;
  const index_t tile_bytes = (d > 0 ? d : 1) * NR * static_cast<index_t>(sizeof(T));
  const index_t group = kGroupBytes / tile_bytes > 0 ? kGroupBytes / tile_bytes : 1;
  for (index_t i = 0; i < m; ++i) {
    best[i] = static_cast<T>(HUGE_VAL);  // +inf: any finite value is smaller
    labels[i] = 0;
  }
  for (index_t g0 = 0; g0 < n_tiles; g0 += group) {
    const index_t g1 = (n_tiles - g0 < group) ? n_tiles : g0 + group;
    for (index_t r0 = 0; r0 < m; r0 += MR) {
      const index_t rows = (m - r0 < MR) ? m - r0 : MR;
      M::pack(x + r0 * d, d, rows, work);
      for (index_t t = g0; t < g1; ++t) {
        M::tile(work, d, packed + t * d * NR, norms + t * NR, t * NR, rows, best + r0,
                labels + r0);
      }
    }
  }
}

}  // namespace CORESAMPLE_KERNEL_NS
}  // namespace coresample
