"""The reference evaluator: the semantic definition of the language, one candidate at a time.

Values are plain Python values; ``None`` is missing (and, for conditions, *unknown*).
``and``/``or``/``not`` follow Kleene's three-valued logic; comparisons with a missing operand
are unknown; arithmetic with a missing operand, or a division by zero, is missing. These are
SQL's NULL rules. Every other evaluator must agree with this one (differential tests).
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from screening.lang import nodes as n
from screening.lang.functions import business_days, days, rating

Env = Mapping[str, object]


def evaluate(node: n.Node, env: Env) -> object:
    """Evaluate ``node`` with names bound in ``env``; a name absent from env is missing."""
    return _EVAL[type(node)](node, env)  # type: ignore[operator]


def truth(node: n.Node, env: Env) -> bool | None:
    """Evaluate a condition: True, False, or None for unknown."""
    value = evaluate(node, env)
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"condition {node.text!r} gave {value!r}, not true/false")


def _const(node: n.Const, env: Env) -> object:
    return node.value


def _list(node: n.ListLit, env: Env) -> object:
    return tuple(evaluate(i, env) for i in node.items)


def _name(node: n.Name, env: Env) -> object:
    return env.get(node.id)


def _equal(a: object, b: object) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def compare(op: str, a: object, b: object) -> bool | None:
    """Compare two values with SQL's NULL rules."""
    if op in ("in", "not in"):
        found = _member(a, b)
        if found is None:
            return None
        return found if op == "in" else not found
    if a is None or b is None:
        return None
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    if op == ">=":
        return a >= b  # type: ignore[operator]
    raise ValueError(f"unknown comparison {op}")


def _member(a: object, container: object) -> bool | None:
    if container is None or a is None:
        return None
    if isinstance(container, dict):
        return a in container
    saw_missing = False
    for item in container:  # type: ignore[attr-defined]
        if item is None:
            saw_missing = True
        elif _equal(a, item):
            return True
    return None if saw_missing else False


def _compare(node: n.Compare, env: Env) -> object:
    return compare(node.op, evaluate(node.left, env), evaluate(node.right, env))


def _boolop(node: n.BoolOp, env: Env) -> object:
    unknown = False
    decisive = node.op == "or"  # the value that settles the result
    for v in node.values:
        t = truth(v, env)
        if t is None:
            unknown = True
        elif t is decisive:
            return decisive
    return None if unknown else not decisive


def _not(node: n.Not, env: Env) -> object:
    t = truth(node.operand, env)
    return None if t is None else not t


def _ifelse(node: n.IfElse, env: Env) -> object:
    c = truth(node.cond, env)
    if c is None:
        return None
    return evaluate(node.then if c else node.otherwise, env)


def arith(op: str, a: object, b: object) -> object:
    """``a op b`` for numbers; missing in, missing out; division by zero is missing."""
    if a is None or b is None:
        return None
    if op == "+":
        return a + b  # type: ignore[operator]
    if op == "-":
        return a - b  # type: ignore[operator]
    if op == "*":
        return a * b  # type: ignore[operator]
    if op == "/":
        if b == 0:
            return None
        return a / b  # type: ignore[operator]
    raise ValueError(f"unknown operator {op}")


def _arith(node: n.Arith, env: Env) -> object:
    return arith(node.op, evaluate(node.left, env), evaluate(node.right, env))


def _neg(node: n.Neg, env: Env) -> object:
    v = evaluate(node.operand, env)
    return None if v is None else -v  # type: ignore[operator]


def _subscript(node: n.Subscript, env: Env) -> object:
    m, k = evaluate(node.mapping, env), evaluate(node.key, env)
    if m is None or k is None or not isinstance(m, dict):
        return None
    return m.get(k)


def _call(node: n.Call, env: Env) -> object:
    if node.func == "missing":
        return evaluate(node.args[0], env) is None
    args = [evaluate(a, env) for a in node.args]
    if any(a is None for a in args):
        return None
    if node.func == "abs":
        return abs(args[0])  # type: ignore[arg-type]
    if node.func == "min":
        return min(args)  # type: ignore[type-var]
    if node.func == "max":
        return max(args)  # type: ignore[type-var]
    if node.func == "days":
        return days(args[0], args[1])  # type: ignore[arg-type]
    if node.func == "business_days":
        return business_days(args[0], args[1])  # type: ignore[arg-type]
    if node.func == "rating":
        return rating(args[0])  # type: ignore[arg-type]
    if node.func == "date":
        return dt.date.fromisoformat(args[0])  # type: ignore[arg-type]
    raise ValueError(f"unknown function {node.func}")


_EVAL = {
    n.Const: _const, n.ListLit: _list, n.Name: _name, n.Compare: _compare, n.BoolOp: _boolop,
    n.Not: _not, n.IfElse: _ifelse, n.Arith: _arith, n.Neg: _neg, n.Subscript: _subscript, n.Call: _call,
}
