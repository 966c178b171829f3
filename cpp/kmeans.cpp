// Lloyd driver: a short loop over assign / accumulate (one owner per center) / relocate empties / shift.
#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "assign.h"
#include "blocks.h"
#include "interrupt.h"
#include "progress.h"
#include "kernels/kernels.h"

namespace coresample {

namespace {

/// Rows grouped by label, ascending row order inside each group (a counting sort).
struct RowsByLabel {
  std::vector<index_t> start;  // size k + 1
  std::vector<index_t> rows;   // size n
};

void group_rows(const index_t* labels, index_t n, index_t k, RowsByLabel& g) {
  g.start.assign(static_cast<size_t>(k + 1), 0);
  g.rows.resize(static_cast<size_t>(n));
  for (index_t e = 0; e < n; ++e) ++g.start[labels[e] + 1];
  for (index_t c = 0; c < k; ++c) g.start[c + 1] += g.start[c];
  std::vector<index_t> next(g.start.begin(), g.start.end() - 1);
  for (index_t e = 0; e < n; ++e) g.rows[next[labels[e]]++] = e;
}

auto add_rows_kernel_for(const KernelTable& table, float) { return table.add_rows_f32; }
auto add_rows_kernel_for(const KernelTable& table, double) { return table.add_rows_f64; }

/// cost OUT (n): the exact cost of each row to its labelled center (ARCHITECTURE.md section 4).
template <class T>
void direct_costs(const T* X, index_t d, const T* centers, const index_t* labels, index_t n,
                  double z, double* cost, int n_threads) {
  parallel_for(num_blocks(n), n_threads, [&](index_t b) {
    for (index_t e = block_begin(b); e < block_end(b, n); ++e) {
      cost[e] = cost_from_squared(squared_distance(X + e * d, centers + labels[e] * d, d), z);
    }
  });
}

}  // namespace

namespace {
thread_local index_t g_rows_evaluated = 0;

}  // namespace

bool lloyd_prunes_by_default() {
  // Off unless asked for: exact at every level (tests/test_lloyd_pruning.py) but not yet faster
  // (bench/RESULTS.md, "Lloyd with bounds"): the second-nearest pass on small groups of rows
  // costs more than the rows it saves on the shapes measured.
  static const bool on = [] {
    const char* v = std::getenv("CORESAMPLE_LLOYD_PRUNE");
    return v != nullptr && std::string(v) == "1";
  }();
  return on;
}

index_t last_lloyd_rows_evaluated() { return g_rows_evaluated; }

template <class T>
LloydResult lloyd(const T* X, index_t n, index_t d, const double* u, T* centers, index_t k,
                  double z, index_t max_iter, double tol, index_t* labels, double* cost,
                  int n_threads) {
  return lloyd<T>(X, n, d, u, centers, k, z, max_iter, tol, labels, cost, n_threads, kernels(),
                  lloyd_prunes_by_default());
}

template <class T>
LloydResult lloyd(const T* X, index_t n, index_t d, const double* u, T* centers, index_t k,
                  double z, index_t max_iter, double tol, index_t* labels, double* cost,
                  int n_threads, const KernelTable& table, bool prune) {
  CORESAMPLE_CHECK(k >= 1, "lloyd: n_clusters must be >= 1");
  CORESAMPLE_CHECK(n >= k, "lloyd: need n_samples >= n_clusters");
  CORESAMPLE_CHECK(max_iter >= 0, "lloyd: max_iter must be >= 0");
  CORESAMPLE_CHECK(tol >= 0.0, "lloyd: tol must be >= 0");  // a negative tol never stops
  // Small problems stay on one thread (parallel.h): a fit runs several short loops per iteration.
  n_threads = threads_for_work(n_threads, static_cast<double>(n) * static_cast<double>(d) *
                                              static_cast<double>(k));
  const bool reweight = z != 2.0;
  std::vector<double> dist(reweight ? static_cast<size_t>(n) : 0);
  std::vector<T> new_centers(static_cast<size_t>(k * d));
  std::vector<double> total_weight(static_cast<size_t>(k));
  RowsByLabel groups;
  // z = 2: after the first full pass, rows whose center the bounds certify are not ranked again.
  prune = prune && !reweight && k > 1;
  PruneState bounds;
  bool bounded = false;  // bounds valid for the current centers and labels
  index_t next_try = 0, backoff = 2, bounded_passes = 0;
  g_rows_evaluated = 0;

  const auto add_rows = add_rows_kernel_for(table, T());
  std::vector<double> step_weight;  // per-row update weight, when not all ones

  index_t n_iter = 0;
  for (index_t it = 0; it < max_iter; ++it) {
    check_interrupt();
    // 1. Assignment. For z = 2 the iterations need labels only: the costs (a second, exact pass
    //    over the rows) are computed only if an empty cluster must be moved, and after the loop.
    //    For z != 2, d_e = sqrt(d2_e) is kept for the reweighting.
    if (bounded) {
      const index_t ranked = assign_labels_pruned<T>(X, n, d, centers, k, labels, labels, bounds,
                                                     n_threads, table);
      g_rows_evaluated += ranked;
      // The bounds' upkeep (center distances, gathers) pays only when most rows are certified:
      // not in the first iterations, when centers move far, nor on data without cluster
      // structure. Then full passes again, and another try after twice as many iterations.
      if (++bounded_passes > 1 && 2 * ranked > n) {
        bounded = false;
        next_try = it + backoff;
        backoff *= 2;
      }
    } else {
      assign<T>(X, n, d, centers, k, z, u, labels, reweight ? cost : nullptr,
                reweight ? dist.data() : nullptr, n_threads, table);
      g_rows_evaluated += n;
      if (prune && it >= next_try) {
        init_prune_state<T>(X, n, d, centers, labels, bounds, n_threads);
        bounded = true;
        bounded_passes = 0;  // the first pass after it ranks most rows (no second-nearest yet)
      }
    }
    group_rows(labels, n, k, groups);

    // 2-3. Each center's owner adds weight * x over its rows in ascending row order, in double.
    //      The first step is a plain mean even for z != 2: k-means++ seeds are data rows, and at
    //      distance 0 the reweighted (Weiszfeld) step gives that row all the weight and is stuck.
    const bool reweight_now = reweight && it > 0;
    const double* w_rows = u;
    if (reweight_now) {
      step_weight.resize(static_cast<size_t>(n));
      parallel_for(num_blocks(n), n_threads, [&](index_t b) {
        for (index_t e = block_begin(b); e < block_end(b, n); ++e) {
          const double w = u != nullptr ? u[e] : 1.0;
          step_weight[e] = w * std::pow(std::max(dist[e], 1e-12), z - 2.0);
        }
      });
      w_rows = step_weight.data();
    }
    parallel_for(k, n_threads, [&](index_t c) {
      std::vector<double> acc(static_cast<size_t>(d), 0.0);
      const index_t* rows = groups.rows.data() + groups.start[c];
      const index_t count = groups.start[c + 1] - groups.start[c];
      double w_sum = 0.0;
      if (w_rows == nullptr) {
        w_sum = static_cast<double>(count);
      } else {
        for (index_t p = 0; p < count; ++p) w_sum += w_rows[rows[p]];
      }
      add_rows(X, d, rows, count, w_rows, acc.data());
      total_weight[c] = w_sum;
      T* out = new_centers.data() + c * d;
      if (w_sum != 0.0) {
        for (index_t j = 0; j < d; ++j) out[j] = static_cast<T>(acc[j] / w_sum);
      }
    });

    // 4. Empty centers (zero total weight), in ascending order, move to the rows of largest cost
    //    (ties: lowest row index), one distinct row each.
    std::vector<index_t> empty;
    for (index_t c = 0; c < k; ++c) {
      if (total_weight[c] == 0.0) empty.push_back(c);
    }
    if (!empty.empty()) {
      if (!reweight) direct_costs(X, d, centers, labels, n, z, cost, n_threads);
      std::vector<index_t> order(static_cast<size_t>(n));
      std::iota(order.begin(), order.end(), index_t{0});
      const auto m = static_cast<std::ptrdiff_t>(empty.size());
      std::partial_sort(order.begin(), order.begin() + m, order.end(),
                        [cost](index_t a, index_t b) {
                          return cost[a] > cost[b] || (cost[a] == cost[b] && a < b);
                        });
      for (size_t i = 0; i < empty.size(); ++i) {
        std::copy(X + order[i] * d, X + (order[i] + 1) * d, new_centers.data() + empty[i] * d);
      }
    }

    // 5. shift = sum_c ||new_c - old_c||^2 (per center over features, then over centers, in order).
    double shift = 0.0;
    for (index_t c = 0; c < k; ++c) {
      double s = 0.0;
      for (index_t j = 0; j < d; ++j) {
        const double diff = static_cast<double>(new_centers[c * d + j]) -
                            static_cast<double>(centers[c * d + j]);
        s += diff * diff;
      }
      shift += s;
    }
    if (bounded) update_center_bounds<T>(centers, new_centers.data(), k, d, bounds, n_threads);
    std::copy(new_centers.begin(), new_centers.end(), centers);
    n_iter = it + 1;
    report_progress("lloyd", n_iter, max_iter);
    if (!(shift > tol)) break;  // also stops on a NaN shift (NaN rows): no iteration can help
  }

  check_interrupt();
  const double inertia = assign<T>(X, n, d, centers, k, z, u, labels, cost, nullptr, n_threads,
                                   table);
  g_rows_evaluated += n;
  return LloydResult{n_iter, inertia};
}

template <class T>
double mean_variance(const T* X, index_t n, index_t d, int n_threads) {
  CORESAMPLE_CHECK(n >= 1 && d >= 1, "mean_variance: X must have at least one row and one column");
  n_threads = threads_for_work(n_threads, 2.0 * static_cast<double>(n) * static_cast<double>(d));
  const index_t nb = num_blocks(n);
  std::vector<double> partial(static_cast<size_t>(nb * d));  // [block][feature]
  auto combine = [&](std::vector<double>& out) {
    out.assign(static_cast<size_t>(d), 0.0);
    for (index_t b = 0; b < nb; ++b) {
      for (index_t j = 0; j < d; ++j) out[j] += partial[b * d + j];
    }
  };
  // Pass 1: column sums, then means.
  parallel_for(nb, n_threads, [&](index_t b) {
    double* p = partial.data() + b * d;
    std::fill(p, p + d, 0.0);
    const index_t end = block_end(b, n);
    for (index_t e = block_begin(b); e < end; ++e) {
      for (index_t j = 0; j < d; ++j) p[j] += static_cast<double>(X[e * d + j]);
    }
  });
  std::vector<double> mean;
  combine(mean);
  for (index_t j = 0; j < d; ++j) mean[j] /= static_cast<double>(n);
  // Pass 2: squared deviations from the means.
  parallel_for(nb, n_threads, [&](index_t b) {
    double* p = partial.data() + b * d;
    std::fill(p, p + d, 0.0);
    const index_t end = block_end(b, n);
    for (index_t e = block_begin(b); e < end; ++e) {
      for (index_t j = 0; j < d; ++j) {
        const double diff = static_cast<double>(X[e * d + j]) - mean[j];
        p[j] += diff * diff;
      }
    }
  });
  std::vector<double> ss;
  combine(ss);
  double total = 0.0;
  for (index_t j = 0; j < d; ++j) total += ss[j] / static_cast<double>(n);
  return total / static_cast<double>(d);
}

template LloydResult lloyd<float>(const float*, index_t, index_t, const double*, float*, index_t,
                                  double, index_t, double, index_t*, double*, int);
template LloydResult lloyd<double>(const double*, index_t, index_t, const double*, double*,
                                   index_t, double, index_t, double, index_t*, double*, int);
template LloydResult lloyd<float>(const float*, index_t, index_t, const double*, float*, index_t,
                                  double, index_t, double, index_t*, double*, int,
                                  const KernelTable&, bool);
template LloydResult lloyd<double>(const double*, index_t, index_t, const double*, double*,
                                   index_t, double, index_t, double, index_t*, double*, int,
                                   const KernelTable&, bool);
template double mean_variance<float>(const float*, index_t, index_t, int);
template double mean_variance<double>(const double*, index_t, index_t, int);

}  // namespace coresample
