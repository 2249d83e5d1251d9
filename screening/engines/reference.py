"""The reference backend: walks each rule's expression tree for each candidate (the oracle)."""

from __future__ import annotations

from typing import Sequence

from screening.engines import OutcomeMatrix
from screening.lang.evaluate import truth
from screening.pack.compiled import PackRule, ResolvedPack


def decide_rule(rule: PackRule, env: dict[str, object]) -> str:
    """Outcome of one rule for one candidate's environment (fields, parameters, as_of)."""
    if rule.applies_if is not None:
        applies = truth(rule.applies_if, env)
        if applies is None:
            return "missing"
        if applies is False:
            return "not_applicable"
    holds = truth(rule.require, env)
    if holds is None:
        return "missing"
    return "pass" if holds else "fail"


class ReferenceEngine:
    """Evaluates rules one candidate at a time with :mod:`screening.lang.evaluate`."""

    name = "reference"

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        constants = resolved.constants()
        rules = resolved.pack.rules
        return [[decide_rule(rule, {**row, **constants}) for rule in rules] for row in rows]
