// Daily KPI table: one row per day (row 0 is the initial population), one
// block per segment, integer columns only. Money is kept in cents so that
// totals are exact and independent of summation order, hence of thread
// count and chunk size.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace crmsim {

/// Columns of the KPI table: state counts at the end of the day, then the
/// day's flows.
enum class Kpi : int {
  prospect, lead, new_customer, active, developed, at_risk, lapsed,
  enquiries,          ///< prospects who made an enquiry (became leads)
  acquisitions,       ///< people who became customers (directly or from a lead)
  lead_conversions,   ///< leads who became customers (part of acquisitions)
  lead_expiries,      ///< leads whose window ran out; back to prospects
  welcomed,           ///< new customers who completed the welcome period
  developments,       ///< active customers who took a second product
  problems,           ///< customers who met a problem and became at risk
  recoveries,         ///< at-risk customers whose problem was resolved
  defections,         ///< customers lost (became lapsed)
  returns_to_market,  ///< lapsed people whose win-back window ended; back to prospects
  purchases,          ///< purchases made
  revenue_cents,      ///< revenue, in cents of the scenario currency
  count_             ///< number of columns (not a column)
};

/// Number of KPI columns.
inline constexpr int kpi_count = static_cast<int>(Kpi::count_);

/// Column names as the Python layer shows them.
inline constexpr std::array<std::string_view, kpi_count> kpi_names = {
    "prospect", "lead", "new", "active", "developed", "at_risk", "lapsed",
    "enquiries", "acquisitions", "lead_conversions", "lead_expiries", "welcomed",
    "developments", "problems", "recoveries", "defections", "returns_to_market",
    "purchases", "revenue_cents"};

/// Column index of a KPI.
constexpr int column(Kpi k) noexcept { return static_cast<int>(k); }

/// Per-segment KPI values of one day, or a partial tally of one chunk.
class KpiRow {
 public:
  explicit KpiRow(int segments = 0) : values_(static_cast<std::size_t>(segments) * kpi_count, 0) {}
  /// Value of `k` for segment `s`.
  std::int64_t& at(int s, Kpi k) noexcept {
    return values_[static_cast<std::size_t>(s) * kpi_count + static_cast<std::size_t>(column(k))];
  }
  std::int64_t at(int s, Kpi k) const noexcept {
    return values_[static_cast<std::size_t>(s) * kpi_count + static_cast<std::size_t>(column(k))];
  }
  /// Adds another tally element-wise (exact: integers only).
  void add(const KpiRow& other) noexcept;
  /// Sets every value to zero.
  void clear() noexcept;
  /// Raw values, segment-major.
  const std::vector<std::int64_t>& values() const noexcept { return values_; }

 private:
  std::vector<std::int64_t> values_;
};

/// The whole run's KPIs: (days + 1) rows x segments x columns, allocated up
/// front so that views handed out stay valid while the run proceeds.
class KpiTable {
 public:
  KpiTable(int days, int segments);
  /// Stores the row for `day` (0 = initial population).
  void set_row(int day, const KpiRow& row);
  /// Value of `k` for segment `s` on `day`.
  std::int64_t at(int day, int s, Kpi k) const noexcept;
  /// Sum over segments of `k` on `day`.
  std::int64_t total(int day, Kpi k) const noexcept;
  /// Pointer to the first value (row-major: day, segment, column).
  const std::int64_t* data() const noexcept { return values_.data(); }
  /// Number of rows allocated (days + 1).
  int rows() const noexcept { return rows_; }
  /// Number of segments.
  int segments() const noexcept { return segments_; }

 private:
  int rows_;
  int segments_;
  std::vector<std::int64_t> values_;
};

}  // namespace crmsim
