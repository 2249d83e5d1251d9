"""Negotiator reports: the HTML page and the XLSX workbook say what a person needs, and nothing in a list runs."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from screening.pack.load import load_pack
from screening.render.html import amount_band, plain, render_html, usd_amount
from screening.render.xlsx import render_xlsx
from screening.screen import screen_file

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)
SCRIPT_ID = "<script>alert(1)</script>"
IMG_ID = '<img src=x onerror="alert(2)">'
FORMULA_NOTE = '=HYPERLINK("http://x","y")'
EVIL_CSV = (
    "id,sector,amount,equity,irr,currency,note\n"
    '"<script>alert(1)</script>",energy,1000000000,10000000,0.01,USD,"=HYPERLINK(""http://x"",""y"")"\n'
    '"<img src=x onerror=""alert(2)"">",energy,1000000000,10000000,0.07,USD,@SUM(A1:A9)\n'
    "-1+2,energy,1000000000,10000000,0.07,USD,+cmd|' /C calc'!A0\n"
)


class _Text(HTMLParser):
    """The text a browser would show (character references decoded), and every tag seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.parts).append(data)


def parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    return parser


def page_text(page: str) -> tuple[str, set[str]]:
    parser = parse(page)
    return re.sub(r"\s+", " ", "".join(parser.parts)), parser.tags


@pytest.fixture(scope="module")
def evil_files(tmp_path_factory) -> Path:
    """`screen run` over a list whose ids and notes try to run, in every format."""
    tmp = tmp_path_factory.mktemp("evil")
    (tmp / "evil.csv").write_text(EVIL_CSV)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "run", str(tmp / "evil.csv"), "--rules",
                           "tests/fixtures/packs/mini", "--as-of", "2026-03-01", "--format", "json,csv,md,html,xlsx",
                           "--out", str(tmp)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return tmp


@pytest.fixture(scope="module")
def edge_run():
    # rules/japan with its pre-issue-9 floor on the stated IRR: the edge cases state an irr, no cash flows
    # (rules/japan reads Japan's own flows; tests/test_finance_screening.py covers its reports)
    return screen_file(ROOT / "candidates/edge_cases.csv", load_pack(ROOT / "tests/fixtures/packs/stated_irr"), AS_OF,
                       engine="reference")


def test_html_shows_hostile_text_as_text(evil_files: Path) -> None:
    page = (evil_files / "results.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert "onerror=" not in page.replace("onerror=&#34;", "")
    text, tags = page_text(page)
    assert SCRIPT_ID in text and IMG_ID in text and FORMULA_NOTE in text  # shown, as a person would read them
    assert not tags & {"script", "img", "iframe", "object", "embed", "link"}
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("#c-") for h in hrefs)  # only links within the page


def test_html_is_one_self_contained_file(evil_files: Path) -> None:
    parsed = parse((evil_files / "results.html").read_text())
    assert not parsed.tags & {"script", "link", "img", "iframe", "object", "embed", "base", "form", "meta"} - {"meta"}
    for tag, name, value in parsed.attrs:
        assert name not in ("src", "srcset", "action", "style") and not name.startswith("on"), (tag, name, value)
        if name == "href":
            assert value.startswith("#"), value
        if name == "xmlns":
            assert value == "http://www.w3.org/2000/svg"
    style = "".join(parsed.styles)
    assert style and "@import" not in style and "url(" not in style


def test_xlsx_cells_never_hold_a_formula(evil_files: Path) -> None:
    wb = load_workbook(evil_files / "results.xlsx")
    assert wb.sheetnames == ["Summary", "Outcomes", "Run", "Parameters"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref and ws["A1"].font.bold
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.value[0] not in "=+-@", (ws.title, cell.coordinate, cell.value)
    summary = wb["Summary"]
    header = [c.value for c in summary[1]]
    note = header.index("note") + 1
    assert summary.cell(2, 1).value == SCRIPT_ID and summary.cell(2, note).value == "'" + FORMULA_NOTE
    assert summary.cell(3, note).value == "'@SUM(A1:A9)" and summary.cell(4, 1).value == "'-1+2"
    assert summary.cell(4, note).value.startswith("'+cmd")


def test_csv_and_markdown_stay_inert(evil_files: Path) -> None:
    rows = (evil_files / "results.csv").read_text().splitlines()
    assert any(r.startswith("'-1+2,") for r in rows)
    md = (evil_files / "results.md").read_text()
    assert "<script" not in md and "&lt;script&gt;" in md


def test_run_report_answers_a_negotiators_questions(edge_run) -> None:
    page = render_html(edge_run)
    text, tags = page_text(page)
    assert "svg" in tags and "script" not in tags
    # (edge-taiwan-no-consent is eligible: Taiwan-linked support without consent is an advisory since issue 9)
    assert "4 eligible" in text and "6 ineligible" in text and "0 incomplete" in text
    assert "Verdicts by sector" in text and "Verdicts by amount (USD)" in text
    assert "energy" in text and "USD 1–10bn" in text
    # each candidate's failed rule: message, values read, source, and the fix
    assert "Projected IRR 3.0% is below Tokyo's 5.0% floor" in text
    assert "irr = 0.03" in text and "min_irr = 0.05" in text
    assert "seeds/framework.yaml#japan-no-losses" in text
    assert "To pass: raise irr from 0.03 to 0.05" in text
    # the candidate as a whole
    assert "To become eligible: raise credit_rating from 'B+' to 'BBB-'" in text
    # a sector is searched too (issue 12 item 1): the remedy names one that passes, never a false "impossible"
    assert "To become eligible: set sector from 'aircraft_purchase' to 'semiconductors'; supply irr, credit_rating" in text
    # inputs (declared and not) and the parameters in force
    assert "Pipeline with a 3% projected return" in text and "illustrative: seeds/framework.yaml" in text
    assert "Parameters in force on 2026-03-01" in text and "Rules" in text


def test_xlsx_summary_and_outcomes(edge_run) -> None:
    wb = load_workbook(io.BytesIO(render_xlsx(edge_run)))
    summary, outcomes = wb["Summary"], wb["Outcomes"]
    head = [c.value for c in summary[1]]
    assert head[:8] == ["candidate", "name", "verdict", "failed (blocking)", "missing (blocking)", "advisories",
                        "to become eligible", "row"]  # the pack's label field (name) next to the id
    assert "sector" in head and "source" in head
    assert summary.max_row == 1 + len(edge_run.candidates)
    rows = {r[0]: r for r in summary.iter_rows(min_row=2, values_only=True)}
    assert rows["edge-thin-return"][1:4] == ("Pipeline with a 3% projected return", "ineligible", "return-floor")
    assert rows["edge-thin-return"][6] == "raise irr from 0.03 to 0.05"
    assert outcomes.max_row == 1 + sum(len(c.outcomes) for c in edge_run.candidates)
    ohead = [c.value for c in outcomes[1]]
    floor = next(r for r in outcomes.iter_rows(min_row=2, values_only=True)
                 if r[0] == "edge-thin-return" and r[2] == "return-floor")
    record = dict(zip(ohead, floor))
    assert record["outcome"] == "fail" and record["to pass"] == "raise irr from 0.03 to 0.05"
    assert record["values read"] == "irr = 0.03; min_irr = 0.05" and record["source"].startswith("seeds/")
    assert outcomes.auto_filter.ref == f"A1:K{outcomes.max_row}"
    run = {r[0]: r[1] for r in wb["Run"].iter_rows(min_row=2, values_only=True)}
    assert run["candidates eligible"] == 4 and run["pack"] == "japan-stated-irr"


def test_a_long_table_continues_on_further_sheets() -> None:
    from openpyxl import Workbook

    from screening.render.xlsx import write_table
    wb = Workbook(write_only=True)
    write_table(wb, "Outcomes", ["n", "text"], ([i, f"={i}"] for i in range(7)), [8, 8], sheet_rows=3)
    buf = io.BytesIO()
    wb.save(buf)
    book = load_workbook(buf)
    assert book.sheetnames == ["Outcomes", "Outcomes (2)", "Outcomes (3)"]
    assert [r[0] for ws in book.worksheets for r in ws.iter_rows(min_row=2, values_only=True)] == list(range(7))
    assert all(ws["A1"].value == "n" and ws.freeze_panes == "A2" for ws in book.worksheets)
    assert book["Outcomes (3)"]["B2"].value == "'=6"


def test_amounts_in_yen_are_banded_in_dollars() -> None:
    assert usd_amount({"amount": 1.5e12, "currency": "JPY"}, 150) == 1e10
    assert amount_band(usd_amount({"amount": 1.5e12, "currency": "JPY"}, 150)) == "USD 10–100bn"
    assert amount_band(usd_amount({"amount": 1.5e12, "currency": "JPY"}, None)) == "amount unknown"
    assert amount_band(usd_amount({"amount": 6e8}, None)) == "under USD 1bn"
    assert plain(["a", "b"]) == "a; b" and plain(None) == "—" and plain(3e10) == "30,000,000,000"


def test_compare_report_escapes_hostile_ids(evil_files: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "compare", str(evil_files / "evil.csv"), "--rules",
                           "tests/fixtures/packs/mini", "--rules", "rules/framework", "--as-of", "2026-03-01",
                           "--format", "html,md,csv", "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "compare.html").read_text()
    text, tags = page_text(page)
    assert "script" not in tags and "img" not in tags and SCRIPT_ID in text and FORMULA_NOTE in text
    assert "'-1+2" in (tmp_path / "compare.csv").read_text()


def test_conditions_in_explanations_are_code_and_escaped() -> None:
    from screening.render.html import code_spans
    assert str(code_spans("requires `irr >= min_irr` <b>")) == "requires <code>irr &gt;= min_irr</code> &lt;b&gt;"
    assert str(code_spans("odd ` tick <i>")) == "odd ` tick &lt;i&gt;"
    assert str(code_spans("see `http://x`")) == "see <code>http&#58;//x</code>"
