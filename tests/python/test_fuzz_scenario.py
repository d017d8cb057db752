"""Fuzzing the scenario loader: every input either loads or is refused with a
crmsim.ScenarioError that has a message; never another exception, a crash or
a hang. A scenario that loads must also run (with the invariant checks on).

Inputs: the kept corpus (tests/fuzz/corpus/yaml, each file says what it
expects on its first line) and the shipped scenarios, then
- generated documents: random trees of mappings, lists and scalars, with the
  scenario's own field names among the keys;
- mutated text: corpus files with lines dropped, doubled or swapped and
  YAML syntax, anchors and aliases, tags, NaN/inf, huge numbers, bad dates,
  unicode and control characters put in at random places, also as bytes on
  disk (so not always UTF-8);
Each input has 5 s of CPU (a run 30 s) and is stopped as a hang after 60 s.
- mutated scenarios: one field of a valid scenario set to a hostile value,
  removed, or joined by an unknown one; those that load are run.

`make test` runs a short, repeatable session (CRMSIM_FUZZ_EXAMPLES examples
per test, default 100, derandomized). Set CRMSIM_FUZZ_EXAMPLES to run longer;
the examples are then random and new each time. docs/reliability.md
records the long runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import crmsim
from crmsim import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus" / "yaml"
SEEDS = sorted(CORPUS.glob("*.yaml")) + sorted((ROOT / "scenarios").glob("*.yaml"))
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in SEEDS]

EXAMPLES = int(os.environ.get("CRMSIM_FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize="CRMSIM_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
#: CPU seconds one input may take (CPU time: other work on a busy machine does not count).
CPU_LIMIT = 5.0
#: Wall-clock seconds after which an input is stopped as a hang.
WALL_LIMIT = 60.0

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs SIGALRM")


class Hang(Exception):
    """An input took longer than its limit."""


@contextlib.contextmanager
def time_limit(cpu_seconds: float = CPU_LIMIT):
    """Fails an input that takes more than ``cpu_seconds`` of CPU, and stops one that hangs.

    The alarm raises inside whatever runs; should it land where exceptions
    are swallowed (a garbage-collector callback), the CPU time measured at
    the end still fails the input.
    """
    def expire(signum, frame):
        raise Hang(f"still running after {WALL_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, WALL_LIMIT)
    started = time.process_time()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    used = time.process_time() - started
    if used > cpu_seconds:
        raise Hang(f"took {used:.1f} s of CPU, more than {cpu_seconds} s")


def refused_cleanly(error: ScenarioError, source: str) -> None:
    """A refusal has at least one message, each naming the source and saying something."""
    assert error.errors
    for message in error.errors:
        assert isinstance(message, str) and message.startswith(source + ":"), message
        assert len(message) > len(source) + 5, message


def load_text(text: str, source: str = "<fuzz>") -> crmsim.Scenario | None:
    with time_limit():
        try:
            sc = crmsim.Scenario.from_yaml_text(text, source)
        except ScenarioError as e:
            refused_cleanly(e, source)
            event("refused")
            return None
    event("loaded")
    return sc


def load_dict(d: object, source: str = "<fuzz>") -> crmsim.Scenario | None:
    with time_limit():
        try:
            sc = crmsim.Scenario.from_dict(d, source)  # type: ignore[arg-type]
        except ScenarioError as e:
            refused_cleanly(e, source)
            event("refused")
            return None
    event("loaded")
    return sc


def run_small(sc: crmsim.Scenario) -> None:
    """A scenario that loaded runs: a few hundred people for a few weeks, checks on."""
    population = max(len(sc.segments), min(sc.population, 800))
    with time_limit(30):
        res = crmsim.run(sc.scaled(population).with_days(min(sc.days, 25)), seed=1, threads=1)
    assert len(res.kpis) == min(sc.days, 25) + 1


# -- the corpus ---------------------------------------------------------------

def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = re.match(r"# expect: (ok|error|any)\s*(.*)$", first)
    return (m.group(1), m.group(2).strip()) if m else ("ok", "")


@pytest.mark.parametrize("path", SEEDS, ids=[p.name for p in SEEDS])
def test_corpus_and_scenarios_load_or_are_refused_as_they_say(path):
    expect, words = _expectation(path)
    with time_limit():
        try:
            sc = crmsim.Scenario.load(path)
        except ScenarioError as e:
            refused_cleanly(e, str(path))
            assert expect in ("error", "any"), f"{path.name} was refused: {e}"
            assert words in str(e), f"{path.name}: {words!r} not in {e}"
            return
    assert expect in ("ok", "any"), f"{path.name} loaded but should be refused ({words})"
    run_small(sc)


def test_the_corpus_covers_the_hostile_kinds():
    names = {p.stem for p in CORPUS.glob("*.yaml")}
    for kind in ("billion_laughs", "recursive_alias", "deep_nesting_lists", "python_object_tag",
                 "duplicate_keys", "nan_inf", "huge_numbers", "bad_dates", "unicode",
                 "lone_surrogate", "control_characters"):
        assert kind in names


# -- generated documents ------------------------------------------------------

FIELD_NAMES = ["name", "description", "start_date", "days", "currency", "lifecycle", "segments",
               "propositions", "channels", "campaigns", "contact_policy", "value_tiers",
               "market_size", "initial", "acquisition", "churn", "purchases", "annual_rate",
               "per_year", "spend_mean", "budget", "type", "channel", "trigger", "targeting",
               "holdout_share", "capacity_per_day", "base_response", "default", "<<"]
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2027-01-01", "2027-02-30", "0000-00-00", "9999-12-31", "young_urban",
                     "email", "win_back", "prospect", ".nan", "1e400", "", " ", "null"]))
KEYS = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12))
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(KEYS, inner, max_size=6)),
    max_leaves=40)
DOCUMENTS = st.fixed_dictionaries(
    {}, optional={k: TREES for k in ["name", "start_date", "days", "segments", "campaigns",
                                     "channels", "lifecycle"]})


@FUZZ
@given(doc=st.one_of(TREES, DOCUMENTS))
def test_generated_documents_load_or_are_refused(doc):
    sc = load_dict(doc)
    if sc is not None:
        run_small(sc)
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except yaml.YAMLError:
        return  # not every tree can be YAML (e.g. lone surrogates); the dict path saw it
    sc = load_text(text)
    if sc is not None:
        run_small(sc)


# -- mutated text -------------------------------------------------------------

TOKENS = ["&a ", "*a", "*undefined", "<<: *a\n", ": ", "- ", "[", "]", "{", "}", "\t", ",",
          "!!python/object/apply:os.system ['echo crmsim-fuzz-should-never-print-this'] ",
          "!!binary aGVsbG8= ", "!!set ", "!!omap ", "!!timestamp ", "!!float ", "!!int ",
          "!!str ", "!foo ", "? ", "|\n", ">\n", "'", '"', "#", "\n", "---\n", "...\n",
          "%YAML 1.1\n", ".nan", ".inf", "-.inf", "1e400", "-1e400", "99999999999999999999999",
          "-1", "0", "0x7f", "0o17", "1_000", "null", "~", "true", "no", "2027-02-30",
          "2027-01-01T00:00:00Z", "\u202e", "\ud800", "\x00", "\x1b[2J", "日本", "🎬", "\ufeff",
          "&b [*b, *b]", "&c {x: *c}", "[" * 50, "{a: " * 30]
NUMBER = re.compile(r"(?<![\w.])-?\d[\d_]*(\.\d+)?(e[+-]?\d+)?")


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(SEED_TEXTS))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        lines = text.split("\n")
        kind = draw(st.integers(min_value=0, max_value=7))
        if kind == 0 and len(lines) > 1:      # drop a line
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif kind == 1:                       # double a line
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
        elif kind == 2 and len(lines) > 1:    # swap two lines
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:                       # re-indent a line
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = " " * draw(st.integers(0, 8)) + lines[i].lstrip()
        if kind <= 3:
            text = "\n".join(lines)
            continue
        if kind == 4:                         # a token anywhere
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == 5:                       # a number replaced by a hostile one
            numbers = list(NUMBER.finditer(text))
            if numbers:
                m = draw(st.sampled_from(numbers))
                text = text[:m.start()] + draw(st.sampled_from(
                    [".nan", ".inf", "-.inf", "1e400", "-1", "0", "4294967296", "2147483648",
                     "9223372036854775808", "1e-320", "0.0000001", "3.5", "'12'", "[1]",
                     "{x: 1}", "~"])) + text[m.end():]
        elif kind == 6:                       # a value after a colon replaced
            colons = [m.end() for m in re.finditer(r": ", text)]
            if colons:
                at = draw(st.sampled_from(colons))
                end = text.find("\n", at)
                end = len(text) if end < 0 else end
                text = text[:at] + draw(st.sampled_from(TOKENS + ["x", "[]", "{}", "''"])) + \
                    text[end:]
        else:                                 # random characters
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
    return text


@FUZZ
@given(text=mutated())
def test_mutated_text_loads_or_is_refused(text):
    sc = load_text(text)
    if sc is not None:
        run_small(sc)


@FUZZ
@given(text=mutated(), flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                      max_size=4))
def test_mutated_files_load_or_are_refused(text, flips, tmp_path_factory):
    # Through a file: bytes that need not be UTF-8 at all.
    data = bytearray(text.encode("utf-8", errors="surrogatepass"))
    for at, value in flips:
        if data:
            data[at % len(data)] = value
    path = tmp_path_factory.mktemp("fuzz") / "scenario.yaml"
    path.write_bytes(bytes(data))
    with time_limit():
        try:
            crmsim.Scenario.load(path)
        except ScenarioError as e:
            refused_cleanly(e, str(path))


# -- mutated scenarios --------------------------------------------------------

def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


BASE_SCENARIOS = [crmsim.Scenario.load(p).to_dict()
                  for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
FIELD_PATHS = [(k, p) for k, d in enumerate(BASE_SCENARIOS) for p in _paths(d) if p]
HOSTILE = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(KEYS, SCALARS, max_size=3),
    st.sampled_from([0, -1, 1, 2**31, 2**32, 2**63, -(2**63), 0.5, 1.0, 1e-300, 1e300,
                     float("nan"), float("inf"), -float("inf"), 36500, 36501, 255, 256, 65536]))


@FUZZ
@given(where=st.sampled_from(FIELD_PATHS), value=HOSTILE, action=st.sampled_from(
    ["set", "set", "set", "remove", "add"]))
def test_mutated_scenarios_load_or_are_refused_and_those_that_load_run(where, value, action):
    import copy

    k, path = where
    d = copy.deepcopy(BASE_SCENARIOS[k])
    parent = d
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "set":
        parent[last] = value
    elif action == "remove":
        del parent[last]
    elif isinstance(parent, dict):
        parent[f"unknown_{last}"] = value
    else:
        parent.append(value)
    sc = load_dict(d)
    if sc is not None:
        run_small(sc)
