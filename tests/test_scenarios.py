"""`screen scenarios` (CONTRACT §12): shares against hand-computed probabilities, reproducibility,
missing inputs, the spec's errors (one fixture per failure mode), and the command end to end."""

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

from screening.candidates import table_from_records
from screening.errors import InputError
from screening.pack.load import load_pack
from screening.scenarios.result import render_scenarios_json
from screening.scenarios.run import run_scenarios, segments
from screening.scenarios.sampling import sample, stream
from screening.scenarios.spec import load_spec, parse_distribution

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "scenarios"
BAD = ROOT / "tests" / "fixtures" / "bad" / "scenarios"
PACK = load_pack(FIX / "pack")
RESOLVED = PACK.resolve(dt.date(2026, 3, 1))


def records(*rows: dict[str, object]) -> list[dict[str, object]]:
    return table_from_records(list(rows), PACK.input_fields).records()


def spec_file(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(tmp_path: Path, text: str, rows: list[dict[str, object]], **kw: object):  # noqa: ANN201
    loaded = load_spec(spec_file(tmp_path, text), PACK)
    return run_scenarios(RESOLVED, records(*rows), loaded, **kw)  # type: ignore[arg-type]


def within(observed: float, p: float, n: int, sigmas: float = 4.5) -> bool:
    """|observed - p| within ``sigmas`` binomial standard errors."""
    return abs(observed - p) <= sigmas * math.sqrt(p * (1 - p) / n) + 1e-12


# --- shares against probabilities computed by hand ----------------------------------------------

def test_normal_shift_centred_on_the_threshold_passes_half_the_draws(tmp_path: Path) -> None:
    n = 20_000
    result = run(tmp_path, f"draws: {n}\nseed: 11\nvary:\n  x: {{add: {{normal: [0.0, 0.3]}}}}\n",
                 [{"id": "a", "x": 0.0, "y": 1.0}])
    (c,) = result.candidates
    assert within(c.rules["x-floor"]["pass"], 0.5, n)
    assert c.rules["x-floor"]["pass"] + c.rules["x-floor"]["fail"] == 1.0
    assert c.verdicts["eligible"] == c.rules["x-floor"]["pass"]  # y-floor always passes
    assert abs(c.varied["x"]["p50"]) < 0.02 and c.varied["x"]["missing"] == 0.0  # type: ignore[operator]
    # the 5th/95th percentiles of normal(0, 0.3) are -/+ 1.645 sd
    assert c.varied["x"]["p95"] == pytest.approx(1.645 * 0.3, abs=0.02)


def test_uniform_scale_gives_the_interval_fraction(tmp_path: Path) -> None:
    n = 20_000
    # y = 1 × U(0, 2) clears 0.5 when U >= 0.5: three quarters of the interval
    result = run(tmp_path, f"draws: {n}\nseed: 5\nvary:\n  y: {{scale: {{uniform: [0, 2]}}}}\n",
                 [{"id": "a", "x": 1.0, "y": 1.0}])
    (c,) = result.candidates
    assert within(c.rules["y-floor"]["pass"], 0.75, n)
    assert within(c.verdicts["ineligible"], 0.25, n)


def test_two_varied_fields_are_independent(tmp_path: Path) -> None:
    n = 40_000
    text = (f"draws: {n}\nseed: 3\nvary:\n  x: {{add: {{normal: [0.0, 1.0]}}}}\n"
            f"  y: {{scale: {{uniform: [0, 2]}}}}\n")
    (c,) = run(tmp_path, text, [{"id": "a", "x": 0.0, "y": 1.0}]).candidates
    px, py = c.rules["x-floor"]["pass"], c.rules["y-floor"]["pass"]
    assert within(px, 0.5, n) and within(py, 0.75, n)
    # eligible = both pass; independent draws make it the product of the two shares
    assert within(c.verdicts["eligible"], px * py, n)


def test_independent_streams_are_uncorrelated() -> None:
    a = sample(parse_distribution({"normal": [0, 1]}), stream(1, "candidate", "a", "x"), 50_000)
    b = sample(parse_distribution({"normal": [0, 1]}), stream(1, "candidate", "a", "y"), 50_000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 4.5 / math.sqrt(50_000)


def test_choice_sets_strings_in_proportion(tmp_path: Path) -> None:
    n = 20_000
    text = f"draws: {n}\nseed: 2\nvary:\n  grade: {{set: {{choice: {{A: 0.3, C: 0.7}}}}}}\n"
    (c,) = run(tmp_path, text, [{"id": "a", "x": 1.0, "y": 1.0, "grade": "B"}]).candidates
    assert within(c.rules["grade-a"]["pass"], 0.3, n)
    assert set(c.varied["grade"]) == {"A", "C", "missing"} and c.varied["grade"]["missing"] == 0.0
    assert c.varied["grade"]["A"] == c.rules["grade-a"]["pass"]


def test_triangular_and_lognormal_medians(tmp_path: Path) -> None:
    n = 20_000
    text = (f"draws: {n}\nseed: 9\nvary:\n  x: {{scale: {{triangular: [0, 0, 1]}}}}\n"
            f"  y: {{scale: {{lognormal: [0, 0.5]}}}}\n")
    (c,) = run(tmp_path, text, [{"id": "a", "x": 1.0, "y": 1.0}]).candidates
    assert c.varied["x"]["p50"] == pytest.approx(1 - math.sqrt(0.5), abs=0.01)  # median of triangular(0, 0, 1)
    assert c.varied["y"]["p50"] == pytest.approx(1.0, abs=0.02)  # median of lognormal(0, s) is e^0
    # P(lognormal(0, 0.5) >= 0.5) = P(Z >= ln 0.5 / 0.5)
    p = 0.5 * math.erfc((math.log(0.5) / 0.5) / math.sqrt(2))
    assert within(c.rules["y-floor"]["pass"], p, n)


def test_bounds_and_integers(tmp_path: Path) -> None:
    text = "draws: 2000\nseed: 1\nvary:\n  units: {add: {normal: [0, 20]}}\n  y: {add: {normal: [0, 5]}}\n"
    (c,) = run(tmp_path, text, [{"id": "a", "x": 1.0, "y": 1.0, "units": 10}]).candidates
    assert c.varied["units"]["p5"] == 0.0 and c.varied["y"]["p5"] == 0.0  # both fields declare min: 0
    assert float(c.varied["units"]["p95"]).is_integer()  # type: ignore[arg-type]


def test_shared_factor_moves_every_candidate_together(tmp_path: Path) -> None:
    rows = [{"id": "a", "x": 0.0, "y": 1.0}, {"id": "b", "x": 0.0, "y": 1.0}]
    shared = run(tmp_path, "draws: 500\nseed: 4\nvary:\n  x: {add: {normal: [0, 1]}, shared: true}\n", rows)
    own = run(tmp_path, "draws: 500\nseed: 4\nvary:\n  x: {add: {normal: [0, 1]}}\n", rows)
    assert shared.candidates[0].varied == shared.candidates[1].varied
    assert shared.candidates[0].rules == shared.candidates[1].rules
    assert own.candidates[0].varied != own.candidates[1].varied


# --- missing inputs, reproducibility -------------------------------------------------------------

def test_missing_input_stays_missing_in_every_draw(tmp_path: Path) -> None:
    text = ("draws: 300\nseed: 1\nvary:\n  x: {add: {normal: [0, 1]}}\n"
            "  grade: {set: {choice: {A: 1}}}\n  flag: {set: {choice: {true: 1}}}\n")
    result = run(tmp_path, text, [{"id": "gap", "y": 1.0}])
    (c,) = result.candidates
    assert c.rules["x-floor"] == {"pass": 0.0, "fail": 0.0, "missing": 1.0, "not_applicable": 0.0}
    assert c.verdicts == {"eligible": 0.0, "ineligible": 0.0, "incomplete": 1.0}
    assert c.varied["x"] == {"p5": None, "p50": None, "p95": None, "missing": 1.0}
    assert c.varied["grade"] == {"missing": 1.0} and c.rules["flagged"]["not_applicable"] == 1.0
    assert c.baseline == "incomplete"


def _without_timestamp(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if '"started_at"' not in line)


def test_same_seed_gives_byte_identical_json_and_chunking_does_not_matter(tmp_path: Path) -> None:
    text = ("draws: 1000\nseed: 42\nvary:\n  x: {add: {normal: [0, 1]}}\n  y: {scale: {uniform: [0, 2]}, shared: true}\n"
            "  grade: {set: {choice: {A: 0.5, B: 0.5}}}\n")
    rows = [{"id": "a", "x": 0.0, "y": 1.0, "grade": "A"}, {"id": "b", "x": 0.5, "y": 0.6}, {"id": "gap", "y": 1.0}]
    first = render_scenarios_json(run(tmp_path, text, rows))
    second = render_scenarios_json(run(tmp_path, text, rows))
    small_chunks = render_scenarios_json(run(tmp_path, text, rows, chunk_rows=333))
    assert _without_timestamp(first) == _without_timestamp(second) == _without_timestamp(small_chunks)
    other_seed = render_scenarios_json(run(tmp_path, text, rows, seed=43))
    assert _without_timestamp(other_seed) != _without_timestamp(first)
    # a candidate's draws depend on its id, not on its place in the list
    reordered = run(tmp_path, text, list(reversed(rows)))
    by_id = {c.id: c.as_dict() for c in reordered.candidates}
    for c in json.loads(first)["candidates"]:
        assert by_id[c["id"]] == c


def test_segments_cover_the_table_in_bounded_chunks() -> None:
    chunks = list(segments(3, 5, 4))
    assert all(sum(d1 - d0 for _, d0, d1 in chunk) <= 4 for chunk in chunks)
    flat = [(ci, d) for chunk in chunks for ci, d0, d1 in chunk for d in range(d0, d1)]
    assert flat == [(ci, d) for ci in range(3) for d in range(5)]


# --- bad specs: one fixture per failure mode ----------------------------------------------------

BAD_SPECS = {
    "unknown_distribution.yaml": ":3 vary.x.add: unknown distribution 'trianglar'; did you mean 'triangular'?",
    "undeclared_field.yaml": ":3 vary.yy: field 'yy' is not declared by pack 'scen'; did you mean 'y'?",
    "numeric_on_string.yaml": ":3 vary.grade: 'grade' is a string field: a uniform distribution draws numbers; use choice",
    "scale_on_string.yaml": ":3 vary.grade: 'grade' is a string field: scale needs a number field",
    "choice_outside_enum.yaml": ":3 vary.grade: 'D' not in the enum of 'grade' (A, B, C)",
    "derived_field.yaml": ":3 vary.total: 'total' is derived (x + y): vary the fields it is computed from (x, y)",
    "finance_field.yaml": ":3 vary.japan_irr: 'japan_irr' is computed from the cash flows",
    "date_field.yaml": ":3 vary.since: 'since' is a date field",
    "no_mode.yaml": ":3 vary.x: say how the draw applies: {scale: {normal: ...}}",
    "two_modes.yaml": ":3 vary.x: give exactly one of scale, add, set (got scale, add)",
    "bad_parameters.yaml": ":3 vary.x.add: triangular [low, mode, high] needs low <= mode <= high, got [0, 2, 1]",
    "wrong_parameter_count.yaml": ":3 vary.x.add: normal takes a list of 2 numbers [mean, sd], got [0]",
    "negative_sd.yaml": ":3 vary.x.add: normal: sd must be 0 or more, got -1",
    "negative_weight.yaml": ":3 vary.x.scale: choice weights must be numbers >= 0, not 1.5: -0.5",
    "text_choice_scaled.yaml": ":3 vary.x: scale needs numbers, but the choice has values 'high', 'low'",
    "unknown_key.yaml": ":1 draw: unknown key 'draw'; did you mean 'draws'?",
    "zero_draws.yaml": ":1 draws: ",
    "nothing_varies.yaml": ":3 vary: nothing varies",
    "duplicate_key.yaml": ":4: duplicate key 'x' in vary (first at line 3)",
}


@pytest.mark.parametrize("name", sorted(BAD_SPECS))
def test_bad_spec_is_refused_with_file_and_line(name: str) -> None:
    with pytest.raises(InputError) as info:
        load_spec(BAD / name, PACK)
    text = info.value.render()
    assert f"{name}{BAD_SPECS[name]}" in text, text


def test_every_bad_spec_fixture_is_covered() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == set(BAD_SPECS) | {"many_problems.yaml"}


def test_all_problems_of_a_spec_are_reported_at_once() -> None:
    with pytest.raises(InputError) as info:
        load_spec(BAD / "many_problems.yaml", PACK)
    lines = info.value.render().splitlines()
    assert len(lines) == 4
    assert ":4 vary.x.add: unknown distribution 'gaussian'; did you mean 'normal'?" in lines[0]
    assert ":5 vary.yy: field 'yy' is not declared" in lines[1]
    assert ":6 vary.grade: 'grade' is a string field" in lines[2]
    assert ":7 vary.y.scale: uniform [low, high] needs low <= high" in lines[3]


# --- the command, end to end --------------------------------------------------------------------

def screen(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_writes_reports_and_reruns_identically(tmp_path: Path) -> None:
    spec = spec_file(tmp_path, "title: Test scenario\ndraws: 400\nseed: 8\nvary:\n  x: {add: {normal: [0, 1]}}\n")
    args = ["scenarios", str(FIX / "candidates.csv"), "--rules", str(FIX / "pack"), "--spec", str(spec),
            "--as-of", "2026-03-01", "--format", "md,csv"]
    first = screen(*args, "--out", str(tmp_path / "one"))
    assert first.returncode == 0, first.stderr
    assert "Test scenario: 400 draws per candidate, seed 8" in first.stdout and "x-floor" in first.stdout
    assert {p.name for p in (tmp_path / "one").iterdir()} == {"scenarios.json", "scenarios.md", "scenarios.csv"}
    screen(*args, "--out", str(tmp_path / "two"))
    for name in ("scenarios.json", "scenarios.md", "scenarios.csv"):
        a = (tmp_path / "one" / name).read_text()
        b = (tmp_path / "two" / name).read_text()
        assert _without_timestamp(a) == _without_timestamp(b), name
    data = json.loads((tmp_path / "one" / "scenarios.json").read_text())
    assert data["run"]["draws"] == 400 and data["run"]["seed"] == 8 and data["run"]["spec_hash"].startswith("sha256:")
    assert [c["id"] for c in data["candidates"]] == ["a", "b", "gap"]
    assert data["candidates"][2]["verdicts"]["incomplete"] == 1.0
    overridden = screen(*args, "--draws", "50", "--seed", "9", "--out", str(tmp_path / "three"))
    assert overridden.returncode == 0, overridden.stderr
    data = json.loads((tmp_path / "three" / "scenarios.json").read_text())
    assert (data["run"]["draws"], data["run"]["seed"], data["candidates"][0]["draws"]) == (50, 9, 50)


def test_cli_bad_spec_exits_2_with_every_problem(tmp_path: Path) -> None:
    result = screen("scenarios", str(FIX / "candidates.csv"), "--rules", str(FIX / "pack"),
                    "--spec", str(BAD / "many_problems.yaml"), "--draws", "0", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "5 problems" in result.stderr
    assert "unknown distribution 'gaussian'" in result.stderr and "--draws" in result.stderr
    assert not (tmp_path / "out").exists()


def test_html_report_has_bars_histogram_floor_and_deciding_rule(tmp_path: Path) -> None:
    from screening.render.scenarios_html import scenarios_html

    # Tokyo's pre-issue-9 floor on a stated irr (rules/japan's floor reads Japan's own flows: test_scenarios_finance.py)
    japan = load_pack(ROOT / "tests" / "fixtures" / "packs" / "stated_irr")
    spec = spec_file(tmp_path, "draws: 500\nseed: 1\nvary:\n  irr: {add: {normal: [0, 0.02]}, source: assumption}\n")
    table = table_from_records([{"id": "thin", "sector": "energy", "location_country": "US", "amount": 1.0e9,
                                 "currency": "USD", "equity": 1.0e7, "loans": 6.0e8, "guarantees": 3.9e8,
                                 "irr": 0.05, "credit_rating": "A", "taiwan_link": False}], japan.input_fields)
    result = run_scenarios(japan.resolve(dt.date(2026, 3, 1)), table.records(), load_spec(spec, japan))
    (c,) = result.candidates
    assert c.floors == {"irr": {"rule": "return-floor", "passes": ">=", "threshold": "min_irr", "value": 0.05}}
    assert c.deciding_rule == "return-floor" and within(c.rules["return-floor"]["fail"], 0.5, 500)
    page = scenarios_html(result)
    assert page.count("<svg") == 2 and "<script" not in page
    assert "floor min_irr = 5.00%" in page and "Fails most often on <b>Projected return clears Tokyo" in page
    assert "assumption" in page and f"{share_text(c.verdicts['eligible'])}" in page


def share_text(value: float) -> str:
    from screening.render.scenarios_out import share
    return share(value)


# --- portfolio rules per draw -------------------------------------------------------------------

PORTFOLIO = load_pack(ROOT / "tests" / "fixtures" / "packs" / "portfolio")


def _portfolio_run(tmp_path: Path, text: str, rows: list[dict[str, object]]):  # noqa: ANN202
    loaded = load_spec(spec_file(tmp_path, text), PORTFOLIO)
    table = table_from_records(rows, PORTFOLIO.input_fields)
    return run_scenarios(PORTFOLIO.resolve(dt.date(2026, 3, 1)), table.records(), loaded)


def test_portfolio_share_within_limits_matches_the_triangle(tmp_path: Path) -> None:
    n = 20_000
    rows = [{"id": "a", "sector": "metals", "amount": 300, "equity": 1, "blocked": False},
            {"id": "b", "sector": "metals", "amount": 300, "equity": 1, "blocked": False},
            {"id": "out", "sector": "metals", "amount": 1.0e+6, "equity": 1, "blocked": True}]  # ineligible: out of scope
    own = _portfolio_run(tmp_path, f"draws: {n}\nseed: 6\nvary:\n  amount: {{scale: {{uniform: [0, 2]}}}}\n", rows)
    # 100 + 300 (U1 + U2) <= 1000  <=>  U1 + U2 <= 3: one minus a triangle of area 1/2 in the square of area 4
    assert own.portfolio is not None and own.portfolio["scope"] == "not_ineligible"
    assert within(own.portfolio["rules"]["ceiling"]["pass"], 0.875, n)
    assert own.portfolio["candidates_in_scope"]["p50"] == 2.0
    shared = _portfolio_run(tmp_path, f"draws: {n}\nseed: 6\nvary:\n  amount: {{scale: {{uniform: [0, 2]}}, shared: true}}\n",
                            rows)
    # one factor for both: 100 + 600 U <= 1000  <=>  U <= 1.5
    assert within(shared.portfolio["rules"]["ceiling"]["pass"], 0.75, n)  # type: ignore[index]
    v = shared.portfolio["verdicts"]  # type: ignore[index]
    assert set(v) == {"within_limits", "over_limits", "incomplete"} and abs(sum(v.values()) - 1) < 1e-12


def test_portfolio_with_a_missing_amount_is_incomplete_in_every_draw(tmp_path: Path) -> None:
    rows = [{"id": "a", "sector": "metals", "amount": 300, "equity": 1, "blocked": False},
            {"id": "gap", "sector": "metals", "equity": 1, "blocked": False}]
    result = _portfolio_run(tmp_path, "draws: 200\nseed: 1\nvary:\n  amount: {scale: {uniform: [0, 2]}}\n", rows)
    assert result.portfolio["rules"]["ceiling"]["missing"] == 1.0  # type: ignore[index]
    assert result.portfolio["verdicts"]["incomplete"] == 1.0  # type: ignore[index]
    assert '"portfolio"' in render_scenarios_json(result)


def test_portfolio_in_every_report(tmp_path: Path) -> None:
    from screening.render.scenarios_html import scenarios_html
    from screening.render.scenarios_out import scenarios_csv, scenarios_markdown

    rows = [{"id": "a", "sector": "metals", "amount": 300, "equity": 1, "blocked": False}]
    result = _portfolio_run(tmp_path, "draws: 100\nseed: 1\nvary:\n  amount: {scale: {uniform: [0, 4]}}\n", rows)
    line = "Package (not_ineligible candidates): within limits in"
    assert line in scenarios_markdown(result) and line in scenarios_html(result)
    assert "*portfolio*,rule,ceiling,fail," in scenarios_csv(result)


def test_bundled_spec_runs_on_the_first_wave_and_shortlist() -> None:
    japan = load_pack(ROOT / "rules" / "japan")
    loaded = load_spec(ROOT / "candidates" / "first_wave_scenarios.yaml", japan)
    assert loaded.spec.draws == 10_000 and all(v.source for v in loaded.spec.streams().values())
    from screening.candidates import read_candidates
    records = [r for name in ("first_wave.csv", "shortlist.csv")
               for r in read_candidates(ROOT / "candidates" / name, japan.input_fields).records()]
    hook = fields = None
    if getattr(japan, "finance", None) is not None:
        from screening.finance.flows import read_cashflows
        from screening.scenarios.finance import DrawFinance
        flows_file = ROOT / "candidates" / "first_wave_cashflows.csv"
        flows = read_cashflows(flows_file, [str(r["id"]) for r in records]) if flows_file.exists() else None
        hook = DrawFinance(japan.resolve(dt.date(2026, 3, 1)), [str(r["id"]) for r in records], flows)
        fields = list(hook.fields)
    result = run_scenarios(japan.resolve(dt.date(2026, 3, 1)), records, loaded, draws=200, finance=hook,
                           finance_fields=fields or ())
    assert [c.id for c in result.candidates][:3] == ["ohio-gas-9gw", "texas-gulflink-crude", "georgia-synthetic-diamond"]
    assert all(abs(sum(c.verdicts.values()) - 1) < 1e-12 for c in result.candidates)
