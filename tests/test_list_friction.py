"""Everyday friction with candidate lists, from the user's side (issue 12 items 2, 4, 5, 6).

Each test runs ``python -m screening.cli`` in a subprocess as a person would and reads what
they read: the terminal, the written reports, rejected.csv.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
HEADER = "id,sector,location_country,amount,currency,irr,credit_rating,taiwan_link"


def screen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)


def test_a_misspelt_column_warns_with_did_you_mean_everywhere(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(HEADER.replace("credit_rating", "Credit_Rating") + "\n"
                                       "a,energy,US,1e9,USD,0.08,A,false\n")
    out = screen("run", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01",
                 "--format", "json,md,html,xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    warning = ("list.csv row 1, column Credit_Rating: column 'Credit_Rating' is not a field of the pack, so no rule "
               "reads it; did you mean 'credit_rating'?")
    assert f"warning: {warning}" in out.stderr
    results = tmp_path / "reports/out"
    assert json.loads((results / "results.json").read_text())["run"]["warnings"] == [warning]
    assert f"> **Warning:** {warning}" in (results / "results.md").read_text()
    assert "Warnings about the list" in (results / "results.html").read_text()
    run_sheet = load_workbook(results / "results.xlsx")["Run"]
    assert ["warning", warning] in [[c.value for c in row] for row in run_sheet.iter_rows()]
    strict = screen("run", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01",
                    "--strict-columns", "--out", "strict", cwd=tmp_path)
    assert strict.returncode == 2 and warning in strict.stderr and not (tmp_path / "strict").exists()


def test_near_misses_and_honest_extras(tmp_path: Path) -> None:
    from screening.columns import likely_field
    fields = ["credit_rating", "location_country", "amount", "irr", "taiwan_link"]
    assert likely_field("Credit Rating", fields) == "credit_rating"
    assert likely_field("location-country", fields) == "location_country"
    assert likely_field("credit_ratng", fields) == "credit_rating"
    assert likely_field("taiwan_links", fields) == "taiwan_link"
    for extra in ("desk_owner", "source", "note", "name2"):
        assert likely_field(extra, fields) is None


def test_skip_bad_rows_screens_the_rest_and_writes_the_refused(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(HEADER + "\n"
                                       "a,energy,US,1e9,USD,0.08,A,false\n"
                                       "b,energy,US,lots,USD,0.08,A,maybe\n"
                                       "c,energy,US,1e9,EUR,0.08,A,false\n"
                                       "a,energy,US,1e9,USD,0.08,A,false\n"
                                       "d,energy,US,1e9,USD,0.08,A,false\n")
    args = ("run", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01")
    refused = screen(*args, cwd=tmp_path)
    assert refused.returncode == 2 and not (tmp_path / "reports").exists()  # the default is unchanged
    out = screen(*args, "--skip-bad-rows", cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    assert "warning: 3 rows refused and not screened (--skip-bad-rows): see rejected.csv" in out.stderr
    assert "refused: list.csv row 3, column amount: 'lots' is not a number" in out.stderr
    results = json.loads((tmp_path / "reports/out/results.json").read_text())
    assert [c["id"] for c in results["candidates"]] == ["a", "d"]
    assert [c["row"] for c in results["candidates"]] == [2, 6]  # spreadsheet rows, as in the messages
    with open(tmp_path / "reports/out/rejected.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["row", "reasons", *HEADER.split(",")]
    assert [r[0] for r in rows[1:]] == ["3", "4", "5"]
    assert rows[1][1] == ("column amount: 'lots' is not a number; column taiwan_link: 'maybe' is not true/false "
                          "(also yes/no, 1/0)")
    assert rows[3][1] == "column id: duplicate id 'a' (first at row 2)" and rows[3][2:4] == ["a", "energy"]


def test_record_lists_count_records_and_say_so(tmp_path: Path) -> None:
    records = [{"id": "a", "sector": "energy", "amount": 1e9, "currency": "USD"},
               {"id": "b", "sector": "energy", "amount": "lots", "currency": "USD"},
               {"id": "c", "sector": "energy", "amount": 2e9, "currency": "USD"}]
    (tmp_path / "list.jsonl").write_text("\n\n".join(json.dumps(r) for r in records) + "\n")  # blank lines between
    (tmp_path / "list.json").write_text(json.dumps(records))
    for name in ("list.jsonl", "list.json"):
        bad = screen("run", name, "--rules", str(ROOT / "rules/framework"), "--as-of", "2026-03-01", cwd=tmp_path)
        assert bad.returncode == 2 and f"{name} record 2, column amount: 'lots' is not a number" in bad.stderr
        out = screen("run", name, "--rules", str(ROOT / "rules/framework"), "--as-of", "2026-03-01",
                     "--skip-bad-rows", "--out", f"out-{name}", cwd=tmp_path)
        assert out.returncode == 1 and "1 record refused" in out.stderr
        assert (tmp_path / f"out-{name}" / "rejected.csv").read_text().splitlines()[0].startswith("record,reasons,")
        assert [c["row"] for c in json.loads((tmp_path / f"out-{name}" / "results.json").read_text())["candidates"]] == [1, 3]


def test_explain_shows_the_remedy(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(HEADER + "\na,energy,US,1e9,USD,0.08,BB+,false\n")
    out = screen("explain", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01", "--id", "a",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "To become eligible: raise credit_rating from 'BB+' to 'BBB-'" in " ".join(out.stdout.split())


def test_values_are_shown_as_people_write_them(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text(HEADER + "\na,aircraft_purchase,US,100000000,USD,0.08,A,false\n")
    out = screen("explain", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01", "--id", "a",
                 cwd=tmp_path)
    text = " ".join(out.stdout.split())
    assert out.returncode == 0, out.stderr
    for leak in ("True", "False", "None", "['", "1e+08", "100000000.0"):
        assert leak not in text, leak
    assert "taiwan_link = false" in text and "tokyo_consent = missing" in text
    run = screen("run", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01",
                 "--format", "md,xlsx", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    md = (tmp_path / "reports/out/results.md").read_text()
    assert "| excluded_sectors | aircraft_purchase, agricultural_purchase |" in md
    assert "| commitment_ceiling_usd | 550,000,000,000 |" in md
    wb = load_workbook(tmp_path / "reports/out/results.xlsx")
    params = {r[0].value: r[1].value for r in wb["Parameters"].iter_rows(min_row=2)}
    assert params["min_irr"] == 0.05 and isinstance(params["commitment_ceiling_usd"], (int, float))
    assert params["excluded_sectors"] == "aircraft_purchase, agricultural_purchase"
    outcomes = [[c.value for c in r] for r in wb["Outcomes"].iter_rows(min_row=2)]
    assert any("amount_usd = 100,000,000" in (r[9] or "") for r in outcomes)


def test_problems_come_sorted_by_row_and_each_cell_once() -> None:
    from screening.errors import InputError, Problem
    err = InputError([Problem("b", file="x.csv", row=5, column="irr"), Problem("a", file="x.csv", row=2, column="id"),
                      Problem("again", file="x.csv", row=5, column="irr")])
    assert err.render().splitlines() == ["x.csv row 2, column id: a", "x.csv row 5, column irr: b"]
