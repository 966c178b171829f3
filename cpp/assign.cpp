// The blocked nearest-center pass: pack the centers once, run the dispatched tile kernel per block, recompute costs in double.
#include "assign.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

namespace {

/// Unit roundoff and smallest subnormal of the kernel's arithmetic for T.
template <class T>
constexpr double unit_roundoff() { return std::numeric_limits<T>::epsilon() / 2.0; }

/// An upper bound on sqrt(d2) for d2 summed in double from d squared differences (relative error
/// below (d + 2) 2^-53), and the matching lower bound.
inline double sqrt_up(double d2, index_t d) {
  return std::sqrt(d2 * (1.0 + static_cast<double>(d + 4) * 0x1p-52)) * (1.0 + 0x1p-52);
}
inline double sqrt_down(double d2, index_t d) {
  return std::sqrt(d2 * (1.0 - static_cast<double>(d + 4) * 0x1p-52)) * (1.0 - 0x1p-52);
}

/// The calling thread's buffer for gathered rows (distinct from thread_workspace, which the
/// kernel uses).
template <class T>
T* gather_workspace(index_t size) {
  static thread_local std::vector<T> rows;
  if (rows.size() < static_cast<size_t>(size)) rows.resize(static_cast<size_t>(size));
  return rows.data();
}

/// The calling thread's copy of the packed norms (one center masked at a time).
template <class T>
T* norm_workspace(index_t size) {
  static thread_local std::vector<T> norms;
  if (norms.size() < static_cast<size_t>(size)) norms.resize(static_cast<size_t>(size));
  return norms.data();
}

}  // namespace

template <class T>
void init_prune_state(const T* X, index_t n, index_t d, const T* centers, const index_t* labels,
                      PruneState& state, int n_threads) {
  const bool first = state.row_norm.empty();
  state.row_norm.resize(static_cast<size_t>(n));
  state.row_sq.resize(static_cast<size_t>(n));
  state.upper.resize(static_cast<size_t>(n));
  state.lower.assign(static_cast<size_t>(n), 0.0);  // unknown until a row is ranked again
  std::vector<T> zero(static_cast<size_t>(d), T(0));
  parallel_for(num_blocks(n), n_threads, [&](index_t b) {
    for (index_t e = block_begin(b); e < block_end(b, n); ++e) {
      if (first) {
        const double sq = squared_distance(X + e * d, zero.data(), d);
        state.row_norm[e] = sqrt_up(sq, d);
        state.row_sq[e] = sq * (1.0 - static_cast<double>(d + 4) * 0x1p-52);
      }
      state.upper[e] = sqrt_up(squared_distance(X + e * d, centers + labels[e] * d, d), d);
    }
  });
}

template <class T>
void update_center_bounds(const T* old_centers, const T* new_centers, index_t k, index_t d,
                          PruneState& state, int n_threads) {
  state.drift.resize(static_cast<size_t>(k));
  state.half_gap.resize(static_cast<size_t>(k));
  std::vector<double> norms(static_cast<size_t>(k));
  std::vector<T> zero(static_cast<size_t>(d), T(0));
  n_threads = threads_for_work(n_threads, static_cast<double>(k) * static_cast<double>(k) *
                                              static_cast<double>(d));
  parallel_for(k, n_threads, [&](index_t c) {
    const T* mine = new_centers + c * d;
    state.drift[c] = sqrt_up(squared_distance(mine, old_centers + c * d, d), d);
    norms[c] = sqrt_up(squared_distance(mine, zero.data(), d), d);
    double nearest = HUGE_VAL;
    for (index_t o = 0; o < k; ++o) {
      if (o != c) nearest = std::min(nearest, squared_distance(mine, new_centers + o * d, d));
    }
    state.half_gap[c] = 0.5 * sqrt_down(nearest, d);
  });
  state.center_norm_max = k > 0 ? *std::max_element(norms.begin(), norms.end()) : 0.0;
  state.drift_max = k > 0 ? *std::max_element(state.drift.begin(), state.drift.end()) : 0.0;
}

template <class T>
index_t assign_labels_pruned(const T* X, index_t n, index_t d, const T* centers, index_t k,
                             const index_t* previous, index_t* labels, PruneState& state,
                             int n_threads, const KernelTable& table) {
  std::vector<T> packed, norms;
  pack_centers(centers, k, d, tile_for(table, T()), packed, norms);
  const auto kernel = kernel_for(table, T());
  // The kernel ranks centers by fl(||c||^2 - 2 x.c) in T: each value is off by at most
  // gamma (||x|| + ||c||)^2 plus underflow (Higham 3.1; tests/fuzzing/ties.py), so a row is
  // certain when its own center's distance is below every other's by twice that, times a
  // safety factor of 4.
  const double u_T = unit_roundoff<T>();
  const double g = static_cast<double>(d + 2) * u_T / (1.0 - static_cast<double>(d + 2) * u_T);
  const double eta = static_cast<double>(d + 2) * std::numeric_limits<T>::denorm_min();
  const double cmax = state.center_norm_max;
  const index_t nb = num_blocks(n);
  std::vector<index_t> evaluated(static_cast<size_t>(nb), 0);
  const double shrink = state.drift_max;
  parallel_for(nb, n_threads, [&](index_t b) {
    const index_t begin = block_begin(b), end = block_end(b, n);
    index_t rows[kBlock];
    index_t m = 0;
    T* gathered = gather_workspace<T>(2 * kBlock * d);
    for (index_t e = begin; e < end; ++e) {
      const index_t c = previous[e];
      labels[e] = c;
      const double U = (state.upper[e] += state.drift[c]) * (1.0 + 0x1p-52);
      state.upper[e] = U;
      const double lo = std::max(0.0, (state.lower[e] - shrink) * (1.0 - 0x1p-51));
      state.lower[e] = lo;
      const double L = std::max(lo, 2.0 * state.half_gap[c] - U);  // to every other center
      const double reach = state.row_norm[e] + cmax;
      const double slack = 4.0 * (2.0 * g * reach * reach + 2.0 * eta);
      if (L > U && (L - U) * (L + U) > slack) continue;  // c stays nearest, beyond rounding
      std::copy(X + e * d, X + (e + 1) * d, gathered + m * d);
      rows[m++] = e;
    }
    evaluated[b] = m;
    if (m == 0) return;
    T best[kBlock];
    index_t found[kBlock];
    T* work = thread_workspace<T>(kMaxPanelRows * d);
    kernel(gathered, m, d, packed.data(), norms.data(), k, best, found, work);
    // The second-nearest: each group of rows with the same new center, ranked again with that
    // center's norm at +inf (a lane that never wins), gives min over the others of the rank.
    index_t order[kBlock];
    for (index_t i = 0; i < m; ++i) order[i] = i;
    std::sort(order, order + m, [&](index_t a, index_t b2) {
      return found[a] < found[b2] || (found[a] == found[b2] && a < b2);
    });
    T* grouped = gathered + kBlock * d;
    T* masked = norm_workspace<T>(static_cast<index_t>(norms.size()));
    std::copy(norms.begin(), norms.end(), masked);
    T second[kBlock];
    index_t ignored[kBlock];
    for (index_t i = 0; i < m;) {
      index_t j = i;
      const index_t c = found[order[i]];
      while (j < m && found[order[j]] == c) {
        std::copy(gathered + order[j] * d, gathered + (order[j] + 1) * d, grouped + (j - i) * d);
        ++j;
      }
      masked[c] = static_cast<T>(HUGE_VAL);
      kernel(grouped, j - i, d, packed.data(), masked, k, second + i, ignored, work);
      masked[c] = norms[c];
      i = j;
    }
    for (index_t i = 0; i < m; ++i) {
      const index_t e = rows[order[i]];
      const index_t c = found[order[i]];
      labels[e] = c;
      state.upper[e] = sqrt_up(squared_distance(X + e * d, centers + c * d, d), d);
      // ||x - c'||^2 = ||x||^2 + (||c'||^2 - 2 x.c') >= row_sq + second - its rounding error
      const double reach = state.row_norm[e] + cmax;
      const double err = 4.0 * (g * reach * reach + eta);
      const double d2 = state.row_sq[e] + static_cast<double>(second[i]) - err;
      state.lower[e] = d2 > 0.0 ? sqrt_down(d2, d) : 0.0;
    }
  });
  index_t total = 0;
  for (index_t v : evaluated) total += v;
  return total;
}

#define CORESAMPLE_PRUNE_INSTANCES(T)                                                          \
  template void init_prune_state<T>(const T*, index_t, index_t, const T*, const index_t*,      \
                                    PruneState&, int);                                         \
  template void update_center_bounds<T>(const T*, const T*, index_t, index_t, PruneState&,    \
                                        int);                                                  \
  template index_t assign_labels_pruned<T>(const T*, index_t, index_t, const T*, index_t,      \
                                           const index_t*, index_t*, PruneState&, int,         \
                                           const KernelTable&);
CORESAMPLE_PRUNE_INSTANCES(float)
CORESAMPLE_PRUNE_INSTANCES(double)
#undef CORESAMPLE_PRUNE_INSTANCES

template double assign<float>(const float*, index_t, index_t, const float*, index_t, double,
                              const double*, index_t*, double*, double*, int, const KernelTable&);
template double assign<double>(const double*, index_t, index_t, const double*, index_t, double,
                               const double*, index_t*, double*, double*, int,
                               const KernelTable&);

}  // namespace coresample
