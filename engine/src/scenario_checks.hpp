// Field checks shared by the engine's scenario guards (scenario.cpp for the
// lifecycle and marketing fields, model_scenario.cpp for the model fields):
// each throws ScenarioError naming the field, what was expected and what
// was found.
#pragma once

#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>

#include "crmsim/errors.hpp"

namespace crmsim::detail {

/// A number as the messages show it (full precision, no trailing noise).
inline std::string describe(double value) {
  std::ostringstream out;
  out.precision(17);
  out << value;
  return out.str();
}

/// Throws "FIELD: must be EXPECTED, got VALUE" unless `ok`.
inline void require(bool ok, const std::string& field, const std::string& expected, double got) {
  if (!ok) throw ScenarioError(field, "must be " + expected + ", got " + describe(got));
}

/// A finite value in [lo, hi], either end optionally open.
inline void require_range(double value, double lo, double hi, const std::string& field,
                          bool lo_open = false, bool hi_open = false) {
  const bool ok = std::isfinite(value) && (lo_open ? value > lo : value >= lo) &&
                  (hi_open ? value < hi : value <= hi);
  std::string expected = "between " + describe(lo) + (lo_open ? " (exclusive)" : "") + " and " +
                         describe(hi) + (hi_open ? " (exclusive)" : "");
  require(ok, field, expected, value);
}

/// A finite value >= 0.
inline void require_non_negative(double value, const std::string& field) {
  require(std::isfinite(value) && value >= 0.0, field, "a finite number >= 0", value);
}

/// A finite value > 0.
inline void require_positive(double value, const std::string& field) {
  require(std::isfinite(value) && value > 0.0, field, "a finite number > 0", value);
}

/// An index into a list of `size` named things (`what`, e.g. "channels").
inline void require_index(int value, std::size_t size, const std::string& field, const char* what) {
  if (value < 0 || static_cast<std::size_t>(value) >= size) {
    throw ScenarioError(field, std::string("must refer to one of the ") + std::to_string(size) +
                                   " " + what + ", got index " + std::to_string(value));
  }
}

}  // namespace crmsim::detail
