"""The framework's waterfall (CONTRACT.md §9), vectorised over candidates x flow dates.

Japan's balance starts at 0. At each flow date, in date order: the balance grows by
``(1 + deemed_rate) ** (days since the previous flow / 365)``; ``japan_funding_share x invest``
is added; then the date's cash is split. Before recovery Japan receives ``1 - us_share_before``
of it, which reduces the balance; when that share would take the balance to zero or below, the
part of the cash needed to clear it is split at the "before" shares and the rest at the "after"
shares, and recovery happens on that date. After recovery Japan receives ``1 - us_share_after``
of all cash and the balance stays 0 (recovery happens once; see README).

How it is computed. Until recovery the balance follows one recurrence, ``after_j = (after_{j-1}
x growth_j + funded_j) - share_j``, with the same operations in the same order as the loop: the
only Python loop walks the dates (three numpy operations over all candidates per date; the growth
factor is one Python float per date when every candidate has the same rate and the same gap, as
in the loop). Recovery is the first date with cash whose balance after the split would be zero
or below; everything else (what Japan receives before, on and after that date) is a handful of
whole-array operations. Arrays are dates x candidates in memory, so each date's row is contiguous.
:mod:`screening.finance.loop` is the same arithmetic one candidate at a time, used as the oracle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from screening.finance.flows import EPOCH_ORDINAL, FlowMatrix, by_date
from screening.finance.names import FINANCE_FIELDS
from screening.finance.workspace import Workspace
from screening.finance.xirr import elapsed_days, xirr_by_date


@dataclass
class Terms:
    """The waterfall's terms per candidate (NaN = missing: Japan's fields are then missing)."""

    deemed_rate: np.ndarray
    japan_funding_share: np.ndarray
    us_share_before_recovery: np.ndarray
    us_share_after_recovery: np.ndarray

    @classmethod
    def constant(cls, n: int, deemed_rate: float, japan_funding_share: float = 1.0,
                 us_share_before_recovery: float = 0.5, us_share_after_recovery: float = 0.9) -> "Terms":
        return cls(*(np.full(n, float(v)) for v in (deemed_rate, japan_funding_share, us_share_before_recovery,
                                                      us_share_after_recovery)))

    def take(self, rows: slice | np.ndarray) -> "Terms":
        return Terms(self.deemed_rate[rows], self.japan_funding_share[rows], self.us_share_before_recovery[rows],
                     self.us_share_after_recovery[rows])

    def known(self) -> np.ndarray:
        return (np.isfinite(self.deemed_rate) & np.isfinite(self.japan_funding_share)
                & np.isfinite(self.us_share_before_recovery) & np.isfinite(self.us_share_after_recovery))


@dataclass
class Waterfall:
    """The split of every flow date. Matrices are candidates x dates (views of dates-major arrays).

    Attributes:
        japan_receipts: what Japan receives on each date.
        made_whole_at: index of the recovery date per candidate, -1 if none.
        funded: Japan's share of each date's investment.
        after_split: the balance after each date's split as the recurrence gives it (meaningful
            before recovery; see :attr:`balance`).
        shared_dates: every candidate has the same dates.
    """

    flows: FlowMatrix
    terms: Terms
    japan_receipts: np.ndarray
    made_whole_at: np.ndarray
    funded: np.ndarray
    after_split: np.ndarray
    needed: np.ndarray  # per candidate: the part of the recovery date's cash split at the "before" shares
    rest: np.ndarray  # per candidate: the rest of that date's cash
    shared_dates: bool = False

    @property
    def before(self) -> np.ndarray:
        """True on the dates before recovery (all dates if it never comes); candidates x dates."""
        p = self.japan_receipts.shape[1]
        return np.arange(p) < np.where(self.made_whole_at >= 0, self.made_whole_at, p)[:, None]

    @property
    def balance(self) -> np.ndarray:
        """Japan's balance after each date's split (0 from recovery on)."""
        return np.where(self.before, self.after_split, 0.0)

    @property
    def us_receipts(self) -> np.ndarray:
        """What the US receives on each date."""
        t, cash = self.terms, self.flows.cash
        us = np.where(self.before, t.us_share_before_recovery * cash, t.us_share_after_recovery * cash)
        made = np.flatnonzero(self.made_whole_at >= 0)
        at = self.made_whole_at[made]
        us[made, at] = (t.us_share_before_recovery[made] * self.needed[made]
                        + t.us_share_after_recovery[made] * self.rest[made])
        return us

    def japan_flows(self) -> np.ndarray:
        """Japan's net flow per date: minus its share of the investment, plus what it receives."""
        return self.japan_receipts - self.funded


def _growth(days: np.ndarray, deemed: np.ndarray, shared_dates: bool) -> list[float | np.ndarray]:
    """The growth factor of each date after the first (dates x candidates ``days``)."""
    p, n = days.shape
    shared_rate = n > 0 and bool(np.all(deemed == deemed[0]))
    out: list[float | np.ndarray] = []
    for j in range(1, p):
        if shared_rate and shared_dates:
            # one Python float, exactly as the loop computes it
            out.append((1.0 + float(deemed[0])) ** (int(days[j, 0] - days[j - 1, 0]) / 365.0))
        else:
            out.append(np.power(1.0 + deemed, (days[j] - days[j - 1]) / 365.0))
    return out


def run_waterfall(flows: FlowMatrix, terms: Terms, ws: Workspace | None = None) -> Waterfall:
    """Split every candidate's cash, date by date (vectorised across candidates).

    ``ws``: scratch arrays to hold the result (valid until ``ws`` is used again); fresh arrays without.
    """
    ws = ws or Workspace()
    n, p = flows.invest.shape
    days, invest, cash = by_date(flows.days), by_date(flows.invest), by_date(flows.cash)
    keep_before = 1.0 - terms.us_share_before_recovery
    keep_after = 1.0 - terms.us_share_after_recovery
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        funded = np.multiply(invest, terms.japan_funding_share, out=ws.array("funded", (p, n)))
        share = np.multiply(cash, keep_before, out=ws.array("share", (p, n)))
        if not np.isfinite(keep_before).all():
            share = np.where(cash > 0, share, 0.0)  # no cash, no split: Japan receives 0, not NaN
        # the balance before (pre) and after (post) each date's split, as if recovery never came
        pre, post = ws.array("pre", (p, n)), ws.array("post", (p, n))
        if p:
            np.add(funded[0], 0.0, out=pre[0])
            np.subtract(pre[0], share[0], out=post[0])
        shared_dates = n > 0 and bool(np.all(days == days[:, :1]))
        for j, growth in enumerate(_growth(days, terms.deemed_rate, shared_dates), start=1):
            np.multiply(post[j - 1], growth, out=pre[j])
            pre[j] += funded[j]
            np.subtract(pre[j], share[j], out=post[j])
        clears = np.less_equal(post, 0.0, out=ws.array("clears", (p, n), np.bool_))
        clears &= np.greater(cash, 0.0, out=ws.array("pos", (p, n), np.bool_))
        # the first date that clears (p: none), as the largest of p - j over the dates that clear
        dtype = np.int16 if p < 2**15 else np.int64
        mark = np.multiply(clears, np.arange(p, 0, -1, dtype=dtype)[:, None], out=ws.array("mark", (p, n), dtype))
        first = p - mark.max(axis=0, initial=0)
        has = first < p
        made = np.where(has, first, -1)
        # what Japan receives: cash x (keep_before before recovery, keep_after from it on), as
        # arithmetic on a 0/1 mask (a select costs several times more: its branches mispredict)
        receipts = np.less(np.arange(p)[:, None], first, out=ws.array("receipts", (p, n)))
        if np.isfinite(keep_before).all():
            receipts *= keep_before - keep_after
            receipts += keep_after
            receipts *= cash
        else:  # no cash, no split: Japan receives 0 there, not NaN
            receipts = np.where(receipts > 0, share, cash * keep_after)
        # the recovery date: the part of the cash that clears the balance at the "before"
        # shares, the rest at the "after" shares
        needed, rest = np.zeros(n), np.zeros(n)
        rows = np.flatnonzero(has)
        at = made[rows]
        balance, date_cash = pre[at, rows], cash[at, rows]
        needed[rows] = np.minimum(np.where(balance > 0, balance / keep_before[rows], 0.0), date_cash)
        rest[rows] = np.maximum(date_cash - needed[rows], 0.0)
        receipts[at, rows] = balance + keep_after[rows] * rest[rows]
    return Waterfall(flows, terms, receipts.T, made, funded.T, post.T, needed, rest, shared_dates)


def finance_fields(water: Waterfall, ws: Workspace | None = None) -> dict[str, np.ndarray]:
    """The five finance fields as arrays (NaN = missing; ``japan_made_whole_on`` as days since 1970, -1 missing)."""
    ws = ws or Workspace()
    flows, terms = water.flows, water.terms
    has = flows.count > 0
    japan_ok = has & terms.known()
    days, invest, cash = by_date(flows.days), by_date(flows.invest), by_date(flows.cash)
    receipts, funded = by_date(water.japan_receipts), by_date(water.funded)
    n = cash.shape[1]
    elapsed = elapsed_days(days, water.shared_dates)
    project_irr = xirr_by_date(days, np.subtract(cash, invest, out=ws.array("project", cash.shape)), elapsed, ws)
    japan = np.subtract(receipts, funded, out=ws.array("japan", cash.shape))
    if not japan_ok.all():
        japan[:, ~japan_ok] = 0.0
    japan_irr = xirr_by_date(days, japan, elapsed, ws)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # sums over dates in date order, as the loop adds them
        funded_total = funded.sum(axis=0)
        received = receipts.sum(axis=0)
        cash_total = cash.sum(axis=0)
        multiple = np.where(funded_total > 0, received / np.where(funded_total > 0, funded_total, 1.0), np.nan)
        # what the US receives is the cash Japan does not (on every date, by the split's shares)
        us_share = np.where(cash_total > 0, (cash_total - received) / np.where(cash_total > 0, cash_total, 1.0), np.nan)
    made = water.made_whole_at
    if not n or not days.shape[0]:
        made_days = np.full(len(made), -1)
    elif water.shared_dates:
        made_days = np.where(made >= 0, days[:, 0][np.maximum(made, 0)], -1)
    else:
        made_days = np.where(made >= 0, np.take_along_axis(days, np.maximum(made, 0)[None, :], axis=0)[0], -1)
    return {
        "project_irr": np.where(has, project_irr, np.nan),
        "japan_irr": np.where(japan_ok, japan_irr, np.nan),
        "japan_multiple": np.where(japan_ok, multiple, np.nan),
        "japan_made_whole_on": np.where(japan_ok, made_days, -1),
        "us_share_of_cash": np.where(japan_ok, us_share, np.nan),
    }


#: Candidates per block in :func:`fields_by_block`: a block's dates x candidates arrays (31 dates:
#: about 4 MB each) stay in cache and their memory is reused from block to block.
BLOCK = 16384


def fields_by_block(flows: FlowMatrix, terms: Terms, block: int = BLOCK) -> dict[str, np.ndarray]:
    """``finance_fields(run_waterfall(flows, terms))`` a block of candidates at a time: the same
    values, several times faster on large lists than one pass over whole arrays (whose temporaries
    go to main memory and must be fresh pages each time)."""
    n = len(flows.count)
    ws = Workspace()
    if n <= block:
        return finance_fields(run_waterfall(flows, terms, ws), ws)
    parts = [finance_fields(run_waterfall(flows.take(slice(s, s + block)), terms.take(slice(s, s + block)), ws), ws)
             for s in range(0, n, block)]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def as_python(fields: dict[str, np.ndarray]) -> dict[str, list[object]]:
    """Columns of plain values: floats, ``datetime.date`` and None for missing."""
    out: dict[str, list[object]] = {}
    for name, kind in FINANCE_FIELDS.items():
        values = fields[name]
        if kind == "date":
            out[name] = [None if v < 0 else dt.date.fromordinal(int(v) + EPOCH_ORDINAL) for v in values.tolist()]
        else:
            out[name] = [v if v == v else None for v in values.tolist()]
    return out
