// Building the day-0 population (internal to the engine).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "crmsim/agents.hpp"
#include "crmsim/rates.hpp"
#include "crmsim/scenario.hpp"

namespace crmsim::detail {

/// First agent id of each segment, plus the total at the end.
std::vector<std::int64_t> segment_offsets(const ScenarioSpec& spec);

/// Initialises agents [begin, end): segment, initial state and timers, and
/// heterogeneous traits. Each agent's draws depend only on (seed, agent id),
/// so any split into ranges gives the same population.
void initialise_agents(const ScenarioSpec& spec, const std::vector<SegmentRates>& rates,
                       const std::vector<std::int64_t>& offsets, std::uint64_t seed,
                       AgentArrays& agents, std::size_t begin, std::size_t end);

}  // namespace crmsim::detail
