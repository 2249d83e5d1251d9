"""results.xlsx: a summary sheet and one row per candidate and rule, with filters and a frozen header.

Sheets: ``Summary`` (one row per candidate: verdict, failed and missing rules, remedy, and every
input column of the list), ``Outcomes`` (one row per candidate and rule), ``Run`` (metadata and
counts by verdict) and ``Parameters`` (values in force). Every sheet has a bold frozen header
row and an auto-filter. A table longer than a sheet allows (1,048,575 rows) continues on
``Outcomes (2)`` and so on. The workbook is streamed (openpyxl's write-only mode).

Nothing in a candidate list or a message can run: text that a spreadsheet would read as a
formula (starting with = + - @) gets a leading apostrophe (:func:`screening.render.csv_out.neutralise`),
so openpyxl stores it as a plain string, never a formula, and it stays inert after a copy-paste
or a CSV export too. Numbers stay numbers.
"""

from __future__ import annotations

import io
from itertools import islice
from typing import Callable, Iterable, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet as Worksheet

from screening.explain import for_people
from screening.outcomes import VERDICTS, CandidateResult, RunResult
from screening.render.csv_out import neutralise

HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F4F5F8")
VERDICT_FILL = {"eligible": PatternFill("solid", fgColor="E5F5EA"),
                "ineligible": PatternFill("solid", fgColor="FDE8E8"),
                "incomplete": PatternFill("solid", fgColor="FFF4D6")}
#: Excel's limit on the characters in one cell.
CELL_LIMIT = 32_767
#: Excel's limit on rows in a sheet, less the header; longer tables continue on "Outcomes (2)" and so on.
SHEET_ROWS = 1_048_575


def safe_cell(value: object) -> object:
    """A value as a cell holds it: numbers and booleans as they are, everything else neutralised text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = neutralise(str(value))
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 1] + "…"


def write_table(wb: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
                widths: Sequence[int], styles: Mapping[int, Callable[[object], dict[str, object]]] | None = None,
                sheet_rows: int = SHEET_ROWS) -> None:
    """One sheet per ``sheet_rows`` rows: ``title``, then ``title (2)``, … (always at least one sheet)."""
    rows = iter(rows)
    part = 1
    while True:
        chunk = list(islice(rows, sheet_rows))
        if chunk or part == 1:
            write_sheet(wb.create_sheet(title if part == 1 else f"{title} ({part})"), header, chunk, widths, styles)
        if len(chunk) < sheet_rows:
            return
        part += 1


def write_sheet(ws: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int],
                styles: Mapping[int, Callable[[object], dict[str, object]]] | None = None) -> None:
    """Header row (bold, filled, frozen), the rows as inert cells, column widths and an auto-filter.

    ``styles`` maps a 0-based column to a function giving cell attributes (``fill``,
    ``alignment``) for a value. The sheet is write-only (streamed): set everything before rows.
    """
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    head = []
    for name in header:
        cell = WriteOnlyCell(ws, value=safe_cell(name))
        cell.font, cell.fill = HEADER, HEADER_FILL
        head.append(cell)
    ws.append(head)
    count = 0
    for row in rows:
        values = [safe_cell(v) for v in row]
        for col, style in (styles or {}).items():
            cell = WriteOnlyCell(ws, value=values[col])
            for attr, setting in style(values[col]).items():
                setattr(cell, attr, setting)
            values[col] = cell
        ws.append(values)
        count += 1
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{count + 1}"


def _rules(c: CandidateResult, severity: str, outcomes: tuple[str, ...]) -> str:
    return ", ".join(o.rule for o in c.outcomes if o.severity == severity and o.outcome in outcomes)


def _cell_value(value: object) -> object:
    """Numbers stay numbers (a spreadsheet can sum them); everything else as a person reads it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return for_people(value)


def render_xlsx(result: RunResult) -> bytes:
    """The workbook as bytes (nothing written to disk here)."""
    wb = Workbook(write_only=True)
    label = result.label
    input_columns = list(dict.fromkeys(k for c in result.candidates for k in c.inputs if k not in ("id", label)))
    named = [label] if label else []  # the candidate's name next to its id; the kept columns follow
    rows = [[c.id, *(c.inputs.get(k) for k in named), c.verdict, _rules(c, "blocking", ("fail",)), _rules(c, "blocking", ("missing",)),
             _rules(c, "advisory", ("fail", "missing")), c.remedy.text if c.remedy else None, c.row,
             *(c.inputs.get(k) for k in input_columns)]
            for c in result.candidates]
    write_table(wb, "Summary", ["candidate", *named, "verdict", "failed (blocking)", "missing (blocking)",
                                "advisories", "to become eligible", "row", *input_columns], rows,
                [28, *(40 for _ in named), 12, 32, 32, 32, 50, 6, *(18 for _ in input_columns)],
                styles={1 + len(named): lambda verdict: {"fill": VERDICT_FILL.get(str(verdict), HEADER_FILL)}})

    detail = ([c.id, c.verdict, o.rule, o.title, o.category, o.severity, o.outcome, o.message,
               o.fix.text if o.fix else None, "; ".join(f"{k} = {for_people(v)}" for k, v in o.values.items()), o.source]
              for c in result.candidates for o in c.outcomes)
    write_table(wb, "Outcomes", ["candidate", "verdict", "rule", "title", "category", "severity", "outcome",
                                 "message", "to pass", "values read", "source"],
                detail, [26, 12, 22, 30, 11, 10, 14, 60, 40, 40, 40])

    if result.portfolio is not None:  # rows in the shape of a candidate's, candidate "*portfolio*"
        p = result.portfolio
        write_table(wb, "Portfolio", ["candidate", "verdict", "rule", "title", "category", "severity", "outcome",
                                      "message", "values read", "source"],
                    (["*portfolio*", p.verdict, o.rule, o.title, o.category, o.severity, o.outcome, o.message,
                      "; ".join(f"{k} = {for_people(v)}" for k, v in o.values.items()), o.source] for o in p.outcomes),
                    [14, 14, 22, 30, 11, 10, 14, 70, 50, 40])

    run = result.run
    info = wb.create_sheet("Run")
    info_rows: list[list[object]] = [[k, v if isinstance(v, (int, float)) else str(v)]
                                     for k, v in run.items() if k not in ("parameters", "warnings")]
    info_rows += [["warning", w] for w in run.get("warnings") or ()]  # type: ignore[attr-defined, union-attr]
    info_rows += [[f"candidates {v}", result.summary[v]] for v in VERDICTS] + [["candidates", len(result.candidates)]]
    if result.portfolio is not None:
        info_rows += [["portfolio verdict", result.portfolio.verdict], ["portfolio scope", result.portfolio.scope],
                      ["portfolio candidates", result.portfolio.candidates]]
    write_sheet(info, ["key", "value"], info_rows, [22, 90])

    params = wb.create_sheet("Parameters")
    in_force = run.get("parameters")
    rows_in_force = [[k, _cell_value(p["value"]), p["since"], p["source"]]
                     for k, p in (in_force.items() if isinstance(in_force, dict) else [])]
    write_sheet(params, ["parameter", "value", "since", "source"], rows_in_force, [28, 50, 12, 80])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

