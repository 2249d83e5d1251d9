"""Regenerate docs/scenarios.png: the first wave's scenario report as a negotiator sees it.

    python scripts/screenshot_scenarios.py [--out docs/scenarios.png] [--size 1280,2300] [--draws 10000]

Runs `screen scenarios candidates/first_wave.csv --rules rules/japan --cashflows
candidates/first_wave_cashflows.csv --spec candidates/first_wave_scenarios.yaml --format html`
(issue 13's demo: capex overruns scale the invested flows, yields the cash, and Tokyo's floor
reads Japan's own IRR). `--list`/`--spec` choose others (then without the cash flows). The page is
photographed with headless Chromium, as scripts/screenshot_report.py does; without Chromium it
says so and stops.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

from screenshot_report import AS_OF, chromium, screenshot  # noqa: E402

CASHFLOWS = ROOT / "candidates" / "first_wave_cashflows.csv"


def default_inputs() -> tuple[str, str, list[str]]:
    """(list, spec, extra arguments) for the screenshot: the first wave with its cash flows."""
    return "candidates/first_wave.csv", "candidates/first_wave_scenarios.yaml", ["--cashflows", str(CASHFLOWS)]


def scenarios_html(out_dir: Path, draws: int, listed: str, spec: str, extra: list[str]) -> Path:
    """Write the scenario report as HTML into ``out_dir``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "screening.cli", "scenarios", listed,
                    "--rules", "rules/japan", "--spec", spec, *extra,
                    "--draws", str(draws), "--as-of", AS_OF, "--format", "html", "--out", str(out_dir), "-q"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return out_dir / "scenarios.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scenarios.png")
    parser.add_argument("--size", default="1280,2300", help="window width,height in pixels")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--list", help="candidate list (default: see above)")
    parser.add_argument("--spec", help="scenario spec (default: see above)")
    args = parser.parse_args()
    listed, spec, extra = default_inputs()
    if args.list or args.spec:
        listed, spec, extra = args.list or listed, args.spec or spec, []
    if chromium() is None:
        raise SystemExit("chromium is not installed (apt-get install chromium); no screenshot taken")
    with tempfile.TemporaryDirectory() as tmp:
        page = scenarios_html(Path(tmp), args.draws, listed, spec, extra)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, args.size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
