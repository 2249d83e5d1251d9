"""Renderers: every format reads the same records; nothing a candidate list holds can run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from screening.candidates import table_from_records
from screening.pack.load import load_pack
from screening.render import FORMATS, write_outputs
from screening.render.csv_out import neutralise, render_csv
from screening.render.html import render_html
from screening.render.json_out import render_json
from screening.render.markdown import md_cell, render_markdown
from screening.render.xlsx import render_xlsx
from screening.screen import screen_table

ROOT = Path(__file__).resolve().parent.parent
EVIL_ID = "<script>alert(1)</script>"
EVIL_NOTE = '=HYPERLINK("http://example.invalid","click")'


@pytest.fixture(scope="module")
def result():
    pack = load_pack(ROOT / "tests" / "fixtures" / "packs" / "mini")
    table = table_from_records([
        {"id": EVIL_ID, "sector": "energy", "amount": 100.0, "equity": 1.0, "irr": 0.01, "note": EVIL_NOTE},
        {"id": "plain", "sector": "energy|pipe", "amount": 100.0, "equity": 1.0, "irr": 0.07},
    ], pack.input_fields)
    return screen_table(pack.resolve(dt.date(2026, 3, 1)), table, engine="reference")


def test_json_is_valid_and_ordered(result) -> None:
    data = json.loads(render_json(result))
    assert list(data) == ["run", "summary", "candidates"]
    assert [c["id"] for c in data["candidates"]] == [EVIL_ID, "plain"]
    assert data["candidates"][0]["inputs"]["note"] == EVIL_NOTE


def test_csv_rows_and_neutralised_cells(result) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(result))))
    assert rows[0] == ["candidate_id", "rule", "category", "severity", "outcome", "message"]
    assert len(rows) == 1 + 2 * 3
    assert neutralise("=1+1") == "'=1+1" and neutralise("-3") == "'-3" and neutralise("ok") == "ok"


def test_markdown_escapes_table_cells(result) -> None:
    text = render_markdown(result)
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert md_cell("a|b") == "a\\|b"


def test_html_escapes_and_is_self_contained(result) -> None:
    page = render_html(result)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")  # no external resources
    assert "<svg" in page and "Parameters in force" in page


def test_xlsx_never_holds_a_formula(result) -> None:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(render_xlsx(result)))
    ws = wb["Outcomes"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    assert wb["Summary"]["A2"].value == EVIL_ID


def test_write_outputs_is_all_or_nothing(result, tmp_path: Path, monkeypatch) -> None:
    import screening.render as render
    written = write_outputs(result, tmp_path / "ok", list(FORMATS))
    assert sorted(p.name for p in written) == sorted(f"results.{f}" for f in FORMATS)

    def broken(fmt, result, messages):
        if fmt == "md":
            def fail(_):
                raise RuntimeError("renderer defect")
            return fail
        return original(fmt, result, messages)
    original = render._writer
    monkeypatch.setattr(render, "_writer", broken)
    with pytest.raises(RuntimeError):
        write_outputs(result, tmp_path / "bad", ["json", "csv", "md"])
    assert not list((tmp_path / "bad").glob("*")) if (tmp_path / "bad").exists() else True
