"""The finance fields of a screening run: once per run, columnar, before any rule runs.

:func:`compute_finance` is the one call the pipeline makes (screening/screen.py): it takes the
candidates' columns (fields, derived fields included) and the ``--cashflows`` file if any, and
returns a :class:`FinanceTable` whose ``columns`` are the finance fields, one value per candidate,
plus the waterfall behind them (for ``explain`` and the report's chart).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from screening.errors import InputError, Problem
from screening.finance.flows import CashFlows, Flow, FlowMatrix, check_profile, profile_flows
from screening.finance.names import FINANCE_FIELDS, PROFILE_FIELDS
from screening.finance.waterfall import Terms, Waterfall, as_python, finance_fields, run_waterfall
from screening.lang.evaluate import evaluate
from screening.pack.compiled import ResolvedPack

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


def compute_finance(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]],
                    cashflows: CashFlows | None = None) -> FinanceTable | None:
    """The finance fields of every candidate (None when the pack has no ``finance:`` section).

    Args:
        resolved: the pack, parameters fixed for the screening date.
        rows: one mapping per candidate: its fields, derived fields included.
        cashflows: flows from a ``--cashflows`` file; a candidate not in it uses its profile fields.

    Raises:
        InputError: cash flows given to a pack without ``finance:``, a term out of range, or a
            profile the waterfall cannot use.
    """
    pack = resolved.pack
    finance = pack.finance
    if finance is None:
        if cashflows is not None:
            raise InputError([Problem(f"the pack '{pack.name}' has no 'finance:' section, so cash flows have no "
                                      "use: add one (CONTRACT §9) or leave out --cashflows", column="--cashflows")])
        return None
    ids = [str(r.get("id")) for r in rows]
    columns = {name: [r.get(name) for r in rows] for name in PROFILE_FIELDS if name in pack.fields}
    problems = check_profile(ids, columns)
    series: list[list[Flow]] = []
    sources: list[str] = []
    given = cashflows.by_candidate if cashflows is not None else {}
    for i, cid in enumerate(ids):
        if cid in given:
            series.append(given[cid])
            sources.append("cashflows")
            continue
        flows = profile_flows(*(columns.get(name, [None] * len(ids))[i] for name in PROFILE_FIELDS)) \
            if not problems else None
        series.append(flows or [])
        sources.append("profile" if flows else "none")
    terms = _terms(resolved, rows, problems)
    if problems:
        raise InputError(problems)
    matrix = FlowMatrix.from_lists(series)
    water = run_waterfall(matrix, terms)
    return FinanceTable(ids, as_python(finance_fields(water)), water, sources)


def _terms(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]], problems: list[Problem]) -> Terms:
    finance = resolved.pack.finance
    assert finance is not None
    constants = resolved.constants()
    n = len(rows)
    arrays = {}
    for key, expr in finance.terms.items():
        place = finance.places.get(key, finance.place)
        if set(expr.names()) <= set(constants):
            values = [evaluate(expr, constants)] * n
        else:
            values = [evaluate(expr, {**row, **constants}) for row in rows]
        lo, hi = TERM_RANGES[key]
        out = np.full(n, np.nan)
        for i, v in enumerate(values):
            if v is None:
                continue
            x = float(v)  # type: ignore[arg-type]
            if (lo is not None and (x < lo or (key == "deemed_rate" and x <= lo))) or (hi is not None and x > hi):
                who = "" if len(set(map(repr, values))) == 1 else f" for candidate '{rows[i].get('id')}'"
                bound = "above -1" if key == "deemed_rate" else f"between {lo:g} and {hi:g}"
                problems.append(Problem(f"finance.{key} is {x:g}{who}; it must be {bound}", file=place.file,
                                        line=place.line))
                if not who:
                    break
                continue
            out[i] = x
        arrays[key] = out
    return Terms(**arrays)
