"""Portfolio rules (CONTRACT.md §10): rules about the decided list as a whole.

Runs after every candidate has its verdict (candidates' verdicts never depend on these rules).
The candidates in the pack's scope (``all``, ``eligible`` or ``not_ineligible``) become one
typed frame; each aggregate is computed over its columns at once (numpy, via the vector
backend's evaluator for the aggregated expression and the ``where=`` condition), then each
rule's condition is decided by the reference evaluator with every aggregate bound to its value.

Three values, as for candidates: an aggregate over a candidate whose value is missing (or whose
``where=`` condition is unknown) is missing — the ceiling cannot be confirmed — and the message
says how many candidates lacked it and which.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from screening.engines.vector import field_kinds, frame_from_rows
from screening.engines.vector_columns import Scalar, broadcast, kind_of, to_list
from screening.engines.vector_eval import FrameEvaluator
from screening.explain import generated_message, jsonable, show
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate, truth
from screening.outcomes import CandidateResult, Outcome
from screening.pack.compiled import PackRule, ResolvedPack
from screening.pack.portfolio import aggregate_key

PORTFOLIO_ID = "*portfolio*"
PORTFOLIO_VERDICTS = ("within_limits", "over_limits", "incomplete")
#: how many candidate ids a message names before it says "and N more"
_NAMED_IDS = 5


@dataclass(frozen=True)
class AggregateValue:
    """An aggregate's value over the scope, and the candidates that kept it from being known."""

    value: float | int | None
    considered: int
    missing_ids: tuple[str, ...]
    missing: int = -1  # how many lacked it, when ``missing_ids`` names only the first few

    @property
    def missing_count(self) -> int:
        return self.missing if self.missing >= 0 else len(self.missing_ids)


@dataclass
class PortfolioResult:
    """The portfolio verdict and every portfolio rule's outcome, in pack order."""

    scope: str
    candidates: int
    verdict: str
    outcomes: list[Outcome]
    candidate_ids: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"scope": self.scope, "candidates": self.candidates, "verdict": self.verdict,
                "candidate_ids": self.candidate_ids, "outcomes": [o.as_dict() for o in self.outcomes]}


def in_scope(scope: str, verdict: str) -> bool:
    """Whether a candidate with ``verdict`` counts in a portfolio of ``scope``."""
    if scope == "all":
        return True
    if scope == "eligible":
        return verdict == "eligible"
    if scope == "not_ineligible":
        return verdict != "ineligible"
    raise ValueError(f"unknown portfolio scope {scope!r}")


def portfolio_verdict(outcomes: Sequence[tuple[str, str]]) -> str:
    """From (severity, outcome) pairs: a blocking fail is over limits, a blocking missing incomplete."""
    blocking = [o for s, o in outcomes if s == "blocking"]
    if "fail" in blocking:
        return "over_limits"
    if "missing" in blocking:
        return "incomplete"
    return "within_limits"


def evaluate_portfolio(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]],
                       results: Sequence[CandidateResult]) -> PortfolioResult | None:
    """Decide the pack's portfolio rules over the candidates in scope; None if it has none.

    Args:
        resolved: the pack with its parameters fixed.
        rows: every candidate's values, derived fields included (list order).
        results: the candidates' decided results (same order), for their verdicts.
    """
    pack = resolved.pack
    if not pack.portfolio_rules:
        return None
    scope = pack.portfolio_scope
    chosen = [row for row, res in zip(rows, results) if in_scope(scope, res.verdict)]
    wanted: dict[str, n.Aggregate] = {}
    for rule in pack.portfolio_rules:
        wanted.update(rule.aggregates)
    return _evaluate(resolved, _frame(resolved, chosen, wanted), [str(row.get("id")) for row in chosen])


def _frame(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]],
           aggregates: Mapping[str, n.Aggregate]) -> pd.DataFrame:
    """A typed frame of only the columns the aggregates read: typing a column costs more than
    aggregating it (benchmarks/portfolio.py)."""
    read = {name for node in aggregates.values() for name in node.names()}
    kinds = field_kinds(resolved)
    return frame_from_rows(rows, {name: kind for name, kind in kinds.items() if name in read})


def evaluate_portfolio_frame(resolved: ResolvedPack, frame: pd.DataFrame,
                             verdicts: Sequence[str]) -> PortfolioResult | None:
    """:func:`evaluate_portfolio` over a typed frame (a run's trace) and the candidates' verdicts."""
    pack = resolved.pack
    if not pack.portfolio_rules:
        return None
    keep = np.array([in_scope(pack.portfolio_scope, v) for v in verdicts], dtype=bool)
    chosen = frame[keep].reset_index(drop=True)
    return _evaluate(resolved, chosen, [str(v) for v in chosen["id"].tolist()])


def _evaluate(resolved: ResolvedPack, frame: pd.DataFrame, ids: list[str]) -> PortfolioResult:
    values = aggregate_frame(resolved, frame, ids, wanted_aggregates(resolved))
    return decide_portfolio(resolved, values, len(ids), ids)


def aggregate_values(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]],
                     aggregates: Mapping[str, n.Aggregate]) -> dict[str, AggregateValue]:
    """Every aggregate over ``rows`` at once, column by column."""
    if not aggregates:
        return {}
    return aggregate_frame(resolved, _frame(resolved, rows, aggregates), [str(r.get("id")) for r in rows], aggregates)


def aggregate_frame(resolved: ResolvedPack, frame: pd.DataFrame, ids: Sequence[str],
                    aggregates: Mapping[str, n.Aggregate]) -> dict[str, AggregateValue]:
    """Every aggregate over the rows of a typed frame at once, column by column."""
    if not aggregates:
        return {}
    evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
    return {key: _aggregate(node, evaluator, np.array(ids, dtype=object), len(frame))
            for key, node in aggregates.items()}


def _condition(evaluator: FrameEvaluator, node: n.Node | None, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(true, unknown) of a condition per row; no condition holds everywhere."""
    if node is None:
        return np.ones(length, dtype=bool), np.zeros(length, dtype=bool)
    vec = evaluator.truth(node)
    if isinstance(vec, Scalar):
        return np.full(length, vec.value is True), np.full(length, vec.value is None)
    return vec.values & ~vec.mask, vec.mask.copy()


def _numbers(evaluator: FrameEvaluator, node: n.Node, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing) of a number expression per row; a non-number value counts as missing."""
    vec = evaluator.evaluate(node)
    if kind_of(vec) == "number":
        col = broadcast(vec, "number", length)
        return col.values.astype(np.float64), col.mask
    plain = to_list(vec, length)
    ok = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in plain]
    return (np.array([float(v) if good else 0.0 for v, good in zip(plain, ok)], dtype=np.float64),  # type: ignore[arg-type]
            ~np.array(ok, dtype=bool))


@dataclass
class AggregatePart:
    """An aggregate over some of the candidates in scope (one chunk of a streamed list).

    Parts combine exactly: sums are kept as exact rationals (every float is one), so the
    combined total is the correctly rounded sum of every value, as ``math.fsum`` of them all.
    """

    func: str
    total: Fraction = Fraction(0)
    special: float = 0.0  # inf / nan values, which have no exact rational
    count: int = 0
    considered: int = 0
    missing: int = 0
    missing_ids: list[str] = dataclasses.field(default_factory=list)  # the first _NAMED_IDS only

    def add(self, other: "AggregatePart") -> None:
        self.total += other.total
        self.special += other.special
        self.count += other.count
        self.considered += other.considered
        self.missing += other.missing
        self.missing_ids.extend(other.missing_ids[:max(0, _NAMED_IDS - len(self.missing_ids))])

    def value(self) -> AggregateValue:
        if self.missing:
            return AggregateValue(None, self.considered, tuple(self.missing_ids), self.missing)
        if self.func == "count":
            return AggregateValue(self.count, self.considered, ())
        total = float(self.total) + self.special if self.special else float(self.total)
        value = total if self.func == "total" else (total / self.count if self.count else None)
        return AggregateValue(value, self.considered, ())


def exact_sum(values: np.ndarray) -> tuple[Fraction, float]:
    """The exact sum of finite float64 ``values`` (a rational), and the float sum of the others.

    Each float is ``m * 2**e`` with an integer ``m`` of 53 bits: the integers are summed exactly
    per exponent in two 26/27-bit halves (int64 cannot overflow below 2**36 values).
    """
    finite = np.isfinite(values)
    special = float(values[~finite].sum()) if not finite.all() else 0.0
    values = values[finite]
    if not len(values):
        return Fraction(0), special
    mantissa, exponent = np.frexp(values)
    whole = (mantissa * float(2 ** 53)).astype(np.int64)
    exponent = exponent.astype(np.int64) - 53
    total = Fraction(0)
    for e in np.unique(exponent).tolist():
        part = whole[exponent == e]
        high, low = int((part >> 26).sum()), int((part & ((1 << 26) - 1)).sum())
        s = (high << 26) + low
        total += Fraction(s * 2 ** e) if e >= 0 else Fraction(s, 2 ** -e)
    return total, special


def aggregate_part(node: n.Aggregate, evaluator: FrameEvaluator, ids: np.ndarray, length: int) -> AggregatePart:
    """An aggregate over the rows of one frame, as a part to combine with others."""
    part = AggregatePart(node.func)
    if node.func == "count":
        included, unknown = _condition(evaluator, node.arg, length)
        missing = unknown
    else:
        included, unknown = _condition(evaluator, node.where, length)
        numbers, absent = _numbers(evaluator, node.arg, length)  # type: ignore[arg-type]
        missing = unknown | (included & absent)
        part.total, part.special = exact_sum(numbers[included & ~absent])
    part.count = int(included.sum())
    part.considered = int((included | unknown).sum())
    part.missing = int(missing.sum())
    if part.missing:
        part.missing_ids = [str(i) for i in ids[missing][:_NAMED_IDS].tolist()]
    return part


def aggregate_parts(resolved: ResolvedPack, frame: pd.DataFrame, ids: Sequence[str],
                    aggregates: Mapping[str, n.Aggregate]) -> dict[str, AggregatePart]:
    """Every aggregate over the rows of a typed frame, as parts (for a list screened in chunks)."""
    evaluator = FrameEvaluator(frame, resolved.constants(), field_kinds(resolved))
    return {key: aggregate_part(node, evaluator, np.array(ids, dtype=object), len(frame))
            for key, node in aggregates.items()}


def _aggregate(node: n.Aggregate, evaluator: FrameEvaluator, ids: np.ndarray, length: int) -> AggregateValue:
    return aggregate_part(node, evaluator, ids, length).value()


def decide_portfolio(resolved: ResolvedPack, values: Mapping[str, AggregateValue], count: int,
                     ids: list[str]) -> PortfolioResult:
    """The portfolio's outcomes and verdict from its aggregates' values over ``count`` candidates in scope."""
    pack = resolved.pack
    env: dict[str, object] = {**resolved.constants(), **{k: v.value for k, v in values.items()}}
    outcomes = [_decide(rule, env, values, count) for rule in pack.portfolio_rules]
    return PortfolioResult(scope=pack.portfolio_scope, candidates=count,
                           verdict=portfolio_verdict([(o.severity, o.outcome) for o in outcomes]),
                           outcomes=outcomes, candidate_ids=ids)


def wanted_aggregates(resolved: ResolvedPack) -> dict[str, n.Aggregate]:
    """Every aggregate the pack's portfolio rules read, by key."""
    wanted: dict[str, n.Aggregate] = {}
    for rule in resolved.pack.portfolio_rules:
        wanted.update(rule.aggregates)
    return wanted


def _substitute(node: n.Node) -> n.Node:
    """The expression with every aggregate replaced by a name bound to its value."""
    if isinstance(node, n.Aggregate):
        key = aggregate_key(node)
        return n.Name(key, text=key)
    changes = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, n.Node):
            changes[f.name] = _substitute(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, n.Node) for v in value):
            changes[f.name] = tuple(_substitute(v) for v in value)  # type: ignore[assignment]
    return dataclasses.replace(node, **changes) if changes else node  # type: ignore[arg-type]


class _Placeholders(string.Formatter):
    """Fills a template whose placeholders are names or expressions; missing reads 'missing'."""

    def get_field(self, field_name: str, args: object, kwargs: Mapping[str, object]) -> tuple[object, str]:  # type: ignore[override]
        return kwargs.get(field_name), field_name

    def format_field(self, value: object, format_spec: str) -> str:
        if value is None:
            return "missing"
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return show(value)


def _missing_detail(rule: PackRule, values: Mapping[str, AggregateValue], in_scope_count: int) -> str:
    parts = []
    for key in rule.aggregates:
        agg = values.get(key)
        if agg is None or not agg.missing_count:
            continue
        named = ", ".join(agg.missing_ids[:_NAMED_IDS])
        more = f" and {agg.missing_count - _NAMED_IDS} more" if agg.missing_count > _NAMED_IDS else ""
        parts.append(f"{key} is missing: {agg.missing_count} of {in_scope_count} candidates in scope have no value "
                     f"({named}{more})")
    return "; ".join(parts)


def _decide(rule: PackRule, env: Mapping[str, object], values: Mapping[str, AggregateValue],
            in_scope_count: int) -> Outcome:
    require = _substitute(rule.require)
    applies = _substitute(rule.applies_if) if rule.applies_if is not None else None
    scalar = dataclasses.replace(rule, require=require, applies_if=applies, _read=None)
    applies_truth = truth(applies, env) if applies is not None else True
    if applies_truth is None:
        outcome = "missing"
    elif applies_truth is False:
        outcome = "not_applicable"
    else:
        holds = truth(require, env)
        outcome = "missing" if holds is None else ("pass" if holds else "fail")
    message = _message(rule, scalar, env, outcome)
    if outcome == "missing":
        detail = _missing_detail(rule, values, in_scope_count)
        if detail:
            custom = rule.spec.message is not None and rule.spec.message.missing is not None
            message = f"{message} — {detail}" if custom else f"cannot decide: {detail}"
    read = {name: jsonable(env.get(name)) for name in scalar.names()}
    return Outcome(rule=rule.id, title=rule.spec.title, category=rule.spec.category.value,
                   severity=rule.spec.severity.value, outcome=outcome, message=message, values=read, fix=None,
                   source=rule.spec.source)


def _message(rule: PackRule, scalar: PackRule, env: Mapping[str, object], outcome: str) -> str:
    template = rule.spec.message.for_outcome_name(outcome) if rule.spec.message is not None else None
    if template is None:
        return generated_message(scalar, env, outcome)
    filled = dict(env)
    for text, expr in rule.placeholders.items():
        try:
            filled[text] = evaluate(_substitute(expr), env)
        except (TypeError, ValueError):
            filled[text] = None
    return _Placeholders().vformat(template, (), filled)
