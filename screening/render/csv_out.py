"""results.csv: one row per candidate and rule (CONTRACT.md §7)."""

from __future__ import annotations

import csv
import io
import re
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
    yield buf.getvalue()
    yield from _traced_rows(result)
    yield _portfolio_rows(result)


def _traced_rows(result: RunResult) -> Iterator[str]:
    """The rows of a traced run as text, built over whole columns (no csv.writer call per row).

    Each cell is neutralised and quoted once (:func:`cell`); a row is then the join of four
    pieces — id, the rule's columns with the outcome, the message, the name and newline — laid
    out in an object array of candidates × rules × pieces and joined per block.
    """
    import numpy as np

    from screening.trace import OUTCOMES
    trace, ex = result.trace, result.explainer
    assert trace is not None
    count = len(trace.rules)
    # per rule and outcome code: "rule,category,severity,outcome,"
    rule_parts = np.array([[",".join(cell(x) for x in (r.id, r.spec.category.value, r.spec.severity.value, o)) + ","
                            for o in OUTCOMES] for r in trace.rules], dtype=object).reshape(count, len(OUTCOMES))
    messages = np.empty((len(trace), count), dtype=object)
    for j in range(count):
        messages[:, j] = cells(ex.messages(j).tolist())
    ids = np.array([cell(neutralise(str(i))) + "," for i in trace.frame["id"].tolist()], dtype=object)
    if result.label:
        ends = np.array(["," + cell(neutralise(n)) + "\n" for n in result.labels()], dtype=object)
    else:
        ends = np.full(len(trace), "\n", dtype=object)
    by_rule = np.arange(count)
    for start in range(0, len(trace), BLOCK):
        stop = min(start + BLOCK, len(trace))
        pieces = np.empty((stop - start, count, 4), dtype=object)
        pieces[:, :, 0] = ids[start:stop, None]
        pieces[:, :, 1] = rule_parts[by_rule[None, :], trace.codes[start:stop]]
        pieces[:, :, 2] = messages[start:stop]
        pieces[:, :, 3] = ends[start:stop, None]
        yield "".join(pieces.ravel().tolist())


def _writer_cell(text: str) -> str:
    """``text`` as csv.writer writes it as a field in the middle of a row (the exact rule, any Python)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["", text, ""])
    return buf.getvalue()[1:-2]


#: Characters that may make csv.writer quote a field (a superset, checked by the writer itself).
_SPECIAL = re.compile(r'[,"\x00-\x1f\x7f\x85\u2028\u2029]|^\s|\s$')
#: Of those, what needs the writer to decide; ``,`` and ``"`` alone always quote, doubling ``"``.
_ODD = re.compile(r'[\x00-\x1f\x7f\x85\u2028\u2029]|^\s|\s$')


def cell(text: str) -> str:
    """One text cell as csv.writer (``QUOTE_MINIMAL``, ``lineterminator="\\n"``) writes it mid-row."""
    if not text or _SPECIAL.search(text) is None:
        return text
    if _ODD.search(text) is None:
        return '"' + text.replace('"', '""') + '"'
    return _writer_cell(text)


def cells(messages: list[str]) -> list[str]:
    """Each message neutralised and written as a cell; each distinct message is worked out once."""
    done = {m: cell(neutralise(m)) for m in set(messages)}
    return [done[m] for m in messages]


def _portfolio_rows(result: RunResult) -> str:
    """The list as a whole (CONTRACT.md §10): rows whose candidate_id is ``*portfolio*``."""
    if result.portfolio is None:
        return ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for o in result.portfolio.outcomes:
        writer.writerow(["*portfolio*", o.rule, o.category, o.severity, o.outcome, neutralise(o.message)])
    return buf.getvalue()
