// Greedy k-means++: first center by weight, then the best of L D^z-sampled candidates per center.
#include "seeding.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "assign.h"
#include "blocks.h"
#include "interrupt.h"
#include "rng.h"

namespace coresample {

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

  // 2. D_e = u_e * dist(x_e, first)^z.
  std::vector<double> D(static_cast<size_t>(n));
  auto update_D = [&](index_t center) {
    const T* c = X + center * d;
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t end = block_end(b, n);
      for (index_t e = block_begin(b); e < end; ++e) {
        const double v = weight(e) * cost_from_squared(squared_distance(X + e * d, c, d), z);
        if (v < D[e]) D[e] = v;
      }
    });
  };
  std::fill(D.begin(), D.end(), __builtin_huge_val());
  update_D(indices[0]);

  // 3. Centers 1 .. k-1: L candidates drawn by D, keep the one of least potential.
  std::vector<index_t> candidates(static_cast<size_t>(L));
  std::vector<double> block_pot(static_cast<size_t>(L * nb));  // [trial][block]
  for (index_t c = 1; c < k; ++c) {
    check_interrupt();
    const BlockedCdf cdf(D.data(), n, n_threads);
    const double total = cdf.total();
    for (index_t j = 0; j < L; ++j) {
      const double r = unit(draw_from_key(key, static_cast<std::uint64_t>(c * L + j)));
      if (total == 0.0) {
        // Every row coincides with a chosen center: pick uniformly.
        candidates[j] = std::min(static_cast<index_t>(std::floor(r * static_cast<double>(n))), n - 1);
      } else {
        candidates[j] = cdf.search(r);
      }
    }
    // Potential of trial j: blocked_sum(min(D_e, u_e * dist(x_e, cand_j)^z)); one read of each row
    // serves all L trials, each with its own in-order block accumulator.
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t begin = block_begin(b);
      const index_t end = block_end(b, n);
      double acc[64];
      std::vector<double> acc_heap;
      double* t = acc;
      if (L > 64) {
        acc_heap.assign(static_cast<size_t>(L), 0.0);
        t = acc_heap.data();
      }
      for (index_t j = 0; j < L; ++j) t[j] = 0.0;
      for (index_t e = begin; e < end; ++e) {
        const T* x = X + e * d;
        const double w = weight(e);
        for (index_t j = 0; j < L; ++j) {
          const double v =
              w * cost_from_squared(squared_distance(x, X + candidates[j] * d, d), z);
          t[j] += std::min(D[e], v);
        }
      }
      for (index_t j = 0; j < L; ++j) block_pot[j * nb + b] = t[j];
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
    update_D(indices[c]);
  }
}

template void kmeans_plusplus<float>(const float*, index_t, index_t, const double*, index_t, double,
                                     std::uint64_t, index_t, index_t*, int);
template void kmeans_plusplus<double>(const double*, index_t, index_t, const double*, index_t,
                                      double, std::uint64_t, index_t, index_t*, int);

}  // namespace coresample
