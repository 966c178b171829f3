// Sensitivity sampling distribution p from costs, labels and center losses (ARCHITECTURE.md section 8).
#pragma once

#include "common.h"

namespace coresample {

/// Which sensitivity bound to use when no center losses are given.
enum class SensitivityMethod {
  kLightweight,  ///< v_e = lam * Phi / U + lam * cost_e (half uniform, half by cost); the default
  kCoreset       ///< v_e = cost_e / Phi + 1 / |C_c(e)|
};

/// p_e = a u_e / U + (1 - a) u_e v_e / blocked_sum(u v), or u_e / U when that sum is 0:
/// the defensive mixture (a = `defensive`, the uniform share) keeps p_e >= a u_e / U > 0 on every
/// row of positive weight, whatever the bound v (a = 0: the plain sensitivity distribution).
///   cost          IN  (n)  cost_e >= 0
///   labels        IN  (n)  each in [0, k) (checked)
///   center_losses IN  (k)  l_c >= 0, or nullptr: then `method` decides
///   k             n_clusters >= 1
///   lam           Hoelder constant lambda >= 0
///   u             IN  (n)  sample weights, or nullptr for ones; blocked_sum(u) must be > 0
///   defensive     a in [0, 1]
///   out           OUT (n)  p
/// A row with u_e == 0 gets p_e = 0 even where v_e is not finite (a zero-weight cluster under
/// "coreset", where 1 / |C_c| = inf), so that p holds no NaN.
void sensitivities(const double* cost, const index_t* labels, index_t n,
                   const double* center_losses, index_t k, double lam, const double* u,
                   SensitivityMethod method, double defensive, double* out, int n_threads);

/// p from masses m (any run of rows) and the whole dataset's S = blocked_sum(m), U = blocked_sum(u):
/// p_e = a * (u_e / U) + (1 - a) * (m_e / S), or u_e / U when S == 0. In place when out == m.
///   m    IN  (n)  masses;  u  IN (n)  sample weights or nullptr;  out  OUT (n)
void sensitivity_probabilities(const double* m, const double* u, index_t n, double S, double U,
                               double defensive, double* out, int n_threads);

/// The unnormalised masses m_e = u_e v_e of `sensitivities`, for any run of rows, from the
/// whole dataset's totals: what a partition of a distributed select computes (the engines'
/// block kernels), and the first pass of `sensitivities` itself, so the formula exists once.
///   cost, labels, center_losses, k, lam, u, method  as for `sensitivities` (rows of the run)
///   a             lam * Phi / U of the whole dataset ("lightweight", no center losses)
///   cluster_size  IN  (k)  sum of u over each cluster of the whole dataset ("coreset"), or nullptr
///   phi           Phi = sum_e u_e cost_e of the whole dataset ("coreset")
///   out           OUT (n)  m
void sensitivity_masses(const double* cost, const index_t* labels, index_t n,
                        const double* center_losses, index_t k, double lam, const double* u,
                        SensitivityMethod method, double a, const double* cluster_size, double phi,
                        double* out, int n_threads);

}  // namespace coresample
