"""Print the verdict tables of rules/README.md by screening the bundled lists under each default pack.

    python scripts/verdict_table.py [--as-of 2026-03-01]

Runs `screen run LIST --rules rules/PACK [--cashflows candidates/first_wave_cashflows.csv]` for the
first wave, the shortlist and the edge cases, and prints one Markdown table per list: each
candidate's verdict under framework, japan and us, Japan's IRR and made-whole date where cash
flows exist, and the blocking rules that fail or are missing under Tokyo's position.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("framework", "japan", "us")
LISTS = (("first_wave", "candidates/first_wave_cashflows.csv"), ("shortlist", None), ("edge_cases", None))


def screen(list_name: str, pack: str, cashflows: str | None, as_of: str, out: Path) -> dict:
    args = [sys.executable, "-m", "screening.cli", "run", f"candidates/{list_name}.csv", "--rules", f"rules/{pack}",
            "--as-of", as_of, "--out", str(out), "--quiet"]
    if cashflows:
        args += ["--cashflows", cashflows]
    subprocess.run(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True, capture_output=True)
    return json.loads((out / "results.json").read_text())


def pct(value: object) -> str:
    return f"{value:.2%}" if isinstance(value, float) else "—"


def table(list_name: str, cashflows: str | None, as_of: str) -> list[str]:
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for pack in PACKS:
            runs[pack] = screen(list_name, pack, cashflows, as_of, Path(tmp) / pack)
    flags = f" --cashflows {cashflows}" if cashflows else ""
    lines = [f"`screen run candidates/{list_name}.csv --rules rules/<pack>{flags} --as-of {as_of}`:", "",
             "| candidate | framework | japan-position | us-position | Japan IRR (project IRR) | made whole | "
             "blocking rules failing or missing under Tokyo |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for i, c in enumerate(runs["japan"]["candidates"]):
        verdicts = [runs[p]["candidates"][i]["verdict"] for p in PACKS]
        finance = c.get("finance") or {}
        bad = [f"`{o['rule']}` {o['outcome']}" for o in c["outcomes"]
               if o["severity"] == "blocking" and o["outcome"] in ("fail", "missing")]
        made = finance.get("japan_made_whole_on") or ("never" if finance.get("japan_irr") is not None else "—")
        lines.append(f"| {c['id']} | {' | '.join(verdicts)} | {pct(finance.get('japan_irr'))} "
                     f"({pct(finance.get('project_irr'))}) | {made} | {', '.join(bad) or '—'} |")
    portfolio = [runs[p].get("portfolio", {}).get("verdict", "—") for p in PACKS]
    lines.append(f"| **the package** | {' | '.join(portfolio)} | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", default="2026-03-01")
    as_of = parser.parse_args().as_of
    for list_name, cashflows in LISTS:
        print("\n".join(table(list_name, cashflows, as_of)), end="\n\n")


if __name__ == "__main__":
    main()
