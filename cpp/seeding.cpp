// Greedy k-means++: first center by weight, then the best of L D^z-sampled candidates per center.
#include "seeding.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "assign.h"
#include "blocks.h"
#include "interrupt.h"
#include "kernels/kernels.h"
#include "parallel.h"
#include "progress.h"
#include "rng.h"

namespace coresample {

namespace {
auto row_norms_kernel(const KernelTable& table, float) { return table.row_norms_f32; }
auto row_norms_kernel(const KernelTable& table, double) { return table.row_norms_f64; }
auto trials_kernel(const KernelTable& table, float) { return table.trial_distances_f32; }
auto trials_kernel(const KernelTable& table, double) { return table.trial_distances_f64; }

/// A squared distance above which row e's term of every potential is D_e and D_e stays: u_e *
/// cost(d2) >= D_e. The relative margin 1e-9 covers the rounding of the division, pow, and the
/// product u_e * cost in the callers. Weight 0: the row's terms are 0 whatever its distance.
double screen_threshold(double De, double we, double z) {
  if (!(we > 0.0)) return -HUGE_VAL;
  const double t = De / we;
  const double s = z == 2.0 ? t : (z == 1.0 ? t * t : std::pow(t, 2.0 / z));
  return s + s * 1e-9;
}
}  // namespace

index_t default_local_trials(index_t k) {
  return 2 + static_cast<index_t>(std::floor(std::log(static_cast<double>(k))));
}

template <class T>
void kmeans_plusplus(const T* X, index_t n, index_t d, const double* u, index_t k, double z,
                     std::uint64_t seed, index_t n_local_trials, index_t* indices, int n_threads,
                     const KernelTable& table) {
  CORESAMPLE_CHECK(n >= 1, "kmeans_plusplus: X has no rows");
  CORESAMPLE_CHECK(k >= 1, "kmeans_plusplus: n_clusters must be >= 1");
  CORESAMPLE_CHECK(n_local_trials >= 0, "kmeans_plusplus: n_local_trials must be >= 0");
  // More trials than rows only repeat rows, and the per-block trial buffer (rows x trials) grows
  // with them (the Python API refuses n_local_trials > n_samples the same way).
  CORESAMPLE_CHECK(n_local_trials <= std::max<index_t>(n, 2),
                   "kmeans_plusplus: n_local_trials must be <= n_samples");
  const index_t L = n_local_trials == 0 ? default_local_trials(k) : n_local_trials;
  // Each step runs two short parallel loops; small problems stay on one thread (parallel.h).
  n_threads = threads_for_work(n_threads, static_cast<double>(n) * static_cast<double>(d) *
                                              static_cast<double>(L + 1));
  const std::uint64_t key = stream_key(seed, kStreamSeeding);
  const index_t nb = num_blocks(n);
  auto weight = [u](index_t e) { return u != nullptr ? u[e] : 1.0; };

  // 1. First center: search(u, r) over the blocked CDF of the weights.
  {
    std::vector<double> ones;
    const double* w = u;
    if (w == nullptr) {
      ones.assign(static_cast<size_t>(n), 1.0);
      w = ones.data();
    }
    const BlockedCdf cdf(w, n, n_threads);
    indices[0] = cdf.search(unit(draw_from_key(key, 0)));
  }

  // 2. Distances come from the dispatched trial kernel in dot-product form (kernels.h), with
  //    the row norms computed once here by the same level: a row equal to a chosen center is at
  //    distance 0 exactly, so duplicates of chosen rows are never drawn again.
  const auto norms_kernel = row_norms_kernel(table, T());
  const auto trials = trials_kernel(table, T());
  std::vector<double> norms(static_cast<size_t>(n));
  parallel_for(nb, n_threads, [&](index_t b) {
    norms_kernel(X + block_begin(b) * d, block_end(b, n) - block_begin(b), d,
                 norms.data() + block_begin(b));
  });
  // Float rows at the SIMD levels screen the trials in float32 first (kernels.h:
  // trial_distances_screened): rows that no trial can bring below their threshold thr_e (kept
  // with D) are not computed exactly. The chosen centers are the same bits either way.
  constexpr bool kFloat = sizeof(T) == sizeof(float);
  const bool screen = kFloat && table.trial_distances_screened_f32 != nullptr;
  std::vector<double> thr(screen ? static_cast<size_t>(n) : 0, HUGE_VAL);
  // The L candidates in double, transposed (points_t[f * L + j]), their norms, and for the
  // screen the same points in float.
  std::vector<double> points_t(static_cast<size_t>(d * L));
  std::vector<double> point_norms(static_cast<size_t>(L));
  std::vector<float> points_t32(screen ? static_cast<size_t>(d * L) : 0);
  auto load_point = [&](index_t j, index_t row) {
    for (index_t f = 0; f < d; ++f) points_t[f * L + j] = static_cast<double>(X[row * d + f]);
    if (screen) {
      for (index_t f = 0; f < d; ++f) points_t32[f * L + j] = static_cast<float>(X[row * d + f]);
    }
    point_norms[j] = norms[row];
  };
  // Squared distances of block b's rows to `count` points given transposed (pts_t[f * count +
  // j], norms pn): out[j * stride + (e - begin)].
  auto block_distances = [&](index_t b, const double* pts_t, const double* pn, index_t count,
                             double* out, index_t stride) {
    const index_t begin = block_begin(b);
    trials(X + begin * d, block_end(b, n) - begin, d, norms.data() + begin, pts_t, pn, count,
           out, stride, thread_workspace<T>(kMaxPanelRows * d));
  };

  // D_e = min(D_e, u_e * dist(x_e, new center)^z) over block b from its distance column; the same
  // pass leaves the block totals of D for the next draws' CDF (one parallel region per update:
  // each region costs a wake-up of the other threads, which is slow when the machine is busy).
  std::vector<double> D(static_cast<size_t>(n), HUGE_VAL);
  std::vector<double> block_total(static_cast<size_t>(nb));
  auto lower_D = [&](index_t b, const double* col) {
    const index_t begin = block_begin(b);
    const index_t end = block_end(b, n);
    double t = 0.0;
    for (index_t e = begin; e < end; ++e) {
      const double v = weight(e) * cost_from_squared(col[e - begin], z);
      if (v < D[e]) {
        D[e] = v;
        if (screen) thr[e] = screen_threshold(v, weight(e), z);
      }
      t += D[e];
    }
    block_total[b] = t;
  };
  // The step's trials over block b: screened where the level can, else exact.
  auto block_trials = [&](index_t b, double* out, index_t stride) {
    const index_t begin = block_begin(b);
    if constexpr (sizeof(T) == sizeof(float)) {
      if (screen) {
        table.trial_distances_screened_f32(
            reinterpret_cast<const float*>(X) + begin * d, block_end(b, n) - begin, d,
            norms.data() + begin, points_t.data(), points_t32.data(), point_norms.data(), L,
            thr.data() + begin, out, stride, thread_workspace<float>(kScreenWork * d));
        return;
      }
    }
    block_distances(b, points_t.data(), point_norms.data(), L, out, stride);
  };
  // Lowers D by the distances to row `center`, computed again block by block (the first center,
  // and every center when the trials' distances are too many to keep).
  auto lower_D_from_row = [&](index_t center) {
    std::vector<double> row(X + center * d, X + (center + 1) * d);  // one point: transposed = row
    const double row_norm = norms[center];
    parallel_for(nb, n_threads, [&](index_t b) {
      double col[kBlock];
      block_distances(b, row.data(), &row_norm, 1, col, kBlock);
      lower_D(b, col);
    });
  };
  lower_D_from_row(indices[0]);

  // 3. Centers 1 .. k-1: L candidates drawn by D, keep the one of least potential. One pass over
  //    X per center gives all trials' distances ([trial][row]), hence the potentials, and they are
  //    kept so that the winner's column updates D without reading X again. Above kMaxKept values
  //    they are not kept and the winner's distances are recomputed.
  constexpr index_t kMaxKept = index_t{1} << 25;  // 256 MB of doubles
  const bool keep = n * L <= kMaxKept;
  std::vector<double> trial_d2(keep ? static_cast<size_t>(n * L) : 0);
  std::vector<index_t> candidates(static_cast<size_t>(L));
  std::vector<double> block_pot(static_cast<size_t>(L * nb));  // [trial][block]
  for (index_t c = 1; c < k; ++c) {
    check_interrupt();
    report_progress("k-means++", c, k);
    const BlockedCdf cdf(D.data(), n, block_total);
    const double total = cdf.total();
    for (index_t j = 0; j < L; ++j) {
      const double r = unit(draw_from_key(key, static_cast<std::uint64_t>(c * L + j)));
      if (total == 0.0) {
        // Every row coincides with a chosen center: pick uniformly.
        candidates[j] = std::min(static_cast<index_t>(std::floor(r * static_cast<double>(n))), n - 1);
      } else {
        candidates[j] = cdf.search(r);
      }
      load_point(j, candidates[j]);
    }
    // Potential of trial j: blocked_sum(min(D_e, u_e * dist(x_e, cand_j)^z)), rows in order.
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t begin = block_begin(b);
      const index_t end = block_end(b, n);
      std::vector<double> local;
      double* d2 = nullptr;  // d2[j * stride + (e - begin)]
      index_t stride = n;
      if (keep) {
        d2 = trial_d2.data() + begin;
      } else {
        stride = end - begin;
        local.resize(static_cast<size_t>(stride * L));
        d2 = local.data();
      }
      block_trials(b, d2, stride);
      constexpr index_t kAtOnce = 16;  // trials summed side by side (independent chains)
      for (index_t j0 = 0; j0 < L; j0 += kAtOnce) {
        const index_t width = std::min(kAtOnce, L - j0);
        double t[kAtOnce] = {};
        for (index_t e = begin; e < end; ++e) {
          const double De = D[e];
          const double we = weight(e);
          for (index_t j = 0; j < width; ++j) {
            t[j] += std::min(De, we * cost_from_squared(d2[(j0 + j) * stride + (e - begin)], z));
          }
        }
        for (index_t j = 0; j < width; ++j) block_pot[(j0 + j) * nb + b] = t[j];
      }
    });
    index_t best = 0;
    double best_pot = sum_in_order(block_pot.data(), nb);
    for (index_t j = 1; j < L; ++j) {
      const double pot = sum_in_order(block_pot.data() + j * nb, nb);
      if (pot < best_pot) {  // strict: ties keep the earliest trial
        best_pot = pot;
        best = j;
      }
    }
    indices[c] = candidates[best];
    if (keep) {
      const double* col = trial_d2.data() + best * n;
      parallel_for(nb, n_threads, [&](index_t b) { lower_D(b, col + block_begin(b)); });
    } else {
      lower_D_from_row(indices[c]);
    }
  }
}

template void kmeans_plusplus<float>(const float*, index_t, index_t, const double*, index_t, double,
                                     std::uint64_t, index_t, index_t*, int, const KernelTable&);
template void kmeans_plusplus<double>(const double*, index_t, index_t, const double*, index_t,
                                      double, std::uint64_t, index_t, index_t*, int,
                                      const KernelTable&);

}  // namespace coresample
