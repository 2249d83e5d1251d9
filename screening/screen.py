"""The screening pipeline: pack + candidates -> engine -> outcome records.

This is the library's front door; the CLI and the tests call it. Data moves one way:
:func:`screen_table` derives fields, asks an engine for outcomes, and builds the records.
"""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import Callable, Mapping

from screening import __version__
from screening.candidates import CandidateTable, candidates_hash, read_candidates
from screening.derive import with_derived
from screening.engines import get_engine
from screening.finance.compute import FinanceTable, compute_finance
from screening.finance.flows import CashFlows, read_cashflows
from screening.outcomes import RunResult, build_results, now_utc, parameters_in_force
from screening.pack.compiled import ResolvedPack, RulePack
from screening.portfolio import evaluate_portfolio

#: Above this many candidates, ``--engine auto`` uses the vectorised backend instead of durable_rules.
AUTO_DURABLE_MAX_ROWS = 20_000


def choose_engine(name: str, rows: int) -> str:
    """``auto`` means durable_rules for ordinary lists and the vector backend for big batches."""
    if name != "auto":
        return name
    return "durable" if rows <= AUTO_DURABLE_MAX_ROWS else "vector"


def engine_label(name: str) -> str:
    """The engine and its version, as recorded in results."""
    if name == "durable":
        try:
            from importlib.metadata import version
            return f"durable_rules {version('durable_rules')}"
        except Exception:  # pragma: no cover - metadata missing in odd installs
            return "durable_rules"
    if name == "vector":
        import pandas as pd
        return f"vector (pandas {pd.__version__})"
    return f"reference (python {platform.python_version()})"


def screen_table(resolved: ResolvedPack, table: CandidateTable, *, engine: str = "auto",
                 flow_values: Mapping[str, Mapping[str, object]] | None = None,
                 candidates_label: str | None = None, candidates_digest: str | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 cashflows: CashFlows | None = None) -> RunResult:
    """Screen every candidate of ``table`` against ``resolved``.

    Args:
        resolved: the pack with its parameters fixed for the screening date.
        table: the typed candidate list.
        engine: ``auto``, ``durable``, ``vector`` or ``reference``.
        flow_values: per candidate id, the approval-flow names (``stage``, ``stage_since``,
            ``deadline``) from a flow record; absent means missing.
        candidates_label: how the list is named in the results (file name).
        candidates_digest: hash of the list's bytes.
        progress: called as ``progress(phase, done, total)`` while working (for progress bars).
        cashflows: flows from a ``--cashflows`` file (CONTRACT §9); others come from profile fields.
    """
    report = progress or (lambda phase, done, total: None)
    records = table.records()
    base = []
    for record in records:
        row = {k: v for k, v in record.items() if k in resolved.pack.fields}
        row.update({"stage": None, "stage_since": None, "deadline": None})
        if flow_values is not None:
            row.update(flow_values.get(str(record.get("id")), {}))
        base.append(row)
    total = len(base)
    report("deriving fields", 0, total)
    rows = with_derived(resolved, base)
    finance = add_finance_fields(resolved, rows, cashflows)
    chosen = choose_engine(engine, len(rows))
    report(f"deciding ({chosen})", 0, total)
    matrix = get_engine(chosen).decide(resolved, rows)
    report("explaining", 0, total)
    results = build_results(resolved, rows, matrix, row_numbers=table.rows, inputs=records,
                            progress=lambda done: report("explaining", done, total))
    if finance is not None:
        for i, candidate in enumerate(results):
            candidate.finance = finance.fields_of(i)
    portfolio = evaluate_portfolio(resolved, rows, results)
    pack = resolved.pack
    run = {
        "pack": pack.name, "pack_version": pack.version, "pack_title": pack.title, "pack_hash": pack.hash,
        "pack_lineage": pack.lineage, "candidates": candidates_label or table.source,
        "candidates_hash": candidates_digest, "as_of": resolved.as_of.isoformat(), "engine": engine_label(chosen),
        "tool_version": __version__, "started_at": now_utc(), "rules": len(pack.rules),
        "parameters": parameters_in_force(resolved),
    }
    if cashflows is not None:
        run["cashflows"] = Path(cashflows.source).name
        run["cashflows_hash"] = cashflows.digest
    return RunResult(run=run, candidates=results, portfolio=portfolio, finance=finance)


def add_finance_fields(resolved: ResolvedPack, rows: list[dict[str, object]],
                       cashflows: CashFlows | None) -> FinanceTable | None:
    """CONTRACT §9: the finance fields, computed once for all candidates (columnar) and added to
    each row before any engine sees it; a value already in a row (a pack test may give one) is kept."""
    finance = compute_finance(resolved, rows, cashflows)
    if finance is not None:
        for name, values in finance.columns.items():
            for row, value in zip(rows, values):
                row.setdefault(name, value)
    return finance


def screen_file(candidates: str | Path, pack: RulePack, as_of: dt.date, *, engine: str = "auto",
                sheet: str | None = None, flow_values: Mapping[str, Mapping[str, object]] | None = None,
                progress: Callable[[str, int, int], None] | None = None,
                cashflows: str | Path | None = None) -> RunResult:
    """Read a candidate list (and a cash-flow file) and screen it (raises InputError for a bad list or pack)."""
    resolved = pack.resolve(as_of)
    table = read_candidates(candidates, pack.input_fields, sheet=sheet)
    flows = read_cashflows(cashflows, table.ids) if cashflows is not None else None
    return screen_table(resolved, table, engine=engine, flow_values=flow_values,
                        candidates_label=Path(candidates).name, candidates_digest=candidates_hash(candidates),
                        progress=progress, cashflows=flows)
