// Sampling rows from p: alias method with replacement, exponential keys without (ARCHITECTURE.md section 9).
#pragma once

#include <cstdint>

#include "common.h"

namespace coresample {

/// `size` i.i.d. draws from p (Vose's alias method) on stream SAMPLE_WITH_REPLACEMENT; draw i uses
/// counters 2i (column) and 2i+1 (coin). Hansen-Hurwitz weights S / (size * p[row]).
///   p       IN  (n)    p >= 0 with a positive sum S (need not be normalised)
///   indices OUT (size)
///   weights OUT (size)
void sample_with_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                             index_t* indices, double* weights, int n_threads);

/// `size` distinct rows: the smallest keys -log_unit(unit_open(draw(seed, stream, e))) / p_e over
/// rows with p_e > 0, in ascending (key, index) order. Horvitz-Thompson weights 1 / pi_e with
/// pi_e = -expm1(-p_e * tau), tau = the (size+1)-th smallest key (inf if every positive row is taken).
///   p       IN  (n)    p >= 0; size must not exceed the number of rows with p > 0
///   stream  4 (SAMPLE_WITHOUT_REPLACEMENT) for sampling, 2 (SUBSAMPLE) for KMeans subsampling
///   indices OUT (size)
///   weights OUT (size)
void sample_without_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                                std::uint64_t stream, index_t* indices, double* weights,
                                int n_threads);

}  // namespace coresample
