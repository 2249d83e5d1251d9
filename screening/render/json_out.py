"""results.json (CONTRACT.md §7): deterministic apart from ``run.started_at``.

The run header and summary are indented for reading; each candidate is one compact line, which
keeps the file diff-friendly. A traced run is written a rule at a time: each rule's outcomes
are encoded over the whole column (messages, values read, fixes) and the candidate lines are
joined from those pieces, so no per-candidate records are built. :func:`json_parts` yields the
text in pieces, for writing to a file as it is made.
"""

from __future__ import annotations

import json
from typing import Iterator

from screening.outcomes import RunResult

_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
#: Candidates encoded together (bounds the memory of the pieces in flight). Measured on 25,000
#: rows under rules/framework: 20,000 a block peaked at 1.0 GB and took 3.2 s; 1,000 a block,
#: 0.31 GB and 1.5 s (smaller pieces stay in cache and are freed sooner; per-block work is a few
#: numpy operations per rule).
BLOCK = 1_000


def render_json(result: RunResult) -> str:
    return "".join(json_parts(result))


def json_parts(result: RunResult) -> Iterator[str]:
    """The text of results.json, in pieces."""
    top: dict[str, object] = {"run": result.run, "summary": result.summary}
    if result.portfolio is not None:
        top["portfolio"] = result.portfolio.as_dict()
    head = json.dumps(top, indent=2, ensure_ascii=False)
    yield head[:-2] + ",\n" + '  "candidates": [\n'
    if result.trace is None:
        lines = [f"    {_encode(c.as_dict())}" for c in result.candidates]
        if lines:
            yield ",\n".join(lines) + "\n"
    else:
        total = len(result.trace)
        for start in range(0, total, BLOCK):
            stop = min(start + BLOCK, total)
            lines = candidate_lines(result, start, stop)
            yield ",\n".join(lines) + (",\n" if stop < total else "\n")
    yield "  ]\n}\n"


def candidate_lines(result: RunResult, start: int, stop: int) -> list[str]:
    """The JSON lines of candidates ``start`` to ``stop`` of a traced run, built per rule over columns."""
    import numpy as np

    from screening.candidates import column_values
    from screening.explain_columns import encode_values
    from screening.trace import OUTCOMES, VERDICTS

    trace, ex = result.trace, result.explainer
    assert trace is not None
    idx = np.arange(start, stop)
    count = stop - start
    columns: list[list[str]] = []  # per rule: outcome heads, messages, values, fix + source; joined once per candidate
    for j, rule in enumerate(trace.rules):
        head = (f'{", " if j else ""}{{"rule": {_encode(rule.id)}, "title": {_encode(rule.spec.title)}, '
                f'"category": {_encode(rule.spec.category.value)}, "severity": {_encode(rule.spec.severity.value)}, '
                f'"outcome": ')
        heads = np.array([head + _encode(o) + ', "message": ' for o in OUTCOMES], dtype=object)
        tail = f', "source": {_encode(rule.spec.source)}}}'
        fix_text = np.full(count, ', "fix": null' + tail, dtype=object)
        fixes = ex.fixes(j)
        if fixes:  # looked up by row: a block costs its own rows, not every fix of the list
            for i in range(start, stop):
                fix = fixes.get(i)
                if fix is not None:
                    fix_text[i - start] = ', "fix": ' + _encode(fix.as_dict()) + tail
        columns.append(heads[trace.codes[start:stop, j]].tolist())
        columns.append(encode_values(ex.messages(j)[start:stop].tolist()))
        columns.append((', "values": ' + ex.values_json(j, idx)).tolist())
        columns.append(fix_text.tolist())
    inputs = column_values(trace.inputs.iloc[start:stop])
    fields = np.full(count, '"inputs": {', dtype=object)
    for k, (name, values) in enumerate(inputs.items()):
        fields = fields + ((", " if k else "") + _encode(name) + ": ") + np.array(encode_values(values), dtype=object)
    remedies = ex.remedies()
    remedy = np.full(count, '}, "remedy": null', dtype=object)
    for i in range(start, stop) if remedies else ():
        found = remedies.get(i)
        if found is not None:
            remedy[i - start] = '}, "remedy": ' + _encode(found.as_dict())  # type: ignore[attr-defined]
    remedy = remedy + finance_text(trace, start, stop) + ', "outcomes": ['

    ids = np.array(encode_values([str(v) for v in trace.frame["id"].iloc[start:stop].tolist()]), dtype=object)
    verdicts = np.array([f', "verdict": "{v}", "row": ' for v in VERDICTS], dtype=object)[trace.verdicts[start:stop]]
    rows = np.array([str(r) + ", " for r in trace.row_numbers[start:stop].tolist()], dtype=object)
    heads = '    {"id": ' + ids + verdicts + rows + fields + remedy
    return ["".join((h, *pieces, "]}")) for h, pieces in zip(heads.tolist(), zip(*columns))]


def finance_text(trace, start: int, stop: int):  # noqa: ANN001, ANN201 - Trace -> numpy object array
    """``, "finance": {...}`` per candidate (CONTRACT §9), or nothing without a finance section.

    Built a field at a time over the column (as :func:`screening.outcomes.finance_values` reads
    each candidate's fields: dates from their ordinals, numbers as floats, missing as null).
    """
    import datetime as dt

    import numpy as np

    from screening.explain_columns import encode_values
    from screening.finance.names import FINANCE_FIELDS
    from screening.outcomes import pd_NA

    if trace.resolved.pack.finance is None:
        return ""
    na = pd_NA()
    text = np.full(stop - start, ', "finance": {', dtype=object)
    for k, (name, kind) in enumerate(FINANCE_FIELDS.items()):
        raw = trace.frame[name].iloc[start:stop].tolist()
        values: list[object]
        if kind == "date":
            values = [None if v is None or v is na else dt.date.fromordinal(int(v)).isoformat() for v in raw]
        else:
            values = [None if v is None or v is na else float(v) for v in raw]
        text = text + ((", " if k else "") + _encode(name) + ": ") + np.array(encode_values(values), dtype=object)
    return text + "}"

