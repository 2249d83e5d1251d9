"""business_days(a, b): one function of the language, the same in all three engines."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.engines.durable import DurableEngine
from screening.engines.reference import ReferenceEngine
from screening.engines.vector import evaluate_frame, frame_from_rows
from screening.flow.model import Deadline
from screening.lang.evaluate import evaluate
from screening.lang.functions import business_days
from screening.lang.parse import parse_expression

DATES = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2032, 12, 31))


def by_loop(a: dt.date, b: dt.date) -> int:
    """Weekdays after a up to and including b (negative the other way), counted one day at a time."""
    lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
    count, day = 0, lo
    while day < hi:
        day += dt.timedelta(days=1)
        count += day.weekday() < 5
    return sign * count


def test_the_funding_window_in_business_days() -> None:
    selected = dt.date(2026, 2, 17)
    assert business_days(selected, dt.date(2026, 4, 21)) == 45   # day 45 in business days
    assert business_days(selected, dt.date(2026, 4, 20)) == 44
    assert (dt.date(2026, 4, 3) - selected).days == 45           # the calendar reading ends 3 Apr
    assert business_days(selected, selected) == 0
    assert business_days(dt.date(2026, 4, 21), selected) == -45
    assert business_days(None, selected) is None and business_days(selected, None) is None
    # a weekend adds nothing: Friday to Sunday is 0, Friday to Monday 1
    assert business_days(dt.date(2026, 2, 20), dt.date(2026, 2, 22)) == 0
    assert business_days(dt.date(2026, 2, 20), dt.date(2026, 2, 23)) == 1


@settings(max_examples=200, derandomize=True, deadline=None)
@given(DATES, DATES)
def test_equals_a_day_by_day_loop(a: dt.date, b: dt.date) -> None:
    assert business_days(a, b) == by_loop(a, b)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(DATES, st.integers(min_value=0, max_value=120))
def test_agrees_with_the_flow_deadlines(since: dt.date, n: int) -> None:
    due = Deadline("selected", n, "lapsed", business_days=True).due(since)
    assert business_days(since, due) == n


@settings(max_examples=30, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), DATES), st.one_of(st.none(), DATES)), min_size=1, max_size=20))
def test_vector_equals_reference(pairs: list[tuple[dt.date | None, dt.date | None]]) -> None:
    node = parse_expression("business_days(a, b)")
    rows = [{"a": a, "b": b} for a, b in pairs]
    frame = frame_from_rows(rows, {"a": "date", "b": "date"})
    got = evaluate_frame(node, frame, {}).tolist()
    want = [evaluate(node, row) for row in rows]
    assert [None if pd.isna(g) else int(g) for g in got] == want


def test_in_a_rule_all_engines_agree(tmp_path) -> None:
    from screening.candidates import table_from_records
    from screening.derive import with_derived
    from screening.pack.load import load_pack

    (tmp_path / "pack.yaml").write_text(
        'pack: bd\nversion: "1"\nfields:\n  id: {type: string}\n  selected_on: {type: date}\n  funded_on: {type: date}\n'
        "parameters:\n  window: {value: 45}\n"
        "rules:\n  - {id: in-time, title: T, category: approval, source: s,\n"
        '     require: "business_days(selected_on, funded_on) <= window"}\n')
    pack = load_pack(tmp_path)
    resolved = pack.resolve(dt.date(2026, 6, 1))
    records = [{"id": "on-day-45", "selected_on": "2026-02-17", "funded_on": "2026-04-21"},
               {"id": "day-46", "selected_on": "2026-02-17", "funded_on": "2026-04-22"},
               {"id": "not-funded", "selected_on": "2026-02-17"}]
    rows = with_derived(resolved, table_from_records(records, pack.input_fields).records())
    want = [["pass"], ["fail"], ["missing"]]
    assert ReferenceEngine().decide(resolved, rows) == want
    assert DurableEngine().decide(resolved, rows) == want
    from screening.engines.vector import VectorEngine
    assert VectorEngine().decide(resolved, rows) == want


def test_type_checked_at_load() -> None:
    from screening.lang.types import NUMBER, TypeErrors, check_expression
    with pytest.raises(TypeErrors, match=r"business_days\(\) takes dates"):
        check_expression(parse_expression("business_days(x, y) > 1"), {"x": NUMBER, "y": NUMBER})


@pytest.mark.parametrize("business, funded_on, outcome", [
    (False, "2026-04-03", "pass"), (False, "2026-04-04", "fail"),
    (True, "2026-04-21", "pass"), (True, "2026-04-22", "fail"),
])
def test_washingtons_funding_window_counts_either_way(business: bool, funded_on: str, outcome: str) -> None:
    """The US pack's funded-within-window reads funding_window_business_days (a snapback flag, advisory)."""
    from pathlib import Path

    from screening.candidates import table_from_records
    from screening.pack.load import load_pack
    from screening.screen import screen_table

    pack = load_pack(Path(__file__).resolve().parent.parent / "rules" / "us")
    resolved = pack.resolve(dt.date(2026, 6, 1))
    resolved.params["funding_window_business_days"] = business
    record = {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD",
              "selected_on": "2026-02-17", "funded_on": funded_on}
    result = screen_table(resolved, table_from_records([record], pack.input_fields), engine="reference")
    rule = next(o for o in result.candidates[0].outcomes if o.rule == "funded-within-window")
    assert (rule.outcome, rule.severity, result.candidates[0].verdict) == (outcome, "advisory", "eligible")
