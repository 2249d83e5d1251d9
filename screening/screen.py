"""The screening pipeline: pack + candidates -> engine -> outcome records.

This is the library's front door; the CLI and the tests call it. Data moves one way:
:func:`screen_table` derives fields, asks an engine for outcomes, and builds the records.
"""

from __future__ import annotations

import datetime as dt
import platform
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from screening import __version__
from screening.candidates import CandidateTable, candidates_hash, read_candidates
from screening.columns import misspelt_columns
from screening.engines import decide_codes
from screening.engines.vector import with_derived_frame
from screening.engines.vector_columns import to_array, typed_column
from screening.errors import InputError
from screening.finance.compute import finance_frame
from screening.finance.flows import CashFlows, ListPlace, read_cashflows
from screening.finance.names import FINANCE_FIELDS
from screening.outcomes import GENERAL_FIXES_MAX_ROWS, RunResult, now_utc, parameters_in_force
from screening.pack.compiled import ResolvedPack, RulePack
from screening.portfolio import evaluate_portfolio_frame
from screening.rejects import row_unit
from screening.trace import FLOW_NAMES, VERDICTS, Trace, field_kinds

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
                 warnings: Sequence[str] = (), flow_fields: Sequence[str] = (),
                 cashflows: CashFlows | None = None, portfolio: bool = True,
                 general_fixes: bool | None = None) -> RunResult:
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
        warnings: what the reports should say about the list (``run.warnings``; absent when none).
        cashflows: flows from a ``--cashflows`` file (CONTRACT §9); other candidates use profile fields.
        portfolio: decide the portfolio rules over ``table`` (False for one chunk of a longer list).
        general_fixes: search fixes through derived fields and remedies (default: for short lists).
    """
    report = progress or (lambda phase, done, total: None)
    warnings = list(warnings)
    if flow_fields and flow_values is not None:
        table, disagree = with_flow_dates(table, flow_values, flow_fields)
        warnings += disagree
    total = len(table.frame)
    report("deriving fields", 0, total)
    frame = with_derived_frame(resolved, candidate_frame(resolved, table, flow_values))
    place = ListPlace(table.source, table.rows, row_unit(table.source))
    frame, finance = finance_frame(resolved, frame, cashflows, flow_values, place)  # CONTRACT §9: finance columns, once per run
    report("deriving fields", total, total)
    chosen = choose_engine(engine, total)
    report(f"deciding ({chosen})", 0, total)
    codes = decide_codes(chosen, resolved, frame)
    report(f"deciding ({chosen})", total, total)
    trace = Trace(resolved, frame, codes, table.frame, np.asarray(table.rows, dtype=np.int64), chosen)
    decided = (evaluate_portfolio_frame(resolved, frame, [VERDICTS[v] for v in trace.verdicts.tolist()])
               if portfolio else None)
    pack = resolved.pack
    run = {
        "pack": pack.name, "pack_version": pack.version, "pack_title": pack.title, "pack_hash": pack.hash,
        "pack_lineage": pack.lineage, "candidates": candidates_label or table.source,
        "candidates_hash": candidates_digest, "as_of": resolved.as_of.isoformat(), "engine": engine_label(chosen),
        "tool_version": __version__, "started_at": now_utc(), "rules": len(pack.rules), "label": pack.label,
        "parameters": parameters_in_force(resolved),
    }
    if flow_fields and flow_values is not None:
        run["read_from_flow"] = list(flow_fields)
    if cashflows is not None:
        run["cashflows"] = Path(cashflows.source).name
        run["cashflows_hash"] = cashflows.digest
    if warnings:
        run["warnings"] = list(warnings)
    if general_fixes is None:
        general_fixes = total <= GENERAL_FIXES_MAX_ROWS
    return RunResult(run=run, portfolio=decided, trace=trace, general_fixes=general_fixes, finance=finance)  # type: ignore[arg-type]


def with_flow_dates(table: CandidateTable, flow_values: Mapping[str, Mapping[str, object]],
                    names: Sequence[str]) -> tuple[CandidateTable, list[str]]:
    """The list with its stage dates (``selected_on``, ``funded_on``…) taken from the flow record.

    With ``--db`` the record is the one source for the dates it keeps: a candidate it has no
    such event for has the date missing, whatever the list says. Where the list says otherwise,
    a warning names the row, the list's value and the record's.
    """
    import dataclasses
    frame = table.frame.copy()
    ids = [str(i) for i in frame["id"].tolist()]
    warnings = []
    for name in names:
        listed = frame[name].tolist() if name in frame.columns else [None] * len(frame)
        recorded = [flow_values.get(i, {}).get(name) for i in ids]
        for row, cid, a, b in zip(table.rows, ids, listed, recorded):
            a = None if a is None or a is pd.NA else a
            if a is not None and a != b:
                warnings.append(f"{Path(table.source).name} row {row} ({cid}): {name} is {a} in the list but "
                                f"{b or 'not recorded'} in the approval-flow record; the record is used")
        frame[name] = pd.Series(recorded, index=frame.index, dtype=object)
    return dataclasses.replace(table, frame=frame, _records=None), warnings


def candidate_frame(resolved: ResolvedPack, table: CandidateTable,
                    flow_values: Mapping[str, Mapping[str, object]] | None = None) -> pd.DataFrame:
    """The columns rules read, typed for the evaluator: every input field of the pack (dates as
    ``Int64`` day ordinals) and the flow's ``stage``, ``stage_since`` and ``deadline``."""
    kinds = field_kinds(resolved)
    length = len(table.frame)
    ids = table.frame["id"].tolist() if flow_values is not None else []
    columns: dict[str, object] = {}
    for name, kind in kinds.items():
        field = resolved.pack.fields.get(name)
        if (field is not None and field.is_derived) or name in getattr(resolved.pack, "tables", {}):
            continue  # computed after: derived fields and tables, then the finance fields
        if field is None and name in FINANCE_FIELDS:
            continue
        if name in FLOW_NAMES:
            values = [flow_values.get(str(i), {}).get(name) for i in ids] if flow_values is not None else [None] * length
            columns[name] = to_array(typed_column(values, kind), length)
        elif kind == "date":
            values = table.frame[name].tolist() if name in table.frame.columns else [None] * length
            columns[name] = pd.array([None if v is None or v is pd.NA else v.toordinal() for v in values], dtype="Int64")  # type: ignore[union-attr]
        elif name in table.frame.columns:
            columns[name] = table.frame[name]
        else:
            columns[name] = to_array(typed_column([None] * length, kind), length)
    return pd.DataFrame({k: pd.Series(v, index=pd.RangeIndex(length)) if not isinstance(v, pd.Series) else v
                         for k, v in columns.items()}, index=pd.RangeIndex(length))


def screen_file(candidates: str | Path, pack: RulePack, as_of: dt.date, *, engine: str = "auto",
                sheet: str | None = None, flow_values: Mapping[str, Mapping[str, object]] | None = None,
                progress: Callable[[str, int, int], None] | None = None, strict_columns: bool = False,
                skip_bad_rows: bool = False, flow_fields: Sequence[str] = (),
                cashflows: str | Path | None = None) -> RunResult:
    """Read a candidate list and screen it (raises InputError for a bad list or pack).

    ``strict_columns`` makes a column that looks like a misspelt field an error, not a warning.
    ``skip_bad_rows`` screens the rows that read cleanly; the refused ones are in ``result.rejected``.
    ``cashflows``: a cash-flow file for the pack's finance section (CONTRACT §9).
    """
    resolved = pack.resolve(as_of)
    rejected: list = []
    if skip_bad_rows:
        from screening.rejects import read_good_rows
        table, rejected = read_good_rows(candidates, pack.input_fields, sheet=sheet)
    else:
        table = read_candidates(candidates, pack.input_fields, sheet=sheet)
    header_row = 1 if Path(candidates).suffix.lower() in (".csv", ".xlsx") else None
    misspelt = misspelt_columns(table.extra_columns, pack.input_fields, str(candidates), row=header_row)
    if misspelt and strict_columns:
        raise InputError(misspelt)
    warnings = [str(p) for p in misspelt]
    if rejected:
        unit = ("row" if header_row else "record") + ("s" if len(rejected) != 1 else "")
        warnings.append(f"{len(rejected)} {unit} refused and not screened (--skip-bad-rows): see rejected.csv")
    flows = read_cashflows(cashflows, table.ids) if cashflows is not None else None
    result = screen_table(resolved, table, engine=engine, flow_values=flow_values,
                          candidates_label=Path(candidates).name, candidates_digest=candidates_hash(candidates),
                          progress=progress, warnings=warnings, flow_fields=flow_fields, cashflows=flows)
    result.rejected = rejected
    return result
