"""XIRR (annual rate, actual/365) for many flow series at once.

A row whose nonzero flows change sign exactly once (money out, then money in, or the reverse)
has exactly one rate above -100% (Descartes' rule of signs, which holds for real exponents too);
those rows are solved together. Rows with two or more sign changes (where roots may be several),
and the rare row the iteration does not settle, are handed to pyxirr one by one, so every row
gets the answer pyxirr would give. No sign change, or no root: NaN (missing).

How the common rows are solved. Flip the sign so that the money out comes first; with ``P(u)``
the present value of the money in and ``N(u)`` that of the money out at a daily log-rate ``u``,
``g(u) = ln P(u) - ln N(u)`` is strictly decreasing (every inflow is later than every outflow)
and nearly straight, so Halley's method on it (first and second derivative from the same
exponentials) lands within rounding in two or three evaluations; the first step is taken from
``u = 0``, where the sums need no exponential at all. A bracket on ``u`` (from the sign of
``g``) turns any step that leaves it into a Newton step or a bisection. A row stops when the
step's cubic error bound is below 1e-12 in the annual log-rate. Arrays are dates x rows, so
every numpy operation runs along the rows with the long axis innermost; when every row has the
same dates, the sums weighted by 1, t and t^2 are one product with a 3 x dates matrix.

Why our own solver for the common rows: pyxirr has no batch call, and one call per row costs
about 3 µs of overhead each plus the conversion of its dates; the batch solver does 100,000 rows
x 31 flows in a small fraction of that and agrees with pyxirr to 1e-8 relative, pyxirr's own
precision (benchmarks/finance.py measures both, tests/test_finance.py checks the agreement).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyxirr

from screening.finance.workspace import Workspace

#: Bracket in x = ln(1 + r): r from -90% to +1,000%. A root outside goes to pyxirr, so the
#: answer (and whether there is one) is pyxirr's wherever rates are extreme and the problem
#: ill-conditioned; inside, the two agree to pyxirr's precision.
X_LO, X_HI = float(np.log(0.1)), float(np.log(11.0))
MAX_ITERATIONS = 60
#: A row stops when its error bound in x (the annual log-rate) is below TOLERANCE * (1 + |x|).
TOLERANCE = 1e-12
#: Columns solved together at most (more are taken a block at a time).
BLOCK = 16384
#: Compact the arrays to the unsettled rows once they are this share of the columns or fewer.
COMPACT_BELOW = 0.3
DAYS_PER_YEAR = 365.0
EPOCH = dt.date(1970, 1, 1)


def sign_changes(amounts: np.ndarray) -> np.ndarray:
    """Per row, how often the sign of the nonzero amounts changes in order: 0, 1, or 2 for two or more."""
    return _sign_pattern(np.ascontiguousarray(np.asarray(amounts, dtype=np.float64).T))[0]


def _sign_pattern(amounts: np.ndarray, ws: Workspace | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """For dates x rows ``amounts``: (sign changes 0/1/2, the first nonzero is money in, how many
    leading dates hold every outflow — a negative, or a positive where money in comes first).

    One change means every negative comes before every positive, or the reverse: the first and
    last date of each sign (as weighted maxima over the dates, no per-element bookkeeping) tell.
    """
    ws = ws or Workspace()
    p = amounts.shape[0]
    neg = np.less(amounts, 0.0, out=ws.array("neg", amounts.shape, np.bool_))
    pos = np.greater(amounts, 0.0, out=ws.array("pos", amounts.shape, np.bool_))
    dtype = np.int16 if p < 2**15 else np.int64
    mark = ws.array("mark", amounts.shape, dtype)
    ahead = np.arange(p, 0, -1, dtype=dtype)[:, None]  # p - j: the largest marks the first date
    behind = np.arange(1, p + 1, dtype=dtype)[:, None]  # j + 1: the largest marks the last date
    first_neg = p - np.multiply(neg, ahead, out=mark).max(axis=0, initial=0)
    first_pos = p - np.multiply(pos, ahead, out=mark).max(axis=0, initial=0)
    last_neg = np.multiply(neg, behind, out=mark).max(axis=0, initial=0) - 1
    last_pos = np.multiply(pos, behind, out=mark).max(axis=0, initial=0) - 1
    both = (first_neg < p) & (first_pos < p)
    one = both & ((last_neg < first_pos) | (last_pos < first_neg))
    flip = first_pos < first_neg
    last_outflow = np.where(flip, last_pos, last_neg)[one]
    k = int(last_outflow.max()) + 1 if last_outflow.size else 0
    return np.where(both, np.where(one, 1, 2), 0), flip, k


def xirr_one(days: np.ndarray, amounts: np.ndarray) -> float:
    """pyxirr's XIRR of one series (days since 1970-01-01); NaN for no sign change or no root."""
    keep = amounts != 0
    if not keep.any():
        return float("nan")
    dates = [EPOCH + dt.timedelta(days=int(d)) for d in days[keep]]
    try:
        r = pyxirr.xirr(dates, [float(a) for a in amounts[keep]], silent=True)
    except Exception:  # pyxirr raises for degenerate input; missing either way
        return float("nan")
    return float("nan") if r is None or not np.isfinite(r) else float(r)


def xirr_rows(days: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """XIRR of every row: ``days`` (int, days since 1970) and ``amounts``, both candidates x periods.

    Padding entries must have amount 0 (their dates are then irrelevant). Returns NaN where
    there is no sign change or no root. (Arrays laid out dates-major, i.e. Fortran-ordered
    candidates x periods, are used without a copy.)
    """
    return xirr_by_date(np.ascontiguousarray(np.asarray(days).T), np.ascontiguousarray(np.asarray(amounts).T))


def elapsed_days(days: np.ndarray, shared: bool | None = None) -> np.ndarray:
    """Days since each candidate's first date, as floats, for dates x candidates ``days``: one
    column (broadcast across candidates) when every candidate has the same dates (``shared``:
    whether they do, when the caller knows)."""
    if shared is None:
        shared = days.shape[1] > 0 and bool(np.all(days == days[:, :1]))
    if shared and days.shape[1]:
        return (days[:, :1] - days[0, 0]).astype(np.float64)
    return (days - days[0]).astype(np.float64)


def xirr_by_date(days: np.ndarray, amounts: np.ndarray, elapsed: np.ndarray | None = None,
                 ws: Workspace | None = None) -> np.ndarray:
    """:func:`xirr_rows` for arrays laid out dates x candidates (each date's row contiguous).

    Args:
        elapsed: :func:`elapsed_days` of ``days`` when the caller has it (several XIRRs over the same dates).
        ws: scratch arrays to write over (see :mod:`screening.finance.workspace`).
    """
    n = amounts.shape[1]
    out = np.full(n, np.nan)
    if n == 0:
        return out
    t = elapsed_days(days) if elapsed is None else elapsed
    ws = ws or Workspace()
    if n > BLOCK:  # a block of columns at a time: scratch arrays that stay in cache and are reused
        return np.concatenate([xirr_by_date(days[:, s:s + BLOCK], amounts[:, s:s + BLOCK],
                                            t if t.shape[1] == 1 else t[:, s:s + BLOCK], ws)
                               for s in range(0, n, BLOCK)])
    changes, flip, k = _sign_pattern(amounts, ws)
    simple = np.flatnonzero(changes == 1)
    unsettled: list[int] = np.flatnonzero(changes >= 2).tolist()
    if simple.size:
        if simple.size == n:
            rates, ok = _solve_single_change(t, amounts, flip, k, ws)
        else:
            rates, ok = _solve_single_change(t if t.shape[1] == 1 else np.take(t, simple, axis=1),
                                             np.take(amounts, simple, axis=1), flip[simple], k, ws)
        out[simple[ok]] = rates[ok]
        unsettled.extend(simple[~ok].tolist())
    for i in sorted(unsettled):
        out[i] = xirr_one(days[:, i], amounts[:, i])
    return out


def _solve_single_change(t: np.ndarray, amounts: np.ndarray, flip: np.ndarray, k: int,
                         ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """Columns with one sign change: (rates, settled inside the bracket), by safeguarded Halley on g.

    ``t``: days since each column's first date (dates x columns, or one column for all);
    ``k``: every outflow is within the first ``k`` dates.
    """
    p, m = amounts.shape
    a = amounts
    if flip.any():
        a = np.multiply(amounts, np.where(flip, -1.0, 1.0), out=ws.array("signed", amounts.shape))
    flows = _Flows(t, np.maximum(a, 0.0, out=ws.array("inflow", a.shape)), np.maximum(-a[:k], 0.0), ws)
    scratch = ws.array("exp", a.shape)
    moments = flows.sums(None, scratch)
    u = np.zeros(m)  # daily log-rate
    lo, hi = np.full(m, X_LO / DAYS_PER_YEAR), np.full(m, X_HI / DAYS_PER_YEAR)
    result = np.full(m, np.nan)
    done = np.zeros(m, dtype=bool)
    live = np.arange(m)  # original column of each current column
    open_ = np.ones(m, dtype=bool)  # current columns not yet settled
    cap = TOLERANCE / (10.0 * DAYS_PER_YEAR)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(MAX_ITERATIONS):
            p0, p1, p2, n0, n1, n2 = moments
            mp, mn = p1 / p0, n1 / n0
            g = np.log(p0 / n0)
            g1 = mn - mp  # d/du ln P = -p1/p0
            g2 = (p2 / p0 - mp * mp) - (n2 / n0 - mn * mn)
            lo = np.where(g > 0, u, lo)  # the root lies above u
            hi = np.where(g < 0, u, hi)
            step = -2.0 * g * g1 / (2.0 * g1 * g1 - g * g2)
            nu = u + step
            nu = np.where((nu > lo) & (nu < hi), nu, 0.5 * (lo + hi))
            # Halley's error after the step is about (g''/2g')^2 |step|^3 (x10 for safety)
            curve = step * (g2 / g1)
            settled = open_ & (curve * curve * np.abs(step) <= cap * (1.0 + np.abs(u) * DAYS_PER_YEAR))
            if settled.any():
                result[live[settled]] = np.clip(u + step, lo, hi)[settled]
                done[live[settled]] = True
                open_ &= ~settled
                left = np.flatnonzero(open_)
                if left.size == 0:
                    break
                if left.size <= COMPACT_BELOW * open_.size:
                    live, nu, lo, hi = live[left], nu[left], lo[left], hi[left]
                    open_ = np.ones(left.size, dtype=bool)
                    flows.take(left)
            u = nu
            moments = flows.sums(u, scratch[:, :len(u)])
    x = result * DAYS_PER_YEAR
    ok = done & np.isfinite(x) & (x > X_LO + 1e-9) & (x < X_HI - 1e-9)
    return np.expm1(x), ok


class _Flows:
    """The money in and out of the columns being solved, and their exponentially weighted sums."""

    def __init__(self, t: np.ndarray, inflow: np.ndarray, outflow: np.ndarray, ws: Workspace) -> None:
        self.t, self.k = t, outflow.shape[0]  # every outflow is within the first k dates
        if t.shape[1] == 1:
            # every column has the same dates: the sums weighted by 1, t and t^2 are one product,
            # and exp(-u t) is a running product over the dates when their gaps take few values
            self.powers: np.ndarray | None = np.stack([np.ones(t.shape[0]), t[:, 0], t[:, 0] * t[:, 0]])
            self.columns = [inflow, outflow]
            self.gaps, self.gap_of = np.unique(np.diff(t[:, 0]), return_inverse=True)
        else:
            self.powers = None
            inflow_t = np.multiply(inflow, t, out=ws.array("inflow_t", inflow.shape))
            inflow_tt = np.multiply(inflow_t, t, out=ws.array("inflow_tt", inflow.shape))
            outflow_t = outflow * t[:self.k]
            self.columns = [inflow, inflow_t, inflow_tt, outflow, outflow_t, outflow_t * t[:self.k]]

    def _discount(self, u: np.ndarray, e: np.ndarray) -> None:
        """``e = exp(-u t)``; with shared dates and at most 16 distinct gaps, one exponential per
        gap and a running product down the dates (agrees to a few units in the 15th digit)."""
        if self.powers is None or len(self.gaps) > 16 or self.t[0, 0] != 0:
            np.exp(np.multiply(self.t, -u, out=e), out=e)
            return
        factors = [np.exp(u * -gap) for gap in self.gaps]
        e[0] = 1.0
        for j, which in enumerate(self.gap_of.tolist(), start=1):
            np.multiply(e[j - 1], factors[which], out=e[j])

    def take(self, columns: np.ndarray) -> None:
        """Keep only these columns."""
        self.columns = [np.take(x, columns, axis=1) for x in self.columns]
        if self.t.shape[1] > 1:
            self.t = np.take(self.t, columns, axis=1)

    def sums(self, u: np.ndarray | None, e: np.ndarray) -> list[np.ndarray]:
        """P, -P', P'' and N, -N', N'' at the daily log-rate ``u`` (None: 0, no exponential);
        ``e``: scratch of the columns' shape."""
        k = self.k
        if self.powers is not None:
            inflow, outflow = self.columns
            if u is None:
                weighted_in, weighted_out = inflow, outflow
            else:
                self._discount(u, e)
                weighted_out = outflow * e[:k]
                weighted_in = np.multiply(e, inflow, out=e)
            return [*np.einsum("jn,kj->kn", weighted_in, self.powers),
                    *np.einsum("jn,kj->kn", weighted_out, self.powers[:, :k])]
        if u is None:
            return [x.sum(axis=0) for x in self.columns]
        self._discount(u, e)
        return [np.einsum("jn,jn->n", x, e) for x in self.columns[:3]] + \
               [np.einsum("jn,jn->n", x, e[:k]) for x in self.columns[3:]]
