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


def test_breakpoint_is_the_candidates_irr_exactly() -> None:
    pack = load_pack(ROOT / "rules" / "japan")
    resolved = pack.resolve(dt.date(2026, 3, 1))
    base = {"sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD", "credit_rating": "A",
            "taiwan_link": False}
    result = sweep(resolved, rows(pack, [{"id": "a", "irr": 0.042, **base}, {"id": "b", **base}]), "min_irr", 0.0, 0.1, 20)
    (bp,) = result.breakpoints["a"]
    assert bp.value == pytest.approx(0.042, abs=1e-15)
    assert (bp.below, bp.at, bp.above, bp.rules) == ("eligible", "eligible", "ineligible", ("return-floor",))
    assert result.breakpoints["b"] == [] and result.verdict_at_lo["b"] == "incomplete"
    assert result.eligible_counts[0] == 1 and result.eligible_counts[-1] == 0
    assert "<svg" in sweep_chart(result)


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
    done = subprocess.run([sys.executable, "-m", "screening.cli", "sweep", "candidates/edge_cases.csv", "--rules",
                           "rules/japan", "--param", "min_irr", "--from", "0", "--to", "0.12", "--as-of", "2026-06-01",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "sweep.json").read_text())
    thin = next(c for c in data["candidates"] if c["id"] == "edge-thin-return")
    assert thin["breakpoints"][0]["value"] == pytest.approx(0.03)
    assert (tmp_path / "sweep.svg").read_text().startswith("<svg")
