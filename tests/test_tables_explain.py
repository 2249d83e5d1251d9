"""Explanations of decision tables: ``values`` and ``explain`` show the table, the deciding row and
its inputs; a failed rule that reads a table gets a fix that moves an input into a passing row."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from screening.candidates import table_from_records
from screening.derive import with_derived
from screening.fixes import rule_fixes
from screening.pack.load import load_pack
from screening.screen import screen_table

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "packs" / "tables"
AS_OF = dt.date(2026, 3, 1)
RECORDS = [
    {"id": "mid", "sector": "metals", "tenor_years": 12, "credit_rating": "BBB", "irr": 0.06},
    {"id": "long", "sector": "tourism", "tenor_years": 25, "credit_rating": "AA", "irr": 0.05},
    {"id": "short", "sector": "energy", "tenor_years": 5, "credit_rating": None, "irr": 0.05},
]


def screen(folder: Path = FIXTURE) -> dict[str, dict[str, object]]:
    pack = load_pack(folder)
    result = screen_table(pack.resolve(AS_OF), table_from_records(RECORDS, pack.input_fields), engine="reference")
    return {c.id: {o.rule: o for o in c.outcomes} for c in result.candidates}


def test_values_show_the_table_row_cells_and_inputs() -> None:
    got = screen()["mid"]["return-covers-deemed-rate"].values["deemed_spread"]
    line = next(i for i, t in enumerate((FIXTURE / "pack.yaml").read_text().splitlines(), 1) if "[10, 20)" in t)
    assert got == {
        "table": "deemed_spread", "value": 0.015, "hit": "unique",
        "rows": [{"row": 3, "cells": {"tenor": "[10, 20)", "grade": "-"}, "then": 0.015, "at": f"pack.yaml:{line}"}],
        "inputs": {"tenor": 12, "grade": 14}, "why": "table deemed_spread: row 3 matches",
        "text": "0.015 from table deemed_spread, row 3 (tenor [10, 20), grade -); inputs tenor 12, grade 14",
    }
    json.dumps(got)  # JSON-ready


def test_values_of_a_table_from_a_file_name_the_file_row() -> None:
    got = screen()["long"]["tier-one-or-two"].values["sector_tier"]
    assert got["rows"] == [{"row": 4, "cells": {"sector": "-"}, "then": 3, "at": "sector_tiers.csv row 5"}]
    assert got["value"] == 3 and got["inputs"] == {"sector": "tourism"}


def test_a_missing_table_value_says_which_row_could_not_be_decided() -> None:
    got = screen()["short"]["return-covers-deemed-rate"]
    assert got.outcome == "missing"
    assert got.values["deemed_spread"]["text"] == (
        "missing from table deemed_spread: row 1 (tenor < 10, grade >= rating(grade_line)) cannot be decided "
        "for want of an input; inputs tenor 5, grade missing")


def test_a_conflict_under_unique_names_both_rows(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    text = (folder / "pack.yaml").read_text().replace('{tenor: "[10, 20)"', '{tenor: "[10, 25]"')
    (folder / "pack.yaml").write_text(text)
    got = screen(folder)["long"]["return-covers-deemed-rate"]
    assert got.outcome == "missing"
    table = got.values["deemed_spread"]
    assert [r["row"] for r in table["rows"]] == [3, 4]
    assert table["why"] == "table deemed_spread: rows 3 and 4 all match under 'unique', so its value is missing"


def test_a_failed_rule_reading_a_table_gets_fixes_through_the_table() -> None:
    pack = load_pack(FIXTURE)
    resolved = pack.resolve(AS_OF)
    env = {**with_derived(resolved, [dict(RECORDS[1])])[0], **resolved.constants()}
    tier = rule_fixes(pack.rule("tier-one-or-two"), env, resolved)
    assert tier[0].field == "sector" and set(tier[0].options) == {
        "semiconductors", "energy", "critical_minerals", "shipbuilding", "metals", "pharmaceuticals"}
    spread = {f.field: f for f in rule_fixes(pack.rule("return-covers-deemed-rate"), env, resolved)}
    assert spread["irr"].to == 0.06
    # tenor 25 -> below 10 moves the candidate from row 4 (0.02) to row 1 (0.0075): 0.05 >= 0.0475
    assert spread["tenor_years"].to < 10 and spread["tenor_years"].to > 9.99
    assert spread["tenor_years"].text.startswith("lower tenor_years from 25 to")


def test_explain_on_the_command_line_shows_the_deciding_row(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,sector,tenor_years,credit_rating,irr\n" +
                    "".join(f"{r['id']},{r['sector']},{r['tenor_years']},{r['credit_rating'] or ''},{r['irr']}\n"
                            for r in RECORDS))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250"}
    result = subprocess.run([sys.executable, "-m", "screening.cli", "explain", str(path), "--rules", str(FIXTURE),
                             "--id", "mid", "--as-of", "2026-03-01"], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "deemed_spread = 0.015 from table deemed_spread, row 3 (tenor [10, 20), grade -)" in result.stdout
