// Shared vocabulary of the core: the index type and the contract check that throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace coresample {

/// Row, center and feature indices and counts (numpy int64 on every platform).
using index_t = std::int64_t;

}  // namespace coresample

/// Throws std::invalid_argument(msg) when cond is false; pybind11 turns it into ValueError.
/// For broken contracts only: Python validates user input before the core is called.
#define CORESAMPLE_CHECK(cond, msg)                            \
  do {                                                         \
    if (!(cond)) throw std::invalid_argument(std::string(msg)); \
  } while (0)
