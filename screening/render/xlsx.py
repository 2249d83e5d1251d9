"""results.xlsx: a summary sheet and one row per candidate and rule, with filters and a frozen header.

Every text cell that a spreadsheet would read as a formula (starting with = + - @) is written
with a leading apostrophe, so nothing in a candidate list or a message can run.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from screening.outcomes import RunResult
from screening.render.csv_out import neutralise

HEADER = Font(bold=True)
FILL = PatternFill("solid", fgColor="F4F5F8")


def _safe(value: object) -> object:
    if isinstance(value, str):
        return neutralise(value)
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return neutralise(str(value))


def _sheet(ws, header: list[str], rows: list[list[object]], widths: list[int]) -> None:  # noqa: ANN001
    ws.append(header)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER, FILL
    for row in rows:
        ws.append([_safe(v) for v in row])
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def render_xlsx(result: RunResult) -> bytes:
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    run = result.run
    rows = [[c.id, c.verdict,
             ", ".join(o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"),
             ", ".join(o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing")]
            for c in result.candidates]
    _sheet(summary, ["candidate", "verdict", "failed (blocking)", "missing (blocking)"], rows, [30, 12, 50, 50])
    outcomes = wb.create_sheet("Outcomes")
    detail = [[c.id, o.rule, o.title, o.category, o.severity, o.outcome, o.message, o.fix.text if o.fix else None,
               "; ".join(f"{k}={v}" for k, v in o.values.items()), o.source]
              for c in result.candidates for o in c.outcomes]
    _sheet(outcomes, ["candidate", "rule", "title", "category", "severity", "outcome", "message", "to pass",
                      "values read", "source"], detail, [26, 22, 30, 11, 10, 14, 60, 40, 40, 40])
    info = wb.create_sheet("Run")
    _sheet(info, ["key", "value"], [[k, str(v)] for k, v in run.items() if k != "parameters"], [18, 80])
    params = wb.create_sheet("Parameters")
    _sheet(params, ["parameter", "value", "since", "source"],
           [[k, str(p["value"]), p["since"], p["source"]] for k, p in run.get("parameters", {}).items()],  # type: ignore[union-attr]
           [28, 40, 12, 60])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
