"""Regenerate docs/compare.png: the first-wave comparison of Tokyo's and Washington's positions.

    python scripts/screenshot_report.py

Runs `screen compare ... --format html` and photographs the page with headless Chromium
(Debian package `chromium`). No network: the report is one self-contained file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(html: Path, png: Path, size: str = "1280,1100") -> None:
    """Photograph a local HTML file with headless Chromium."""
    browser = chromium()
    if browser is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size}",
                        f"--screenshot={png}", html.resolve().as_uri()], check=True, capture_output=True, timeout=120)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv",
                        "--rules", "rules/japan", "--rules", "rules/us", "--as-of", "2026-03-01",
                        "--format", "html", "--out", tmp], cwd=ROOT, check=True, capture_output=True)
        out = ROOT / "docs" / "compare.png"
        out.parent.mkdir(exist_ok=True)
        screenshot(Path(tmp) / "compare.html", out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
