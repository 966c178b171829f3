// Fixed row blocks (independent of the thread count), blocked sums and the blocked CDF search of ARCHITECTURE.md section 3.
#pragma once

#include <algorithm>
#include <vector>

#include "common.h"
#include "parallel.h"

namespace coresample {

/// Rows per block. Fixed, so that block boundaries and hence every blocked reduction are the same
/// for any thread count; part of the contract with the NumPy reference.
constexpr index_t kBlock = 1024;

/// Number of blocks covering n rows.
inline index_t num_blocks(index_t n) { return (n + kBlock - 1) / kBlock; }

/// First row of block b.
inline index_t block_begin(index_t b) { return b * kBlock; }

/// One past the last row of block b of n rows.
inline index_t block_end(index_t b, index_t n) { return std::min(n, (b + 1) * kBlock); }

/// Sequential sum (((0 + t_0) + t_1) + ...) of t, IN (m).
inline double sum_in_order(const double* t, index_t m) {
  double s = 0.0;
  for (index_t i = 0; i < m; ++i) s += t[i];
  return s;
}

/// Blocked sum of value(i) for i in [0, n): each block summed sequentially from 0.0, then the block
/// totals summed sequentially. value(i) must return a double and may run on any thread.
template <class F>
double blocked_sum_of(index_t n, int n_threads, F&& value) {
  const index_t nb = num_blocks(n);
  std::vector<double> totals(static_cast<size_t>(nb));
  parallel_for(nb, n_threads, [&](index_t b) {
    double t = 0.0;
    const index_t end = block_end(b, n);
    for (index_t i = block_begin(b); i < end; ++i) t += value(i);
    totals[b] = t;
  });
  return sum_in_order(totals.data(), nb);
}

/// Blocked sum of a, IN (n).
inline double blocked_sum(const double* a, index_t n, int n_threads) {
  return blocked_sum_of(n, n_threads, [a](index_t i) { return a[i]; });
}

/// The blocked CDF of a non-negative array: cdf_i = offset_b + local_i, with offset_b the sequential
/// sum of the block totals before block b and local_i the running sum within the block.
class BlockedCdf {
 public:
  /// a: IN (n), non-negative, must outlive this object.
  BlockedCdf(const double* a, index_t n, int n_threads) : a_(a), n_(n) {
    const index_t nb = num_blocks(n);
    std::vector<double> totals(static_cast<size_t>(nb));
    parallel_for(nb, n_threads, [&](index_t b) {
      double t = 0.0;
      const index_t end = block_end(b, n);
      for (index_t i = block_begin(b); i < end; ++i) t += a[i];
      totals[b] = t;
    });
    offsets_.assign(static_cast<size_t>(nb + 1), 0.0);
    double s = 0.0;
    for (index_t b = 0; b < nb; ++b) {
      s += totals[b];
      offsets_[b + 1] = s;
    }
  }

  /// The same, from block totals the caller already has (t_b = sequential sum of block b of a).
  BlockedCdf(const double* a, index_t n, const std::vector<double>& totals) : a_(a), n_(n) {
    offsets_.assign(totals.size() + 1, 0.0);
    for (size_t b = 0; b < totals.size(); ++b) offsets_[b + 1] = offsets_[b] + totals[b];
  }

  /// The blocked sum of a (equal to blocked_sum(a)).
  double total() const { return offsets_.back(); }

  /// search(a, r): the first i with cdf_i > r * total, or n - 1 if there is none.
  /// The last cdf of block b is offsets_[b] + t_b == offsets_[b + 1] bit for bit (same additions),
  /// and a >= 0 makes the cdf non-decreasing, so blocks whose last cdf is <= the threshold are skipped.
  index_t search(double r) const {
    const double threshold = r * total();
    const index_t nb = static_cast<index_t>(offsets_.size()) - 1;
    for (index_t b = 0; b < nb; ++b) {
      if (!(offsets_[b + 1] > threshold)) continue;
      const double offset = offsets_[b];
      double local = 0.0;
      const index_t end = block_end(b, n_);
      for (index_t i = block_begin(b); i < end; ++i) {
        local += a_[i];
        if (offset + local > threshold) return i;
      }
    }
    return n_ - 1;
  }

 private:
  const double* a_;
  index_t n_;
  std::vector<double> offsets_;  // offsets_[b] = t_0 + ... + t_{b-1}, sequentially; size nb + 1
};

}  // namespace coresample
