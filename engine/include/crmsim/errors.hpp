// One exception hierarchy for the engine; the bindings map it to Python once.
#pragma once

#include <cstdint>
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

/// A file that could not be read or written (missing folder, disk full,
/// permissions); the message names the file and what failed.
class IoError : public Error {
 public:
  /// `path` is the file the error is about; `message` says what went wrong.
  IoError(std::string path, const std::string& message)
      : Error(path + ": " + message), path_(std::move(path)) {}

  /// The file the error is about.
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// A file that can be read but is not what it should be: not HDF5, not a
/// crmsim results file or checkpoint, a newer format version, truncated,
/// or inconsistent with the scenario it is used with.
class FileFormatError : public IoError {
 public:
  using IoError::IoError;
};

/// An engine invariant that does not hold: a bug in the engine, or state
/// corrupted from outside. Runs with checks on (build option CRMSIM_CHECKS,
/// environment variable CRMSIM_CHECKS=1, or RunOptions::checks) test every
/// invariant at the end of every day; the message names the day, the
/// segment or campaign, the invariant and the values that break it.
class InvariantError : public Error {
 public:
  using Error::Error;
};

/// A run that would not fit in this machine's memory, refused before
/// anything is allocated; the message gives the estimate and the limit.
class MemoryLimitError : public Error {
 public:
  /// `needed` and `limit` are in bytes.
  MemoryLimitError(const std::string& message, std::uint64_t needed, std::uint64_t limit)
      : Error(message), needed_(needed), limit_(limit) {}

  /// Estimated bytes the run needs.
  std::uint64_t needed_bytes() const noexcept { return needed_; }
  /// Bytes of memory the run may use (this machine's, or the limit given).
  std::uint64_t limit_bytes() const noexcept { return limit_; }

 private:
  std::uint64_t needed_;
  std::uint64_t limit_;
};

/// A run stopped on request (Simulation::request_stop, e.g. on Ctrl-C).
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace crmsim
