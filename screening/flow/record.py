"""The flow definition kept in the approval-flow record, so that the record describes itself.

``flow apply`` stores the pack's name, version and hash and its compiled flow (stages,
transitions with the bodies allowed, deadlines with the day counts in force, and the parameter
each count came from) in the ``flow_definitions`` table; each event row names the definition it
was applied under. ``flow status`` and ``flow history`` then need only ``--db``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from screening.flow.model import Deadline, Flow, Step, compile_flow
from screening.pack.compiled import RulePack


@dataclass(frozen=True)
class RecordedFlow:
    """A flow definition as stored: the pack it came from and the compiled flow."""

    id: int
    pack: str
    pack_version: str
    pack_hash: str
    flow: Flow
    recorded_at: str


def flow_document(pack: RulePack, flow: Flow) -> dict[str, object]:
    """The JSON-ready description of ``flow`` (deterministic: same pack, same text)."""
    sources = {}
    if pack.flow is not None:
        sources = {d.in_: d.days for d in pack.flow.deadlines if isinstance(d.days, str)}
    return {
        "start": flow.start,
        "states": list(flow.states),
        "transitions": [{"event": s.event, "from": s.source, "to": s.target, "by": list(s.bodies)} for s in flow.steps],
        "deadlines": [{"in": d.state, "days": d.days, "then": d.then, "business_days": d.business_days,
                       "parameter": sources.get(d.state)} for d in flow.deadlines],
        "bodies": list(flow.bodies),
    }


def flow_from_document(doc: dict) -> Flow:
    """The :class:`Flow` a stored description stands for."""
    return Flow(
        doc["start"], tuple(doc["states"]),
        tuple(Step(t["event"], t["from"], t["to"], tuple(t["by"])) for t in doc["transitions"]),
        tuple(Deadline(d["in"], int(d["days"]), d["then"], bool(d.get("business_days", False))) for d in doc["deadlines"]),
        tuple(doc["bodies"]),
    )


def store_definition(con: sqlite3.Connection, pack: RulePack) -> int:
    """The id of ``pack``'s flow definition in the record, inserted if not the same as the latest (inside the caller's transaction)."""
    text = json.dumps(flow_document(pack, compile_flow(pack)), sort_keys=True, separators=(",", ":"))
    row = con.execute("SELECT id, pack_hash, definition FROM flow_definitions ORDER BY id DESC LIMIT 1").fetchone()
    if row is not None and row[1] == pack.hash and row[2] == text:
        return int(row[0])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    cur = con.execute("INSERT INTO flow_definitions (pack, pack_version, pack_hash, definition, recorded_at)"
                      " VALUES (?,?,?,?,?)", (pack.name, pack.version, pack.hash, text, now))
    return int(cur.lastrowid)  # type: ignore[arg-type]


def latest_definition(con: sqlite3.Connection) -> RecordedFlow | None:
    """The flow definition the last ``flow apply`` stored, or None (a record older than schema 2)."""
    row = con.execute("SELECT id, pack, pack_version, pack_hash, definition, recorded_at FROM flow_definitions"
                      " ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return RecordedFlow(row[0], row[1], row[2], row[3], flow_from_document(json.loads(row[4])), row[5])
