"""With --db, rules about approval stages read the flow record, and say so (issue 12 item 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def screen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "220"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)


def test_a_funded_project_is_funded_in_every_rule(tmp_path: Path) -> None:
    framework, us = str(ROOT / "rules/framework"), str(ROOT / "rules/us")
    assert screen("flow", "apply", str(ROOT / "candidates/first_wave_events.csv"), "--rules", framework,
                  "--db", "flow.sqlite", cwd=tmp_path).returncode == 0
    (tmp_path / "fund.csv").write_text("event_id,candidate_id,event,date,by,note\n"
                                       "f1,ohio-gas-9gw,fund,2026-03-20,japan,funded\n")
    assert screen("flow", "apply", "fund.csv", "--rules", framework, "--db", "flow.sqlite", cwd=tmp_path).returncode == 0
    # the list says funded_on for texas, which the record does not have: the record wins, with a warning
    lines = (ROOT / "candidates/first_wave.csv").read_text().splitlines()
    head = lines[0].split(",")
    col = head.index("funded_on")
    rows = []
    for line in lines[1:]:
        import csv
        cells = next(csv.reader([line]))
        if cells[0] == "texas-gulflink-crude":
            cells[col] = "2026-03-01"
        rows.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    (tmp_path / "list.csv").write_text("\n".join([lines[0], *rows]) + "\n")
    out = screen("run", "list.csv", "--rules", us, "--db", "flow.sqlite", "--as-of", "2026-04-10", "--format", "json,md",
                 cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "note: selected_on, funded_on read from the approval-flow record (--db), not from the list" in out.stderr
    assert ("list.csv row 3 (texas-gulflink-crude): funded_on is 2026-03-01 in the list but not recorded in the "
            "approval-flow record; the record is used") in " ".join(out.stderr.split())
    results = json.loads((tmp_path / "reports/out/results.json").read_text())
    assert results["run"]["read_from_flow"] == ["selected_on", "funded_on"]
    ohio = next(c for c in results["candidates"] if c["id"] == "ohio-gas-9gw")
    by_rule = {o["rule"]: o for o in ohio["outcomes"]}
    assert by_rule["still-in-play"]["values"]["stage"] == "funded"
    assert by_rule["funded-within-window"]["outcome"] == "pass"
    assert by_rule["funded-within-window"]["values"]["funded_on"] == "2026-03-20"
    assert "(funded: 2026-03-20" in by_rule["funded-within-window"]["message"]
    assert "False" not in by_rule["funded-within-window"]["message"]  # a yes/no parameter reads false, not False
    assert "read from the approval-flow record" in (tmp_path / "reports/out/results.md").read_text()
    explained = screen("explain", "list.csv", "--rules", us, "--db", "flow.sqlite", "--as-of", "2026-04-10",
                       "--id", "ohio-gas-9gw", cwd=tmp_path)
    assert "funded_on = 2026-03-20 (flow record)" in explained.stdout and "stage = funded (flow record)" in explained.stdout
    # without --db the list is read, as before
    plain = screen("run", "list.csv", "--rules", us, "--as-of", "2026-04-10", "--format", "json", "--out", "plain",
                   cwd=tmp_path)
    texas = next(c for c in json.loads((tmp_path / "plain/results.json").read_text())["candidates"]
                 if c["id"] == "texas-gulflink-crude")
    assert next(o for o in texas["outcomes"] if o["rule"] == "funded-within-window")["values"]["funded_on"] == "2026-03-01"
