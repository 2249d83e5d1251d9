"""The whole `screen run` pipeline at growing list sizes, phase by phase, against an IO floor.

    python benchmarks/pipeline.py --rows 10000 100000 [--pack rules/japan] [--keep DIR]

For each size it writes a seeded synthetic list (candidates/generate.py) as CSV and Parquet,
then measures in this one run:

* **floors**: (a) read the Parquet list with pyarrow and write a Parquet outcome table of the
  same shape as results.parquet (candidates × rules rows, dictionary-encoded); (b) read the
  CSV list with pyarrow and write a CSV of the same number of outcome rows *with* a message;
* **phases** in one process (read + type, derive + decide, messages, fixes, render json / csv
  / parquet), with the vector engine;
* **whole processes** as a user runs them: `screen run LIST.parquet --format parquet` and
  `screen run LIST.csv --format json,csv`, with their peak memory (max RSS of the child).

It prints seconds and, what matters, **ratios to the floor** measured in the same run. No timed
test depends on it; figures go to the README by hand, with the date and machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

AS_OF = dt.date(2026, 3, 1)


def generate(rows: int, folder: Path) -> tuple[Path, Path]:
    """A seeded synthetic list as CSV and Parquet (all columns text, as the CSV reads)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    spec = importlib.util.spec_from_file_location("generate", ROOT / "candidates" / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    data = module.synthetic_rows(rows, 7)
    csv_path, parquet_path = folder / f"list-{rows}.csv", folder / f"list-{rows}.parquet"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=module.COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)
    columns = {c: [r[c] or None for r in data] for c in module.COLUMNS}
    pq.write_table(pa.table(columns), parquet_path)
    return csv_path, parquet_path


def floor_parquet(path: Path, rules: int, out: Path) -> float:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    start = time.perf_counter()
    table = pq.read_table(path)
    n = table.num_rows
    ids = table.column("id").combine_chunks()
    codes = np.zeros(n * rules, dtype=np.int32)
    arrays = [pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(n, dtype=np.int32), rules)), ids),
              pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(["eligible", "ineligible", "incomplete"])),
              pa.DictionaryArray.from_arrays(pa.array(np.tile(np.arange(rules, dtype=np.int32), n)),
                                             pa.array([f"rule-{j}" for j in range(rules)])),
              pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(["pass", "fail", "missing", "not_applicable"]))]
    pq.write_table(pa.Table.from_arrays(arrays, names=["candidate_id", "verdict", "rule", "outcome"]),
                   out / "floor.parquet", compression="zstd")
    return time.perf_counter() - start


def floor_csv(path: Path, rules: int, out: Path) -> float:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    start = time.perf_counter()
    table = pcsv.read_csv(path)
    n = table.num_rows
    ids = table.column("id").combine_chunks().take(pa.array(np.repeat(np.arange(n), rules)))
    irr = pc.cast(table.column("amount").combine_chunks(), pa.string()).take(pa.array(np.repeat(np.arange(n), rules)))
    message = pc.binary_join_element_wise("Projected amount ", irr, " is below the floor of the framework", "")
    pcsv.write_csv(pa.table({"candidate_id": ids, "rule": pa.array(np.tile([f"rule-{j}" for j in range(rules)], n)),
                             "outcome": pa.array(np.full(n * rules, "fail")), "message": message}),
                   out / "floor.csv")
    return time.perf_counter() - start


def whole_process(args: list[str], module: str = "screening.cli", path: str | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of `python -m screening.cli ARGS` (or of the script ``path``) in a child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runner = f"runpy.run_path({path!r}, run_name='__main__')" if path else f"runpy.run_module({module!r}, run_name='__main__')"
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        # The child writes its own VmHWM (peak RSS of its address space since exec) at exit: a forked
        # child's ru_maxrss would start from this (large) parent's.
        launcher = ("import atexit, runpy, sys\n"
                    "def peak():\n"
                    "    line = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
                    f"    open({rss.name!r}, 'w').write(line.split()[1])\n"
                    "atexit.register(peak)\n"
                    "sys.argv = ['screen', *sys.argv[1:]]\n"
                    f"{runner}\n")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", launcher, *args], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{path or 'screen'} {' '.join(args)} failed: {done.stderr[-2000:]}")
        return seconds, int(rss.read().strip()) / 1024


def phases(path: Path, pack_dir: Path, out: Path) -> dict[str, float]:
    from screening.candidates import read_candidates
    from screening.pack.load import load_pack
    from screening.render import write_outputs
    from screening.screen import screen_table
    times: dict[str, float] = {}
    pack = load_pack(pack_dir)
    resolved = pack.resolve(AS_OF)
    t = time.perf_counter()
    table = read_candidates(path, pack.input_fields)
    times["read + type"] = time.perf_counter() - t
    t = time.perf_counter()
    result = screen_table(resolved, table, engine="vector")
    times["derive + decide (+ portfolio)"] = time.perf_counter() - t
    ex = result.explainer
    t = time.perf_counter()
    for j in range(len(pack.rules)):
        ex.messages(j)
    times["messages"] = time.perf_counter() - t
    t = time.perf_counter()
    for j in range(len(pack.rules)):
        ex.fixes(j)
    ex.remedies()
    times["fixes" + (" + remedies" if result.general_fixes else " (direct)")] = time.perf_counter() - t
    for fmt in ("json", "csv", "parquet"):
        t = time.perf_counter()
        write_outputs(result, out / "phases", [fmt])
        times[f"render {fmt}"] = time.perf_counter() - t
    return times


def versus_zen(rows: int, folder: Path) -> None:
    """The same 12 generated rules under `screen run` and GoRules ZEN's evaluate_batch, whole processes:
    read the CSV list, decide, write an outcome CSV (ours with messages), against the csv floor."""
    import zen_peer
    try:
        import zen  # noqa: F401
    except ImportError:
        print("\nGoRules ZEN: not installed (pip install 'screening[bench]'); comparison skipped")
        return
    listing, pack, decision = zen_peer.write_case(rows, folder)
    out = folder / f"zen-out-{rows}"
    out.mkdir(exist_ok=True)
    fc = floor_csv(listing, len(zen_peer.RULES), out)
    common = ["--rules", str(pack), "--as-of", AS_OF.isoformat(), "-q", "--out", str(out / "ours")]
    ours, ours_mem = whole_process(["run", str(listing), *common, "--engine", "vector", "--format", "csv"])
    theirs, theirs_mem = whole_process([str(listing), str(out / "zen.csv"), str(decision)],
                                       path=str(ROOT / "benchmarks" / "zen_peer.py"))
    differ = zen_peer.compare(out / "zen.csv", out / "ours" / "results.csv")
    print(f"\n## GoRules ZEN {version('zen-engine')}: {rows:,} candidates x {len(zen_peer.RULES)} generated rules, "
          f"CSV in -> outcome CSV (outcomes that differ: {differ})")
    print(f"floor csv {fc:.2f} s")
    print(f"  whole: screen run --engine vector --format csv   {ours:7.2f} s   {ours / fc:6.1f}x csv floor   peak {ours_mem:,.0f} MiB")
    print(f"  whole: ZEN evaluate_batch                       {theirs:7.2f} s   {theirs / fc:6.1f}x csv floor   peak {theirs_mem:,.0f} MiB")
    print(f"  ZEN / screen: {theirs / ours:.2f} (above 1: screen is faster)")


def version(name: str) -> str:
    from importlib.metadata import version as installed
    return installed(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--pack", type=Path, default=ROOT / "rules" / "japan")
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated lists here")
    parser.add_argument("--no-phases", action="store_true", help="whole processes only (large sizes)")
    parser.add_argument("--zen", type=int, default=0, metavar="ROWS",
                        help="also compare with GoRules ZEN at ROWS candidates (e.g. 100000)")
    parser.add_argument("--dask", type=int, default=0, metavar="ROWS",
                        help="also compare --engine dask (local cluster) with one process at ROWS candidates")
    args = parser.parse_args()
    from screening.pack.load import load_pack
    rules = len(load_pack(args.pack).rules)
    print(f"# {dt.date.today().isoformat()} · {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · pack {args.pack.name} ({rules} rules)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            csv_path, parquet_path = generate(rows, folder)
            out = folder / f"out-{rows}"
            out.mkdir(exist_ok=True)
            fp, fc = floor_parquet(parquet_path, rules, out), floor_csv(csv_path, rules, out)
            print(f"\n## {rows:,} candidates × {rules} rules")
            print(f"floor parquet (read list + write outcome table): {fp:.2f} s; "
                  f"floor csv (read list + write outcome csv with messages): {fc:.2f} s")
            if not args.no_phases:
                for phase, seconds in phases(csv_path, args.pack, out).items():
                    print(f"  phase {phase:32s} {seconds:7.2f} s   {seconds / fc:6.1f}× csv floor")
            common = ["--rules", str(args.pack), "--as-of", AS_OF.isoformat(), "--engine", "vector", "-q"]
            s, mem = whole_process(["run", str(parquet_path), *common, "--format", "parquet", "--out", str(out / "pq")])
            print(f"  whole: parquet in -> parquet out   {s:7.2f} s   {s / fp:6.1f}× parquet floor   peak {mem:,.0f} MiB")
            if rows > 100_000:  # results.json would be about 8 KB per candidate
                continue
            s, mem = whole_process(["run", str(csv_path), *common, "--format", "json,csv", "--out", str(out / "jc")])
            print(f"  whole: csv in -> json,csv          {s:7.2f} s   {s / fc:6.1f}× csv floor       peak {mem:,.0f} MiB")
        if args.zen:
            versus_zen(args.zen, folder)
        if args.dask:
            versus_dask(args.dask, folder, args.pack)


def versus_dask(rows: int, folder: Path, pack: Path) -> None:
    """`--engine dask` on a local cluster (one worker per core) against one process, Parquet in -> parquet out."""
    import pyarrow.parquet as pq
    _, generated = generate(rows, folder)
    parquet_path = folder / f"list-{rows}-groups.parquet"  # row groups of 100,000: a Dask task each
    pq.write_table(pq.read_table(generated), parquet_path, row_group_size=100_000)
    out = folder / f"dask-out-{rows}"
    common = ["--rules", str(pack), "--as-of", AS_OF.isoformat(), "-q", "--format", "parquet"]
    one, one_mem = whole_process(["run", str(parquet_path), *common, "--engine", "vector", "--out", str(out / "one")])
    many, many_mem = whole_process(["run", str(parquet_path), *common, "--engine", "dask", "--out", str(out / "dask")])
    print(f"\n## --engine dask vs one process: {rows:,} candidates, Parquet in -> parquet out ({os.cpu_count()} cores)")
    print(f"  one process (vector, read in chunks)   {one:7.2f} s   peak {one_mem:,.0f} MiB")
    print(f"  dask local cluster                     {many:7.2f} s   peak {many_mem:,.0f} MiB (client only)")
    print(f"  dask / one process: {many / one:.2f}")


if __name__ == "__main__":
    main()
