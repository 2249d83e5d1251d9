"""Compile pack rules into durable_rules' JSON ruleset form (pure data; imports no durable).

Each pack rule becomes three mutually exclusive durable rules over one event per
(candidate, rule): ``not_applicable`` (applies_if false), ``pass`` (applies_if true and require
true) and ``fail`` (applies_if true and require false). An event none of them matches is
``missing``. Kleene logic compiles structurally::

    true(a < b)    = a present and b present and a < b
    false(a < b)   = a present and b present and a >= b
    true(A and B)  = true(A) and true(B)        false(A and B) = false(A) or false(B)
    true(A or B)   = true(A) or true(B)         false(A or B)  = false(A) and false(B)
    true(not A)    = false(A)                   false(not A)   = true(A)

Parameters and ``as_of`` are constants and are folded. What durable cannot express —
arithmetic on the left, functions other than ``missing``, subscripts, ``if``/``else``, division
(a zero divisor must give missing), membership in a list *field* — is *lifted*: the smallest
such sub-expression becomes a hidden property computed per candidate before the event is
posted, and durable still decides the comparison and the and/or/not structure around it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping, Union

from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.pack.compiled import PackRule

TRUE, FALSE = "TRUE", "FALSE"
Pattern = Union[str, dict]  # TRUE, FALSE or a durable condition

_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul"}


def to_durable_value(value: object) -> object:
    """A value as durable sees it: dates as day ordinals, everything else as JSON."""
    if isinstance(value, dt.date):
        return value.toordinal()
    return value


@dataclass
class CompiledRule:
    """One pack rule in durable's terms."""

    index: int
    rule_id: str
    patterns: dict[str, Pattern]  # "na" | "pass" | "fail" -> pattern
    properties: dict[str, str] = field(default_factory=dict)  # durable property -> field name it carries
    lifted: dict[str, n.Node] = field(default_factory=dict)  # durable property -> sub-expression computed first

    def fact(self, row: Mapping[str, object], constants: Mapping[str, object]) -> dict[str, object]:
        """The event for one candidate: discriminator plus the properties this rule reads (absent = missing)."""
        event: dict[str, object] = {"r": self.index}
        for prop, name in self.properties.items():
            value = row.get(name)
            if value is not None:
                event[prop] = to_durable_value(value)
        if self.lifted:
            env = {**row, **constants}
            for prop, node in self.lifted.items():
                value = evaluate(node, env)
                if value is not None:
                    event[prop] = to_durable_value(value)
        return event

    def durable_rules(self) -> dict[str, dict]:
        """The durable rule definitions (without actions) for this pack rule."""
        out = {}
        for kind, pattern in self.patterns.items():
            if pattern == FALSE:
                continue
            cond: dict = {"r": self.index} if pattern == TRUE else {"$and": [{"r": self.index}, pattern]}
            out[f"r{self.index}${kind}"] = {"all": [{"m": cond}]}
        return out


class RuleCompiler:
    """Compiles one rule with the pack's constants (parameters and as_of)."""

    def __init__(self, index: int, rule: PackRule, constants: Mapping[str, object], fields: set[str]) -> None:
        self.index = index
        self.rule = rule
        self.constants = constants
        self.fields = fields
        self.properties: dict[str, str] = {}
        self.lifted: dict[str, n.Node] = {}

    def compile(self) -> CompiledRule:
        if self.rule.applies_if is None:
            app_true, app_false = TRUE, FALSE
        else:
            app_true, app_false = self.truth(self.rule.applies_if, True), self.truth(self.rule.applies_if, False)
        patterns = {
            "na": app_false,
            "pass": _and([app_true, self.truth(self.rule.require, True)]),
            "fail": _and([app_true, self.truth(self.rule.require, False)]),
        }
        return CompiledRule(self.index, self.rule.id, patterns, self.properties, self.lifted)

    # --- operands -------------------------------------------------------------------------

    def is_constant(self, node: n.Node) -> bool:
        return not any(name in self.fields for name in node.names())

    def fold(self, node: n.Node) -> object:
        return evaluate(node, self.constants)

    def prop(self, name: str) -> str:
        for p, f in self.properties.items():
            if f == name:
                return p
        p = f"f{len(self.properties)}"
        self.properties[p] = name
        return p

    def lift(self, node: n.Node) -> str:
        for p, existing in self.lifted.items():
            if existing == node:
                return p
        p = f"l{len(self.lifted)}"
        self.lifted[p] = node
        return p

    def operand(self, node: n.Node) -> tuple[str, object, list[str]]:
        """Classify an operand: ('const', value, []), ('prop', name, [name]) or ('expr', rhs, props)."""
        if self.is_constant(node):
            return "const", to_durable_value(self.fold(node)), []
        if isinstance(node, n.Name):
            p = self.prop(node.id)
            return "prop", p, [p]
        if isinstance(node, n.Arith) and node.op in _ARITH:
            lk, lv, lp = self.operand(node.left)
            rk, rv, rp = self.operand(node.right)
            left = {"$m": lv} if lk == "prop" else lv
            right = {"$m": rv} if rk == "prop" else rv
            if (lk == "const" and lv is None) or (rk == "const" and rv is None):
                return "const", None, []
            return "expr", {_ARITH[node.op]: {"$l": left, "$r": right}}, lp + rp
        if isinstance(node, n.Neg):
            k, v, ps = self.operand(node.operand)
            inner = {"$m": v} if k == "prop" else v
            return "expr", {"$mul": {"$l": -1, "$r": inner}}, ps
        p = self.lift(node)
        return "prop", p, [p]

    # --- conditions -----------------------------------------------------------------------

    def truth(self, node: n.Node, want: bool) -> Pattern:  # noqa: C901 - one branch per node type
        """The pattern matching exactly the events for which ``node`` evaluates to ``want``."""
        if self.is_constant(node):
            value = self.fold(node)
            return TRUE if value is want else FALSE
        if isinstance(node, n.Not):
            return self.truth(node.operand, not want)
        if isinstance(node, n.BoolOp):
            parts = [self.truth(v, want) for v in node.values]
            conjunctive = (node.op == "and") == want
            return _and(parts) if conjunctive else _or(parts)
        if isinstance(node, n.Call) and node.func == "missing":
            p = self.prop(node.args[0].id)  # type: ignore[attr-defined]
            return {"$nex": {p: 1}} if want else {"$ex": {p: 1}}
        if isinstance(node, n.Name):
            p = self.prop(node.id)
            return {p: want}
        if isinstance(node, n.Compare):
            return self.compare(node, want)
        p = self.lift(node)
        return {p: want}

    def compare(self, node: n.Compare, want: bool) -> Pattern:
        if node.op in ("in", "not in"):
            return self.membership(node, want if node.op == "in" else not want)
        op = node.op if want else n.NEGATED[node.op]
        lk, lv, lp = self.operand(node.left)
        rk, rv, rp = self.operand(node.right)
        if lk != "prop" and rk == "prop":
            (lk, lv, lp), (rk, rv, rp), op = (rk, rv, rp), (lk, lv, lp), _FLIP[op]
        if lk != "prop":  # arithmetic on both sides: the left side is computed first
            lv = self.lift(node.left)
            lp = [lv]
        if rk == "const" and rv is None:
            return FALSE
        right = {"$m": rv} if rk == "prop" else rv
        present = [{"$ex": {p: 1}} for p in dict.fromkeys(lp + rp)]
        cond = {lv: right} if op == "==" else {_OPS[op]: {lv: right}}
        return _and([*present, cond])

    def membership(self, node: n.Compare, want: bool) -> Pattern:
        """``left in right`` is ``want``; right a constant list or mapping (keys), else lifted."""
        if not self.is_constant(node.right):
            if isinstance(node.right, n.ListLit) and isinstance(node.left, n.Name):
                return self.list_literal(node, want)
            p = self.lift(n.Compare("in", node.left, node.right, text=node.text))
            return {p: want}
        container = self.fold(node.right)
        items = list(container.keys()) if isinstance(container, dict) else list(container or ())  # type: ignore[union-attr]
        kind, value, props = self.operand(node.left)
        if kind != "prop":
            p = self.lift(node.left)
            kind, value, props = "prop", p, [p]
        has_missing = any(i is None for i in items)
        values = [to_durable_value(i) for i in items if i is not None]
        present = {"$ex": {value: 1}}
        if want:
            return _or([{value: v} for v in values]) if values else FALSE
        if has_missing:
            return FALSE
        return _and([present, *({"$neq": {value: v}} for v in values)])

    def list_literal(self, node: n.Compare, want: bool) -> Pattern:
        """``x in [a, b, ...]`` with fields among the items: equality per item, SQL's NULL rules."""
        eq_true, eq_false = [], []
        for item in node.right.items:  # type: ignore[attr-defined]
            eq = n.Compare("==", node.left, item, text=f"{node.left.text} == {item.text}")
            eq_true.append(self.compare(eq, True))
            eq_false.append(self.compare(eq, False))
        return _or(eq_true) if want else _and(eq_false)


def _and(parts: list[Pattern]) -> Pattern:
    if any(p == FALSE for p in parts):
        return FALSE
    real = _flatten([p for p in parts if p != TRUE], "$and")
    if not real:
        return TRUE
    return real[0] if len(real) == 1 else {"$and": real}


def _or(parts: list[Pattern]) -> Pattern:
    if any(p == TRUE for p in parts):
        return TRUE
    real = _flatten([p for p in parts if p != FALSE], "$or")
    if not real:
        return FALSE
    return real[0] if len(real) == 1 else {"$or": real}


def _flatten(parts: list[Pattern], op: str) -> list[Pattern]:
    """``$and`` inside ``$and`` (or ``$or`` inside ``$or``) becomes one list."""
    out: list[Pattern] = []
    for p in parts:
        if isinstance(p, dict) and list(p) == [op]:
            out.extend(p[op])
        else:
            out.append(p)
    return out


def compile_rules(rules: list[PackRule], constants: Mapping[str, object], fields: set[str]) -> list[CompiledRule]:
    """Compile every rule of a pack (in pack order)."""
    return [RuleCompiler(i, rule, constants, fields).compile() for i, rule in enumerate(rules)]
