"""``--engine dask`` (CONTRACT.md §11) gives the same outcomes as one process, on a local cluster of two workers.

The cluster runs its two workers as threads of this process (``processes=False``): it starts in
about a second, and the CLI test reaches it through its scheduler address like any other.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import synthetic

pytest.importorskip("distributed")

from screening.engines.dask import screen_on_dask  # noqa: E402
from screening.errors import InputError  # noqa: E402
from screening.pack.load import load_pack  # noqa: E402
from screening.render import write_outputs  # noqa: E402
from screening.screen import screen_file  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)
PACK = ROOT / "rules" / "japan"
FILES, ROWS_PER_FILE = 3, 400


def _rows(rows: int, seed: int = 5) -> tuple[list[str], list[dict[str, str]]]:
    return synthetic.COLUMNS, synthetic.synthetic_rows(rows, seed)


def _dataset(folder: Path, columns: list[str], data: list[dict[str, str]]) -> tuple[Path, Path]:
    """The list as a dataset directory of FILES Parquet files, and as one Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder.mkdir()
    whole = pa.table({c: [r[c] or None for r in data] for c in columns})
    for k in range(FILES):
        pq.write_table(whole.slice(k * ROWS_PER_FILE, ROWS_PER_FILE), folder / f"part-{k}.parquet")
    pq.write_table(whole, folder.parent / f"{folder.name}.parquet")
    return folder, folder.parent / f"{folder.name}.parquet"


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=None,
                           silence_logs=40)
    with Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_gives_the_same_outcomes_as_one_process(client, tmp_path: Path) -> None:  # noqa: ANN001
    import pyarrow.parquet as pq
    columns, data = _rows(FILES * ROWS_PER_FILE)
    folder, single = _dataset(tmp_path / "list", columns, data)
    pack = load_pack(PACK)
    one = screen_file(single, pack, AS_OF, engine="vector")
    write_outputs(one, tmp_path / "one", ["parquet"])
    done = screen_on_dask(folder, PACK, AS_OF, out_dir=tmp_path / "dask", client=client)
    assert done.partitions == FILES and done.rows == FILES * ROWS_PER_FILE
    assert done.summary == one.summary and done.rule_summary == one.rule_summary()
    parts = sorted(p.name for p in (tmp_path / "dask" / "results.parquet").iterdir())
    assert parts == [f"part-{k:05d}.parquet" for k in range(FILES + 1)]  # a part per partition, then the portfolio's
    assert pq.read_table(tmp_path / "dask" / "results.parquet").to_pylist() == \
        pq.read_table(tmp_path / "one" / "results.parquet").to_pylist()
    assert [p.name for p in (tmp_path / "dask").iterdir()] == ["results.parquet"]


def test_problems_of_every_partition_are_reported_and_nothing_is_written(client, tmp_path: Path) -> None:  # noqa: ANN001
    columns, data = _rows(FILES * ROWS_PER_FILE)
    data[5]["amount"] = "lots"                 # record 6, first file
    data[ROWS_PER_FILE * 2 + 9]["irr"] = "n/a"  # record 810, third file
    data[ROWS_PER_FILE + 1]["id"] = data[2]["id"]  # record 402 repeats record 3's id
    folder, _ = _dataset(tmp_path / "bad", columns, data)
    with pytest.raises(InputError) as caught:
        screen_on_dask(folder, PACK, AS_OF, out_dir=tmp_path / "out", client=client)
    shown = str(caught.value)
    assert caught.value.count == 3, shown
    assert "record 6, column amount: 'lots' is not a number" in shown
    assert "record 810, column irr: 'n/a' is not a number" in shown
    assert f"record 402, column id: duplicate id '{data[2]['id']}' (first at record 3)" in shown
    assert not list((tmp_path / "out").iterdir())


def test_cli_runs_on_a_scheduler_given_by_address(client, tmp_path: Path) -> None:  # noqa: ANN001
    columns, data = _rows(FILES * ROWS_PER_FILE)
    folder, _ = _dataset(tmp_path / "list", columns, data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "screening.cli", "run", str(folder), "--rules", str(PACK), "--as-of", "2026-03-01",
            "--engine", "dask", "--out", str(tmp_path / "out")]
    done = subprocess.run([*args, "--scheduler", client.scheduler.address], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    shown = " ".join(done.stdout.split())
    assert f"{FILES * ROWS_PER_FILE} candidates in {FILES} partitions, engine dask" in shown
    assert (tmp_path / "out" / "results.parquet" / "part-00000.parquet").exists()
    refused = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, env=env)
    assert refused.returncode == 2
    assert "--engine dask writes results.parquet only" in " ".join(refused.stderr.split())
