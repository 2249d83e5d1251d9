"""Typing a whole column at once gives the value-by-value parser's table, or defers to it."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import screening.candidates as candidates
from screening.errors import InputError
from screening.pack.model import FieldSpec
from screening.typing_columns import typed_column

CELLS = st.one_of(st.sampled_from(["", " ", "1", "-2.5", "1e3", " 7 ", "1.0", "0", "x", "true", "No", "YES",
                                   "2026-02-29", "2026-03-01", "2024-02-29", "1e400", ".5", "5.", "energy",
                                   " energy", "Energy", "nan", "inf", "1_000", "٣"]), st.text(max_size=4))
SPECS = [FieldSpec(type=t) for t in ("string", "number", "integer", "bool", "date")] + [
    FieldSpec(type="number", min=0, max=10), FieldSpec(type="string", enum=["energy", "x"]),
    FieldSpec(type="integer", required=True), FieldSpec(type="string", required=True)]


def read(cells: list[str], spec: FieldSpec, fast: bool, monkeypatch) -> object:
    monkeypatch.setattr(candidates, "typed_column", typed_column if fast else (lambda values, spec: None))
    try:
        table = candidates.table_from_records([{"id": f"r{i}", "v": c} for i, c in enumerate(cells)], {"v": spec})
    except InputError as exc:
        return exc.render()
    return table.frame


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(cells=st.lists(CELLS, min_size=1, max_size=6), which=st.integers(0, len(SPECS) - 1))
def test_fast_typing_equals_value_by_value(cells: list[str], which: int) -> None:
    import pytest
    with pytest.MonkeyPatch.context() as mp:
        fast, slow = read(cells, SPECS[which], True, mp), read(cells, SPECS[which], False, mp)
    if isinstance(slow, pd.DataFrame):
        assert isinstance(fast, pd.DataFrame)
        assert [str(t) for t in fast.dtypes] == [str(t) for t in slow.dtypes]
        assert fast.equals(slow)
    else:
        assert fast == slow


def test_fast_typing_defers_on_a_bad_value() -> None:
    assert typed_column(["1", "x"], FieldSpec(type="number")) is None
    assert typed_column(["2026-02-30"], FieldSpec(type="date")) is None
    assert typed_column(["", "1"], FieldSpec(type="number", required=True)) is None
    assert typed_column(["1", " 2 "], FieldSpec(type="integer")).tolist() == [1, 2]
