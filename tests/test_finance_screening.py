"""Finance fields in a screening run: the pack section, --cashflows files, results, explain, CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from screening.errors import InputError
from screening.finance.flows import read_cashflows
from screening.pack.load import load_pack
from screening.screen import screen_file

HERE = Path(__file__).parent
FIX = HERE / "fixtures"
PACK = FIX / "packs" / "finance"
LIST = FIX / "finance" / "candidates.csv"
FLOWS = FIX / "finance" / "cashflows.csv"
BAD = FIX / "bad" / "cashflows"
BAD_CASES = [line.split(" | ", 1) for line in (BAD / "expected.txt").read_text().splitlines() if line.strip()]
AS_OF = dt.date(2026, 3, 1)


@pytest.mark.parametrize("name, fragment", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_cashflow_file(name: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_cashflows(BAD / name, ["a", "b"])
    text = str(info.value)
    assert name in text and fragment in text, text


def test_every_bad_cashflow_fixture_is_listed() -> None:
    assert {p.name for p in BAD.iterdir() if p.name != "expected.txt"} == {c[0] for c in BAD_CASES}


def test_all_problems_of_a_cashflow_file_come_together(tmp_path: Path) -> None:
    path = tmp_path / "flows.csv"
    path.write_text("candidate_id,date,invest,cash\nzz,2026-01-01,-1,0\na,2026-02-30,0,x\n")
    with pytest.raises(InputError) as info:
        read_cashflows(path, ["a"])
    assert info.value.count == 4, str(info.value)


def test_flows_file_and_profile_fields_in_one_run() -> None:
    run = screen_file(LIST, load_pack(PACK), AS_OF, cashflows=FLOWS, engine="reference")
    by_id = {c.id: c for c in run.candidates}
    # fromfile: the hand-computed case of tests/test_finance.py (deemed 4% + 0.5% here):
    # 2022: 100 x 1.045 = 104.5, Japan 50 -> 54.5; 2023: 56.9525, half of 200 clears it.
    f = by_id["fromfile"].finance
    assert f["japan_made_whole_on"] == dt.date(2023, 1, 1)
    assert f["project_irr"] == pytest.approx(1.0)
    assert f["japan_multiple"] == pytest.approx((50 + 56.9525 + 0.1 * (200 - 56.9525 * 2)) / 100)
    assert by_id["strong"].verdict == "eligible" and by_id["weak"].verdict == "ineligible"
    assert run.finance.sources == ["profile", "profile", "cashflows"]
    assert run.run["cashflows"] == "cashflows.csv"
    years = run.finance.yearly(2)
    assert [y.balance for y in years] == pytest.approx([100.0, 54.5, 0.0])
    assert [y.made_whole for y in years] == [False, False, True]


def test_engines_agree_on_finance_rules() -> None:
    pack = load_pack(PACK)
    runs = [screen_file(LIST, pack, AS_OF, cashflows=FLOWS, engine=e) for e in ("reference", "durable", "vector")]
    outcomes = [[(c.id, [o.outcome for o in c.outcomes]) for c in r.candidates] for r in runs]
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_cashflows_need_a_finance_section(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text('pack: plain\nversion: "1"\nfields:\n  id: {type: string, required: true}\n')
    with pytest.raises(InputError) as info:
        screen_file(LIST, load_pack(tmp_path), AS_OF, cashflows=FLOWS)
    assert "has no 'finance:' section" in str(info.value)


def test_term_out_of_range_names_the_pack_line(tmp_path: Path) -> None:
    text = (PACK / "pack.yaml").read_text().replace("japan_funding_share: 1.0", "japan_funding_share: 1.5")
    (tmp_path / "pack.yaml").write_text(text)
    with pytest.raises(InputError) as info:
        screen_file(LIST, load_pack(tmp_path), AS_OF, engine="reference")
    assert "pack.yaml:18" in str(info.value) and "finance.japan_funding_share is 1.5" in str(info.value)


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_cli_run_and_explain_show_the_waterfall(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("run", str(LIST), "--rules", str(PACK), "--cashflows", str(FLOWS), "--as-of", "2026-03-01",
               "--out", str(out), "--format", "json,csv,md,html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Japan IRR" in done.stdout and "2023-01-01" in done.stdout
    data = json.loads((out / "results.json").read_text())
    fromfile = [c for c in data["candidates"] if c["id"] == "fromfile"][0]
    assert fromfile["finance"]["japan_made_whole_on"] == "2023-01-01"
    assert set(fromfile["finance"]) == {"project_irr", "japan_irr", "japan_multiple", "japan_made_whole_on",
                                        "us_share_of_cash"}
    html = (out / "results.html").read_text()
    assert "still owed under the 50/50 phase" in html and "<path d=" in html
    assert "made whole 2023-01-01" in html
    done = cli("explain", str(LIST), "--rules", str(PACK), "--cashflows", str(FLOWS), "--id", "fromfile",
               "--as-of", "2026-03-01", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Yearly waterfall of fromfile" in done.stdout and "2023-01-01 *" in done.stdout


def test_cli_bad_cashflows_exit_2_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = cli("run", str(LIST), "--rules", str(PACK), "--cashflows", str(BAD / "negative_invest.csv"),
               "--as-of", "2026-03-01", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2
    assert "row 2, column invest" in done.stderr and "unknown candidate 'a'" in done.stderr
    assert not out.exists()


def test_cli_sweep_recomputes_the_waterfall(tmp_path: Path) -> None:
    # Japan's IRR moves with the deemed rate (a later recovery leaves it more of the 50/50 phase),
    # so the sweep must split the cash again at each spread: the crossing is where japan_irr(d) = d.
    done = cli("sweep", str(LIST), "--rules", str(PACK), "--cashflows", str(FLOWS), "--param", "benchmark",
               "--from", "0", "--to", "0.9", "--as-of", "2026-03-01", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "out" / "sweep.json").read_text())
    strong = [c for c in data["candidates"] if c["id"] == "strong"][0]
    point = strong["breakpoints"][0]["value"]
    from screening.finance.flows import profile_flows
    from screening.finance.loop import waterfall_one
    flows = profile_flows(100.0, 25.0, None, 20, dt.date(2026, 1, 1))
    deemed = point + 0.01  # long tenor: benchmark + 1%
    assert waterfall_one(flows, deemed, 1.0, 0.5, 0.9).japan_irr == pytest.approx(deemed, abs=1e-6)


PROFILE_CASES = [  # (capex, annual_cash, cash_growth, life_years) -> the message's column and words
    ((-5.0, 10.0, None, 20), "capex", "capex -5.0 is negative"),
    ((100.0, -1.0, None, 20), "annual_cash", "annual_cash -1.0 is negative"),
    ((100.0, 10.0, None, 0), "life_years", "life_years 0 is not between 1 and 200"),
    ((100.0, 10.0, None, 201), "life_years", "life_years 201 is not between 1 and 200"),
    ((100.0, 10.0, -1.5, 20), "cash_growth", "cash_growth -1.5 is below -1"),
    ((100.0, 10.0, 100.0, 200), "cash_growth", "cash_growth 100.0 over life_years 200 makes the yearly cash larger"),
]


@pytest.mark.parametrize("values, column, words", PROFILE_CASES, ids=[c[1] + ":" + c[2][:30] for c in PROFILE_CASES])
def test_a_profile_the_waterfall_cannot_use_is_named(values, column: str, words: str) -> None:
    from screening.finance.flows import check_profile
    capex, annual, growth, life = values
    problems = check_profile(["p1"], {"capex": [capex], "annual_cash": [annual], "cash_growth": [growth],
                                      "life_years": [life], "start_on": [dt.date(2026, 1, 1)]})
    assert len(problems) == 1 and problems[0].column == column, problems
    assert "candidate 'p1'" in problems[0].message and words in problems[0].message


def test_a_growth_at_minus_100_percent_or_just_under_the_overflow_is_used() -> None:
    from screening.finance.flows import check_profile
    columns = {"capex": [100.0, 100.0], "annual_cash": [10.0, 1.0], "cash_growth": [-1.0, 30.0],
               "life_years": [20, 200], "start_on": [dt.date(2026, 1, 1)] * 2}
    assert check_profile(["a", "b"], columns) == []


def test_cli_profile_with_an_overflowing_growth_exits_2_naming_row_and_column(tmp_path: Path) -> None:
    rows = LIST.read_text().splitlines()
    header = rows[0].split(",")
    bad = dict(zip(header, rows[1].split(",")))
    bad["cash_growth"] = "100"
    bad["life_years"] = "200"
    path = tmp_path / "list.csv"
    path.write_text("\n".join([rows[0], ",".join(bad[h] for h in header), *rows[2:]]) + "\n")
    out = tmp_path / "out"
    done = cli("run", str(path), "--rules", str(PACK), "--as-of", "2026-03-01", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"candidate '{bad['id']}': cash_growth 100" in done.stderr
    assert "list.csv row 2, column cash_growth" in done.stderr, done.stderr
    assert not out.exists()


def test_a_clean_cashflow_file_read_by_column_equals_the_cell_by_cell_reader(monkeypatch, tmp_path: Path) -> None:
    from screening.finance import flows
    path = tmp_path / "flows.csv"
    path.write_text("candidate_id,date,invest,cash\nb, 2027-01-01 ,,5.5\na,2026-01-01,100,0\nb,2026-06-30,40,\n"
                    "a,2027-01-01,0,1e2\nb,2026-01-01,-0,0.25\n")
    fast = read_cashflows(path, ["a", "b", "c"])
    calls = []
    monkeypatch.setattr(flows, "_read_typed", lambda *args: calls.append(args) or None)
    slow = read_cashflows(path, ["a", "b", "c"])
    assert calls and fast.by_candidate == slow.by_candidate and list(fast.by_candidate) == list(slow.by_candidate)
    assert fast.by_candidate["b"][0] == (dt.date(2026, 1, 1), 0.0, 0.25)
