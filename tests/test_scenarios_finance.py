"""Scenarios with finance fields (CONTRACT §9 in §12): the waterfall recomputed per draw agrees with
``screen run``'s finance at the listed figures, and moves with varied profile fields and cash flows."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("screening.finance.compute")

from screening.candidates import read_candidates  # noqa: E402
from screening.engines.vector import build_frame, with_derived_frame  # noqa: E402
from screening.errors import InputError  # noqa: E402
from screening.finance.compute import finance_frame  # noqa: E402
from screening.finance.flows import read_cashflows  # noqa: E402
from screening.pack.load import load_pack  # noqa: E402
from screening.scenarios.finance import DrawFinance  # noqa: E402
from screening.scenarios.run import run_scenarios  # noqa: E402
from screening.scenarios.spec import load_spec  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIN = ROOT / "tests" / "fixtures" / "finance"
PACK = load_pack(ROOT / "tests" / "fixtures" / "packs" / "finance")
RESOLVED = PACK.resolve(dt.date(2026, 3, 1))


def _rows(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if k in PACK.fields} | {"stage": None, "stage_since": None, "deadline": None}
            for r in records]


def _setup() -> tuple[list[dict[str, object]], object]:
    records = read_candidates(FIN / "candidates.csv", PACK.input_fields).records()
    flows = read_cashflows(FIN / "cashflows.csv", [str(r["id"]) for r in records])
    return records, flows


def test_draw_finance_at_listed_figures_equals_screen_runs_finance() -> None:
    records, flows = _setup()
    rows = _rows(records)
    frame = with_derived_frame(RESOLVED, build_frame(RESOLVED, rows))
    _, want = finance_frame(RESOLVED, frame, flows)
    assert want is not None
    hook = DrawFinance(RESOLVED, [str(r["id"]) for r in records], flows)
    got = hook(RESOLVED, frame, np.arange(len(rows)), {})
    for name, col in got.items():
        values = want.columns[name]
        for i, expected in enumerate(values):
            if expected is None:
                assert col.mask[i], (name, i)
            elif isinstance(expected, dt.date):
                assert not col.mask[i] and dt.date.fromordinal(int(col.values[i])) == expected
            else:
                assert not col.mask[i] and col.values[i] == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, i)


def test_scaling_cash_by_a_constant_moves_japans_irr_down_and_fails_the_floor(tmp_path: Path) -> None:
    records, flows = _setup()
    spec = tmp_path / "spec.yaml"
    spec.write_text("draws: 200\nseed: 1\ncashflows:\n  cash: {scale: {uniform: [0.3, 0.3]}}\n")
    hook = DrawFinance(RESOLVED, [str(r["id"]) for r in records], flows)
    result = run_scenarios(RESOLVED, records, load_spec(spec, PACK), finance=hook, finance_fields=list(hook.fields))
    strong = result.candidates[0]
    assert strong.id == "strong" and strong.baseline == "eligible"
    # 30% of 25 = 7.5 a year on 100 for 20 years: the annuity factor 13.33 gives ~4.22%, below the 5% deemed rate
    assert strong.verdicts["ineligible"] == 1.0 and strong.deciding_rule == "japan-return"
    assert strong.finance["project_irr"]["p50"] == pytest.approx(0.0422, abs=0.0005)
    assert strong.varied["cashflows.cash"]["p50"] == pytest.approx(0.3)


def test_varied_capex_gives_the_hand_computed_share(tmp_path: Path) -> None:
    """strong: 25 a year for 20 years. With capex = 100 × U(1, 4), Japan's IRR clears 5% (long tenor:
    4% + 1%) while the project's own IRR stays above roughly the deemed rate; find the capex where
    Japan's IRR crosses 5% by bisection on the hook itself, then compare shares."""
    records, flows = _setup()
    ids = [str(r["id"]) for r in records]
    hook = DrawFinance(RESOLVED, ids, flows)
    base = _rows(records)[:1]

    def japan_irr(capex: float) -> float:
        row = dict(base[0], capex=capex)
        frame = with_derived_frame(RESOLVED, build_frame(RESOLVED, [row]))
        col = hook(RESOLVED, frame, np.array([0]), {})["japan_irr"]
        return float(col.values[0])

    lo, hi = 100.0, 400.0
    assert japan_irr(lo) > 0.05 > japan_irr(hi)
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if japan_irr(mid) >= 0.05 else (lo, mid)
    p = (lo / 100 - 1) / 3  # U(1, 4) below the crossing
    n = 4000
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"draws: {n}\nseed: 2\nvary:\n  capex: {{scale: {{uniform: [1, 4]}}}}\n")
    result = run_scenarios(RESOLVED, records, load_spec(spec, PACK), finance=hook, finance_fields=list(hook.fields))
    strong = result.candidates[0]
    assert abs(strong.rules["japan-return"]["pass"] - p) <= 4.5 * math.sqrt(p * (1 - p) / n)
    # the file's candidate does not read capex: its flows come from the cash-flow file in every draw
    fromfile = result.candidates[2]
    assert fromfile.varied["capex"]["missing"] == 1.0 and fromfile.finance["japan_irr"]["missing"] == 0.0
    assert fromfile.finance["japan_irr"]["p5"] == fromfile.finance["japan_irr"]["p95"]
    assert result.candidates[1].finance["japan_made_whole_on"]["missing"] == 1.0  # weak: never made whole
    # the floor the histogram marks: the deemed rate by tenor, evaluated at each candidate's listed figures
    assert strong.floors["japan_irr"] == {"rule": "japan-return", "passes": ">=",
                                          "threshold": "benchmark + spread_by_tenor[tenor]", "value": 0.05}
    assert fromfile.floors["japan_irr"]["value"] == pytest.approx(0.045)


def test_cashflows_section_needs_a_finance_pack(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("draws: 10\ncashflows:\n  cash: {scale: {uniform: [0.9, 1.1]}}\n  invest: {add: {normal: [0, 1]}}\n")
    with pytest.raises(InputError) as info:
        load_spec(spec, load_pack(ROOT / "tests" / "fixtures" / "scenarios" / "pack"))
    text = info.value.render()
    assert "spec.yaml:3 cashflows.cash: pack 'scen' has no finance: section" in text
    assert "spec.yaml:4 cashflows.invest: cash flows vary by scale only" in text


def test_cli_with_cashflows(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("draws: 300\nseed: 3\nvary:\n  annual_cash: {scale: {normal: [1.0, 0.2]}}\n"
                    "cashflows:\n  invest: {scale: {triangular: [0.9, 1.0, 1.5]}, shared: true}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "scenarios", str(FIN / "candidates.csv"),
                           "--rules", str(ROOT / "tests" / "fixtures" / "packs" / "finance"), "--spec", str(spec),
                           "--cashflows", str(FIN / "cashflows.csv"), "--as-of", "2026-03-01", "--format", "html",
                           "--out", str(tmp_path / "out")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "japan_irr" in done.stdout
    data = json.loads((tmp_path / "out" / "scenarios.json").read_text())
    assert data["run"]["cashflows"] == "cashflows.csv" and data["run"]["finance_fields"][1] == "japan_irr"
    assert set(data["candidates"][0]["finance"]) >= {"japan_irr", "project_irr", "japan_made_whole_on"}
    page = (tmp_path / "out" / "scenarios.html").read_text()
    assert "japan_irr over the draws" in page
