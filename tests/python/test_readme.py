"""The README's examples are true: the Python API snippet runs as written, and the
figures the README shows are what crmsim prints. (The walk-through of `make demo`
is checked in test_setup_commands.py, which runs the demo.)"""

from __future__ import annotations

import datetime
import subprocess
import sys

from conftest import ROOT, readme_blocks

import crmsim


def _console_commands(block: str) -> dict[str, list[str]]:
    """A console block as {command: the output lines shown, without '...' elisions}."""
    commands: dict[str, list[str]] = {}
    shown: list[str] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            shown = commands.setdefault(line[2:], [])
        elif line.strip() and line.strip() != "...":
            shown.append(line)
    return commands


def test_scenario_file_example_is_a_valid_scenario():
    sc = crmsim.Scenario.from_yaml_text(readme_blocks("Scenario files", "yaml")[0])
    assert (sc.name, sc.segments, sc.population, sc.days) == ("Small market", ["young"], 80_000,
                                                              365)


def test_python_api_snippet_runs_as_written_and_prints_the_cli_figures(tmp_path, monkeypatch,
                                                                       capsys):
    code = readme_blocks("Python API", "python")[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    names: dict = {}
    exec(compile(code, "README.md (Python API)", "exec"), names)

    sc, small, res = names["sc"], names["small"], names["res"]
    # The values the snippet's comment promises.
    assert sc.segments[0] == "young_urban" and len(sc.segments) == 3
    assert (sc.population, sc.days) == (200_000, 730)
    assert isinstance(sc.start_date, datetime.date)
    assert (small.population, small.days) == (20_000, 90)
    assert (sc.population, sc.days) == (200_000, 730)  # "sc is unchanged"
    assert res.segment_kpis.index.names == ["segment", "day"]
    assert all(not column.flags.writeable for column in res.agents.values())
    assert (tmp_path / "kpis.csv").is_file() and (tmp_path / "kpis.parquet").is_file()

    # The snippet prints the summary of the full baseline with seed 1: the
    # figures the CLI section shows for `crmsim run ... --seed 1` (the CLI
    # prints the API's summary; test_cli.py checks that).
    printed = capsys.readouterr().out.splitlines()
    commands = _console_commands(readme_blocks("CLI", "console")[0])
    command = "crmsim run scenarios/baseline.yaml --seed 1 --out kpis.parquet"
    assert "seed=1" in code and command in commands
    for line in commands[command]:
        assert line in printed, f"README.md shows {line!r}; crmsim prints:\n" + "\n".join(printed)


def test_cli_validate_example_prints_what_the_readme_shows():
    commands = _console_commands(readme_blocks("CLI", "console")[0])
    command = "crmsim validate scenarios/baseline.yaml"
    done = subprocess.run([sys.executable, "-m", "crmsim", *command.split()[1:]], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == commands[command]
