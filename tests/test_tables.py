"""Decision tables (CONTRACT.md §13): the cell language, hit policies, loading from YAML, CSV and
XLSX, errors naming the file and cell, the pack hash and ``extends``."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

from screening.derive import with_derived
from screening.errors import InputError
from screening.lang.evaluate import truth
from screening.lang.parse import parse_expression
from screening.lang.types import DATE, NUMBER, STRING, Type
from screening.pack.load import load_pack
from screening.tables.cells import CellError, parse_cell
from screening.tables.decide import decide_table

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "packs" / "tables"
SCOPE = {"x": NUMBER, "s": STRING, "d": DATE, "lo": NUMBER, "names": Type("list", STRING), "as_of": DATE}


def holds(cell: object, value: object, subject: str = "x", kind: Type = NUMBER, env: dict | None = None) -> bool | None:
    parsed = parse_cell(cell, parse_expression(subject), kind, SCOPE, {"lo", "names", "as_of"})
    return truth(parsed.node, {subject: value, "lo": 5, "names": ("a", "b"), **(env or {})})


@pytest.mark.parametrize("cell, value, expected", [
    ("-", 3, True), ("-", None, True), ("", None, True), (None, 4, True),
    ("< 10", 9.99, True), ("< 10", 10, False), ("<= 10", 10, True), ("> 10", 10, False), (">= 10", 10, True),
    ("== 3", 3, True), ("= 3", 3, True), ("!= 3", 3, False), ("< lo", 4, True), ("< lo", 5, False),
    ("[10, 20)", 10, True), ("[10, 20)", 20, False), ("(10, 20]", 10, False), ("(10, 20]", 20, True),
    ("[10..20]", 20, True), ("]10, 20[", 10, False), ("]10, 20[", 15, True),
    ("1, 2, 3", 2, True), ("1, 2, 3", 4, False), (3, 3, True), (3.5, 3, False), ("-5", -5, True),
    ("not(< 10)", 12, True), ("not(< 10)", 5, False), ("not([1, 2])", 1.5, False), ("not(1, 2)", 3, True),
    ("< 10", None, None), ("[1, 2]", None, None), ("not(1, 2)", None, None),
])
def test_number_cells(cell: object, value: object, expected: bool | None) -> None:
    assert holds(cell, value) is expected


@pytest.mark.parametrize("cell, value, expected", [
    ("'energy', 'metals'", "metals", True), ("energy, metals", "energy", True), ("energy", "energy", True),
    ("BBB-", "BBB-", True), ("critical-minerals", "critical-minerals", True), ("names", "a", True),
    ("names", "c", False), ("not(names)", "c", True), ("not('energy')", "energy", False), ("'a, b'", "a, b", True),
])
def test_text_cells(cell: str, value: str, expected: bool) -> None:
    assert holds(cell, value, "s", STRING) is expected


def test_date_cells_read_iso_dates_as_dates() -> None:
    assert holds("[2026-01-01, 2026-02-01)", dt.date(2026, 1, 31), "d", DATE) is True
    assert holds(">= 2026-02-01", dt.date(2026, 1, 31), "d", DATE) is False
    assert holds("<= as_of", dt.date(2026, 1, 31), "d", DATE, {"as_of": dt.date(2026, 3, 1)}) is True
    assert holds(dt.date(2026, 1, 31), dt.date(2026, 1, 31), "d", DATE) is True


@pytest.mark.parametrize("cell, fragment", [
    ("[1, 2, 3]", "two bounds"), ("< ", "needs a value"), ("not(-)", "matches nothing"), ("< s", "field or table"),
    ("< 'a'", "cannot compare a number with a string"), ("1,,2", "empty value"), ("foo", "unknown name 'foo'"),
    ("x.y", "attribute access"), ("2026-02-30", "not a date"), ([1, 2], "in quotes"),
])
def test_bad_cells(cell: object, fragment: str) -> None:
    with pytest.raises(CellError, match=fragment):
        parse_cell(cell, parse_expression("x"), NUMBER, SCOPE, {"lo", "names", "as_of"})


def test_cells_are_expressions_of_the_language_never_eval() -> None:
    parsed = parse_cell("[10, lo + 20)", parse_expression("x"), NUMBER, SCOPE, {"lo"})
    assert parsed.node.text == "x in [10, lo + 20)"
    with pytest.raises(CellError, match="unknown function '__import__'"):
        parse_cell("__import__('os')", parse_expression("x"), NUMBER, SCOPE, set())


# --- hit policies ---------------------------------------------------------------------------

def table_pack(tmp_path: Path, hit: str, rows: str, *, output: str = "number", else_: str = "") -> Path:
    (tmp_path / "pack.yaml").write_text(textwrap.dedent(f"""\
        pack: hits
        version: "1"
        fields:
          id: {{type: string}}
          x: {{type: number}}
          s: {{type: string}}
        tables:
          t:
            hit: {hit}
            inputs: {{x: x, s: s}}
            output: {output}
            rows:
        """) + textwrap.indent(textwrap.dedent(rows), "      ") + (f"    else: {else_}\n" if else_ else ""))
    return tmp_path


def value_of(folder: Path, **row: object) -> tuple[object, str]:
    pack = load_pack(folder)
    table = pack.tables["t"]
    hit = decide_table(table, {"x": None, "s": None, **row})
    derived = with_derived(pack.resolve(dt.date(2026, 3, 1)), [{"id": "a", "x": None, "s": None, **row}])[0]["t"]
    assert derived == hit.value
    return hit.value, hit.reason(table)


ROWS = """\
- {x: "< 10", s: "a", then: 1}
- {x: "[5, 20)", then: 2}
- {x: ">= 20", s: "-", then: 4}
"""


def test_unique_two_matches_is_missing_naming_both_rows(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", ROWS)
    assert value_of(folder, x=7, s="a") == (None, "table t: rows 1 and 2 all match under 'unique', so its value is missing")
    assert value_of(folder, x=7, s="b")[0] == 2
    assert value_of(folder, x=30)[0] == 4
    value, reason = value_of(folder, x=3)  # row 1 unknown (s missing): it could match
    assert value is None and "row 1" in reason
    assert value_of(folder, x=3, s="b")[0] is None  # no row: no else


def test_first_takes_the_first_row_unless_an_earlier_one_is_unknown(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "first", ROWS, else_="9")
    assert value_of(folder, x=7, s="a")[0] == 1
    assert value_of(folder, x=7)[0] is None  # row 1 unknown before row 2 holds
    assert value_of(folder, x=12)[0] == 2  # row 1 is false (x < 10 fails) whatever s is
    assert value_of(folder, x=3, s="b")[0] == 9  # else
    assert value_of(folder, x=None)[0] is None


@pytest.mark.parametrize("hit, expected", [("collect_sum", 3), ("collect_min", 1), ("collect_max", 2)])
def test_collect_policies(tmp_path: Path, hit: str, expected: int) -> None:
    folder = table_pack(tmp_path, hit, ROWS, else_="0")
    assert value_of(folder, x=7, s="a")[0] == expected
    assert value_of(folder, x=7)[0] is None  # row 1 unknown
    assert value_of(folder, x=-1, s="b")[0] == 0


def test_collect_sum_needs_numbers(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "collect_sum", '- {x: "-", then: a}\n', output="string")
    with pytest.raises(InputError, match="collect_sum adds numbers"):
        load_pack(folder)


# --- the fixture pack: inline and CSV; the same table from XLSX screens identically ----------

def test_fixture_pack_reads_both_tables() -> None:
    pack = load_pack(FIXTURE)
    assert set(pack.tables) == {"deemed_spread", "sector_tier"}
    tier = pack.tables["sector_tier"]
    assert tier.hit == "first" and tier.output == "integer" and [r.then for r in tier.rows] == [1, 1, 2, 3]
    assert str(tier.rows[0].place).endswith("sector_tiers.csv row 2")
    assert any(f.endswith("sector_tiers.csv") for f in pack.files)


def _as_xlsx(folder: Path) -> None:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    with (folder / "sector_tiers.csv").open(newline="") as fh:
        for i, row in enumerate(csv.reader(fh)):
            ws.append([int(v) if i and j == 1 else v for j, v in enumerate(row)])
    wb.save(folder / "sector_tiers.xlsx")
    (folder / "sector_tiers.csv").unlink()
    text = (folder / "pack.yaml").read_text().replace("from: sector_tiers.csv", "from: sector_tiers.xlsx")
    (folder / "pack.yaml").write_text(text)


def _inline(folder: Path) -> None:
    with (folder / "sector_tiers.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = "".join(f"      - {{sector: \"{r['sector']}\", then: {r['then']}}}\n" for r in rows)
    text = (folder / "pack.yaml").read_text().replace("    from: sector_tiers.csv\n", f"    rows:\n{lines}")
    (folder / "pack.yaml").write_text(text)
    (folder / "sector_tiers.csv").unlink()


@pytest.mark.parametrize("convert", [_as_xlsx, _inline], ids=["xlsx", "inline"])
def test_a_table_screens_identically_from_csv_xlsx_and_yaml(tmp_path: Path, convert) -> None:
    from screening.candidates import table_from_records
    from screening.screen import screen_table

    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    convert(folder)
    records = [{"id": f"c{i}", "sector": s, "tenor_years": t, "credit_rating": r, "irr": 0.05}
               for i, (s, t, r) in enumerate([("energy", 5, "AA"), ("metals", 12, None), ("tourism", 30, "B"),
                                               (None, None, None), ("critical_minerals", 9.5, "BBB")])]
    outcomes = []
    for pack in (load_pack(FIXTURE), load_pack(folder)):
        table = table_from_records(records, pack.input_fields)
        result = screen_table(pack.resolve(dt.date(2026, 3, 1)), table, engine="reference")
        outcomes.append([(o.rule, o.outcome, o.message) for c in result.candidates for o in c.outcomes])
    assert outcomes[0] == outcomes[1]
    assert load_pack(FIXTURE).hash != load_pack(folder).hash


def test_the_table_file_is_part_of_the_pack_hash(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    before = load_pack(folder).hash
    path = folder / "sector_tiers.csv"
    path.write_text(path.read_text().replace("-,3,", "-,4,"))
    assert load_pack(folder).hash != before


def test_extends_replaces_a_table_by_name(tmp_path: Path) -> None:
    base = tmp_path / "base"
    shutil.copytree(FIXTURE, base)
    child = tmp_path / "child"
    child.mkdir()
    (child / "pack.yaml").write_text(textwrap.dedent("""\
        pack: child
        version: "1"
        extends: [../base]
        tables:
          sector_tier:
            hit: unique
            inputs: {sector: sector}
            output: integer
            rows:
              - {sector: "energy", then: 2}
            else: 5
        """))
    pack = load_pack(child)
    assert pack.tables["sector_tier"].else_value == 5 and pack.tables["deemed_spread"].hit == "unique"
    row = with_derived(pack.resolve(dt.date(2026, 3, 1)), [{"id": "a", "sector": "energy", "tenor_years": 5,
                                                            "credit_rating": "AA", "irr": 0.1}])[0]
    assert row["sector_tier"] == 2 and row["deemed_spread"] == 0.0075


# --- errors: file and cell, all at once ------------------------------------------------------

def test_errors_in_a_csv_name_row_and_column_all_at_once(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    (folder / "sector_tiers.csv").write_text(
        "sector,then,colour\n"
        "energy,1,red\n"
        "\"[1, 2)\",one,\n"
        "energy,,\n")
    with pytest.raises(InputError) as info:
        load_pack(folder)
    text = str(info.value)
    assert "sector_tiers.csv row 1, column colour: unknown column 'colour'" in text
    assert "sector_tiers.csv row 3, column then: 'one' is not an integer" in text or "colour" in text


def test_errors_in_csv_cells(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    (folder / "sector_tiers.csv").write_text(
        "sector,then\n"
        "energy,1\n"
        "\"[1, 2)\",one\n"
        "energy,\n"
        "'a' 'b',2\n")
    with pytest.raises(InputError) as info:
        load_pack(folder)
    text = str(info.value)
    assert "sector_tiers.csv row 3, column sector: cell '[1, 2)': cannot compare a string with a number" in text
    assert "sector_tiers.csv row 3, column then: 'one' is not an integer" in text
    assert "sector_tiers.csv row 4, column then: the row has no 'then' value" in text
    assert "sector_tiers.csv row 5, column sector: cell \"'a' 'b'\"" in text
    assert info.value.count == 4


def test_errors_in_an_xlsx_name_the_cell(tmp_path: Path) -> None:
    import openpyxl
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    _as_xlsx(folder)
    wb = openpyxl.load_workbook(folder / "sector_tiers.xlsx")
    wb.active["A3"] = "< 3"
    wb.active["B5"] = "high"
    wb.save(folder / "sector_tiers.xlsx")
    with pytest.raises(InputError) as info:
        load_pack(folder)
    text = str(info.value)
    assert "sector_tiers.xlsx!A3 (sector): cell '< 3': cannot compare a string with a number" in text
    assert "sector_tiers.xlsx!B5 (then): 'high' is not an integer" in text


def test_errors_in_inline_rows_name_the_line(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", """\
        - {x: "< 10", z: 1, then: 1}
        - {x: "[5, 20", then: 2}
        - {x: "< s", then: 3}
        - {x: "-", then: "two"}
        """)
    with pytest.raises(InputError) as info:
        load_pack(folder)
    by_line = {p.line: str(p) for p in info.value.problems}
    assert "tables.t.rows[0].z: 'z' is not an input of table t (inputs: x, s; and then)" in by_line[13]
    assert "tables.t.rows[1].x: cell '[5, 20': syntax error" in by_line[14]
    assert "field or table" in by_line[15]
    assert "'two' is not a number" in by_line[16]
    assert info.value.count == 4


def test_a_table_may_not_share_a_name_and_rules_see_its_type(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", '- {x: "-", then: 1}\n')
    text = (folder / "pack.yaml").read_text().replace("  t:\n", "  s:\n")
    (folder / "pack.yaml").write_text(text + "rules:\n  - {id: r, title: R, category: other, source: s, require: \"s == 'a'\"}\n")
    with pytest.raises(InputError) as info:
        load_pack(folder)
    text = str(info.value)
    assert "'s' is both a table and a field" in text


def test_a_table_may_not_take_a_finance_field_name(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", '- {x: "-", then: 1}\n')
    (folder / "pack.yaml").write_text((folder / "pack.yaml").read_text().replace("  t:\n", "  japan_irr:\n"))
    with pytest.raises(InputError, match="'japan_irr' is a finance field, computed from the cash flows; it cannot be a table"):
        load_pack(folder)


def test_rules_type_check_a_table_by_its_output(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", '- {x: "-", then: 1}\n')
    (folder / "pack.yaml").write_text((folder / "pack.yaml").read_text() +
                                      "rules:\n  - {id: r, title: R, category: other, source: s, require: \"t == 'a'\"}\n")
    with pytest.raises(InputError, match="cannot compare a number with a string"):
        load_pack(folder)


def test_a_cycle_through_a_table_is_an_error(tmp_path: Path) -> None:
    folder = table_pack(tmp_path, "unique", '- {x: "-", then: 1}\n')
    text = (folder / "pack.yaml").read_text().replace("x: {type: number}", "x: {type: number, derive: \"t + 1\"}")
    (folder / "pack.yaml").write_text(text)
    with pytest.raises(InputError, match="form a cycle"):
        load_pack(folder)


def test_a_missing_table_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(FIXTURE, folder)
    (folder / "sector_tiers.csv").unlink()
    with pytest.raises(InputError, match="no such table file"):
        load_pack(folder)


def test_a_table_reads_a_derived_field_and_another_table(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(textwrap.dedent("""\
        pack: chain
        version: "1"
        fields:
          id: {type: string}
          x: {type: number}
          double: {type: number, derive: "x * 2"}
          bumped: {type: number, derive: "band + 1"}
        tables:
          band:
            hit: first
            inputs: {v: double}
            output: integer
            rows:
              - {v: "< 10", then: 1}
              - {v: "-", then: 2}
          label:
            inputs: {b: band, n: bumped}
            output: string
            rows:
              - {b: "1", n: "2", then: low}
              - {b: "2", then: high}
        """))
    pack = load_pack(tmp_path)
    assert pack.derive_order.index("double") < pack.derive_order.index("band") < pack.derive_order.index("bumped") \
        < pack.derive_order.index("label")
    rows = with_derived(pack.resolve(dt.date(2026, 3, 1)), [{"id": "a", "x": 3}, {"id": "b", "x": 7}, {"id": "c"}])
    assert [(r["band"], r["bumped"], r["label"]) for r in rows] == [(1, 2, "low"), (2, 3, "high"), (None, None, None)]  # row 1 unknown
