// Kernel bodies written once, templated on the element type; each kernels_<isa>.cpp includes this under its own ISA flags.
//
// The including file defines CORESAMPLE_KERNEL_NS (scalar, avx2, ...) so that every function here,
// templates included, gets a distinct symbol per ISA: otherwise the linker could merge an AVX2
// instantiation into baseline callers. For the same reason these bodies call no std:: functions.
#ifndef CORESAMPLE_KERNEL_NS
#error "define CORESAMPLE_KERNEL_NS before including kernels-inl.h"
#endif

#include "kernels/kernels.h"

namespace coresample {
namespace CORESAMPLE_KERNEL_NS {

/// Rows handled together in one micro-tile: kRows x kCenters accumulators = 8 vector registers
/// of 256 bits for float and for double, leaving room for the broadcast row value and the loads.
constexpr int kRows = 4;

/// Rows of a block visited per pass over the center tiles, so that they stay in L2 while a tile
/// (d x kCenters) stays in L1.
constexpr index_t kRowChunk = 128;

/// R rows (IN (R*d)) against one packed tile (IN (d*kCenters), norms IN (kCenters)) of which the
/// first `valid` centers are real; updates best/labels INOUT (R) with strict <, so that ties keep
/// the lower center index (tiles are visited in ascending order).
template <class T, int R>
inline void nearest_in_tile(const T* x, index_t d, const T* tile, const T* norms, index_t c0,
                            index_t valid, T* best, index_t* labels) {
  constexpr index_t KC = TileShape<T>::kCenters;
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

/// See KernelTable::nearest_center in kernels.h.
template <class T>
void nearest_center(const T* x, index_t m, index_t d, const T* packed, const T* norms, index_t k,
                    T* best, index_t* labels) {
  constexpr index_t KC = TileShape<T>::kCenters;
  const index_t n_tiles = (k + KC - 1) / KC;
  for (index_t i = 0; i < m; ++i) {
    best[i] = static_cast<T>(__builtin_huge_val());  // +inf: any finite value is smaller
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

/// See KernelTable::squared_distances in kernels.h. The 16 partial sums are independent, so the
/// compiler vectorises the inner loop at the file's ISA width without reassociating anything.
template <class T>
void squared_distances(const T* x, index_t m, index_t d, const T* points, index_t L, T* out) {
  constexpr int kLanes = 16;
  for (index_t i = 0; i < m; ++i) {
    const T* row = x + i * d;
    for (index_t j = 0; j < L; ++j) {
      const T* p = points + j * d;
      T acc[kLanes];
      for (int l = 0; l < kLanes; ++l) acc[l] = T(0);
      index_t t = 0;
      for (; t + kLanes <= d; t += kLanes) {
        for (int l = 0; l < kLanes; ++l) {
          const T diff = row[t + l] - p[t + l];
          acc[l] += diff * diff;
        }
      }
      for (int l = 0; t < d; ++t, ++l) {
        const T diff = row[t] - p[t];
        acc[l] += diff * diff;
      }
      for (int w = kLanes / 2; w > 0; w /= 2) {  // fixed pairwise order
        for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
      }
      out[i * L + j] = acc[0];
    }
  }
}

void squared_distances_f32(const float* x, index_t m, index_t d, const float* points, index_t L,
                           float* out) {
  squared_distances<float>(x, m, d, points, L, out);
}

void squared_distances_f64(const double* x, index_t m, index_t d, const double* points,
                           index_t L, double* out) {
  squared_distances<double>(x, m, d, points, L, out);
}

void nearest_center_f32(const float* x, index_t m, index_t d, const float* packed,
                        const float* norms, index_t k, float* best, index_t* labels) {
  nearest_center<float>(x, m, d, packed, norms, k, best, labels);
}

void nearest_center_f64(const double* x, index_t m, index_t d, const double* packed,
                        const double* norms, index_t k, double* best, index_t* labels) {
  nearest_center<double>(x, m, d, packed, norms, k, best, labels);
}

}  // namespace CORESAMPLE_KERNEL_NS
}  // namespace coresample
