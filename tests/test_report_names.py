"""Reports name candidates, not only ids (issue 12 item 3): the pack's ``label`` field in the
terminal, Markdown, HTML (read through Chromium when it is installed), XLSX and CSV; the list's
kept columns in HTML and XLSX."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from screenshot_report import chromium, dump_dom  # noqa: E402

OHIO = "9.2 GW gas-fired power plant (Portsmouth)"


def screen(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "240"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True, env=env,
                          cwd=cwd)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("names")
    lines = (ROOT / "candidates/first_wave.csv").read_text().splitlines()
    (tmp / "list.csv").write_text("\n".join([lines[0] + ",desk_owner"] + [ln + ",kenji" for ln in lines[1:]]) + "\n")
    out = screen("run", "list.csv", "--rules", str(ROOT / "rules/japan"), "--as-of", "2026-03-01",
                 "--format", "json,csv,md,html,xlsx", cwd=tmp)
    assert out.returncode == 0, out.stderr
    return tmp / "reports/out", out


def test_terminal_and_markdown_show_the_name(written) -> None:
    folder, out = written
    assert re.search(r"┃ candidate\s+┃ name\s+┃ verdict", out.stdout)
    assert "9.2 GW gas-fired power" in out.stdout
    md = (folder / "results.md").read_text()
    assert "| Candidate | Name | Verdict |" in md and f"| ohio-gas-9gw | {OHIO} | incomplete |" in md
    assert f"## ohio-gas-9gw ({OHIO}): incomplete" in md


def test_xlsx_and_csv_show_the_name_and_kept_columns(written) -> None:
    folder, _ = written
    summary = load_workbook(folder / "results.xlsx")["Summary"]
    head = [c.value for c in summary[1]]
    assert head[:3] == ["candidate", "name", "verdict"] and "desk_owner" in head and "source" in head
    first = [c.value for c in summary[2]]
    assert first[:2] == ["ohio-gas-9gw", OHIO] and first[head.index("desk_owner")] == "kenji"
    with open(folder / "results.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["candidate_id", "rule", "category", "severity", "outcome", "message", "name"]
    assert rows[1][0] == "ohio-gas-9gw" and rows[1][-1] == OHIO


def test_html_shows_name_and_kept_columns_in_a_browser(written) -> None:
    folder, _ = written
    page = folder / "results.html"
    if chromium() is None:  # still read the page's text; the browser check runs where chromium is installed
        text = unescape(re.sub(r"<[^>]+>", " ", page.read_text()))
    else:
        text = unescape(re.sub(r"<[^>]+>", " ", dump_dom(page).split("<body", 1)[1]))
    text = re.sub(r"\s+", " ", text)
    assert "Candidate (name)" in text and f"ohio-gas-9gw {OHIO}" in text
    assert "desk_owner kenji" in text


def test_the_label_is_pack_configurable_and_checked(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(f"pack: labelled\nversion: '1'\nextends: [{ROOT / 'rules/framework'}]\n"
                                    "label: us_state\n")
    (tmp_path / "list.csv").write_text("id,name,sector,us_state,amount,currency\na,Plant,energy,OH,1e9,USD\n")
    out = screen("run", "list.csv", "--rules", str(pack), "--as-of", "2026-03-01", "--format", "md", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "| Candidate | Us_state |" in (tmp_path / "reports/out/results.md").read_text()
    (pack / "pack.yaml").write_text(f"pack: labelled\nversion: '1'\nextends: [{ROOT / 'rules/framework'}]\n"
                                    "label: us_stat\n")
    bad = screen("check", str(pack), cwd=tmp_path)
    assert bad.returncode == 2
    assert "pack.yaml:4 label: 'label' names 'us_stat', which is not an input field of the pack; did you mean " \
           "'us_state'?" in " ".join(bad.stderr.split())
