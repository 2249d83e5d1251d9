"""``screen check`` proves decision tables: overlaps under ``unique``, uncovered inputs, dead rows,
computed exactly from the cells' bounds; warnings by default, errors with ``--strict``."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given

from screening.pack.load import load_pack
from screening.tables.decide import decide_table
from screening.tables.verify import verify_table
from tests.test_tables_differential import BUDGET, inputs_for, tables, write_pack

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)


def one_table(tmp_path: Path, rows: str, *, inputs: str = "{x: x}", hit: str = "unique", else_: str = "",
              fields: str = "") -> list:
    (tmp_path / "pack.yaml").write_text(textwrap.dedent(f"""\
        pack: verify
        version: "1"
        fields:
          id: {{type: string}}
          x: {{type: number}}
          n: {{type: integer}}
          d: {{type: date}}
          s: {{type: string}}
          c: {{type: string, enum: [USD, JPY, EUR]}}
          b: {{type: bool}}
        tables:
          t:
            hit: {hit}
            inputs: {inputs}
            output: number
            rows:
        """) + textwrap.indent(textwrap.dedent(rows), "      ") + (f"    else: {else_}\n" if else_ else "") + fields)
    resolved = load_pack(tmp_path).resolve(AS_OF)
    return verify_table(resolved.pack.tables["t"], resolved)


def texts(findings: list) -> list[str]:
    return [f.text for f in findings]


def test_overlap_names_both_rows_and_an_example(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {x: "< 10", then: 1}
        - {x: "[5, 20)", then: 2}
        - {x: ">= 20", then: 3}
        """)
    assert texts(found) == ["table t: rows 1 and 2 overlap under 'unique' (both match x 5)"]
    assert found[0].rows == (1, 2) and found[0].example == {"x": 5.0}


def test_gaps_on_a_real_line_name_the_region_and_an_example(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {x: "< 10", then: 1}
        - {x: "(10, 20)", then: 2}
        """)
    assert texts(found) == ["table t: no row covers x = 10 (e.g. x 10) and there is no 'else'",
                            "table t: no row covers x = 20 (e.g. x 20) and there is no 'else'",
                            "table t: no row covers x > 20 (e.g. x 21) and there is no 'else'"]


def test_integers_have_no_gap_between_5_and_6_but_numbers_do(tmp_path: Path) -> None:
    rows = """\
        - {v: "<= 5", then: 1}
        - {v: ">= 6", then: 2}
        """
    assert one_table(tmp_path, rows, inputs="{v: n}") == []
    assert texts(one_table(tmp_path, rows, inputs="{v: x}")) == [
        "table t: no row covers v in (5, 6) (e.g. v 5.5) and there is no 'else'"]


def test_dates_and_open_ends(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {v: "< 2026-01-01", then: 1}
        - {v: "(2026-01-01, 2026-06-30]", then: 2}
        - {v: "> 2026-06-30", then: 3}
        """, inputs="{v: d}")
    assert texts(found) == ["table t: no row covers v = 2026-01-01 (e.g. v 2026-01-01) and there is no 'else'"]
    assert found[0].example == {"v": dt.date(2026, 1, 1)}


def test_enum_and_free_text(tmp_path: Path) -> None:
    assert texts(one_table(tmp_path, "- {v: \"USD, EUR\", then: 1}\n", inputs="{v: c}")) == [
        "table t: no row covers v = 'JPY' (e.g. v 'JPY') and there is no 'else'"]
    assert texts(one_table(tmp_path, "- {v: \"USD, EUR\", then: 1}\n", inputs="{v: s}")) == [
        "table t: no row covers v = any other value (e.g. v any other value) and there is no 'else'"]
    assert one_table(tmp_path, "- {v: \"USD\", then: 1}\n- {v: \"not(USD)\", then: 2}\n", inputs="{v: s}") == []
    assert texts(one_table(tmp_path, "- {v: \"true\", then: 1}\n", inputs="{v: b}")) == [
        "table t: no row covers v = false (e.g. v false) and there is no 'else'"]


def test_two_inputs_and_a_dead_row(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {x: "< 10", c: "USD", then: 1}
        - {x: ">= 10", c: "-", then: 2}
        - {x: "[20, 10)", c: "-", then: 3}
        - {x: "< 10", c: "not(USD)", then: 4}
        """, inputs="{x: x, c: c}")
    assert texts(found) == ["table t: row 3 never matches (its cell for x holds for no value: [20, 10))"]


def test_else_closes_gaps_and_first_allows_overlaps(tmp_path: Path) -> None:
    rows = """\
        - {x: "< 10", then: 1}
        - {x: "[5, 20)", then: 2}
        """
    assert one_table(tmp_path, rows, hit="first", else_="0") == []
    assert [f.kind for f in one_table(tmp_path, rows, hit="first")] == ["gap", "gap"]
    assert [f.kind for f in one_table(tmp_path, rows, else_="0")] == ["overlap"]


def test_a_row_shadowed_under_first(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {x: "< 10", then: 1}
        - {x: "-", then: 2}
        - {x: "[20, 30]", then: 3}
        """, hit="first")
    assert texts(found) == ["table t: row 3 is never reached under 'first': earlier rows match every input it matches"]


def test_bounds_from_parameters_and_ratings(tmp_path: Path) -> None:
    found = one_table(tmp_path, """\
        - {g: ">= rating(line)", then: 1}
        - {g: "< rating('BBB')", then: 2}
        """, inputs="{g: \"rating(s)\"}", fields="parameters:\n  line: {value: A-}\n")
    # ranks are whole numbers: BBB+ (rank 15) lies between BBB (14) and A- (16)
    assert texts(found) == ["table t: no row covers g = 14 (e.g. g 14) and there is no 'else'",
                            "table t: no row covers g in (14, 16) (e.g. g 15) and there is no 'else'"]


@BUDGET
@given(table=tables())
def test_findings_are_exact_against_the_reference(tmp_path_factory, table) -> None:
    """Every example the verifier gives is confirmed by decide_table; every gap or conflict the
    reference meets on inputs around every bound was reported."""
    folder = write_pack(tmp_path_factory.mktemp("v"), table)
    resolved = load_pack(folder).resolve(AS_OF)
    compiled = resolved.pack.tables["t"]
    findings = verify_table(compiled, resolved)
    constants = resolved.constants()
    for f in findings:
        if f.kind in ("overlap", "gap") and f.example and None not in f.example.values():
            hit = decide_table(compiled, {**f.example, **constants})
            if f.kind == "overlap":
                assert {f.rows[0], f.rows[1]} <= {r.number for r in hit.rows}
            else:
                assert hit.used_else and not hit.rows
    kinds = {f.kind for f in findings}
    for row in inputs_for(table):
        if None in (row["x"], row["d"]) or row["s"] not in ("a", "b", "c"):
            continue
        hit = decide_table(compiled, {**row, **constants})
        if hit.used_else and compiled.else_value is None:
            assert "gap" in kinds, row
        if hit.conflict:
            assert "overlap" in kinds, row


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def test_check_warns_and_strict_fails(tmp_path: Path) -> None:
    one_table(tmp_path, "- {x: \"< 10\", then: 1}\n- {x: \"[5, 20)\", then: 2}\n")
    plain = _cli("check", str(tmp_path), "--as-of", "2026-03-01")
    assert plain.returncode == 0, plain.stderr
    assert "warning: table t: rows 1 and 2 overlap under 'unique' (both match x 5)" in plain.stdout
    assert "warning: table t: no row covers x = 20" in plain.stdout
    strict = _cli("check", str(tmp_path), "--as-of", "2026-03-01", "--strict")
    assert strict.returncode == 2
    assert "pack.yaml:" in strict.stderr and "rows 1 and 2 overlap" in strict.stderr


def test_check_says_when_tables_are_verified() -> None:
    result = _cli("check", "tests/fixtures/packs/tables", "--strict")
    assert result.returncode == 0, result.stderr
    assert "tables verified" in result.stdout
