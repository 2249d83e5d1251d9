"""A long list screened in chunks, so that memory does not grow with the list (CONTRACT.md §11).

``screen run`` of a CSV or Parquet list longer than ``--chunk-rows`` (and than the 5,000
candidates below which fixes search derived fields and remedies) into JSON, CSV and/or Parquet
goes through :func:`screen_in_chunks`: each chunk is read, typed, derived, decided by the vector
backend and explained exactly as a whole list would be, and its rows are appended to temporary
files (:class:`screening.render.chunked.ChunkWriters`). What depends on the whole list is
gathered as it goes — verdict and rule counts, the portfolio aggregates as exact partial sums,
the ids in the portfolio's scope (in a file), a 64-bit hash per candidate id for duplicate
ids across chunks. Every problem of every chunk is collected; if there is any, nothing is
renamed into place and the problems are raised together (exit 2). Results are byte for byte
those of the one-piece path (tests/test_stream.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from screening.candidates import _HEADER_MESSAGES, _blank, _text, candidates_hash, type_chunk
from screening.candidates_chunks import CHUNKED_SUFFIXES, RawChunk, list_rows, raw_chunks
from screening.columns import misspelt_columns
from screening.errors import MAX_PROBLEMS, InputError, Problem
from screening.outcomes import GENERAL_FIXES_MAX_ROWS, RunResult
from screening.pack.compiled import RulePack
from screening.portfolio import (
    AggregatePart,
    aggregate_parts,
    decide_portfolio,
    in_scope,
    wanted_aggregates,
)
from screening.trace import OUTCOMES, VERDICTS

#: Candidates read, decided and written together (``--chunk-rows``).
CHUNK_ROWS = 100_000
#: Formats that can be written a chunk at a time.
STREAMED_FORMATS = ("json", "csv", "parquet")


@dataclass
class StreamedRun(RunResult):
    """What the terminal shows of a run screened in chunks: its first candidates, and counts over all."""

    total: int = 0
    verdict_counts: dict[str, int] = field(default_factory=dict)
    rule_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)

    @property
    def count(self) -> int:
        return self.total

    @property
    def summary(self) -> dict[str, int]:
        return dict(self.verdict_counts)

    def rule_summary(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.rule_counts.items()}


def can_stream(candidates: Path, formats: Sequence[str], engine: str, **whole_list_options: object) -> bool:
    """Whether a run may be screened in chunks: a CSV or Parquet list, JSON/CSV/Parquet output,
    the vector engine (or ``auto``), and no option that needs the whole list at once."""
    return (candidates.suffix.lower() in CHUNKED_SUFFIXES and all(f in STREAMED_FORMATS for f in formats)
            and engine in ("auto", "vector") and not any(whole_list_options.values()))


def screen_in_chunks(candidates: str | Path, pack: RulePack, as_of: dt.date, *, out_dir: str | Path,
                     formats: Sequence[str], messages: bool = False, chunk_rows: int = CHUNK_ROWS,
                     strict_columns: bool = False,
                     progress: Callable[[str, int, int], None] | None = None) -> StreamedRun | None:
    """Screen a long list chunk by chunk and write its result files; None if it is short enough to
    screen whole (the caller then does, so that short lists read exactly as before).

    Raises:
        InputError: every problem of the list (all chunks), after removing the temporary files.
    """
    path = Path(candidates)
    report = progress or (lambda phase, done, total: None)
    enough = max(chunk_rows, GENERAL_FIXES_MAX_ROWS)
    known = list_rows(path)
    if known is not None and known <= enough:
        return None
    chunks = raw_chunks(path, chunk_rows)
    peeked: list[RawChunk] = []
    try:
        for chunk in chunks:
            peeked.append(chunk)
            if sum(len(c.rows) + len(c.problems) for c in peeked) > enough:
                break
    except InputError:
        return None  # reported by the one-piece reader, with its own wording
    if sum(len(c.rows) + len(c.problems) for c in peeked) <= enough:
        return None
    return _Run(path, pack, as_of, out_dir, formats, messages, strict_columns, report, chunk_rows).go(
        _replay(peeked, chunks), known)


def _replay(peeked: list[RawChunk], rest: Iterator[RawChunk]) -> Iterator[RawChunk]:
    """The chunks read ahead, then the rest; each read-ahead chunk is let go once handed out."""
    while peeked:
        yield peeked.pop(0)
    yield from rest


class _Run:
    def __init__(self, path: Path, pack: RulePack, as_of: dt.date, out_dir: str | Path, formats: Sequence[str],
                 messages: bool, strict_columns: bool, report: Callable[[str, int, int], None],
                 chunk_rows: int) -> None:
        self.path, self.file = path, str(path)
        self.pack, self.resolved = pack, pack.resolve(as_of)
        self.out_dir, self.formats, self.messages = out_dir, formats, messages
        self.strict_columns, self.report = strict_columns, report
        self.chunk_rows = chunk_rows
        self.problems: list[Problem] = []
        self.problem_total = 0
        self.unit = "record" if path.suffix.lower() == ".parquet" else "row"

    def add_problems(self, problems: Sequence[Problem], total: int) -> None:
        self.problems.extend(problems[:max(0, MAX_PROBLEMS - len(self.problems))])
        self.problem_total += total

    def go(self, chunks: Iterator[RawChunk], known: int | None) -> StreamedRun:
        from screening.render.chunked import ChunkWriters
        from screening.screen import screen_table

        resolved, pack = self.resolved, self.pack
        rules = [r.id for r in pack.rules]
        verdicts = np.zeros(len(VERDICTS), dtype=np.int64)
        outcomes = np.zeros((len(rules), len(OUTCOMES)), dtype=np.int64)
        wanted = wanted_aggregates(resolved) if pack.portfolio_rules else {}
        parts: dict[str, AggregatePart] = {key: AggregatePart(node.func) for key, node in wanted.items()}
        hashes: list[np.ndarray] = []
        head: StreamedRun | None = None
        warnings: list[str] = []
        digest = candidates_hash(self.path)
        writers = ChunkWriters(self.out_dir, self.formats, messages=self.messages)
        done = 0
        try:
            for k, chunk in enumerate(chunks):
                if k and not chunk.rows and not chunk.problems:
                    continue  # the CSV reader's last chunk when the list fills its chunks exactly
                estimate = known if known is not None else max(done + len(chunk.rows), int((done + len(chunk.rows)) / max(chunk.position, 1e-9)))
                self.report("read + type", done, estimate)
                if chunk.problems:
                    self.add_problems(chunk.problems, len(chunk.problems))
                try:
                    table = type_chunk(chunk.frame, chunk.rows, pack.input_fields, self.file)
                except InputError as exc:
                    if any(p.message.startswith(_HEADER_MESSAGES) for p in exc.problems):
                        raise  # the header is every chunk's: its problems once, as for a whole list
                    self.add_problems(exc.problems, exc.count)
                    table = None
                if table is not None:  # typed ids are the raw cells as text (CONTRACT.md §4), already made
                    typed = table.frame["id"]
                    hashes.append(_hash_ids(typed.astype(object).where(typed.notna(), None).tolist()))
                elif "id" in chunk.frame.columns:
                    hashes.append(_hash_ids([None if _blank(v) else _text(v) for v in chunk.frame["id"].tolist()]))
                if k == 0 and table is not None:
                    header_row = 1 if self.unit == "row" else None
                    misspelt = misspelt_columns(table.extra_columns, pack.input_fields, self.file, row=header_row)
                    if misspelt and self.strict_columns:
                        raise InputError(misspelt)
                    warnings = [str(p) for p in misspelt]
                if table is None or self.problem_total:
                    done += len(chunk.rows)
                    continue  # keep reading: every problem of the list is reported at once
                self.report("decide", done, estimate)
                result = screen_table(resolved, table, engine="vector", candidates_label=self.path.name,
                                      candidates_digest=digest, warnings=warnings, portfolio=False,
                                      general_fixes=False)
                trace = result.trace
                assert trace is not None
                verdicts += np.bincount(trace.verdicts, minlength=len(VERDICTS))
                for j in range(len(rules)):
                    outcomes[j] += np.bincount(trace.codes[:, j], minlength=len(OUTCOMES))
                scoped: list[str] = []
                if pack.portfolio_rules:
                    keep = np.array([in_scope(pack.portfolio_scope, VERDICTS[v]) for v in range(len(VERDICTS))])[trace.verdicts]
                    chosen = trace.frame[keep].reset_index(drop=True)
                    scoped = [str(v) for v in chosen["id"].tolist()]
                    for key, part in aggregate_parts(resolved, chosen, scoped, wanted).items():
                        parts[key].add(part)
                self.report("write " + ",".join(self.formats), done, estimate)
                writers.add(result, scoped)
                if head is None:
                    head = StreamedRun(run=result.run, trace=trace.take(np.arange(min(50, len(trace)))),
                                       finance=result.finance)
                done += len(trace)
                self.report("write " + ",".join(self.formats), done, max(estimate, done))
                del result, trace, table
                _release_memory()
            self.duplicates(hashes)
            if self.problem_total:
                raise InputError(self.problems, total=self.problem_total)
            assert head is not None
            head.total = done
            head.verdict_counts = {v: int(verdicts[k]) for k, v in enumerate(VERDICTS)}
            head.rule_counts = {rid: {o: int(outcomes[j, k]) for k, o in enumerate(OUTCOMES)}
                                for j, rid in enumerate(rules)}
            if pack.portfolio_rules:
                values = {key: part.value() for key, part in parts.items()}
                head.portfolio = decide_portfolio(resolved, values, writers.in_scope, [])
            head.written = writers.finish(head.run, head.summary, head.portfolio)
            return head
        except BaseException:
            writers.abort()
            raise

    def duplicates(self, hashes: list[np.ndarray]) -> None:
        """Ids that repeat across chunks (a chunk's own repeats were reported when it was typed)."""
        if not hashes:
            return
        allh = np.concatenate(hashes)
        present = allh != 0
        ordered = np.sort(allh[present])
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        if not len(repeated):
            return
        seen: dict[str, tuple[int, int]] = {}  # id -> (first row, its chunk)
        last_chunk: dict[str, int] = {}
        found: list[Problem] = []
        for k, chunk in enumerate(raw_chunks(self.path, self.chunk_rows)):
            ids = [None if _blank(v) else _text(v) for v in chunk.frame["id"].tolist()]
            hit = np.isin(_hash_ids(ids), repeated)
            for i in np.flatnonzero(hit).tolist():
                value, row = str(ids[i]), chunk.rows[i]
                if value not in seen:
                    seen[value] = (row, k)
                elif last_chunk[value] != k:  # an earlier one in this chunk was already reported
                    found.append(Problem(f"duplicate id {value!r} (first at {self.unit} {seen[value][0]})",
                                         file=self.file, row=row, column="id", unit=self.unit))
                last_chunk[value] = k
        self.add_problems(found, len(found))


def _release_memory() -> None:
    """Hand the chunk's Arrow buffers back (pyarrow's pool keeps freed memory for reuse otherwise)."""
    import pyarrow as pa
    pa.default_memory_pool().release_unused()


def _hash_ids(ids: Sequence[object]) -> np.ndarray:
    """A 64-bit hash per id (0 for an empty one, which is reported on its own)."""
    values = pd.util.hash_array(np.array([str(i) if i is not None else "" for i in ids], dtype=object))
    values[np.array([i is None for i in ids], dtype=bool)] = 0
    return values
