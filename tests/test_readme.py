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
    assert "screen run candidates/first_wave.csv --rules rules/framework" in setup_and_run
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
