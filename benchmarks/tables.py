"""Measure decision tables: the reference (row by row) against the vector backend's columns.

    python benchmarks/tables.py --rows 20000

Builds a pack with a unique table of ``--table-rows`` rows over a number and a text input (an
interval per row and a value list), screens ``--rows`` synthetic candidates, and prints the time
of each evaluator and the reference's time as a ratio of the vector one, measured in the same run.
Also checks that both gave the same value for every candidate and prints ``screen check``'s
verification time for the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.derive import with_derived
from screening.engines.vector import build_frame, frame_records, with_derived_frame
from screening.pack.load import load_pack
from screening.tables.verify import verify_table

SECTORS = ["energy", "metals", "semiconductors", "shipbuilding", "pharmaceuticals", "ai_quantum", "other"]


def write_pack(folder: Path, table_rows: int) -> None:
    rows = []
    step = 100.0 / table_rows
    for i in range(table_rows):
        sectors = ", ".join(SECTORS[: 1 + i % (len(SECTORS) - 1)])
        rows.append(f'      - {{x: "[{i * step:.4f}, {(i + 1) * step:.4f})", s: "{sectors}", then: {i}}}\n')
    (folder / "pack.yaml").write_text(
        'pack: bench\nversion: "1"\nfields:\n  id: {type: string}\n  x: {type: number}\n  s: {type: string}\n'
        "tables:\n  t:\n    hit: first\n    inputs: {x: x, s: s}\n    output: integer\n    else: -1\n"
        f"    rows:\n{''.join(rows)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--table-rows", type=int, default=40)
    args = parser.parse_args()
    rng = random.Random(7)
    base = [{"id": f"c{i}", "x": None if i % 50 == 0 else rng.uniform(-5, 105), "s": rng.choice(SECTORS)}
            for i in range(args.rows)]
    with tempfile.TemporaryDirectory() as tmp:
        write_pack(Path(tmp), args.table_rows)
        resolved = load_pack(tmp).resolve(dt.date(2026, 3, 1))
        start = time.perf_counter()
        reference = [r["t"] for r in with_derived(resolved, base)]
        t_ref = time.perf_counter() - start
        frame = build_frame(resolved, base)
        start = time.perf_counter()
        derived = with_derived_frame(resolved, frame)
        t_vec = time.perf_counter() - start
        vector = [r["t"] for r in frame_records(resolved, derived)]
        start = time.perf_counter()
        findings = verify_table(resolved.pack.tables["t"], resolved)
        t_verify = time.perf_counter() - start
    same = reference == vector
    print(f"{args.rows:,} candidates x a {args.table_rows}-row table (hit first, 2 inputs)")
    print(f"reference (row by row)   {t_ref:8.3f} s  {args.rows / t_ref:12,.0f} candidates/s")
    print(f"vector (numpy.select)    {t_vec:8.3f} s  {args.rows / t_vec:12,.0f} candidates/s")
    print(f"ratio reference / vector {t_ref / t_vec:8.1f}")
    print(f"screen check verification {t_verify:7.3f} s ({len(findings)} findings)")
    print(f"same values: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
