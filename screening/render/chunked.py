"""results.json, results.csv and results.parquet written chunk by chunk (CONTRACT.md §11).

A list screened in chunks hands each chunk's :class:`~screening.outcomes.RunResult` to
:meth:`ChunkWriters.add`, which appends its rows to hidden temporary files in the output folder.
Only :meth:`ChunkWriters.finish` — when every chunk has been read without a problem — writes
what depends on the whole list (the summary and the portfolio at the head of results.json, the
portfolio rows at the end of the CSV and Parquet files) and renames each file into place. On any
problem :meth:`ChunkWriters.abort` removes every temporary file: nothing is written half-way.
The files are byte for byte what the one-piece renderers write for the same list.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Sequence

from screening.outcomes import RunResult

#: Stand-in for the portfolio's candidate ids in the head of results.json (spliced in from a file).
_IDS = "\u0000candidate-ids\u0000"
_encode = json.JSONEncoder(ensure_ascii=False).encode


class ChunkWriters:
    """Temporary files that grow a chunk at a time and become results.* only when all is well."""

    def __init__(self, out_dir: str | Path, formats: Sequence[str], *, messages: bool = False,
                 stem: str = "results") -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.formats = list(formats)
        self.messages = messages
        self.stem = stem
        self.temps: list[Path] = []
        self.handles: dict[str, BinaryIO] = {}
        self.chunks = 0
        self.in_scope = 0
        self._parquet = None
        try:
            for part in (["json-body", "json-ids"] if "json" in self.formats else []) + \
                    [f for f in self.formats if f in ("csv", "parquet")]:
                self.handles[part] = self._temp(part)
            if "parquet" in self.formats:
                import pyarrow.parquet as pq

                from screening.render.parquet_out import schema
                self._parquet = pq.ParquetWriter(self.handles["parquet"], schema(messages), compression="zstd")
        except BaseException:
            self.abort()
            raise

    def _temp(self, part: str) -> BinaryIO:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.stem}.{part}.", suffix=".tmp", dir=self.out)
        self.temps.append(Path(tmp))
        return os.fdopen(fd, "w+b")

    def add(self, result: RunResult, in_scope_ids: Sequence[str] = ()) -> None:
        """Append one chunk's rows (in list order) and the ids of its candidates in the portfolio's scope."""
        first = self.chunks == 0
        if "json" in self.formats:
            from screening.render.json_out import candidate_lines
            lines = candidate_lines(result, 0, len(result.trace))  # type: ignore[arg-type]
            self.handles["json-body"].write((("" if first else ",\n") + ",\n".join(lines)).encode("utf-8"))
            if in_scope_ids:
                self.handles["json-ids"].write(("\n".join(_encode(i) for i in in_scope_ids) + "\n").encode("utf-8"))
        self.in_scope += len(in_scope_ids)
        if "csv" in self.formats:
            from screening.render.csv_out import csv_parts
            for part in csv_parts(result, header=first):
                self.handles["csv"].write(part.encode("utf-8"))
        if self._parquet is not None:
            from screening.render.parquet_out import schema, tables
            out_schema = schema(self.messages)
            for table in tables(result, self.messages):
                self._parquet.write_table(table.cast(out_schema))
        self.chunks += 1

    def finish(self, run: dict[str, object], summary: dict[str, int], portfolio) -> list[Path]:  # noqa: ANN001
        """Write what needs the whole list, then rename every file into place; returns the files written."""
        try:
            finals: list[tuple[str, Path]] = []
            if "json" in self.formats:
                finals.append((f"{self.stem}.json", self._finish_json(run, summary, portfolio)))
            if "csv" in self.formats:
                from screening.render.csv_out import _portfolio_rows
                fh = self.handles["csv"]
                fh.write(_portfolio_rows(RunResult(run=run, portfolio=portfolio)).encode("utf-8"))
                finals.append((f"{self.stem}.csv", self._close("csv")))
            if self._parquet is not None:
                if portfolio is not None:
                    from screening.render.parquet_out import portfolio_table, schema
                    self._parquet.write_table(portfolio_table(portfolio, self.messages).cast(schema(self.messages)))
                self._parquet.close()
                self._parquet = None
                finals.append((f"{self.stem}.parquet", self._close("parquet")))
            order = {f"{self.stem}.{fmt}": k for k, fmt in enumerate(self.formats)}
            finals.sort(key=lambda item: order[item[0]])
        except BaseException:
            self.abort()
            raise
        umask = os.umask(0)
        os.umask(umask)
        written = []
        for name, tmp in finals:
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, self.out / name)
            self.temps.remove(tmp)
            written.append(self.out / name)
        self.abort()  # the json pieces
        return written

    def _close(self, part: str) -> Path:
        fh = self.handles.pop(part)
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        return self._path_of(part)

    def _path_of(self, part: str) -> Path:
        return next(t for t in self.temps if t.name.startswith(f".{self.stem}.{part}."))

    def _finish_json(self, run: dict[str, object], summary: dict[str, int], portfolio) -> Path:  # noqa: ANN001
        top: dict[str, object] = {"run": run, "summary": summary}
        if portfolio is not None:
            top["portfolio"] = {**portfolio.as_dict(), "candidate_ids": [_IDS] if self.in_scope else []}
        head = json.dumps(top, indent=2, ensure_ascii=False)[:-2] + ",\n" + '  "candidates": [\n'
        out = self._temp("json")
        body, ids = self.handles["json-body"], self.handles["json-ids"]
        marker = _encode(_IDS)
        if portfolio is not None and self.in_scope:
            before, after = head.split(marker, 1)
            indent = before[before.rindex("\n") + 1:]
            out.write(before.encode("utf-8"))
            ids.flush()
            ids.seek(0)
            joint = (",\n" + indent).encode("utf-8")
            first = True
            while True:
                lines = ids.readlines(1 << 20)
                if not lines:
                    break
                out.write((b"" if first else joint) + joint.join(line.rstrip(b"\n") for line in lines))
                first = False
            out.write(after.encode("utf-8"))
        else:
            out.write(head.encode("utf-8"))
        body.flush()
        body.seek(0)
        shutil.copyfileobj(body, out, 1 << 20)
        out.write(("\n" if self.chunks else "") .encode("utf-8") + b"  ]\n}\n")
        out.flush()
        os.fsync(out.fileno())
        out.close()
        return self.temps[-1]

    def abort(self) -> None:
        """Remove every temporary file (nothing is written)."""
        if self._parquet is not None:
            try:
                self._parquet.close()
            except Exception:  # noqa: BLE001 - closing a writer whose file is going away
                pass
            self._parquet = None
        for fh in self.handles.values():
            fh.close()
        self.handles.clear()
        for tmp in self.temps:
            tmp.unlink(missing_ok=True)
        self.temps.clear()
