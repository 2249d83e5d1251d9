"""Several connections opening the same new flow record at once all get a usable record.

Switching a new database to WAL (and its first migration) can be refused with "database is
locked" at once, without SQLite's busy handler waiting; before `connect` retried, this made
about 3 in 40 four-way races (and tests/test_flow.py::test_two_processes_apply_at_once, now and
then) fail with exit 2.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from screening.flow.store import SCHEMA_VERSION, connect


def test_four_connections_racing_to_create_a_record(tmp_path: Path) -> None:
    for k in range(40):
        db = tmp_path / f"race{k}.sqlite"
        errors: list[str] = []

        def open_it(db: Path = db, errors: list[str] = errors) -> None:
            try:
                connect(db).close()
            except Exception as exc:  # noqa: BLE001 - the test reports whatever escaped
                errors.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], (k, errors)
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        con.close()
