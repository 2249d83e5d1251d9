"""The finance fields of a screening run: once per run, columnar, before any rule runs.

:func:`finance_frame` is the one call the pipeline makes (screening/screen.py): it takes the
typed candidate frame (derived fields included) and the ``--cashflows`` file if any, and returns
the frame with the finance columns added and a :class:`FinanceTable` (the waterfall behind them,
for ``explain`` and the report's chart). :func:`compute_finance` is the same over plain columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from screening.errors import InputError, Problem
from screening.finance.flows import (
    EPOCH_ORDINAL,
    CashFlows,
    Flow,
    FlowMatrix,
    ListPlace,
    check_profile,
    profile_flows,
    profile_matrix,
)
from screening.finance.names import FINANCE_FIELDS, PROFILE_FIELDS
from screening.finance.waterfall import Terms, Waterfall, as_python, fields_of, run_waterfall
from screening.lang.evaluate import evaluate
from screening.pack.compiled import ResolvedPack

if TYPE_CHECKING:
    import pandas as pd

#: Valid range of each term (inclusive bounds; the deemed rate must exceed -100%).
TERM_RANGES = {"deemed_rate": (-1.0, None), "japan_funding_share": (0.0, 1.0),
               "us_share_before_recovery": (0.0, 1.0), "us_share_after_recovery": (0.0, 1.0)}


@dataclass(frozen=True)
class YearRow:
    """One line of the yearly waterfall: the year's last flow date and the year's totals."""

    date: dt.date
    invest: float
    cash: float
    japan: float
    balance: float
    made_whole: bool

    def as_dict(self) -> dict[str, object]:
        return {"date": self.date.isoformat(), "invest": self.invest, "cash": self.cash, "japan": self.japan,
                "balance": self.balance, "made_whole": self.made_whole}


@dataclass
class FinanceTable:
    """Finance fields per candidate (in list order) and the waterfall they come from."""

    ids: list[str]
    columns: dict[str, list[object]]
    water: Waterfall
    sources: list[str]  # per candidate: "cashflows", "profile" or "none"

    def fields_of(self, i: int) -> dict[str, object]:
        return {name: self.columns[name][i] for name in FINANCE_FIELDS}

    def index(self, candidate_id: str) -> int:
        return self.ids.index(candidate_id)

    def schedule(self, i: int) -> list[tuple[dt.date, float, float, float, float]]:
        """(date, invest, cash, Japan's receipts, Japan's balance after) for each flow date."""
        w, k = self.water, int(self.water.flows.count[i])
        dates = w.flows.dates(i)
        return [(dates[j], float(w.flows.invest[i, j]), float(w.flows.cash[i, j]), float(w.japan_receipts[i, j]),
                 float(w.balance[i, j])) for j in range(k)]

    def yearly(self, i: int) -> list[YearRow]:
        """The waterfall by calendar year (the table ``explain`` shows)."""
        made = self.columns["japan_made_whole_on"][i]
        rows: dict[int, YearRow] = {}
        for date, invest, cash, japan, balance in self.schedule(i):
            prev = rows.get(date.year)
            if prev is None:
                rows[date.year] = YearRow(date, invest, cash, japan, balance, made == date)
            else:
                rows[date.year] = YearRow(date, prev.invest + invest, prev.cash + cash, prev.japan + japan, balance,
                                          prev.made_whole or made == date)
        return list(rows.values())


def compute_finance(resolved: ResolvedPack, ids: Sequence[str], columns: Mapping[str, Sequence[object]],
                    terms: Mapping[str, Sequence[object]], cashflows: CashFlows | None = None,
                    place: "ListPlace | None" = None) -> FinanceTable:
    """The finance fields of every candidate, from plain columns.

    Args:
        resolved: the pack (with a ``finance:`` section), parameters fixed for the screening date.
        ids: candidate ids, in list order.
        columns: the profile fields the pack declares, one value per candidate (dates as dates).
        terms: each finance term's value per candidate (None = missing).
        cashflows: flows from a ``--cashflows`` file; a candidate not in it uses its profile fields.
        place: the list's file and each candidate's row, for the problems' places.

    Raises:
        InputError: a term out of range, or a profile the waterfall cannot use.
    """
    problems = check_profile(ids, columns, place)
    arrays = _terms(resolved, ids, terms, problems)
    if problems:
        raise InputError(problems)
    given = cashflows.by_candidate if cashflows is not None else {}
    from_file = np.array([cid in given for cid in ids], dtype=bool)
    matrix = _profile_matrix(columns, len(ids))
    if from_file.any():
        matrix = FlowMatrix.from_lists([given.get(cid, []) for cid in ids]).choose(from_file, matrix)
    sources = ["cashflows" if f else "profile" if c else "none"
               for f, c in zip(from_file.tolist(), (matrix.count > 0).tolist())]
    water = run_waterfall(matrix, arrays)
    return FinanceTable(list(ids), as_python(water.fields), water, sources)


def _profile_matrix(columns: Mapping[str, Sequence[object]], n: int) -> FlowMatrix:
    """The profile fields' flows (:func:`screening.finance.flows.profile_matrix`) from plain
    columns; a candidate missing capex, annual_cash, life_years or start_on gets none."""
    absent = [None] * n
    capex, annual, growth, life, start = (columns.get(name, absent) for name in PROFILE_FIELDS)
    ok = np.array([c is not None and a is not None and y is not None and s is not None
                   for c, a, y, s in zip(capex, annual, life, start)], dtype=bool)

    def numbers(values: Sequence[object]) -> np.ndarray:
        return np.array([0.0 if v is None else float(v) for v in values], dtype=np.float64)  # type: ignore[arg-type]

    years = np.array([0 if v is None else int(v) for v in life], dtype=np.int64)  # type: ignore[call-overload]
    days = np.array([-1 if v is None else v.toordinal() - EPOCH_ORDINAL for v in start], dtype=np.int64)  # type: ignore[attr-defined]
    return profile_matrix(numbers(capex), numbers(annual), numbers(growth), years, days, ok)


def finance_frame(resolved: ResolvedPack, frame: "pd.DataFrame", cashflows: CashFlows | None = None,
                  given: Mapping[str, Mapping[str, object]] | None = None, place: "ListPlace | None" = None
                  ) -> "tuple[pd.DataFrame, FinanceTable | None]":
    """CONTRACT §9 over a typed candidate frame (derived fields included): the frame with the five
    finance columns added (numbers ``Float64``, the date as ``Int64`` day ordinals, as the frame
    holds dates), and the table behind them. Without a ``finance:`` section: the frame unchanged.

    Args:
        given: per candidate id, finance values given directly (a pack test may); they win.
        place: the list's file and each candidate's row, so that a bad profile is named by both.
    """
    import pandas as pd

    from screening.engines.vector_columns import to_list
    from screening.engines.vector_eval import FrameEvaluator
    from screening.trace import field_kinds

    pack = resolved.pack
    if pack.finance is None:
        if cashflows is not None:
            raise InputError([Problem(f"the pack '{pack.name}' has no 'finance:' section, so cash flows have no "
                                      "use: add one (CONTRACT §9) or leave out --cashflows", column="--cashflows")])
        return frame, None
    n = len(frame)
    ids = [str(v) for v in frame["id"].tolist()]
    columns: dict[str, list[object]] = {}
    for name, kind in PROFILE_FIELDS.items():
        if name in pack.fields and name in frame.columns:
            values = [None if v is None or v is pd.NA else v for v in frame[name].astype(object).tolist()]
            if kind == "date":
                values = [None if v is None else dt.date.fromordinal(int(v)) for v in values]  # type: ignore[arg-type, call-overload]
            columns[name] = values  # type: ignore[assignment]
    evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
    terms = {key: to_list(evaluator.evaluate(expr), n) for key, expr in pack.finance.terms.items()}
    table = compute_finance(resolved, ids, columns, terms, cashflows, place)
    if given:
        for i, cid in enumerate(ids):
            for name, value in given.get(cid, {}).items():
                if name in table.columns:
                    table.columns[name][i] = value
    added = {}
    for name, kind in FINANCE_FIELDS.items():
        values = table.columns[name]
        if kind == "date":
            added[name] = pd.array([None if v is None else v.toordinal() for v in values], dtype="Int64")  # type: ignore[attr-defined, union-attr]
        else:
            added[name] = pd.array(values, dtype="Float64")
    return frame.assign(**{k: pd.Series(v, index=frame.index) for k, v in added.items()}), table


def finance_for_row(resolved: ResolvedPack, env: Mapping[str, object], flows: Sequence[Flow] | None) -> dict[str, object]:
    """One candidate's finance fields (for a sweep that moves a term's parameter): the same
    computation as a whole run's, for a list of one.

    ``env``: the candidate's fields (derived included) and the constants; ``flows``: its flows
    from a cash-flow file, or None to use its profile fields.
    """
    finance = resolved.pack.finance
    assert finance is not None
    terms = [evaluate(finance.terms[key], env) for key in TERM_RANGES]
    if flows is None:
        flows = profile_flows(*(env.get(name) for name in PROFILE_FIELDS)) or []
    if not flows:
        return dict.fromkeys(FINANCE_FIELDS)
    arrays = Terms(*(np.array([np.nan if t is None else float(t)]) for t in terms))  # type: ignore[arg-type]
    return {name: values[0] for name, values in as_python(fields_of(FlowMatrix.from_lists([flows]), arrays)).items()}


def _terms(resolved: ResolvedPack, ids: Sequence[str], terms: Mapping[str, Sequence[object]],
           problems: list[Problem]) -> Terms:
    finance = resolved.pack.finance
    assert finance is not None
    n = len(ids)
    arrays = {}
    for key in TERM_RANGES:
        values = terms[key]
        place = finance.places.get(key, finance.place)
        lo, hi = TERM_RANGES[key]
        out = np.full(n, np.nan)
        constant = len(set(map(repr, values))) <= 1
        for i, v in enumerate(values):
            if v is None:
                continue
            x = float(v)  # type: ignore[arg-type]
            if (key == "deemed_rate" and x <= lo) or (key != "deemed_rate" and not lo <= x <= hi):  # type: ignore[operator]
                who = "" if constant else f" for candidate '{ids[i]}'"
                bound = "above -1" if key == "deemed_rate" else f"between {lo:g} and {hi:g}"
                problems.append(Problem(f"finance.{key} is {x:g}{who}; it must be {bound}", file=place.file,
                                        line=place.line))
                if constant:
                    break
                continue
            out[i] = x
        arrays[key] = out
    return Terms(**arrays)
