"""Candidate lists: every format, exact typing, and one bad file per failure mode."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from screening.candidates import candidates_hash, read_candidates, table_from_records
from screening.errors import InputError
from screening.pack.model import FieldSpec

FIELDS = {
    "id": FieldSpec(type="string", required=True),
    "sector": FieldSpec(type="string", required=True),
    "irr": FieldSpec(type="number"),
    "amount": FieldSpec(type="number", min=0),
    "count": FieldSpec(type="integer"),
    "currency": FieldSpec(type="string", enum=["USD", "JPY"]),
    "flag": FieldSpec(type="bool"),
    "announced_on": FieldSpec(type="date"),
    "partners": FieldSpec(type="list"),
    "equity_share": FieldSpec(type="number", derive="irr * 2"),
}
BAD = Path(__file__).parent / "fixtures" / "bad" / "candidates"
ROWS = [
    {"id": "00123", "sector": "energy", "irr": "0.05", "amount": "1.2e6", "count": "3", "currency": "USD",
     "flag": "Yes", "announced_on": "2026-02-17", "partners": "JBIC; NEXI;", "note": "NA"},
    {"id": "b", "sector": "metals", "irr": "", "amount": "", "count": "", "currency": "", "flag": "0",
     "announced_on": "", "partners": "", "note": ""},
]


def expect_typed(table) -> None:
    recs = table.records()
    assert recs[0] == {"id": "00123", "sector": "energy", "irr": 0.05, "amount": 1200000.0, "count": 3,
                       "currency": "USD", "flag": True, "announced_on": dt.date(2026, 2, 17),
                       "partners": ("JBIC", "NEXI"), "note": "NA"}
    assert recs[1]["irr"] is None and recs[1]["partners"] is None and recs[1]["flag"] is False
    assert recs[1]["note"] is None
    assert table.rows[0] in (1, 2)
    assert table.extra_columns == ["note"]
    assert str(table.frame["irr"].dtype) == "Float64" and str(table.frame["count"].dtype) == "Int64"


def test_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    pd.DataFrame(ROWS).to_csv(path, index=False, encoding="utf-8-sig")
    table = read_candidates(path, FIELDS)
    expect_typed(table)
    assert table.rows == [2, 3]
    assert candidates_hash(path).startswith("sha256:")


def test_xlsx_with_sheet(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame([{"id": "x"}]).to_excel(writer, sheet_name="other", index=False)
        pd.DataFrame(ROWS).to_excel(writer, sheet_name="Q1", index=False)
    expect_typed(read_candidates(path, FIELDS, sheet="Q1"))
    with pytest.raises(InputError) as info:
        read_candidates(path, FIELDS, sheet="Q9")
    assert "no sheet 'Q9' (sheets: other, Q1)" in str(info.value)


def test_xlsx_native_values(tmp_path: Path) -> None:
    import openpyxl
    path = tmp_path / "native.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["id", "sector", "irr", "count", "flag", "announced_on"])
    ws.append([123, "energy", 0.05, 4.0, True, dt.datetime(2026, 2, 17)])
    wb.save(path)
    rec = read_candidates(path, FIELDS).records()[0]
    assert rec["id"] == "123" and rec["count"] == 4 and rec["flag"] is True and rec["announced_on"] == dt.date(2026, 2, 17)


def test_json_and_jsonl(tmp_path: Path) -> None:
    j = tmp_path / "list.json"
    j.write_text(json.dumps(ROWS))
    expect_typed(read_candidates(j, FIELDS))
    jl = tmp_path / "list.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n")
    expect_typed(read_candidates(jl, FIELDS))


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "list.parquet"
    pd.DataFrame(ROWS).to_parquet(path)
    expect_typed(read_candidates(path, FIELDS))


def test_missing_optional_column_is_all_missing() -> None:
    table = table_from_records([{"id": "a", "sector": "energy"}], FIELDS)
    assert table.records()[0]["irr"] is None


def test_all_problems_at_once_and_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    lines = ["id,sector,irr"] + [f"c{i},energy,bad{i}" for i in range(80)]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_candidates(path, FIELDS)
    assert info.value.count == 80
    assert len(info.value.problems) == 50
    assert "... and 30 more problems" in str(info.value)


CASES = [line.split(" | ", 1) for line in (BAD / "expected.txt").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_list(name: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        read_candidates(BAD / name, FIELDS)
    text = str(info.value)
    assert name in text and fragment in text, text


def test_every_bad_fixture_is_listed() -> None:
    listed = {c[0] for c in CASES}
    assert {p.name for p in BAD.iterdir() if p.name != "expected.txt"} == listed
