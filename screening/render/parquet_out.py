"""results.parquet (CONTRACT.md §11): one row per candidate and rule, long form.

Columns ``candidate_id, verdict, rule, category, severity, outcome`` are dictionary-encoded
strings, and ``message`` (plain strings) only when asked for. A traced run is written straight
from its outcome matrix: the dictionary indices are the matrix's codes repeated and tiled, so
no per-outcome Python object is made unless messages are wanted. Row groups hold
:data:`BLOCK` candidates. A portfolio's outcomes (CONTRACT.md §10) follow as rows whose
``candidate_id`` is ``*portfolio*`` and whose ``verdict`` is the portfolio's.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np

from screening.outcomes import RunResult
from screening.trace import CODE, OUTCOMES, VERDICTS

COLUMNS = ["candidate_id", "verdict", "rule", "category", "severity", "outcome"]
#: Candidates per row group.
BLOCK = 100_000


def schema(messages: bool):  # noqa: ANN201 - pyarrow.Schema
    import pyarrow as pa
    text = pa.dictionary(pa.int32(), pa.string())
    fields = [pa.field(name, text, nullable=False) for name in COLUMNS]
    if messages:
        fields.append(pa.field("message", pa.string(), nullable=False))
    return pa.schema(fields)


def write_parquet(result: RunResult, fh: BinaryIO, *, messages: bool = False) -> None:
    """Write results.parquet for ``result`` to an open binary file."""
    import pyarrow.parquet as pq

    out_schema = schema(messages)
    with pq.ParquetWriter(fh, out_schema, compression="zstd") as writer:
        for table in _tables(result, messages):
            writer.write_table(table.cast(out_schema))


def _dictionary(indices: np.ndarray, values: list[str]):  # noqa: ANN202
    import pyarrow as pa
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32, copy=False)), pa.array(values, pa.string()))


def _tables(result: RunResult, messages: bool):  # noqa: ANN202 - Iterator[pyarrow.Table]
    import pyarrow as pa

    names = COLUMNS + (["message"] if messages else [])
    if result.trace is not None:
        trace = result.trace
        rules = trace.rules
        count = len(rules)
        rule_ids = [r.id for r in rules]
        categories = sorted({r.spec.category.value for r in rules})
        severities = sorted({r.spec.severity.value for r in rules})
        category_codes = np.array([categories.index(r.spec.category.value) for r in rules], dtype=np.int32)
        severity_codes = np.array([severities.index(r.spec.severity.value) for r in rules], dtype=np.int32)
        ids = trace.frame["id"]
        for start in range(0, len(trace), BLOCK):
            stop = min(start + BLOCK, len(trace))
            size = stop - start
            columns = [
                _dictionary(np.repeat(np.arange(size), count), [str(v) for v in ids.iloc[start:stop].tolist()]),
                _dictionary(np.repeat(trace.verdicts[start:stop], count), list(VERDICTS)),
                _dictionary(np.tile(np.arange(count), size), rule_ids),
                _dictionary(np.tile(category_codes, size), categories),
                _dictionary(np.tile(severity_codes, size), severities),
                _dictionary(trace.codes[start:stop].ravel(), list(OUTCOMES)),
            ]
            if messages:
                ex = result.explainer
                block = np.empty((size, count), dtype=object)
                for j in range(count):
                    block[:, j] = ex.messages(j)[start:stop]
                columns.append(pa.array(block.ravel().tolist(), pa.string()))
            yield pa.Table.from_arrays(columns, names=names)
    else:
        rows = [(c.id, c.verdict, o.rule, o.category, o.severity, o.outcome, o.message)
                for c in result.candidates for o in c.outcomes]
        yield _plain(rows, names)  # type: ignore[arg-type]
    if result.portfolio is not None:
        yield portfolio_table(result.portfolio, messages)


def portfolio_table(p, messages: bool):  # noqa: ANN001, ANN201 - PortfolioResult -> pyarrow.Table
    """The portfolio's outcomes as rows whose ``candidate_id`` is ``*portfolio*`` (CONTRACT.md §10)."""
    names = COLUMNS + (["message"] if messages else [])
    return _plain([("*portfolio*", p.verdict, o.rule, o.category, o.severity, o.outcome, o.message)
                   for o in p.outcomes], names)


def _plain(rows: list[tuple[str, ...]], names: list[str]):  # noqa: ANN202
    import pyarrow as pa
    columns = list(zip(*rows)) if rows else [()] * 7
    arrays = [pa.array(list(col), pa.string()).dictionary_encode() for col in columns[:6]]
    if len(names) == 7:
        arrays.append(pa.array(list(columns[6]), pa.string()))
    return pa.Table.from_arrays(arrays, names=names)


__all__ = ["BLOCK", "CODE", "COLUMNS", "portfolio_table", "schema", "tables", "write_parquet"]
tables = _tables
