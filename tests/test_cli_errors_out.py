"""`--out` that is (or lies under) an existing file: exit 2 with a message, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("command", [
    ["run", "candidates/first_wave.csv", "--rules", "rules/framework"],
    ["compare", "candidates/first_wave.csv", "--rules", "rules/japan", "--rules", "rules/us"],
])
@pytest.mark.parametrize("under", [False, True])
def test_out_that_is_a_file_is_refused(tmp_path: Path, command: list[str], under: bool) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("keep me")
    out = blocker / "reports" if under else blocker
    done = subprocess.run([sys.executable, "-m", "screening.cli", *command, "--out", str(out)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"output folder {out}" in done.stderr and "--out" in done.stderr
    assert blocker.read_text() == "keep me"
