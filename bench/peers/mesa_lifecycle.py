"""The crmsim lifecycle as an idiomatic Mesa 3 model: the peer most modellers would write.

Each person in the market is a ``mesa.Agent`` with a ``step()`` that plays one
day of the engine's lifecycle rules (see ``engine/src/lifecycle_pass.cpp``)
for that person; ``LifecycleModel.step()`` is one day: it sets today's Bass
acquisition probability from yesterday's customer share, then calls every
agent's step through Mesa's AgentSet, then records the day's KPIs.

Written as a careful Mesa user would, and fairly:

- Randomness comes from the model's generators as Mesa intends: the stdlib
  ``random.Random`` (``model.random``) for the per-agent, per-day draws,
  numpy (``model.rng``) for drawing the traits of the population at once.
- An agent's competing hazards are worked out when it enters a state and kept
  until it leaves it, so a day with nothing happening costs one or two
  uniforms and a comparison.
- Purchases: one uniform decides whether a customer buys today
  (P = 1 - exp(-rate)); only a buyer draws its count (zero-truncated Poisson
  by inversion) and its spend (a sum of Gammas is a Gamma). That is the same
  distribution as a Poisson draw per customer and day, without drawing one.
- Agents step with ``AgentSet.do`` rather than ``shuffle_do``: people do not
  interact within a day (the acquisition probability is fixed before anyone
  steps), so the activation order cannot change the result and shuffling
  would only add time. ``shuffle=True`` uses ``shuffle_do``, the random
  activation most Mesa models use; it gives the same distribution of KPIs
  (about three times slower here: the shuffle itself and agents visited out
  of memory order).

It does not reproduce the engine's random numbers, only its distribution,
which ``bench/bench_peers.py`` checks. ``kpis`` has the layout of the numpy
peers: int64 (day + 1, segments, 19) with the columns of ``KPI_COLUMNS``.
Organic lifecycle only: a scenario with campaigns or propositions is refused.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from numpy_lifecycle import KPI_COLUMNS, STATES

PROSPECT, LEAD, NEW, ACTIVE, DEVELOPED, AT_RISK, LAPSED = range(len(STATES))
CUSTOMER_STATES = frozenset((NEW, ACTIVE, DEVELOPED, AT_RISK))
COL = {name: k for k, name in enumerate(KPI_COLUMNS)}


class SegmentRules:
    """Daily rates of one segment, derived as engine/src/rates.cpp does."""

    def __init__(self, segment: dict, enquiry_window_days: int) -> None:
        acq, churn, buy = segment["acquisition"], segment["churn"], segment["purchases"]
        self.innovation = acq["innovation_per_year"] / 365.0
        self.imitation = acq["imitation_per_year"] / 365.0
        self.enquiry_share = acq["enquiry_share"]
        conversion = acq["enquiry_conversion"]
        self.lead_conversion = -math.expm1(math.log1p(-conversion) / enquiry_window_days)
        self.development = segment["development"]["per_year"] / 365.0
        self.developed_spend = segment["development"]["spend_multiplier"]
        self.problems = segment["problems"]["per_year"] / 365.0
        self.recovery = 1.0 / segment["problems"]["recovery_days_mean"]
        self.churn_multiplier = {NEW: churn["new_multiplier"], ACTIVE: 1.0,
                                 DEVELOPED: churn["developed_multiplier"],
                                 AT_RISK: churn["at_risk_multiplier"]}
        self.spend_shape = buy["spend_shape"]
        self.spend_scale = buy["spend_mean"] / buy["spend_shape"]


class Person(mesa.Agent):
    """One person in the market: prospect, lead, customer or lapsed customer."""

    def __init__(self, model: LifecycleModel, segment: int, state: int, state_since: int,
                 acquired_day: int, products: int, purchase_rate: float,
                 churn_hazard: float) -> None:
        super().__init__(model)
        self.segment = segment
        self.rules: SegmentRules = model.rules[segment]
        self.state = state
        self.state_since = state_since
        self.acquired_day = acquired_day
        self.products = products
        self.purchase_rate = purchase_rate          # purchases per day while a customer
        self.p_buy = -math.expm1(-purchase_rate)    # P(at least one purchase today)
        self.churn_hazard = churn_hazard            # defection hazard per day when active
        self.revenue_cents = 0
        self._set_hazards()

    def _set_hazards(self) -> None:
        """Competing daily hazards of the current state (customers only)."""
        state, rules = self.state, self.rules
        if state not in CUSTOMER_STATES:
            self.p_event = 0.0
            return
        self.h_churn = self.churn_hazard * rules.churn_multiplier[state]
        self.h_second = (rules.development if state == ACTIVE
                         else rules.recovery if state == AT_RISK else 0.0)
        h_problem = 0.0 if state == AT_RISK else rules.problems
        self.h_total = self.h_churn + self.h_second + h_problem
        self.p_event = -math.expm1(-self.h_total)

    def move(self, to: int, flow: str) -> None:
        """Moves to state `to` today and counts the flow."""
        model = self.model
        counts = model.counts[self.segment]
        counts[self.state] -= 1
        counts[to] += 1
        model.flows[self.segment][COL[flow]] += 1
        self.state = to
        self.state_since = model.steps
        self._set_hazards()

    def acquire(self) -> None:
        """Becomes a new customer today."""
        self.acquired_day = self.model.steps
        self.products = 1
        self.move(NEW, "acquisitions")

    def buy(self) -> None:
        """Today's purchases, given that there is at least one."""
        random, rate, rules = self.model.random, self.purchase_rate, self.rules
        # Zero-truncated Poisson by inversion: P(N = 1 | N >= 1) first.
        term = rate * math.exp(-rate) / -math.expm1(-rate)
        cumulative, count, u = term, 1, random.random()
        while u > cumulative and count < 10_000:
            count += 1
            term *= rate / count
            cumulative += term
        factor = rules.developed_spend if self.state == DEVELOPED else 1.0
        cents = round(random.gammavariate(count * rules.spend_shape,
                                          rules.spend_scale * factor) * 100.0)
        self.revenue_cents += cents
        flows = self.model.flows[self.segment]
        flows[COL["purchases"]] += count
        flows[COL["revenue_cents"]] += cents

    def step(self) -> None:
        """One day: purchases by the morning's state, then at most one lifecycle event."""
        model = self.model
        uniform = model.random.random
        state, day = self.state, model.steps
        if state == PROSPECT:
            if uniform() < model.p_acquire[self.segment]:
                if uniform() < self.rules.enquiry_share:
                    self.move(LEAD, "enquiries")
                else:
                    self.acquire()
        elif state == LAPSED:
            if day - self.state_since >= model.winback_window_days:
                self.move(PROSPECT, "returns_to_market")
        elif state == LEAD:
            if day - self.state_since > model.enquiry_window_days:
                self.move(PROSPECT, "lead_expiries")
            elif uniform() < self.rules.lead_conversion:
                model.flows[self.segment][COL["lead_conversions"]] += 1
                self.acquire()
        else:  # a customer
            if uniform() < self.p_buy:
                self.buy()
            if state == NEW and day - self.acquired_day >= model.welcome_days:
                self.move(ACTIVE, "welcomed")  # the end of the welcome is the day's event
            elif uniform() < self.p_event:
                self._customer_event()

    def _customer_event(self) -> None:
        """Which of the competing events happened, in proportion to their hazards."""
        position = self.model.random.random() * self.h_total
        state = self.state
        if position < self.h_churn:
            self.products = 0
            self.move(LAPSED, "defections")
        elif position < self.h_churn + self.h_second:
            if state == ACTIVE:
                self.products = 2
                self.move(DEVELOPED, "developments")
            else:  # at risk: the problem is solved
                in_welcome = self.model.steps - self.acquired_day < self.model.welcome_days
                back = DEVELOPED if self.products >= 2 else NEW if in_welcome else ACTIVE
                self.move(back, "recoveries")
        else:
            self.move(AT_RISK, "problems")


class LifecycleModel(mesa.Model):
    """The market of a scenario (engine dict, as crmsim.Scenario.engine_dict() gives it)."""

    def __init__(self, scenario: dict, seed: int = 0, shuffle: bool = False) -> None:
        super().__init__(seed=seed)
        self.shuffle = shuffle
        if scenario.get("model", {}).get("kind", "lifecycle") != "lifecycle":
            raise ValueError("the Mesa peer implements model kind 'lifecycle' only")
        if scenario.get("campaigns"):
            raise ValueError("the Mesa peer has no campaigns: pass a scenario without them")
        if any(s.get("proposition", -1) not in (-1, None) for s in scenario["segments"]):
            raise ValueError("the Mesa peer has no proposition fit")
        life = scenario["lifecycle"]
        self.welcome_days = int(life["welcome_days"])
        self.enquiry_window_days = int(life["enquiry_window_days"])
        self.winback_window_days = int(life["winback_window_days"])
        self.horizon = int(scenario["days"])
        segments = scenario["segments"]
        self.rules = [SegmentRules(s, self.enquiry_window_days) for s in segments]
        self.n_agents = sum(int(s["market_size"]) for s in segments)
        self.counts = [[0] * len(STATES) for _ in segments]
        for k, s in enumerate(segments):
            self._populate(k, s)
        self.kpis = np.zeros((self.horizon + 1, len(segments), len(KPI_COLUMNS)), dtype=np.int64)
        self.kpis[0, :, :len(STATES)] = self.counts
        self.flows: list[list[int]] = []
        self.p_acquire: list[float] = []

    def _populate(self, k: int, segment: dict) -> None:
        """Creates the people of segment `k` in their day-0 states (as population.cpp does)."""
        rng, n = self.rng, int(segment["market_size"])
        buy, churn = segment["purchases"], segment["churn"]
        purchase_rate = np.zeros(n)
        if buy["per_year"] > 0:
            purchase_rate = rng.gamma(buy["rate_shape"],
                                      buy["per_year"] / 365.0 / buy["rate_shape"], n)
        rate, phi = churn["annual_rate"], churn["polarization"]
        if phi > 0 and rate > 0:
            concentration = (1.0 - phi) / phi
            theta = rng.beta(rate * concentration, (1.0 - rate) * concentration, n)
        else:
            theta = np.full(n, rate)
        # Traits are float32 in the engine.
        purchase_rate = purchase_rate.astype(np.float32).astype(float).tolist()
        churn_hazard = (-np.log1p(-np.minimum(theta, 1.0 - 1e-9)) / 365.0).astype(
            np.float32).astype(float).tolist()

        init = segment["initial"]
        tenure_mean = 365.0 / max(rate, 0.05)
        recovery_span = math.ceil(segment["problems"]["recovery_days_mean"])
        states, since, acquired, products = [], [], [], []
        for state, key in ((LEAD, "lead"), (NEW, "new"), (ACTIVE, "active"),
                           (DEVELOPED, "developed"), (AT_RISK, "at_risk"), (LAPSED, "lapsed")):
            for _ in range(int(init[key])):
                u = self.random.random()
                established = min(int(self.random.expovariate(1.0 / tenure_mean)), 20 * 365)
                acquired_on = -established - self.welcome_days
                if state == LEAD:
                    row = (-math.floor(u * self.enquiry_window_days), 0, 0)
                elif state == NEW:
                    joined = -math.floor(u * self.welcome_days)
                    row = (joined, joined, 1)
                elif state in (ACTIVE, DEVELOPED):
                    row = (-established, acquired_on, 2 if state == DEVELOPED else 1)
                elif state == AT_RISK:
                    row = (-math.floor(u * recovery_span), acquired_on, 1)
                else:  # LAPSED
                    left = -math.floor(u * self.winback_window_days)
                    row = (left, left - established - self.welcome_days, 0)
                states.append(state)
                since.append(row[0])
                acquired.append(row[1])
                products.append(row[2])
        prospects = n - len(states)
        states += [PROSPECT] * prospects
        since += [0] * prospects
        acquired += [0] * prospects
        products += [0] * prospects
        Person.create_agents(self, n, segment=k, state=states, state_since=since,
                             acquired_day=acquired, products=products,
                             purchase_rate=purchase_rate, churn_hazard=churn_hazard)
        for state in states:
            self.counts[k][state] += 1

    def step(self) -> None:
        """One day (Mesa counts it in ``self.steps``)."""
        customers = sum(c[s] for c in self.counts for s in CUSTOMER_STATES)
        share = customers / self.n_agents
        self.p_acquire = [-math.expm1(-(r.innovation + r.imitation * share)) for r in self.rules]
        self.flows = [[0] * len(KPI_COLUMNS) for _ in self.rules]
        if self.shuffle:
            self.agents.shuffle_do("step")
        else:
            self.agents.do("step")
        row = np.array(self.flows, dtype=np.int64)
        row[:, :len(STATES)] = self.counts
        self.kpis[self.steps] = row
        self.running = self.steps < self.horizon

    def advance(self, days: int) -> None:
        """Simulates the next `days` days (the interface of the other peers)."""
        if days < 0 or self.steps + days > self.horizon:
            raise ValueError(f"cannot advance {days} days from day {self.steps} of {self.horizon}")
        for _ in range(days):
            self.step()
