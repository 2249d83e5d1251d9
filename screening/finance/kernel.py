"""The waterfall and both XIRRs for many candidates, compiled (numba).

The arithmetic of CONTRACT.md §9, the same as :mod:`screening.finance.loop` (the plain-Python
oracle the tests hold this to), one candidate at a time over candidates x dates arrays (each
candidate's dates contiguous):

- the split runs with the loop's operations in the loop's order (growth
  ``(1 + rate) ** (days / 365)``, the investment, the split), so what Japan and the US receive,
  the balance and the date Japan is made whole are the loop's to the last bit;
- the project's and Japan's XIRR are solved together, in one pass over the dates per step, so
  the processor overlaps their chains of dependent operations: a safeguarded Halley iteration on
  ``g(u) = ln P(u) - ln N(u)`` (``P``, ``N``: present values of the money in and out at the
  daily log-rate ``u``), strictly decreasing when the flows change sign once (every outflow
  before every inflow, after flipping the sign if money comes in first), so it has one root, and
  the iteration lands on it in two or three evaluations from ``u = 0``. The discount factors are
  a running product down the dates with one exponential per distinct gap between dates (yearly
  flows have two: 365 and 366 days); a row with more than :data:`GAP_SLOTS` distinct gaps takes
  one exponential per date. A row stops when the step's cubic error bound is below 1e-12 in the
  annual log-rate.

Rows whose flows change sign more than once (several roots are possible) and rows the iteration
does not settle inside the bracket (-90% ... +1,000%) get pyxirr's answer, one call each, so
every rate is the one pyxirr gives to its own precision (1e-8 relative). No sign change: no rate
(missing).

Why compiled: the same iteration as whole-array numpy passes (this module's predecessor) made
some thirty passes over candidates x dates arrays in memory and reached 35-41x the plain loop;
per candidate, in registers and cache, it is 57-67x on one thread (benchmarks/finance.py;
README). Contiguous ranges of candidates go to threads (``nogil``), which changes no result.
The functions compile on first use and are cached next to this file (``cache=True``): a new
machine spends a few seconds once; a new process still spends about 0.5 s importing numba and
loading the code, which is why short lists take the loop (see
:data:`screening.finance.waterfall.COMPILED_FROM`).
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from screening.finance.flows import FlowMatrix
    from screening.finance.waterfall import Computed, Terms

#: Status of a row's XIRR: solved here, no rate (no sign change, no money), or left to pyxirr.
SOLVED, NO_RATE, PYXIRR = 0, 1, 2
#: Distinct gaps between dates whose discount factor is computed once per evaluation.
GAP_SLOTS = 8
#: Bracket in x = ln(1 + r): r from -90% to +1,000%; a root outside goes to pyxirr.
X_LO, X_HI = float(np.log(0.1)), float(np.log(11.0))
MAX_ITERATIONS = 60
#: A row stops when its error bound in x (the annual log-rate) is below TOLERANCE * (1 + |x|).
TOLERANCE = 1e-12
DAYS_PER_YEAR = 365.0
#: Gaps (days) whose growth factor the waterfall remembers per rate.
_GROWTH_CACHE = 400

_U_LO, _U_HI = X_LO / DAYS_PER_YEAR, X_HI / DAYS_PER_YEAR
_CAP = TOLERANCE / (10.0 * DAYS_PER_YEAR)
# The XIRR may reorder sums (reassoc) and fuse multiply-adds; it must not assume away NaN or
# infinity (its checks read them). The waterfall gets no such licence: it must equal the loop.
_XIRR_MATH = {"reassoc", "contract", "arcp", "nsz"}


@njit(cache=True, nogil=True, error_model="numpy")
def _split(T, V, M, i, count, rate, share, us_before, us_after, receipts, funded, balance_out, us,
           growth_cache):  # pragma: no cover - compiled
    """Candidate ``i``'s waterfall (days since its first date ``T[0]``, investment ``V[i]``, cash ``M[i]``) into
    ``receipts``, ``funded``, ``balance_out`` (Japan's balance after each date's split) and ``us``
    (what the US receives);
    returns the index of the date Japan is made whole, -1 if none. Same operations, in the same
    order, as :func:`screening.finance.loop.waterfall_one`. ``growth_cache``: growth factor by
    gap in days for the rate in slot 0."""
    balance = 0.0
    made = -1
    keep_before, keep_after = 1.0 - us_before, 1.0 - us_after
    for j in range(count):
        if j > 0 and made < 0:
            gap = int(T[0, j] - T[0, j - 1])
            if 0 < gap < _GROWTH_CACHE and growth_cache[0] == rate and growth_cache[gap] == growth_cache[gap]:
                growth = growth_cache[gap]
            else:
                growth = (1.0 + rate) ** (gap / 365.0)
                if 0 < gap < _GROWTH_CACHE:
                    if growth_cache[0] != rate:
                        growth_cache[:] = np.nan
                        growth_cache[0] = rate
                    growth_cache[gap] = growth
            balance = balance * growth
        f = share * V[i, j]
        funded[j] = f
        cash = M[i, j]
        if made >= 0:
            receipts[j] = keep_after * cash
            us[j] = us_after * cash
            balance_out[j] = 0.0
            continue
        balance = balance + f
        if cash > 0.0:
            part = keep_before * cash
            if balance - part <= 0.0:
                # the part of the cash that clears the balance is split at the "before" shares,
                # the rest at the "after" shares
                needed = min(balance / keep_before if balance > 0.0 else 0.0, cash)
                rest = max(cash - needed, 0.0)
                receipts[j] = balance + keep_after * rest
                us[j] = us_before * needed + us_after * rest
                balance = 0.0
                made = j
            else:
                receipts[j] = part
                us[j] = us_before * cash
                balance = balance - part
        else:
            receipts[j] = us[j] = 0.0
        balance_out[j] = balance
    return made


@njit(cache=True, nogil=True, error_model="numpy")
def _pattern(A, c, count):  # pragma: no cover - compiled
    """The sign changes of ``a``'s nonzero amounts (0, 1, or 2 for two or more), whether money
    comes in first, and the first date of the second sign."""
    first = last = changes = split = 0
    for j in range(count):
        v = A[c, j]
        s = 1 if v > 0.0 else (-1 if v < 0.0 else 0)
        if s != 0:
            if first == 0:
                first = s
            elif s != last:
                changes += 1
                split = j
            last = s
    return min(changes, 2), first > 0, split


@njit(cache=True, nogil=True, error_model="numpy")
def _gap_slots(T, c, count, slot, gaps):  # pragma: no cover - compiled
    """Per date, the index in ``gaps`` of its gap from the date before (-1 once the slots are
    full: that date gets its own exponential); returns how many slots are used."""
    used = 0
    slot[0] = -2  # the first date: discount 1
    for j in range(1, count):
        gap = T[c, j] - T[c, j - 1]
        k = 0
        while k < used and gaps[k] != gap:
            k += 1
        if k == used:
            if used == gaps.shape[0]:
                slot[j] = -1
                continue
            gaps[k] = gap
            used += 1
        slot[j] = k
    return used


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_XIRR_MATH)
def _halley(p0, p1, p2, p3, n0, n1, n2, n3, u, lo, hi):  # pragma: no cover - compiled
    """One safeguarded Halley step on g = ln P - ln N from the moments at ``u``:
    (next u, lo, hi, settled, the settled rate or NaN when the root is at the bracket's edge)."""
    mp, mn = p1 / p0, n1 / n0
    vp, vn = p2 / p0 - mp * mp, n2 / n0 - mn * mn
    g = np.log(p0 / n0)
    g1 = mn - mp  # d/du ln P = -(mean date of P)
    g2 = vp - vn  # d2/du2 ln P = the variance of P's dates
    # d3/du3 ln P = -(the third central moment of P's dates)
    g3 = (n3 / n0 - 3.0 * mn * vn - mn * mn * mn) - (p3 / p0 - 3.0 * mp * vp - mp * mp * mp)
    if g > 0:
        lo = u  # the root lies above u
    elif g < 0:
        hi = u
    step = -2.0 * g * g1 / (2.0 * g1 * g1 - g * g2)
    nu = u + step
    if not (nu > lo and nu < hi):
        nu = 0.5 * (lo + hi)
    # Halley's error after the step is |g2^2/(4 g1^2) - g3/(6 g1)| |step|^3 (g1, g2, g3: the
    # first three derivatives); four times that must be below the tolerance. Both terms count:
    # where g2 happens to vanish, the first alone would pass a first, Newton-sized step.
    ratio = g2 / g1
    if abs(ratio * ratio - (2.0 / 3.0) * (g3 / g1)) * abs(step) ** 3 <= _CAP * (1.0 + abs(u) * DAYS_PER_YEAR):
        x = min(max(u + step, lo), hi) * DAYS_PER_YEAR
        if np.isfinite(x) and x > X_LO + 1e-9 and x < X_HI - 1e-9:
            return nu, lo, hi, True, np.expm1(x)
        return nu, lo, hi, True, np.nan
    return nu, lo, hi, False, np.nan


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_XIRR_MATH, inline="always")
def _add(w, t, outflow, p0, p1, p2, p3, n0, n1, n2, n3):  # pragma: no cover - compiled
    """A date's weighted amount ``w`` at ``t`` added to the moments (weights 1, t, t^2, t^3) of the
    money in (p) or, for an ``outflow`` date, out (n, sign flipped)."""
    if outflow:
        return p0, p1, p2, p3, n0 - w, n1 - w * t, n2 - w * t * t, n3 - w * t * t * t
    return p0 + w, p1 + w * t, p2 + w * t * t, p3 + w * t * t * t, n0, n1, n2, n3


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_XIRR_MATH)
def _xirr_pair(T, A, B, c, count, slot, gaps, fa, fb, used):  # pragma: no cover - compiled
    """XIRR of row ``c`` of ``A`` and of ``B``, two flow series on the same dates (``T``: days
    since the first; first ``count`` entries), solved together: (rate a, status a, rate b,
    status b). The two iterations share one loop over the dates, so the processor overlaps their
    chains of dependent operations.
    ``slot``, ``gaps``, ``fa``, ``fb``: scratch (dates, GAP_SLOTS, GAP_SLOTS, GAP_SLOTS);
    ``used``: the gap slots already filled for these dates, or -1 to fill them here."""
    ra = rb = np.nan
    ca, in_a, sa = _pattern(A, c, count)
    cb, in_b, sb = _pattern(B, c, count)
    status_a = NO_RATE if ca == 0 else (PYXIRR if ca == 2 else SOLVED)
    status_b = NO_RATE if cb == 0 else (PYXIRR if cb == 2 else SOLVED)
    live_a, live_b = status_a == SOLVED, status_b == SOLVED
    if not (live_a or live_b):
        return ra, status_a, rb, status_b
    if used < 0:
        used = _gap_slots(T, c, count, slot, gaps)
    # money out first: flip the sign of a series whose money comes in first; a settled series weighs 0
    flip_a = (-1.0 if in_a else 1.0) if live_a else 0.0
    flip_b = (-1.0 if in_b else 1.0) if live_b else 0.0
    ua = ub = 0.0
    lo_a = lo_b = _U_LO
    hi_a = hi_b = _U_HI
    for iteration in range(MAX_ITERATIONS + 1):
        if iteration:
            for g in range(used):
                fa[g] = np.exp(-ua * gaps[g]) if live_a else 1.0
                fb[g] = np.exp(-ub * gaps[g]) if live_b else 1.0
        else:
            fa[:used] = 1.0
            fb[:used] = 1.0
        ea = eb = 1.0
        pa0 = pa1 = pa2 = pa3 = na0 = na1 = na2 = na3 = 0.0
        pb0 = pb1 = pb2 = pb3 = nb0 = nb1 = nb2 = nb3 = 0.0
        for j in range(count):
            k = slot[j]
            if k >= 0:
                ea *= fa[k]
                eb *= fb[k]
            elif k == -1:
                ea = np.exp(-ua * T[c, j]) if iteration else 1.0
                eb = np.exp(-ub * T[c, j]) if iteration else 1.0
            tj = T[c, j]
            wa = A[c, j] * flip_a * ea
            wb = B[c, j] * flip_b * eb
            pa0, pa1, pa2, pa3, na0, na1, na2, na3 = _add(wa, tj, j < sa, pa0, pa1, pa2, pa3, na0, na1, na2, na3)
            pb0, pb1, pb2, pb3, nb0, nb1, nb2, nb3 = _add(wb, tj, j < sb, pb0, pb1, pb2, pb3, nb0, nb1, nb2, nb3)
        if live_a:
            ua, lo_a, hi_a, settled, rate = _halley(pa0, pa1, pa2, pa3, na0, na1, na2, na3, ua, lo_a, hi_a)
            if settled:
                live_a, flip_a, ra = False, 0.0, rate
                status_a = SOLVED if rate == rate else PYXIRR
        if live_b:
            ub, lo_b, hi_b, settled, rate = _halley(pb0, pb1, pb2, pb3, nb0, nb1, nb2, nb3, ub, lo_b, hi_b)
            if settled:
                live_b, flip_b, rb = False, 0.0, rate
                status_b = SOLVED if rate == rate else PYXIRR
        if not (live_a or live_b):
            break
    if live_a:
        status_a = PYXIRR
    if live_b:
        status_b = PYXIRR
    return ra, status_a, rb, status_b


@njit(cache=True, nogil=True, error_model="numpy")
def _fields(days, invest, cash, count, rate, share, before, after, out, made_days, status,
            keep, receipts_out, balance_out, slot, gaps, fa, fb):  # pragma: no cover - compiled
    """The finance fields of every candidate (candidates x dates inputs, each candidate's row
    contiguous) into ``out`` (columns: project_irr, japan_irr, japan_multiple, us_share_of_cash),
    ``made_days`` and ``status`` (per candidate: the project's and Japan's XIRR status).
    ``keep``: also write each date's receipts and balance into ``receipts_out`` and
    ``balance_out`` (candidates x dates)."""
    n, p = days.shape
    T = np.zeros((1, p))  # days since the candidate's first date
    P = np.zeros((1, p))  # the project's net flow
    J = np.zeros((1, p))  # Japan's net flow
    R = np.zeros(p)
    F = np.zeros(p)
    B = np.zeros(p)
    U = np.zeros(p)
    growth_cache = np.full(_GROWTH_CACHE, np.nan)
    before_T = np.zeros(p)  # the dates (as days since the first) whose gap slots are filled
    previous = -1  # their count (-1: none yet)
    used = 0
    for i in range(n):
        k = count[i]
        out[i, 0] = out[i, 1] = out[i, 2] = out[i, 3] = np.nan
        made_days[i] = -1
        status[i, 0] = status[i, 1] = NO_RATE
        if k == 0:
            continue
        for j in range(k):
            T[0, j] = float(days[i, j] - days[i, 0])
            P[0, j] = cash[i, j] - invest[i, j]
            J[0, j] = 0.0
        r, s, b, f = rate[i], share[i], before[i], after[i]
        known = np.isfinite(r) and np.isfinite(s) and np.isfinite(b) and np.isfinite(f)
        made = -1
        if known:
            made = _split(T, invest, cash, i, k, r, s, b, f, R, F, B, U, growth_cache)
            for j in range(k):
                J[0, j] = R[j] - F[j]
        # the gap slots depend only on the dates: a candidate on the previous one's dates reuses them
        same = k == previous
        for j in range(k):
            if not same:
                break
            same = T[0, j] == before_T[j]
        if not same:
            used = _gap_slots(T, 0, k, slot, gaps)
            previous = k
            for j in range(k):
                before_T[j] = T[0, j]
        out[i, 0], status[i, 0], out[i, 1], status[i, 1] = _xirr_pair(T, P, J, 0, k, slot, gaps, fa, fb, used)
        if not known:
            out[i, 1] = np.nan
            status[i, 1] = NO_RATE
            continue
        # sums over the dates in date order, as the loop adds them
        funded_total = received = us_total = cash_total = 0.0
        for j in range(k):
            funded_total += F[j]
            received += R[j]
            us_total += U[j]
            cash_total += cash[i, j]
        if funded_total > 0.0:
            out[i, 2] = received / funded_total
        if cash_total > 0.0:
            out[i, 3] = us_total / cash_total
        if made >= 0:
            made_days[i] = days[i, made]
        if keep:
            for j in range(k):
                receipts_out[i, j] = R[j]
                balance_out[i, j] = B[j]


@njit(cache=True, nogil=True, error_model="numpy")
def _xirr_rows(days, amounts, count, rates, status, slot, gaps, fa, fb):  # pragma: no cover - compiled
    """XIRR of every row of ``amounts`` (candidates x dates) at ``days``, one at a time."""
    n, p = days.shape
    T = np.zeros((1, p))
    A = np.zeros((1, p))
    Z = np.zeros((1, p))
    for i in range(n):
        k = count[i]
        for j in range(k):
            T[0, j] = float(days[i, j] - days[i, 0])
            A[0, j] = amounts[i, j]
        rates[i], status[i], _, _ = _xirr_pair(T, A, Z, 0, k, slot, gaps, fa, fb, -1)


@njit(cache=True, nogil=True, error_model="numpy")
def _japan_flows(days, invest, cash, i, count, rate, share, before, after):  # pragma: no cover - compiled
    """Candidate ``i``'s net flows to Japan (receipts minus its funding) on its first ``count`` dates."""
    T = np.zeros((1, count))
    for j in range(count):
        T[0, j] = float(days[i, j] - days[i, 0])
    R, F, B, U = np.zeros(count), np.zeros(count), np.zeros(count), np.zeros(count)
    _split(T, invest, cash, i, count, rate, share, before, after, R, F, B, U,
           np.full(_GROWTH_CACHE, np.nan))
    return R - F


EPOCH = dt.date(1970, 1, 1)
#: Candidates per thread at least: below this, one thread (starting threads costs more than it saves).
PER_THREAD = 8192


def xirr_one(days: np.ndarray, amounts: np.ndarray) -> float:
    """pyxirr's XIRR of one series (days since 1970-01-01), as the plain loop takes it
    (:func:`screening.finance.loop.xirr`); NaN for no sign change or no root."""
    from screening.finance.loop import xirr

    rate = xirr([EPOCH + dt.timedelta(days=int(d)) for d in days.tolist()], amounts.tolist())
    return float("nan") if rate is None else rate


def _scratch(p: int) -> tuple[np.ndarray, ...]:
    """What the XIRR iteration writes over: gap slot per date, the gaps, two rows of factors."""
    return np.zeros(max(p, 1), dtype=np.int64), np.zeros(GAP_SLOTS), np.ones(GAP_SLOTS), np.ones(GAP_SLOTS)


def _rows(x: np.ndarray, dtype: type) -> np.ndarray:
    """``x`` as a C-ordered array of ``dtype`` (a copy only when it is not one already)."""
    return np.ascontiguousarray(x, dtype=dtype)


def xirr_rows(days: np.ndarray, amounts: np.ndarray, count: np.ndarray | None = None) -> np.ndarray:
    """XIRR of every row of ``amounts`` (candidates x dates; ``days``: days since 1970, same
    shape; ``count``: how many leading dates each row uses, all by default; padding entries must
    have amount 0). NaN where there is no sign change or no root."""
    days, amounts = _rows(days, np.int64), _rows(amounts, np.float64)
    n, p = amounts.shape
    count = np.full(n, p, dtype=np.int64) if count is None else _rows(count, np.int64)
    rates, status = np.full(n, np.nan), np.full(n, NO_RATE, dtype=np.int8)
    if n and p:
        _xirr_rows(days, amounts, count, rates, status, *_scratch(p))
    for i in np.flatnonzero(status == PYXIRR).tolist():
        k = int(count[i])
        rates[i] = xirr_one(days[i, :k], amounts[i, :k])
    return rates


def sign_changes(amounts: np.ndarray) -> np.ndarray:
    """Per row of ``amounts`` (candidates x dates), how often the sign of the nonzero amounts
    changes in order: 0, 1, or 2 for two or more."""
    a = _rows(amounts, np.float64)
    return np.array([_pattern(a, c, a.shape[1])[0] for c in range(a.shape[0])], dtype=np.int64)


def compute(flows: FlowMatrix, terms: Terms, keep: bool = False, threads: int | None = None) -> Computed:
    """The five finance fields of every candidate, and with ``keep`` Japan's receipts and
    balance on each date.

    ``threads``: how many threads share the candidates (contiguous ranges; each candidate's
    result is the same whichever thread computes it); default: the machine's cores, at least
    :data:`PER_THREAD` candidates each.
    """
    days, invest, cash = _rows(flows.days, np.int64), _rows(flows.invest, np.float64), _rows(flows.cash, np.float64)
    n, p = cash.shape
    count = _rows(flows.count, np.int64)
    rate, share, before, after = (_rows(x, np.float64) for x in
                                  (terms.deemed_rate, terms.japan_funding_share, terms.us_share_before_recovery,
                                   terms.us_share_after_recovery))
    out = np.full((n, 4), np.nan)
    made = np.full(n, -1, dtype=np.int64)
    status = np.full((n, 2), NO_RATE, dtype=np.int8)
    receipts = np.zeros((n, p) if keep else (1, 1))
    balance = np.zeros((n, p) if keep else (1, 1))

    def part(lo: int, hi: int) -> None:
        _fields(days[lo:hi], invest[lo:hi], cash[lo:hi], count[lo:hi], rate[lo:hi], share[lo:hi], before[lo:hi],
                after[lo:hi], out[lo:hi], made[lo:hi], status[lo:hi], keep,
                receipts[lo:hi] if keep else receipts, balance[lo:hi] if keep else balance, *_scratch(p))

    if n and p:
        workers = max(1, min(threads or os.cpu_count() or 1, n // PER_THREAD))
        if workers == 1:
            part(0, n)
        else:
            from concurrent.futures import ThreadPoolExecutor

            bounds = np.linspace(0, n, workers + 1).astype(int).tolist()
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(part, bounds[:-1], bounds[1:]))
    for i in np.flatnonzero(status[:, 0] == PYXIRR).tolist():
        k = int(count[i])
        out[i, 0] = xirr_one(days[i, :k], cash[i, :k] - invest[i, :k])
    for i in np.flatnonzero(status[:, 1] == PYXIRR).tolist():
        k = int(count[i])
        out[i, 1] = xirr_one(days[i, :k], _japan_flows(days, invest, cash, i, k, rate[i], share[i], before[i],
                                                        after[i]))
    from screening.finance.waterfall import Computed

    fields = {"project_irr": out[:, 0].copy(), "japan_irr": out[:, 1].copy(), "japan_multiple": out[:, 2].copy(),
              "japan_made_whole_on": made, "us_share_of_cash": out[:, 3].copy()}
    return Computed(fields, receipts if keep else None, balance if keep else None)


@njit(cache=True, nogil=True, error_model="numpy")
def growth_powers(rates, width):  # pragma: no cover - compiled
    """``(1 + rate) ** (k - 1)`` for k = 0 ... width-1, per rate: libm's pow with a float
    exponent, which is what Python's ``float ** int`` computes (numpy's power may differ in the
    last bit), for profiles with too many distinct growth rates to do in Python."""
    out = np.empty((rates.shape[0], width))
    for r in range(rates.shape[0]):
        base = 1.0 + rates[r]
        out[r, 0] = 1.0  # the investment date: no cash, no factor
        for k in range(1, width):
            out[r, k] = base ** float(k - 1)
    return out
