"""Determinism (issue 11 item 6): the same inputs give byte-identical results.json, results.csv and
results.md (apart from ``run.started_at``) over 20 reruns in one process and under three
``PYTHONHASHSEED`` values in fresh processes (set iteration order changes with the seed)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_record import record

from screening.pack.load import load_pack
from screening.render import write_outputs
from screening.screen import screen_file

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ["json", "csv", "md"]
INPUTS = [("candidates/first_wave.csv", "rules/framework"), ("candidates/shortlist.csv", "rules/japan"),
          ("candidates/edge_cases.csv", "rules/us")]
RERUNS = 20
SEEDS = ("0", "1", "4242")
_STARTED = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def _reports(out: Path) -> dict[str, bytes]:
    return {fmt: _STARTED.sub(b"<started_at>", (out / f"results.{fmt}").read_bytes()) for fmt in FORMATS}


def _in_process(listing: str, rules: str, out: Path) -> dict[str, bytes]:
    result = screen_file(ROOT / listing, load_pack(ROOT / rules), dt.date(2026, 3, 1))
    write_outputs(result, out, FORMATS)
    return _reports(out)


@pytest.mark.parametrize("listing, rules", INPUTS, ids=[Path(r).name for _, r in INPUTS])
def test_reruns_in_one_process_are_byte_identical(tmp_path: Path, listing: str, rules: str) -> None:
    first = _in_process(listing, rules, tmp_path / "run0")
    assert b"<started_at>" in first["json"]
    for i in range(1, RERUNS):
        assert _in_process(listing, rules, tmp_path / f"run{i}") == first, f"rerun {i} differs"
    record("determinism", "in_process_reruns_compared", RERUNS, add=True)


def test_hash_seeds_give_byte_identical_reports(tmp_path: Path) -> None:
    listing, rules = INPUTS[0]
    reference = _in_process(listing, rules, tmp_path / "reference")
    for seed in SEEDS:
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "screening.cli", "run", listing, "--rules", rules,
                               "--as-of", "2026-03-01", "--out", str(out), "--format", ",".join(FORMATS)],
                              cwd=ROOT, env=env, capture_output=True, timeout=300)
        assert proc.returncode in (0, 1), proc.stderr.decode()[-2000:]
        assert _reports(out) == reference, f"PYTHONHASHSEED={seed} differs"
    record("determinism", "hash_seeds_compared", len(SEEDS))
