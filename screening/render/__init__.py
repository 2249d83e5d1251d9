"""Renderers: each turns the same outcome records into one format. None decides anything."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

from screening.outcomes import RunResult

FORMATS = ("json", "csv", "md", "html", "xlsx")


def _renderer(fmt: str) -> Callable[[RunResult], bytes]:
    if fmt == "json":
        from screening.render.json_out import render_json
        return lambda r: render_json(r).encode("utf-8")
    if fmt == "csv":
        from screening.render.csv_out import render_csv
        return lambda r: render_csv(r).encode("utf-8")
    if fmt == "md":
        from screening.render.markdown import render_markdown
        return lambda r: render_markdown(r).encode("utf-8")
    if fmt == "html":
        from screening.render.html import render_html
        return lambda r: render_html(r).encode("utf-8")
    if fmt == "xlsx":
        from screening.render.xlsx import render_xlsx
        return render_xlsx
    raise ValueError(f"unknown format {fmt}")


def write_outputs(result: RunResult, out_dir: str | Path, formats: list[str], stem: str = "results") -> list[Path]:
    """Render every format in memory first, then write each file atomically (temp + rename).

    If any renderer fails, nothing is written.
    """
    rendered = {f"{stem}.{fmt}": _renderer(fmt)(result) for fmt in formats}
    if result.rejected:  # --skip-bad-rows: the refused rows with their reasons
        from screening.rejects import render_rejected, row_unit
        rendered["rejected.csv"] = render_rejected(result.rejected, row_unit(str(result.run.get("candidates")))).encode()
    return write_atomically(out_dir, rendered)


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
