// Daily KPI tables. Each table has one row per day (row 0 is the initial
// population), one block per group (segment, campaign, ...), and a fixed set
// of columns. Counts and money are integers (money in cents), so totals are
// exact and independent of summation order, hence of thread count and chunk
// size.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace crmsim {

/// Columns of the per-segment KPI table: state counts at the end of the
/// day, then the day's flows.
enum class Kpi : int {
  prospect, lead, new_customer, active, developed, at_risk, lapsed,
  enquiries,              ///< prospects who made an enquiry (became leads)
  acquisitions,           ///< people who became customers (directly or from a lead)
  lead_conversions,       ///< leads who became customers (part of acquisitions)
  campaign_acquisitions,  ///< acquisitions that came from a campaign (part of acquisitions)
  lead_expiries,          ///< leads whose window ran out; back to prospects
  welcomed,               ///< new customers who completed the welcome period
  developments,           ///< customers who took another product
  problems,               ///< customers who met a problem and became at risk
  recoveries,             ///< at-risk customers whose problem was resolved
  defections,             ///< customers lost (became lapsed)
  win_backs,              ///< lapsed people won back as customers
  returns_to_market,      ///< lapsed people whose win-back window ended; back to prospects
  purchases,              ///< purchases made
  revenue_cents,          ///< revenue net of offer discounts, cents
  marketing_cost_micros,  ///< contact, wave and incentive cost, millionths of the currency (discounts show as lower revenue)
  count_                  ///< number of columns (not a column)
};

/// Number of per-segment KPI columns.
inline constexpr int kpi_count = static_cast<int>(Kpi::count_);

/// Column names as the Python layer shows them.
inline constexpr std::array<std::string_view, kpi_count> kpi_names = {
    "prospect", "lead", "new", "active", "developed", "at_risk", "lapsed",
    "enquiries", "acquisitions", "lead_conversions", "campaign_acquisitions", "lead_expiries",
    "welcomed", "developments", "problems", "recoveries", "defections", "win_backs",
    "returns_to_market", "purchases", "revenue_cents", "marketing_cost_micros"};

/// Columns of the per-campaign table (the day's counts).
enum class CampaignKpi : int {
  eligible,              ///< met targeting and trigger, not opted out
  held_out,              ///< eligible and in the control group
  selected,              ///< eligible, not held out, allowed by the contact policy
  contacted,             ///< selected and within budget, daily cap and channel capacity
  delivered,             ///< contacts that reached the person
  responded,             ///< delivered contacts that got a response
  unsubscribed,          ///< delivered contacts after which the person opted out
  contact_cost_micros,   ///< contacts and wave fixed cost, millionths of the currency
  incentive_cost_micros, ///< one-off incentives paid to responders, millionths
  discount_cost_micros,  ///< offer discounts given on responders' spend, millionths
  treated_measured,      ///< contacted people whose measurement window closed
  treated_converted,     ///< ... of whom converted (the type's outcome)
  treated_revenue_cents, ///< ... their revenue within the window, cents
  holdout_measured,      ///< control people whose measurement window closed
  holdout_converted,     ///< ... of whom converted
  holdout_revenue_cents, ///< ... their revenue within the window, cents
  count_                 ///< number of columns (not a column)
};

/// Number of per-campaign columns.
inline constexpr int campaign_kpi_count = static_cast<int>(CampaignKpi::count_);

/// Per-campaign column names.
inline constexpr std::array<std::string_view, campaign_kpi_count> campaign_kpi_names = {
    "eligible", "held_out", "selected", "contacted", "delivered", "responded", "unsubscribed",
    "contact_cost_micros", "incentive_cost_micros", "discount_cost_micros",
    "treated_measured", "treated_converted", "treated_revenue_cents",
    "holdout_measured", "holdout_converted", "holdout_revenue_cents"};

/// Measurement is also tallied in person clusters: a fixed hash of the
/// person picks one of `measurement_bucket_count` buckets, so that the spread
/// between buckets gives a variance that stays honest when the same people
/// are measured wave after wave (cluster-robust intervals).
inline constexpr int measurement_bucket_count = 32;

/// Columns of the cumulative per-(campaign, group, bucket) measurement table.
enum class BucketKpi : int {
  measured,       ///< measurement windows closed
  converted,      ///< ... of which converted
  revenue_cents,  ///< revenue within those windows, cents
  count_          ///< number of columns (not a column)
};

/// Number of bucket columns.
inline constexpr int bucket_kpi_count = static_cast<int>(BucketKpi::count_);

/// Bucket column names.
inline constexpr std::array<std::string_view, bucket_kpi_count> bucket_kpi_names = {
    "measured", "converted", "revenue_cents"};

/// The measurement bucket of an agent: a fixed multiplicative hash of its id.
constexpr int measurement_bucket(std::uint32_t agent) noexcept {
  return static_cast<int>((agent * 0x9E3779B1u) >> 27);
}
static_assert(measurement_bucket_count == 32, "measurement_bucket() takes the top 5 bits");

/// Columns of the per-(segment, value tier) table.
enum class TierKpi : int {
  customers,             ///< customers at the end of the day
  revenue_cents,         ///< the day's revenue, cents
  marketing_cost_micros, ///< the day's contact, wave and incentive cost, millionths of the currency
  count_                 ///< number of columns (not a column)
};

/// Number of per-tier columns.
inline constexpr int tier_kpi_count = static_cast<int>(TierKpi::count_);

/// Per-tier column names.
inline constexpr std::array<std::string_view, tier_kpi_count> tier_kpi_names = {
    "customers", "revenue_cents", "marketing_cost_micros"};

/// Column index of a KPI of any of the enums above.
template <class E>
constexpr int column(E k) noexcept {
  return static_cast<int>(k);
}

/// Values of one day (or a chunk's partial tally): groups x columns.
template <class T>
class Tally {
 public:
  Tally(int groups = 0, int columns = 0)
      : columns_(columns), values_(static_cast<std::size_t>(groups) * static_cast<std::size_t>(columns), T{}) {}
  /// Value of column `k` for group `g`.
  template <class E>
  T& at(int g, E k) noexcept {
    return values_[static_cast<std::size_t>(g) * static_cast<std::size_t>(columns_) +
                   static_cast<std::size_t>(column(k))];
  }
  template <class E>
  T at(int g, E k) const noexcept {
    return values_[static_cast<std::size_t>(g) * static_cast<std::size_t>(columns_) +
                   static_cast<std::size_t>(column(k))];
  }
  /// Adds another tally element-wise.
  void add(const Tally& other) noexcept {
    for (std::size_t k = 0; k < values_.size(); ++k) values_[k] += other.values_[k];
  }
  /// Sets every value to zero.
  void clear() noexcept { std::fill(values_.begin(), values_.end(), T{}); }
  /// Replaces the values (a restored run); `values` has this tally's size.
  void assign(const std::vector<T>& values) {
    std::copy(values.begin(), values.end(), values_.begin());
  }
  /// Raw values, group-major.
  const std::vector<T>& values() const noexcept { return values_; }

 private:
  int columns_;
  std::vector<T> values_;
};

/// The per-segment tally of one day.
using KpiRow = Tally<std::int64_t>;

/// A whole run's daily table: (days + 1) rows x groups x columns, allocated
/// up front so that views handed out stay valid while the run proceeds.
template <class T>
class DailyTable {
 public:
  DailyTable(int days = 0, int groups = 0, int columns = 0)
      : rows_(days + 1), groups_(groups), columns_(columns),
        values_(static_cast<std::size_t>(rows_) * static_cast<std::size_t>(groups) *
                    static_cast<std::size_t>(columns), T{}) {}
  /// Stores the row for `day` (0 = initial population).
  void set_row(int day, const Tally<T>& row) {
    std::copy(row.values().begin(), row.values().end(),
              values_.begin() + static_cast<std::ptrdiff_t>(day) * groups_ * columns_);
  }
  /// Value of `k` for group `g` on `day`.
  template <class E>
  T at(int day, int g, E k) const noexcept {
    return values_[(static_cast<std::size_t>(day) * static_cast<std::size_t>(groups_) +
                    static_cast<std::size_t>(g)) * static_cast<std::size_t>(columns_) +
                   static_cast<std::size_t>(column(k))];
  }
  /// Sum over groups of `k` on `day`.
  template <class E>
  T total(int day, E k) const noexcept {
    T sum{};
    for (int g = 0; g < groups_; ++g) sum += at(day, g, k);
    return sum;
  }
  /// First value (row-major: day, group, column).
  const T* data() const noexcept { return values_.data(); }
  /// Mutable values, for restoring a saved run.
  T* mutable_data() noexcept { return values_.data(); }
  int rows() const noexcept { return rows_; }        ///< days + 1
  int groups() const noexcept { return groups_; }    ///< groups per row
  int columns() const noexcept { return columns_; }  ///< columns per group
  /// Kept for readability at call sites that deal with segments.
  int segments() const noexcept { return groups_; }

 private:
  int rows_;
  int groups_;
  int columns_;
  std::vector<T> values_;
};

/// The per-segment KPI table.
using KpiTable = DailyTable<std::int64_t>;

}  // namespace crmsim
