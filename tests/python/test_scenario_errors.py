"""Bad scenarios: each gets exact messages naming the file, the field path, what was
expected and what was found; every problem is reported at once."""

from __future__ import annotations

import pickle

import pytest

import crmsim
from crmsim import ScenarioError

# Line numbers matter: the YAML syntax case below points into this text.
GOOD = """\
name: Test market
start_date: 2027-01-01
days: 30
segments:
  - name: young
    market_size: 1000
    initial: {new: 20, active: 200}
    acquisition: {innovation_per_year: 0.02, imitation_per_year: 0.3}
    churn: {annual_rate: 0.3}
    purchases: {per_year: 12, spend_mean: 15.0}
  - name: old
    market_size: 500
    acquisition: {innovation_per_year: 0.01, imitation_per_year: 0.2}
    churn: {annual_rate: 0.2}
    purchases: {per_year: 12, spend_mean: 10.0}
"""

F = "baseline.yaml"
KNOWN_TOP = ("name, description, start_date, days, currency, lifecycle, model, segments, "
             "propositions, fit_effects, analytics, contact_policy, value_tiers, channels, "
             "campaigns")

# (id, [(old, new), ...] replacements applied to GOOD, expected messages in order)
CASES = [
    ("out_of_range", [("annual_rate: 0.2", "annual_rate: 1.7")],
     [f"{F}: segments[1].churn.annual_rate: must be between 0 and 1, got 1.7"]),
    ("excluded_bound", [("annual_rate: 0.2", "annual_rate: 1")],
     [f"{F}: segments[1].churn.annual_rate: must be less than 1, got 1"]),
    ("below_minimum", [("initial: {new: 20, active: 200}", "initial: {new: 20, active: -5}")],
     [f"{F}: segments[0].initial.active: must be at least 0, got -5"]),
    ("above_maximum", [("days: 30", "days: 40000")],
     [f"{F}: days: must be between 1 and 36500, got 40000"]),
    ("wrong_type_text", [("market_size: 1000", "market_size: lots")],
     [f"{F}: segments[0].market_size: must be a whole number, got 'lots'"]),
    ("wrong_type_float_for_int", [("days: 30", "days: 30.5")],
     [f"{F}: days: must be a whole number, got 30.5"]),
    ("wrong_type_bool", [("annual_rate: 0.3", "annual_rate: yes")],
     [f"{F}: segments[0].churn.annual_rate: must be a number, got true"]),
    ("wrong_type_empty_block", [("segments:\n", "lifecycle:\nsegments:\n")],
     [f"{F}: lifecycle: must be a mapping of fields, got an empty value"]),
    ("yaml_boolean_word_as_name", [("name: old", "name: no")],
     [f"{F}: segments[1].name: must be text, got false (YAML reads yes, no, on, off, true and "
      "false as true/false: quote the text)"]),
    ("missing_required", [("    market_size: 1000\n", "")],
     [f"{F}: segments[0]: missing required field 'market_size'"]),
    ("missing_required_top", [("days: 30\n", "")],
     [f"{F}: missing required field 'days'"]),
    ("unknown_key_with_suggestion", [("churn: {annual_rate: 0.3}",
                                      "churn: {annual_rate: 0.3, polarisation: 0.2}")],
     [f"{F}: segments[0].churn: unknown field 'polarisation' (did you mean 'polarization'?)"]),
    ("misspelt_required_key", [("churn: {annual_rate: 0.3}", "churn: {anual_rate: 0.3}")],
     [f"{F}: segments[0].churn: missing required field 'annual_rate'",
      f"{F}: segments[0].churn: unknown field 'anual_rate' (did you mean 'annual_rate'?)"]),
    ("unknown_top_level_key", [("days: 30\n", "days: 30\nseed: 4\n")],
     [f"{F}: unknown field 'seed' (known fields: {KNOWN_TOP})"]),
    ("bad_segment_name", [("name: young", "name: young adults")],
     [f"{F}: segments[0].name: must be a name of letters, digits and underscores that does "
      "not start with a digit, got 'young adults'"]),
    ("segment_name_starts_with_digit", [("name: old", "name: 65plus")],
     [f"{F}: segments[1].name: must be a name of letters, digits and underscores that does "
      "not start with a digit, got '65plus'"]),
    ("duplicate_segment_names", [("name: old", "name: young")],
     [f"{F}: segments[1].name: duplicate segment name 'young', already used by segments[0]"]),
    ("initial_above_market", [("initial: {new: 20, active: 200}",
                               "initial: {new: 20, active: 990}")],
     [f"{F}: segments[0].initial: must add up to at most market_size (1000), got 1010"]),
    ("empty_segments", [(GOOD[GOOD.index("segments:"):], "segments: []\n")],
     [f"{F}: segments: must list at least 1 item, got an empty list"]),
    ("bad_start_date_calendar", [("start_date: 2027-01-01", "start_date: 2027-02-30")],
     [f"{F}: start_date: must be a calendar date (YYYY-MM-DD), got '2027-02-30'"]),
    # Found by fuzzing: a run from year 1 ran, then its tables could not be dated.
    ("start_date_too_early", [("start_date: 2027-01-01", "start_date: 0001-01-01")],
     [f"{F}: start_date: must be between 1700-01-01 and 2100-12-31, got '0001-01-01'"]),
    ("start_date_too_late", [("start_date: 2027-01-01", "start_date: 9999-12-31")],
     [f"{F}: start_date: must be between 1700-01-01 and 2100-12-31, got '9999-12-31'"]),
    ("bad_start_date_text", [("start_date: 2027-01-01", "start_date: next monday")],
     [f"{F}: start_date: must be a date in the form YYYY-MM-DD, got 'next monday'"]),
    ("bad_currency", [("days: 30\n", "days: 30\ncurrency: euro\n")],
     [f"{F}: currency: must be a 3-letter upper-case currency code such as 'EUR', "
      "got 'euro'"]),
    ("not_a_number_nan", [("spend_mean: 10.0", "spend_mean: .nan")],
     [f"{F}: segments[1].purchases.spend_mean: must be a finite number, got nan"]),
    ("infinite_without_maximum", [("spend_mean: 10.0", "spend_mean: 10.0, rate_shape: .inf")],
     [f"{F}: segments[1].purchases.rate_shape: must be a finite number, got inf"]),
    # Found by fuzzing: a subnormal shape made every purchase rate (or spend) NaN.
    ("tiny_rate_shape", [("spend_mean: 10.0", "spend_mean: 10.0, rate_shape: 2.2250738585e-313")],
     [f"{F}: segments[1].purchases.rate_shape: must be at least 0.001, got 2.2250738585e-313"]),
    ("tiny_spend_shape", [("spend_mean: 10.0", "spend_mean: 10.0, spend_shape: 0.0009")],
     [f"{F}: segments[1].purchases.spend_shape: must be at least 0.001, got 0.0009"]),
    ("infinite_with_maximum", [("spend_mean: 10.0", "spend_mean: .inf")],
     [f"{F}: segments[1].purchases.spend_mean: must be between 0 and 1000000, got inf"]),
    ("exclusive_minimum", [("purchases: {per_year: 12, spend_mean: 10.0}",
                            "purchases: {per_year: 12, spend_mean: 10.0}\n"
                            "    problems: {recovery_days_mean: 0}")],
     [f"{F}: segments[1].problems.recovery_days_mean: must be greater than 0, got 0"]),
    ("several_errors_sorted_by_path",
     [("days: 30", "days: 0"), ("annual_rate: 0.2", "annual_rate: -0.1"),
      ("imitation_per_year: 0.3", "imitation_per_year: 60"), ("name: old", "name: young"),
      ("churn: {annual_rate: 0.3}", "churn: {annual_rate: 0.3, heterogeneity: 1.5}")],
     [f"{F}: days: must be between 1 and 36500, got 0",
      f"{F}: segments[0].acquisition.imitation_per_year: must be between 0 and 50, got 60",
      f"{F}: segments[0].churn: unknown field 'heterogeneity' (known fields: annual_rate, "
      "polarization, new_multiplier, developed_multiplier, at_risk_multiplier)",
      f"{F}: segments[1].churn.annual_rate: must be between 0 and 1, got -0.1",
      f"{F}: segments[1].name: duplicate segment name 'young', already used by segments[0]"]),
    ("yaml_syntax_error_with_line", [("churn: {annual_rate: 0.2}", "churn: {annual_rate: 0.2")],
     [f"{F}: line 15, column 14: invalid YAML: expected ',' or '}}', but got ':' (while "
      "parsing a flow mapping that starts on line 14)"]),
    ("yaml_duplicate_key", [("days: 30\n", "days: 30\ndays: 60\n")],
     [f"{F}: line 4, column 1: invalid YAML: duplicate key 'days' (first written on line 3)"]),
    ("top_level_not_a_mapping", [(GOOD, "- name: Test market\n- days: 30\n")],
     [f"{F}: the top level must be a mapping of scenario fields (name, start_date, days, "
      "segments, ...), got a list"]),
    ("empty_file", [(GOOD, "# nothing here yet\n")],
     [f"{F}: the file is empty; a scenario needs at least name, start_date, days and segments"]),
]


def _edit(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"the test's base text changed: {old!r}"
        text = text.replace(old, new)
    return text


def test_the_base_text_is_valid(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / F).write_text(GOOD)
    assert crmsim.Scenario.load(F).segments == ["young", "old"]


@pytest.mark.parametrize("edits, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_scenario_file_gets_exact_messages(tmp_path, monkeypatch, edits, expected):
    monkeypatch.chdir(tmp_path)
    (tmp_path / F).write_text(_edit(GOOD, edits))
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.load(F)
    assert info.value.errors == expected
    assert str(info.value) == "\n".join(expected)


def test_at_least_twelve_distinct_bad_scenarios():
    assert len({c[0] for c in CASES}) == len(CASES) >= 12


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.load("nope.yaml")
    assert info.value.errors == ["nope.yaml: no such file"]


def test_folder_instead_of_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").mkdir()
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.load("scenarios")
    assert info.value.errors == ["scenarios: is a folder, not a scenario file"]


def test_file_that_is_not_utf8(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / F).write_bytes(GOOD.encode().replace(b"Test", b"T\xe9st"))
    with pytest.raises(ScenarioError, match=r"^baseline.yaml: not UTF-8 text \(byte 7: "):
        crmsim.Scenario.load(F)


def test_from_dict_errors_name_the_given_source(small_dict):
    small_dict["segments"][0]["churn"]["annual_rate"] = 1.7
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict, source="what-if #3")
    assert info.value.errors == [
        "what-if #3: segments[0].churn.annual_rate: must be between 0 and 1, got 1.7"]
    with pytest.raises(ScenarioError, match=r"^<dict>: segments\[0\]\.churn"):
        crmsim.Scenario.from_dict(small_dict)


def test_from_dict_rejects_a_non_mapping():
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict([1, 2])  # type: ignore[arg-type]
    assert info.value.errors == [
        "<dict>: the top level must be a mapping of scenario fields (name, start_date, days, "
        "segments, ...), got a list"]


def test_yaml_text_errors_name_text_source():
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_yaml_text("name: [unclosed\n")
    assert info.value.errors[0].startswith("<text>: line 2, column 1: invalid YAML: ")


def test_datetime_is_not_a_date(small_dict):
    import datetime

    small_dict["start_date"] = datetime.datetime(2027, 1, 1, 9, 30)
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict)
    assert info.value.errors == [
        "<dict>: start_date: must be a date in the form YYYY-MM-DD, got '2027-01-01T09:30:00'"]


def test_total_market_limit(small_dict):
    small_dict["segments"][0]["market_size"] = 4_000_000_000
    small_dict["segments"][1]["market_size"] = 400_000_000
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict)
    assert info.value.errors == [
        "<dict>: segments: market sizes must add up to at most 4294967295 people, "
        "got 4400000000"]


def test_too_many_segments(small_dict):
    template = small_dict["segments"][1]
    small_dict["segments"] = [dict(template, name=f"s{i}") for i in range(256)]
    with pytest.raises(ScenarioError) as info:
        crmsim.Scenario.from_dict(small_dict)
    assert info.value.errors == ["<dict>: segments: must list at most 255 items, got 256"]


def test_scenario_error_is_a_value_error_and_a_crmsim_error():
    assert issubclass(ScenarioError, ValueError)
    assert issubclass(ScenarioError, crmsim.CrmsimError)
    assert issubclass(crmsim.CrmsimError, Exception)


def test_scenario_error_pickles_with_its_messages():
    error = ScenarioError(["a.yaml: days: x", "a.yaml: name: y"])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.errors == error.errors and str(copy) == str(error)


@pytest.mark.parametrize("window", [0, 0.0])
def test_a_count_written_as_a_float_gets_the_checks_across_fields(window):
    # Found by fuzzing: winback_window_days 0.0 skipped the trigger check
    # (it compared ints only), loaded, became 0, and was refused when the
    # scenario was rescaled for a run.
    from conftest import BASELINE

    d = crmsim.Scenario.load(BASELINE).to_dict()
    d["lifecycle"]["winback_window_days"] = window
    with pytest.raises(ScenarioError, match=r"campaigns\[2\]\.trigger\.lapsed_for_days: must be "
                                            r"at most lifecycle\.winback_window_days \(0\)"):
        crmsim.Scenario.from_dict(d)
