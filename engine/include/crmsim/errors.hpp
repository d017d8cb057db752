// One exception hierarchy for the engine; the bindings map it to Python once.
#pragma once

#include <stdexcept>
#include <string>

namespace crmsim {

/// Base of every error the engine raises on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A scenario value the engine cannot run with; names the field path.
class ScenarioError : public Error {
 public:
  /// `field` is a dotted path such as "segments[1].churn.annual_rate".
  ScenarioError(std::string field, const std::string& message)
      : Error(field + ": " + message), field_(std::move(field)) {}

  /// The dotted field path the error is about.
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// Misuse of the engine API (e.g. advancing past the horizon).
class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace crmsim
