// Sensitivities: v_e from the chosen bound, m_e = u_e v_e (sensitivity_masses), p = m / blocked_sum(m).
#include "sensitivity.h"

#include <vector>

#include "blocks.h"
#include "snap.h"

namespace coresample {

void sensitivity_masses(const double* cost, const index_t* labels, index_t n,
                        const double* center_losses, index_t k, double lam, const double* u,
                        SensitivityMethod method, double a, const double* cluster_size, double phi,
                        double* out, int n_threads) {
  CORESAMPLE_CHECK(k >= 1, "sensitivity_masses: n_clusters must be >= 1");
  CORESAMPLE_CHECK(center_losses != nullptr || method != SensitivityMethod::kCoreset ||
                       cluster_size != nullptr,
                   "sensitivity_masses: method 'coreset' needs the cluster sizes");
  check_labels(labels, n, k);
  if (n == 0) return;
  n_threads = threads_for_work(n_threads, 2.0 * static_cast<double>(n));
  auto weight = [u](index_t e) { return u != nullptr ? u[e] : 1.0; };
  const index_t nb = num_blocks(n);
  if (center_losses != nullptr) {
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t end = block_end(b, n);
      for (index_t e = block_begin(b); e < end; ++e) {
        const double v = center_losses[labels[e]] + lam * cost[e];
        out[e] = weight(e) * v;
      }
    });
  } else if (method == SensitivityMethod::kLightweight) {
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t end = block_end(b, n);
      for (index_t e = block_begin(b); e < end; ++e) out[e] = weight(e) * (a + lam * cost[e]);
    });
  } else {
    parallel_for(nb, n_threads, [&](index_t b) {
      const index_t end = block_end(b, n);
      for (index_t e = block_begin(b); e < end; ++e) {
        const double w = weight(e);
        if (w == 0.0) {  // a zero-weight cluster has size 0: 1 / 0 would make p NaN
          out[e] = 0.0;
          continue;
        }
        const double inv_size = 1.0 / cluster_size[labels[e]];
        const double v = phi == 0.0 ? inv_size : cost[e] / phi + inv_size;
        out[e] = w * v;
      }
    });
  }
}

void sensitivity_probabilities(const double* m, const double* u, index_t n, double S, double U,
                               double defensive, double* out, int n_threads) {
  CORESAMPLE_CHECK(defensive >= 0.0 && defensive <= 1.0,
                   "sensitivities: defensive must be in [0, 1]");
  n_threads = threads_for_work(n_threads, 2.0 * static_cast<double>(n));
  auto weight = [u](index_t e) { return u != nullptr ? u[e] : 1.0; };
  const double keep = 1.0 - defensive;
  parallel_for(num_blocks(n), n_threads, [&](index_t b) {
    const index_t end = block_end(b, n);
    if (S == 0.0) {
      for (index_t e = block_begin(b); e < end; ++e) out[e] = weight(e) / U;
    } else {
      // Two products and a sum, in this order (the reference's NumPy expression): a = 0 gives
      // exactly m / S, since 0 * x + y == y.
      for (index_t e = block_begin(b); e < end; ++e) {
        out[e] = defensive * (weight(e) / U) + keep * (m[e] / S);
      }
    }
  });
}

void sensitivities(const double* cost, const index_t* labels, index_t n,
                   const double* center_losses, index_t k, double lam, const double* u,
                   SensitivityMethod method, double defensive, double* out, int n_threads) {
  CORESAMPLE_CHECK(k >= 1, "sensitivities: n_clusters must be >= 1");
  check_labels(labels, n, k);
  if (n == 0) return;
  n_threads = threads_for_work(n_threads, 8.0 * static_cast<double>(n));  // a few passes over n
  auto weight = [u](index_t e) { return u != nullptr ? u[e] : 1.0; };
  const double Phi = blocked_sum_of(n, n_threads, [&](index_t e) { return weight(e) * cost[e]; });
  const double U = blocked_sum_of(n, n_threads, weight);
  CORESAMPLE_CHECK(U > 0.0, "sensitivities: sample_weight must have a positive sum");
  // |C_c| = sum of u over the cluster, rows in ascending order (only "coreset" reads it).
  std::vector<double> size;
  if (center_losses == nullptr && method == SensitivityMethod::kCoreset) {
    size.assign(static_cast<size_t>(k), 0.0);
    for (index_t e = 0; e < n; ++e) size[labels[e]] += weight(e);
  }
  sensitivity_masses(cost, labels, n, center_losses, k, lam, u, method, lam * Phi / U,
                     size.empty() ? nullptr : size.data(), Phi, out, n_threads);

  const double S = blocked_sum(out, n, n_threads);
  sensitivity_probabilities(out, u, n, S, U, defensive, out, n_threads);
}

}  // namespace coresample
