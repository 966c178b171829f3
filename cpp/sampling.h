// Sampling rows from p: inverse-CDF draws with replacement, exponential keys without (ARCHITECTURE.md section 9).
#pragma once

#include <cstdint>

#include "common.h"

namespace coresample {

/// `size` i.i.d. draws from p by inverse-CDF search on the blocked CDF, stream
/// SAMPLE_WITH_REPLACEMENT: draw i takes r_i = unit(draw(seed, 3, i)) and returns the first row j
/// with cdf_j > r_i * S (S = blocked_sum(p) = cdf_{n-1}), or the last row with p > 0 if there is
/// none. Hansen-Hurwitz weights S / (size * p[row]).
/// Checks p first (one fused pass) and throws std::invalid_argument with the user-facing message
/// when p holds NaN/inf, a negative entry or only zeros.
///   p       IN  (n)    n >= 1
///   indices OUT (size)
///   weights OUT (size)
void sample_with_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                             index_t* indices, double* weights, int n_threads);

/// `size` distinct rows: the smallest keys -log_unit(unit_open(draw(seed, stream, e))) / p_e over
/// rows with p_e > 0, in ascending (key, index) order. Horvitz-Thompson weights 1 / pi_e with
/// pi_e = -expm1(-p_e * tau), tau = the (size+1)-th smallest key (inf if every positive row is taken).
/// Checks p as sample_with_replacement does, then that size <= the number of rows with p > 0.
///   p       IN  (n)
///   stream  4 (SAMPLE_WITHOUT_REPLACEMENT) for sampling, 2 (SUBSAMPLE) for KMeans subsampling
///   indices OUT (size)
///   weights OUT (size)
void sample_without_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                                std::uint64_t stream, index_t* indices, double* weights,
                                int n_threads);

}  // namespace coresample
