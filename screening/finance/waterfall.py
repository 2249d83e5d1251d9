"""The framework's waterfall (CONTRACT.md §9) for many candidates: the terms, the result, and
the one call that computes them.

Japan's balance starts at 0. At each flow date, in date order: the balance grows by
``(1 + deemed_rate) ** (days since the previous flow / 365)``; ``japan_funding_share x invest``
is added; then the date's cash is split. Before recovery Japan receives ``1 - us_share_before``
of it, which reduces the balance; when that share would take the balance to zero or below, the
part of the cash needed to clear it is split at the "before" shares and the rest at the "after"
shares, and recovery happens on that date. After recovery Japan receives ``1 - us_share_after``
of all cash and the balance stays 0 (recovery happens once; see README).

The arithmetic lives in :mod:`screening.finance.kernel` (compiled with numba, imported only for
a list long enough to repay loading it) and in :mod:`screening.finance.loop` (plain Python: the
short lists' path and the oracle the tests hold the kernel to). :func:`compute` chooses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from screening.finance.flows import EPOCH_ORDINAL, FlowMatrix
from screening.finance.names import FINANCE_FIELDS


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
    """Every candidate's split, date by date, and the finance fields it gives.

    Attributes:
        flows: the flows split.
        fields: the five finance fields as arrays (NaN = missing; ``japan_made_whole_on`` as days
            since 1970, -1 missing).
        japan_receipts: what Japan receives on each date (candidates x dates; 0 in padding).
        balance: Japan's balance after each date's split (0 from recovery on).
    """

    flows: FlowMatrix
    fields: dict[str, np.ndarray]
    japan_receipts: np.ndarray
    balance: np.ndarray


#: Lists with fewer candidates with flows than this are computed by the plain loop
#: (:mod:`screening.finance.loop`), longer ones by the compiled kernel: loading the kernel costs about 0.5 s in a new process (numba's
#: import and its first call), the loop about 50 µs a candidate (benchmarks/finance.py). The two
#: agree bit for bit on the split (receipts, balance, made-whole date, multiple, US share) and
#: to pyxirr's precision on the two rates (tests/test_finance.py).
COMPILED_FROM = 8192


@dataclass
class Computed:
    """The finance fields of many candidates, and optionally each date's split.

    Attributes:
        fields: the five finance fields as arrays (NaN = missing; ``japan_made_whole_on`` as days
            since 1970, -1 missing).
        receipts, balance: what Japan receives on each date and its balance after the date's
            split (candidates x dates), when asked for; None otherwise.
    """

    fields: dict[str, np.ndarray]
    receipts: np.ndarray | None
    balance: np.ndarray | None


def compute(flows: FlowMatrix, terms: Terms, keep: bool = False) -> Computed:
    """The one call: the loop for a short list, the compiled kernel for a long one (see
    :data:`COMPILED_FROM`; candidates without flows do not count: they have nothing to compute)."""
    if int(np.count_nonzero(flows.count)) >= COMPILED_FROM:
        from screening.finance import kernel

        return kernel.compute(flows, terms, keep)
    return by_loop(flows, terms, keep)


def by_loop(flows: FlowMatrix, terms: Terms, keep: bool = False) -> Computed:
    """:func:`compute` by :func:`screening.finance.loop.waterfall_one`, one candidate at a time."""
    from screening.finance.loop import waterfall_one

    n, p = flows.cash.shape
    fields = {name: np.full(n, np.nan) for name in FINANCE_FIELDS}
    fields["japan_made_whole_on"] = np.full(n, -1, dtype=np.int64)
    receipts, balance = (np.zeros((n, p)), np.zeros((n, p))) if keep else (None, None)
    known = terms.known()
    columns = [x.tolist() for x in (terms.deemed_rate, terms.japan_funding_share, terms.us_share_before_recovery,
                                    terms.us_share_after_recovery)]
    for i in np.flatnonzero(flows.count).tolist():
        k = int(flows.count[i])
        series = list(zip(flows.dates(i), flows.invest[i, :k].tolist(), flows.cash[i, :k].tolist()))
        result = waterfall_one(series, *(column[i] for column in columns))
        fields["project_irr"][i] = np.nan if result.project_irr is None else result.project_irr
        if not known[i]:
            continue  # Japan's fields need every term
        for name in ("japan_irr", "japan_multiple", "us_share_of_cash"):
            value = getattr(result, name)
            fields[name][i] = np.nan if value is None else value
        if result.japan_made_whole_on is not None:
            fields["japan_made_whole_on"][i] = result.japan_made_whole_on.toordinal() - EPOCH_ORDINAL
        if receipts is not None and balance is not None:
            receipts[i, :k] = [step.japan for step in result.steps]
            balance[i, :k] = [step.balance for step in result.steps]
    return Computed(fields, receipts, balance)


def run_waterfall(flows: FlowMatrix, terms: Terms) -> Waterfall:
    """Split every candidate's cash, date by date, keeping each date's receipts and balance
    (for ``explain``'s table and the report's chart); the fields are :attr:`Waterfall.fields`."""
    done = compute(flows, terms, keep=True)
    assert done.receipts is not None and done.balance is not None
    return Waterfall(flows, done.fields, done.receipts, done.balance)


def fields_of(flows: FlowMatrix, terms: Terms) -> dict[str, np.ndarray]:
    """The five finance fields only (no per-date arrays kept: what a large list or a scenario's
    draws need), as arrays (see :attr:`Waterfall.fields`)."""
    return compute(flows, terms).fields


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
