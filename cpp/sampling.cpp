// Alias table built in O(n) and drawn in parallel; exponential keys selected with nth_element.
#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "blocks.h"
#include "rng.h"

namespace coresample {

void sample_with_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                             index_t* indices, double* weights, int n_threads) {
  CORESAMPLE_CHECK(size >= 0, "sample_with_replacement: size must be >= 0");
  if (size == 0) return;
  CORESAMPLE_CHECK(n >= 1, "sample_with_replacement: p is empty");
  const double S = blocked_sum(p, n, n_threads);
  CORESAMPLE_CHECK(S > 0.0, "sample_with_replacement: p must have a positive sum");

  // Vose's alias table; small and large are stacks filled in ascending order, popped from the end.
  const double scale = static_cast<double>(n) / S;
  std::vector<double> q(static_cast<size_t>(n));
  std::vector<double> prob(static_cast<size_t>(n));
  std::vector<index_t> alias(static_cast<size_t>(n));
  std::vector<index_t> small, large;
  for (index_t i = 0; i < n; ++i) {
    q[i] = p[i] * scale;
    if (q[i] < 1.0) {
      small.push_back(i);
    } else {
      large.push_back(i);
    }
  }
  while (!small.empty() && !large.empty()) {
    const index_t l = small.back();
    small.pop_back();
    const index_t g = large.back();
    large.pop_back();
    prob[l] = q[l];
    alias[l] = g;
    q[g] = (q[g] + q[l]) - 1.0;
    if (q[g] < 1.0) {
      small.push_back(g);
    } else {
      large.push_back(g);
    }
  }
  // Left-overs keep themselves, except rows with p == 0, which point at the first maximum of p.
  const index_t argmax = static_cast<index_t>(std::max_element(p, p + n) - p);
  for (const std::vector<index_t>* stack : {&small, &large}) {
    for (index_t i : *stack) {
      if (p[i] == 0.0) {
        prob[i] = 0.0;
        alias[i] = argmax;
      } else {
        prob[i] = 1.0;
        alias[i] = i;
      }
    }
  }

  const std::uint64_t key = stream_key(seed, kStreamSampleWithReplacement);
  const double dn = static_cast<double>(n);
  const double dsize = static_cast<double>(size);
  parallel_for(num_blocks(size), n_threads, [&](index_t b) {
    const index_t end = block_end(b, size);
    for (index_t i = block_begin(b); i < end; ++i) {
      const auto c = static_cast<std::uint64_t>(i);
      const double col = std::floor(unit(draw_from_key(key, 2 * c)) * dn);
      const index_t j = std::min(static_cast<index_t>(col), n - 1);
      const index_t row = unit(draw_from_key(key, 2 * c + 1)) < prob[j] ? j : alias[j];
      indices[i] = row;
      weights[i] = S / (dsize * p[row]);
    }
  });
}

void sample_without_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                                std::uint64_t stream, index_t* indices, double* weights,
                                int n_threads) {
  CORESAMPLE_CHECK(size >= 0, "sample_without_replacement: size must be >= 0");
  const index_t nb = num_blocks(n);
  std::vector<double> keys(static_cast<size_t>(n));
  std::vector<index_t> positive_per_block(static_cast<size_t>(nb));
  const std::uint64_t key = stream_key(seed, stream);
  parallel_for(nb, n_threads, [&](index_t b) {
    const index_t end = block_end(b, n);
    index_t count = 0;
    for (index_t e = block_begin(b); e < end; ++e) {
      if (p[e] > 0.0) {
        keys[e] = -log_unit(unit_open(draw_from_key(key, static_cast<std::uint64_t>(e)))) / p[e];
        ++count;
      }
    }
    positive_per_block[b] = count;
  });
  index_t n_positive = 0;
  for (index_t b = 0; b < nb; ++b) n_positive += positive_per_block[b];
  if (size > n_positive) {
    throw std::invalid_argument("size=" + std::to_string(size) +
                                " exceeds the number of rows with p > 0 (" +
                                std::to_string(n_positive) + ")");
  }
  std::vector<index_t> order;
  order.reserve(static_cast<size_t>(n_positive));
  for (index_t e = 0; e < n; ++e) {
    if (p[e] > 0.0) order.push_back(e);
  }
  // Ascending (key, index); keys of distinct rows may tie, the index breaks it.
  auto less = [&keys](index_t a, index_t b) {
    return keys[a] < keys[b] || (keys[a] == keys[b] && a < b);
  };
  double tau = __builtin_huge_val();
  if (size < n_positive) {
    std::nth_element(order.begin(), order.begin() + size, order.end(), less);
    tau = keys[order[size]];  // the (size+1)-th smallest key
  }
  std::sort(order.begin(), order.begin() + size, less);
  for (index_t i = 0; i < size; ++i) {
    const index_t e = order[i];
    indices[i] = e;
    weights[i] = 1.0 / -std::expm1(-p[e] * tau);
  }
}

}  // namespace coresample
