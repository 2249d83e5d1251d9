"""Portfolio rules per draw (CONTRACT.md §10 inside §12): in how many draws does the package stay
within its limits?

Draw d's package is every candidate's draw d, in the pack's scope by that draw's verdict. The
aggregates are accumulated chunk by chunk into one value per draw (with the same missing rules
as :mod:`screening.portfolio`: a candidate in scope whose value is missing, or whose ``where=``
condition is unknown, makes the aggregate missing), then every portfolio rule is decided for all
draws at once by the vectorised evaluator, with each aggregate read as a column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from screening.engines.vector import field_kinds
from screening.engines.vector_columns import Col, Scalar
from screening.engines.vector_eval import FrameEvaluator
from screening.lang import nodes as n
from screening.pack.compiled import ResolvedPack
from screening.portfolio import PORTFOLIO_VERDICTS, _condition, _numbers, _substitute
from screening.scenarios.result import OUTCOME_NAMES, spread

_SCOPES = {"all": (True, True, True), "eligible": (True, False, False), "not_ineligible": (True, False, True)}


class DrawPortfolio:
    """Accumulates the portfolio aggregates of every draw; :meth:`result` decides the rules."""

    def __init__(self, resolved: ResolvedPack, draws: int) -> None:
        pack = resolved.pack
        self.rules = list(pack.portfolio_rules)
        self.scope = pack.portfolio_scope
        self.draws = draws
        self.aggregates: dict[str, n.Aggregate] = {}
        for rule in self.rules:
            self.aggregates.update(rule.aggregates)
        self.total = {key: np.zeros(draws) for key in self.aggregates}
        self.count = {key: np.zeros(draws, dtype=np.int64) for key in self.aggregates}
        self.missing = {key: np.zeros(draws, dtype=bool) for key in self.aggregates}
        self.size = np.zeros(draws, dtype=np.int64)

    def add(self, resolved: ResolvedPack, frame: pd.DataFrame, verdicts: np.ndarray, draw: np.ndarray) -> None:
        """One chunk: its rows (derived and finance fields included), their verdict codes
        (0 eligible, 1 ineligible, 2 incomplete) and draw numbers."""
        length = len(frame)
        scope = np.asarray(_SCOPES[self.scope], dtype=bool)[verdicts]
        self.size += np.bincount(draw[scope], minlength=self.draws)
        evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
        for key, node in self.aggregates.items():
            if node.func == "count":
                included, unknown = _condition(evaluator, node.arg, length)
                missing = unknown
                numbers = absent = None
            else:
                included, unknown = _condition(evaluator, node.where, length)
                numbers, absent = _numbers(evaluator, node.arg, length)  # type: ignore[arg-type]
                missing = unknown | (included & absent)
            included, missing = included & scope, missing & scope
            self.count[key] += np.bincount(draw[included], minlength=self.draws)
            self.missing[key] |= np.bincount(draw[missing], minlength=self.draws) > 0
            if numbers is not None and absent is not None:
                summed = included & ~absent
                self.total[key] += np.bincount(draw[summed], weights=numbers[summed], minlength=self.draws)

    def result(self, resolved: ResolvedPack) -> dict[str, object]:
        """Shares of the portfolio verdicts and of each rule's outcomes, and the aggregates' spread."""
        columns = {}
        for key, node in self.aggregates.items():
            count = self.count[key].astype(np.float64)
            if node.func == "count":
                values, mask = count, self.missing[key]
            elif node.func == "total":
                values, mask = self.total[key], self.missing[key]
            else:
                values = np.divide(self.total[key], count, out=np.zeros(self.draws), where=count > 0)
                mask = self.missing[key] | (count == 0)
            columns[key] = (values, mask)
        frame = pd.DataFrame({key: pd.arrays.FloatingArray(v, m) for key, (v, m) in columns.items()},
                             index=pd.RangeIndex(self.draws))
        evaluator = FrameEvaluator(frame, resolved.constants(), dict.fromkeys(columns, "number"))
        codes = np.zeros((self.draws, len(self.rules)), dtype=np.int8)
        for j, rule in enumerate(self.rules):
            holds, unknown = _parts(evaluator.truth(_substitute(rule.require)), self.draws)
            code = np.where(unknown, 2, np.where(holds, 0, 1))
            if rule.applies_if is not None:
                applies, applies_unknown = _parts(evaluator.truth(_substitute(rule.applies_if)), self.draws)
                code = np.where(applies_unknown, 2, np.where(applies, code, 3))
            codes[:, j] = code
        blocking = np.array([r.spec.severity.value == "blocking" for r in self.rules], dtype=bool)
        block = codes[:, blocking]
        verdict = np.where((block == 1).any(axis=1), 1, np.where((block == 2).any(axis=1), 2, 0))
        counts = np.bincount(verdict, minlength=3)
        return {
            "scope": self.scope, "draws": self.draws,
            "verdicts": {name: int(counts[i]) / self.draws for i, name in enumerate(PORTFOLIO_VERDICTS)},
            "rules": {rule.id: {name: int((codes[:, j] == k).sum()) / self.draws for k, name in enumerate(OUTCOME_NAMES)}
                      for j, rule in enumerate(self.rules)},
            "candidates_in_scope": spread(self.size.astype(np.float64), np.zeros(self.draws, dtype=bool), self.draws),
            "empty_scope": int((self.size == 0).sum()) / self.draws,
            "aggregates": {key: spread(v, m, self.draws) for key, (v, m) in columns.items()},
        }


def _parts(vec: Scalar | Col, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(true, unknown) of a condition per draw."""
    if isinstance(vec, Scalar):
        return np.full(length, vec.value is True), np.full(length, vec.value is None)
    return vec.values & ~vec.mask, vec.mask
