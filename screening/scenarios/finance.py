"""Finance fields per draw (CONTRACT.md §9 inside §12): the waterfall recomputed for every row of
a chunk of the draws table, with :mod:`screening.finance`'s compiled waterfall and XIRR.

A row's flows come, as in ``screen run``, from the ``--cashflows`` file when its candidate is in
it, else from its profile fields (``capex`` on ``start_on``, then ``annual_cash x (1 +
cash_growth)^(k-1)`` on anniversary k = 1 ... ``life_years``) as varied in that draw. The spec's
``cashflows: {cash: ..., invest: ...}`` factors then scale every cash and every investment flow
of the row, whichever source it came from. The waterfall's terms are evaluated over the chunk's
columns; a term out of its range in a draw makes that draw's Japan fields missing (the listed
figures are checked beforehand by :func:`screening.finance.compute.finance_frame`, which
refuses them with a message).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from screening.engines.vector import field_kinds
from screening.engines.vector_columns import Col, Scalar, broadcast, from_series
from screening.engines.vector_eval import FrameEvaluator
from screening.finance.compute import TERM_RANGES
from screening.finance.flows import EPOCH_ORDINAL, MAX_LIFE_YEARS, CashFlows, FlowMatrix, profile_matrix
from screening.finance.names import FINANCE_FIELDS
from screening.finance.waterfall import Terms, fields_of
from screening.pack.compiled import ResolvedPack


class DrawFinance:
    """The finance hook of a scenario run (see :data:`screening.scenarios.run.FinanceHook`).

    Args:
        resolved: the pack (it must have a ``finance:`` section).
        ids: the candidates' ids, list order (a row's candidate index points here).
        cashflows: the ``--cashflows`` file's flows, if one was given.
    """

    fields = tuple(FINANCE_FIELDS)

    def __init__(self, resolved: ResolvedPack, ids: Sequence[str], cashflows: CashFlows | None = None) -> None:
        given = cashflows.by_candidate if cashflows is not None else {}
        self.from_file = np.array([cid in given for cid in ids], dtype=bool)
        self.file = FlowMatrix.from_lists([given.get(cid, []) for cid in ids]) if given else None

    def __call__(self, resolved: ResolvedPack, frame: pd.DataFrame, index: np.ndarray,
                 factors: Mapping[str, np.ndarray]) -> dict[str, Col]:
        n = len(frame)
        flows = self._profile(resolved, frame)
        if self.file is not None:
            flows = self.file.take(index).choose(self.from_file[index], flows)
        invest, cash = flows.invest, flows.cash
        if "invest" in factors:
            invest = invest * factors["invest"][:, None]
        if "cash" in factors:
            cash = cash * factors["cash"][:, None]
        fields = fields_of(FlowMatrix(flows.days, invest, cash, flows.count), self._terms(resolved, frame))
        out = {}
        for name, values in fields.items():
            if FINANCE_FIELDS[name] == "date":
                mask = values < 0
                out[name] = Col("date", np.where(mask, 0, values + EPOCH_ORDINAL).astype(np.int64), mask)
            else:
                mask = ~np.isfinite(values)
                out[name] = Col("number", np.where(mask, 0.0, values), mask)
        assert set(out) == set(self.fields) and all(len(c.values) == n for c in out.values())
        return out

    # --- flows from the profile fields -------------------------------------------------------

    def _profile(self, resolved: ResolvedPack, frame: pd.DataFrame) -> FlowMatrix:
        n = len(frame)
        kinds = field_kinds(resolved)

        def column(name: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
            if name not in frame.columns or name not in resolved.pack.fields:
                return np.zeros(n), np.ones(n, dtype=bool)
            col = from_series(frame[name], kinds.get(name, kind))
            if not isinstance(col, Col) or col.kind != kind:
                return np.zeros(n), np.ones(n, dtype=bool)
            return col.values, col.mask

        capex, capex_missing = column("capex", "number")
        annual, annual_missing = column("annual_cash", "number")
        growth, growth_missing = column("cash_growth", "number")
        life, life_missing = column("life_years", "number")
        start, start_missing = column("start_on", "date")
        ok = ~(capex_missing | annual_missing | life_missing | start_missing)
        years = np.where(ok, np.clip(np.rint(np.nan_to_num(life)), 0, MAX_LIFE_YEARS), 0).astype(np.int64)
        return profile_matrix(capex, annual, np.where(growth_missing, 0.0, growth), years,
                              np.where(ok, start.astype(np.int64) - EPOCH_ORDINAL, 0), ok)

    # --- terms ---------------------------------------------------------------------------------

    def _terms(self, resolved: ResolvedPack, frame: pd.DataFrame) -> Terms:
        finance = resolved.pack.finance  # type: ignore[attr-defined]
        assert finance is not None
        n = len(frame)
        evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
        arrays = {}
        for key, expr in finance.terms.items():
            vec = evaluator.evaluate(expr)
            if isinstance(vec, Scalar) and (vec.value is None or isinstance(vec.value, bool)):
                values = np.full(n, np.nan)
            else:
                col = broadcast(vec, "number", n)
                values = np.where(col.mask, np.nan, col.values.astype(np.float64))
            lo, hi = TERM_RANGES[key]
            with np.errstate(invalid="ignore"):
                bad = np.zeros(n, dtype=bool)
                if lo is not None:
                    bad |= (values <= lo) if key == "deemed_rate" else (values < lo)
                if hi is not None:
                    bad |= values > hi
            arrays[key] = np.where(bad, np.nan, values)
        return Terms(**arrays)
