// Helpers shared by the HDF5 tests: scratch folders, whole-file bytes, and
// comparing every table and agent column of two runs bit for bit.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "crmsim/simulation.hpp"

namespace crmsim::test {

/// A fresh folder under the system temp folder, removed with the object.
class ScratchFolder {
 public:
  ScratchFolder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("crmsim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchFolder(const ScratchFolder&) = delete;
  ScratchFolder& operator=(const ScratchFolder&) = delete;
  /// Path of `name` inside the folder.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  /// Names of the files in the folder.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename().string());
    return out;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T>
bool same_table(const DailyTable<T>& a, const DailyTable<T>& b) {
  const auto n = static_cast<std::size_t>(a.rows()) * static_cast<std::size_t>(a.groups()) *
                 static_cast<std::size_t>(a.columns());
  return a.rows() == b.rows() && a.groups() == b.groups() && a.columns() == b.columns() &&
         std::memcmp(a.data(), b.data(), n * sizeof(T)) == 0;
}

/// Every KPI table, campaign state and agent column of two runs, bit for bit.
inline void require_identical(const Simulation& a, const Simulation& b) {
  REQUIRE(a.day() == b.day());
  CHECK(same_table(a.kpis(), b.kpis()));
  CHECK(same_table(a.campaign_kpis(), b.campaign_kpis()));
  CHECK(a.measurement_buckets().values() == b.measurement_buckets().values());
  CHECK(same_table(a.tier_kpis(), b.tier_kpis()));
  CHECK(a.campaign_spent_micros() == b.campaign_spent_micros());
  CHECK(same_bits(a.campaign_adstock(), b.campaign_adstock()));
  const AgentArrays& x = a.agents();
  const AgentArrays& y = b.agents();
  CHECK(same_bits(x.segment, y.segment));
  CHECK(same_bits(x.state, y.state));
  CHECK(same_bits(x.products, y.products));
  CHECK(same_bits(x.flags, y.flags));
  CHECK(same_bits(x.state_since, y.state_since));
  CHECK(same_bits(x.acquired_day, y.acquired_day));
  CHECK(same_bits(x.purchase_rate, y.purchase_rate));
  CHECK(same_bits(x.churn_hazard, y.churn_hazard));
  CHECK(same_bits(x.revenue_cents, y.revenue_cents));
  CHECK(same_bits(x.last_purchase_day, y.last_purchase_day));
  CHECK(same_bits(x.contact_days, y.contact_days));
  CHECK(same_bits(x.effect_until, y.effect_until));
  CHECK(same_bits(x.effect_campaign, y.effect_campaign));
  CHECK(same_bits(x.assigned, y.assigned));
  CHECK(same_bits(x.assigned_day, y.assigned_day));
  CHECK(same_bits(x.window_revenue_cents, y.window_revenue_cents));
}

}  // namespace crmsim::test
