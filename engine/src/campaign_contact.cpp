// Selection, contact and responses of the day's campaigns. See campaigns.hpp.
//
// Campaigns run one after another in priority order; each campaign-day runs
// in three steps, so that only a light scan is serial:
//  1. assess (parallel): for every candidate, whether the contact policy lets
//     them be contacted today and what a contact would do (delivered,
//     unsubscribe, respond, buy at once). Draws are keyed by (seed, agent,
//     day, campaign) and the policy counts only earlier contacts, so none of
//     this depends on who else is contacted.
//  2. choose (serial): walk the candidates in the campaign's order and stop
//     where budget, daily cap or channel capacity run out, reading only the
//     costs step 1 left in the candidate list, never the agents. The order is
//     agent order when no limit can bind, else score order (a head at a time).
//  3. apply (parallel, agent order): contact the chosen, assign chosen
//     controls, apply responses. A person's contact touches only their own
//     columns; tallies go to the chunk's own tally and events to the chunk's
//     own list, joined in chunk order.
// The result is the same for every thread count, and the same as contacting
// one by one in the campaign's order.
#include <algorithm>
#include <array>
#include <bit>
#include <numeric>
#include <utility>

#include "campaigns.hpp"
#include "crmsim/rng.hpp"
#include "state_counts.hpp"

namespace crmsim::detail {

int recent_contacts(const AgentArrays& a, std::size_t i, int day, int window_days) noexcept {
  const auto slots = static_cast<std::size_t>(a.contact_slots);
  const std::uint16_t* ring = &a.contact_days[i * slots];
  int n = 0;
  for (std::size_t k = 0; k < slots; ++k) {
    if (ring[k] != 0 && day - ring[k] < window_days) ++n;
  }
  return n;
}

namespace {

/// What step 1 finds out about a candidate and step 2 decides (Candidate::marks).
namespace mark {
constexpr std::uint8_t allowed = 1u << 0;       ///< the contact policy allows a contact today
constexpr std::uint8_t delivered = 1u << 1;     ///< a contact would reach them
constexpr std::uint8_t unsubscribes = 1u << 2;  ///< ... and they would opt out
constexpr std::uint8_t responds = 1u << 3;      ///< ... and they would respond
constexpr std::uint8_t direct = 1u << 4;        ///< acquisition: a responder who buys at once
constexpr std::uint8_t chosen = 1u << 5;        ///< reached before the limits ran out
constexpr std::uint8_t pays_wave = 1u << 6;     ///< the day's first contact: carries the wave cost
}  // namespace mark

bool has(const Candidate& c, std::uint8_t m) noexcept { return (c.marks & m) != 0; }

/// Counts step 1 adds up over the candidate list.
struct Assessment {
  std::int64_t selected = 0;    ///< allowed and not held out: the contacts wanted
  std::int64_t responders = 0;  ///< of those, how many would respond
  std::int64_t allowed = 0;     ///< allowed, held out or not: the entries to rank
};

/// A candidate's place in score order: score high first, then the hash,
/// then the agent (the position in the agent-ordered list).
struct RankEntry {
  std::uint64_t key;  ///< (inverted score bits) << 32 | hash: ascending = wanted first
  std::uint32_t pos;  ///< index in the candidate list
};

std::uint64_t rank_key(const Candidate& c) noexcept {
  // Scores are >= 0, where a float's bits order like its value (+ 0.0f turns
  // a -0 into +0).
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(c.score + 0.0f);
  return (static_cast<std::uint64_t>(~bits) << 32) | c.hash;
}

bool ranks_before(const RankEntry& x, const RankEntry& y) noexcept {
  return x.key != y.key ? x.key < y.key : x.pos < y.pos;
}

/// Sorts [first, last) by ranks_before. A stable radix sort a byte at a
/// time: by position first unless the entries are still in position order,
/// then by score; then equal scores (rare) are put in hash order. Linear in
/// the entries, where std::sort is not: the lists run to a million.
void sort_by_rank(std::vector<RankEntry>::iterator first, std::vector<RankEntry>::iterator last,
                  bool in_position_order) {
  const auto n = static_cast<std::size_t>(last - first);
  if (n < 2) return;
  // Passes go back and forth between the range and one buffer.
  std::vector<RankEntry> buffer(n);
  RankEntry* from = &*first;
  RankEntry* to = buffer.data();
  const auto radix_pass = [&](auto digit) {
    std::array<std::size_t, 256> slots{};
    for (std::size_t k = 0; k < n; ++k) ++slots[digit(from[k])];
    if (slots[digit(from[0])] == n) return;  // every entry has this byte: nothing moves
    std::size_t sum = 0;
    for (std::size_t& c : slots) sum += std::exchange(c, sum);
    for (std::size_t k = 0; k < n; ++k) to[slots[digit(from[k])]++] = from[k];
    std::swap(from, to);
  };
  for (int shift = 0; !in_position_order && shift < 32; shift += 8) {
    radix_pass([shift](const RankEntry& e) -> std::size_t { return (e.pos >> shift) & 0xFFu; });
  }
  for (int shift = 32; shift < 64; shift += 8) {
    radix_pass([shift](const RankEntry& e) -> std::size_t { return (e.key >> shift) & 0xFFu; });
  }
  for (std::size_t k = 0; k < n;) {
    std::size_t end = k + 1;
    while (end < n && (from[end].key >> 32) == (from[k].key >> 32)) ++end;
    if (end - k > 1) std::sort(from + k, from + end, ranks_before);
    k = end;
  }
  if (from != &*first) std::copy(from, from + n, first);
}

/// One campaign on one day.
class CampaignDay {
 public:
  CampaignDay(const ContactContext& ctx, const CampaignPlan& plan, CampaignState& state,
              std::vector<std::int64_t>& channel_used, AgentArrays& agents)
      : ctx_(ctx), plan_(plan), state_(state), channel_used_(channel_used), a_(agents),
        channel_(ctx.spec->channels[static_cast<std::size_t>(plan.channel)]),
        policy_(ctx.spec->contact_policy),
        reach_threshold_(probability_threshold(channel_.reach)),
        unsubscribe_threshold_(probability_threshold(channel_.unsubscribe_probability)),
        per_contact_(plan.cost_per_contact_micros) {}

  void run(std::vector<Candidate>& candidates, std::vector<CampaignDayTallies>& tallies,
           std::vector<std::vector<Event>>& events) {
    const Assessment found = assess(candidates);
    tallies.front().campaigns.at(static_cast<int>(plan_.index), CampaignKpi::selected) +=
        found.selected;
    if (found.allowed == 0) return;
    if (no_limit_binds(found)) {
      for (Candidate& c : candidates) {
        if (has(c, mark::allowed)) choose(c);
      }
    } else {
      choose_by_score(candidates, found);
    }
    apply(candidates, tallies, events);
  }

 private:
  // ---- step 1: assess (parallel) -----------------------------------------

  Assessment assess(std::vector<Candidate>& candidates) const {
    std::vector<Assessment> per_chunk(chunk_count(candidates.size()));
    const auto body = [&](std::size_t c, std::size_t begin, std::size_t end) {
      Assessment& sum = per_chunk[c];
      for (std::size_t k = begin; k < end; ++k) assess_one(candidates[k], sum);
    };
    ctx_.for_each_chunk(candidates.size(), ctx_.chunk_size, body);
    Assessment total;
    for (const Assessment& s : per_chunk) {
      total.selected += s.selected;
      total.responders += s.responders;
      total.allowed += s.allowed;
    }
    return total;
  }

  void assess_one(Candidate& cand, Assessment& sum) const {
    const std::size_t i = cand.agent;
    cand.marks = 0;
    // Somebody who opted out today, from an earlier campaign's contact, is
    // not contacted again either.
    if ((a_.flags[i] & agent_flags::opted_out) != 0) return;
    // The contact policy filters controls exactly as it filters the treated,
    // so that both groups stay comparable.
    const int recent = recent_contacts(a_, i, ctx_.day, policy_.window_days);
    if (policy_.max_contacts > 0 && recent >= policy_.max_contacts) return;
    cand.marks = mark::allowed;
    ++sum.allowed;
    if (cand.holdout) return;
    ++sum.selected;
    const PhiloxBlock w = draw_block(ctx_.seed, Purpose::contact, static_cast<std::uint32_t>(i),
                                     static_cast<std::uint32_t>(ctx_.day), plan_.index);
    if (w[0] >= reach_threshold_) return;
    cand.marks |= mark::delivered;
    if (w[2] < unsubscribe_threshold_) cand.marks |= mark::unsubscribes;
    if (plan_.type == CampaignType::brand) return;
    const int seg = a_.segment[i];
    const double p = plan_.response[static_cast<std::size_t>(seg)] / (1.0 + channel_.fatigue * recent);
    if (w[1] >= probability_threshold(p)) return;
    cand.marks |= mark::responds;
    if (w[3] < plan_.direct_threshold) cand.marks |= mark::direct;
    ++sum.responders;
  }

  // ---- step 2: choose (serial) -------------------------------------------

  /// True when contacting everybody wanted, in any order, stays within every
  /// limit: then no order is needed. At each contact the budget must cover
  /// what is spent so far, this contact and one incentive held back; what is
  /// spent before a contact plus that contact is at most the whole day's
  /// spend, so the whole spend plus one incentive is enough.
  bool no_limit_binds(const Assessment& found) const {
    const std::int64_t n = found.selected;
    if (plan_.max_contacts_per_day >= 0 && n > plan_.max_contacts_per_day) return false;
    if (channel_.capacity_per_day >= 0 &&
        channel_used_[static_cast<std::size_t>(plan_.channel)] + n > channel_.capacity_per_day) {
      return false;
    }
    if (plan_.budget_micros >= 0 && n > 0) {
      // Exact, and false rather than wrong where a product would overflow.
      std::int64_t contacts = 0, incentives = 0, total = 0;
      if (__builtin_mul_overflow(n, per_contact_, &contacts) ||
          __builtin_mul_overflow(found.responders + 1, plan_.incentive_micros, &incentives) ||
          __builtin_add_overflow(contacts, incentives, &total) ||
          __builtin_add_overflow(total, plan_.wave_cost_micros + state_.spent_micros, &total)) {
        return false;
      }
      if (total > plan_.budget_micros) return false;
    }
    return true;
  }

  /// Ranks the allowed candidates by score a head at a time (about twice
  /// what the limits still allow), never further than the limits reach, and
  /// chooses in that order.
  void choose_by_score(std::vector<Candidate>& candidates, const Assessment& found) {
    std::vector<RankEntry> order;
    order.reserve(static_cast<std::size_t>(found.allowed));
    for (std::size_t k = 0; k < candidates.size(); ++k) {
      if (has(candidates[k], mark::allowed)) {
        order.push_back({rank_key(candidates[k]), static_cast<std::uint32_t>(k)});
      }
    }
    // Entries per contact: controls and the treated are ranked together.
    const double entries_per_contact =
        found.selected > 0 ? static_cast<double>(found.allowed) / static_cast<double>(found.selected)
                           : 1.0;
    const double spend_per_contact =
        found.selected > 0
            ? static_cast<double>(per_contact_) +
                  static_cast<double>(plan_.incentive_micros) *
                      static_cast<double>(found.responders) / static_cast<double>(found.selected)
            : 1.0;
    const std::size_t n = order.size();
    std::size_t ranked = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (k == ranked) {
        const double room = static_cast<double>(contacts_left(spend_per_contact)) * entries_per_contact;
        const auto want = static_cast<std::size_t>(std::min(2.0 * room + 1024.0, 1e15));
        const std::size_t head = std::min(n, k + std::max(k, want));
        const auto from = order.begin() + static_cast<std::ptrdiff_t>(k);
        if (4 * (head - k) >= n - k) {
          // Most of what is left: a radix sort of the rest is cheaper.
          sort_by_rank(from, order.end(), /*in_position_order=*/k == 0);
          ranked = n;
        } else {
          const auto to = order.begin() + static_cast<std::ptrdiff_t>(head);
          std::nth_element(from, to, order.end(), ranks_before);
          std::sort(from, to, ranks_before);
          ranked = head;
        }
      }
      if (!choose(candidates[order[k].pos])) return;
    }
  }

  /// About how many more contacts the limits allow today, at the day's mean
  /// spend per contact (only sizes the ranked head).
  std::int64_t contacts_left(double spend_per_contact) const {
    std::int64_t left = std::int64_t{1} << 40;
    if (plan_.max_contacts_per_day >= 0) left = std::min(left, plan_.max_contacts_per_day - contacted_);
    if (channel_.capacity_per_day >= 0) {
      left = std::min(left, channel_.capacity_per_day -
                                channel_used_[static_cast<std::size_t>(plan_.channel)]);
    }
    if (plan_.budget_micros >= 0 && spend_per_contact > 0.0) {
      const double budget_left = static_cast<double>(plan_.budget_micros - state_.spent_micros);
      left = std::min(left, static_cast<std::int64_t>(std::max(0.0, budget_left / spend_per_contact)) + 1);
    }
    return std::max<std::int64_t>(left, 0);
  }

  /// Takes an allowed candidate in turn: a control is assigned, a treated
  /// person contacted, unless the limits have run out (false: stop here).
  bool choose(Candidate& cand) {
    if (cand.holdout) {
      // Controls are followed only up to the point where treatment stopped,
      // so that both groups are cut by the same ranking.
      cand.marks |= mark::chosen;
      return true;
    }
    if (!within_limits()) return false;
    state_.spent_micros += per_contact_;
    if (contacted_ == 0) {
      state_.spent_micros += plan_.wave_cost_micros;
      cand.marks |= mark::pays_wave;
    }
    if (has(cand, mark::responds)) state_.spent_micros += plan_.incentive_micros;
    ++contacted_;
    ++channel_used_[static_cast<std::size_t>(plan_.channel)];
    cand.marks |= mark::chosen;
    return true;
  }

  bool within_limits() const {
    if (plan_.max_contacts_per_day >= 0 && contacted_ >= plan_.max_contacts_per_day) return false;
    if (channel_.capacity_per_day >= 0 &&
        channel_used_[static_cast<std::size_t>(plan_.channel)] >= channel_.capacity_per_day) {
      return false;
    }
    if (plan_.budget_micros >= 0) {
      // The incentive is reserved up front: a response must never overspend.
      const std::int64_t worst = per_contact_ + (contacted_ == 0 ? plan_.wave_cost_micros : 0) +
                                 plan_.incentive_micros;
      if (state_.spent_micros + worst > plan_.budget_micros) return false;
    }
    return true;
  }

  // ---- step 3: apply (parallel) ------------------------------------------

  void apply(const std::vector<Candidate>& candidates, std::vector<CampaignDayTallies>& tallies,
             std::vector<std::vector<Event>>& events) {
    const auto body = [&](std::size_t c, std::size_t begin, std::size_t end) {
      Apply chunk{*this, tallies[c], events[c]};
      for (std::size_t k = begin; k < end; ++k) {
        if (has(candidates[k], mark::chosen)) chunk.apply(candidates[k]);
      }
    };
    ctx_.for_each_chunk(candidates.size(), ctx_.chunk_size, body);
  }

  /// Applies chosen candidates of one chunk to the agents and the chunk's tallies.
  struct Apply {
    const CampaignDay& day;
    CampaignDayTallies& t;
    std::vector<Event>& events;

    const CampaignPlan& plan() const { return day.plan_; }
    AgentArrays& a() const { return day.a_; }
    int campaign() const { return static_cast<int>(day.plan_.index); }

    void apply(const Candidate& cand) {
      const std::size_t i = cand.agent;
      if (cand.holdout) {
        assign(i, true);
        return;
      }
      const std::int64_t wave = has(cand, mark::pays_wave) ? plan().wave_cost_micros : 0;
      spend(i, day.per_contact_ + wave, CampaignKpi::contact_cost_micros);
      ++t.campaigns.at(campaign(), CampaignKpi::contacted);
      remember_contact(i);
      assign(i, false);
      if (!has(cand, mark::delivered)) return;
      ++t.campaigns.at(campaign(), CampaignKpi::delivered);
      if (has(cand, mark::unsubscribes)) {
        a().flags[i] = static_cast<std::uint8_t>(a().flags[i] | agent_flags::opted_out);
        ++t.campaigns.at(campaign(), CampaignKpi::unsubscribed);
      }
      if (has(cand, mark::responds)) respond(i, has(cand, mark::direct));
    }

    /// Books money spent on agent i (the budget itself was charged in step 2).
    void spend(std::size_t i, std::int64_t micros, CampaignKpi column) {
      const int seg = a().segment[i];
      t.campaigns.at(campaign(), column) += micros;
      t.segments.at(seg, Kpi::marketing_cost_micros) += micros;
      t.tiers.at(tier_group(i), TierKpi::marketing_cost_micros) += micros;
    }

    int tier_group(std::size_t i) const {
      const int seg = a().segment[i];
      const TierBounds& tiers = *day.ctx_.tiers;
      return seg * tiers.tiers +
             tiers.tier_of(seg, a().state[i] == State::developed, a().purchase_rate[i]);
    }

    void remember_contact(std::size_t i) {
      const auto slots = static_cast<std::size_t>(a().contact_slots);
      std::uint16_t* ring = &a().contact_days[i * slots];
      std::size_t oldest = 0;
      for (std::size_t k = 1; k < slots; ++k) {
        if (ring[k] < ring[oldest]) oldest = k;
      }
      ring[oldest] = static_cast<std::uint16_t>(day.ctx_.day);
    }

    void assign(std::size_t i, bool holdout) {
      if (plan().type == CampaignType::brand || a().assigned[i] != 0) return;
      a().assigned[i] = static_cast<std::uint8_t>(plan().index + 1);
      a().assigned_day[i] = day.ctx_.day;
      a().window_revenue_cents[i] = 0;
      auto f = static_cast<std::uint8_t>(a().flags[i] & ~(agent_flags::holdout | agent_flags::converted));
      if (holdout) f = static_cast<std::uint8_t>(f | agent_flags::holdout);
      a().flags[i] = f;
    }

    void move(std::size_t i, State to, Kpi flow) {
      count_move(t.segments, t.tiers, *day.ctx_.tiers, a().segment[i], a().state[i], to,
                 a().purchase_rate[i]);
      a().state[i] = to;
      a().state_since[i] = day.ctx_.day;
      ++t.segments.at(a().segment[i], flow);
      if (day.ctx_.events != nullptr) {
        day.ctx_.events->record(events, day.ctx_.day, i, a().segment[i], flow, a().flags[i],
                                static_cast<std::uint8_t>(plan().index + 1));
      }
    }

    void become_customer(std::size_t i, Kpi flow) {
      a().acquired_day[i] = day.ctx_.day;
      a().last_purchase_day[i] = day.ctx_.day;
      a().products[i] = 1;
      move(i, State::new_customer, flow);
    }

    void mark_converted(std::size_t i) {
      if (a().assigned[i] == plan().index + 1) {
        a().flags[i] = static_cast<std::uint8_t>(a().flags[i] | agent_flags::converted);
      }
    }

    void respond(std::size_t i, bool direct) {
      ++t.campaigns.at(campaign(), CampaignKpi::responded);
      if (plan().incentive_micros > 0) {
        spend(i, plan().incentive_micros, CampaignKpi::incentive_cost_micros);
      }
      const State s = a().state[i];
      std::uint8_t& f = a().flags[i];
      switch (plan().type) {
        case CampaignType::acquisition:
          if (s != State::prospect) break;
          f = static_cast<std::uint8_t>(f | agent_flags::via_campaign);
          if (direct) {
            f = static_cast<std::uint8_t>(f & ~agent_flags::via_enquiry);
            become_customer(i, Kpi::acquisitions);
            ++t.segments.at(a().segment[i], Kpi::campaign_acquisitions);
            mark_converted(i);
          } else {
            move(i, State::lead, Kpi::enquiries);
          }
          break;
        case CampaignType::cross_sell:
          if (!is_customer(s)) break;
          a().products[i] = static_cast<std::uint8_t>(std::min(255, a().products[i] + 1));
          if (s == State::active || s == State::new_customer) {
            move(i, State::developed, Kpi::developments);
          } else {
            ++t.segments.at(a().segment[i], Kpi::developments);
          }
          mark_converted(i);
          break;
        case CampaignType::service_recovery: {
          if (s != State::at_risk) break;
          const bool in_welcome =
              day.ctx_.day - a().acquired_day[i] < day.ctx_.spec->lifecycle.welcome_days;
          const State back = a().products[i] >= 2 ? State::developed
                             : in_welcome         ? State::new_customer
                                                  : State::active;
          move(i, back, Kpi::recoveries);
          mark_converted(i);
          break;
        }
        case CampaignType::win_back:
          if (s != State::lapsed) break;
          f = static_cast<std::uint8_t>((f | agent_flags::won_back | agent_flags::via_campaign) &
                                        ~agent_flags::via_enquiry);
          become_customer(i, Kpi::win_backs);
          mark_converted(i);
          break;
        case CampaignType::welcome:
        case CampaignType::retention:
        case CampaignType::brand:
          break;
      }
      if (plan().effect_span > 0 && is_customer(a().state[i])) {
        a().effect_campaign[i] = static_cast<std::uint8_t>(plan().index + 1);
        a().effect_until[i] = day.ctx_.day + plan().effect_span - 1;
      }
    }
  };

  std::size_t chunk_count(std::size_t n) const {
    return (n + ctx_.chunk_size - 1) / ctx_.chunk_size;
  }

  const ContactContext& ctx_;
  const CampaignPlan& plan_;
  CampaignState& state_;
  std::vector<std::int64_t>& channel_used_;
  AgentArrays& a_;
  const ChannelSpec& channel_;
  const ContactPolicy& policy_;
  const std::uint64_t reach_threshold_;
  const std::uint64_t unsubscribe_threshold_;
  const std::int64_t per_contact_;
  std::int64_t contacted_ = 0;
};

}  // namespace

void select_and_contact(const ContactContext& ctx, const std::vector<CampaignPlan>& plans,
                        const std::vector<int>& running,
                        std::vector<std::vector<Candidate>>& candidates,
                        std::vector<CampaignState>& states, AgentArrays& agents,
                        std::vector<CampaignDayTallies>& tallies, std::vector<Event>* events) {
  // Campaigns compete for people and channel capacity in priority order
  // (ties: the order in the scenario).
  std::vector<std::size_t> order(running.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return plans[static_cast<std::size_t>(running[x])].priority <
           plans[static_cast<std::size_t>(running[y])].priority;
  });
  std::vector<std::int64_t> channel_used(ctx.spec->channels.size(), 0);
  std::vector<std::vector<Event>> chunk_events(tallies.size());
  for (std::size_t k : order) {
    const auto c = static_cast<std::size_t>(running[k]);
    CampaignDay day(ctx, plans[c], states[c], channel_used, agents);
    day.run(candidates[k], tallies, chunk_events);
    if (events != nullptr) {
      for (auto& list : chunk_events) {
        events->insert(events->end(), list.begin(), list.end());
        list.clear();
      }
    }
  }
}

}  // namespace crmsim::detail
