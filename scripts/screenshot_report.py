"""Regenerate docs/report.png: the first-wave comparison of Tokyo's and Washington's positions.

    python scripts/screenshot_report.py [--out docs/report.png] [--size 1280,1500]

Runs `screen compare candidates/first_wave.csv --rules rules/japan --rules rules/us --cashflows
candidates/first_wave_cashflows.csv --format html` (Tokyo's floor reads Japan's own flows)
and photographs the page with headless Chromium (Debian package `chromium`). No network: the
report is one self-contained file, and Chromium runs with networking features switched off.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-03-01"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--disable-extensions"]


def chromium() -> str | None:
    """The headless browser on this machine, if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _run_browser(args: list[str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    browser = chromium()
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], check=True,
                              capture_output=True, text=True, timeout=timeout)


def screenshot(html: Path, png: Path, size: str = "1280,1500") -> None:
    """Photograph a local HTML file with headless Chromium."""
    _run_browser([f"--window-size={size}", f"--screenshot={png.resolve()}", html.resolve().as_uri()])


def dump_dom(html: Path) -> str:
    """The page's DOM after loading (and after any script, were there one), as Chromium serialises it."""
    return _run_browser(["--dump-dom", html.resolve().as_uri()]).stdout


def compare_html(out_dir: Path) -> Path:
    """Write the first-wave comparison (japan vs us, with the illustrative cash flows) as HTML into ``out_dir``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv",
                    "--rules", "rules/japan", "--rules", "rules/us", "--as-of", AS_OF,
                    "--cashflows", "candidates/first_wave_cashflows.csv",
                    "--format", "html", "--out", str(out_dir)], cwd=ROOT, env=env, check=True, capture_output=True)
    return out_dir / "compare.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--size", default="1280,1500", help="window width,height in pixels")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        page = compare_html(Path(tmp))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, args.out, args.size)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
