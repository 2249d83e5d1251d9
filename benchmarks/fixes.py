"""What the fix and remedy search costs: a run with fixes against the same run without, in one process.

    python benchmarks/fixes.py [--rows 1000 5000] [--pack rules/japan] [--repeat 3]

For each size it writes a seeded synthetic list (candidates/generate.py) and times, in this one
run, reading the list, screening it (vector engine) and writing results.json, results.csv and
results.md — once with the general fix search and remedies (what `screen run` does for lists up
to 5,000 candidates) and once with only the direct threshold fixes (what it does above). It
prints the best of ``--repeat`` timings of each and the **ratio with / without** (target: at
most 2 at 5,000 rows), and how many fixes and remedies the search found. No timed test depends
on it; figures go to the README by hand, with the date and machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _lists import synthetic_list  # noqa: E402

AS_OF = dt.date(2026, 3, 1)


def one_run(path: Path, pack_dir: Path, out: Path, general_fixes: bool) -> tuple[float, int, int]:
    """(seconds, fixes found, remedies found) of read + screen + write json,csv,md."""
    from screening.candidates import read_candidates
    from screening.pack.load import load_pack
    from screening.render import write_outputs
    from screening.screen import screen_table
    pack = load_pack(pack_dir)  # loaded afresh: nothing searched in an earlier run is kept
    resolved = pack.resolve(AS_OF)
    start = time.perf_counter()
    table = read_candidates(path, pack.input_fields)
    result = screen_table(resolved, table, engine="vector")
    result.general_fixes = general_fixes
    write_outputs(result, out, ["json", "csv", "md"])
    seconds = time.perf_counter() - start
    ex = result.explainer
    fixes = sum(len(ex.fixes(j)) for j in range(len(pack.rules)))
    return seconds, fixes, len(ex.remedies())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--pack", type=Path, default=ROOT / "rules" / "japan")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"# {dt.date.today().isoformat()} · {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · pack {args.pack.name}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for rows in args.rows:
            path = synthetic_list(rows, folder)
            timings: dict[bool, float] = {}
            found: dict[bool, tuple[int, int]] = {}
            for _ in range(args.repeat):
                for general in (False, True):  # alternated, so a busy moment of the machine hits both
                    seconds, fixes, remedies = one_run(path, args.pack, folder / f"out-{rows}-{general}", general)
                    timings[general] = min(timings.get(general, float("inf")), seconds)
                    found[general] = (fixes, remedies)
            ratio = timings[True] / timings[False]
            print(f"{rows:>7,} rows: without search {timings[False]:6.2f} s ({found[False][0]:,} direct fixes); "
                  f"with fixes + remedies {timings[True]:6.2f} s ({found[True][0]:,} fixes, {found[True][1]:,} remedies); "
                  f"ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
