"""Measure the engine backends and the whole pipeline on a synthetic list, in one process.

    python benchmarks/engines.py --rows 20000 --pack rules/japan

Prints candidates per second for each phase and each backend, and each backend's time as a
ratio to the reference evaluator measured in the same run (ratios travel between machines
better than seconds). Also checks that every backend gave the reference's outcomes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "candidates"))

from generate import COLUMNS, synthetic_rows  # noqa: E402

from screening.candidates import read_candidates  # noqa: E402
from screening.derive import with_derived  # noqa: E402
from screening.engines import get_engine  # noqa: E402
from screening.outcomes import RunResult, build_results  # noqa: E402
from screening.pack.load import load_pack  # noqa: E402
from screening.render import _renderer  # noqa: E402


def timed(label: str, func, rows: int, results: dict):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - start
    results[label] = seconds
    print(f"{label:<22} {seconds:8.3f} s  {rows / seconds:12,.0f} candidates/s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--pack", default=str(ROOT / "rules" / "japan"))
    parser.add_argument("--as-of", default="2026-06-01")
    args = parser.parse_args()

    import csv
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(synthetic_rows(args.rows, seed=7))
        pack = load_pack(args.pack)
        resolved = pack.resolve(dt.date.fromisoformat(args.as_of))
        n = args.rows
        print(f"{n:,} synthetic candidates x {len(pack.rules)} rules ({pack.name}), as of {args.as_of}")
        t: dict[str, float] = {}
        table = timed("read + type CSV", lambda: read_candidates(path, pack.input_fields), n, t)
        records = table.records()
        base = [{k: v for k, v in r.items() if k in pack.fields} | {"stage": None, "stage_since": None, "deadline": None}
                for r in records]
        rows = timed("derive fields", lambda: with_derived(resolved, base), n, t)
        matrices = {}
        for engine in ("reference", "durable", "vector"):
            matrices[engine] = timed(f"decide: {engine}", lambda e=engine: get_engine(e).decide(resolved, rows), n, t)
        results = timed("explain (records)", lambda: build_results(resolved, rows, matrices["reference"],
                                                                   row_numbers=table.rows, inputs=records), n, t)
        run = RunResult({"pack": pack.name, "pack_version": pack.version, "as_of": args.as_of, "engine": "-",
                         "parameters": {}}, results)
        for fmt in ("json", "csv", "md"):
            timed(f"render {fmt}", lambda f=fmt: _renderer(f)(run), n, t)
        print()
        for engine in ("durable", "vector"):
            same = matrices[engine] == matrices["reference"]
            ratio = t[f"decide: {engine}"] / t["decide: reference"]
            print(f"{engine:<8} time / reference time = {ratio:6.2f}   outcomes identical: {same}")
            if not same:
                raise SystemExit(f"{engine} disagrees with the reference")
        events = n * len(pack.rules)
        print(f"durable_rules: {events / t['decide: durable']:,.0f} events/s ({events:,} events, one per candidate and rule)")


if __name__ == "__main__":
    main()
