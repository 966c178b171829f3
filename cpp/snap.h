// Representatives: each center replaced by the real row nearest to it (ARCHITECTURE.md section 7).
#pragma once

#include "common.h"

namespace coresample {

/// Center c becomes the member of cluster c (labels == c) nearest to it by direct squared distance
/// in double, ties to the lowest row index; a center without members takes the nearest row overall.
///   X       IN  (n*d), n >= 1
///   centers IN  (k*d)
///   labels  IN  (n)   each in [0, k) (checked: std::invalid_argument otherwise)
///   out     OUT (k)   row index per center
template <class T>
void snap_to_rows(const T* X, index_t n, index_t d, const T* centers, index_t k,
                  const index_t* labels, index_t* out, int n_threads);

/// Throws std::invalid_argument unless every labels[e], IN (n), lies in [0, k).
void check_labels(const index_t* labels, index_t n, index_t k);

}  // namespace coresample
