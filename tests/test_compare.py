"""`screen compare`: the differences between two positions, and the causes behind each."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from screening.compare import compare_runs
from screening.pack.load import load_pack
from screening.screen import screen_file

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)


def run_both(a: Path, b: Path, candidates: Path):
    pa, pb = load_pack(a), load_pack(b)
    ra, rb = screen_file(candidates, pa, AS_OF, engine="reference"), screen_file(candidates, pb, AS_OF, engine="reference")
    return compare_runs(ra, rb, pa.resolve(AS_OF), pb.resolve(AS_OF))


def test_first_wave_japan_vs_us() -> None:
    c = run_both(ROOT / "rules/japan", ROOT / "rules/us", ROOT / "candidates/first_wave.csv")
    assert [d.id for d in c.differences] == ["ohio-gas-9gw", "texas-gulflink-crude", "georgia-synthetic-diamond"]
    ohio = c.differences[0]
    assert (ohio.verdict_a, ohio.verdict_b) == ("incomplete", "eligible")
    causes = {r.rule: r.cause for r in ohio.rules}
    assert causes["return-floor"] == "only_in_a" and causes["investment-grade"] == "only_in_a"


def test_condition_and_parameter_causes(tmp_path: Path) -> None:
    base = ROOT / "tests/fixtures/packs/mini"
    changed = tmp_path / "changed"
    shutil.copytree(base, changed)
    text = (changed / "pack.yaml").read_text()
    text = text.replace("hurdle_rate: {value: 0.05, source: test}", "hurdle_rate: {value: 0.08, source: test}")
    text = text.replace('require: "sector in priority_sectors"', 'require: "sector in priority_sectors or irr > 0.065"')
    (changed / "pack.yaml").write_text(text.replace("pack: mini", "pack: mini-changed"))
    c = run_both(base, changed, ROOT / "tests/fixtures/candidates/mini.csv")
    by = {(d.id, r.rule): r for d in c.differences for r in d.rules}
    floor = by[("c-ok", "irr-floor")]
    assert floor.cause == "parameters" and floor.parameters == {"hurdle_rate": (0.05, 0.08)}
    assert "hurdle_rate = 0.05 vs 0.08" in floor.explanation
    sector = by[("c-air", "sector-priority")]
    assert sector.cause == "condition" and "irr > 0.065" in sector.explanation


def test_compare_command_writes_reports(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv", "--rules",
                           "rules/japan", "--rules", "rules/us", "--as-of", "2026-03-01", "--format", "json,csv,md,html",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "ohio-gas-9gw" in done.stdout
    data = json.loads((tmp_path / "compare.json").read_text())
    assert data["a"]["summary"] == {"eligible": 0, "ineligible": 0, "incomplete": 3}
    assert data["b"]["summary"] == {"eligible": 3, "ineligible": 0, "incomplete": 0}
    assert (tmp_path / "compare.html").read_text().count("incomplete") >= 3
    one = subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv", "--rules",
                          "rules/japan"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert one.returncode == 2 and "exactly two packs" in one.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); .ci/run installs it")
def test_reports_render_in_a_browser_and_nothing_executes(tmp_path: Path) -> None:
    """Render the first-wave compare page and a run report holding a script tag, as a person would see them."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshot_report import CHROMIUM_FLAGS, screenshot

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "screening.cli", "compare", "candidates/first_wave.csv", "--rules",
                    "rules/japan", "--rules", "rules/us", "--as-of", "2026-03-01", "--format", "html", "--out",
                    str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True)
    evil = tmp_path / "evil.csv"
    evil.write_text('id,sector,amount,equity,irr,currency,note\n"<script>document.title=\'pwned\'</script>",energy,1,0,0.01,USD,'
                    '"=HYPERLINK(""http://x"",""y"")"\n')
    subprocess.run([sys.executable, "-m", "screening.cli", "run", str(evil), "--rules", "tests/fixtures/packs/mini",
                    "--as-of", "2026-03-01", "--format", "html,xlsx", "--out", str(tmp_path)], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    for page, expected in ((tmp_path / "compare.html", "incomplete under japan-position"),
                           (tmp_path / "results.html", "<script>document.title")):
        png = page.with_suffix(".png")
        screenshot(page, png)
        assert png.stat().st_size > 10_000
        dom = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                              page.as_uri()], capture_output=True, text=True, timeout=120).stdout
        assert "pwned" not in dom.split("<title>")[1].split("</title>")[0]  # the script never ran
        import re
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", dom))
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        assert expected in text, text[:2000]
