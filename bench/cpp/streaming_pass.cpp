// The memory-traffic ceiling of a day: allocates the engine's agent columns
// (crmsim::AgentArrays, as the engine sizes them) and, every day, reads and
// writes every column once, in the engine's fixed-size chunks on a TBB
// arena of the requested thread count. No decisions, no random numbers: what
// the engine's daily pass would cost if memory traffic were all it did.
//
//   crmsim_streaming_pass AGENTS DAYS THREADS [CHUNK_SIZE] [CONTACT_SLOTS]
//
// Prints one JSON line: agents, days, threads, chunk size, bytes per agent,
// the wall seconds of the days (allocation excluded) and customer-days/s.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/partitioner.h>
#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <type_traits>
#include <vector>

#include "crmsim/agents.hpp"

namespace {

/// Calls `f(column, values_per_agent)` for every column of the engine's agents.
/// A column added to AgentArrays and missing here shows as a byte-count
/// mismatch in main(), which refuses to run.
template <class F>
void for_each_column(crmsim::AgentArrays& a, F&& f) {
  f(a.segment, 1);
  f(a.state, 1);
  f(a.products, 1);
  f(a.flags, 1);
  f(a.state_since, 1);
  f(a.acquired_day, 1);
  f(a.purchase_rate, 1);
  f(a.churn_hazard, 1);
  f(a.revenue_cents, 1);
  f(a.last_purchase_day, 1);
  f(a.contact_days, a.contact_slots);
  f(a.effect_until, 1);
  f(a.effect_campaign, 1);
  f(a.assigned, 1);
  f(a.assigned_day, 1);
  f(a.window_revenue_cents, 1);
}

/// Read-modify-write of one value: an increment the compiler must keep,
/// since the columns are read again after the run.
template <class T>
void bump(T& x) {
  if constexpr (std::is_enum_v<T>) {
    using U = std::underlying_type_t<T>;
    x = static_cast<T>(static_cast<U>(static_cast<U>(x) + 1u));
  } else if constexpr (std::is_floating_point_v<T>) {
    x += T(1);
  } else {
    x = static_cast<T>(x + 1);
  }
}

/// Sum of every column's first and last value: keeps the writes observable.
double checksum(crmsim::AgentArrays& a) {
  double sum = 0.0;
  for_each_column(a, [&](auto& column, int) {
    if (column.empty()) return;
    using T = typename std::decay_t<decltype(column)>::value_type;
    if constexpr (std::is_enum_v<T>) {
      using U = std::underlying_type_t<T>;
      sum += static_cast<double>(static_cast<U>(column.front())) +
             static_cast<double>(static_cast<U>(column.back()));
    } else {
      sum += static_cast<double>(column.front()) + static_cast<double>(column.back());
    }
  });
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s AGENTS DAYS THREADS [CHUNK_SIZE] [CONTACT_SLOTS]\n", argv[0]);
    return 2;
  }
  const auto agents = static_cast<std::size_t>(std::atoll(argv[1]));
  const int days = std::atoi(argv[2]);
  const int threads = std::atoi(argv[3]);
  const auto chunk = static_cast<std::size_t>(argc > 4 ? std::atoll(argv[4]) : 16384);
  const int slots = argc > 5 ? std::atoi(argv[5]) : 4;
  if (agents == 0 || days < 1 || threads < 1 || chunk == 0 || slots < 1) {
    std::fprintf(stderr, "agents, days, threads, chunk size and contact slots must be >= 1\n");
    return 2;
  }

  // As the engine does: raise TBB's cap when more threads than cores are asked for.
  std::unique_ptr<tbb::global_control> limit;
  if (threads > tbb::info::default_concurrency()) {
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<std::size_t>(threads));
  }
  tbb::task_arena arena(threads);

  crmsim::AgentArrays a;
  a.resize(agents, slots);  // zeroed, so every page is touched before the clock starts
  std::size_t bytes = 0;
  for_each_column(a, [&](auto& column, int) {
    bytes += column.size() * sizeof(typename std::decay_t<decltype(column)>::value_type);
  });
  if (bytes != agents * a.bytes_per_agent()) {
    std::fprintf(stderr,
                 "streaming_pass covers %zu bytes, AgentArrays has %zu: a column is "
                 "missing from for_each_column\n",
                 bytes, agents * a.bytes_per_agent());
    return 1;
  }

  const std::size_t chunks = (agents + chunk - 1) / chunk;
  const auto start = std::chrono::steady_clock::now();
  for (int day = 0; day < days; ++day) {
    arena.execute([&] {
      tbb::parallel_for(
          tbb::blocked_range<std::size_t>(0, chunks, 1),
          [&](const tbb::blocked_range<std::size_t>& range) {
            for (std::size_t c = range.begin(); c != range.end(); ++c) {
              const std::size_t begin = c * chunk;
              const std::size_t end = std::min(agents, begin + chunk);
              for_each_column(a, [&](auto& column, int per_agent) {
                const auto k = static_cast<std::size_t>(per_agent);
                auto* p = column.data();
                for (std::size_t i = begin * k; i != end * k; ++i) bump(p[i]);
              });
            }
          },
          tbb::simple_partitioner());
    });
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double customer_days = static_cast<double>(agents) * days;
  std::printf(
      "{\"agents\": %zu, \"days\": %d, \"threads\": %d, \"chunk_size\": %zu, "
      "\"bytes_per_agent\": %zu, \"seconds\": %.6f, \"customer_days_per_s\": %.1f, "
      "\"checksum\": %.1f}\n",
      agents, days, threads, chunk, a.bytes_per_agent(), seconds, customer_days / seconds,
      checksum(a));
  return 0;
}
