"""Load-time checks of portfolio rules (CONTRACT.md §10): aggregates, scope of names, messages.

A portfolio rule reads the list as a whole. Its expressions may hold aggregates
(``total(x)``, ``average(x)``, ``count()``, ``count(cond)``, ``where=cond``); outside an
aggregate it may read only parameters and ``as_of`` — a field there would be one candidate's
value, which a rule about the list cannot mean. Message placeholders may be plain names or
expressions of the same language (``{total(equity_usd) / total(amount_usd):.1%}``).
"""

from __future__ import annotations

import string
from typing import Callable, Iterable, Iterator, Mapping

from screening.lang import nodes as n
from screening.lang.parse import ExpressionError, parse_expression, unparse
from screening.lang.types import BOOL, Type, TypeErrors, check_expression
from screening.pack.compiled import BUILTIN_NAMES, PackRule, Place

Report = Callable[[str, Place, str], None]
_OUTCOMES = ("fail", "pass_", "missing", "not_applicable")


def aggregates_in(node: n.Node) -> Iterator[n.Aggregate]:
    """Every aggregate in ``node`` (none is nested in another: the parser refuses that)."""
    if isinstance(node, n.Aggregate):
        yield node
        return
    for child in node.children():
        yield from aggregates_in(child)


def aggregate_key(node: n.Aggregate) -> str:
    """The canonical text of an aggregate: how its value is named in ``values`` and messages."""
    return unparse(node)


def _outside_aggregates(node: n.Node) -> Iterator[n.Name]:
    if isinstance(node, n.Aggregate):
        return
    if isinstance(node, n.Name):
        yield node
    for child in node.children():
        yield from _outside_aggregates(child)


def compile_portfolio_rule(rule: PackRule, report: Report) -> None:
    """Collect the rule's aggregates and parse its message placeholders that are expressions."""
    for expr in (rule.applies_if, rule.require):
        if expr is not None:
            for agg in aggregates_in(expr):
                rule.aggregates.setdefault(aggregate_key(agg), agg)
    if rule.spec.message is None:
        return
    place = rule.places.get("message", rule.place)
    for outcome in _OUTCOMES:
        template = getattr(rule.spec.message, outcome)
        if template is None:
            continue
        where = f"rule {rule.id} message.{outcome.rstrip('_')}"
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError as exc:
            report(f"not a valid template: {exc}", place, where)
            continue
        for _, name, spec, _conv in parts:
            if name is None or name.isidentifier() or name in rule.placeholders:
                if spec and "{" in spec:
                    report("nested placeholders are not allowed", place, where)
                continue
            try:
                expr = parse_expression(name, aggregates=True)
            except ExpressionError as exc:
                report(f"placeholder {{{name}}} is neither a name nor an expression: {exc.message}", place, where)
                continue
            rule.placeholders[name] = expr
            for agg in aggregates_in(expr):
                rule.aggregates.setdefault(aggregate_key(agg), agg)


def check_portfolio_rule(rule: PackRule, names: Mapping[str, Type], fields: Iterable[str], report: Report) -> None:
    """Type-check a portfolio rule; a field (or decision table) read outside an aggregate is an error."""
    candidate_names = set(fields) | (set(BUILTIN_NAMES) - {"as_of"})
    checks: list[tuple[str, n.Node, Type | None, Place]] = []
    for key, expr in (("applies_if", rule.applies_if), ("require", rule.require)):
        if expr is not None:
            checks.append((key, expr, BOOL, rule.places.get(key, rule.place)))
    for text, expr in rule.placeholders.items():
        checks.append((f"message {{{text}}}", expr, None, rule.places.get("message", rule.place)))
    for key, expr, want, place in checks:
        where = f"rule {rule.id} {key}"
        try:
            check_expression(expr, names, want=want)
        except TypeErrors as exc:
            for message, part in exc.problems:
                report(f"{message}: `{part}`", place, where)
        for name in dict.fromkeys(x.id for x in _outside_aggregates(expr)):
            if name in candidate_names:
                report(f"'{name}' is a field of each candidate: a portfolio rule reads it only inside an aggregate "
                       f"such as total({name}), average({name}) or count(...)", place, where)
    if rule.spec.message is not None:
        for outcome in _OUTCOMES:
            template = getattr(rule.spec.message, outcome)
            if template is None:
                continue
            for _, name, _spec, _conv in string.Formatter().parse(template):
                if name is not None and name.isidentifier():
                    where = f"rule {rule.id} message.{outcome.rstrip('_')}"
                    place = rule.places.get("message", rule.place)
                    if name in candidate_names:
                        report(f"placeholder {{{name}}} is a field of each candidate; in a portfolio message "
                               f"write an aggregate such as {{total({name})}}", place, where)
                    elif name not in names:
                        report(f"unknown name {{{name}}}", place, where)
