"""Load-time type checking of expressions against field and parameter types.

``sector > 3`` or ``irr in priority_sectors`` is an error here, before any candidate is read.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Mapping

from screening.lang import nodes as n


@dataclass(frozen=True)
class Type:
    """A type of the language: number, string, bool, date, list (of elem), mapping (to elem), any."""

    kind: str
    elem: "Type | None" = None

    def __str__(self) -> str:
        if self.kind in ("list", "mapping") and self.elem is not None and self.elem.kind != "any":
            return f"{self.kind} of {self.elem}"
        return self.kind


NUMBER, STRING, BOOL, DATE, ANY = Type("number"), Type("string"), Type("bool"), Type("date"), Type("any")
LIST_OF_STRING = Type("list", STRING)

FIELD_TYPES = {"string": STRING, "number": NUMBER, "integer": NUMBER, "bool": BOOL, "date": DATE, "list": LIST_OF_STRING}


def type_of_value(value: object) -> Type:
    """The language type of a parameter value (as YAML gives it)."""
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, dt.date):
        return DATE
    if isinstance(value, (list, tuple)):
        return Type("list", _common([type_of_value(v) for v in value]))
    if isinstance(value, dict):
        return Type("mapping", _common([type_of_value(v) for v in value.values()]))
    return ANY


def _common(types: list[Type]) -> Type:
    kinds = {t.kind for t in types}
    if len(kinds) == 1:
        return types[0]
    return ANY


class TypeErrors(ValueError):
    """Type problems of one expression: a list of (message, offending text)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{m}: `{p}`" for m, p in problems))
        self.problems = problems


def check_expression(node: n.Node, names: Mapping[str, Type], *, want: Type | None = BOOL) -> Type:
    """Infer the type of ``node`` and check it.

    Args:
        node: parsed expression.
        names: the type of every name in scope (fields, parameters, ``as_of``).
        want: the type the whole expression must have (``bool`` for conditions), or None.

    Returns:
        The inferred type.

    Raises:
        TypeErrors: listing every problem found.
    """
    checker = _Checker(names)
    result = checker.infer(node)
    if want is not None and not checker.problems and not _compatible(result, want):
        checker.problems.append((f"must be a {want} condition, but is a {result}", node.text))
    if checker.problems:
        raise TypeErrors(checker.problems)
    return result


def _compatible(a: Type, b: Type) -> bool:
    return a.kind == "any" or b.kind == "any" or a.kind == b.kind


class _Checker:
    def __init__(self, names: Mapping[str, Type]) -> None:
        self.names = names
        self.problems: list[tuple[str, str]] = []

    def err(self, message: str, node: n.Node) -> Type:
        self.problems.append((message, node.text))
        return ANY

    def infer(self, node: n.Node) -> Type:  # noqa: C901 - one branch per node type
        if isinstance(node, n.Const):
            return type_of_value(node.value) if node.value is not None else ANY
        if isinstance(node, n.ListLit):
            return Type("list", _common([self.infer(i) for i in node.items]) if node.items else ANY)
        if isinstance(node, n.Name):
            if node.id in self.names:
                return self.names[node.id]
            close = difflib.get_close_matches(node.id, list(self.names), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; if you meant the text, quote it: '{node.id}'"
            return self.err(f"unknown name '{node.id}' (not a declared field or parameter){hint}", node)
        if isinstance(node, n.Compare):
            return self._compare(node)
        if isinstance(node, n.BoolOp):
            for v in node.values:
                t = self.infer(v)
                if not _compatible(t, BOOL):
                    self.err(f"'{node.op}' needs true/false operands, but this is a {t}", v)
            return BOOL
        if isinstance(node, n.Not):
            t = self.infer(node.operand)
            if not _compatible(t, BOOL):
                self.err(f"'not' needs a true/false operand, but this is a {t}", node.operand)
            return BOOL
        if isinstance(node, n.IfElse):
            c = self.infer(node.cond)
            if not _compatible(c, BOOL):
                self.err(f"the condition of 'if' must be true/false, but is a {c}", node.cond)
            a, b = self.infer(node.then), self.infer(node.otherwise)
            if not _compatible(a, b):
                return self.err(f"both branches must have one type, not {a} and {b}", node)
            return a if a.kind != "any" else b
        if isinstance(node, n.Arith):
            for side in (node.left, node.right):
                t = self.infer(side)
                if not _compatible(t, NUMBER):
                    self.err(f"'{node.op}' needs numbers, but this is a {t}", side)
            return NUMBER
        if isinstance(node, n.Neg):
            t = self.infer(node.operand)
            if not _compatible(t, NUMBER):
                self.err(f"'-' needs a number, but this is a {t}", node.operand)
            return NUMBER
        if isinstance(node, n.Subscript):
            m = self.infer(node.mapping)
            k = self.infer(node.key)
            if m.kind == "any":
                return ANY
            if m.kind != "mapping":
                return self.err(f"only a mapping parameter can be subscripted, but this is a {m}", node.mapping)
            if not _compatible(k, STRING):
                self.err(f"mapping keys are strings, but this key is a {k}", node.key)
            return m.elem or ANY
        if isinstance(node, n.Call):
            return self._call(node)
        if isinstance(node, n.Aggregate):
            return self._aggregate(node)
        return self.err("not an expression of the language", node)

    def _aggregate(self, node: n.Aggregate) -> Type:
        if node.arg is not None:
            t = self.infer(node.arg)
            want = BOOL if node.func == "count" else NUMBER
            if not _compatible(t, want):
                what = "a true/false condition" if node.func == "count" else "numbers"
                self.err(f"{node.func}() takes {what}, but this is a {t}", node.arg)
        if node.where is not None:
            t = self.infer(node.where)
            if not _compatible(t, BOOL):
                self.err(f"where= takes a true/false condition, but this is a {t}", node.where)
        return NUMBER

    def _compare(self, node: n.Compare) -> Type:
        left, right = self.infer(node.left), self.infer(node.right)
        if node.op in ("in", "not in"):
            if right.kind == "mapping":
                if not _compatible(left, STRING):
                    self.err(f"mapping keys are strings; cannot look up a {left}", node)
            elif right.kind == "list":
                elem = right.elem or ANY
                if not _compatible(left, elem):
                    self.err(f"cannot look for a {left} in a {right}", node)
            elif right.kind != "any":
                self.err(f"the right side of '{node.op}' must be a list or a mapping, not a {right}", node.right)
            return BOOL
        if not _compatible(left, right):
            return self.err(f"cannot compare a {left} with a {right}", node) or BOOL
        kind = left.kind if left.kind != "any" else right.kind
        if node.op in ("<", "<=", ">", ">=") and kind not in ("number", "date", "any"):
            self.err(f"'{node.op}' orders numbers or dates, not {kind}s", node)
        if kind in ("list", "mapping"):
            self.err(f"cannot compare {kind}s with '{node.op}'", node)
        return BOOL

    def _call(self, node: n.Call) -> Type:
        types = [self.infer(a) for a in node.args]
        f = node.func
        if f == "missing":
            return BOOL
        if f in ("days", "business_days"):
            for a, t in zip(node.args, types):
                if not _compatible(t, DATE):
                    self.err(f"{f}() takes dates, but this is a {t}", a)
            return NUMBER
        if f == "abs":
            if not _compatible(types[0], NUMBER):
                self.err(f"abs() takes a number, but this is a {types[0]}", node.args[0])
            return NUMBER
        if f in ("min", "max"):
            known = [t for t in types if t.kind != "any"]
            kinds = {t.kind for t in known}
            if len(kinds) > 1 or (kinds and kinds - {"number", "date"}):
                return self.err(f"{f}() takes numbers or dates of one kind, not {', '.join(str(t) for t in types)}", node)
            return known[0] if known else ANY
        if f == "rating":
            if not _compatible(types[0], STRING):
                self.err(f"rating() takes a rating string such as 'BBB-', but this is a {types[0]}", node.args[0])
            return NUMBER
        return self.err(f"unknown function {f}", node)
