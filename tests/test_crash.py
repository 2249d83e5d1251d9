"""Crash safety, measured (issue 11 item 5).

* Reports: a process writing a large report (the code ``screen run`` uses) is killed with
  SIGKILL at random moments of its write; every report file is then byte-identical to the old
  run's or to the new run's, never torn. Most trials fork the test process after screening (the
  write is what is at risk, and a fork skips the imports); a few kill a real ``screen run``
  subprocess once its temporary files appear.
* The flow record: ``flow apply`` of a file is killed at random moments over 50 trials, on a
  copy of a record that already holds committed events: the record passes SQLite's integrity
  check, keeps every committed event, and holds all of the file's events or none.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_record import record

from screening.flow.store import apply_events
from screening.pack.load import load_pack
from screening.render import write_outputs
from screening.screen import screen_file

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "rules" / "framework"
FORMATS = ["json", "csv", "md"]
REPORT_TRIALS = 20
CLI_TRIALS = 2
FLOW_TRIALS = 50

_STARTED = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")


def _synthetic(path: Path, rows: int, seed: int) -> Path:
    subprocess.run([sys.executable, str(ROOT / "candidates" / "generate.py"), "--rows", str(rows), "--seed", str(seed),
                    "--out", str(path)], check=True, capture_output=True, timeout=120)
    return path


def _in_child(work) -> int:  # noqa: ANN001 - a callable run in a forked child
    """Fork; the child runs ``work`` and exits at once (no cleanup handlers), the parent gets its pid."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            work()
        except BaseException:  # noqa: BLE001 - the parent sees the exit code
            code = 1
        os._exit(code)
    return pid


def _kill_after(pid: int, delay: float) -> bool:
    """SIGKILL ``pid`` after ``delay`` seconds unless it ended; True if it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return True


def _files(out: Path) -> dict[str, bytes]:
    """Each report's bytes, the run's start time blanked (two runs differ only there)."""
    return {f"results.{fmt}": _STARTED.sub(b"", (out / f"results.{fmt}").read_bytes()) for fmt in FORMATS}


def test_sigkill_during_report_write_leaves_old_or_new_files(tmp_path: Path) -> None:
    pack = load_pack(FRAMEWORK)
    listing = _synthetic(tmp_path / "list.csv", 600, 11)
    old_result = screen_file(listing, pack, dt.date(2026, 3, 1))
    new_result = screen_file(_synthetic(tmp_path / "other.csv", 600, 13), pack, dt.date(2026, 3, 1))
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    write_outputs(old_result, old_dir, FORMATS)
    write_outputs(new_result, new_dir, FORMATS)
    old, new = _files(old_dir), _files(new_dir)
    assert all(old[k] != new[k] for k in old) and len(old["results.json"]) > 1_000_000
    start = time.perf_counter()
    write_outputs(new_result, tmp_path / "timing", FORMATS)
    duration = time.perf_counter() - start
    rnd = random.Random(20261203)
    killed = torn = 0
    states: set[tuple[str, ...]] = set()
    for trial in range(REPORT_TRIALS):
        out = tmp_path / f"trial{trial}"
        shutil.copytree(old_dir, out)
        pid = _in_child(lambda out=out: write_outputs(new_result, out, FORMATS))
        killed += _kill_after(pid, rnd.uniform(0.0, duration * 1.2))
        now = _files(out)
        for name, data in now.items():
            torn += data not in (old[name], new[name])
        states.add(tuple("new" if now[n] == new[n] else "old" for n in sorted(now)))
    assert torn == 0
    assert killed >= REPORT_TRIALS // 4, "kills should land during the write"
    record("crash", "report_write_kills", killed)
    record("crash", "report_files_checked", REPORT_TRIALS * len(FORMATS))
    record("crash", "report_torn_files", torn)


def test_sigkill_of_screen_run_subprocess_while_writing(tmp_path: Path) -> None:
    listing = _synthetic(tmp_path / "list.csv", 400, 12)
    other = _synthetic(tmp_path / "other.csv", 400, 14)
    out = tmp_path / "out"
    base = [sys.executable, "-m", "screening.cli", "run", str(listing), "--rules", str(FRAMEWORK), "--out", str(out),
            "--format", ",".join(FORMATS), "--quiet"]
    assert subprocess.run([*base, "--as-of", "2026-03-01"], capture_output=True, timeout=300).returncode in (0, 1)
    old = _files(out)
    newer = tmp_path / "new"
    new_args = [sys.executable, "-m", "screening.cli", "run", str(other), "--rules", str(FRAMEWORK),
                "--format", ",".join(FORMATS), "--quiet", "--as-of", "2026-03-01"]
    assert subprocess.run([*new_args, "--out", str(newer)], capture_output=True, timeout=300).returncode in (0, 1)
    new = _files(newer)
    rnd = random.Random(7)
    killed = 0
    for _ in range(CLI_TRIALS):
        proc = subprocess.Popen([*new_args, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and not any(p.name.endswith(".tmp") for p in out.iterdir()):
            time.sleep(0.001)
        time.sleep(rnd.uniform(0.0, 0.05))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        for name, data in _files(out).items():
            assert data in (old[name], new[name]), f"{name} is torn"
        old = _files(out)  # what is there now is the "old" of the next trial
        for stray in out.glob(".*.tmp"):  # a killed writer leaves its hidden temporary file behind
            stray.unlink()
    assert killed >= 1
    record("crash", "screen_run_kills", killed)


def _write_events(path: Path, prefix: str, n: int) -> int:
    steps = [("consult", "consultation_committee"), ("recommend", "investment_committee"), ("select", "president")]
    lines = ["event_id,candidate_id,event,date,by,note"]
    for i in range(n):
        lines += [f"{prefix}{i}-{event},{prefix}{i},{event},2026-02-17,{body}," for event, body in steps]
    path.write_text("\n".join(lines) + "\n")
    return n * len(steps)


def _events(db: Path) -> set[str]:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in con.execute("SELECT event_id FROM events")}
    finally:
        con.close()


def test_flow_record_survives_sigkill_mid_apply(tmp_path: Path) -> None:
    pack = load_pack(FRAMEWORK)
    base_db = tmp_path / "base.sqlite"
    _write_events(tmp_path / "committed.csv", "c", 200)
    apply_events(pack, tmp_path / "committed.csv", base_db)
    committed = _events(base_db)
    new_file = tmp_path / "new.csv"
    total = _write_events(new_file, "n", 400)
    timing = tmp_path / "timing.sqlite"
    shutil.copy(base_db, timing)
    start = time.perf_counter()
    apply_events(pack, new_file, timing)
    duration = time.perf_counter() - start
    rnd = random.Random(50)
    outcomes = {"none": 0, "all": 0}
    killed = 0
    for trial in range(FLOW_TRIALS):
        db = tmp_path / f"trial{trial}.sqlite"
        shutil.copy(base_db, db)
        pid = _in_child(lambda db=db: apply_events(pack, new_file, db))
        killed += _kill_after(pid, rnd.uniform(0.0, duration * 1.1))
        events = _events(db)
        assert committed <= events, f"trial {trial}: a committed event was lost"
        added = len(events) - len(committed)
        assert added in (0, total), f"trial {trial}: {added} of {total} events recorded after SIGKILL"
        outcomes["all" if added else "none"] += 1
    assert killed >= FLOW_TRIALS // 4 and outcomes["none"] >= 1, (killed, outcomes)
    record("crash", "flow_apply_trials", FLOW_TRIALS)
    record("crash", "flow_apply_kills", killed)
    record("crash", "flow_half_applied", 0)
    record("crash", "flow_committed_events_lost", 0)
