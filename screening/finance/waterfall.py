"""The framework's waterfall (CONTRACT.md §9), vectorised over candidates x flow dates.

Japan's balance starts at 0. At each flow date, in date order: the balance grows by
``(1 + deemed_rate) ** (days since the previous flow / 365)``; ``japan_funding_share x invest``
is added; then the date's cash is split. Before recovery Japan receives ``1 - us_share_before``
of it, which reduces the balance; when that share would take the balance to zero or below, the
part of the cash needed to clear it is split at the "before" shares and the rest at the "after"
shares, and recovery happens on that date. After recovery Japan receives ``1 - us_share_after``
of all cash and the balance stays 0 (recovery happens once; see README).

Every step is one numpy operation over all candidates; the loop over flow dates is the only
Python loop. :mod:`screening.finance.loop` is the same arithmetic one candidate at a time,
used as the oracle in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screening.finance.flows import EPOCH_ORDINAL, FlowMatrix
from screening.finance.names import FINANCE_FIELDS
from screening.finance.xirr import xirr_rows


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

    def known(self) -> np.ndarray:
        return (np.isfinite(self.deemed_rate) & np.isfinite(self.japan_funding_share)
                & np.isfinite(self.us_share_before_recovery) & np.isfinite(self.us_share_after_recovery))


@dataclass
class Waterfall:
    """The split of every flow date: what Japan received and its balance after the date."""

    flows: FlowMatrix
    terms: Terms
    japan_receipts: np.ndarray  # candidates x dates
    balance: np.ndarray  # candidates x dates, after the date's split
    made_whole_at: np.ndarray  # index of the recovery date, -1 if none
    us_receipts: np.ndarray  # candidates x dates: what the US receives

    def japan_flows(self) -> np.ndarray:
        """Japan's net flow per date: minus its share of the investment, plus what it receives."""
        return self.japan_receipts - self.terms.japan_funding_share[:, None] * self.flows.invest


def run_waterfall(flows: FlowMatrix, terms: Terms) -> Waterfall:
    """Split every candidate's cash, date by date (vectorised across candidates)."""
    n, p = flows.invest.shape
    d, f = terms.deemed_rate, terms.japan_funding_share
    keep_before = 1.0 - terms.us_share_before_recovery
    keep_after = 1.0 - terms.us_share_after_recovery
    balance = np.zeros(n)
    recovered = np.zeros(n, dtype=bool)
    made = np.full(n, -1)
    # dates x candidates, so that each date's column is contiguous in memory
    days_t, invest_t, cash_t = (np.ascontiguousarray(x.T) for x in (flows.days, flows.invest, flows.cash))
    receipts = np.zeros((p, n))
    us_receipts = np.zeros((p, n))
    balances = np.zeros((p, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        for j in range(p):
            if j:
                elapsed = (days_t[j] - days_t[j - 1]) / 365.0
                balance = balance * np.power(1.0 + d, elapsed)
            balance = np.where(recovered, 0.0, balance + f * invest_t[j])
            cash = cash_t[j]
            share = keep_before * cash
            splitting = ~recovered & (cash > 0)
            clears = splitting & (balance - share <= 0)
            needed = np.minimum(np.where(balance > 0, balance / keep_before, 0.0), cash)
            rest = np.maximum(cash - needed, 0.0)
            got = np.where(recovered, keep_after * cash,
                           np.where(clears, balance + keep_after * rest, np.where(splitting, share, 0.0)))
            us = np.where(recovered, terms.us_share_after_recovery * cash,
                          np.where(clears, terms.us_share_before_recovery * needed + terms.us_share_after_recovery * rest,
                                   np.where(splitting, terms.us_share_before_recovery * cash, 0.0)))
            balance = np.where(clears | recovered, 0.0, np.where(splitting, balance - share, balance))
            made = np.where(clears, j, made)
            recovered = recovered | clears
            receipts[j] = got
            us_receipts[j] = us
            balances[j] = balance
    return Waterfall(flows, terms, receipts.T, balances.T, made, us_receipts.T)


def finance_fields(water: Waterfall) -> dict[str, np.ndarray]:
    """The five finance fields as arrays (NaN = missing; ``japan_made_whole_on`` as days since 1970, -1 missing)."""
    flows, terms = water.flows, water.terms
    has = flows.count > 0
    japan_ok = has & terms.known()
    project_irr = xirr_rows(flows.days, flows.cash - flows.invest)
    japan = np.where(japan_ok[:, None], water.japan_flows(), 0.0)
    japan_irr = xirr_rows(flows.days, japan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        funded = (terms.japan_funding_share[:, None] * flows.invest).sum(axis=1)
        received = water.japan_receipts.sum(axis=1)
        cash = flows.cash.sum(axis=1)
        multiple = np.where(funded > 0, received / np.where(funded > 0, funded, 1.0), np.nan)
        us_share = np.where(cash > 0, water.us_receipts.sum(axis=1) / np.where(cash > 0, cash, 1.0), np.nan)
    rows = np.arange(flows.invest.shape[0])
    made_days = np.where(water.made_whole_at >= 0, flows.days[rows, np.maximum(water.made_whole_at, 0)], -1)
    return {
        "project_irr": np.where(has, project_irr, np.nan),
        "japan_irr": np.where(japan_ok, japan_irr, np.nan),
        "japan_multiple": np.where(japan_ok, multiple, np.nan),
        "japan_made_whole_on": np.where(japan_ok, made_days, -1),
        "us_share_of_cash": np.where(japan_ok, us_share, np.nan),
    }


def as_python(fields: dict[str, np.ndarray]) -> dict[str, list[object]]:
    """Columns of plain values: floats, ``datetime.date`` and None for missing."""
    import datetime as dt
    out: dict[str, list[object]] = {}
    for name, kind in FINANCE_FIELDS.items():
        values = fields[name]
        if kind == "date":
            out[name] = [None if v < 0 else dt.date.fromordinal(int(v) + EPOCH_ORDINAL) for v in values.tolist()]
        else:
            out[name] = [v if v == v else None for v in values.tolist()]
    return out
