// Greedy k-means++: first center by weight, then the best of L D^z-sampled candidates per center.
#include "seeding.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "assign.h"
#include "blocks.h"
#include "interrupt.h"
#include "kernels/kernels.h"
#include "rng.h"

namespace coresample {

namespace {
auto distances_kernel_for(const KernelTable& table, float) { return table.squared_distances_f32; }
auto distances_kernel_for(const KernelTable& table, double) { return table.squared_distances_f64; }
}  // namespace

index_t default_local_trials(index_t k) {
  return 2 + static_cast<index_t>(std::floor(std::log(static_cast<double>(k))));
}

template <class T>
void kmeans_plusplus(const T* X, index_t n, index_t d, const double* u, index_t k, double z,
                     std::uint64_t seed, index_t n_local_trials, index_t* indices, int n_threads) {
  CORESAMPLE_CHECK(n >= 1, "kmeans_plusplus: X has no rows");
  CORESAMPLE_CHECK(k >= 1, "kmeans_plusplus: n_clusters must be >= 1");
  CORESAMPLE_CHECK(n_local_trials >= 0, "kmeans_plusplus: n_local_trials must be >= 0");
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

  // 2. D_e = u_e * dist(x_e, first)^z, from double distances. The same pass leaves the
  //    block totals of D for the next draws' CDF (one parallel region per update, not two: each
  //    region costs a wake-up of the other threads, which is slow when the machine is busy).
  std::vector<double> D(static_cast<size_t>(n));
  std::vector<double> block_total(static_cast<size_t>(nb));
  auto update_D = [&](index_t center) {
    const T* c = X + center * d;
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t end = block_end(b, n);
      double t = 0.0;
      for (index_t e = block_begin(b); e < end; ++e) {
        const double v = weight(e) * cost_from_squared(squared_distance(X + e * d, c, d), z);
        if (v < D[e]) D[e] = v;
        t += D[e];
      }
      block_total[b] = t;
    });
  };
  std::fill(D.begin(), D.end(), __builtin_huge_val());
  update_D(indices[0]);

  // 3. Centers 1 .. k-1: L candidates drawn by D, keep the one of least potential. One pass over
  //    X per center: the trials' squared distances (double, from the dispatched kernel) give the
  //    potentials and are kept, so the winner's column updates D without reading X again. Above
  //    kMaxKept values the columns are not kept and the winner's distances are recomputed.
  constexpr index_t kMaxKept = index_t{1} << 25;  // 256 MB of doubles
  const bool keep = n * L <= kMaxKept;
  std::vector<double> trial_d2(keep ? static_cast<size_t>(n * L) : 0);  // [trial][row]
  std::vector<index_t> candidates(static_cast<size_t>(L));
  std::vector<double> trial_rows(static_cast<size_t>(L * d));  // converted once per step
  const auto kernel = distances_kernel_for(kernels(), T());
  std::vector<double> block_pot(static_cast<size_t>(L * nb));  // [trial][block]
  for (index_t c = 1; c < k; ++c) {
    check_interrupt();
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
      std::copy(X + candidates[j] * d, X + (candidates[j] + 1) * d, trial_rows.begin() + j * d);
    }
    // Potential of trial j: blocked_sum(min(D_e, u_e * dist(x_e, cand_j)^z)).
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t begin = block_begin(b);
      const index_t end = block_end(b, n);
      std::vector<double> local;
      double* d2 = nullptr;
      index_t stride = n;
      if (keep) {
        d2 = trial_d2.data() + begin;
      } else {
        local.resize(static_cast<size_t>((end - begin) * L));
        d2 = local.data();
        stride = end - begin;
      }
      kernel(X + begin * d, end - begin, d, trial_rows.data(), L, d2, stride);
      for (index_t j = 0; j < L; ++j) {
        double t = 0.0;
        for (index_t e = begin; e < end; ++e) {
          const double v = weight(e) * cost_from_squared(d2[j * stride + (e - begin)], z);
          t += std::min(D[e], v);
        }
        block_pot[j * nb + b] = t;
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
      parallel_for(nb, n_threads, [&](index_t b) {
        double t = 0.0;
        for (index_t e = block_begin(b); e < block_end(b, n); ++e) {
          const double v = weight(e) * cost_from_squared(col[e], z);
          if (v < D[e]) D[e] = v;
          t += D[e];
        }
        block_total[b] = t;
      });
    } else {
      update_D(indices[c]);
    }
  }
}

template void kmeans_plusplus<float>(const float*, index_t, index_t, const double*, index_t, double,
                                     std::uint64_t, index_t, index_t*, int);
template void kmeans_plusplus<double>(const double*, index_t, index_t, const double*, index_t,
                                      double, std::uint64_t, index_t, index_t*, int);

}  // namespace coresample
