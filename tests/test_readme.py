"""Docs that run: the README's two commands are what CI and a newcomer actually run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```bash\n(.*?)\n```", README, re.S)


def test_readme_starts_with_two_commands() -> None:
    assert README.index("```bash") < 200, "the two commands come first"
    setup_and_run, setup_and_test = BLOCKS[0], BLOCKS[1]
    # the main job: the first wave under Tokyo's position, whose floor reads Japan's own flows (issue 9)
    assert ("screen run candidates/first_wave.csv --rules rules/japan --cashflows candidates/first_wave_cashflows.csv"
            in setup_and_run)
    assert "pip install" in setup_and_run and "pip install" in setup_and_test


def test_ci_runs_the_readme_test_command() -> None:
    test_command = BLOCKS[1].split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci, f"{test_command!r} is not what .ci/run runs"


def test_readme_demo_runs(tmp_path: Path) -> None:
    screen_part = BLOCKS[0].split("&&")[-1].strip()
    args = screen_part.split()[1:]  # drop the console-script name; run the module instead
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", *args, "--out", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "ohio-gas-9gw" in done.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    assert [c["id"] for c in data["candidates"]] == ["ohio-gas-9gw", "texas-gulflink-crude", "georgia-synthetic-diamond"]
    # the verdicts rest on Japan's own return under the waterfall, as the README's paragraph says
    verdicts = {c["id"]: c["verdict"] for c in data["candidates"]}
    assert verdicts == {"ohio-gas-9gw": "ineligible", "texas-gulflink-crude": "ineligible",
                        "georgia-synthetic-diamond": "incomplete"}
    japan_irr = {c["id"]: round(c["finance"]["japan_irr"], 3) for c in data["candidates"]}
    assert japan_irr == {"ohio-gas-9gw": 0.025, "texas-gulflink-crude": 0.007, "georgia-synthetic-diamond": 0.051}
    floors = {c["id"]: next(o["outcome"] for o in c["outcomes"] if o["rule"] == "return-floor")
              for c in data["candidates"]}
    assert floors == {"ohio-gas-9gw": "fail", "texas-gulflink-crude": "fail", "georgia-synthetic-diamond": "pass"}
    assert "Japan" in done.stdout and "IRR" in done.stdout
