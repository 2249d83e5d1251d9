"""The HTML reports as a person sees them: rendered by headless Chromium, photographed, read from the DOM.

Needs Debian's `chromium` (`.ci/run` installs it when absent); without it these tests are
skipped and say why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from screenshot_report import chromium, compare_html, dump_dom, screenshot  # noqa: E402

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium is not installed: apt-get install -y chromium "
                                                           "(.ci/run installs it when it can)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def dom_text(dom: str) -> str:
    body = dom.split("<body", 1)[1]
    body = re.sub(r"<style.*?</style>", "", body, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def title_of(dom: str) -> str:
    return unescape(dom.split("<title>", 1)[1].split("</title>", 1)[0])


def test_first_wave_comparison_reads_right_in_a_browser(tmp_path: Path) -> None:
    page = compare_html(tmp_path)
    png = tmp_path / "compare.png"
    screenshot(page, png)
    data = png.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1500)
    text = dom_text(dump_dom(page))
    assert "Tokyo's screening position vs Washington's screening position" in text
    # with the illustrative cash flows, Tokyo's floor reads Japan's own return under the waterfall (issue 9)
    assert "Tokyo's screening position (japan-position) 0 eligible 2 ineligible 1 incomplete" in text
    assert "Washington's screening position (us-position) 3 eligible 0 ineligible 0 incomplete" in text
    assert "ohio-gas-9gw: ineligible under japan-position, eligible under us-position" in text
    assert "Japan's IRR on its own flows is 2.48%, below the 5.25% deemed rate" in text
    assert "Under japan-position, it cannot become eligible: no change of the candidate's inputs" in text
    assert "only different cash flows change them" in text
    assert "georgia-synthetic-diamond: incomplete under japan-position" in text
    assert "Under japan-position, to become eligible: supply credit_rating" in text
    assert "To pass: set supply_chain_benefit_japan from false to true" in text
    assert "seeds/framework.yaml#japan-no-losses" in text and "Where the positions differ" in text


def test_hostile_ids_and_notes_show_as_text_and_never_run(tmp_path: Path) -> None:
    evil = tmp_path / "evil.csv"
    evil.write_text("id,sector,amount,equity,irr,currency,note\n"
                    '"<script>alert(1)</script>",energy,1000000000,10000000,0.01,USD,"=HYPERLINK(""http://x"",""y"")"\n'
                    "\"<script>document.title='pwned'</script>\",energy,1000000000,0,0.07,USD,\n"
                    "\"<img src=x onerror=\"\"document.title='pwned'\"\">\",energy,1000000000,0,0.07,USD,\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "screening.cli", "run", str(evil), "--rules", "tests/fixtures/packs/mini",
                    "--as-of", "2026-03-01", "--format", "html", "--out", str(tmp_path)], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    page = tmp_path / "results.html"
    png = tmp_path / "results.png"
    screenshot(page, png)
    assert png.read_bytes().startswith(PNG_MAGIC)
    dom = dump_dom(page)
    assert title_of(dom).startswith("Screening: A small pack for tests")  # no script rewrote it
    assert "<script" not in dom.split("<body", 1)[1] and "<img" not in dom
    text = dom_text(dom)
    assert "<script>alert(1)</script>" in text and "<script>document.title='pwned'</script>" in text
    assert "<img src=x onerror=\"document.title='pwned'\">" in text
    assert '=HYPERLINK("http://x","y")' in text
