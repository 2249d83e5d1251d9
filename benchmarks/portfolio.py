"""Measure portfolio aggregates (CONTRACT.md §10): columnar vs a plain loop, in one process.

    python benchmarks/portfolio.py --rows 100000 --pack rules/japan

Every aggregate of the pack's portfolio rules is computed twice over the same derived rows:
by :func:`screening.portfolio.aggregate_values` (one typed frame, numpy over columns) and by a
plain loop calling the reference evaluator per candidate (the oracle). Prints seconds, the
ratio loop / columnar, and checks both gave the same values and the same missing counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "candidates"))

from generate import synthetic_rows  # noqa: E402

from screening.candidates import table_from_records  # noqa: E402
from screening.derive import with_derived  # noqa: E402
from screening.lang import nodes as n  # noqa: E402
from screening.lang.evaluate import evaluate, truth  # noqa: E402
from screening.pack.load import load_pack  # noqa: E402
from screening.portfolio import aggregate_values  # noqa: E402


def loop_aggregate(node: n.Aggregate, rows: list[dict[str, object]], constants: dict[str, object]):
    """The aggregate one candidate at a time: (value, number of candidates that kept it unknown)."""
    total, count, missing = [], 0, 0
    for row in rows:
        env = {**row, **constants}
        cond = node.arg if node.func == "count" else node.where
        inside = True if cond is None else truth(cond, env)
        if inside is None:
            missing += 1
            continue
        if not inside:
            continue
        count += 1
        if node.func != "count":
            value = evaluate(node.arg, env)  # type: ignore[arg-type]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                missing += 1
                continue
            total.append(value)
    if missing:
        return None, missing
    if node.func == "count":
        return count, 0
    s = math.fsum(total)
    return (s if node.func == "total" else (s / count if count else None)), 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--pack", default=str(ROOT / "rules" / "japan"))
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    pack = load_pack(args.pack)
    resolved = pack.resolve(dt.date(2026, 3, 1))
    records = synthetic_rows(args.rows, args.seed)
    table = table_from_records(records, pack.input_fields)
    rows = with_derived(resolved, [{**r, "stage": None, "stage_since": None, "deadline": None}
                                   for r in table.records()])
    aggregates: dict[str, n.Aggregate] = {}
    for rule in pack.portfolio_rules:
        aggregates.update(rule.aggregates)
    print(f"{len(rows):,} candidates, {len(aggregates)} aggregates of {len(pack.portfolio_rules)} portfolio rules "
          f"({pack.name})")
    start = time.perf_counter()
    columnar = aggregate_values(resolved, rows, aggregates)
    t_col = time.perf_counter() - start
    constants = resolved.constants()
    start = time.perf_counter()
    looped = {key: loop_aggregate(node, rows, constants) for key, node in aggregates.items()}
    t_loop = time.perf_counter() - start
    same = all(columnar[k].value == looped[k][0] and len(columnar[k].missing_ids) == looped[k][1] for k in aggregates)
    print(f"columnar (numpy over columns) {t_col:8.3f} s")
    print(f"plain loop (reference)        {t_loop:8.3f} s")
    print(f"ratio loop / columnar         {t_loop / t_col:8.1f}x   same values and missing counts: {same}")
    if not same:
        for k in aggregates:
            print(f"  {k}: columnar {columnar[k].value} ({len(columnar[k].missing_ids)} missing), loop {looped[k]}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
