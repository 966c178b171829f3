// The blocked nearest-center pass: pack the centers once, run the dispatched tile kernel per block, recompute costs in double.
#include "assign.h"

#include <cmath>
#include <vector>

#include "blocks.h"

namespace coresample {

namespace {

auto kernel_for(const KernelTable& table, float) { return table.nearest_center_f32; }
auto kernel_for(const KernelTable& table, double) { return table.nearest_center_f64; }

/// Centers per packed tile of the table's kernel for T.
index_t tile_for(const KernelTable& table, float) { return table.tile_f32; }
index_t tile_for(const KernelTable& table, double) { return table.tile_f64; }

/// Packs centers IN (k*d) into the tiled layout of kernels.h with kc centers per tile. O(k d),
/// once per assign() call: about 1 ms for k = 1024, d = 768, against about a second of kernel work.
template <class T>
void pack_centers(const T* centers, index_t k, index_t d, index_t kc, std::vector<T>& packed,
                  std::vector<T>& norms) {
  const index_t n_tiles = (k + kc - 1) / kc;
  packed.assign(static_cast<size_t>(n_tiles * kc * d), T(0));
  // Padding lanes get +inf: a tiled kernel compares all kc lanes, and +inf never wins a strict <.
  norms.assign(static_cast<size_t>(n_tiles * kc), static_cast<T>(HUGE_VAL));
  for (index_t c = 0; c < k; ++c) {
    const T* row = centers + c * d;
    T* tile = packed.data() + (c / kc) * kc * d;
    const index_t i = c % kc;
    double norm = 0.0;
    for (index_t j = 0; j < d; ++j) {
      tile[j * kc + i] = T(-2) * row[j];  // exact: a power-of-two scaling
      norm += static_cast<double>(row[j]) * static_cast<double>(row[j]);
    }
    norms[c] = static_cast<T>(norm);
  }
}

}  // namespace

template <class T>
double assign(const T* X, index_t n, index_t d, const T* centers, index_t k, double z,
              const double* u, index_t* labels, double* cost, double* dist, int n_threads,
              const KernelTable& table) {
  CORESAMPLE_CHECK(n >= 0 && d >= 0, "assign: negative shape");
  CORESAMPLE_CHECK(k >= 1, "assign: need at least one center");
  std::vector<T> packed, norms;
  pack_centers(centers, k, d, tile_for(table, T()), packed, norms);
  const auto kernel = kernel_for(table, T());
  const index_t nb = num_blocks(n);
  std::vector<double> totals(static_cast<size_t>(nb), 0.0);
  // Small calls (k-center greedy assigns all rows to one new center per step) stay on one thread.
  n_threads = threads_for_work(n_threads, static_cast<double>(n) * static_cast<double>(d) *
                                              static_cast<double>(k + 1));
  parallel_for(nb, n_threads, [&](index_t b) {
    const index_t begin = block_begin(b);
    const index_t end = block_end(b, n);
    T best[kBlock];
    if (k == 1) {
      // One center: every label is 0 and no ranking is needed (the tiled kernel would pad the
      // center to a full tile of 16-32 lanes); the cost below is the direct distance anyway.
      for (index_t i = begin; i < end; ++i) labels[i] = 0;
    } else {
      T* work = thread_workspace<T>(kMaxPanelRows * d);
      kernel(X + begin * d, end - begin, d, packed.data(), norms.data(), k, best, labels + begin,
             work);
    }
    if (cost == nullptr) return;  // labels only (Lloyd's inner iterations)
    double t = 0.0;  // this block of blocked_sum(u * cost), rows in ascending order
    for (index_t i = begin; i < end; ++i) {
      const double d2 = squared_distance(X + i * d, centers + labels[i] * d, d);
      const double c = cost_from_squared(d2, z);
      cost[i] = c;
      if (dist != nullptr) dist[i] = std::sqrt(d2);
      t += (u != nullptr ? u[i] : 1.0) * c;
    }
    totals[b] = t;
  });
  return sum_in_order(totals.data(), nb);
}

template double assign<float>(const float*, index_t, index_t, const float*, index_t, double,
                              const double*, index_t*, double*, double*, int, const KernelTable&);
template double assign<double>(const double*, index_t, index_t, const double*, index_t, double,
                               const double*, index_t*, double*, double*, int,
                               const KernelTable&);

}  // namespace coresample
