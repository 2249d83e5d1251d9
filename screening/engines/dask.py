"""``--engine dask`` (CONTRACT.md §11): the vector engine per partition of a Parquet list, on a Dask cluster.

The list (a Parquet file or a dataset directory) is read with ``dask.dataframe.read_parquet``;
each partition becomes one task on a worker, which types its rows exactly as a one-process run
types a list (:func:`screening.candidates.type_chunk`), derives and decides them with the vector
backend (:func:`screening.screen.screen_table`), a chunk of at most ``chunk_rows`` rows at a
time, and writes its outcome rows to its own part file of ``results.parquet/`` (a directory:
a partitioned dataset). A task returns only what the client needs for the whole list: row and
verdict counts, outcome counts per rule, the portfolio aggregates as exact partial sums, a
64-bit hash per candidate id and its problems. The client decides the portfolio (a last part
file), and renames the directory into place only when no partition had a problem; otherwise it
removes the parts and raises every problem at once. Workers must see the pack and the output
folder at the same paths as the client (always so for the default local cluster).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from screening.errors import MAX_PROBLEMS, InputError, Problem

#: Rows a task decides and writes together (bounds a worker's memory whatever the partition size).
TASK_CHUNK_ROWS = 100_000


@dataclass
class PartitionResult:
    """What one partition's task hands back to the client (small: no rows, no messages)."""

    index: int
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_total: int = 0
    hashes: np.ndarray | None = None
    verdicts: np.ndarray | None = None
    outcomes: np.ndarray | None = None
    parts: dict[str, Any] = field(default_factory=dict)
    in_scope: int = 0
    warnings: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=4)
def _resolved(pack_dir: str, as_of: dt.date):  # noqa: ANN202 - ResolvedPack, loaded once per worker
    from screening.pack.load import load_pack
    pack = load_pack(pack_dir)
    return pack, pack.resolve(as_of)


def screen_partition(raw: pd.DataFrame, index: int, *, pack_dir: str, as_of: dt.date, source: str, folder: str,
                     messages: bool, chunk_rows: int = TASK_CHUNK_ROWS) -> PartitionResult:
    """Type, decide and write one partition (rows numbered from 1 within it; the client adds offsets)."""
    from screening.candidates import _HEADER_MESSAGES, _blank, _text, type_chunk
    from screening.columns import misspelt_columns
    from screening.portfolio import AggregatePart, aggregate_parts, in_scope, wanted_aggregates
    from screening.screen import screen_table
    from screening.stream import _hash_ids
    from screening.trace import OUTCOMES, VERDICTS

    pack, resolved = _resolved(pack_dir, as_of)
    out = PartitionResult(index, rows=len(raw))
    objs = raw.astype(object).where(raw.notna(), None)
    if "id" in objs.columns:
        out.hashes = _hash_ids([None if _blank(v) else _text(v) for v in objs["id"].tolist()])
    out.verdicts = np.zeros(len(VERDICTS), dtype=np.int64)
    out.outcomes = np.zeros((len(pack.rules), len(OUTCOMES)), dtype=np.int64)
    wanted = wanted_aggregates(resolved) if pack.portfolio_rules else {}
    out.parts = {key: AggregatePart(node.func) for key, node in wanted.items()}
    tables = []
    for start in range(0, max(len(objs), 1), chunk_rows):
        piece = objs.iloc[start:start + chunk_rows].reset_index(drop=True)
        try:
            tables.append((start, type_chunk(piece, list(range(start + 1, start + len(piece) + 1)),
                                             pack.input_fields, source)))
        except InputError as exc:
            header = any(p.message.startswith(_HEADER_MESSAGES) for p in exc.problems)
            # Parquet rows are records (1 = the first candidate), also in a dataset directory; a header problem has no row.
            found = [dataclasses.replace(p, unit="record", row=None if header else p.row) for p in exc.problems]
            out.problems.extend(found[:max(0, MAX_PROBLEMS - len(out.problems))])
            out.problem_total += exc.count
            if header:
                return out
    if out.problem_total or not len(objs):
        return out
    out.warnings = [str(p) for p in misspelt_columns(tables[0][1].extra_columns, pack.input_fields, source, row=None)]
    import pyarrow.parquet as pq

    from screening.render.parquet_out import schema
    from screening.render.parquet_out import tables as outcome_tables
    out_schema = schema(messages)
    with pq.ParquetWriter(Path(folder) / f"part-{index:05d}.parquet", out_schema, compression="zstd") as writer:
        for _, table in tables:
            result = screen_table(resolved, table, engine="vector", portfolio=False, general_fixes=False)
            trace = result.trace
            assert trace is not None
            out.verdicts += np.bincount(trace.verdicts, minlength=len(VERDICTS))
            for j in range(len(pack.rules)):
                out.outcomes[j] += np.bincount(trace.codes[:, j], minlength=len(OUTCOMES))
            if wanted:
                keep = np.array([in_scope(pack.portfolio_scope, v) for v in VERDICTS])[trace.verdicts]
                chosen = trace.frame[keep].reset_index(drop=True)
                ids = [str(v) for v in chosen["id"].tolist()]
                out.in_scope += len(ids)
                for key, part in aggregate_parts(resolved, chosen, ids, wanted).items():
                    out.parts[key].add(part)
            for t in outcome_tables(result, messages):
                writer.write_table(t.cast(out_schema))
    return out


@dataclass
class DaskRun:
    """The client's view of a run on a cluster: counts over the whole list, the portfolio, the files."""

    rows: int
    summary: dict[str, int]
    rule_summary: dict[str, dict[str, int]]
    portfolio: Any
    written: Path
    partitions: int
    warnings: list[str]


def connect(scheduler: str | None):  # noqa: ANN201 - (distributed.Client, cluster or None)
    """A client of the cluster at ``scheduler``, or of a new local cluster (one worker process per core)."""
    from distributed import Client, LocalCluster
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def screen_on_dask(candidates: str | Path, pack_dir: str | Path, as_of: dt.date, *, out_dir: str | Path,
                   client: Any, messages: bool = False, stem: str = "results",
                   progress: Callable[[str, int, int], None] | None = None) -> DaskRun:
    """Screen a Parquet list (file or dataset directory) on ``client``'s cluster into ``OUT/results.parquet/``.

    Raises:
        InputError: every problem of the list (all partitions); nothing is written.
    """
    import dask.dataframe as dd
    from dask import delayed

    from screening.pack.load import load_pack
    from screening.portfolio import decide_portfolio
    from screening.trace import OUTCOMES, VERDICTS

    report = progress or (lambda phase, done, total: None)
    path = Path(candidates)
    source = str(path)
    if not path.exists():
        raise InputError([Problem("no such file or dataset directory", file=source)])
    if path.is_file() and path.suffix.lower() != ".parquet":
        raise InputError([Problem("--engine dask reads a Parquet file or a Parquet dataset directory", file=source)])
    try:
        frame = dd.read_parquet(str(path), dtype_backend="pyarrow", split_row_groups=True)  # a task per row group
    except Exception as exc:  # pyarrow / dask raise many types for a broken file
        raise InputError([Problem(f"cannot read Parquet: {exc}", file=source)]) from None
    pack = load_pack(pack_dir)
    resolved = pack.resolve(as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    folder = out / f".{stem}.parquet.{uuid.uuid4().hex}.tmp"
    folder.mkdir()
    task = functools.partial(screen_partition, pack_dir=str(Path(pack_dir).resolve()), as_of=as_of,
                             source=source, folder=str(folder.resolve()), messages=messages)
    try:
        parts = frame.to_delayed()
        report("screening partitions", 0, len(parts))
        futures = client.compute([delayed(task)(p, i) for i, p in enumerate(parts)])
        results: list[PartitionResult] = []
        from distributed import as_completed
        for future in as_completed(futures):
            results.append(future.result())
            report("screening partitions", len(results), len(parts))
        results.sort(key=lambda r: r.index)
        problems, total = _problems(results, source)
        if total:
            raise InputError(problems, total=total)
        verdicts = sum((r.verdicts for r in results if r.verdicts is not None), np.zeros(len(VERDICTS), np.int64))
        outcomes = sum((r.outcomes for r in results if r.outcomes is not None),
                       np.zeros((len(pack.rules), len(OUTCOMES)), np.int64))
        portfolio = None
        if pack.portfolio_rules:
            combined = {key: dataclasses.replace(part, missing_ids=list(part.missing_ids))
                        for key, part in results[0].parts.items()}
            for r in results[1:]:
                for key, part in r.parts.items():
                    combined[key].add(part)
            portfolio = decide_portfolio(resolved, {k: p.value() for k, p in combined.items()},
                                         sum(r.in_scope for r in results), [])
            _write_portfolio(portfolio, folder / f"part-{len(results):05d}.parquet", messages)
        final = out / f"{stem}.parquet"
        _replace_dir(folder, final)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return DaskRun(rows=sum(r.rows for r in results),
                   summary={v: int(verdicts[k]) for k, v in enumerate(VERDICTS)},
                   rule_summary={r.id: {o: int(outcomes[j, k]) for k, o in enumerate(OUTCOMES)}
                                 for j, r in enumerate(pack.rules)},
                   portfolio=portfolio, written=final, partitions=len(results),
                   warnings=results[0].warnings if results else [])


def _problems(results: list[PartitionResult], source: str) -> tuple[list[Problem], int]:
    """Every partition's problems with rows counted over the whole list, and ids repeated across partitions."""
    problems: list[Problem] = []
    seen: set[tuple[str, str | None]] = set()
    total = 0
    offset = 0
    for r in results:
        for p in r.problems:
            if p.row is None:  # a header problem: every partition has it; report it once
                if (p.message, p.column) in seen:
                    r.problem_total -= 1
                    continue
                seen.add((p.message, p.column))
                problems.append(p)
            else:
                problems.append(dataclasses.replace(p, row=p.row + offset, message=_shift_first(p.message, offset)))
        total += r.problem_total
        offset += r.rows
    hashes = [r.hashes for r in results if r.hashes is not None]
    if hashes and not any(p.row is None for p in problems):
        repeated = _repeated(hashes, results, source)
        problems.extend(repeated)
        total += len(repeated)
    return problems[:MAX_PROBLEMS], total


def _shift_first(message: str, offset: int) -> str:
    """A duplicate found inside one partition names its first record within the partition: shift it too."""
    import re
    match = re.match(r"^(duplicate id .* \(first at record )(\d+)\)$", message)
    return f"{match.group(1)}{int(match.group(2)) + offset})" if match else message


def _repeated(hashes: list[np.ndarray], results: list[PartitionResult], source: str) -> list[Problem]:
    allh = np.concatenate(hashes)
    ordered = np.sort(allh[allh != 0])
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(repeated):
        return []
    import pyarrow.parquet as pq

    from screening.candidates import _blank, _text
    from screening.stream import _hash_ids
    ids = [None if _blank(v) else _text(v) for v in pq.read_table(source, columns=["id"]).column("id").to_pylist()]
    bounds = np.cumsum([0] + [r.rows for r in results])
    hit = np.flatnonzero(np.isin(_hash_ids(ids), repeated))
    first: dict[str, int] = {}
    last_part: dict[str, int] = {}
    found = []
    for i in hit.tolist():
        value, part = str(ids[i]), int(np.searchsorted(bounds, i, side="right") - 1)
        if value not in first:
            first[value] = i + 1
        elif last_part[value] != part:  # repeats inside one partition were reported by its task
            found.append(Problem(f"duplicate id {value!r} (first at record {first[value]})", file=source,
                                 row=i + 1, column="id", unit="record"))
        last_part[value] = part
    return found


def _write_portfolio(portfolio: Any, path: Path, messages: bool) -> None:
    import pyarrow.parquet as pq

    from screening.render.parquet_out import portfolio_table, schema
    pq.write_table(portfolio_table(portfolio, messages).cast(schema(messages)), path, compression="zstd")


def _replace_dir(folder: Path, final: Path) -> None:
    """Put the finished directory in place of ``final`` (a file or directory from an earlier run)."""
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex}.old")
        os.replace(final, old)
        os.replace(folder, final)
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    else:
        os.replace(folder, final)


__all__ = ["DaskRun", "PartitionResult", "connect", "screen_on_dask", "screen_partition"]
