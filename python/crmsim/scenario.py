"""Scenario: a validated, immutable description of the market to simulate.

Scenarios come from YAML files (``Scenario.load``), YAML text or plain dicts.
All three are checked against the JSON Schema the package ships plus the
checks a schema cannot state; a bad scenario raises ScenarioError listing
every problem and never reaches the engine.
"""

from __future__ import annotations

import copy
import datetime
import numbers
import operator
import os
from collections.abc import Mapping
from typing import Any

from . import marketing, models, validation
from ._messages import show
from ._yaml import parse_yaml_text, read_yaml_file
from .errors import ScenarioError
from .scaling import scale_marketing, scale_segments
from .schema import fill_defaults, whole_numbers

__all__ = ["Scenario"]

_TOP_LEVEL_HINT = "a mapping of scenario fields (name, start_date, days, segments, ...)"


class Scenario:
    """A validated scenario with every default filled in.

    Build one with :meth:`load`, :meth:`from_yaml_text` or :meth:`from_dict`;
    derive variants with :meth:`with_days` and :meth:`scaled`, which return
    new scenarios and leave this one unchanged.
    """

    __slots__ = ("_data", "_source")
    _data: dict
    _source: str

    def __init__(self, *args: Any, **kwargs: Any):
        raise TypeError("use Scenario.load(path), Scenario.from_yaml_text(text) "
                        "or Scenario.from_dict(d) to make a Scenario")

    # -- construction -------------------------------------------------------

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Scenario:
        """Reads and validates a scenario YAML file; errors name the file and field path."""
        return cls._from_raw(read_yaml_file(path), os.fspath(path))

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<text>") -> Scenario:
        """Parses and validates scenario YAML given as a string; ``source`` names it in errors."""
        return cls._from_raw(parse_yaml_text(text, source), source)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source: str = "<dict>") -> Scenario:
        """Validates a scenario given as nested dicts and lists (as the YAML file would hold).

        ``start_date`` may be a ``datetime.date`` or an ISO string. The dict is
        copied: later changes to it do not change the Scenario.
        """
        source = str(source)
        if not isinstance(d, Mapping):
            raise ScenarioError(f"{source}: the top level must be {_TOP_LEVEL_HINT}, "
                                f"got {show(d)}")
        data = _plain(d)
        found = validation.problems(data)
        if found:
            raise ScenarioError([f"{source}: {p}" for p in found])
        whole_numbers(data)
        fill_defaults(data)
        scenario = object.__new__(cls)
        object.__setattr__(scenario, "_data", data)
        object.__setattr__(scenario, "_source", source)
        return scenario

    @classmethod
    def _from_raw(cls, raw: Any, source: str) -> Scenario:
        if raw is None:
            raise ScenarioError(f"{source}: the file is empty; a scenario needs at least "
                                "name, start_date, days and segments")
        return cls.from_dict(raw, source)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Scenario is immutable; use with_days(), scaled() or "
                             "from_dict(scenario.to_dict() changed) for a variant")

    # -- what it says -------------------------------------------------------

    @property
    def name(self) -> str:
        """Human-readable scenario name."""
        return self._data["name"]

    @property
    def description(self) -> str:
        """Free-text description ('' when the file has none)."""
        return self._data.get("description", "")

    @property
    def days(self) -> int:
        """Horizon in days."""
        return self._data["days"]

    @property
    def start_date(self) -> datetime.date:
        """Calendar date of day 0."""
        return datetime.date.fromisoformat(self._data["start_date"])

    @property
    def currency(self) -> str:
        """ISO 4217 code of all money amounts (e.g. 'EUR')."""
        return self._data["currency"]

    @property
    def segments(self) -> list[str]:
        """Segment names, in file order."""
        return [seg["name"] for seg in self._data["segments"]]

    @property
    def campaigns(self) -> list[str]:
        """Campaign names, in file order."""
        return [c["name"] for c in self._data["campaigns"]]

    @property
    def channels(self) -> list[str]:
        """Channel names, in file order."""
        return [c["name"] for c in self._data["channels"]]

    @property
    def propositions(self) -> list[str]:
        """Proposition names, in file order."""
        return [p["name"] for p in self._data["propositions"]]

    @property
    def value_tiers(self) -> list[str]:
        """Value tier names, lowest first; ``["all"]`` when the scenario defines none."""
        return marketing.tier_names(self._data)

    @property
    def population(self) -> int:
        """Total addressable market: people (agents) over all segments."""
        return sum(seg["market_size"] for seg in self._data["segments"])

    @property
    def source(self) -> str:
        """Where the scenario came from: the file path as given, or '<dict>' / '<text>'."""
        return self._source

    def to_dict(self) -> dict:
        """A deep copy of the scenario with all defaults filled in.

        It is plain JSON data (start_date as an ISO string) and valid against
        the schema, so ``Scenario.from_dict(sc.to_dict())`` gives an equal scenario.
        """
        return copy.deepcopy(self._data)

    def to_yaml(self) -> str:
        """The scenario as YAML text with every default filled in.

        ``Scenario.from_yaml_text(sc.to_yaml())`` gives an equal scenario:
        results files and checkpoints store this text so that a run can be
        reloaded or resumed without the original file.
        """
        import yaml

        return yaml.safe_dump(self._data, sort_keys=False, allow_unicode=True,
                              default_flow_style=False)

    # -- variants -----------------------------------------------------------

    def with_days(self, days: int) -> Scenario:
        """The same scenario with a horizon of ``days`` days (1 to 36500)."""
        d = self.to_dict()
        d["days"] = days
        return Scenario.from_dict(d, self._source)

    def scaled(self, population: int) -> Scenario:
        """The same scenario with the total market rescaled to exactly ``population`` people.

        Segment market sizes keep their proportions (largest-remainder
        rounding; every segment keeps at least one person) and each segment's
        initial customers keep their share of its market. Amounts that
        serve the whole market scale with it, so that a small run behaves like
        the full one: channel capacity_per_day, campaign budget and
        max_contacts_per_day (rounded; a positive capacity or cap stays at
        least 1) and channel fixed_cost_per_wave. Use it to run a planning
        scenario quickly at a smaller size.
        """
        if isinstance(population, bool) or not isinstance(population, numbers.Integral):
            raise TypeError(f"population must be a whole number of people, got {population!r}")
        population = operator.index(population)
        lowest = len(self._data["segments"])
        if not lowest <= population <= validation.MAX_TOTAL_MARKET:
            raise ValueError(
                f"population must be between {lowest} (one person per segment) and "
                f"{validation.MAX_TOTAL_MARKET}, got {population}")
        d = self.to_dict()
        old = self.population
        scale_segments(d["segments"], population)
        scale_marketing(d, population / old)
        return Scenario.from_dict(d, self._source)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A new validated scenario with fields changed by dotted path.

        ``{"segments.young_urban.churn.annual_rate": 0.3, "days": 365}``: named
        list items (segments, campaigns, ...) are addressed by name. A wrong
        path or value is a ScenarioError naming the path; see crmsim.overrides.
        """
        from .overrides import apply_overrides

        return apply_overrides(self, overrides)

    # -- for the engine -----------------------------------------------------

    def engine_dict(self) -> dict:
        """The dict ``crmsim._core.Simulation`` takes: every engine field, typed for C++.

        Names (of channels, propositions, segments, value tiers) become
        indices and ``null`` limits become the engine's -1. Top-level fields
        the engine does not use (start_date, currency, description) are left out.
        """
        d = self._data
        life = d["lifecycle"]
        kind = models.model_kind(d)
        return {
            "name": d["name"],
            "days": int(d["days"]),
            "model": models.engine_model(d),
            "lifecycle": {k: int(life[k]) for k in
                          ("welcome_days", "enquiry_window_days", "winback_window_days")},
            "segments": [{**_engine_segment(seg, kind), **marketing.engine_segment_fields(seg, d)}
                         for seg in d["segments"]],
            **marketing.engine_fields(d),
        }

    @property
    def model(self) -> str:
        """The model that moves the customers: 'lifecycle', 'btyd' or 'sbg' (see crmsim.models)."""
        return models.model_kind(self._data)

    def engine_error(self, error: Exception) -> ScenarioError:
        """Wraps a ScenarioError raised by the engine so that it names this scenario's source."""
        return ScenarioError(f"{self._source}: {error}")

    # -- Python protocol ----------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # equal by content, and content is a dict

    def __repr__(self) -> str:
        return (f"<Scenario {self.name!r}: {len(self._data['segments'])} segments, "
                f"{self.population:,} people, {self.days} days, from {self._source}>")

    def __reduce__(self):
        # Pickle (e.g. to Dask workers) through validation again: never a half-made object.
        return (Scenario.from_dict, (self._data, self._source))


def _engine_segment(seg: dict, kind: str) -> dict:
    floats = lambda block: {k: float(v) for k, v in block.items()}  # noqa: E731
    return {
        "name": seg["name"],
        "market_size": int(seg["market_size"]),
        "initial": {k: int(seg["initial"][k]) for k in validation.STATE_FIELDS},
        # btyd and sbg segments have no lifecycle blocks: neutral ones come with the model fields.
        **{block: floats(seg[block]) for block in models.LIFECYCLE_BLOCKS if block in seg},
        "development": floats(seg["development"]),
        "problems": floats(seg["problems"]),
        **models.engine_segment_fields(seg, kind),
    }


def _plain(value: Any) -> Any:
    """A deep copy as plain JSON-like data: dicts, lists, str, int, float, bool, None.

    Dates become ISO strings (the schema's form); numpy scalars become int or
    float. Anything else is kept as is, for the validator to name.
    """
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()  # a time of day is not a date: the schema says so
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value
