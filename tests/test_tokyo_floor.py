"""Tokyo's return floor on the first wave, end to end (issue 9 items 4-5, issue 14 item 5).

The floor reads Japan's own IRR under the waterfall against the deemed rate, which is the dated
benchmark + the base spread + a premium by tenor and risk from the decision table
rules/framework/deemed_rate_premium.csv. `screen sweep --param deemed_rate_spread` splits the
cash again at each spread and says where each project stops clearing the floor.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from screening.derive import with_derived
from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
FLOWS = "candidates/first_wave_cashflows.csv"
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "220"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def first_wave_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("run")
    done = cli("run", "candidates/first_wave.csv", "--rules", "rules/japan", "--cashflows", FLOWS, "--as-of",
               "2026-03-01", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads((out / "results.json").read_text())


def floor_of(candidate: dict) -> dict:
    return next(o for o in candidate["outcomes"] if o["rule"] == "return-floor")


def test_first_wave_verdicts_rest_on_japans_own_return(first_wave_run: dict) -> None:
    by = {c["id"]: c for c in first_wave_run["candidates"]}
    # Ohio and Texas: 30 and 25 years, unrated (priced as the BBB band): 4% + 1% + 0.25% = 5.25%
    for name in ("ohio-gas-9gw", "texas-gulflink-crude"):
        floor = floor_of(by[name])
        assert by[name]["verdict"] == "ineligible" and floor["outcome"] == "fail"
        assert floor["values"]["deemed_rate"] == pytest.approx(0.0525, abs=1e-12)
        assert "+ 0.25% for tenor and risk" in floor["message"]
        assert by[name]["finance"]["japan_made_whole_on"] is None
    # Georgia: 20 years, the base band: 5%; Japan earns 5.14% and is made whole in 2046, but no rating is public
    georgia = by["georgia-synthetic-diamond"]
    assert floor_of(georgia)["outcome"] == "pass" and floor_of(georgia)["values"]["deemed_rate"] == pytest.approx(0.05)
    assert georgia["verdict"] == "incomplete" and georgia["finance"]["japan_made_whole_on"] == "2046-06-30"
    outcomes = {o["rule"]: o["outcome"] for o in georgia["outcomes"]}
    assert outcomes["investment-grade"] == "missing" and outcomes["made-whole-within-life"] == "pass"
    # the project's own IRR is an advisory: Ohio's 7.5% passes it and still fails Tokyo's floor
    ohio = {o["rule"]: o for o in by["ohio-gas-9gw"]["outcomes"]}
    assert ohio["project-return"]["severity"] == "advisory" and ohio["project-return"]["outcome"] == "pass"


def test_sweep_of_the_spread_shows_where_each_project_stops_clearing_the_floor(first_wave_run: dict,
                                                                               tmp_path: Path) -> None:
    done = cli("sweep", "candidates/first_wave.csv", "--rules", "rules/japan", "--cashflows", FLOWS,
               "--param", "deemed_rate_spread", "--from", "-0.04", "--to", "0.05", "--as-of", "2026-03-01",
               "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    sweep = json.loads((tmp_path / "sweep.json").read_text())
    assert sweep["parameter"] == "deemed_rate_spread" and sweep["in_force"] == 0.01
    points = {c["id"]: c["breakpoints"] for c in sweep["candidates"]}
    japan_irr = {c["id"]: c["finance"]["japan_irr"] for c in first_wave_run["candidates"]}
    for name in ("ohio-gas-9gw", "texas-gulflink-crude"):
        (bp,) = points[name]
        # never made whole, Japan always gets half: its IRR does not move with the deemed rate, so the
        # floor flips where benchmark + spread + premium = Japan's IRR
        assert bp["value"] == pytest.approx(japan_irr[name] - 0.04 - 0.0025, abs=1e-6)
        assert "return-floor" in bp["rules"] and bp["above"] == "ineligible"
    (bp,) = points["georgia-synthetic-diamond"]
    # Georgia's own IRR rises with the deemed rate (a longer 50/50 phase), so it clears the floor up to
    # a spread above the 1% in force
    assert 0.01 < bp["value"] < 0.03 and "return-floor" in bp["rules"] and bp["above"] == "ineligible"
    assert "georgia-synthetic-diamond" in done.stdout and "(return-floor, made-whole-within-life)" in done.stdout


def test_the_premium_table_prices_tenor_and_risk() -> None:
    pack = load_pack(ROOT / "rules" / "framework")
    resolved = pack.resolve(dt.date(2026, 3, 1))
    rows = [{**dict.fromkeys(pack.fields), "id": i, "tenor_years": t, "life_years": life, "credit_rating": r}
            for i, t, life, r in (("short-a", 5, None, "A"), ("mid-bbb", 15, None, "BBB"), ("long-bb", 25, None, "BB"),
                                  ("unrated-life", None, 30, None), ("edge-10", 10, None, "A-"),
                                  ("edge-20", 20, None, "BBB-"), ("no-tenor", None, None, "A"),
                                  ("off-scale", 15, None, "excellent"))]
    rates = {r["id"]: r["deemed_rate"] for r in with_derived(resolved, rows)}
    expected = {"short-a": 0.045, "mid-bbb": 0.05, "long-bb": 0.0625, "unrated-life": 0.0525, "edge-10": 0.045,
                "edge-20": 0.05}
    for name, rate in expected.items():
        assert rates[name] == pytest.approx(rate, abs=1e-12), name
    assert rates["no-tenor"] is None and rates["off-scale"] is None  # missing, never a silent default


def test_premium_table_is_proved_whole_by_check() -> None:
    done = cli("check", "rules/framework", "--strict")
    assert done.returncode == 0, done.stderr
    assert "no overlaps under 'unique', no uncovered inputs" in done.stdout


def test_first_wave_scenarios_report_a_negotiator_can_read(tmp_path: Path) -> None:
    # issue 13's done-when command (fewer draws): capex overruns scale the invested flows, yields the cash
    done = cli("scenarios", "candidates/first_wave.csv", "--rules", "rules/japan", "--cashflows", FLOWS,
               "--spec", "candidates/first_wave_scenarios.yaml", "--draws", "600", "--as-of", "2026-03-01",
               "--format", "html", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "scenarios.json").read_text())
    assert sorted(data["run"]["vary"]) == ["cashflows.cash", "cashflows.invest"]
    assert all("assumption" in v["source"] for v in data["run"]["vary"].values())
    by = {c["id"]: c for c in data["candidates"]}
    for c in by.values():
        irr = c["finance"]["japan_irr"]
        assert irr["p5"] < irr["p50"] < irr["p95"]  # the flows really move from draw to draw
    # at the listed figures Georgia clears Tokyo's floor; with costs high and yields short it mostly does not
    georgia = by["georgia-synthetic-diamond"]
    assert georgia["baseline"] == "incomplete" and 0.5 < georgia["verdicts"]["ineligible"] < 1
    assert georgia["deciding_rule"] == "return-floor"
    # Ohio and Texas fail in every draw, so the package is empty exactly when Georgia fails too
    assert by["ohio-gas-9gw"]["verdicts"]["ineligible"] == 1.0
    assert data["portfolio"]["empty_scope"] == georgia["verdicts"]["ineligible"]
    raw = (tmp_path / "scenarios.html").read_text()
    assert "<script" not in raw
    page = unescape(raw)
    assert "Japan's own IRR (japan_irr) over the draws" in page and "floor deemed_rate = 5.25%" in page
    assert "floor deemed_rate = 5.00%" in page  # Georgia's 20 years: the base band
    assert "every investment flow (capex)" in page and "no candidate is left in scope" in page
