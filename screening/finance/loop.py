"""The waterfall one candidate at a time, in plain Python: the oracle the vectorised path is tested against.

Same arithmetic as :mod:`screening.finance.waterfall` (CONTRACT.md §9), written as a reader
would check it by hand; XIRR comes from pyxirr.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Sequence

import pyxirr

from screening.finance.flows import Flow


@dataclass
class Step:
    """One flow date of the waterfall."""

    date: dt.date
    invest: float
    cash: float
    japan: float  # what Japan receives on the date
    balance: float  # Japan's balance after the date's split
    us: float = 0.0  # what the US receives on the date


@dataclass
class LoopResult:
    project_irr: float | None
    japan_irr: float | None
    japan_multiple: float | None
    japan_made_whole_on: dt.date | None
    us_share_of_cash: float | None
    steps: list[Step] = field(default_factory=list)

    def fields(self) -> dict[str, object]:
        return {"project_irr": self.project_irr, "japan_irr": self.japan_irr, "japan_multiple": self.japan_multiple,
                "japan_made_whole_on": self.japan_made_whole_on, "us_share_of_cash": self.us_share_of_cash}


def xirr(dates: Sequence[dt.date], amounts: Sequence[float]) -> float | None:
    """pyxirr's XIRR (actual/365); None for no sign change or no root."""
    pairs = [(d, a) for d, a in zip(dates, amounts) if a != 0]
    if not pairs:
        return None
    try:
        r = pyxirr.xirr([d for d, _ in pairs], [a for _, a in pairs], silent=True)
    except Exception:  # pyxirr raises on degenerate input: missing either way
        return None
    return None if r is None or r != r or r in (float("inf"), float("-inf")) else float(r)


def _growth(deemed_rate: float, days: int) -> float:
    """``(1 + deemed_rate) ** (days / 365)``; infinity where it overflows (as the compiled
    kernel's pow gives it) instead of Python's OverflowError."""
    try:
        return (1.0 + deemed_rate) ** (days / 365.0)
    except OverflowError:
        return float("inf")


def waterfall_one(flows: Sequence[Flow], deemed_rate: float, japan_funding_share: float,
                  us_share_before_recovery: float, us_share_after_recovery: float) -> LoopResult:
    """Split one candidate's cash, date by date. ``flows``: (date, invest, cash), sorted, unique dates."""
    if not flows:
        return LoopResult(None, None, None, None, None)
    keep_before = 1.0 - us_share_before_recovery
    keep_after = 1.0 - us_share_after_recovery
    balance = 0.0
    recovered = False
    made_whole_on = None
    steps: list[Step] = []
    previous = None
    for date, invest, cash in flows:
        if previous is not None:
            balance = balance * _growth(deemed_rate, (date - previous).days)
        previous = date
        balance = 0.0 if recovered else balance + japan_funding_share * invest
        if recovered:
            japan, us = keep_after * cash, us_share_after_recovery * cash
        elif cash > 0:
            share = keep_before * cash
            if balance - share <= 0:
                # the part of the cash that clears the balance is split at the "before" shares,
                # the rest at the "after" shares
                needed = min(balance / keep_before if balance > 0 else 0.0, cash)
                rest = max(cash - needed, 0.0)
                japan = balance + keep_after * rest
                us = us_share_before_recovery * needed + us_share_after_recovery * rest
                balance = 0.0
                recovered = True
                made_whole_on = date
            else:
                japan, us = share, us_share_before_recovery * cash
                balance = balance - share
        else:
            japan, us = 0.0, 0.0
        steps.append(Step(date, invest, cash, japan, balance, us))
    dates = [s.date for s in steps]
    project_irr = xirr(dates, [s.cash - s.invest for s in steps])
    japan_irr = xirr(dates, [s.japan - japan_funding_share * s.invest for s in steps])
    # plain left-to-right sums, not sum(): from Python 3.12 sum() compensates rounding, while the
    # compiled kernel adds in date order without compensation, bit for bit like this
    funded = received = total_cash = total_us = 0.0
    for s in steps:
        funded += japan_funding_share * s.invest
        received += s.japan
        total_cash += s.cash
        total_us += s.us
    return LoopResult(
        project_irr=project_irr, japan_irr=japan_irr,
        japan_multiple=received / funded if funded > 0 else None,
        japan_made_whole_on=made_whole_on,
        us_share_of_cash=total_us / total_cash if total_cash > 0 else None,
        steps=steps,
    )
