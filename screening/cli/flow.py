"""``screen flow``: record approval-flow events, show where candidates stand, show the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from screening.cli import common as cli
from screening.errors import Problem

flow_app = typer.Typer(no_args_is_help=True, add_completion=False)


@flow_app.command("apply")
def apply_cmd(
    events: Path = typer.Argument(..., help="Events file: CSV or JSON Lines (event_id, candidate_id, event, date, by, note)."),
    rules: Path = typer.Option(..., "--rules", "-r", help="Rule pack with the flow."),
    db: Path = typer.Option(Path("reports/flow.sqlite"), "--db", help="The approval-flow record (SQLite)."),
    candidates: Optional[List[Path]] = typer.Option(None, "--candidates", help="Candidate list(s): ids outside them are refused."),
    partial: bool = typer.Option(False, "--partial", help="Record the allowed events even if others are refused."),
) -> None:
    """Record events. All events of the file are recorded, or none (unless --partial)."""
    from screening.candidates import read_candidates
    from screening.flow.store import apply_events

    pack = cli.load(rules)
    known = None  # type: ignore[var-annotated]
    if candidates:
        known = set()
        for path in candidates:
            known |= set(cli.guarded(lambda p=path: read_candidates(p, pack.input_fields)).ids)  # type: ignore[misc]
    from screening.errors import InputError
    try:
        accepted, duplicates, refusals = apply_events(pack, events, db, known_ids=known, partial=partial)
    except InputError as exc:
        refused = [p for p in exc.problems if "refused" in p.message]
        if refused and not partial:  # all or none: say plainly that nothing of the file was recorded
            raise cli._fail(exc, f"{exc.count} event(s) refused: nothing recorded (all events of a file are "
                                 "recorded or none; --partial records the allowed ones)") from None
        raise cli._fail(exc) from None
    cli.out.print(f"recorded {accepted} event{'s' if accepted != 1 else ''}"
                  + (f", {duplicates} already recorded" if duplicates else "") + f" in {db}")
    if refusals:
        raise cli._fail(refusals, f"{len(refusals)} event(s) refused, the others recorded (--partial)")


def _why_empty(db: Path, date) -> str:  # noqa: ANN001
    """Why ``flow status`` has nothing to show: an empty record, or events all dated later."""
    from screening.flow.store import connect
    con = connect(db, create=False)
    try:
        count, first = con.execute("SELECT COUNT(*), MIN(date) FROM events").fetchone()
    finally:
        con.close()
    if not count:
        return f"nothing to show: {db} holds no events yet (record some with `screen flow apply EVENTS --rules PACK`)"
    return (f"nothing to show on {date.isoformat()}: the {count} event(s) in {db} are all dated later "
            f"(the first on {first}); try --as-of {first}")


def _lapse_rows(pack, db: Path, candidate_id: str, date, before: str) -> list[dict[str, object]]:  # noqa: ANN001
    """A deadline that passed, as an entry of the history (it is not an event anyone recorded)."""
    from screening.flow.store import status
    try:
        here = next((p for p in status(pack, db, date) if p.candidate_id == candidate_id), None)
    except Exception:  # noqa: BLE001 - no flow to read deadlines from: the recorded events are the history
        return []
    if here is None or not here.lapsed:
        return []
    last_day = here.since.fromordinal(here.since.toordinal() - 1)
    return [{"date": here.since.isoformat(), "event": "(deadline passed)", "by_body": "—", "from_stage": before,
             "to_stage": here.stage, "note": f"no allowed event by the deadline, {last_day.isoformat()}",
             "event_id": "—"}]


def _recorded_pack_note(rules: Optional[Path], db: Path) -> object:
    """Load ``--rules`` if given; say so when its hash differs from the pack the record was applied with."""
    from screening.flow.store import recorded_flow

    pack = cli.load(rules) if rules is not None else None
    stored = cli.guarded(lambda: recorded_flow(db))
    if stored is not None:
        cli.out.print(f"flow of pack {stored.pack} {stored.pack_version} ({stored.pack_hash[:19]}…), "
                      f"stored in {db} on {stored.recorded_at[:10]}")
        if pack is not None and pack.hash != stored.pack_hash:
            cli.err.print(f"note: --rules {rules} is pack {pack.name} {pack.version} ({pack.hash[:19]}…), not the "
                          f"pack the record was applied with ({stored.pack} {stored.pack_version}, "
                          f"{stored.pack_hash[:19]}…); showing the record's own flow")
    return pack


@flow_app.command("status")
def status_cmd(
    rules: Optional[Path] = typer.Option(None, "--rules", "-r",
                                         help="Rule pack with the flow (optional: the record stores its flow)."),
    db: Path = typer.Option(Path("reports/flow.sqlite"), "--db", help="The approval-flow record."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date to show (default: today)."),
) -> None:
    """Each candidate's stage, since when, and any deadline with the days left."""
    from rich.table import Table

    from screening.flow.store import status

    date = cli.parse_date(as_of, "--as-of")
    pack = _recorded_pack_note(rules, db)
    positions = cli.guarded(lambda: status(pack, db, date))  # type: ignore[arg-type]
    if not positions:
        cli.out.print(_why_empty(db, date))
        return
    table = Table(title=f"Approval flow on {date.isoformat()}")
    for col in ("candidate", "stage", "since", "deadline", "days left"):
        table.add_column(col)
    for p in positions:
        left = p.days_left(date)
        stage = f"{p.stage} (deadline passed)" if p.lapsed else p.stage
        table.add_row(p.candidate_id, stage, p.since.isoformat(), p.deadline.isoformat() if p.deadline else "—",
                      "—" if left is None else str(left))
    cli.out.print(table)


@flow_app.command("history")
def history_cmd(
    candidate_id: str = typer.Option(..., "--id", help="The candidate."),
    db: Path = typer.Option(Path("reports/flow.sqlite"), "--db", help="The approval-flow record."),
    rules: Optional[Path] = typer.Option(None, "--rules", "-r",
                                         help="Rule pack: checked against the pack the record was applied with."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Show deadlines passed by this date (default: today)."),
) -> None:
    """The audit trail of one candidate: who did what, when, with the note; a lapsed deadline as an entry."""
    from rich.table import Table

    from screening.flow.store import history

    pack = _recorded_pack_note(rules, db)
    rows = cli.guarded(lambda: history(db, candidate_id))
    if not rows:
        raise cli._fail([Problem(f"no events recorded for '{candidate_id}'", file=str(db))])
    rows = rows + _lapse_rows(pack, db, candidate_id, cli.parse_date(as_of, "--as-of"), str(rows[-1]["to_stage"]))
    table = Table(title=f"History of {candidate_id}")
    for col in ("date", "event", "by", "from", "to", "note", "event id"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["date"], r["event"], r["by_body"], r["from_stage"], r["to_stage"], r["note"], r["event_id"])  # type: ignore[arg-type]
    cli.out.print(table)
