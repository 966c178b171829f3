// Inverse-CDF draws through a guide table, and exponential keys behind a one-hash rejection test.
#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "blocks.h"
#include "kernels/kernels.h"
#include "portable.h"
#include "rng.h"

namespace coresample {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Operations per row of p across a draw's passes (check, sums, search), for threads_for_work:
/// below ~500k rows a draw stays on the calling thread (a team's wake-up can cost more).
constexpr double kWorkPerRow = 8.0;

/// Independent blocks processed together: the sequential sum inside a block is a chain of
/// dependent additions (4 cycles each), so kLanes blocks interleaved row by row keep kLanes chains
/// in flight. Each block's additions and their order are unchanged.
constexpr index_t kLanes = 4;

/// Calls fn(b0, lanes, width) for groups of consecutive blocks of n rows, in parallel: with
/// width = integral_constant<index_t, kLanes> for kLanes full blocks b0 .. b0 + kLanes - 1, else
/// with width = integral_constant<index_t, 1> for the single block b0 of `lanes` rows.
template <class F>
void for_block_groups(index_t n, int n_threads, F&& fn) {
  const index_t nb = num_blocks(n);
  const index_t full = n / kBlock;  // blocks of exactly kBlock rows
  const index_t groups = full / kLanes;
  const index_t rest = nb - groups * kLanes;
  parallel_for(groups + rest, n_threads, [&](index_t g) {
    if (g < groups) {
      fn(g * kLanes, kLanes, std::integral_constant<index_t, kLanes>{});
    } else {
      const index_t b = groups * kLanes + (g - groups);
      fn(b, block_end(b, n) - block_begin(b), std::integral_constant<index_t, 1>{});
    }
  });
}

/// What the fused checking pass learns about p.
struct ProbabilityStats {
  std::vector<double> block_totals;  ///< t_b: block b summed sequentially from 0.0 (section 3)
  double total = 0.0;                ///< blocked_sum(p): the t_b summed sequentially
  index_t n_positive = 0;            ///< rows with p > 0
  index_t last_positive = -1;        ///< the last row with p > 0
};

struct BlockStats {
  double total = 0.0;
  double min = kInf;
  index_t positive = 0;
  index_t last_positive = -1;
  bool finite = true;
};

/// One parallel pass over p: the user-facing checks of python/coresample/_validation.py
/// (check_probabilities), with the same messages, plus the block totals of the blocked sum.
/// after_block(b), if given, runs right after block b is checked, in the same work item, while
/// its rows are still in cache (the exponential keys' filter rides along this way).
template <class AfterBlock>
ProbabilityStats check_probabilities(const double* p, index_t n, int n_threads,
                                     AfterBlock&& after_block) {
  CORESAMPLE_CHECK(n >= 1, "p is empty");
  const index_t nb = num_blocks(n);
  std::vector<BlockStats> blocks(static_cast<size_t>(nb));
  for_block_groups(n, n_threads, [&](index_t b0, index_t lanes, auto width) {
    constexpr index_t L = decltype(width)::value;
    // Every accumulator per lane: min and the others are dependency chains too.
    const double* pl = p;
    double t[L] = {}, mn[L], bad[L] = {};
    index_t pos[L] = {}, last[L];
    for (index_t l = 0; l < L; ++l) {
      mn[l] = kInf;
      last[l] = -1;
    }
    for (index_t i = 0; i < kBlock; ++i) {
      if (L == 1 && i >= lanes) break;  // L == 1: a single block of `lanes` rows
      for (index_t l = 0; l < L; ++l) {
        const index_t j = (b0 + l) * kBlock + i;
        const double x = pl[j];
        t[l] += x;                  // sequential per block: the blocked sum's t_b
        bad[l] += (x - x);          // NaN as soon as one x is NaN or +-inf
        mn[l] = std::min(mn[l], x);
        pos[l] += x > 0.0;
        last[l] = x > 0.0 ? j : last[l];
      }
    }
    for (index_t l = 0; l < L; ++l) {
      BlockStats& out = blocks[static_cast<size_t>(b0 + l)];
      out.total = t[l];
      out.min = mn[l];
      out.finite = bad[l] == 0.0;
      out.positive = pos[l];
      out.last_positive = last[l];
      after_block(b0 + l);
    }
  });
  ProbabilityStats st;
  st.block_totals.resize(static_cast<size_t>(nb));
  bool finite = true;
  double min = kInf;
  for (index_t b = 0; b < nb; ++b) {
    const BlockStats& s = blocks[static_cast<size_t>(b)];
    finite = finite && s.finite;
    min = std::min(min, s.min);
    st.n_positive += s.positive;
    st.last_positive = std::max(st.last_positive, s.last_positive);
    st.block_totals[static_cast<size_t>(b)] = s.total;
  }
  st.total = sum_in_order(st.block_totals.data(), nb);
  if (!finite) throw std::invalid_argument("p contains NaN or inf");
  if (min < 0.0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", min);  // C's %g is Python's format(x, "g")
    throw std::invalid_argument(std::string("p must be non-negative, got min ") + buf);
  }
  // Non-negative finite entries: the sum is positive exactly when one entry is.
  if (st.n_positive == 0) {
    throw std::invalid_argument("p must have a positive sum (all entries are zero)");
  }
  return st;
}

ProbabilityStats check_probabilities(const double* p, index_t n, int n_threads) {
  return check_probabilities(p, n, n_threads, [](index_t) {});
}

/// An uninitialised array for large scratch data (the cdf: 8 bytes a row). On Linux it asks for
/// transparent huge pages: the first touch of 80 MB in 4 KiB pages costs 20k page faults, and the
/// random reads of the draws would miss the TLB on nearly every access. Both sizes come from
/// portable.h's aligned_malloc, so that one deleter (aligned_free) releases either.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(index_t count) {
    const size_t bytes = static_cast<size_t>(count) * sizeof(T);
    constexpr size_t kHuge = size_t{1} << 21;
    if (bytes >= kHuge) {
      const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
      ptr_.reset(static_cast<T*>(aligned_malloc(kHuge, rounded)));
#ifdef MADV_HUGEPAGE
      if (ptr_) madvise(ptr_.get(), rounded, MADV_HUGEPAGE);
#endif
    } else {
      ptr_.reset(static_cast<T*>(aligned_malloc(alignof(T), bytes == 0 ? 1 : bytes)));
    }
    if (!ptr_) throw std::bad_alloc();
  }
  T* get() const { return ptr_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { aligned_free(p); }
  };
  std::unique_ptr<T, Free> ptr_;
};

/// Rows per guide entry (on average): a draw re-adds about this many rows of p.
constexpr index_t kRowsPerGuideEntry = 4;

/// The blocked CDF of p behind a guide table (Chen & Asau, "On generating random variates from an
/// empirical distribution", AIIE Trans. 1974), without storing the cdf itself.
/// m = 2^q, T(t) = (t / m) * total with t / m exact, and guide[t] = (j, local): j the first row with
/// cdf_j > T(t) (n if none) and local the running sum of j's block before j (0 at a block start).
/// A draw with r = k * 2^-53 has t = floor(r * m) = k >> (53 - q); t / m <= r and rounding is
/// monotone, so T(t) <= r * total and no row before guide[t].j has cdf > r * total. From there the
/// draw re-adds local += p[j], cdf_j = offset_b + local: the additions of the blocked CDF, so the
/// same bits, reading p (already in memory) instead of an n-row cdf written for the purpose.
class GuidedSums {
 public:
  GuidedSums(const double* p, index_t n, const ProbabilityStats& st, int n_threads)
      : p_(p), n_(n), total_(st.total) {
    q_ = 0;
    while (q_ < 52 && (index_t{2} << q_) <= n / kRowsPerGuideEntry) ++q_;
    m_ = index_t{1} << q_;
    inv_m_ = 1.0 / static_cast<double>(m_);
    const index_t nb = num_blocks(n);
    offsets_.resize(static_cast<size_t>(nb + 1));
    offsets_[0] = 0.0;
    for (index_t b = 0; b < nb; ++b) offsets_[b + 1] = offsets_[b] + st.block_totals[b];
    guide_ = Buffer<Entry>(m_ + 1);
    // Block b owns the t with offsets_[b] <= T(t) < offsets_[b + 1]: cdf_j <= offsets_[b] before
    // the block and the cdf of its last row == offsets_[b + 1] bit for bit (the same two additions),
    // so guide[t] lies in block b. The t form a range [first_t(offsets_[b]), first_t(offsets_[b+1])).
    Entry* guide = guide_.get();
    for_block_groups(n, n_threads, [&](index_t b0, index_t lanes, auto width) {
      constexpr index_t L = decltype(width)::value;
      // Locals, not captures: the compiler would reload captured references after each store.
      const double* const pl = p;
      Entry* const gl = guide;
      const double step = inv_m_, tot = total_;
      auto threshold = [step, tot](index_t t) { return (static_cast<double>(t) * step) * tot; };
      double offset[L], local[L] = {}, next[L];  // next[l] = T(t[l]), or inf when lane l is done
      index_t t[L], t_end[L];
      for (index_t l = 0; l < L; ++l) {
        offset[l] = offsets_[b0 + l];
        t[l] = first_t(offset[l]);
        t_end[l] = first_t(offsets_[b0 + l + 1]);
        next[l] = t[l] < t_end[l] ? threshold(t[l]) : kInf;
      }
      for (index_t i = 0; i < kBlock; ++i) {
        if (L == 1 && i >= lanes) break;
        double before[L], c[L];
        for (index_t l = 0; l < L; ++l) {  // L independent chains of additions
          before[l] = local[l];
          local[l] = before[l] + pl[(b0 + l) * kBlock + i];
          c[l] = offset[l] + local[l];
        }
        for (index_t l = 0; l < L; ++l) {
          while (next[l] < c[l]) {  // cdf_j > T(t): j is guide[t]
            gl[t[l]] = Entry{(b0 + l) * kBlock + i, before[l]};
            ++t[l];
            next[l] = t[l] < t_end[l] ? threshold(t[l]) : kInf;
          }
        }
      }
    });
    for (index_t t = first_t(total_); t <= m_; ++t) guide[t] = Entry{n, 0.0};  // T(t) >= total
  }

  index_t guide_index(std::uint64_t k) const { return static_cast<index_t>(k >> (53 - q_)); }
  void prefetch_guide(std::uint64_t k) const {
    CORESAMPLE_PREFETCH(guide_.get() + guide_index(k));
  }
  /// Prefetches the row where the search for k starts (guide[t] must be in cache by now).
  void prefetch_start(std::uint64_t k) const {
    CORESAMPLE_PREFETCH(p_ + std::min(guide_.get()[guide_index(k)].row, n_ - 1));
  }

  /// The first j with cdf_j > (k * 2^-53) * total, or n if none; k < 2^53.
  index_t search(std::uint64_t k) const {
    const double x = (static_cast<double>(k) * 0x1p-53) * total_;  // unit(), then * total
    const Entry g = guide_.get()[guide_index(k)];
    index_t j = g.row;
    if (j >= n_) return n_;
    index_t b = j / kBlock;
    double local = g.local;
    if (!(offsets_[b + 1] > x)) {
      // The answer lies in a later block: the first b' with offsets_[b' + 1] > x (the cdf of
      // b''s last row), whose rows before it all have cdf <= offsets_[b'] <= x.
      const auto it = std::upper_bound(offsets_.begin() + b + 2, offsets_.end(), x);
      if (it == offsets_.end()) return n_;
      b = (it - offsets_.begin()) - 1;
      j = block_begin(b);
      local = 0.0;
    }
    // offsets_[b + 1] > x: the scan stops inside block b.
    const double offset = offsets_[b];
    for (;; ++j) {
      local += p_[j];
      if (offset + local > x) return j;
    }
  }

 private:
  struct Entry {
    index_t row;   ///< the first row with cdf > T(t), n if none
    double local;  ///< the running sum of its block before it
  };

  /// The first t in [0, m] with T(t) >= v (m + 1 if none); T is non-decreasing in t.
  index_t first_t(double v) const {
    index_t lo = 0, hi = m_ + 1;
    while (lo < hi) {
      const index_t mid = lo + (hi - lo) / 2;
      if ((static_cast<double>(mid) * inv_m_) * total_ >= v) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  const double* p_;
  index_t n_;
  double total_;
  int q_ = 0;
  index_t m_ = 1;
  double inv_m_ = 1.0;
  std::vector<double> offsets_;  // offsets_[b] = t_0 + ... + t_{b-1}, sequentially; size nb + 1
  Buffer<Entry> guide_;
};

/// The first j with cdf_j > (k * 2^-53) * total, or n if none, without materialising the cdf:
/// the block from the offsets, then the block's running sum. For a few draws from many rows.
index_t search_without_cdf(const double* p, index_t n, const std::vector<double>& offsets,
                           double total, std::uint64_t k) {
  const double x = (static_cast<double>(k) * 0x1p-53) * total;
  // The first block whose last cdf (== offsets[b + 1], bit for bit) exceeds x.
  const index_t b =
      std::upper_bound(offsets.begin() + 1, offsets.end(), x) - (offsets.begin() + 1);
  const index_t nb = static_cast<index_t>(offsets.size()) - 1;
  if (b == nb) return n;
  const double offset = offsets[b];
  double local = 0.0;
  const index_t end = block_end(b, n);
  for (index_t j = block_begin(b); j < end; ++j) {
    local += p[j];
    if (offset + local > x) return j;
  }
  return end - 1;  // unreachable: the block's last cdf exceeds x
}

struct Candidate {
  double key;
  index_t row;
  double p;  ///< p[row], kept so the weights need no random reads of p (cache misses)
};

inline bool key_less(const Candidate& a, const Candidate& b) {
  return a.key < b.key || (a.key == b.key && a.row < b.row);
}

/// Puts the `need` smallest (key, row) of cand, of which n_below >= need have key < t (finite),
/// in ascending order at the front of cand, and returns the need-th smallest key. Keys below t are
/// spread over [0, t) about evenly (the number below x is sum_e 1 - exp(-x p_e), close to linear),
/// so a counting sort into buckets floor(key * B / t), monotone in the key, and small sorts inside
/// the buckets replace a comparison sort of the whole prefix.
double smallest_by_buckets(std::vector<Candidate>& cand, index_t n_below, double t, index_t need) {
  index_t n_buckets = 1;
  while (n_buckets * 2 <= n_below) n_buckets *= 2;
  const double scale = static_cast<double>(n_buckets) / t;
  auto bucket = [&](double key) {
    return std::min(n_buckets - 1, static_cast<index_t>(key * scale));
  };
  std::vector<index_t> start(static_cast<size_t>(n_buckets + 1), 0);
  for (const Candidate& c : cand) {
    if (c.key < t) ++start[static_cast<size_t>(bucket(c.key)) + 1];
  }
  // The buckets up to the one holding rank need - 1 are all that must be sorted.
  index_t last = 0;
  for (index_t b = 0; b < n_buckets; ++b) {
    start[static_cast<size_t>(b + 1)] += start[static_cast<size_t>(b)];
    if (start[static_cast<size_t>(b)] < need) last = b;
  }
  const index_t kept = start[static_cast<size_t>(last + 1)];
  std::vector<Candidate> sorted(static_cast<size_t>(kept));
  std::vector<index_t> fill(start.begin(), start.begin() + last + 1);
  for (const Candidate& c : cand) {
    if (!(c.key < t)) continue;
    const index_t b = bucket(c.key);
    if (b <= last) sorted[static_cast<size_t>(fill[static_cast<size_t>(b)]++)] = c;
  }
  for (index_t b = 0; b <= last; ++b) {
    std::sort(sorted.begin() + start[static_cast<size_t>(b)],
              sorted.begin() + start[static_cast<size_t>(b + 1)], key_less);
  }
  std::copy(sorted.begin(), sorted.begin() + need, cand.begin());
  return cand[static_cast<size_t>(need - 1)].key;
}

}  // namespace

void sample_with_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                             index_t* indices, double* weights, int n_threads) {
  CORESAMPLE_CHECK(size >= 0, "sample_with_replacement: size must be >= 0");
  n_threads = threads_for_work(n_threads, kWorkPerRow * static_cast<double>(n) + 64.0 * size);
  const ProbabilityStats st = check_probabilities(p, n, n_threads);
  if (size == 0) return;
  const double S = st.total;
  const double dsize = static_cast<double>(size);
  const std::uint64_t key = stream_key(seed, kStreamSampleWithReplacement);
  auto emit = [&](index_t i, index_t j) {
    const index_t row = j < n ? j : st.last_positive;  // no cdf_j > r * S: rounding, or S == inf
    indices[i] = row;
    weights[i] = S / (dsize * p[row]);
  };
  if (!(S < kInf)) {
    // r * inf is inf (NaN for r == 0): no cdf exceeds it; every draw takes the last positive row.
    parallel_for(num_blocks(size), n_threads, [&](index_t b) {
      for (index_t i = block_begin(b); i < block_end(b, size); ++i) emit(i, n);
    });
    return;
  }
  // Fewer draws than a quarter of the blocks: scanning a block per draw (1024 additions) is cheaper
  // than writing the whole cdf. Both find the same row.
  if (size * 4 < num_blocks(n)) {
    std::vector<double> offsets(st.block_totals.size() + 1, 0.0);
    for (size_t b = 0; b < st.block_totals.size(); ++b) offsets[b + 1] = offsets[b] + st.block_totals[b];
    parallel_for(size, threads_for_work(n_threads, 1024.0 * size), [&](index_t i) {
      const std::uint64_t k = draw_from_key(key, static_cast<std::uint64_t>(i)) >> 11;
      emit(i, search_without_cdf(p, n, offsets, S, k));
    });
    return;
  }
  const GuidedSums cdf(p, n, st, n_threads);
  // Draws in batches: the hashes of a batch and prefetches of their guide entries first, then
  // prefetches of the rows where their searches start, then the searches. Each draw's two cache
  // misses (guide, p) would otherwise be waited for one after the other.
  parallel_for(num_blocks(size), n_threads, [&](index_t b) {
    constexpr index_t kBatch = 64;
    std::uint64_t k[kBatch];
    const index_t end = block_end(b, size);
    for (index_t i0 = block_begin(b); i0 < end; i0 += kBatch) {
      const index_t count = std::min(kBatch, end - i0);
      for (index_t a = 0; a < count; ++a) {
        k[a] = draw_from_key(key, static_cast<std::uint64_t>(i0 + a)) >> 11;
        cdf.prefetch_guide(k[a]);
      }
      for (index_t a = 0; a < count; ++a) cdf.prefetch_start(k[a]);
      for (index_t a = 0; a < count; ++a) emit(i0 + a, cdf.search(k[a]));
    }
  });
}

void sample_without_replacement(const double* p, index_t n, index_t size, std::uint64_t seed,
                                std::uint64_t stream, index_t* indices, double* weights,
                                int n_threads) {
  CORESAMPLE_CHECK(size >= 0, "sample_without_replacement: size must be >= 0");
  CORESAMPLE_CHECK(n >= 1, "p is empty");
  n_threads = threads_for_work(n_threads, kWorkPerRow * static_cast<double>(n) + 64.0 * size);
  const std::uint64_t key = stream_key(seed, stream);
  const index_t nb = num_blocks(n);
  const index_t need = size + 1;  // the sample and tau

  // Candidates: the rows whose key may be below t. key < t needs U > exp(-t p) >= 1 - t p, so a
  // row with U <= 1 - t p (1 + 1e-12) - 2^-52 has key >= t even after the rounding of this bound
  // and of log_unit (relative error far below 1e-12); it is rejected after one hash and a multiply.
  // Survivors get their exact keys. When at least `need` survivors have key < t, the `need`
  // smallest keys overall are among them; when every positive row survived, all keys are known.
  // Otherwise t grows and the pass is redone. t only decides how much work is done, never the result.
  const auto filter = kernels().key_filter;
  std::vector<std::vector<Candidate>> per_block(static_cast<size_t>(nb));
  std::vector<index_t> below(static_cast<size_t>(nb));
  double t = 0.0;
  auto filter_block = [&](index_t b) {
    // Survivors keep u for now; their keys are computed below in a dense loop, where the long
    // latency of log_unit (a division and an 11-step Horner chain) overlaps across rows.
    thread_local std::vector<Candidate> scratch;
    scratch.clear();
    const index_t begin = block_begin(b), end = block_end(b, n);
    // draw_from_key(key, e) = mix64(key + (e + 1) * kGolden): the state advances by kGolden.
    std::uint64_t state = key + static_cast<std::uint64_t>(begin + 1) * kGolden;
    const double tl = t;
    // The dispatched filter marks the few rows that may have key < t (vectorised: one hash
    // per row); their uniforms are recomputed here with rng.h's functions.
    std::uint8_t keep[kBlock];
    filter(p + begin, end - begin, state, tl * (1.0 + 1e-12), keep);
    for (index_t e = begin; e < end; ++e, state += kGolden) {
      if (keep[e - begin]) scratch.push_back({unit_open(mix64(state)), e, p[e]});
    }
    index_t count = 0;
    for (Candidate& c : scratch) {
      c.key = -log_unit(c.key) / c.p;
      count += c.key < tl;
    }
    per_block[static_cast<size_t>(b)].assign(scratch.begin(), scratch.end());
    below[static_cast<size_t>(b)] = count;
  };

  // The first filter pass rides along the checking pass (p is read once). Its t comes from the
  // total estimated on every 256th row, since the exact total is known only after the pass; a
  // poor estimate costs another pass, never a different sample.
  double sampled = 0.0;
  index_t n_sampled = 0;
  for (index_t e = 0; e < n; e += 256, ++n_sampled) sampled += p[e];
  const double estimate = sampled * (static_cast<double>(n) / static_cast<double>(n_sampled));
  t = 1.5 * static_cast<double>(need) / estimate;
  if (!(t > 0.0) || !(t < kInf)) t = std::numeric_limits<double>::min();  // 0, inf or NaN
  const ProbabilityStats st = check_probabilities(p, n, n_threads, filter_block);
  if (size > st.n_positive) {
    throw std::invalid_argument("size=" + std::to_string(size) +
                                " must be <= the number of rows with positive probability (" +
                                std::to_string(st.n_positive) + ") when replace=False");
  }
  if (size == 0) return;
  index_t n_candidates = 0, n_below = 0;
  if (need > st.n_positive) {
    t = kInf;  // size == n_positive: every positive row is taken
    parallel_for(nb, n_threads, filter_block);
  }
  for (;;) {
    n_below = 0;
    n_candidates = 0;
    for (index_t b = 0; b < nb; ++b) {
      n_below += below[static_cast<size_t>(b)];
      n_candidates += static_cast<index_t>(per_block[static_cast<size_t>(b)].size());
    }
    if (n_below >= need || n_candidates == st.n_positive) break;
    // Below the threshold the count grows about linearly in t (P(key < t) = 1 - exp(-t p) ~ t p):
    // aim at 1.5 need, at least doubling.
    // Never below the guess from the exact total, in case the estimate was far off (a sparse p
    // whose sampled rows were all zero would otherwise climb from the smallest double).
    const double aim = 1.5 * static_cast<double>(need) / static_cast<double>(std::max<index_t>(n_below, 1));
    t = std::max(t * std::min(1024.0, std::max(2.0, aim)), 1.5 * static_cast<double>(need) / st.total);
    parallel_for(nb, n_threads, filter_block);
  }

  // Concatenated in block order (irrelevant to the result: (key, row) is a total order).
  std::vector<Candidate> cand;
  cand.reserve(static_cast<size_t>(n_candidates));
  for (auto& v : per_block) {
    cand.insert(cand.end(), v.begin(), v.end());
    std::vector<Candidate>().swap(v);
  }
  double tau = kInf;
  if (n_below >= need) {
    tau = smallest_by_buckets(cand, n_below, t, need);
  } else {
    // Every positive row is a candidate (t may be inf): a plain partial sort.
    if (size < n_candidates) {
      std::nth_element(cand.begin(), cand.begin() + size, cand.end(), key_less);
      tau = cand[static_cast<size_t>(size)].key;  // the (size+1)-th smallest key
    }
    std::sort(cand.begin(), cand.begin() + size, key_less);
  }
  parallel_for((size + kBlock - 1) / kBlock, threads_for_work(n_threads, 64.0 * size), [&](index_t b) {
    for (index_t i = block_begin(b); i < block_end(b, size); ++i) {
      const Candidate& c = cand[static_cast<size_t>(i)];
      indices[i] = c.row;
      weights[i] = 1.0 / -std::expm1(-c.p * tau);
    }
  });
}

}  // namespace coresample
