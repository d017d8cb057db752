// KPI rows and the run's KPI table.
#include "crmsim/kpi.hpp"

#include <algorithm>

#include "crmsim/errors.hpp"
#include "crmsim/lifecycle.hpp"

namespace crmsim {

// State counts are tallied by casting the state to its KPI column.
static_assert(column(Kpi::prospect) == static_cast<int>(State::prospect));
static_assert(column(Kpi::lapsed) == static_cast<int>(State::lapsed));
static_assert(column(Kpi::new_customer) == static_cast<int>(State::new_customer));

void KpiRow::add(const KpiRow& other) noexcept {
  for (std::size_t k = 0; k < values_.size(); ++k) values_[k] += other.values_[k];
}

void KpiRow::clear() noexcept { std::fill(values_.begin(), values_.end(), 0); }

KpiTable::KpiTable(int days, int segments)
    : rows_(days + 1),
      segments_(segments),
      values_(static_cast<std::size_t>(rows_) * static_cast<std::size_t>(segments) * kpi_count, 0) {}

void KpiTable::set_row(int day, const KpiRow& row) {
  if (day < 0 || day >= rows_) throw UsageError("KPI row out of range");
  std::copy(row.values().begin(), row.values().end(),
            values_.begin() + static_cast<std::ptrdiff_t>(day) * segments_ * kpi_count);
}

std::int64_t KpiTable::at(int day, int s, Kpi k) const noexcept {
  return values_[(static_cast<std::size_t>(day) * static_cast<std::size_t>(segments_) +
                  static_cast<std::size_t>(s)) * kpi_count + static_cast<std::size_t>(column(k))];
}

std::int64_t KpiTable::total(int day, Kpi k) const noexcept {
  std::int64_t sum = 0;
  for (int s = 0; s < segments_; ++s) sum += at(day, s, k);
  return sum;
}

}  // namespace crmsim
