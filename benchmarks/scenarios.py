"""`screen scenarios` against `screen run` on a list of the same number of rows, in the same run.

    python benchmarks/scenarios.py [--draws 10000] [--rules rules/japan] [--repeat 1]

Screens the first wave and the shortlist (8 candidates) under `--draws` draws each with the
bundled spec (candidates/first_wave_scenarios.yaml, and candidates/first_wave_cashflows.csv when
the pack computes finance fields), then runs `screen run` on a list of candidates x draws rows
(the same 8 candidates repeated with new ids, their cash flows repeated too). Both are timed
end to end as a user runs them (a `python -m screening.cli` process writing JSON), best of
`--repeat`; the ratio scenarios / run is printed (the issue's target: 3 or less). Then the
scenario run's phases in one process: drawing + deciding, and rendering.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LISTS = [ROOT / "candidates" / "first_wave.csv", ROOT / "candidates" / "shortlist.csv"]
SPEC = ROOT / "candidates" / "first_wave_scenarios.yaml"
CASHFLOWS = ROOT / "candidates" / "first_wave_cashflows.csv"
AS_OF = "2026-03-01"


def cli(*args: str) -> float:
    """Seconds for one ``screen`` command (it must succeed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"screen {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def combined_list(folder: Path) -> tuple[Path, list[dict[str, str]]]:
    """First wave + shortlist as one CSV (same columns)."""
    rows: list[dict[str, str]] = []
    header: list[str] = []
    for path in LISTS:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = header or list(reader.fieldnames or [])
            rows += list(reader)
    out = folder / "first_wave_and_shortlist.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return out, rows


def repeated(folder: Path, rows: list[dict[str, str]], times: int) -> tuple[Path, Path | None]:
    """The list repeated ``times`` times with ids ``<id>-<k>`` (and the cash flows likewise)."""
    big = folder / "repeated.csv"
    with big.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for k in range(times):
            for row in rows:
                writer.writerow({**row, "id": f"{row['id']}-{k}"})
    if not CASHFLOWS.exists():
        return big, None
    with CASHFLOWS.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, flows = list(reader.fieldnames or []), list(reader)
    big_flows = folder / "repeated_cashflows.csv"
    with big_flows.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for k in range(times):
            for flow in flows:
                writer.writerow({**flow, "candidate_id": f"{flow['candidate_id']}-{k}"})
    return big, big_flows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--rules", default=str(ROOT / "rules" / "japan"))
    parser.add_argument("--spec", default=str(SPEC))
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    from screening.pack.load import load_pack
    finance = getattr(load_pack(args.rules), "finance", None) is not None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        listed, rows = combined_list(folder)
        n = len(rows) * args.draws
        big, big_flows = repeated(folder, rows, args.draws)
        flows = ["--cashflows", str(CASHFLOWS)] if finance and CASHFLOWS.exists() else []
        big_flow_args = ["--cashflows", str(big_flows)] if flows and big_flows else []
        scen = [cli("scenarios", str(listed), "--rules", args.rules, "--spec", args.spec, "--draws", str(args.draws),
                    "--as-of", AS_OF, *flows, "--out", str(folder / "s"), "-q") for _ in range(args.repeat)]
        run = [cli("run", str(big), "--rules", args.rules, "--as-of", AS_OF, *big_flow_args, "--format", "json",
                   "--out", str(folder / "r"), "-q") for _ in range(args.repeat)]
        print(f"{len(rows)} candidates x {args.draws:,} draws = {n:,} rows; pack {Path(args.rules).name}"
              f"{' with finance fields' if finance else ''}")
        print(f"screen scenarios  {min(scen):8.2f} s  {n / min(scen):10,.0f} rows/s")
        print(f"screen run        {min(run):8.2f} s  {n / min(run):10,.0f} rows/s  (list of {n:,} rows, --format json)")
        print(f"ratio scenarios / run: {min(scen) / min(run):.2f} (target <= 3)")

        from screening.candidates import read_candidates
        from screening.render.scenarios_html import scenarios_html
        from screening.render.scenarios_out import scenarios_csv, scenarios_markdown
        from screening.scenarios.result import render_scenarios_json
        from screening.scenarios.run import run_scenarios
        from screening.scenarios.spec import load_spec

        pack = load_pack(args.rules)
        resolved = pack.resolve(dt.date.fromisoformat(AS_OF))
        records = read_candidates(listed, pack.input_fields).records()
        loaded = load_spec(args.spec, pack)
        hook, fields = None, []
        if finance:
            from screening.finance.flows import read_cashflows
            from screening.scenarios.finance import DrawFinance
            cash = read_cashflows(CASHFLOWS, [str(r["id"]) for r in records]) if CASHFLOWS.exists() else None
            hook = DrawFinance(resolved, [str(r["id"]) for r in records], cash)
            fields = list(hook.fields)
        start = time.perf_counter()
        result = run_scenarios(resolved, records, loaded, draws=args.draws, finance=hook, finance_fields=fields)
        decided = time.perf_counter() - start
        start = time.perf_counter()
        for render in (render_scenarios_json, scenarios_csv, scenarios_markdown, scenarios_html):
            render(result)
        rendered = time.perf_counter() - start
        print(f"in one process: draw + derive + finance + decide {decided:.2f} s ({n / decided:,.0f} rows/s), "
              f"render json+csv+md+html {rendered:.2f} s")


if __name__ == "__main__":
    main()
