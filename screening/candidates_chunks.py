"""Candidate lists read in chunks (CONTRACT.md §11): CSV and Parquet, a bounded number of rows at a time.

Each chunk is the raw (untyped) cells of some consecutive rows with their spreadsheet rows or
record numbers, exactly as :mod:`screening.candidates` reads the whole file: CSV through
Python's ``csv`` reader over the decoded text (BOM tolerated, blank rows skipped but counted),
Parquet through ``pyarrow.parquet.ParquetFile.iter_batches`` converted as ``pandas.read_parquet``
does. Typing a chunk is :func:`screening.candidates.type_chunk`, the same code as for a whole list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pandas as pd

from screening.errors import InputError, Problem
from screening.limits import MAX_CELL_CHARS, MAX_COLUMNS

#: The list formats that can be read in chunks.
CHUNKED_SUFFIXES = (".csv", ".parquet")


@dataclass
class RawChunk:
    """Raw cells of consecutive rows of a list (object columns; ``None`` or '' is empty)."""

    frame: pd.DataFrame
    rows: list[int]
    #: how far through the file this chunk ends, as a share (0..1), for progress estimates
    position: float
    #: rows whose cell count differs from the header's (left out of ``frame``)
    problems: list[Problem] = field(default_factory=list)


def list_rows(path: Path) -> int | None:
    """How many candidates the list holds, when the file says so without being read (Parquet)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # a broken file is reported when it is read
            return None
    return None


def raw_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    """The list's raw cells, ``chunk_rows`` rows at a time (at least one chunk, maybe empty).

    Raises:
        InputError: a file that cannot be read (not UTF-8, malformed CSV, broken Parquet), naming
            the row; ragged CSV rows are reported together per chunk.
    """
    if path.suffix.lower() == ".parquet":
        yield from _parquet_chunks(path, chunk_rows)
    else:
        yield from _csv_chunks(path, chunk_rows)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    file = str(path)
    try:
        reader = pq.ParquetFile(path)
        total = max(1, reader.metadata.num_rows)
        batches = reader.iter_batches(batch_size=chunk_rows)
        done = 0
        for batch in batches:
            frame = pa.Table.from_batches([batch]).to_pandas(types_mapper=pd.ArrowDtype)
            objs = frame.astype(object).where(frame.notna(), None)
            rows = list(range(done + 1, done + len(frame) + 1))
            done += len(frame)
            yield RawChunk(objs, rows, done / total)
        if done == 0:
            names = reader.schema_arrow.names
            yield RawChunk(pd.DataFrame({n: pd.Series([], dtype=object) for n in names}), [], 1.0)
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises many types for a broken file
        raise InputError([Problem(f"cannot read Parquet: {exc}", file=file)]) from None


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[RawChunk]:
    file = str(path)
    size = max(1, path.stat().st_size)
    csv.field_size_limit(MAX_CELL_CHARS)
    with path.open("rb") as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header: list[str] | None = None
        body: list[list[str]] = []
        rows: list[int] = []
        ragged: list[Problem] = []
        n = 0
        while True:
            try:
                record = next(reader, None)
            except csv.Error as exc:
                why = f"a cell longer than the limit of {MAX_CELL_CHARS:,} characters" if "field larger" in str(exc) else exc
                raise InputError([Problem(f"malformed CSV: {why}", file=file, row=reader.line_num)]) from None
            except UnicodeDecodeError as exc:
                raise InputError([Problem(f"not UTF-8 text ({exc.reason})", file=file, row=reader.line_num + 1)]) from None
            if record is None:
                break
            n += 1
            if not record or not any(cell.strip() for cell in record):
                continue
            if header is None:
                if len(record) > MAX_COLUMNS:
                    raise InputError([Problem(f"{len(record):,} columns is more than the limit of {MAX_COLUMNS:,}",
                                              file=file, row=n)])
                header = record
                continue
            if len(record) != len(header):
                ragged.append(Problem(f"malformed CSV: {len(record)} cells where the header has {len(header)}",
                                      file=file, row=n))
                continue
            body.append(record)
            rows.append(n)
            if len(body) >= chunk_rows:
                yield _csv_chunk(header, body, rows, ragged, min(1.0, binary.tell() / size))
                body, rows, ragged = [], [], []
        if header is None:
            raise InputError([Problem("the file is empty (no header row)", file=file)])
        yield _csv_chunk(header, body, rows, ragged, 1.0)


def _csv_chunk(header: list[str], body: list[list[str]], rows: list[int], ragged: list[Problem],
               position: float) -> RawChunk:
    return RawChunk(pd.DataFrame(body, columns=header, dtype=object), rows, position, ragged)
