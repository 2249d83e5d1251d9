"""`screen compare`: the differences between two positions, and the causes behind each."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening.compare import compare_runs
from screening.pack.load import load_pack
from screening.render.compare_out import compare_csv, compare_html, compare_markdown
from screening.screen import screen_file

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)
MINI = ROOT / "tests/fixtures/packs/mini"
MINI_LIST = ROOT / "tests/fixtures/candidates/mini.csv"
#: The first wave without cash flows: Tokyo's return floor reads Japan's own flows (issue 9), so
#: the remedy asks for them (a file, or the profile fields) and for the missing rating.
SUPPLY = "supply cash flows (--cashflows FILE, or capex, annual_cash, life_years, start_on), credit_rating"


def run_both(a: Path, b: Path, candidates: Path):
    pa, pb = load_pack(a), load_pack(b)
    ra = screen_file(candidates, pa, AS_OF, engine="reference")
    rb = screen_file(candidates, pb, AS_OF, engine="reference")
    return compare_runs(ra, rb, pa.resolve(AS_OF), pb.resolve(AS_OF))


def variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    """A copy of the mini pack with text replacements (each must apply)."""
    folder = tmp_path / name
    shutil.copytree(MINI, folder)
    text = (folder / "pack.yaml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (folder / "pack.yaml").write_text(text.replace("pack: mini", f"pack: {name}"))
    return folder


@pytest.fixture(scope="module")
def first_wave():
    return run_both(ROOT / "rules/japan", ROOT / "rules/us", ROOT / "candidates/first_wave.csv")


def test_first_wave_japan_vs_us(first_wave) -> None:
    c = first_wave
    assert [d.id for d in c.differences] == ["ohio-gas-9gw", "texas-gulflink-crude", "georgia-synthetic-diamond"]
    ohio = c.differences[0]
    assert (ohio.verdict_a, ohio.verdict_b) == ("incomplete", "eligible")
    causes = {r.rule: r.cause for r in ohio.rules}
    assert causes == {"return-floor": "only_in_a", "investment-grade": "only_in_a", "economic-security": "only_in_a",
                      "japan-priority-sector": "only_in_a",  # energy is a tier-2 sector for Tokyo
                      "project-return": "only_in_a"}  # the project's IRR is Tokyo's advisory (issue 9)
    floor = next(r for r in ohio.rules if r.rule == "return-floor")
    assert floor.condition_a == "japan_irr >= deemed_rate" and floor.condition_b is None
    # no cash flows given: Japan's return is missing (never a silent fail) and the message says what to supply
    assert floor.values_a["japan_irr"] is None and "No cash flows" in floor.message_a
    assert "--cashflows" in floor.message_a
    assert floor.source.startswith("seeds/framework.yaml#japan-no-losses")
    security = next(r for r in ohio.rules if r.rule == "economic-security")
    assert security.fix_a == "set supply_chain_benefit_japan from false to true"
    assert ohio.remedy_a.possible and ohio.remedy_a.text == SUPPLY and ohio.remedy_b is None


def test_pack_differences_name_what_bites(first_wave) -> None:
    by = {(p.kind, p.name): p for p in first_wave.pack_differences}
    floor = by[("rule_only_in_a", "return-floor")]
    assert floor.a == "japan_irr >= deemed_rate" and floor.b is None
    assert floor.candidates == ["ohio-gas-9gw", "texas-gulflink-crude", "georgia-synthetic-diamond"]
    assert by[("rule_only_in_b", "us-strategic-priority")].candidates == []
    assert by[("parameter", "min_irr")].a == "0.05" and by[("parameter", "min_irr")].b is None
    kinds = [bool(p.candidates) for p in first_wave.pack_differences]
    assert kinds == sorted(kinds, reverse=True)  # what changes an outcome comes first


def test_condition_and_parameter_causes(tmp_path: Path) -> None:
    changed = variant(tmp_path, "mini-changed",
                      ("hurdle_rate: {value: 0.05, source: test}", "hurdle_rate: {value: 0.08, source: test}"),
                      ('require: "sector in priority_sectors"', 'require: "sector in priority_sectors or irr > 0.065"'))
    c = run_both(MINI, changed, MINI_LIST)
    by = {(d.id, r.rule): r for d in c.differences for r in d.rules}
    floor = by[("c-ok", "irr-floor")]
    assert floor.cause == "parameters" and floor.parameters == {"hurdle_rate": (0.05, 0.08)}
    assert "hurdle_rate is 0.05 under mini and 0.08 under mini-changed" in floor.explanation
    assert floor.fix_b == "raise irr from 0.07 to 0.08"
    sector = by[("c-air", "sector-priority")]
    assert sector.cause == "condition" and "irr > 0.065" in sector.explanation
    kinds = {(p.kind, p.name): p for p in c.pack_differences}
    assert kinds[("parameter", "hurdle_rate")].candidates == ["c-ok", "00123"]  # irr 0.07 and 0.06
    assert kinds[("condition", "sector-priority")].b == "sector in priority_sectors or irr > 0.065"


def test_whitespace_in_a_condition_is_not_a_difference(tmp_path: Path) -> None:
    spaced = variant(tmp_path, "mini-spaced", ('require: "irr >= hurdle_rate"', 'require: "irr>=hurdle_rate"'))
    c = run_both(MINI, spaced, MINI_LIST)
    assert c.differences == [] and c.pack_differences == []


def test_severity_and_parameters_through_derived_fields(tmp_path: Path) -> None:
    # equity-cap turns blocking in B, and B computes equity_share differently
    stricter = variant(tmp_path, "mini-strict", ("    severity: advisory\n", ""),
                       ('derive: "equity / amount"', 'derive: "equity * 2 / amount"'))
    c = run_both(MINI, stricter, MINI_LIST)
    causes = {r.cause for d in c.differences for r in d.rules if r.rule == "equity-cap"}
    assert causes <= {"severity", "derived_field"} and causes
    diff = next(r for d in c.differences for r in d.rules if r.rule == "equity-cap")
    assert "blocking" in diff.explanation or "computed differently" in diff.explanation
    assert ("derived_field", "equity_share") in {(p.kind, p.name) for p in c.pack_differences}


def test_renderers_carry_causes_fixes_and_sources(first_wave) -> None:
    rows = list(csv.DictReader(io.StringIO(compare_csv(first_wave))))
    assert {r["cause"] for r in rows if r["candidate_id"] != "*portfolio*"} == {"only_in_a"}
    assert {r["cause"] for r in rows if r["candidate_id"] == "*portfolio*"} == {"portfolio"}  # the package (§10)
    assert rows[0]["candidate_id"] == "ohio-gas-9gw" and rows[0]["source"].startswith("seeds/")
    md = compare_markdown(first_wave)
    assert "| japan-position | 0 | 0 | 3 |" in md
    assert f"*Under japan-position, to become eligible:* {SUPPLY}" in md
    page = compare_html(first_wave)
    assert "Side by side" in page and "Where the positions differ" in page and "<svg" in page
    assert "To pass: set supply_chain_benefit_japan from false to true" in page
    assert "<script" not in page


def test_compare_command_writes_reports(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv", "--rules",
                           "rules/japan", "--rules", "rules/us", "--as-of", "2026-03-01",
                           "--format", "json,csv,md,html", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ohio-gas-9gw" in done.stdout and "Where the positions differ" in done.stdout
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["a"]["summary"] == {"eligible": 0, "ineligible": 0, "incomplete": 3}
    assert data["b"]["summary"] == {"eligible": 3, "ineligible": 0, "incomplete": 0}
    assert data["differences"][0]["remedy_a"]["supply"] == ["cashflows", "credit_rating"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.csv", "compare.html", "compare.json", "compare.md"]


@pytest.mark.parametrize("args, message", [
    (["--rules", "rules/japan"], "exactly two packs"),
    (["--rules", "rules/japan", "--rules", "rules/us", "--format", "pdf"], "unknown format 'pdf'"),
    (["--rules", "rules/japan", "--rules", "rules/us", "--as-of", "March"], "is not a date"),
    (["--rules", "rules/japan", "--rules", "rules/nowhere"], "nowhere"),
    (["--rules", "rules/japan", "--rules", "rules/us", "--engine", "fast"], "'fast' is not one of"),
])
def test_compare_refuses_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv", *args,
                           "--out", str(tmp_path / "out")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()
