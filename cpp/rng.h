// The counter-based random stream of docs/ARCHITECTURE.md section 2 (SplitMix64 over (seed, stream, counter)) and log_unit.
#pragma once

#include <cmath>
#include <cstdint>

namespace coresample {

/// Purposes of the random stream (the `stream` argument of draw()).
enum Stream : std::uint64_t {
  kStreamSeeding = 1,                  ///< k-means++ candidates
  kStreamSubsample = 2,                ///< KMeans fitting on a subsample
  kStreamSampleWithReplacement = 3,    ///< inverse-CDF draws: counter i for draw i
  kStreamSampleWithoutReplacement = 4  ///< exponential keys
};

constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

/// SplitMix64 finaliser (all arithmetic mod 2^64).
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Start state of the stream (seed, stream).
inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
  return mix64(seed ^ mix64(stream + kGolden));
}

/// Output number i of the stream whose state is `key` (from stream_key); lets loops hoist the key.
inline std::uint64_t draw_from_key(std::uint64_t key, std::uint64_t i) {
  return mix64(key + (i + 1) * kGolden);
}

/// draw(seed, stream, i): the (i+1)-th SplitMix64 output started from stream_key(seed, stream).
inline std::uint64_t draw(std::uint64_t seed, std::uint64_t stream, std::uint64_t i) {
  return draw_from_key(stream_key(seed, stream), i);
}

/// Top 53 bits as a double in [0, 1); exact (an integer below 2^53 times a power of two).
inline double unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1p-53; }

/// Top 53 bits plus one as a double in (0, 1]; exact.
inline double unit_open(std::uint64_t x) { return static_cast<double>((x >> 11) + 1) * 0x1p-53; }

/// Natural logarithm of u in (0, 1] from IEEE operations only, so that the NumPy reference gets the
/// same bits (glibc's log and NumPy's SIMD log differ in the last bit). Operation order is part of
/// the contract (ARCHITECTURE.md section 2): do not reorder, and build without FMA contraction.
inline double log_unit(double u) {
  int e = 0;
  double m = std::frexp(u, &e);  // u = m * 2^e, m in [0.5, 1)
  if (m < 0.7071067811865476) {
    m = m * 2.0;
    e = e - 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  // C_j = 1 / (2j + 1), Horner from C_11 down to C_1.
  double poly = 1.0 / 23.0;
  poly = 1.0 / 21.0 + s2 * poly;
  poly = 1.0 / 19.0 + s2 * poly;
  poly = 1.0 / 17.0 + s2 * poly;
  poly = 1.0 / 15.0 + s2 * poly;
  poly = 1.0 / 13.0 + s2 * poly;
  poly = 1.0 / 11.0 + s2 * poly;
  poly = 1.0 / 9.0 + s2 * poly;
  poly = 1.0 / 7.0 + s2 * poly;
  poly = 1.0 / 5.0 + s2 * poly;
  poly = 1.0 / 3.0 + s2 * poly;
  return static_cast<double>(e) * 0.6931471805599453 + (2.0 * s + (2.0 * s) * (s2 * poly));
}

}  // namespace coresample
