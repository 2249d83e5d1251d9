"""Lists screened in chunks (CONTRACT.md §11) give the same files as lists screened whole.

A 5,100-row synthetic list under rules/japan (which has portfolio rules) is screened whole and
in chunks of 1,000 rows, as CSV and as Parquet: results.json and results.csv must be byte for
byte the same (apart from ``run.started_at``), results.parquet the same table. Problems in
several chunks are all reported, with exit 2 and nothing written.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import synthetic
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.pack.load import load_pack
from screening.portfolio import exact_sum
from screening.render import write_outputs
from screening.screen import screen_file
from screening.stream import screen_in_chunks

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)
ROWS = 5_100
SHORT = 2_600


def _rows(rows: int, seed: int = 3) -> tuple[list[str], list[dict[str, str]]]:
    return synthetic.COLUMNS, synthetic.synthetic_rows(rows, seed)


@pytest.fixture(scope="module")
def lists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = tmp_path_factory.mktemp("stream")
    columns, data = _rows(ROWS)
    out = {}
    for name, rows in (("", data), ("short-", data[:SHORT])):
        out[name + "csv"] = synthetic.write_csv(folder / f"{name}list.csv", rows)
        pq.write_table(pa.table({c: [r[c] or None for r in rows] for c in columns}), folder / f"{name}list.parquet",
                       row_group_size=500)
        out[name + "parquet"] = folder / f"{name}list.parquet"
    return out


def _without_started_at(path: Path) -> bytes:
    return b"".join(line for line in path.read_bytes().splitlines(keepends=True) if b'"started_at"' not in line)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_chunks_write_the_same_files_as_one_piece(lists: dict[str, Path], kind: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    import screening.screen
    import screening.stream
    # Lists up to this many rows get remedies, which a list read in chunks never does: lower it to keep the test short.
    monkeypatch.setattr(screening.screen, "GENERAL_FIXES_MAX_ROWS", 1_000)
    monkeypatch.setattr(screening.stream, "GENERAL_FIXES_MAX_ROWS", 1_000)
    pack = load_pack(ROOT / "rules" / "japan")
    whole = screen_file(lists["short-" + kind], pack, AS_OF, engine="vector")
    write_outputs(whole, tmp_path / "whole", ["json", "csv", "parquet"])
    seen: list[tuple[str, int, int]] = []
    streamed = screen_in_chunks(lists["short-" + kind], pack, AS_OF, out_dir=tmp_path / "chunks",
                                formats=["json", "csv", "parquet"], chunk_rows=700,
                                progress=lambda phase, done, total: seen.append((phase, done, total)))
    assert streamed is not None and streamed.count == SHORT
    assert streamed.summary == whole.summary and streamed.rule_summary() == whole.rule_summary()
    assert streamed.portfolio is not None and whole.portfolio is not None
    assert [o.as_dict() for o in streamed.portfolio.outcomes] == [o.as_dict() for o in whole.portfolio.outcomes]
    for name in ("results.json", "results.csv"):
        assert _without_started_at(tmp_path / "chunks" / name) == _without_started_at(tmp_path / "whole" / name), name
    assert pq.read_table(tmp_path / "chunks" / "results.parquet").to_pylist() == \
        pq.read_table(tmp_path / "whole" / "results.parquet").to_pylist()
    assert sorted(p.name for p in (tmp_path / "chunks").iterdir()) == ["results.csv", "results.json", "results.parquet"]
    assert {phase for phase, _, _ in seen} == {"read + type", "decide", "write json,csv,parquet"}
    assert seen[-1][1] == SHORT  # rows done, per phase, up to the whole list


def test_a_list_that_fits_one_chunk_is_screened_whole(lists: dict[str, Path], tmp_path: Path) -> None:
    pack = load_pack(ROOT / "rules" / "japan")
    assert screen_in_chunks(lists["parquet"], pack, AS_OF, out_dir=tmp_path, formats=["csv"], chunk_rows=10_000) is None
    assert screen_in_chunks(lists["csv"], pack, AS_OF, out_dir=tmp_path, formats=["csv"], chunk_rows=10_000) is None
    assert not list(tmp_path.iterdir())


def test_problems_in_every_chunk_are_reported_together_and_nothing_is_written(tmp_path: Path) -> None:
    _, data = _rows(ROWS)
    data[10]["amount"] = "lots"            # row 12, chunk 1
    data[3_500]["irr"] = "7,5%"            # row 3502, chunk 4
    data[4_900]["id"] = data[20]["id"]     # row 4902 repeats row 22's id, across chunks
    data[4_950]["id"] = data[4_940]["id"]  # row 4952 repeats row 4942's id, in one chunk
    path = synthetic.write_csv(tmp_path / "bad.csv", data)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "run", str(path), "--rules", str(ROOT / "rules" / "japan"),
                           "--as-of", "2026-03-01", "--format", "json,csv,parquet", "--out", str(out),
                           "--chunk-rows", "1000"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    err = " ".join(done.stderr.split())
    assert "(4 problems)" in err
    assert "row 12, column amount: 'lots' is not a number" in err
    assert "row 3502, column irr: '7,5%' is not a number" in err
    assert f"row 4902, column id: duplicate id '{data[20]['id']}' (first at row 22)" in err
    assert f"row 4952, column id: duplicate id '{data[4_940]['id']}' (first at row 4942)" in err
    assert not out.exists() or not list(out.iterdir())  # no results, no temporary files


def test_the_cli_streams_a_long_list(lists: dict[str, Path], tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "run", str(lists["parquet"]), "--rules",
                           str(ROOT / "rules" / "japan"), "--as-of", "2026-03-01", "--format", "parquet",
                           "--out", str(tmp_path), "--chunk-rows", "2000"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert f"{ROWS} candidates, engine vector" in shown
    assert "first 50 of 5100 candidates" in shown
    assert (tmp_path / "results.parquet").exists()


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), max_size=60), st.integers(1, 5))
def test_exact_partial_sums_give_fsum(values: list[float], pieces: int) -> None:
    parts = np.array_split(np.array(values, dtype=np.float64), pieces)
    total = sum((exact_sum(p)[0] for p in parts), start=Fraction(0))
    try:
        expected = math.fsum(values)
    except OverflowError:
        return
    if math.isfinite(expected):
        assert float(total) == expected
