// Lloyd / (k,z) iterations from given centers (ARCHITECTURE.md section 6) and the mean feature variance behind tol.
#pragma once

#include "common.h"
#include "kernels/kernels.h"

namespace coresample {

/// What lloyd() reports besides its OUT arrays.
struct LloydResult {
  index_t n_iter;  ///< iterations run (0 when max_iter == 0)
  double inertia;  ///< blocked_sum(u * cost) of the final assignment
};

/// Lloyd iterations for z == 2, one iteratively-reweighted step per iteration otherwise, then a
/// final assignment consistent with the returned centers.
///   X        IN    (n*d), n >= k
///   u        IN    (n)    sample weights, or nullptr for ones
///   centers  INOUT (k*d)  initial centers in, final centers out
///   z        cost exponent >= 1
///   max_iter iterations at most (>= 0)
///   tol      absolute: stop once sum_c ||new_c - old_c||^2 <= tol
///   labels   OUT   (n)    final assignment
///   cost     OUT   (n)    final sqrt(d2)^z
template <class T>
LloydResult lloyd(const T* X, index_t n, index_t d, const double* u, T* centers, index_t k,
                  double z, index_t max_iter, double tol, index_t* labels, double* cost,
                  int n_threads);

/// lloyd() with a given kernel table (tests force each SIMD level) and, for z = 2, the choice
/// of the pruned assignment (assign_labels_pruned; the same labels, fewer distances) or the full
/// one in every iteration. lloyd() prunes only with CORESAMPLE_LLOYD_PRUNE=1 (not faster yet).
template <class T>
LloydResult lloyd(const T* X, index_t n, index_t d, const double* u, T* centers, index_t k,
                  double z, index_t max_iter, double tol, index_t* labels, double* cost,
                  int n_threads, const KernelTable& table, bool prune);

/// Whether lloyd() prunes: only when the environment has CORESAMPLE_LLOYD_PRUNE=1.
bool lloyd_prunes_by_default();

/// Rows the last lloyd() call on this thread ran the nearest-center kernel on, over all its
/// assignments (n per full pass): the pruning rate is this / (n (n_iter + 1)).
index_t last_lloyd_rows_evaluated();

/// Mean over the d features of each column's population variance, in double; two blocked passes
/// (column means, then squared deviations), block partials combined in block order.
///   X IN (n*d), n >= 1, d >= 1
template <class T>
double mean_variance(const T* X, index_t n, index_t d, int n_threads);

}  // namespace coresample
