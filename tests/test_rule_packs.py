"""Tests written inside rule packs, collected by pytest: one test item per pack test case.

Ids look like ``japan::thin return fails``. A failure prints the file and line of the case
and each expected vs actual outcome. Every pack under rules/ and the good fixture packs take
part; the default packs must also cover every rule both ways (pass and fail).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from screening.pack.load import load_pack
from screening.packtests import run_pack_test, run_pack_tests

ROOT = Path(__file__).resolve().parent.parent
PACK_DIRS = sorted({p.parent for p in (ROOT / "rules").glob("*/*.yaml")}) + \
    sorted({p.parent for p in (ROOT / "tests" / "fixtures" / "packs").glob("*/*.yaml")})
DEFAULT_PACKS = sorted({p.parent for p in (ROOT / "rules").glob("*/*.yaml")})


def _cases() -> list[tuple[Path, str]]:
    cases = []
    for folder in PACK_DIRS:
        pack = load_pack(folder)
        cases.extend((folder, t.case.name) for t in pack.tests)
    return cases


CASES = _cases()


@pytest.mark.parametrize("folder, name", CASES, ids=[f"{f.name}::{n}" for f, n in CASES])
def test_pack_case(folder: Path, name: str) -> None:
    pack = load_pack(folder)
    test = next(t for t in pack.tests if t.case.name == name)
    result = run_pack_test(pack, test, default_as_of=dt.date.today())
    assert result.ok, f"{test.place}: test '{name}'\n  " + "\n  ".join(result.differences)


def test_packs_have_tests() -> None:
    assert CASES, "no pack tests were collected"


@pytest.mark.parametrize("folder", DEFAULT_PACKS, ids=[p.name for p in DEFAULT_PACKS])
def test_default_pack_covers_every_rule_both_ways(folder: Path) -> None:
    pack = load_pack(folder)
    report = run_pack_tests(pack, default_as_of=dt.date.today())
    assert not report.failed
    assert report.uncovered() == {}, f"rules without an asserted pass and fail outcome: {report.uncovered()}"
