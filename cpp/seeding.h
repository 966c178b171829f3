// Greedy k-means++ seeding on the shared random stream (ARCHITECTURE.md section 5).
#pragma once

#include <cstdint>

#include "common.h"
#include "kernels/kernels.h"

namespace coresample {

/// Default number of local trials, 2 + floor(ln k) (as scikit-learn).
index_t default_local_trials(index_t k);

/// Greedy k-means++: picks k row indices of X as initial centers.
///   X       IN  (n*d), n >= 1
///   u       IN  (n)  sample weights, or nullptr for ones
///   k       n_clusters >= 1
///   z       cost exponent: D_e = u_e * dist(x_e, nearest chosen)^z
///   seed    draws use stream SEEDING: counter 0 for the first center, c * L + j for trial j of
///           center c >= 1
///   n_local_trials  L >= 1, or 0 for default_local_trials(k)
///   indices OUT (k)  chosen rows, in order of choice
///   table   the SIMD level's kernels (tests force each level; kernels() otherwise)
template <class T>
void kmeans_plusplus(const T* X, index_t n, index_t d, const double* u, index_t k, double z,
                     std::uint64_t seed, index_t n_local_trials, index_t* indices, int n_threads,
                     const KernelTable& table);

}  // namespace coresample
