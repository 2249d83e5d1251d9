"""`screen sweep`: exact breakpoints where a condition is linear in the parameter."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening.candidates import table_from_records
from screening.errors import InputError
from screening.pack.load import load_pack
from screening.sweep import sweep, sweep_chart

ROOT = Path(__file__).resolve().parent.parent


def rows(pack, records):
    return [{k: v for k, v in r.items() if k in pack.fields} | {"stage": None, "stage_since": None, "deadline": None}
            for r in table_from_records(records, pack.input_fields).records()]


# A pack whose floor reads a stated IRR (rules/japan's return floor reads Japan's own flows since
# issue 9, so its min_irr no longer decides a verdict; tests/test_finance_screening.py sweeps that).
MINI = ROOT / "tests" / "fixtures" / "packs" / "mini"


def test_breakpoint_is_the_candidates_irr_exactly() -> None:
    pack = load_pack(MINI)
    resolved = pack.resolve(dt.date(2026, 3, 1))
    base = {"sector": "energy", "amount": 1e9, "currency": "USD"}
    records = [{"id": "a", "irr": 0.042, **base}, {"id": "b", **base}]
    result = sweep(resolved, rows(pack, records), "hurdle_rate", 0.0, 0.1, 20)
    (bp,) = result.breakpoints["a"]
    assert bp.value == 0.042  # exactly: irr >= hurdle_rate flips where hurdle_rate = irr
    assert (bp.below, bp.at, bp.above, bp.rules) == ("eligible", "eligible", "ineligible", ("irr-floor",))
    assert result.breakpoints["b"] == [] and result.verdict_at_lo["b"] == "incomplete"
    assert result.eligible_counts[0] == 1 and result.eligible_counts[-1] == 0
    assert result.steps == [(0.0, 0.042, 1), (0.042, 0.1, 0)]
    assert result.summary_line("b") == "incomplete throughout (irr-floor missing)"  # b has no irr
    assert "<svg" in sweep_chart(result)


@pytest.mark.parametrize("irr", [0.031, 0.07, 0.1 / 3, 0.0123456789])
def test_exact_breakpoints_for_awkward_floats(irr: float) -> None:
    pack = load_pack(MINI)
    resolved = pack.resolve(dt.date(2026, 3, 1))
    base = {"sector": "energy", "amount": 1e9, "currency": "USD"}
    (bp,) = sweep(resolved, rows(pack, [{"id": "a", "irr": irr, **base}]), "hurdle_rate", -0.013, 0.2, 7).breakpoints["a"]
    assert bp.value == irr and (bp.at, bp.above) == ("eligible", "ineligible")


def test_nonlinear_dependence_through_derived_fields_is_found_by_bisection() -> None:
    pack = load_pack(ROOT / "rules" / "framework")
    resolved = pack.resolve(dt.date(2026, 3, 1))
    # amount_usd = amount / jpy_per_usd: not linear in the exchange rate
    record = {"id": "yen", "sector": "energy", "location_country": "US", "amount": 110e12, "currency": "JPY"}
    result = sweep(resolved, rows(pack, [record]), "jpy_per_usd", 100.0, 300.0, 10)
    (bp,) = result.breakpoints["yen"]
    assert bp.value == pytest.approx(110e12 / 550e9, rel=1e-9)  # 200 JPY/USD makes it fit the ceiling
    assert (bp.below, bp.above) == ("ineligible", "eligible")


def test_only_numeric_parameters() -> None:
    pack = load_pack(ROOT / "rules" / "framework")
    resolved = pack.resolve(dt.date(2026, 3, 1))
    with pytest.raises(InputError, match="not a number"):
        sweep(resolved, [], "named_sectors", 0, 1)
    with pytest.raises(InputError, match="is not a parameter"):
        sweep(resolved, [], "nope", 0, 1)


def test_sweep_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "sweep", "tests/fixtures/candidates/mini.csv",
                           "--rules", "tests/fixtures/packs/mini", "--param", "hurdle_rate", "--from", "0", "--to",
                           "0.12", "--as-of", "2026-06-01", "--out", str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "sweep.json").read_text())
    thin = next(c for c in data["candidates"] if c["id"] == "c-thin")
    assert thin["breakpoints"][0]["value"] == 0.031
    assert "eligible below 0.031, eligible at it, ineligible above (irr-floor)" in done.stdout
    assert (tmp_path / "sweep.svg").read_text().startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.json", "sweep.svg"]


def test_sweep_first_wave_on_the_hurdle_writes_every_format(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "sweep", "candidates/first_wave.csv", "--rules",
                           "rules/japan", "--param", "min_irr", "--from", "0", "--to", "0.12", "--steps", "12",
                           "--as-of", "2026-03-01", "--format", "json,csv,md,html", "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # no projected IRR is public for the first wave: no hurdle makes them eligible, and the report says why
    assert "incomplete throughout (return-floor missing" in done.stdout
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["sweep.csv", "sweep.html", "sweep.json", "sweep.md", "sweep.svg"]
    assert "<svg" in (tmp_path / "sweep.html").read_text() and "<script" not in (tmp_path / "sweep.html").read_text()
    assert (tmp_path / "sweep.csv").read_text().splitlines()[1] == "ohio-gas-9gw,incomplete,incomplete,,,,,"


@pytest.mark.parametrize("args, message", [
    (["--param", "nope", "--from", "0", "--to", "1"], "is not a parameter"),
    (["--param", "min_rating", "--from", "0", "--to", "1"], "not a number"),
    (["--param", "min_irr", "--from", "1", "--to", "0"], "need --from < --to"),
    (["--param", "min_irr", "--from", "0", "--to", "1", "--format", "svg"], "unknown format"),
])
def test_sweep_refuses_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "sweep", "candidates/edge_cases.csv", "--rules",
                           "rules/japan", *args, "--out", str(tmp_path / "out")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("pack_name, param, lo, hi", [("japan", "min_irr", 0.0, 0.12),
                                                      ("framework", "instrument_tolerance", 0.0, 0.6),
                                                      ("framework", "commitment_ceiling_usd", 1e8, 1e12)])
def test_exact_steps_agree_with_the_grid(pack_name: str, param: str, lo: float, hi: float) -> None:
    from screening.candidates import read_candidates
    pack = load_pack(ROOT / "rules" / pack_name)
    resolved = pack.resolve(dt.date(2026, 3, 1))
    records = read_candidates(ROOT / "candidates/edge_cases.csv", pack.input_fields).records()
    result = sweep(resolved, rows(pack, records), param, lo, hi, 37)
    marks = {b.value for bps in result.breakpoints.values() for b in bps}
    for x, count in zip(result.grid, result.eligible_counts):
        if x in marks or x in (lo, hi):
            continue
        (segment,) = [k for a, b, k in result.steps if a < x < b]
        assert segment == count, (x, segment, count)
