"""Rough edges for negotiators and the secretariat, from the user's side (issue 12 item 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = str(ROOT / "rules/framework")

STATED = str(ROOT / "tests/fixtures/packs/stated_irr")


def screen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "220"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)


def test_compare_says_which_pack_lacks_a_rule_and_writes_xlsx(tmp_path: Path) -> None:
    # the pack with Tokyo's pre-issue-9 floor on the stated IRR: the edge cases state an irr, no cash flows
    out = screen("compare", str(ROOT / "candidates/edge_cases.csv"), "--rules", STATED,
                 "--rules", str(ROOT / "rules/us"), "--as-of", "2026-03-01", "--format", "md,xlsx", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "return-floor: fail under japan-stated-irr; no such rule in us-position" in text
    assert "vs — (" not in text and "— —" not in text
    wb = load_workbook(tmp_path / "reports/out/compare.xlsx")
    assert wb.sheetnames == ["Differences", "Packs", "Verdicts"]
    head = [c.value for c in wb["Differences"][1]]
    assert head[:4] == ["candidate", "verdict japan-stated-irr", "verdict us-position", "rule"]
    rows = [dict(zip(head, (c.value for c in r))) for r in wb["Differences"].iter_rows(min_row=2)]
    thin = next(r for r in rows if r["candidate"] == "edge-thin-return" and r["rule"] == "return-floor")
    assert thin["outcome japan-stated-irr"] == "fail" and thin["outcome us-position"] == "no such rule"


def test_sweep_suggests_the_parameter_meant(tmp_path: Path) -> None:
    out = screen("sweep", str(ROOT / "candidates/edge_cases.csv"), "--rules", str(ROOT / "rules/japan"),
                 "--param", "min_ir", "--from", "0", "--to", "0.1", cwd=tmp_path)
    assert out.returncode == 2 and "did you mean 'min_irr'?" in out.stderr


def test_flow_explains_empty_status_refusals_and_lapses(tmp_path: Path) -> None:
    events = str(ROOT / "candidates/first_wave_events.csv")
    assert screen("flow", "apply", events, "--rules", FRAMEWORK, "--db", "f.sqlite", cwd=tmp_path).returncode == 0
    early = screen("flow", "status", "--rules", FRAMEWORK, "--db", "f.sqlite", "--as-of", "2026-01-01", cwd=tmp_path)
    assert early.returncode == 0
    assert ("nothing to show on 2026-01-01: the 9 event(s) in f.sqlite are all dated later (the first on 2026-02-17)"
            in " ".join(early.stdout.split()))
    (tmp_path / "bad.csv").write_text("event_id,candidate_id,event,date,by,note\n"
                                      "x1,ohio-gas-9gw,fund,2026-03-20,president,wrong body\n"
                                      "x2,texas-gulflink-crude,fund,2026-03-20,japan,fine\n")
    refused = screen("flow", "apply", "bad.csv", "--rules", FRAMEWORK, "--db", "f.sqlite", cwd=tmp_path)
    assert refused.returncode == 2 and "1 event(s) refused: nothing recorded" in " ".join(refused.stderr.split())
    texas = screen("flow", "history", "--id", "texas-gulflink-crude", "--db", "f.sqlite", "--as-of", "2026-03-25",
                   cwd=tmp_path)
    assert "fund" not in texas.stdout  # nothing of bad.csv was recorded
    lapsed = screen("flow", "history", "--id", "ohio-gas-9gw", "--db", "f.sqlite", "--as-of", "2026-04-10",
                    cwd=tmp_path)
    line = next(ln for ln in lapsed.stdout.splitlines() if "deadline passed" in ln)
    assert "2026-04-04" in line and "selected" in line and "lapsed" in line and "2026-04-03" in line
    before = screen("flow", "history", "--id", "ohio-gas-9gw", "--db", "f.sqlite", "--as-of", "2026-03-01",
                    cwd=tmp_path)
    assert "deadline passed" not in before.stdout
