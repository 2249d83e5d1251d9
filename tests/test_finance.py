"""The waterfall (CONTRACT.md §9): hand-computed cases, the stylised check, properties, XIRR.

Every hand-computed case runs through both the plain loop (the oracle) and the compiled path.
Dates start on 2021-01-01 so that each year is 365 days and the growth factor is exactly
(1 + deemed_rate) per year.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.finance import kernel, waterfall
from screening.finance.flows import FlowMatrix, profile_flows
from screening.finance.kernel import sign_changes, xirr_rows
from screening.finance.loop import waterfall_one, xirr
from screening.finance.waterfall import Terms, Waterfall, as_python

D = dt.date


def compiled(flows: FlowMatrix, terms: Terms) -> Waterfall:
    """The compiled kernel's waterfall, whatever the list's length (a short list's run would take the loop)."""
    done = kernel.compute(flows, terms, keep=True)
    return Waterfall(flows, done.fields, done.receipts, done.balance)


def both(flows, deemed=0.10, share=1.0, before=0.5, after=0.9):
    """(loop result, compiled fields, compiled waterfall) for one candidate."""
    loop = waterfall_one(flows, deemed, share, before, after)
    matrix = FlowMatrix.from_lists([flows])
    water = compiled(matrix, Terms.constant(1, deemed, share, before, after))
    fields = {k: v[0] for k, v in as_python(water.fields).items()}
    return loop, fields, water


def assert_same(loop, fields):
    for name, value in loop.fields().items():
        if isinstance(value, float):
            # pyxirr (the loop's XIRR) stops at ~1e-9 relative for ordinary rates but coarser for
            # extreme ones (1,000%+ on generated flows); ours solves to 1e-13. Same root, either way.
            rel = 1e-6 if name.endswith("irr") else 1e-9
            assert fields[name] == pytest.approx(value, rel=rel, abs=1e-9), name
        else:
            assert fields[name] == value, name


def test_switch_inside_a_period_splits_the_date_cash():
    # 2021: Japan funds 100.  2022: balance 100 x 1.1 = 110; cash 100, Japan's half 50 < 110 -> balance 60.
    # 2023: balance 60 x 1.1 = 66; cash 200, half 100 >= 66 -> recovery on 2023-01-01:
    #   needed = 66 / 0.5 = 132 split 50/50 (Japan 66, US 66); rest 68 split 10/90 (Japan 6.8, US 61.2).
    flows = [(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 100.0), (D(2023, 1, 1), 0.0, 200.0)]
    loop, fields, water = both(flows)
    assert [s.japan for s in loop.steps] == pytest.approx([0.0, 50.0, 72.8])
    assert [s.us for s in loop.steps] == pytest.approx([0.0, 50.0, 127.2])
    assert [s.balance for s in loop.steps] == pytest.approx([100.0, 60.0, 0.0])
    assert water.balance[0].tolist() == pytest.approx([100.0, 60.0, 0.0])
    assert loop.japan_made_whole_on == D(2023, 1, 1)
    assert loop.japan_multiple == pytest.approx(122.8 / 100)
    assert loop.us_share_of_cash == pytest.approx(177.2 / 300)
    # Japan: -100 + 50 v + 72.8 v^2 = 0 -> v = (-50 + sqrt(50^2 + 4 * 72.8 * 100)) / (2 * 72.8)
    v = (-50 + math.sqrt(50 ** 2 + 4 * 72.8 * 100)) / (2 * 72.8)
    assert loop.japan_irr == pytest.approx(1 / v - 1, abs=1e-9)
    # Project: -100 + 100 v + 200 v^2 = 0 -> v = 0.5 -> 100%
    assert loop.project_irr == pytest.approx(1.0, abs=1e-9)
    assert_same(loop, fields)


def test_never_made_whole():
    # deemed 5%: each year 100 -> 105, Japan gets half of 10 = 5 -> back to 100; never recovered.
    flows = [(D(2021, 1, 1), 100.0, 0.0)] + [(D(2021 + k, 1, 1), 0.0, 10.0) for k in (1, 2, 3)]
    loop, fields, _ = both(flows, deemed=0.05)
    assert [s.balance for s in loop.steps] == pytest.approx([100.0, 100.0, 100.0, 100.0])
    assert loop.japan_made_whole_on is None and fields["japan_made_whole_on"] is None
    assert loop.japan_multiple == pytest.approx(0.15)
    assert loop.us_share_of_cash == pytest.approx(0.5)
    r = loop.japan_irr
    assert -100 + 5 / (1 + r) + 5 / (1 + r) ** 2 + 5 / (1 + r) ** 3 == pytest.approx(0.0, abs=1e-7)
    assert_same(loop, fields)


def test_zero_cash_gives_missing_returns():
    # No cash: no sign change -> both IRRs missing; nothing to share -> us_share_of_cash missing.
    flows = [(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 0.0), (D(2023, 1, 1), 0.0, 0.0)]
    loop, fields, _ = both(flows, deemed=0.05)
    assert [s.balance for s in loop.steps] == pytest.approx([100.0, 105.0, 110.25])
    assert loop.fields() == {"project_irr": None, "japan_irr": None, "japan_multiple": 0.0,
                             "japan_made_whole_on": None, "us_share_of_cash": None}
    assert_same(loop, fields)


def test_several_investment_tranches():
    # 2021: 50 in.  2022: 50 x 1.1 = 55, + 50 = 105.  2023: 105 x 1.1 = 115.5; cash 300, half 150 >= 115.5:
    #   needed 231 (Japan 115.5, US 115.5), rest 69 (Japan 6.9, US 62.1) -> Japan 122.4.
    flows = [(D(2021, 1, 1), 50.0, 0.0), (D(2022, 1, 1), 50.0, 0.0), (D(2023, 1, 1), 0.0, 300.0)]
    loop, fields, _ = both(flows)
    assert [s.balance for s in loop.steps] == pytest.approx([50.0, 105.0, 0.0])
    assert loop.steps[-1].japan == pytest.approx(122.4)
    assert loop.japan_multiple == pytest.approx(1.224)
    assert loop.japan_made_whole_on == D(2023, 1, 1)
    assert_same(loop, fields)


def test_japan_funding_less_than_all():
    # Japan funds 40% of 100.  2022: 40 x 1.1 = 44; cash 60, Japan 30 -> 14.
    # 2023: 14 x 1.1 = 15.4; cash 60, half 30 >= 15.4: needed 30.8 (Japan 15.4), rest 29.2 (Japan 2.92).
    flows = [(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 60.0), (D(2023, 1, 1), 0.0, 60.0)]
    loop, fields, _ = both(flows, share=0.4)
    assert [s.balance for s in loop.steps] == pytest.approx([40.0, 14.0, 0.0])
    assert [s.japan for s in loop.steps] == pytest.approx([0.0, 30.0, 18.32])
    assert loop.japan_multiple == pytest.approx(48.32 / 40)
    assert loop.us_share_of_cash == pytest.approx((120 - 48.32) / 120)
    v = (-30 + math.sqrt(30 ** 2 + 4 * 18.32 * 40)) / (2 * 18.32)  # -40 + 30 v + 18.32 v^2 = 0
    assert loop.japan_irr == pytest.approx(1 / v - 1, abs=1e-9)
    assert_same(loop, fields)


def level_cash(rate: float, years: int) -> float:
    """Yearly cash that repays 1 over ``years`` at ``rate`` (an annuity)."""
    return rate / (1 - (1 + rate) ** -years)


@pytest.mark.parametrize("project, years, japan", [(0.05, 20, -0.02), (0.15, 20, 0.05), (0.126, 30, 0.05)])
def test_stylised_check_from_the_issue(project, years, japan):
    # Japan funds all, level cash, no terminal value, deemed rate 5%: Japan only gets half while it
    # is repaid, so a 5% project leaves it near -2% (20 years) and it earns the 5% deemed rate only
    # at a project IRR near 15% (20 years) or 12.6% (30 years). Never made whole in any of these.
    flows = profile_flows(100.0, 100.0 * level_cash(project, years), None, years, D(2026, 1, 1))
    loop, fields, _ = both(flows, deemed=0.05)
    assert fields["project_irr"] == pytest.approx(project, abs=0.001)
    assert fields["japan_irr"] == pytest.approx(japan, abs=0.001)
    assert_same(loop, fields)


def test_profile_flows_follow_the_contract():
    flows = profile_flows(100.0, 10.0, 0.1, 3, D(2024, 2, 29))
    assert flows == [(D(2024, 2, 29), 100.0, 0.0), (D(2025, 2, 28), 0.0, 10.0), (D(2026, 2, 28), 0.0, 11.0),
                     (D(2027, 2, 28), 0.0, pytest.approx(12.1))]
    assert profile_flows(None, 10.0, 0.1, 3, D(2024, 1, 1)) is None


def test_recovery_is_once_and_later_cash_is_split_at_the_after_shares():
    flows = [(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 300.0), (D(2023, 1, 1), 0.0, 100.0)]
    loop, fields, _ = both(flows)
    assert loop.steps[2].japan == pytest.approx(10.0) and loop.steps[2].us == pytest.approx(90.0)
    assert loop.steps[2].balance == 0.0
    assert_same(loop, fields)


# --- XIRR ------------------------------------------------------------------------------------

def test_vector_xirr_equals_pyxirr_and_missing_without_sign_change():
    rng = np.random.default_rng(3)
    n, p = 400, 12
    days = np.cumsum(rng.integers(1, 400, size=(n, p)), axis=1) + 18000
    amounts = np.zeros((n, p))
    amounts[:, 0] = -rng.uniform(1, 100, n)
    amounts[:, 1:] = rng.uniform(0, 30, (n, p - 1))
    amounts[:5] = np.abs(amounts[:5])  # no sign change
    amounts[5:10, 6] = -500  # two sign changes: handed to pyxirr
    got = xirr_rows(days, amounts)
    for i in range(n):
        dates = [D(1970, 1, 1) + dt.timedelta(days=int(d)) for d in days[i]]
        want = xirr(dates, amounts[i].tolist())
        if want is None:
            assert math.isnan(got[i]), i
        else:
            assert got[i] == pytest.approx(want, rel=1e-8, abs=1e-9), i
    assert np.isnan(got[:5]).all()
    assert (sign_changes(amounts[5:10]) >= 2).all()


def test_sign_changes_ignores_zeros():
    assert sign_changes(np.array([[-1.0, 0, 0, 2, 0, 3], [1.0, 0, -1, 0, 1, 0], [0.0, 0, 0, 0, 0, 0]])).tolist() == [1, 2, 0]


# --- properties --------------------------------------------------------------------------------

@st.composite
def cases(draw):
    k = draw(st.integers(1, 10))
    gaps = draw(st.lists(st.integers(1, 800), min_size=k, max_size=k))
    start = D(2020, 1, 1)
    dates, day = [], 0
    for g in gaps:
        day += g
        dates.append(start + dt.timedelta(days=day))
    money = st.one_of(st.just(0.0), st.floats(0.01, 1000.0))
    invest = draw(st.lists(money, min_size=k, max_size=k))
    invest[0] = draw(st.floats(0.01, 1000.0))  # a project starts with an investment
    cash = draw(st.lists(money, min_size=k, max_size=k))
    flows = list(zip(dates, invest, cash))
    terms = (draw(st.floats(0.0, 0.2)), draw(st.floats(0.0, 1.0)), draw(st.floats(0.2, 0.8)), draw(st.floats(0.5, 1.0)))
    return flows, terms


@settings(max_examples=150, derandomize=True, deadline=None)
@given(cases())
def test_receipts_add_up_to_the_cash_and_japan_gets_its_half_before_recovery(case):
    flows, (deemed, share, before, after) = case
    loop = waterfall_one(flows, deemed, share, before, after)
    recovered = False
    for step in loop.steps:
        assert step.japan + step.us == pytest.approx(step.cash, rel=1e-12, abs=1e-9)
        assert step.japan >= 0 and step.us >= -1e-12
        if step.date == loop.japan_made_whole_on:
            recovered = True
        elif not recovered:
            assert step.japan == pytest.approx((1 - before) * step.cash, rel=1e-12, abs=1e-12)
        else:
            assert step.japan == pytest.approx((1 - after) * step.cash, rel=1e-12, abs=1e-12)


@settings(max_examples=30, derandomize=True, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=12))
def test_vectorised_equals_the_loop(batch):
    series = [flows for flows, _ in batch]
    terms = Terms(*(np.array([t[i] for _, t in batch]) for i in range(4)))
    water = compiled(FlowMatrix.from_lists(series), terms)
    fields = as_python(water.fields)
    for i, (flows, t) in enumerate(batch):
        loop = waterfall_one(flows, *t)
        # the split is the loop's operations in the loop's order: equal to the last bit
        assert water.japan_receipts[i, :len(flows)].tolist() == [s.japan for s in loop.steps]
        assert water.balance[i, :len(flows)].tolist() == [s.balance for s in loop.steps]
        assert_same(loop, {k: v[i] for k, v in fields.items()})


# --- the fast paths: long-form input, blocks of candidates, flipped signs --------------------

def test_from_columns_equals_from_lists_whatever_the_row_order():
    flows = [[(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 60.0), (D(2023, 3, 1), 5.0, 70.0)],
             [],
             [(D(2020, 6, 1), 50.0, 0.0), (D(2021, 6, 1), 0.0, 80.0)]]
    want = FlowMatrix.from_lists(flows)
    rows = [(i, d.toordinal() - D(1970, 1, 1).toordinal(), v, c) for i, s in enumerate(flows) for d, v, c in s]
    rows = rows[::-1]  # any order: sorted by candidate then date on the way in
    got = FlowMatrix.from_columns(*(np.array(col) for col in zip(*rows)), 3)
    for name in ("days", "invest", "cash", "count"):
        assert getattr(got, name).tolist() == getattr(want, name).tolist(), name
    assert got.days[1].tolist() == [0, 0, 0] and got.days[2].tolist()[-1] == got.days[2].tolist()[1]  # padding repeats the last date


@settings(max_examples=20, derandomize=True, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=9))
def test_a_short_list_by_the_loop_and_a_long_one_compiled_agree(batch):
    series = [flows for flows, _ in batch]
    terms = Terms(*(np.array([t[i] for _, t in batch]) for i in range(4)))
    terms.deemed_rate[0] = np.nan  # a missing term: Japan's fields missing on both paths
    matrix = FlowMatrix.from_lists(series)
    short = waterfall.compute(matrix, terms, keep=True)
    saved, waterfall.COMPILED_FROM = waterfall.COMPILED_FROM, 1
    try:
        long = waterfall.compute(matrix, terms, keep=True)
    finally:
        waterfall.COMPILED_FROM = saved
    for name in ("japan_made_whole_on", "japan_multiple", "us_share_of_cash"):  # the split: bit for bit
        assert np.array_equal(short.fields[name], long.fields[name], equal_nan=True), name
    assert np.array_equal(short.receipts, long.receipts) and np.array_equal(short.balance, long.balance)
    for name in ("project_irr", "japan_irr"):  # pyxirr against the kernel's solver: the same root
        assert np.array_equal(np.isnan(short.fields[name]), np.isnan(long.fields[name])), name
        assert np.allclose(short.fields[name], long.fields[name], rtol=1e-6, atol=1e-9, equal_nan=True), name


@settings(max_examples=10, derandomize=True, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=9))
def test_threads_give_the_same_fields_as_one(batch):
    series = [flows for flows, _ in batch]
    terms = Terms(*(np.array([t[i] for _, t in batch]) for i in range(4)))
    matrix = FlowMatrix.from_lists(series)
    one = kernel.compute(matrix, terms, threads=1).fields
    saved, kernel.PER_THREAD = kernel.PER_THREAD, 1  # two threads however few the candidates
    try:
        two = kernel.compute(matrix, terms, threads=2).fields
    finally:
        kernel.PER_THREAD = saved
    for name, values in one.items():
        assert np.array_equal(values, two[name], equal_nan=True), name


def test_vector_xirr_when_money_comes_in_first_and_out_over_several_dates():
    # a loan seen from the lender's side (in, then out) and a project built over three years
    days = np.array([[18000, 18365, 18730, 19095, 19460]] * 3)
    amounts = np.array([[100.0, -30.0, -30.0, -30.0, -30.0],
                        [-40.0, -40.0, -30.0, 50.0, 90.0],
                        [0.0, -10.0, 0.0, 4.0, 9.0]])
    got = xirr_rows(days, amounts)
    for i in range(3):
        dates = [D(1970, 1, 1) + dt.timedelta(days=int(d)) for d in days[i]]
        assert got[i] == pytest.approx(xirr(dates, amounts[i].tolist()), rel=1e-8, abs=1e-9), i
    assert sign_changes(amounts).tolist() == [1, 1, 1]


def test_from_columns_square_input_takes_the_short_way_to_the_same_matrix():
    # every candidate has the same number of dates, in order: no sort and no scatter
    candidate = np.repeat(np.arange(3), 4)
    days = np.tile(np.array([18000, 18365, 18730, 19095]), 3) + np.repeat(np.array([0, 10, 20]), 4)
    invest = np.where(np.tile(np.arange(4), 3) == 0, 100.0, 0.0)
    cash = np.tile(np.array([0.0, 30.0, 40.0, 50.0]), 3)
    square = FlowMatrix.from_columns(candidate, days, invest, cash, 3)
    shuffled = np.random.default_rng(0).permutation(12)
    scattered = FlowMatrix.from_columns(candidate[shuffled], days[shuffled], invest[shuffled], cash[shuffled], 3)
    for name in ("days", "invest", "cash", "count"):
        assert getattr(square, name).tolist() == getattr(scattered, name).tolist(), name
    assert square.days.flags["C_CONTIGUOUS"] and square.count.tolist() == [4, 4, 4]


def test_xirr_with_many_distinct_gaps_and_outside_the_bracket_equals_pyxirr():
    GAP_SLOTS, xirr_one = kernel.GAP_SLOTS, kernel.xirr_one
    rng = np.random.default_rng(11)
    p = 3 * GAP_SLOTS
    irregular = 18000 + np.cumsum(rng.integers(1, 200, p))  # more distinct gaps than slots: one exp per date
    yearly = 18000 + 365 * np.arange(p)
    days = np.array([irregular, yearly, yearly, yearly])
    amounts = np.zeros((4, p))
    amounts[:, 0] = -100.0
    amounts[0, 1:] = rng.uniform(0, 30, p - 1)
    amounts[1, 1] = 2500.0  # 2,400% in a year: above the bracket, pyxirr's answer
    amounts[2, 1:] = 0.001  # about -100%: below the bracket
    amounts[3, 1:] = 8.0
    got = xirr_rows(days, amounts)
    for i in range(4):
        want = xirr_one(days[i], amounts[i])
        assert got[i] == pytest.approx(want, rel=1e-8, abs=1e-9) or (math.isnan(want) and math.isnan(got[i])), i
    assert got[1] == pytest.approx(24.0, rel=1e-6)


def test_japan_flows_that_change_sign_twice_go_to_pyxirr():
    # a second tranche after Japan has started receiving: Japan's flows go -, +, -, +
    flows = [(D(2021, 1, 1), 100.0, 0.0), (D(2022, 1, 1), 0.0, 80.0), (D(2023, 1, 1), 100.0, 0.0),
             (D(2024, 1, 1), 0.0, 150.0), (D(2025, 1, 1), 0.0, 150.0)]
    loop, fields, _ = both(flows, deemed=0.05)
    assert sign_changes(np.array([[s.japan - s.invest for s in loop.steps]]))[0] == 2
    assert loop.japan_irr is not None
    assert_same(loop, fields)


@pytest.mark.parametrize("compiled_powers", [False, True])
def test_profile_matrix_equals_profile_flows_bit_for_bit(compiled_powers, monkeypatch):
    from screening.finance import flows as flows_module
    if compiled_powers:
        monkeypatch.setattr(flows_module, "PYTHON_POWERS", 0)
    rng = np.random.default_rng(5)
    n = 300
    profiles = [(float(rng.uniform(1e6, 1e10)), float(rng.uniform(1e5, 1e9)),
                 None if i % 7 == 0 else float(rng.choice([-0.03, 0.0, 0.017, 0.02]) + rng.uniform(-1e-3, 1e-3)),
                 int(rng.integers(1, 40)), D(2024, 2, 29) if i % 11 == 0 else D(2026, int(rng.integers(1, 13)), 1))
                for i in range(n)]
    profiles[3] = (1e9, None, 0.01, 20, D(2026, 1, 1))  # incomplete: no flows
    want = FlowMatrix.from_lists([profile_flows(*p) or [] for p in profiles])
    ok = np.array([p[1] is not None for p in profiles])
    got = flows_module.profile_matrix(
        np.array([p[0] for p in profiles]), np.array([p[1] or 0.0 for p in profiles]),
        np.array([p[2] or 0.0 for p in profiles]), np.array([p[3] for p in profiles]),
        np.array([p[4].toordinal() - D(1970, 1, 1).toordinal() for p in profiles]), ok)
    for name in ("days", "invest", "cash", "count"):
        assert getattr(got, name).tolist() == getattr(want, name).tolist(), name


def test_xirr_does_not_settle_on_a_first_step_where_the_curvature_vanishes():
    # outflows on days 0 and 730, inflows on days 1095, 1460 and 3650: the last inflow is chosen so
    # that, at rate 0, the spread of the inflow dates equals that of the outflow dates (g'' = 0);
    # the cubic error bound alone then passed a Newton-sized first step (a rate 1e-3 off)
    c = 5.558098144443082
    start = D(2021, 1, 1)
    flows = [(start, 100.0, 0.0), (start + dt.timedelta(730), 100.0, 0.0), (start + dt.timedelta(1095), 0.0, 150.0),
             (start + dt.timedelta(1460), 0.0, 150.0), (start + dt.timedelta(3650), 0.0, c)]
    loop, fields, _ = both(flows, deemed=0.1)
    assert fields["project_irr"] == pytest.approx(loop.project_irr, rel=1e-9)
    assert fields["japan_irr"] == pytest.approx(loop.japan_irr, rel=1e-9)


def test_an_overflowing_deemed_rate_gives_an_endless_balance_not_an_error():
    flows = [(D(2000, 1, 1), 100.0, 0.0), (D(2400, 1, 1), 0.0, 50.0)]
    loop, fields, water = both(flows, deemed=10.0)
    assert loop.steps[-1].balance == math.inf and water.balance[0, 1] == math.inf
    assert loop.japan_made_whole_on is None and fields["japan_made_whole_on"] is None
    assert_same(loop, fields)
