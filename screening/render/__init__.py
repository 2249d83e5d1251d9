"""Renderers: each turns the same outcome records into one format. None decides anything."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from screening.outcomes import RunResult

FORMATS = ("json", "csv", "md", "html", "xlsx", "parquet")
Writer = Callable[[BinaryIO], None]


def _writer(fmt: str, result: RunResult, messages: bool) -> Writer:
    """A function writing format ``fmt`` of ``result`` to an open binary file, piece by piece
    where the format allows (JSON, CSV and Parquet are written as they are made)."""
    if fmt == "json":
        from screening.render.json_out import json_parts
        return lambda fh: _write_text(fh, json_parts(result))
    if fmt == "csv":
        from screening.render.csv_out import csv_parts
        return lambda fh: _write_text(fh, csv_parts(result))
    if fmt == "parquet":
        from screening.render.parquet_out import write_parquet
        return lambda fh: write_parquet(result, fh, messages=messages)
    if fmt == "md":
        from screening.render.markdown import render_markdown
        return lambda fh: fh.write(render_markdown(result).encode("utf-8"))  # type: ignore[func-returns-value, return-value]
    if fmt == "html":
        from screening.render.html import render_html
        return lambda fh: fh.write(render_html(result).encode("utf-8"))  # type: ignore[func-returns-value, return-value]
    if fmt == "xlsx":
        from screening.render.xlsx import render_xlsx
        return lambda fh: fh.write(render_xlsx(result))  # type: ignore[func-returns-value, return-value]
    raise ValueError(f"unknown format {fmt}")


def _write_text(fh: BinaryIO, parts: Iterable[str]) -> None:
    for part in parts:
        fh.write(part.encode("utf-8"))


def write_outputs(result: RunResult, out_dir: str | Path, formats: list[str], stem: str = "results", *,
                  messages: bool = False) -> list[Path]:
    """Write every format through a temporary file in ``out_dir``, then rename them all into place.

    If any renderer fails, nothing is written (the temporary files are removed). ``messages``
    adds the message column to results.parquet.
    """
    writers = {f"{stem}.{fmt}": _writer(fmt, result, messages) for fmt in formats}
    if result.rejected:  # --skip-bad-rows: the refused rows with their reasons
        from screening.rejects import render_rejected, row_unit
        text = render_rejected(result.rejected, row_unit(str(result.run.get("candidates")))).encode()
        writers["rejected.csv"] = lambda fh: fh.write(text)  # type: ignore[assignment, func-returns-value]
    return write_streams(out_dir, writers)


def write_streams(out_dir: str | Path, writers: dict[str, Writer]) -> list[Path]:
    """Run each writer into a temporary file in ``out_dir``; when all have succeeded, rename each
    into place (atomic per file). On any failure every temporary file is removed."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    temps: list[tuple[str, Path]] = []
    try:
        for name, write in writers.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            temps.append((name, Path(tmp)))
            with os.fdopen(fd, "wb") as fh:
                write(fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o666 & ~umask)
    except BaseException:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    written = []
    for name, tmp in temps:
        os.replace(tmp, out / name)
        written.append(out / name)
    return written


def write_atomically(out_dir: str | Path, files: dict[str, bytes]) -> list[Path]:
    """Write each file through a temporary file in the same folder and an atomic rename."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    temps: list[tuple[str, Path]] = []
    try:
        for name, data in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o666 & ~umask)
            temps.append((name, Path(tmp)))
    except BaseException:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    written = []
    for name, tmp in temps:
        os.replace(tmp, out / name)
        written.append(out / name)
    return written
