// Memory estimates and the guard that refuses a run before it allocates.
#include "crmsim/limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "campaigns.hpp"
#include "crmsim/agents.hpp"
#include "crmsim/errors.hpp"
#include "crmsim/kpi.hpp"
#include "crmsim/simulation.hpp"
#include "crmsim/lifecycle.hpp"

namespace crmsim {
namespace {

constexpr std::uint64_t bytes_of_int64 = sizeof(std::int64_t);

/// A number read from the first line of a control-group file; 0 if the file
/// is missing or says "max" (no limit).
std::uint64_t cgroup_limit(const char* path) noexcept {
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text) || text.empty() || text[0] < '0' || text[0] > '9') return 0;
  try {
    return std::stoull(text);
  } catch (...) {
    return 0;
  }
}

/// Saturating a x b, so that absurd scenarios give a huge estimate, not a wrapped small one.
std::uint64_t times(std::uint64_t a, std::uint64_t b) noexcept {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return a * b;
}

std::uint64_t plus(std::uint64_t a, std::uint64_t b) noexcept {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max()
                                                            : a + b;
}

}  // namespace

int contact_slots(const ScenarioSpec& spec) noexcept {
  return std::max(4, spec.contact_policy.max_contacts);
}

MemoryEstimate estimate_memory(const ScenarioSpec& spec, std::int64_t chunk_size) {
  MemoryEstimate e;
  e.agents = std::max<std::int64_t>(0, market_total(spec));
  e.days = std::max(0, spec.days);
  AgentArrays shape;
  shape.contact_slots = contact_slots(spec);
  e.bytes_per_agent = shape.bytes_per_agent();
  const auto agents = static_cast<std::uint64_t>(e.agents);
  e.agent_bytes = times(agents, e.bytes_per_agent);

  const auto segments = static_cast<std::uint64_t>(spec.segments.size());
  const auto campaigns = static_cast<std::uint64_t>(spec.campaigns.size());
  const auto tiers = static_cast<std::uint64_t>(std::max<std::size_t>(1, spec.value_tiers.size()));
  // One row of every daily table, and the measurement buckets.
  const std::uint64_t row = segments * kpi_count + campaigns * campaign_kpi_count +
                            segments * tiers * tier_kpi_count;
  const std::uint64_t buckets = campaigns * 2 * measurement_bucket_count * bucket_kpi_count;
  e.table_bytes = times(plus(times(static_cast<std::uint64_t>(e.days) + 1, row), buckets), bytes_of_int64);

  // Each chunk of agents keeps its own tallies (a row and the buckets).
  const auto chunk = static_cast<std::uint64_t>(
      chunk_size > 0 ? chunk_size : chunk_size_for(static_cast<std::int64_t>(agents)));
  const std::uint64_t chunks = (agents + chunk - 1) / chunk;
  e.working_bytes = times(plus(chunks, 1), times(plus(row, buckets), bytes_of_int64));
  // A campaign without a per-person trigger lists everyone it targets as a
  // candidate on a wave day: 16 bytes each, in the chunk's list and again in
  // the merged list. Who is in the targeted states changes during the run;
  // day 0's counts stand in for it. Ranking one campaign's list by score
  // takes 32 bytes a candidate more for a moment (an index and a radix
  // sort's buffer): once, for the longest list.
  std::uint64_t longest = 0;
  for (const auto& c : spec.campaigns) {
    if (c.trigger.kind != TriggerKind::none) continue;
    const std::uint8_t states = c.targeting.states != 0 ? c.targeting.states : detail::default_target_states(c.type);
    std::uint64_t targeted = 0;
    for (std::size_t s = 0; s < spec.segments.size(); ++s) {
      const auto& list = c.targeting.segments;
      if (!list.empty() && std::find(list.begin(), list.end(), s) == list.end()) continue;
      const auto& seg = spec.segments[s];
      const std::int64_t by_state[state_count] = {
          seg.market_size - seg.initial.lead - seg.initial.new_customer - seg.initial.active -
              seg.initial.developed - seg.initial.at_risk - seg.initial.lapsed,
          seg.initial.lead, seg.initial.new_customer, seg.initial.active, seg.initial.developed,
          seg.initial.at_risk, seg.initial.lapsed};
      for (int k = 0; k < state_count; ++k) {
        if ((states & (1u << k)) != 0 && by_state[k] > 0) targeted += static_cast<std::uint64_t>(by_state[k]);
      }
    }
    e.working_bytes = plus(e.working_bytes, times(targeted, 2 * 16));
    longest = std::max(longest, targeted);
  }
  e.working_bytes = plus(e.working_bytes, times(longest, 2 * 16));
  return e;
}

std::uint64_t machine_memory_bytes() noexcept {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  std::uint64_t memory = pages > 0 && page > 0
                             ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                             : 0;
  // A container or batch job may be given less than the machine has.
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    const std::uint64_t limit = cgroup_limit(path);
    if (limit > 0 && (memory == 0 || limit < memory)) memory = limit;
  }
  return memory;
}

std::string format_bytes(std::uint64_t bytes) {
  static const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000.0 && unit < 6) {
    value /= 1000.0;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
  } else if (value < 10.0) {
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  } else {
    std::snprintf(text, sizeof text, "%.0f %s", value, units[unit]);
  }
  return text;
}

std::string format_count(std::int64_t n) {
  const unsigned long long magnitude =
      n < 0 ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
  const std::string digits = std::to_string(magnitude);
  std::string out;
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (k > 0 && (digits.size() - k) % 3 == 0) out += ',';
    out += digits[k];
  }
  return n < 0 ? "-" + out : out;
}

void check_memory(const MemoryEstimate& e, std::uint64_t limit, bool limit_is_machine) {
  const bool machine = limit == 0 || limit_is_machine;
  if (limit == 0) limit = machine_memory_bytes();
  if (limit == 0 || e.total() <= limit) return;
  std::string message = format_count(e.agents) + " agents for " + format_count(e.days) +
                        " days need about " + format_bytes(e.total()) + "; " +
                        (machine ? "this machine has " : "the limit is ") + format_bytes(limit) +
                        " (agent columns " + format_bytes(e.agent_bytes) + " at " +
                        std::to_string(e.bytes_per_agent) + " bytes per agent, daily tables " +
                        format_bytes(e.table_bytes) + ", working memory " +
                        format_bytes(e.working_bytes) +
                        "). Run fewer people (population) or fewer days, or a machine with more memory.";
  throw MemoryLimitError(message, e.total(), limit);
}

void check_allocation(std::uint64_t count, std::uint64_t size, const std::string& what) {
  const std::uint64_t needed = times(count, size);
  const std::uint64_t limit = machine_memory_bytes();
  if (limit == 0 || needed <= limit) return;
  throw MemoryLimitError(what + " holds " + format_count(static_cast<std::int64_t>(
                                                std::min<std::uint64_t>(count, std::numeric_limits<std::int64_t>::max()))) +
                             " values (about " + format_bytes(needed) + "); this machine has " +
                             format_bytes(limit),
                         needed, limit);
}

}  // namespace crmsim
