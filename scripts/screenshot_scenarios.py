"""Regenerate docs/scenarios.png: the first wave's scenario report as a negotiator sees it.

    python scripts/screenshot_scenarios.py [--out docs/scenarios.png] [--size 1280,1700] [--draws 10000]

Runs `screen scenarios candidates/first_wave.csv --rules rules/japan --spec
candidates/first_wave_scenarios.yaml --format html` (with `--cashflows
candidates/first_wave_cashflows.csv` when that file exists) and photographs the page with
headless Chromium, as scripts/screenshot_report.py does; without Chromium it says so and stops.
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

from screenshot_report import AS_OF, chromium, screenshot  # noqa: E402

CASHFLOWS = ROOT / "candidates" / "first_wave_cashflows.csv"


def scenarios_html(out_dir: Path, draws: int) -> Path:
    """Write the first wave's scenario report as HTML into ``out_dir``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    flows = ["--cashflows", str(CASHFLOWS)] if CASHFLOWS.exists() else []
    subprocess.run([sys.executable, "-m", "screening.cli", "scenarios", "candidates/first_wave.csv",
                    "--rules", "rules/japan", "--spec", "candidates/first_wave_scenarios.yaml", *flows,
                    "--draws", str(draws), "--as-of", AS_OF, "--format", "html", "--out", str(out_dir), "-q"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    return out_dir / "scenarios.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "scenarios.png")
    parser.add_argument("--size", default="1280,1700", help="window width,height in pixels")
    parser.add_argument("--draws", type=int, default=10_000)
    args = parser.parse_args()
    if chromium() is None:
        raise SystemExit("chromium is not installed (apt-get install chromium); no screenshot taken")
    with tempfile.TemporaryDirectory() as tmp:
        page = scenarios_html(Path(tmp), args.draws)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, args.size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
