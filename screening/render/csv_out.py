"""results.csv: one row per candidate and rule (CONTRACT.md §7)."""

from __future__ import annotations

import csv
import io

from screening.outcomes import RunResult

COLUMNS = ["candidate_id", "rule", "category", "severity", "outcome", "message"]


def neutralise(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (= + - @ at the start)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def render_csv(result: RunResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in result.candidates:
        for o in c.outcomes:
            writer.writerow([neutralise(c.id), o.rule, o.category, o.severity, o.outcome, neutralise(o.message)])
    if result.portfolio is not None:  # the list as a whole (CONTRACT.md §10)
        for o in result.portfolio.outcomes:
            writer.writerow(["*portfolio*", o.rule, o.category, o.severity, o.outcome, neutralise(o.message)])
    return buf.getvalue()
