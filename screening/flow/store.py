"""The approval-flow record: SQLite, append-only, one transaction per applied file.

The database runs in WAL mode with ``synchronous=FULL``; ``apply`` takes the write lock first
(``BEGIN IMMEDIATE``), checks every event of the file against the record and the flow, and
then commits all of them or none. A process killed half-way leaves the file's events all
absent (SQLite rolls the open transaction back). The schema carries a version number
(``PRAGMA user_version``) and :func:`migrate` brings an older database up to date.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from screening.errors import InputError, Problem
from screening.flow.events import Event, read_events
from screening.flow.machine import FlowMachine
from screening.flow.model import Flow, compile_flow
from screening.flow.record import RecordedFlow, latest_definition, store_definition
from screening.pack.compiled import RulePack

DEFAULT_DB = "reports/flow.sqlite"
SCHEMA_VERSION = 2
MIGRATIONS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE events (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id     TEXT NOT NULL UNIQUE,
            candidate_id TEXT NOT NULL,
            event        TEXT NOT NULL,
            date         TEXT NOT NULL,
            by_body      TEXT NOT NULL,
            note         TEXT NOT NULL DEFAULT '',
            from_stage   TEXT NOT NULL,
            to_stage     TEXT NOT NULL,
            pack         TEXT NOT NULL,
            source_file  TEXT NOT NULL,
            source_row   INTEGER NOT NULL,
            applied_at   TEXT NOT NULL)""",
        "CREATE INDEX events_by_candidate ON events (candidate_id, seq)",
        """CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
           BEGIN SELECT RAISE(ABORT, 'the event record is append-only'); END""",
        """CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
           BEGIN SELECT RAISE(ABORT, 'the event record is append-only'); END""",
    ],
    # 2: the record describes itself: the flow definition each event was applied under.
    2: [
        """CREATE TABLE flow_definitions (
            id           INTEGER PRIMARY KEY AUTOINCREMENT,
            pack         TEXT NOT NULL,
            pack_version TEXT NOT NULL,
            pack_hash    TEXT NOT NULL,
            definition   TEXT NOT NULL,
            recorded_at  TEXT NOT NULL)""",
        """CREATE TRIGGER flow_definitions_append_only_update BEFORE UPDATE ON flow_definitions
           BEGIN SELECT RAISE(ABORT, 'the flow definitions are append-only'); END""",
        """CREATE TRIGGER flow_definitions_append_only_delete BEFORE DELETE ON flow_definitions
           BEGIN SELECT RAISE(ABORT, 'the flow definitions are append-only'); END""",
        "ALTER TABLE events ADD COLUMN flow_id INTEGER REFERENCES flow_definitions (id)",
    ],
}


BUSY_SECONDS = 60.0  # how long opening or writing the record waits for another process


def connect(path: str | Path, *, create: bool = True) -> sqlite3.Connection:
    """Open (and migrate) the record; WAL mode, synchronous FULL, a generous busy timeout."""
    p = Path(path)
    if not create and not p.exists():
        raise InputError([Problem("no approval-flow record here; record events with `screen flow apply` first",
                                  file=str(path))])
    p.parent.mkdir(parents=True, exist_ok=True)
    # Two processes opening a new record at once: switching it to WAL (and the first migration)
    # can be refused with "database is locked" at once, without SQLite's busy handler waiting, so
    # the whole opening is retried with a growing pause for as long as the busy timeout.
    deadline = time.monotonic() + BUSY_SECONDS
    pause = 0.02
    while True:
        con = None
        try:
            con = sqlite3.connect(p, timeout=BUSY_SECONDS, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
            migrate(con)
            return con
        except sqlite3.DatabaseError as exc:
            if con is not None:
                con.close()
            locked = isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)
            if not locked or time.monotonic() + pause > deadline:
                raise InputError([Problem(f"not a usable approval-flow record: {exc}", file=str(path))]) from None
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def migrate(con: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION, one numbered step at a time, each in its own transaction."""
    version = con.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(f"schema version {version} is newer than this tool's {SCHEMA_VERSION}")
    while version < SCHEMA_VERSION:
        con.execute("BEGIN IMMEDIATE")
        try:
            current = con.execute("PRAGMA user_version").fetchone()[0]
            if current == version:
                for statement in MIGRATIONS[version + 1]:
                    con.execute(statement)
                con.execute(f"PRAGMA user_version={version + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        version = con.execute("PRAGMA user_version").fetchone()[0]


@dataclass(frozen=True)
class Position:
    """Where a candidate stands on a date."""

    candidate_id: str
    stage: str
    since: dt.date
    deadline: dt.date | None
    lapsed: bool

    def days_left(self, as_of: dt.date) -> int | None:
        return None if self.deadline is None else (self.deadline - as_of).days


def position(flow: Flow, candidate_id: str, stage: str, since: dt.date, as_of: dt.date) -> Position:
    """Apply deadlines: in a deadline's stage past its last day, the candidate is in its ``then`` stage."""
    lapsed = False
    deadline = None
    while True:
        rule = flow.deadline_for(stage)
        if rule is None:
            break
        due = rule.due(since)
        if as_of <= due:
            deadline = due
            break
        stage, since, lapsed = rule.then, due + dt.timedelta(days=1), True
    return Position(candidate_id, stage, since, deadline, lapsed)


def _last(con: sqlite3.Connection) -> dict[str, tuple[str, dt.date]]:
    rows = con.execute("SELECT candidate_id, to_stage, date FROM events ORDER BY seq").fetchall()
    return {cid: (stage, dt.date.fromisoformat(date)) for cid, stage, date in rows}


def apply_events(pack: RulePack, events_path: str | Path, db: str | Path, *, known_ids: Iterable[str] | None = None,
                 partial: bool = False) -> tuple[int, int, list[Problem]]:
    """Record a file of events. Returns (accepted, already recorded, refusals).

    Without ``partial``, any refusal means nothing of the file is recorded (and InputError is
    raised listing every refusal). With ``partial``, the allowed events are recorded and the
    refusals returned.
    """
    flow = compile_flow(pack)
    events = read_events(events_path)
    machine = FlowMachine(flow)
    known = set(known_ids) if known_ids is not None else None
    con = connect(db)
    refusals: list[Problem] = []
    accepted = duplicates = 0
    file = str(events_path)
    try:
        con.execute("BEGIN IMMEDIATE")
        flow_id = store_definition(con, pack)
        state = _last(con)
        recorded = {eid: (cid, ev, date, by, note) for eid, cid, ev, date, by, note in
                    con.execute("SELECT event_id, candidate_id, event, date, by_body, note FROM events")}
        seen_here: dict[str, Event] = {}
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        for e in events:
            def refuse(reason: str, e: Event = e) -> None:
                refusals.append(Problem(f"event '{e.event_id}' ({e.event} of {e.candidate_id}) refused: {reason}",
                                        file=file, row=e.row))
            if e.event_id in recorded or e.event_id in seen_here:
                before = recorded.get(e.event_id) or seen_here[e.event_id].content()
                if tuple(before) == e.content():
                    duplicates += 1
                else:
                    refuse("this event_id is already recorded with other content")
                continue
            if known is not None and e.candidate_id not in known:
                refuse(f"unknown candidate '{e.candidate_id}'")
                continue
            stage, since = state.get(e.candidate_id, (flow.start, None))  # type: ignore[assignment]
            if since is not None and e.date < since:
                refuse(f"date {e.date} is before the candidate's last event ({since})")
                continue
            here = position(flow, e.candidate_id, stage, since or e.date, e.date) if since else None
            current = here.stage if here else stage
            target = machine.next_stage(current, e.event, e.by)
            if target is None:
                reason = machine.why_refused(current, e.event, e.by)
                if here and here.lapsed:
                    reason += f" (its deadline passed: '{stage}' lapsed to '{current}')"
                refuse(reason)
                continue
            con.execute(
                "INSERT INTO events (event_id, candidate_id, event, date, by_body, note, from_stage, to_stage, pack,"
                " source_file, source_row, applied_at, flow_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (e.event_id, e.candidate_id, e.event, e.date.isoformat(), e.by, e.note, current, target, pack.name,
                 Path(file).name, e.row, now, flow_id))
            state[e.candidate_id] = (target, e.date)
            seen_here[e.event_id] = e
            accepted += 1
        if refusals and not partial:
            con.execute("ROLLBACK")
            raise InputError(refusals)
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()
    return accepted, duplicates, refusals


def recorded_flow(db: str | Path) -> RecordedFlow | None:
    """The flow definition stored by the last ``flow apply`` (None for a record made before schema 2)."""
    con = connect(db, create=False)
    try:
        return latest_definition(con)
    finally:
        con.close()


def status(pack: RulePack | None, db: str | Path, as_of: dt.date) -> list[Position]:
    """Every recorded candidate's stage on ``as_of`` (events dated after it are not yet counted).

    The flow is the one stored in the record; a record made before schema 2 holds none, and then
    ``pack``'s flow is used (InputError if no pack is given).
    """
    con = connect(db, create=False)
    try:
        stored = latest_definition(con)
        rows = con.execute("SELECT candidate_id, to_stage, date FROM events WHERE date <= ? ORDER BY seq",
                           (as_of.isoformat(),)).fetchall()
    finally:
        con.close()
    if stored is not None:
        flow = stored.flow
    elif pack is not None:
        flow = compile_flow(pack)
    else:
        raise InputError([Problem("this record was made before flow definitions were stored in it: give --rules "
                                  "PACK (the next `flow apply` stores the definition)", file=str(db))])
    last: dict[str, tuple[str, dt.date]] = {}
    for cid, stage, date in rows:
        last[cid] = (stage, dt.date.fromisoformat(date))
    return [position(flow, cid, stage, since, as_of) for cid, (stage, since) in sorted(last.items())]


def history(db: str | Path, candidate_id: str) -> list[dict[str, object]]:
    """The audit trail of one candidate: every event in the order recorded."""
    con = connect(db, create=False)
    try:
        cur = con.execute("SELECT event_id, event, date, by_body, from_stage, to_stage, note, source_file, source_row,"
                          " applied_at FROM events WHERE candidate_id = ? ORDER BY seq", (candidate_id,))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        con.close()


def flow_date_fields(pack: RulePack) -> list[str]:
    """The pack's date fields the flow records: ``<stage>_on`` for each stage of the flow (``funded_on``…)."""
    if pack.flow is None:
        return []
    flow = compile_flow(pack)
    fields = pack.input_fields
    return [f"{s}_on" for s in flow.states if f"{s}_on" in fields and fields[f"{s}_on"].type.value == "date"]


def stage_values(pack: RulePack, db: str | Path, as_of: dt.date) -> dict[str, dict[str, object]]:
    """For ``screen run --db``: ``stage``, ``stage_since``, ``deadline``, and the day each candidate
    entered each stage as the pack's ``<stage>_on`` date fields (``selected_on``, ``funded_on``…;
    a lapse counts from the day after the deadline)."""
    names = flow_date_fields(pack)
    con = connect(db, create=False)
    try:
        rows = con.execute("SELECT candidate_id, to_stage, date FROM events WHERE date <= ? ORDER BY seq",
                           (as_of.isoformat(),)).fetchall()
    finally:
        con.close()
    entered: dict[str, dict[str, dt.date]] = {}
    for cid, stage, date in rows:
        entered.setdefault(cid, {})[stage] = dt.date.fromisoformat(date)
    out: dict[str, dict[str, object]] = {}
    for p in status(pack, db, as_of):
        days = dict(entered.get(p.candidate_id, {}))
        if p.lapsed:
            days[p.stage] = p.since
        out[p.candidate_id] = {"stage": p.stage, "stage_since": p.since, "deadline": p.deadline,
                               **{name: days.get(name[:-3]) for name in names}}
    return out
