"""The vectorised backend: evaluates each rule over whole columns with pandas nullable arrays.

pandas' ``boolean`` arrays implement Kleene logic for ``&``, ``|`` and ``~``; ``Float64``,
``Int64`` and ``string`` arrays propagate ``NA`` through arithmetic and comparisons. That is
the language's three-valued semantics, so a batch of any size is decided in a handful of
array operations per rule. Dates are compared as day ordinals. Outcomes must equal the
reference evaluator's (tests/test_differential.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from screening.engines import OutcomeMatrix
from screening.lang import nodes as n
from screening.lang.evaluate import _member
from screening.lang.functions import rating
from screening.pack.compiled import BUILTIN_NAMES, ResolvedPack

STRING = pd.StringDtype(na_value=pd.NA)


def _ordinal(value: object) -> object:
    return value.toordinal() if isinstance(value, dt.date) else value


def _kinds(values: object) -> set[str]:
    """The language types among some plain values (missing ignored)."""
    return {("bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__)
            for v in values if v is not None}  # type: ignore[union-attr]


def column(values: list[object], kind: str) -> pd.Series:
    """A typed column from plain values (None = missing)."""
    if kind in ("number", "integer"):
        return pd.Series([pd.NA if v is None else float(v) for v in values], dtype="Float64")  # type: ignore[arg-type]
    if kind == "bool":
        return pd.Series([pd.NA if v is None else v for v in values], dtype="boolean")
    if kind == "string":
        return pd.Series([pd.NA if v is None else v for v in values], dtype=STRING)
    if kind == "date":
        return pd.Series([pd.NA if v is None else v.toordinal() for v in values], dtype="Int64")  # type: ignore[union-attr]
    return pd.Series(values, dtype=object)  # lists


def constant(value: object, length: int) -> object:
    """Constants stay Python values; they broadcast in pandas operations."""
    return _ordinal(value)


class _Eval:
    def __init__(self, frame: pd.DataFrame, constants: Mapping[str, object]) -> None:
        self.frame = frame
        self.constants = constants
        self.length = len(frame)

    def series(self, value: object) -> pd.Series:
        if isinstance(value, pd.Series):
            return value
        if isinstance(value, bool):
            return pd.Series([value] * self.length, dtype="boolean")
        if isinstance(value, (int, float)):
            return pd.Series([float(value)] * self.length, dtype="Float64")
        if isinstance(value, str):
            return pd.Series([value] * self.length, dtype=STRING)
        if value is None:
            return pd.Series([pd.NA] * self.length, dtype="boolean")
        return pd.Series([value] * self.length, dtype=object)

    def ev(self, node: n.Node) -> object:  # noqa: C901 - one branch per node type
        if isinstance(node, n.Const):
            return _ordinal(node.value)
        if isinstance(node, n.Name):
            if node.id in self.frame.columns:
                return self.frame[node.id]
            value = self.constants.get(node.id)
            if isinstance(value, dict):
                return value
            return _ordinal(value)
        if isinstance(node, n.ListLit):
            return tuple(self.ev(i) for i in node.items)
        if isinstance(node, n.Compare):
            return self.compare(node)
        if isinstance(node, n.BoolOp):
            parts = [self.series(self.ev(v)).astype("boolean") for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if node.op == "and" else (out | p)
            return out
        if isinstance(node, n.Not):
            return ~self.series(self.ev(node.operand)).astype("boolean")
        if isinstance(node, n.IfElse):
            cond = self.series(self.ev(node.cond)).astype("boolean")
            then, other = self.ev(node.then), self.ev(node.otherwise)
            t = self.series(then)
            o = self.series(other)
            if t.dtype != o.dtype:
                if t.isna().all():
                    t = pd.Series([pd.NA] * self.length, dtype=o.dtype)
                elif o.isna().all():
                    o = pd.Series([pd.NA] * self.length, dtype=t.dtype)
                else:
                    t, o = t.astype(object), o.astype(object)
            yes = cond.fillna(False).to_numpy(dtype=bool)
            no = (~cond).fillna(False).to_numpy(dtype=bool)
            out = pd.Series(pd.array([pd.NA] * self.length, dtype=t.dtype))
            out[yes] = t[yes]
            out[no] = o[no]
            return out
        if isinstance(node, n.Arith):
            a, b = self.ev(node.left), self.ev(node.right)
            if a is None or b is None:
                return None
            a, b = self.num(a), self.num(b)
            if node.op == "+":
                return a + b
            if node.op == "-":
                return a - b
            if node.op == "*":
                return a * b
            zero = (self.series(b) == 0).fillna(False).to_numpy(dtype=bool)
            safe_b = self.series(b).mask(zero, 1.0)
            out = self.series(a) / safe_b
            return out.mask(zero, pd.NA)
        if isinstance(node, n.Neg):
            v = self.ev(node.operand)
            return None if v is None else -self.num(v)  # type: ignore[operator]
        if isinstance(node, n.Subscript):
            mapping, key = self.ev(node.mapping), self.ev(node.key)
            if not isinstance(mapping, dict):
                return None
            if isinstance(key, pd.Series):
                keys = [None if k is pd.NA else k for k in key.astype(object).tolist()]
                mapped = pd.Series([None if k is None else mapping.get(k) for k in keys], dtype=object)
                if len(_kinds(mapping.values())) > 1:  # values of several types: compare them row by row
                    return pd.Series([None if v is None else _ordinal(v) for v in mapped], dtype=object)
                return self.typed_objects(mapped)
            return _ordinal(mapping.get(key)) if key is not None else None
        if isinstance(node, n.Call):
            return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def num(self, value: object) -> object:
        if isinstance(value, pd.Series):
            return value.astype("Float64")
        return value

    def typed_objects(self, values: pd.Series) -> pd.Series:
        plain = [None if v is pd.NA else v for v in values]
        if len(_kinds(plain)) > 1:  # values of several types: keep them as they are
            return pd.Series(plain, dtype=object)
        sample = next((v for v in plain if v is not None), None)
        if isinstance(sample, bool):
            return column(plain, "bool")
        if isinstance(sample, (int, float)):
            return column(plain, "number")
        if isinstance(sample, str):
            return column(plain, "string")
        if isinstance(sample, dt.date):
            return column(plain, "date")
        if sample is None:
            return pd.Series([pd.NA] * len(plain), dtype="boolean")
        return pd.Series(plain, dtype=object)

    def compare(self, node: n.Compare) -> pd.Series:
        left, right = self.ev(node.left), self.ev(node.right)
        if node.op in ("in", "not in"):
            found = self.member(left, right)
            return found if node.op == "in" else ~found
        if left is None or right is None:
            return pd.Series([pd.NA] * self.length, dtype="boolean")
        a, b = self.series(left), right
        if isinstance(b, pd.Series) and (a.dtype == "boolean") != (b.dtype == "boolean"):
            both = a.notna() & b.notna()
            value = node.op == "!="
            return pd.Series(np.where(both, value, pd.NA), dtype="boolean")
        if a.dtype == object or (isinstance(b, pd.Series) and b.dtype == object):
            return self.elementwise(node.op, a, b)  # values of mixed types: the reference's rules, row by row
        if not isinstance(b, pd.Series) and isinstance(b, bool) != (a.dtype == "boolean"):
            value = node.op == "!="
            return pd.Series(np.where(a.notna(), value, pd.NA), dtype="boolean")
        if a.dtype == "boolean" and node.op in ("==", "!="):
            bb = self.series(b).astype("boolean")
            eq = ~(a ^ bb)
            return eq if node.op == "==" else ~eq
        op = {"<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__", "==": "__eq__", "!=": "__ne__"}[node.op]
        return getattr(a, op)(b).astype("boolean")

    def elementwise(self, op: str, a: pd.Series, b: object) -> pd.Series:
        from screening.lang.evaluate import compare
        right = b.astype(object).tolist() if isinstance(b, pd.Series) else [b] * self.length
        values = [compare(op, None if x is pd.NA else x, None if y is pd.NA else y)
                  for x, y in zip(a.astype(object).tolist(), right)]
        return pd.Series([pd.NA if v is None else v for v in values], dtype="boolean")

    def member(self, needle: object, container: object) -> pd.Series:
        if isinstance(container, dict):
            keys = list(container)
            s = self.series(needle)
            return s.isin(keys).astype("boolean").mask(s.isna(), pd.NA)
        if isinstance(container, tuple) and not any(isinstance(c, pd.Series) for c in container):
            s = self.series(needle)
            items = [c for c in container if c is not None]
            found = s.isin(items).astype("boolean") if items else pd.Series([False] * self.length, dtype="boolean")
            if any(c is None for c in container):
                found = found.mask(~found.fillna(False), pd.NA)
            return found.mask(s.isna(), pd.NA)
        if isinstance(container, tuple):  # list literal with columns: Kleene OR of equalities
            out = pd.Series([False] * self.length, dtype="boolean")
            for item in container:
                eq = self.compare_values(needle, item)
                out = out | eq
            return out
        if isinstance(container, pd.Series):  # a list field
            needles = self.series(needle).astype(object)
            values = [_member(None if a is pd.NA else a, None if c is pd.NA else c)
                      for a, c in zip(needles, container.astype(object))]
            return pd.Series([pd.NA if v is None else v for v in values], dtype="boolean")
        return pd.Series([pd.NA] * self.length, dtype="boolean")

    def compare_values(self, a: object, b: object) -> pd.Series:
        if a is None or b is None:
            return pd.Series([pd.NA] * self.length, dtype="boolean")
        return (self.series(a) == b).astype("boolean")

    def call(self, node: n.Call) -> object:
        if node.func == "missing":
            v = self.ev(node.args[0])
            if isinstance(v, pd.Series):
                return v.isna().astype("boolean")
            return pd.Series([v is None] * self.length, dtype="boolean")
        args = [self.ev(a) for a in node.args]
        if any(a is None for a in args):
            return None
        if node.func == "abs":
            return self.num(args[0]).abs() if isinstance(args[0], pd.Series) else abs(args[0])  # type: ignore[arg-type]
        if node.func in ("min", "max"):
            frame = pd.concat([self.series(self.num(a)).astype("Float64") for a in args], axis=1)
            return frame.min(axis=1, skipna=False) if node.func == "min" else frame.max(axis=1, skipna=False)
        if node.func == "days":
            a, b = self.series(args[0]), self.series(args[1])
            return (b.astype("Float64") - a.astype("Float64"))
        if node.func == "rating":
            v = args[0]
            if isinstance(v, pd.Series):
                ranks = [None if x is pd.NA else rating(x) for x in v.astype(object)]
                return column(ranks, "number")
            return rating(v)  # type: ignore[arg-type]
        if node.func == "date":
            return _ordinal(dt.date.fromisoformat(args[0]))  # type: ignore[arg-type]
        raise ValueError(f"unknown function {node.func}")


def evaluate_frame(node: n.Node, frame: pd.DataFrame, constants: Mapping[str, object]) -> pd.Series:
    """Evaluate ``node`` for every row of ``frame`` at once (constants broadcast)."""
    ev = _Eval(frame, constants)
    return ev.series(ev.ev(node))


def build_frame(resolved: ResolvedPack, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Typed columns for every field of the pack (and the flow's built-in names) from plain rows."""
    kinds = {name: f.spec.type.value for name, f in resolved.pack.fields.items()}
    kinds.update({k: v for k, v in BUILTIN_NAMES.items() if k != "as_of"})
    return pd.DataFrame({name: column([r.get(name) for r in rows], kind) for name, kind in kinds.items()},
                        index=pd.RangeIndex(len(rows)))


def decide_frame(resolved: ResolvedPack, frame: pd.DataFrame) -> pd.DataFrame:
    """Outcome names, one column per rule (pack order), one row per candidate."""
    constants = resolved.constants()
    out = {}
    for rule in resolved.pack.rules:
        req = evaluate_frame(rule.require, frame, constants).astype("boolean")
        req_na = req.isna().to_numpy()
        req_true = req.fillna(False).to_numpy(dtype=bool)
        outcome = np.where(req_na, "missing", np.where(req_true, "pass", "fail")).astype(object)
        if rule.applies_if is not None:
            app = evaluate_frame(rule.applies_if, frame, constants).astype("boolean")
            app_na = app.isna().to_numpy()
            app_false = (~app).fillna(False).to_numpy(dtype=bool)
            outcome = np.where(app_na, "missing", np.where(app_false, "not_applicable", outcome))
        out[rule.id] = outcome
    return pd.DataFrame(out, index=frame.index)


class VectorEngine:
    """Decides outcomes for a whole list at once with pandas."""

    name = "vector"

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        if not rows:
            return []
        table = decide_frame(resolved, build_frame(resolved, rows))
        return [list(map(str, r)) for r in table.to_numpy()]
