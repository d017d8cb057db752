"""docs/scenario-format.md is generated from the schema and must stay in step with it."""

from __future__ import annotations

from conftest import ROOT

from crmsim import schema_doc
from crmsim.schema import load_schema

DOC = ROOT / "docs" / "scenario-format.md"


def test_committed_reference_matches_the_schema():
    assert DOC.read_text(encoding="utf-8") == schema_doc.render(), (
        "docs/scenario-format.md is stale: run "
        "`python -m crmsim.schema_doc docs/scenario-format.md`")


def test_reference_lists_every_field_with_its_unit_and_default():
    text = schema_doc.render()
    segment = load_schema()["$defs"]["segment"]["properties"]
    for block in ("initial", "acquisition", "churn", "purchases", "development", "problems"):
        assert f"## `segments[].{block}`" in text
        for field in segment[block]["properties"]:
            assert f"| `{field}` |" in text, (block, field)
    assert "| `annual_rate` | number | **required** | `[0, 1)` | share per year |" in text
    assert "| `welcome_days` | integer | `90` | `[0, 3650]` | days |" in text
