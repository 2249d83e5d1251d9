"""results.csv: one row per candidate and rule (CONTRACT.md §7)."""

from __future__ import annotations

import csv
import io
from typing import Iterator

from screening.outcomes import RunResult

COLUMNS = ["candidate_id", "rule", "category", "severity", "outcome", "message"]
#: Candidates written together (bounds the rows in flight).
BLOCK = 20_000


def neutralise(text: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (= + - @ at the start)."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def render_csv(result: RunResult) -> str:
    return "".join(csv_parts(result))


def csv_parts(result: RunResult, header: bool = True) -> Iterator[str]:
    """The text of results.csv, in pieces; a traced run is read a rule at a time over columns.

    ``header=False`` leaves out the header row (a later chunk of a list screened in chunks).
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    label = result.label
    if header:
        writer.writerow(COLUMNS + ([label] if label else []))  # the pack's label field (name) last, after the contract's
    if result.trace is None:
        names = result.labels()
        for i, c in enumerate(result.candidates):
            named = [neutralise(names[i])] if label else []
            for o in c.outcomes:
                writer.writerow([neutralise(c.id), o.rule, o.category, o.severity, o.outcome, neutralise(o.message),
                                 *named])
        yield buf.getvalue() + _portfolio_rows(result)
        return
    import numpy as np

    from screening.trace import OUTCOMES
    trace, ex = result.trace, result.explainer
    count = len(trace.rules)
    rule_ids = np.array([r.id for r in trace.rules], dtype=object)
    categories = np.array([r.spec.category.value for r in trace.rules], dtype=object)
    severities = np.array([r.spec.severity.value for r in trace.rules], dtype=object)
    outcomes = np.array(OUTCOMES, dtype=object)
    messages = np.empty((len(trace), count), dtype=object)
    for j in range(count):
        messages[:, j] = [neutralise(m) for m in ex.messages(j).tolist()]
    ids = np.array([neutralise(str(i)) for i in trace.frame["id"].tolist()], dtype=object)
    names = np.array([neutralise(n) for n in result.labels()], dtype=object) if label else None
    for start in range(0, len(trace), BLOCK):
        stop = min(start + BLOCK, len(trace))
        size = stop - start
        columns = [np.repeat(ids[start:stop], count).tolist(), np.tile(rule_ids, size).tolist(),
                   np.tile(categories, size).tolist(), np.tile(severities, size).tolist(),
                   outcomes[trace.codes[start:stop].ravel()].tolist(), messages[start:stop].ravel().tolist()]
        if names is not None:
            columns.append(np.repeat(names[start:stop], count).tolist())
        writer.writerows(zip(*columns))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield _portfolio_rows(result)


def _portfolio_rows(result: RunResult) -> str:
    """The list as a whole (CONTRACT.md §10): rows whose candidate_id is ``*portfolio*``."""
    if result.portfolio is None:
        return ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for o in result.portfolio.outcomes:
        writer.writerow(["*portfolio*", o.rule, o.category, o.severity, o.outcome, neutralise(o.message)])
    return buf.getvalue()
