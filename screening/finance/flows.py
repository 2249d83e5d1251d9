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
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from screening.errors import InputError, Problem

EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
COLUMNS = ("candidate_id", "date", "invest", "cash")
#: Longest profile life accepted (years); longer is an input error, not an array of that size.
MAX_LIFE_YEARS = 200

Flow = tuple[dt.date, float, float]  # (date, invest, cash)


@dataclass
class FlowMatrix:
    """Flows of n candidates on up to p dates each.

    Attributes:
        days: int64, n x p, days since 1970-01-01; padding repeats the last real date.
        invest, cash: float64, n x p; 0 in padding.
        count: per candidate, how many real dates it has (0 = no flows: finance missing).
    """

    days: np.ndarray
    invest: np.ndarray
    cash: np.ndarray
    count: np.ndarray

    @classmethod
    def from_lists(cls, series: Sequence[Sequence[Flow]]) -> "FlowMatrix":
        """From per-candidate lists of (date, invest, cash), each sorted by date with unique dates."""
        n = len(series)
        p = max((len(s) for s in series), default=0) or 1
        days = np.zeros((n, p), dtype=np.int64)
        invest = np.zeros((n, p))
        cash = np.zeros((n, p))
        count = np.zeros(n, dtype=np.int64)
        for i, flows in enumerate(series):
            k = len(flows)
            count[i] = k
            if not k:
                continue
            ords = [d.toordinal() - EPOCH_ORDINAL for d, _, _ in flows]
            days[i, :k] = ords
            days[i, k:] = ords[-1]
            invest[i, :k] = [v for _, v, _ in flows]
            cash[i, :k] = [c for _, _, c in flows]
        return cls(days, invest, cash, count)

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


def check_profile(ids: Sequence[str], columns: Mapping[str, Sequence[object]]) -> list[Problem]:
    """Profile values the waterfall cannot use (negative money, a life of no or too many years)."""
    problems = []
    absent = [None] * len(ids)  # one list for every absent column (not one per candidate: that was quadratic)
    capex, annual, lives = (columns.get(name, absent) for name in ("capex", "annual_cash", "life_years"))
    for i, cid in enumerate(ids):
        for name, values in (("capex", capex), ("annual_cash", annual)):
            v = values[i]
            if v is not None and float(v) < 0:  # type: ignore[arg-type]
                problems.append(Problem(f"candidate '{cid}': {name} {v} is negative (money out is capex, "
                                        "money in is annual_cash)", column=name))
        life = lives[i]
        if life is not None and not 1 <= int(life) <= MAX_LIFE_YEARS:  # type: ignore[call-overload]
            problems.append(Problem(f"candidate '{cid}': life_years {life} is not between 1 and {MAX_LIFE_YEARS}",
                                    column="life_years"))
    return problems


@dataclass
class CashFlows:
    """Flows read from a ``--cashflows`` file, by candidate id (dates sorted, unique)."""

    source: str
    by_candidate: dict[str, list[Flow]]
    digest: str = ""


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
    for k, row in enumerate(rows):
        cells = {name: _parse(raw[name].iat[k], specs[name], name, row, problems) for name in COLUMNS}
        cid, date = cells["candidate_id"], cells["date"]
        for name in ("invest", "cash"):
            v = cells[name]
            if v is not None and v < 0:  # type: ignore[operator]
                problems.add(f"{name} {raw[name].iat[k]!r} is negative (put money in the project under invest, "
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
