"""Waterfall + XIRR for many candidates: the vectorised path against the plain loop, in one run.

    python benchmarks/finance.py --candidates 100000 --years 30

Builds a seeded synthetic book (one investment, sometimes two tranches, then yearly cash for
``--years`` years: level, growing or shrinking; some projects never pay Japan back) as a
long-form table (candidate, date, invest, cash: what a cash-flow file holds). Each side gets the
book in its own form, built before its clock starts: the plain loop
(:mod:`screening.finance.loop`, the oracle the tests use: a Python waterfall and two pyxirr calls
per candidate) gets per-candidate lists of (date, invest, cash); the compiled path
(:func:`screening.finance.kernel.compute`: the waterfall and both XIRRs per candidate, numba)
gets the candidates x dates arrays. The headline is the ratio of those two times, with the
compiled path on one thread (the loop's one core) and on every core of the machine. Also
printed: the first call (loading the compiled code from numba's cache, or compiling it on a new
machine), the time to build the arrays from the long-form table (and from the lists), pyxirr
alone (one call per row, the floor any per-row XIRR has), and the agreement of the two sides on
every field of every candidate (made-whole dates must be identical).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.finance.flows import EPOCH_ORDINAL, FlowMatrix, anniversary  # noqa: E402
from screening.finance.kernel import compute, xirr_one  # noqa: E402
from screening.finance.loop import waterfall_one  # noqa: E402
from screening.finance.waterfall import Terms, as_python  # noqa: E402

Book = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # candidate, days since 1970, invest, cash


def synthetic_book(n: int, years: int, seed: int) -> Book:
    """Long-form flows: candidate i invests on 2026-01-01 (60% of capex when it comes in two
    tranches, the other 40% a year later) and receives capex x yield x (1 + growth)^(k-1) on
    anniversary k = 1 ... years."""
    rng = np.random.default_rng(seed)
    start = dt.date(2026, 1, 1)
    capex = rng.uniform(1e8, 5e10, n)
    yield_ = rng.uniform(0.03, 0.25, n)
    growth = rng.choice([-0.02, 0.0, 0.02], n)
    tranche = rng.random(n) < 0.3
    grid = np.array([anniversary(start, k).toordinal() - EPOCH_ORDINAL for k in range(years + 1)], dtype=np.int64)
    k = np.arange(years + 1)
    invest = np.zeros((n, years + 1))
    invest[:, 0] = capex * np.where(tranche, 0.6, 1.0)
    invest[:, 1] = np.where(tranche, capex * 0.4, 0.0)
    cash = np.where(k >= 1, capex[:, None] * yield_[:, None] * (1 + growth[:, None]) ** (k - 1), 0.0)
    return (np.repeat(np.arange(n), years + 1), np.tile(grid, n), invest.ravel(), cash.ravel())


def as_lists(book: Book, n: int) -> list[list[tuple[dt.date, float, float]]]:
    """The loop's input: per candidate, its (date, invest, cash) in date order."""
    candidate, days, invest, cash = book
    dates = {d: dt.date.fromordinal(d + EPOCH_ORDINAL) for d in np.unique(days).tolist()}
    out: list[list[tuple[dt.date, float, float]]] = [[] for _ in range(n)]
    for i, d, v, c in zip(candidate.tolist(), days.tolist(), invest.tolist(), cash.tolist()):
        out[i].append((dates[d], v, c))
    return out


class Clock:
    """Wall-clock and CPU seconds of a call (median over ``repeat`` runs, and the least, the run
    other processes disturbed least: this machine is often shared). CPU time is printed too."""

    def __init__(self, fn: Callable[[], object], repeat: int = 1) -> None:
        walls, cpus = [], []
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            self.result = fn()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        self.wall, self.cpu = statistics.median(walls), statistics.median(cpus)
        self.least = min(walls)

    def __str__(self) -> str:
        return f"{self.wall:.3f} s (CPU {self.cpu:.3f} s)"

    def ratio(self, other: "Clock") -> str:
        """How many times faster self is than other: wall (CPU)."""
        return f"{other.wall / self.wall:,.0f}x ({other.cpu / self.cpu:,.0f}x CPU)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="runs of the compiled path (median and least reported)")
    parser.add_argument("--no-pyxirr", action="store_true", help="skip timing pyxirr alone (one call per candidate, doubled)")
    args = parser.parse_args()
    n = args.candidates
    book = synthetic_book(n, args.years, args.seed)
    series = as_lists(book, n)
    terms = (0.05, 1.0, 0.5, 0.9)
    print(f"{n:,} candidates x {args.years + 1} flow dates (seed {args.seed}); deemed rate 5%, split 50/50 then 10/90")

    loop = Clock(lambda: [waterfall_one(flows, *terms).fields() for flows in series])
    print(f"plain loop (Python waterfall + pyxirr per candidate)  {loop}")
    # the loop again, a tenth of the candidates at a time: ten times its least disturbed tenth is
    # the loop's counterpart of the vectorised path's least disturbed run
    tenth = max(n // 10, 1)
    chunks = [Clock(lambda s=s: [waterfall_one(flows, *terms).fields() for flows in series[s:s + tenth]])
              for s in range(0, n - tenth + 1, tenth)]
    loop_least = min(c.wall for c in chunks) * n / tenth

    columns = Clock(lambda: FlowMatrix.from_columns(*book, n), args.repeat)
    matrix = columns.result
    assert isinstance(matrix, FlowMatrix)
    arrays = Terms.constant(n, *terms)
    cores = os.cpu_count() or 1
    first = Clock(lambda: compute(matrix, arrays, threads=1))
    vector = Clock(lambda: compute(matrix, arrays, threads=1).fields, args.repeat)
    print(f"compiled, one thread (waterfall + two XIRRs per candidate) {vector}  = {vector.ratio(loop)} the loop "
          f"(median of {args.repeat}; the first call, loading or compiling the code: {first})")
    threaded = Clock(lambda: compute(matrix, arrays).fields, args.repeat)
    print(f"compiled, {cores} threads (this machine's cores)          {threaded}  = {threaded.ratio(loop)} the loop")
    print(f"least disturbed: loop {loop_least:.3f} s (10 x its fastest tenth), compiled {vector.least:.3f} s on one "
          f"thread = {loop_least / vector.least:,.0f}x, {threaded.least:.3f} s on {cores} = "
          f"{loop_least / threaded.least:,.0f}x")
    lists = Clock(lambda: FlowMatrix.from_lists(series))
    print(f"  + building the candidates x dates arrays: from the long-form table {columns}; "
          f"from the loop's lists {lists}")

    if not args.no_pyxirr:
        days = matrix.days
        project = matrix.cash - matrix.invest
        start = time.perf_counter()
        for i in range(n):
            xirr_one(days[i], project[i])
        pyxirr_s = 2 * (time.perf_counter() - start)
        print(f"pyxirr alone, one call per row (2 XIRRs/candidate)    {pyxirr_s:.2f} s  "
              f"({pyxirr_s / vector.wall:,.0f}x the whole compiled path on one thread)")

    assert isinstance(vector.result, dict) and isinstance(loop.result, list)
    got = as_python(vector.result)
    loop_fields: list[dict[str, object]] = loop.result
    worst = 0.0
    dates_equal = 0
    for i, want in enumerate(loop_fields):
        for name, value in want.items():
            if name == "japan_made_whole_on":
                dates_equal += got[name][i] == value
            elif value is None or got[name][i] is None:
                assert value is got[name][i] is None, (i, name, value, got[name][i])
            else:
                worst = max(worst, abs(got[name][i] - value) / max(1.0, abs(value)))  # type: ignore[operator]
    made = sum(v["japan_made_whole_on"] is not None for v in loop_fields)
    print(f"agreement: largest relative difference {worst:.1e}; made-whole dates equal for {dates_equal:,}/{n:,} "
          f"(made whole within the flows: {made:,})")
    assert isinstance(threaded.result, dict)
    same = all(np.array_equal(vector.result[k], threaded.result[k], equal_nan=True) for k in vector.result)
    print(f"threads: {'the same fields as one thread, bit for bit' if same else 'DIFFERENT from one thread'}")
    assert worst < 1e-8 and dates_equal == n and same


if __name__ == "__main__":
    main()
