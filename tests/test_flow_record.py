"""The approval-flow record describes itself (issue 11 item 3): ``flow apply`` stores the pack's name,
hash and flow definition; ``flow status`` / ``history`` work from ``--db`` alone; a different pack
given with ``--rules`` is pointed out; schema 1 records (fixture made by the code before the change)
are migrated forward."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from screening.errors import InputError
from screening.flow.store import SCHEMA_VERSION, apply_events, recorded_flow, status
from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK = ROOT / "rules" / "framework"
EVENTS = ROOT / "candidates" / "first_wave_events.csv"
V1 = Path(__file__).parent / "fixtures" / "flow" / "schema_v1.sqlite"  # made by `flow apply` at schema 1


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def test_apply_stores_pack_and_flow_definition(tmp_path: Path) -> None:
    pack = load_pack(FRAMEWORK)
    db = tmp_path / "flow.sqlite"
    apply_events(pack, EVENTS, db)
    stored = recorded_flow(db)
    assert stored is not None
    assert (stored.pack, stored.pack_version, stored.pack_hash) == (pack.name, pack.version, pack.hash)
    assert stored.flow.start == "proposed" and "funded" in stored.flow.states
    con = sqlite3.connect(db)
    definition = json.loads(con.execute("SELECT definition FROM flow_definitions").fetchone()[0])
    deadline = definition["deadlines"][0]
    assert deadline["parameter"] == "funding_window_days"
    assert deadline["days"] == pack.parameters["funding_window_days"].spec.value
    assert con.execute("SELECT COUNT(*) FROM events WHERE flow_id IS NULL").fetchone()[0] == 0
    apply_events(pack, EVENTS, db)  # the same pack again: no second definition
    assert con.execute("SELECT COUNT(*) FROM flow_definitions").fetchone()[0] == 1
    con.close()


def test_status_and_history_work_from_the_db_alone(tmp_path: Path) -> None:
    db = tmp_path / "flow.sqlite"
    assert cli("flow", "apply", str(EVENTS), "--rules", str(FRAMEWORK), "--db", str(db)).returncode == 0
    with_rules = cli("flow", "status", "--rules", str(FRAMEWORK), "--db", str(db), "--as-of", "2026-03-01")
    alone = cli("flow", "status", "--db", str(db), "--as-of", "2026-03-01", cwd=tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == with_rules.stdout and "ohio-gas-9gw" in alone.stdout and "selected" in alone.stdout
    hist = cli("flow", "history", "--id", "ohio-gas-9gw", "--db", str(db), cwd=tmp_path)
    assert hist.returncode == 0 and "recommend" in hist.stdout


def test_a_different_pack_given_with_rules_is_pointed_out(tmp_path: Path) -> None:
    db = tmp_path / "flow.sqlite"
    assert cli("flow", "apply", str(EVENTS), "--rules", str(FRAMEWORK), "--db", str(db)).returncode == 0
    other = tmp_path / "framework"
    shutil.copytree(FRAMEWORK, other)
    params = other / "parameters.yaml"
    params.write_text(params.read_text() + "\n# edited\n")
    for command in (["status"], ["history", "--id", "ohio-gas-9gw"]):
        proc = cli("flow", *command, "--rules", str(other), "--db", str(db), "--as-of", "2026-03-01") \
            if command == ["status"] else cli("flow", *command, "--rules", str(other), "--db", str(db))
        assert proc.returncode == 0, proc.stderr
        assert "not the pack the record was applied with" in proc.stderr
    same = cli("flow", "status", "--rules", str(FRAMEWORK), "--db", str(db), "--as-of", "2026-03-01")
    assert "not the pack" not in same.stderr


def test_schema_1_record_is_migrated_and_keeps_its_events(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    shutil.copy(V1, db)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    before = con.execute("SELECT event_id, candidate_id, to_stage FROM events ORDER BY seq").fetchall()
    con.close()
    pack = load_pack(FRAMEWORK)
    # without a stored definition, --rules is needed, and the message says so
    with pytest.raises(InputError, match="give --rules"):
        status(None, db, dt.date(2026, 3, 1))
    positions = status(pack, db, dt.date(2026, 3, 1))
    assert {p.candidate_id for p in positions} == {cid for _, cid, _ in before}
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("SELECT event_id, candidate_id, to_stage FROM events ORDER BY seq").fetchall() == before
    con.close()
    # the next apply stores the definition; from then on --db alone is enough
    apply_events(pack, EVENTS, db)
    assert [p.stage for p in status(None, db, dt.date(2026, 3, 1))] == [p.stage for p in positions]
    proc = cli("flow", "status", "--db", str(db), "--as-of", "2026-03-01")
    assert proc.returncode == 0 and "ohio-gas-9gw" in proc.stdout
