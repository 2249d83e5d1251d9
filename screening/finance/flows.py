"""Cash flows per candidate (CONTRACT.md §9): a ``--cashflows`` file, or the profile fields.

A file holds ``candidate_id, date, invest, cash`` (CSV / XLSX / JSON Lines / Parquet), read with
the candidate-list machinery and held to the same rules: every problem named by file, row and
column, all reported together. The profile fields ``capex, annual_cash, cash_growth,
life_years, start_on`` give ``capex`` on ``start_on`` and ``annual_cash x (1 + cash_growth)^(k-1)``
on each anniversary k = 1 ... ``life_years``. Flows become a :class:`FlowMatrix`: candidates x
dates arrays, padded with zero flows on the last date (which change nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import sys
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from screening.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from screening.pack.model import FieldSpec

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
COLUMNS = ("candidate_id", "date", "invest", "cash")
#: Longest profile life accepted (years); longer is an input error, not an array of that size.
MAX_LIFE_YEARS = 200
#: Growth factors computed in Python at most (distinct rates x dates); more go to the compiled
#: :func:`screening.finance.kernel.growth_powers`, which gives the same bits.
PYTHON_POWERS = 200_000
_LOG_MAX = math.log(sys.float_info.max)

Flow = tuple[dt.date, float, float]  # (date, invest, cash)


def _ordinal(date: dt.date) -> int:
    return date.toordinal() - EPOCH_ORDINAL


@dataclass
class FlowMatrix:
    """Flows of n candidates on up to p dates each.

    Attributes:
        days: int64, n x p, days since 1970-01-01; padding repeats the last real date.
        invest, cash: float64, n x p; 0 in padding.
        count: per candidate, how many real dates it has (0 = no flows: finance missing).

    The matrices built here are C-ordered: a candidate's dates are contiguous, the order the
    compiled waterfall (:mod:`screening.finance.kernel`) reads them in, and the order long-form
    flows (candidate, then date) arrive in, so the common case needs no copy at all.
    """

    days: np.ndarray
    invest: np.ndarray
    cash: np.ndarray
    count: np.ndarray

    @classmethod
    def from_lists(cls, series: Sequence[Sequence[Flow]]) -> "FlowMatrix":
        """From per-candidate lists of (date, invest, cash), each sorted by date with unique dates."""
        n = len(series)
        count = np.fromiter(map(len, series), dtype=np.int64, count=n)
        flat = list(chain.from_iterable(series))
        days = np.fromiter(map(_ordinal, map(itemgetter(0), flat)), dtype=np.int64, count=len(flat))
        invest = np.fromiter(map(itemgetter(1), flat), dtype=np.float64, count=len(flat))
        cash = np.fromiter(map(itemgetter(2), flat), dtype=np.float64, count=len(flat))
        return cls.from_columns(np.repeat(np.arange(n), count), days, invest, cash, n)

    @classmethod
    def from_columns(cls, candidate: np.ndarray, days: np.ndarray, invest: np.ndarray, cash: np.ndarray,
                     n: int) -> "FlowMatrix":
        """From long-form columns (one entry per candidate and date; ``candidate`` indexes 0 ... n-1,
        ``days`` counts days since 1970), with no loop over candidates: entries are put in
        candidate then date order (already so for flows read in that order) and scattered into
        the candidates x dates arrays. A candidate's dates must be unique."""
        candidate, days = np.asarray(candidate, dtype=np.int64), np.asarray(days, dtype=np.int64)
        invest, cash = np.asarray(invest, dtype=np.float64), np.asarray(cash, dtype=np.float64)
        square = cls._square(candidate, days, invest, cash, n)
        if square is not None:
            return square
        if len(days) > 1:
            span = int(days.max()) - int(days.min()) + 1
            key = candidate * span + (days - days.min())
            if not bool(np.all(key[1:] > key[:-1])):
                order = np.argsort(key, kind="stable")
                candidate, days, invest, cash = candidate[order], days[order], invest[order], cash[order]
        count = np.bincount(candidate, minlength=n).astype(np.int64)
        p = max(int(count.max()) if n else 0, 1)
        starts = np.cumsum(count) - count
        at = candidate * p + (np.arange(len(candidate)) - starts[candidate])  # flat index in candidates x dates
        filled = count > 0
        last = np.zeros(n, dtype=np.int64)
        last[filled] = days[starts[filled] + count[filled] - 1]
        day_m = np.empty((n, p), dtype=np.int64)
        day_m[:] = last[:, None]  # padding repeats the last real date
        invest_m, cash_m = np.zeros((n, p)), np.zeros((n, p))
        for matrix, values in ((day_m, days), (invest_m, invest), (cash_m, cash)):
            matrix.reshape(-1)[at] = values
        return cls(day_m, invest_m, cash_m, count)

    @classmethod
    def _square(cls, candidate: np.ndarray, days: np.ndarray, invest: np.ndarray, cash: np.ndarray,
                n: int) -> "FlowMatrix | None":
        """The common case without sorting or scattering: every candidate has the same number of
        dates, in candidate then date order (checked with boolean arrays only). None otherwise."""
        if not n or len(candidate) % n or not len(candidate):
            return None
        p = len(candidate) // n
        grid = candidate.reshape(n, p)
        if not bool((grid == np.arange(n)[:, None]).all()):
            return None
        dates = days.reshape(n, p)
        if p > 1 and not bool((dates[:, 1:] > dates[:, :-1]).all()):
            return None
        day_m, invest_m, cash_m = (np.ascontiguousarray(x.reshape(n, p)) for x in (days, invest, cash))
        return cls(day_m, invest_m, cash_m, np.full(n, p, dtype=np.int64))

    def take(self, rows: slice | np.ndarray) -> "FlowMatrix":
        """The flows of some candidates (a slice is a view: rows stay contiguous)."""
        return FlowMatrix(self.days[rows], self.invest[rows], self.cash[rows], self.count[rows])

    def padded(self, width: int) -> "FlowMatrix":
        """The same flows on ``width`` dates (more zero flows on the last date)."""
        n, p = self.days.shape
        if p >= width:
            return self
        extra = width - p
        return FlowMatrix(np.concatenate([self.days, np.repeat(self.days[:, -1:], extra, axis=1)], axis=1),
                          np.pad(self.invest, ((0, 0), (0, extra))), np.pad(self.cash, ((0, 0), (0, extra))),
                          self.count)

    def choose(self, mine: np.ndarray, other: "FlowMatrix") -> "FlowMatrix":
        """Row by row: these flows where ``mine``, else ``other``'s (both padded to one width)."""
        width = max(self.days.shape[1], other.days.shape[1])
        a, b = self.padded(width), other.padded(width)
        pick = mine[:, None]
        return FlowMatrix(np.where(pick, a.days, b.days), np.where(pick, a.invest, b.invest),
                          np.where(pick, a.cash, b.cash), np.where(mine, a.count, b.count))

    def dates(self, i: int) -> list[dt.date]:
        return [dt.date.fromordinal(int(d) + EPOCH_ORDINAL) for d in self.days[i, :self.count[i]]]


def anniversary(start: dt.date, years: int) -> dt.date:
    """``start`` moved on by whole years; 29 February becomes 28 February in other years."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def profile_flows(capex: object, annual_cash: object, cash_growth: object, life_years: object,
                  start_on: object) -> list[Flow] | None:
    """The flows a profile describes, or None when an input it needs is missing."""
    if capex is None or annual_cash is None or life_years is None or start_on is None:
        return None
    growth = 0.0 if cash_growth is None else float(cash_growth)  # type: ignore[arg-type]
    years = int(life_years)  # type: ignore[call-overload]
    flows: list[Flow] = [(start_on, float(capex), 0.0)]  # type: ignore[list-item, arg-type]
    flows += [(anniversary(start_on, k), 0.0, float(annual_cash) * (1.0 + growth) ** (k - 1))  # type: ignore[arg-type]
              for k in range(1, years + 1)]
    return flows


def _power(base: float, exponent: int) -> float:
    """``base ** exponent`` as Python computes it (libm's pow), infinity where that overflows
    (as the compiled growth_powers gives it) instead of an OverflowError."""
    try:
        return base ** exponent
    except OverflowError:
        return math.inf if base > 0 or exponent % 2 == 0 else -math.inf


@functools.lru_cache(maxsize=4096)
def _anniversaries(start: int, width: int) -> tuple[int, ...]:
    """Days since 1970 of ``start`` (days since 1970) and its next ``width - 1`` anniversaries
    (remembered: scenario draws ask for the same starts chunk after chunk)."""
    first = dt.date.fromordinal(start + EPOCH_ORDINAL)
    return tuple(_ordinal(anniversary(first, k)) for k in range(width))


def profile_matrix(capex: np.ndarray, annual_cash: np.ndarray, cash_growth: np.ndarray, years: np.ndarray,
                   start_on: np.ndarray, ok: np.ndarray) -> FlowMatrix:
    """:func:`profile_flows` for many candidates at once, as a :class:`FlowMatrix`, with the same
    values to the last bit: each growth factor is ``(1 + g) ** (k - 1)`` by libm's pow, as Python
    computes it (once per distinct growth rate; numpy's power can differ in the last bit), each
    date :func:`anniversary`'s (once per distinct start).

    Args:
        capex, annual_cash, cash_growth: floats per candidate (a missing growth given as 0).
        years: whole years of cash per candidate (``life_years``, already made an integer).
        start_on: days since 1970 of the investment.
        ok: the candidates whose profile is complete; the others get no flows (count 0).
    """
    n = len(ok)
    years = np.where(ok, np.clip(years, 0, MAX_LIFE_YEARS), 0).astype(np.int64)
    width = int(years.max()) + 1 if n else 1
    days = np.zeros((n, width), dtype=np.int64)
    factors = np.ones((n, width))
    if ok.any():
        starts, at_start = np.unique(start_on[ok].astype(np.int64), return_inverse=True)
        table = np.array([_anniversaries(s, width) for s in starts.tolist()], dtype=np.int64)
        days[ok] = table[at_start.reshape(-1)]
        rates, at_rate = np.unique(cash_growth[ok].astype(np.float64), return_inverse=True)
        if len(rates) * width <= PYTHON_POWERS:
            powers = np.array([[_power(1.0 + g, k - 1) if k else 1.0 for k in range(width)] for g in rates.tolist()])
        else:
            from screening.finance.kernel import growth_powers

            powers = growth_powers(rates, width)
        factors[ok] = powers[at_rate.reshape(-1)]
    k = np.arange(width)[None, :]
    real = k <= years[:, None]
    days = np.where(real, days, days[np.arange(n), years][:, None])  # padding repeats the last date
    with np.errstate(over="ignore", invalid="ignore"):
        cash = np.where(ok[:, None] & real & (k >= 1), annual_cash[:, None] * factors, 0.0)
    invest = np.zeros((n, width))
    invest[:, 0] = np.where(ok, capex, 0.0)
    return FlowMatrix(np.ascontiguousarray(days), invest, np.ascontiguousarray(cash),
                      np.where(ok, years + 1, 0).astype(np.int64))


@dataclass(frozen=True)
class ListPlace:
    """Where a candidate list's rows are: its file, each candidate's row (or record), which of the two."""

    file: str
    rows: Sequence[int]
    unit: str = "row"


def check_profile(ids: Sequence[str], columns: Mapping[str, Sequence[object]],
                  place: ListPlace | None = None) -> list[Problem]:
    """Profile values the waterfall cannot use: negative money, a life of no or too many years,
    a growth below -100% (the cash would turn negative) or one whose cash outgrows a float.
    ``place``: the list's file and rows, named in each problem."""
    problems: list[Problem] = []

    def add(i: int, message: str, column: str) -> None:
        where = {} if place is None else {"file": place.file, "row": place.rows[i], "unit": place.unit}
        problems.append(Problem(message, column=column, **where))  # type: ignore[arg-type]

    absent = [None] * len(ids)  # one list for every absent column (not one per candidate: that was quadratic)
    capex, annual, lives, growths = (columns.get(name, absent) for name in ("capex", "annual_cash", "life_years",
                                                                             "cash_growth"))
    for i, cid in enumerate(ids):
        for name, values in (("capex", capex), ("annual_cash", annual)):
            v = values[i]
            if v is not None and float(v) < 0:  # type: ignore[arg-type]
                add(i, f"candidate '{cid}': {name} {v} is negative (money out is capex, money in is annual_cash)",
                    name)
        life, growth, cash = lives[i], growths[i], annual[i]
        if life is not None and not 1 <= int(life) <= MAX_LIFE_YEARS:  # type: ignore[call-overload]
            add(i, f"candidate '{cid}': life_years {life} is not between 1 and {MAX_LIFE_YEARS}", "life_years")
        elif growth is not None and float(growth) < -1:  # type: ignore[arg-type]
            add(i, f"candidate '{cid}': cash_growth {growth} is below -1 (-100% a year): the cash would turn "
                "negative in alternate years", "cash_growth")
        elif (growth is not None and life is not None and cash is not None and float(cash) > 0  # type: ignore[arg-type]
              and float(growth) > 0  # type: ignore[arg-type]
              and math.log(float(cash)) + (int(life) - 1) * math.log1p(float(growth)) > _LOG_MAX):  # type: ignore[arg-type, call-overload]
            add(i, f"candidate '{cid}': cash_growth {growth} over life_years {life} makes the yearly cash larger "
                "than any number the waterfall can hold (about 1.8e308)", "cash_growth")
    return problems


@dataclass
class CashFlows:
    """Flows read from a ``--cashflows`` file, by candidate id (dates sorted, unique)."""

    source: str
    by_candidate: dict[str, list[Flow]]
    digest: str = ""


def _read_typed(raw: pd.DataFrame, specs: Mapping[str, FieldSpec], known: set[str]) -> dict[str, list[Flow]] | None:
    """The flows of a file with nothing wrong in it, a column at a time (the candidate list's
    column typing); None as soon as anything needs a message (a cell that does not read, a
    negative amount, an unknown candidate, a candidate and date twice): the cell-by-cell reader
    then finds every problem with its row. Same flows as that reader, in the same order."""
    import pandas as pd

    from screening.typing_columns import typed_column

    typed = {}
    for name in COLUMNS:
        column = typed_column(raw[name].tolist(), specs[name])
        if column is None:
            return None
        typed[name] = column
    ids = typed["candidate_id"].astype(object).tolist()
    dates = typed["date"].tolist()
    amounts = {name: typed[name].to_numpy(dtype=np.float64, na_value=0.0) for name in ("invest", "cash")}
    if any((values < 0).any() for values in amounts.values()):
        return None
    if not known.issuperset(ids):
        return None
    pairs = pd.MultiIndex.from_arrays([ids, [d.toordinal() for d in dates]])
    if pairs.has_duplicates:
        return None
    by_candidate: dict[str, list[Flow]] = {}
    for cid, date, invest, cash in zip(ids, dates, amounts["invest"].tolist(), amounts["cash"].tolist()):
        by_candidate.setdefault(cid, []).append((date, invest, cash))
    for flows in by_candidate.values():
        flows.sort(key=lambda f: f[0])
    return by_candidate


def read_cashflows(path: str | Path, known_ids: Sequence[str], *, sheet: str | None = None) -> CashFlows:
    """Read and check a cash-flow file against the candidate list's ids.

    Raises:
        InputError: every problem (unknown format, missing column, bad date or number, negative
            invest or cash, unknown candidate, a candidate and date given twice), with row and column.
    """
    from screening.candidates import FORMATS, _parse, _Problems, _read_raw, candidates_hash
    from screening.pack.model import FieldSpec

    p = Path(path)
    file = str(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS or suffix == ".json":
        allowed = ", ".join(s for s in sorted(FORMATS) if s != ".json")
        raise InputError([Problem(f"unknown cash-flow format '{p.suffix or '(none)'}'; use one of {allowed}", file=file)])
    if not p.is_file():
        raise InputError([Problem("no such file", file=file)])
    raw, rows = _read_raw(p, suffix, sheet)
    raw.columns = [str(c).strip() for c in raw.columns]
    problems = _Problems(file)
    for name in COLUMNS:
        if name not in raw.columns:
            problems.add(f"no '{name}' column: a cash-flow file has columns {', '.join(COLUMNS)}", row=1, column=name)
    if problems.total:
        raise InputError(problems.items, total=problems.total)
    specs = {"candidate_id": FieldSpec(type="string", required=True), "date": FieldSpec(type="date", required=True),  # type: ignore[arg-type]
             "invest": FieldSpec(type="number"), "cash": FieldSpec(type="number")}  # type: ignore[arg-type]
    known = set(known_ids)
    first: dict[tuple[str, dt.date], int] = {}
    by_candidate: dict[str, list[Flow]] = {}
    # one object array per column, read once: indexing the frame per cell (raw[name].iat[k]) made a
    # 2.4-million-row file take 50 s of a 70 s run
    fast = _read_typed(raw, specs, known)
    if fast is not None:
        return CashFlows(file, fast, candidates_hash(p))
    columns = {name: raw[name].to_numpy(dtype=object) for name in COLUMNS}
    for k, row in enumerate(rows):
        cells = {name: _parse(columns[name][k], specs[name], name, row, problems) for name in COLUMNS}
        cid, date = cells["candidate_id"], cells["date"]
        for name in ("invest", "cash"):
            v = cells[name]
            if v is not None and v < 0:  # type: ignore[operator]
                problems.add(f"{name} {columns[name][k]!r} is negative (put money in the project under invest, "
                             "distributable cash under cash)", row=row, column=name)
        if cid is not None and cid not in known:
            problems.add(f"unknown candidate {cid!r}: not in the candidate list", row=row, column="candidate_id")
        if cid is None or date is None:
            continue
        key = (str(cid), date)  # type: ignore[arg-type]
        if key in first:
            problems.add(f"candidate {cid!r} has two rows for {date} (first at row {first[key]}); "
                         "add them up in one row", row=row, column="date")
            continue
        first[key] = row  # type: ignore[index]
        by_candidate.setdefault(str(cid), []).append(
            (date, max(float(cells["invest"] or 0.0), 0.0), max(float(cells["cash"] or 0.0), 0.0)))  # type: ignore[arg-type]
    if problems.total:
        raise InputError(problems.items, total=problems.total)
    for flows in by_candidate.values():
        flows.sort(key=lambda f: f[0])
    return CashFlows(file, by_candidate, candidates_hash(p))
