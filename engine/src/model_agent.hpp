// Steps shared by the btyd and sbg passes (internal to the engine).
#pragma once

#include <cstddef>
#include <cstdint>

#include "crmsim/rng.hpp"
#include "model_pass.hpp"

namespace crmsim::detail {

/// Today's model word of an agent: one Philox block serves two agents
/// (agent 2k uses word 0 of block k, agent 2k+1 word 2), computed only for
/// agents that need one and kept for the pair's other agent.
class DailyWords {
 public:
  DailyWords(std::uint64_t seed, int day) noexcept
      : seed_(seed), day_(static_cast<std::uint32_t>(day)) {}

  std::uint32_t word(std::size_t agent) noexcept {
    const std::size_t pair = agent >> 1;
    if (pair != pair_) {
      block_ = draw_block(seed_, Purpose::model_daily, static_cast<std::uint32_t>(pair), day_, 0);
      pair_ = pair;
    }
    return block_[2 * (agent & 1)];
  }

 private:
  std::uint64_t seed_;
  std::uint32_t day_;
  std::size_t pair_ = static_cast<std::size_t>(-1);
  PhiloxBlock block_{};
};

/// Moves agent `i` to `to`, counting the flow (and logging it when sampled).
inline void model_move(const ModelPlan& plan, int day, AgentArrays& a, std::size_t i, int seg,
                       State to, Kpi flow, ChunkTallies& tally) {
  a.state[i] = to;
  a.state_since[i] = day;
  ++tally.segments.at(seg, flow);
  if (plan.events != nullptr) plan.events->record(tally.events, day, i, seg, flow, a.flags[i], 0);
}

/// A prospect whose entry day is today becomes an alive customer.
inline void model_enter(const ModelPlan& plan, int day, AgentArrays& a, std::size_t i, int seg,
                        ChunkTallies& tally) {
  a.products[i] = 1;
  a.last_purchase_day[i] = day;
  model_move(plan, day, a, i, seg, State::active, Kpi::acquisitions, tally);
}

/// A customer drops out (btyd) or churns (sbg), for good.
inline void model_leave(const ModelPlan& plan, int day, AgentArrays& a, std::size_t i, int seg,
                        ChunkTallies& tally) {
  a.products[i] = 0;
  model_move(plan, day, a, i, seg, State::lapsed, Kpi::defections, tally);
}

/// Books a purchase (or paid period) of `cents`.
inline void model_purchase(int day, AgentArrays& a, std::size_t i, int seg, std::int64_t cents,
                           ChunkTallies& tally) {
  a.revenue_cents[i] += cents;
  a.last_purchase_day[i] = day;
  ++tally.segments.at(seg, Kpi::purchases);
  tally.segments.at(seg, Kpi::revenue_cents) += cents;
  // Model runs have one value tier, so the tier group is the segment.
  tally.tiers.at(seg, TierKpi::revenue_cents) += cents;
}

/// Counts the agent's end-of-day state.
inline void model_count(const AgentArrays& a, std::size_t i, int seg, ChunkTallies& tally) {
  const State s = a.state[i];
  ++tally.segments.at(seg, static_cast<Kpi>(s));
  if (s == State::active) ++tally.tiers.at(seg, TierKpi::customers);
}

}  // namespace crmsim::detail
