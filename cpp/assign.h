// Nearest-center assignment (ARCHITECTURE.md section 4): labels, cost = distance^z and the weighted total, one blocked pass.
//
// Vocabulary: n = n_samples, d = n_features, k = n_clusters, z = the cost exponent (z >= 1),
// u = sample weights (nullptr: all ones).
#pragma once

#include <cmath>
#include <vector>

#include "common.h"
#include "kernels/kernels.h"

namespace coresample {

/// Squared Euclidean distance in double, from direct differences (no cancellation).
/// a, b: IN (d). Four interleaved partial sums (j mod 4), combined as (s0 + s1) + (s2 + s3): a fixed
/// order, so the result does not depend on threads; it may differ from NumPy's pairwise sum by rounding.
template <class T>
inline double squared_distance(const T* a, const T* b, index_t d) {
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  index_t j = 0;
  for (; j + 4 <= d; j += 4) {
    for (int l = 0; l < 4; ++l) {
      const double diff = static_cast<double>(a[j + l]) - static_cast<double>(b[j + l]);
      s[l] += diff * diff;
    }
  }
  for (int l = 0; j < d; ++j, ++l) {
    const double diff = static_cast<double>(a[j]) - static_cast<double>(b[j]);
    s[l] += diff * diff;
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

/// cost = d2 for z == 2, sqrt(d2)^z otherwise. z == 1 skips pow (exact either way: pow(x, 1) == x),
/// which took most of k-means++'s time for k-median (20k rows x 5 trials per center).
inline double cost_from_squared(double d2, double z) {
  if (z == 2.0) return d2;
  if (z == 1.0) return std::sqrt(d2);
  return std::pow(std::sqrt(d2), z);
}

/// Assigns every row to its nearest center (ties: lowest index) and returns blocked_sum(u * cost).
///   X       IN  (n*d)   rows
///   centers IN  (k*d)   k >= 1
///   u       IN  (n)     sample weights, or nullptr for ones
///   labels  OUT (n)
///   cost    OUT (n)     sqrt(d2)^z of the chosen center, d2 recomputed directly in double
///   dist    OUT (n)     sqrt(d2), or nullptr when not wanted (Lloyd's reweighting for z != 2)
///   table   the kernel table to use (kernels() unless a test forces a level)
template <class T>
double assign(const T* X, index_t n, index_t d, const T* centers, index_t k, double z,
              const double* u, index_t* labels, double* cost, double* dist, int n_threads,
              const KernelTable& table);

/// What Lloyd's pruned pass keeps between iterations (z = 2): each row's norm and an upper bound on
/// its distance to its labelled center; per center, how far it moved and half the distance to its
/// nearest other center (a lower bound). All in double, rounded so that the bounds stay bounds.
struct PruneState {
  std::vector<double> row_norm;  // (n) >= ||x_e||
  std::vector<double> row_sq;    // (n) <= ||x_e||^2
  std::vector<double> upper;     // (n) >= ||x_e - c_label(e)||
  std::vector<double> lower;     // (n) <= min over the other centers of ||x_e - c||
  std::vector<double> drift;     // (k) >= ||c_new - c_old||
  std::vector<double> half_gap;  // (k) <= min_{c' != c} ||c - c'|| / 2
  double center_norm_max = 0.0;  // max_c ||c||
  double drift_max = 0.0;        // max_c drift[c]
};

/// Labels of every row against `centers`, equal to assign()'s, evaluating the nearest-center kernel
/// only on rows whose label the bounds cannot certify (Hamerly's bounds, with a margin for the
/// kernel's rounding): a row stays with its center c when a lower bound L on its distance to
/// every other center (its own `lower`, or 2 half_gap[c] - U) and its upper bound U give
/// L^2 - U^2 above the largest error of two ranked distances. The rows evaluated are ranked a
/// second time with their new center masked, for their second-nearest distance (`lower`).
/// Updates the bounds (drifts applied, or recomputed for the rows evaluated). Returns the
/// number of rows evaluated.
template <class T>
index_t assign_labels_pruned(const T* X, index_t n, index_t d, const T* centers, index_t k,
                             const index_t* previous, index_t* labels, PruneState& state,
                             int n_threads, const KernelTable& table);

/// The bounds of `state` after a full assignment: norms (first call), each row's upper bound.
template <class T>
void init_prune_state(const T* X, index_t n, index_t d, const T* centers, const index_t* labels,
                      PruneState& state, int n_threads);

/// drift (old -> new centers), half_gap and center_norm_max of `state` for the new centers.
template <class T>
void update_center_bounds(const T* old_centers, const T* new_centers, index_t k, index_t d,
                          PruneState& state, int n_threads);

/// assign() with the dispatched kernel table and no dist output.
template <class T>
double assign(const T* X, index_t n, index_t d, const T* centers, index_t k, double z,
              const double* u, index_t* labels, double* cost, int n_threads) {
  return assign<T>(X, n, d, centers, k, z, u, labels, cost, nullptr, n_threads, kernels());
}

}  // namespace coresample
