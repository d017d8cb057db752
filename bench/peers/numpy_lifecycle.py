"""The crmsim lifecycle written in plain numpy: the peer the engine is timed against.

Two implementations of exactly the engine's rules (see the module docstring of
``engine/src/lifecycle_pass.cpp``), both one Python loop over days and none over
agents:

``NumpyLifecycle``
    What a careful data scientist writes when speed matters. Per day it draws
    two float32 uniforms per agent (the day's event and whether a customer buys)
    and compares them with per-agent probabilities that are cached and only
    recomputed for the few agents that changed state. ``np.flatnonzero`` then
    leaves a few thousand agents to process. Timers (end of the welcome period,
    lead expiry, end of the win-back window) sit in buckets keyed by due day.
    Prospect acquisition, whose probability changes every day with the
    market-wide customer share (Bass imitation), is thinned: prospects are
    candidates with the bound ``1 - exp(-(p + q)/365)`` (the share is at most 1)
    and a candidate is acquired when its uniform also lies below today's
    probability, which is exact because it is the same uniform.

``PlainNumpyLifecycle``
    The straightforward vectorised loop: boolean masks over the whole
    population every day, hazards recomputed for every customer, a Poisson
    draw for every agent. Kept as the "plain numpy" reference point and as an
    independent second implementation of the rules.

Neither reproduces the engine's random numbers (the engine uses counter-based
Philox streams per agent and day, which is what makes it thread-count
invariant and gives common random numbers); they agree with it in
distribution, which ``bench/bench_peers.py`` checks.

Both keep the engine's KPI layout for the lifecycle: ``kpis`` is an int64
array (day + 1, segments, 19) with the columns of ``KPI_COLUMNS``; revenue in
cents. They reproduce the organic lifecycle only: a scenario with campaigns or
with propositions assigned to segments is refused.
"""

from __future__ import annotations

import numpy as np

STATES = ("prospect", "lead", "new", "active", "developed", "at_risk", "lapsed")
PROSPECT, LEAD, NEW, ACTIVE, DEVELOPED, AT_RISK, LAPSED = range(7)
KPI_COLUMNS = (
    *STATES,
    "enquiries", "acquisitions", "lead_conversions", "lead_expiries", "welcomed",
    "developments", "problems", "recoveries", "defections", "returns_to_market",
    "purchases", "revenue_cents",
)
COL = {name: k for k, name in enumerate(KPI_COLUMNS)}
N_STATES = len(STATES)

# Which states are customers (buy, can defect).
IS_CUSTOMER = np.zeros(N_STATES, dtype=bool)
IS_CUSTOMER[[NEW, ACTIVE, DEVELOPED, AT_RISK]] = True


class _Population:
    """Parameters, day-0 population and KPI storage shared by both peers."""

    def __init__(self, scenario: dict, seed: int = 0) -> None:
        if scenario.get("model", {}).get("kind", "lifecycle") != "lifecycle":
            raise ValueError("the numpy peers implement model kind 'lifecycle' only")
        if scenario.get("campaigns"):
            raise ValueError("the numpy peers have no campaigns: pass a scenario without them")
        if any(s.get("proposition", -1) not in (-1, None) for s in scenario["segments"]):
            raise ValueError("the numpy peers have no proposition fit: leave segments without "
                             "a proposition")
        self.rng = np.random.default_rng(seed)
        life = scenario["lifecycle"]
        self.welcome_days = int(life["welcome_days"])
        self.enquiry_window_days = int(life["enquiry_window_days"])
        self.winback_window_days = int(life["winback_window_days"])
        self.horizon = int(scenario["days"])
        segments = scenario["segments"]
        n_seg = self.n_segments = len(segments)
        sizes = np.array([s["market_size"] for s in segments], dtype=np.int64)
        self.n_agents = n = int(sizes.sum())
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.segment = np.repeat(np.arange(n_seg, dtype=np.uint8), sizes)
        self.day = 0

        def per_segment(section: str, key: str) -> np.ndarray:
            return np.array([float(s[section][key]) for s in segments])

        # Daily rates per segment, as engine/src/rates.cpp derives them.
        self.innovation = per_segment("acquisition", "innovation_per_year") / 365.0
        self.imitation = per_segment("acquisition", "imitation_per_year") / 365.0
        self.enquiry_share = per_segment("acquisition", "enquiry_share")
        conversion = per_segment("acquisition", "enquiry_conversion")
        self.p_lead_conversion = -np.expm1(np.log1p(-conversion) / self.enquiry_window_days)
        development = per_segment("development", "per_year") / 365.0
        problems = per_segment("problems", "per_year") / 365.0
        recovery = 1.0 / per_segment("problems", "recovery_days_mean")
        self.spend_shape = per_segment("purchases", "spend_shape")
        self.spend_scale = per_segment("purchases", "spend_mean") / self.spend_shape
        self.developed_spend = per_segment("development", "spend_multiplier")

        # Competing hazards per (segment, state): churn multiplier of the
        # agent's own hazard, the "second" event (development when active,
        # recovery when at risk) and problems.
        self.churn_multiplier = np.zeros((n_seg, N_STATES))
        self.churn_multiplier[:, NEW] = per_segment("churn", "new_multiplier")
        self.churn_multiplier[:, ACTIVE] = 1.0
        self.churn_multiplier[:, DEVELOPED] = per_segment("churn", "developed_multiplier")
        self.churn_multiplier[:, AT_RISK] = per_segment("churn", "at_risk_multiplier")
        self.second_hazard = np.zeros((n_seg, N_STATES))
        self.second_hazard[:, ACTIVE] = development
        self.second_hazard[:, AT_RISK] = recovery
        self.problem_hazard = np.zeros((n_seg, N_STATES))
        self.problem_hazard[:, [NEW, ACTIVE, DEVELOPED]] = problems[:, None]

        # Traits: purchase rate per day ~ Gamma, annual churn propensity ~ Beta.
        rng = self.rng
        self.purchase_rate = np.zeros(n, dtype=np.float32)
        self.churn_hazard = np.zeros(n, dtype=np.float32)
        for k, s in enumerate(segments):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            buy = s["purchases"]
            if buy["per_year"] > 0:
                scale = buy["per_year"] / 365.0 / buy["rate_shape"]
                self.purchase_rate[lo:hi] = rng.gamma(buy["rate_shape"], scale, hi - lo)
            rate, phi = s["churn"]["annual_rate"], s["churn"]["polarization"]
            if phi > 0 and rate > 0:
                concentration = (1.0 - phi) / phi
                theta = rng.beta(rate * concentration, (1.0 - rate) * concentration, hi - lo)
            else:
                theta = np.full(hi - lo, rate)
            theta = np.minimum(theta, 1.0 - 1e-9)
            self.churn_hazard[lo:hi] = -np.log1p(-theta) / 365.0

        # Day-0 states in blocks per segment (lead, new, active, developed,
        # at_risk, lapsed, then prospects) and their timers, as
        # engine/src/population.cpp lays them out.
        self.state = np.full(n, PROSPECT, dtype=np.uint8)
        self.products = np.zeros(n, dtype=np.uint8)
        self.state_since = np.zeros(n, dtype=np.int32)
        self.acquired_day = np.zeros(n, dtype=np.int32)
        self.revenue_cents = np.zeros(n, dtype=np.int64)
        for k, s in enumerate(segments):
            init = s["initial"]
            start = int(self.offsets[k])
            tenure_mean = 365.0 / max(s["churn"]["annual_rate"], 0.05)
            for state, key in ((LEAD, "lead"), (NEW, "new"), (ACTIVE, "active"),
                               (DEVELOPED, "developed"), (AT_RISK, "at_risk"),
                               (LAPSED, "lapsed")):
                count = int(init[key])
                block = slice(start, start + count)
                start += count
                if count == 0:
                    continue
                u = rng.random(count)
                established = np.minimum(rng.exponential(tenure_mean, count),
                                         20 * 365).astype(np.int32)
                acquired_on = -established - self.welcome_days
                self.state[block] = state
                if state == LEAD:
                    self.state_since[block] = -np.floor(u * self.enquiry_window_days)
                elif state == NEW:
                    self.acquired_day[block] = -np.floor(u * self.welcome_days)
                    self.state_since[block] = self.acquired_day[block]
                    self.products[block] = 1
                elif state in (ACTIVE, DEVELOPED):
                    self.acquired_day[block] = acquired_on
                    self.state_since[block] = -established
                    self.products[block] = 2 if state == DEVELOPED else 1
                elif state == AT_RISK:
                    self.acquired_day[block] = acquired_on
                    recovery_span = int(np.ceil(s["problems"]["recovery_days_mean"]))
                    self.state_since[block] = -np.floor(u * recovery_span)
                    self.products[block] = 1
                else:  # LAPSED
                    self.state_since[block] = -np.floor(u * self.winback_window_days)
                    self.acquired_day[block] = (self.state_since[block] - established
                                                - self.welcome_days)

        self.kpis = np.zeros((self.horizon + 1, n_seg, len(KPI_COLUMNS)), dtype=np.int64)
        self.counts = self._count_states()
        self.kpis[0, :, :N_STATES] = self.counts

    def _count_states(self) -> np.ndarray:
        code = self.segment.astype(np.intp) * N_STATES + self.state
        return np.bincount(code, minlength=self.n_segments * N_STATES).reshape(
            self.n_segments, N_STATES)

    def _acquisition_probability(self) -> np.ndarray:
        """Today's per-segment acquisition probability from yesterday's customer share."""
        share = self.counts[:, [NEW, ACTIVE, DEVELOPED, AT_RISK]].sum() / self.n_agents
        return -np.expm1(-(self.innovation + self.imitation * share))

    def _spend_cents(self, seg: np.ndarray, purchases: np.ndarray,
                     developed: np.ndarray) -> np.ndarray:
        """Spend of each buyer's purchases: a sum of Gammas is a Gamma."""
        factor = np.where(developed, self.developed_spend[seg], 1.0)
        spend = self.rng.gamma(purchases * self.spend_shape[seg], self.spend_scale[seg] * factor)
        return np.rint(spend * 100.0).astype(np.int64)

    @property
    def bytes_per_agent(self) -> float:
        """Bytes of per-agent arrays held between days."""
        arrays = [v for v in vars(self).values()
                  if isinstance(v, np.ndarray) and v.shape == (self.n_agents,)]
        return sum(a.nbytes for a in arrays) / self.n_agents

    def advance(self, days: int) -> None:
        """Simulates the next `days` days."""
        if days < 0 or self.day + days > self.horizon:
            raise ValueError(f"cannot advance {days} days from day {self.day} of {self.horizon}")
        for _ in range(days):
            self.day += 1
            self._step(self.day)

    def _step(self, day: int) -> None:
        raise NotImplementedError


def _zero_truncated_poisson(rate: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Purchases given at least one: inverse CDF of the zero-truncated Poisson at `u`."""
    rate = rate.astype(np.float64)
    term = rate * np.exp(-rate) / -np.expm1(-rate)  # P(N = 1 | N >= 1)
    cumulative = term.copy()
    count = np.ones(rate.shape, dtype=np.int64)
    more = np.flatnonzero(u > cumulative)
    while more.size and count[more[0]] < 10_000:  # rounding can leave the sum a hair below u
        count[more] += 1
        term[more] *= rate[more] / count[more]
        cumulative[more] += term[more]
        more = more[u[more] > cumulative[more]]
    return count


class NumpyLifecycle(_Population):
    """Tuned numpy peer: cached per-agent probabilities, events found with flatnonzero."""

    def __init__(self, scenario: dict, seed: int = 0) -> None:
        super().__init__(scenario, seed)
        n = self.n_agents
        # Upper bound of a prospect's daily acquisition probability (share <= 1),
        # nudged up one float32 step so that float32 rounding cannot cut below it.
        bound = -np.expm1(-(self.innovation + self.imitation))
        self.acquisition_bound = np.nextafter(bound.astype(np.float32), np.float32(1))
        self.p_buy = (-np.expm1(-self.purchase_rate.astype(np.float64))).astype(np.float32)
        self.p_event = np.zeros(n, dtype=np.float32)
        everyone = np.arange(n)
        self.p_event[:] = self._event_probability(everyone)
        self.u_event = np.empty(n, dtype=np.float32)
        self.u_buy = np.empty(n, dtype=np.float32)
        self._blocked = np.zeros(n, dtype=bool)
        self._due: dict[int, list[np.ndarray]] = {}
        self._schedule(np.flatnonzero(np.isin(self.state, [LEAD, NEW, LAPSED])))

    def _event_probability(self, idx: np.ndarray) -> np.ndarray:
        """Daily probability of the random event of agents `idx` in their current state."""
        seg = self.segment[idx]
        state = self.state[idx]
        hazard = (self.churn_hazard[idx] * self.churn_multiplier[seg, state]
                  + self.second_hazard[seg, state] + self.problem_hazard[seg, state])
        p = -np.expm1(-hazard)
        p = np.where(state == PROSPECT, self.acquisition_bound[seg], p)
        p = np.where(state == LEAD, self.p_lead_conversion[seg], p)
        return p.astype(np.float32)

    def _deadline(self, idx: np.ndarray) -> np.ndarray:
        """Day on which the timer of agents `idx` runs out (-1: no timer in their state)."""
        state = self.state[idx]
        since = self.state_since[idx]
        deadline = np.full(idx.shape, -1, dtype=np.int64)
        deadline = np.where(state == LAPSED, since + self.winback_window_days, deadline)
        deadline = np.where(state == LEAD, since + self.enquiry_window_days + 1, deadline)
        deadline = np.where(state == NEW, self.acquired_day[idx] + self.welcome_days, deadline)
        return deadline

    def _schedule(self, idx: np.ndarray) -> None:
        """Files agents `idx` under the day their timer runs out."""
        deadline = self._deadline(idx)
        timed = deadline > self.day
        idx, deadline = idx[timed], deadline[timed]
        for due in np.unique(deadline):
            self._due.setdefault(int(due), []).append(idx[deadline == due])

    def _step(self, day: int) -> None:
        rng = self.rng
        state, seg = self.state, self.segment
        n_seg = self.n_segments
        row = np.zeros((n_seg, len(KPI_COLUMNS)), dtype=np.int64)
        p_acquire = self._acquisition_probability()
        rng.random(dtype=np.float32, out=self.u_event)
        rng.random(dtype=np.float32, out=self.u_buy)

        def tally(column: str, idx: np.ndarray) -> None:
            row[:, COL[column]] += np.bincount(seg[idx], minlength=n_seg)

        # Purchases, by start-of-day state.
        buyers = np.flatnonzero(self.u_buy < self.p_buy)
        buyers = buyers[IS_CUSTOMER[state[buyers]]]
        if buyers.size:
            buyer_seg = seg[buyers]
            count = _zero_truncated_poisson(self.purchase_rate[buyers], rng.random(buyers.size))
            cents = self._spend_cents(buyer_seg, count, state[buyers] == DEVELOPED)
            self.revenue_cents[buyers] += cents
            row[:, COL["purchases"]] += np.bincount(buyer_seg, weights=count,
                                                    minlength=n_seg).astype(np.int64)
            row[:, COL["revenue_cents"]] += np.bincount(buyer_seg, weights=cents,
                                                        minlength=n_seg).astype(np.int64)

        # Random events, decided before anyone moves.
        events = np.flatnonzero(self.u_event < self.p_event)

        # Timers due today (entries go stale when the agent left the state).
        due = self._due.pop(day, None)
        if due is not None:
            due = np.unique(np.concatenate(due))
            due = due[self._deadline(due) == day]
            # A timer is the agent's event for the day.
            self._blocked[due] = True
            events = events[~self._blocked[events]]
            self._blocked[due] = False
        else:
            due = np.empty(0, dtype=np.intp)
        event_state = state[events]
        moved = [due, events]
        old_state = [state[due], event_state]

        # Now apply: every agent below moves at most once.
        def move(idx: np.ndarray, to: int, flow: str) -> None:
            state[idx] = to
            self.state_since[idx] = day
            tally(flow, idx)

        def acquire(idx: np.ndarray) -> None:
            self.acquired_day[idx] = day
            self.products[idx] = 1
            move(idx, NEW, "acquisitions")

        due_state = old_state[0]
        move(due[due_state == LAPSED], PROSPECT, "returns_to_market")
        move(due[due_state == LEAD], PROSPECT, "lead_expiries")
        move(due[due_state == NEW], ACTIVE, "welcomed")

        prospects = events[event_state == PROSPECT]
        prospects = prospects[self.u_event[prospects] < p_acquire[seg[prospects]]]
        enquiry = rng.random(prospects.size) < self.enquiry_share[seg[prospects]]
        move(prospects[enquiry], LEAD, "enquiries")
        acquire(prospects[~enquiry])

        leads = events[event_state == LEAD]
        tally("lead_conversions", leads)
        acquire(leads)

        customers = events[IS_CUSTOMER[event_state]]
        if customers.size:
            c_seg, c_state = seg[customers], state[customers]
            churn = self.churn_hazard[customers] * self.churn_multiplier[c_seg, c_state]
            second = self.second_hazard[c_seg, c_state]
            total = churn + second + self.problem_hazard[c_seg, c_state]
            position = rng.random(customers.size) * total
            is_churn = position < churn
            is_second = ~is_churn & (position < churn + second)
            is_problem = ~is_churn & ~is_second

            lost = customers[is_churn]
            self.products[lost] = 0
            move(lost, LAPSED, "defections")
            move(customers[is_problem], AT_RISK, "problems")
            developed = customers[is_second & (c_state == ACTIVE)]
            self.products[developed] = 2
            move(developed, DEVELOPED, "developments")
            recovered = customers[is_second & (c_state == AT_RISK)]
            tally("recoveries", recovered)
            in_welcome = day - self.acquired_day[recovered] < self.welcome_days
            back = np.where(self.products[recovered] >= 2, DEVELOPED,
                            np.where(in_welcome, NEW, ACTIVE))
            state[recovered] = back
            self.state_since[recovered] = day

        # Keep the caches in step with the moves: state counts, event
        # probabilities and timers of the agents that moved.
        moved_idx = np.concatenate(moved)
        code_old = seg[moved_idx].astype(np.intp) * N_STATES + np.concatenate(old_state)
        code_new = seg[moved_idx].astype(np.intp) * N_STATES + state[moved_idx]
        size = n_seg * N_STATES
        self.counts += (np.bincount(code_new, minlength=size)
                        - np.bincount(code_old, minlength=size)).reshape(n_seg, N_STATES)
        changed = moved_idx[state[moved_idx] != np.concatenate(old_state)]
        self.p_event[changed] = self._event_probability(changed)
        self._schedule(changed)

        row[:, :N_STATES] = self.counts
        self.kpis[day] = row


class PlainNumpyLifecycle(_Population):
    """Plain vectorised numpy: every rule as a mask over the whole population, every day."""

    def _step(self, day: int) -> None:
        rng = self.rng
        n, n_seg = self.n_agents, self.n_segments
        seg = self.segment
        state = self.state
        since = self.state_since
        row = np.zeros((n_seg, len(KPI_COLUMNS)), dtype=np.int64)

        def tally(column: str, mask: np.ndarray) -> None:
            row[:, COL[column]] += np.bincount(seg[mask], minlength=n_seg)

        p_acquire = self._acquisition_probability()
        u = rng.random(n)       # the day's event
        pick = rng.random(n)    # which event / which acquisition route

        # Masks from the start-of-day state.
        prospect = state == PROSPECT
        lead = state == LEAD
        lapsed = state == LAPSED
        customer = IS_CUSTOMER[state]
        new = state == NEW
        active = state == ACTIVE
        at_risk = state == AT_RISK

        # Purchases.
        purchases = rng.poisson(np.where(customer, self.purchase_rate, 0.0))
        buyers = purchases > 0
        cents = self._spend_cents(seg[buyers], purchases[buyers], state[buyers] == DEVELOPED)
        self.revenue_cents[buyers] += cents
        # bincount sums weights in float64: exact for integers below 2**53.
        row[:, COL["purchases"]] = np.bincount(seg, weights=purchases, minlength=n_seg)
        row[:, COL["revenue_cents"]] = np.bincount(seg[buyers], weights=cents, minlength=n_seg)

        # Decisions.
        returns = lapsed & (day - since >= self.winback_window_days)
        acquired = prospect & (u < p_acquire[seg])
        enquiry = acquired & (pick < self.enquiry_share[seg])
        direct = acquired & ~enquiry
        expired = lead & (day - since > self.enquiry_window_days)
        converted = lead & ~expired & (u < self.p_lead_conversion[seg])
        welcomed = new & (day - self.acquired_day >= self.welcome_days)
        churn = self.churn_hazard * self.churn_multiplier[seg, state]
        second = self.second_hazard[seg, state]
        total = churn + second + self.problem_hazard[seg, state]
        event = customer & ~welcomed & (u < -np.expm1(-total))
        position = pick * total
        defected = event & (position < churn)
        is_second = event & ~defected & (position < churn + second)
        problem = event & ~defected & ~is_second
        developed = is_second & active
        recovered = is_second & at_risk

        # Moves.
        for mask, to, flow in ((returns, PROSPECT, "returns_to_market"),
                               (expired, PROSPECT, "lead_expiries"),
                               (enquiry, LEAD, "enquiries"),
                               (welcomed, ACTIVE, "welcomed"),
                               (defected, LAPSED, "defections"),
                               (problem, AT_RISK, "problems"),
                               (developed, DEVELOPED, "developments")):
            state[mask] = to
            since[mask] = day
            tally(flow, mask)
        self.products[defected] = 0
        self.products[developed] = 2
        tally("lead_conversions", converted)
        new_customer = direct | converted
        state[new_customer] = NEW
        since[new_customer] = day
        self.acquired_day[new_customer] = day
        self.products[new_customer] = 1
        tally("acquisitions", new_customer)
        in_welcome = day - self.acquired_day[recovered] < self.welcome_days
        state[recovered] = np.where(self.products[recovered] >= 2, DEVELOPED,
                                    np.where(in_welcome, NEW, ACTIVE))
        since[recovered] = day
        tally("recoveries", recovered)

        self.counts = self._count_states()
        row[:, :N_STATES] = self.counts
        self.kpis[day] = row
