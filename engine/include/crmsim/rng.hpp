// Counter-based random numbers: Philox 4x32-10 (Salmon et al., SC'11).
//
// Every draw is a pure function of (seed, purpose, agent id, day, draw
// index), so results do not depend on thread count, chunking or the order in
// which agents are visited, and two scenarios that differ only in parameters
// see the same numbers for the same agent-day-purpose (common random numbers).
#pragma once

#include <array>
#include <cstdint>

namespace crmsim {

/// 128-bit Philox counter / output block.
using PhiloxBlock = std::array<std::uint32_t, 4>;
/// 64-bit Philox key.
using PhiloxKey = std::array<std::uint32_t, 2>;

/// Philox 4x32 with 10 rounds: the Random123 reference bijection.
inline PhiloxBlock philox4x32_10(PhiloxBlock ctr, PhiloxKey key) noexcept {
  constexpr std::uint32_t kMul0 = 0xD2511F53u;
  constexpr std::uint32_t kMul1 = 0xCD9E8D57u;
  constexpr std::uint32_t kWeyl0 = 0x9E3779B9u;
  constexpr std::uint32_t kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kWeyl0;
      key[1] += kWeyl1;
    }
    const std::uint64_t p0 = std::uint64_t{kMul0} * ctr[0];
    const std::uint64_t p1 = std::uint64_t{kMul1} * ctr[2];
    const auto hi0 = static_cast<std::uint32_t>(p0 >> 32);
    const auto lo0 = static_cast<std::uint32_t>(p0);
    const auto hi1 = static_cast<std::uint32_t>(p1 >> 32);
    const auto lo1 = static_cast<std::uint32_t>(p1);
    ctr = {hi1 ^ ctr[1] ^ key[0], lo1, hi0 ^ ctr[3] ^ key[1], lo0};
  }
  return ctr;
}

/// What a stream of draws is for; part of the key, so purposes never overlap.
enum class Purpose : std::uint32_t {
  traits = 1,          ///< per-agent heterogeneity drawn at initialisation
  initial_state = 2,   ///< tenure and timers of the initial population
  lifecycle = 3,       ///< the daily lifecycle event (one uniform per agent-day)
  purchases = 4,       ///< purchase counts and spend
  campaign_assignment = 5,  ///< holdout group, score noise and tie-break per (agent, campaign)
  contact = 6,         ///< delivery, response and unsubscribe of one contact
  acquisition_route = 7,  ///< enquiry or direct, for a prospect acquired today
  event_sample = 8,    ///< whether an agent's events go to the event log (no effect on the run)
  model_daily = 9,     ///< btyd/sbg: today's purchase or renewal word (one block per two agents)
  spend_trait = 10,    ///< btyd: a customer's Gamma-Gamma spend level (drawn again at each purchase)
};

/// The key for (seed, purpose): low seed word and purpose; the high seed word
/// travels in the counter's last word so that 64-bit seeds stay distinct.
inline PhiloxKey make_key(std::uint64_t seed, Purpose purpose) noexcept {
  return {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(purpose)};
}

/// One Philox block for (seed, purpose, agent, day, draw block).
inline PhiloxBlock draw_block(std::uint64_t seed, Purpose purpose, std::uint32_t agent,
                              std::uint32_t day, std::uint32_t block) noexcept {
  return philox4x32_10({agent, day, block, static_cast<std::uint32_t>(seed >> 32)},
                       make_key(seed, purpose));
}

/// The daily lifecycle words: one Philox block serves two agents (agent
/// 2p uses words 0-1 of pair p's block, agent 2p+1 words 2-3), so the
/// common "nothing happens today" case costs half a Philox call.
/// Fills `out[4 * k .. 4 * k + 3]` with the block of pair `first_pair + k`
/// for k < pairs (pairs <= lifecycle_batch_pairs). Integer-only, so every
/// instruction set gives the same words; built for AVX2 where available.
inline constexpr std::uint32_t lifecycle_batch_pairs = 64;
void lifecycle_words(std::uint64_t seed, std::uint32_t day, std::uint32_t first_pair,
                     std::uint32_t pairs, std::uint32_t* out) noexcept;

/// Uniform in [0, 1) with 53 random bits from two 32-bit words.
inline double to_unit_double(std::uint32_t hi, std::uint32_t lo) noexcept {
  const std::uint64_t bits = (std::uint64_t{hi} << 21) ^ (std::uint64_t{lo} >> 11);
  return static_cast<double>(bits & ((std::uint64_t{1} << 53) - 1)) * 0x1.0p-53;
}

/// Uniform in (0, 1) from one 32-bit word (never exactly 0, safe for logs).
inline double to_open_unit(std::uint32_t word) noexcept {
  return (static_cast<double>(word) + 0.5) * 0x1.0p-32;
}

/// Threshold t such that `word < t` happens with probability `p` (p in [0, 1]).
inline std::uint64_t probability_threshold(double p) noexcept {
  if (!(p > 0.0)) return 0;
  if (p >= 1.0) return std::uint64_t{1} << 32;
  return static_cast<std::uint64_t>(p * 0x1.0p32);
}

/// A sequence of draws for one (seed, purpose, agent, day): block after block
/// of Philox output, for rare events that need a variable number of draws
/// (Gamma by rejection, spend of several purchases).
class DrawStream {
 public:
  /// Draws start at block `first_block` of the counter's draw index.
  DrawStream(std::uint64_t seed, Purpose purpose, std::uint32_t agent, std::uint32_t day,
             std::uint32_t first_block = 0) noexcept
      : seed_(seed), purpose_(purpose), agent_(agent), day_(day), block_(first_block) {}

  /// Next raw 32-bit word.
  std::uint32_t next_word() noexcept {
    if (used_ == 4) refill();
    return buffer_[used_++];
  }
  /// Uniform in (0, 1).
  double uniform() noexcept { return to_open_unit(next_word()); }
  /// Standard normal (Box-Muller; the second value is cached).
  double normal() noexcept;
  /// Gamma(shape, scale=1) by Marsaglia-Tsang; shape > 0.
  double gamma(double shape) noexcept;
  /// Beta(a, b) as a ratio of Gammas; a, b > 0.
  double beta(double a, double b) noexcept;

 private:
  void refill() noexcept {
    buffer_ = draw_block(seed_, purpose_, agent_, day_, block_++);
    used_ = 0;
  }

  std::uint64_t seed_;
  Purpose purpose_;
  std::uint32_t agent_;
  std::uint32_t day_;
  std::uint32_t block_;
  PhiloxBlock buffer_{};
  std::size_t used_ = 4;
  double cached_normal_ = 0.0;
  bool has_cached_normal_ = false;
};

}  // namespace crmsim
