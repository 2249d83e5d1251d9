"""Evaluate an expression over whole columns at once, with the reference evaluator's semantics.

Each node becomes a handful of numpy operations on values plus a missing mask
(:mod:`screening.engines.vector_columns`); ``and``/``or``/``not`` are pandas ``boolean`` array
operations, which are Kleene's logic. Subtrees that read no column (parameters, ``as_of``,
literals) are folded once by the reference evaluator itself. Values whose type the fast paths
do not cover (a mapping parameter with mixed value types, a comparison across types) are
evaluated row by row with the reference's own functions, so they cannot disagree with it.

Where the reference raises ``TypeError`` (``'a' < 1``), a row here is missing: the reference
may never reach that part for a row (``and``/``or`` short-circuit), and a batch must not fail
for a row that the reference would have decided.
"""

from __future__ import annotations

import datetime as dt
import operator
from itertools import chain
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from screening.engines.vector_columns import (
    TYPED,
    Col,
    Scalar,
    Vec,
    broadcast,
    from_python,
    from_series,
    kind_of,
    raw,
    take,
    to_array,
    to_list,
    to_objects,
)
from screening.lang import nodes as n
from screening.lang.evaluate import _equal, _member, arith, compare, evaluate
from screening.lang.functions import business_days, days, rating

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
          "!=": operator.ne}
_EPOCH = dt.date(1970, 1, 1).toordinal()
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _safe(func: Callable[..., object], *args: object) -> object:
    """``func(*args)``; a TypeError (the reference's error for ill-typed values) is missing."""
    try:
        return func(*args)
    except (TypeError, AttributeError):
        return None


def _subscript(mapping: object, key: object) -> object:
    if mapping is None or key is None or not isinstance(mapping, dict):
        return None
    return mapping.get(key)


def _if_else(cond: object, then: object, otherwise: object) -> object:
    return None if cond is None else (then if cond else otherwise)


def _call_plain(func: str) -> Callable[..., object]:
    """The reference's function ``func`` on plain values, missing in, missing out."""
    impl: Callable[..., object] = {"abs": abs, "min": lambda *a: min(a), "max": lambda *a: max(a), "days": days, "business_days": business_days,  # type: ignore[assignment]
                                   "rating": rating, "date": dt.date.fromisoformat}[func]

    def call(*args: object) -> object:
        return None if any(a is None for a in args) else impl(*args)
    return call


class FrameEvaluator:
    """Evaluates expression trees over one frame; columns are converted once and shared.

    Args:
        frame: one row per candidate.
        constants: parameters and ``as_of``; a name here wins over a column of the same name,
            as in the reference evaluator.
        kinds: declared kind (pack field type) of columns, by name; others are inferred.
    """

    def __init__(self, frame: pd.DataFrame, constants: Mapping[str, object],
                 kinds: Mapping[str, str] | None = None) -> None:
        self.frame = frame
        self.length = len(frame)
        self.constants = dict(constants)
        self.kinds = dict(kinds or {})
        self.columns: dict[str, Vec] = {}
        self.names = set(frame.columns) - set(self.constants)
        self._reads: dict[int, bool] = {}
        self._cache: dict[tuple[str, int], object] = {}  # (what, id(values)) -> exploded lists, factorized codes

    def add(self, name: str, vec: Vec) -> None:
        """Make ``vec`` readable as column ``name`` (a derived field)."""
        self.columns[name] = vec
        if name not in self.constants:
            self.names.add(name)
        self._reads.clear()

    def column(self, name: str) -> Vec:
        if name not in self.columns:
            self.columns[name] = from_series(self.frame[name], self.kinds.get(name))
        return self.columns[name]

    def reads_columns(self, node: n.Node) -> bool:
        key = id(node)
        if key not in self._reads:
            self._reads[key] = any(name in self.names for name in node.names())
        return self._reads[key]

    # --- dispatch --------------------------------------------------------------------------

    def evaluate(self, node: n.Node) -> Vec:
        """The value of ``node`` for every row."""
        if not self.reads_columns(node):
            return Scalar(_safe(evaluate, node, self.constants))
        if isinstance(node, n.Name):
            return self.column(node.id)
        if isinstance(node, n.Compare):
            if node.op in ("in", "not in"):
                found = self.member_node(node.left, node.right)
                return found if node.op == "in" else self.not_(found)
            return self.compare(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, n.BoolOp):
            combine = self.and_ if node.op == "and" else self.or_
            result = self.truth(node.values[0])
            for value in node.values[1:]:
                result = combine(result, self.truth(value))
            return result
        if isinstance(node, n.Not):
            return self.not_(self.truth(node.operand))
        if isinstance(node, n.IfElse):
            return self.if_else(node)
        if isinstance(node, n.Arith):
            return self.arith(node.op, self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, n.Neg):
            value = self.evaluate(node.operand)
            if isinstance(value, Col) and value.kind == "number":
                return Col("number", np.negative(value.values), value.mask)
            return self.rowwise(lambda v: None if v is None else -v, value)  # type: ignore[operator]
        if isinstance(node, n.Subscript):
            return self.subscript(self.evaluate(node.mapping), self.evaluate(node.key))
        if isinstance(node, n.Call):
            return self.call(node)
        if isinstance(node, n.ListLit):
            return self.rowwise(lambda *items: tuple(items), *(self.evaluate(i) for i in node.items))
        raise TypeError(f"not an expression node: {node!r}")

    def truth(self, node: n.Node) -> Vec:
        """A condition: a ``bool`` column or a True/False/None constant."""
        return self.as_bool(self.evaluate(node), node)

    def as_bool(self, vec: Vec, node: n.Node) -> Vec:
        if isinstance(vec, Scalar):
            if vec.value is None or isinstance(vec.value, bool):
                return vec
        elif vec.kind == "bool":
            return vec
        elif vec.kind == "object":
            return self.rowwise(lambda v: v if isinstance(v, bool) else None, vec)
        raise TypeError(f"condition {node.text!r} gives a {kind_of(vec)}, not true/false")

    def rowwise(self, func: Callable[..., object], *vecs: Vec) -> Vec:
        """``func`` on the plain values of each row (the slow path, for mixed types)."""
        columns = [to_list(v, self.length) for v in vecs]
        return from_python([_safe(func, *args) for args in zip(*columns)]) if vecs else Scalar(None)

    # --- logic -----------------------------------------------------------------------------

    def _boolean(self, vec: Vec) -> object:
        if isinstance(vec, Scalar):
            return pd.NA if vec.value is None else vec.value
        return pd.arrays.BooleanArray(vec.values, vec.mask)

    def _from_boolean(self, result: object) -> Vec:
        if isinstance(result, pd.arrays.BooleanArray):
            return Col("bool", result.to_numpy(dtype=bool, na_value=False), result.isna())
        return Scalar(None if result is pd.NA else bool(result))

    def and_(self, a: Vec, b: Vec) -> Vec:
        """Kleene conjunction (pandas ``boolean`` arrays implement it)."""
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            return Scalar(False if False in (a.value, b.value) else None if None in (a.value, b.value) else True)
        return self._from_boolean(self._boolean(a) & self._boolean(b))  # type: ignore[operator]

    def or_(self, a: Vec, b: Vec) -> Vec:
        """Kleene disjunction."""
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            return Scalar(True if True in (a.value, b.value) else None if None in (a.value, b.value) else False)
        return self._from_boolean(self._boolean(a) | self._boolean(b))  # type: ignore[operator]

    def not_(self, a: Vec) -> Vec:
        """Kleene negation: unknown stays unknown."""
        if isinstance(a, Scalar):
            return Scalar(None if a.value is None else not a.value)
        return Col("bool", ~a.values, a.mask)

    def if_else(self, node: n.IfElse) -> Vec:
        cond = self.truth(node.cond)
        if isinstance(cond, Scalar):
            if cond.value is None:
                return Scalar(None)
            return self.evaluate(node.then if cond.value else node.otherwise)
        then, otherwise = self.evaluate(node.then), self.evaluate(node.otherwise)
        kinds = {kind_of(then), kind_of(otherwise)} - {"null"}
        if not kinds:
            return Scalar(None)
        kind = kinds.pop()
        if kinds or kind == "mapping":
            return self.rowwise(_if_else, cond, then, otherwise)
        a, b = broadcast(then, kind, self.length), broadcast(otherwise, kind, self.length)
        yes = cond.values & ~cond.mask  # type: ignore[union-attr]
        return Col(kind, np.where(yes, a.values, b.values), cond.mask | np.where(yes, a.mask, b.mask))  # type: ignore[union-attr]

    # --- comparisons ---------------------------------------------------------------------------

    def compare(self, op: str, a: Vec, b: Vec) -> Vec:
        """``a op b`` for one of ``< <= > >= == !=``; missing on either side is unknown."""
        if (isinstance(a, Scalar) and a.value is None) or (isinstance(b, Scalar) and b.value is None):
            return Scalar(None)
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            return Scalar(_safe(compare, op, a.value, b.value))
        if isinstance(a, Scalar):
            a, b, op = b, a, _FLIP[op]
        kind = a.kind  # type: ignore[union-attr]
        if kind not in TYPED or kind_of(b) != kind:
            return self.rowwise(lambda x, y: compare(op, x, y), a, b)
        other = raw(b.value, kind) if isinstance(b, Scalar) else b.values
        mask = a.mask if isinstance(b, Scalar) else a.mask | b.mask  # type: ignore[union-attr]
        with np.errstate(all="ignore"):
            values = _ORDER[op](a.values, other)  # type: ignore[arg-type, union-attr]
        return Col("bool", np.asarray(values, dtype=bool), mask)

    def member_node(self, needle_node: n.Node, container_node: n.Node) -> Vec:
        needle = self.evaluate(needle_node)
        if isinstance(container_node, n.ListLit) and self.reads_columns(container_node):
            # [a, b, ...] with columns in it: Kleene OR of the equalities is SQL's IN.
            found: Vec = Scalar(False)
            for item in container_node.items:
                found = self.or_(found, self.compare("==", needle, self.evaluate(item)))
            if isinstance(needle, Scalar):
                return found if needle.value is not None else Scalar(None)
            found = broadcast(found, "bool", self.length)
            return Col("bool", found.values, found.mask | needle.mask)
        return self.member(needle, self.evaluate(container_node))

    def member(self, needle: Vec, container: Vec) -> Vec:
        """SQL membership: a missing needle or container is unknown; so is a non-match in a
        list that holds a missing element."""
        if isinstance(container, Col):
            if container.kind == "list":
                return self.member_list(needle, container)
            return self.rowwise(_member, needle, container)
        items = container.value
        if items is None:
            return Scalar(None)
        if isinstance(needle, Scalar):
            return Scalar(_safe(_member, needle.value, items))
        kind = needle.kind
        if isinstance(items, dict) and kind == "string" and all(isinstance(k, str) for k in items):
            wanted, saw_missing = list(items), False
        elif isinstance(items, tuple) and kind in TYPED:
            wanted = [raw(i, kind) for i in items if kind_of(Scalar(i)) == kind and i == i]  # NaN matches nothing
            saw_missing = any(i is None for i in items)
        else:
            return self.rowwise(lambda a: _member(a, items), needle)
        if kind == "string":
            found = pd.Series(needle.values, copy=False).isin(wanted).to_numpy()
        else:
            found = np.isin(needle.values, np.array(wanted, dtype=needle.values.dtype))
        mask = needle.mask | (~found if saw_missing else False)
        return Col("bool", found, mask)

    def _explode(self, lists: Col) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Every element of a list column: (elements, owning row, rows holding a missing element,
        whether all elements are strings); computed once per column."""
        key = ("explode", id(lists.values))
        if key not in self._cache:
            values = lists.values
            sizes = np.fromiter((0 if t is None else len(t) for t in values), dtype=np.int64, count=len(values))
            flat = np.fromiter(chain.from_iterable(t for t in values if t is not None), dtype=object,
                               count=int(sizes.sum()))
            owner = np.repeat(np.arange(len(values)), sizes)
            none = np.fromiter((x is None for x in flat), dtype=bool, count=len(flat))
            holes = np.bincount(owner[none], minlength=len(values)) > 0
            all_str = all(issubclass(t, str) for t in set(map(type, flat)) - {type(None)})
            self._cache[key] = (flat, owner, holes, all_str, values)  # values: keeps id() valid
        flat, owner, holes, all_str, _ = self._cache[key]  # type: ignore[misc]
        return flat, owner, holes, all_str

    def member_list(self, needle: Vec, lists: Col) -> Vec:
        flat, owner, holes, all_str = self._explode(lists)
        if isinstance(needle, Scalar):
            if needle.value is None:
                return Scalar(None)
            value, needle_mask = needle.value, lists.mask
            if all_str:
                equal = (flat == value) if isinstance(value, str) else np.zeros(len(flat), dtype=bool)
            else:
                equal = np.fromiter((x is not None and _equal(value, x) for x in flat), dtype=bool, count=len(flat))
        else:
            needle_mask = needle.mask
            wanted = to_objects(needle)[owner]
            if all_str and needle.kind == "string":
                equal = np.asarray(flat == wanted, dtype=bool)
            else:
                equal = np.fromiter((x is not None and y is not None and _equal(y, x) for x, y in zip(flat, wanted)),
                                    dtype=bool, count=len(flat))
        found = np.bincount(owner[equal], minlength=self.length) > 0
        return Col("bool", found, lists.mask | needle_mask | (holes & ~found))

    # --- arithmetic, lookups, functions ----------------------------------------------------------

    def _numbers(self, *vecs: Vec) -> list[tuple[object, object]] | None:
        """(values, mask) of each operand if all are numbers, else None."""
        out = []
        for vec in vecs:
            if isinstance(vec, Col):
                if vec.kind != "number":
                    return None
                out.append((vec.values, vec.mask))
            elif kind_of(vec) == "number":
                try:
                    out.append((float(vec.value), False))  # type: ignore[arg-type]
                except OverflowError:
                    return None
            else:
                return None
        return out  # type: ignore[return-value]

    def arith(self, op: str, a: Vec, b: Vec) -> Vec:
        """``a op b`` on numbers; missing in, missing out; division by zero is missing."""
        if (isinstance(a, Scalar) and a.value is None) or (isinstance(b, Scalar) and b.value is None):
            return Scalar(None)
        if isinstance(a, Scalar) and isinstance(b, Scalar):
            return Scalar(_safe(arith, op, a.value, b.value))
        numbers = self._numbers(a, b)
        if numbers is None:
            return self.rowwise(lambda x, y: arith(op, x, y), a, b)
        (av, am), (bv, bm) = numbers
        mask = np.logical_or(am, bm)  # type: ignore[call-overload]
        with np.errstate(all="ignore"):
            if op == "/":
                zero = np.equal(bv, 0)  # type: ignore[call-overload]
                mask = mask | zero
                values = np.divide(av, np.where(zero, 1.0, bv))  # type: ignore[call-overload]
            else:
                values = {"+": np.add, "-": np.subtract, "*": np.multiply}[op](av, bv)  # type: ignore[call-overload]
        return Col("number", np.broadcast_to(values, (self.length,)).astype(np.float64),
                   np.broadcast_to(mask, (self.length,)).copy())

    def per_distinct(self, vec: Vec, func: Callable[[object], object]) -> Vec:
        """``func`` once per distinct value of a typed column, spread back to the rows."""
        if isinstance(vec, Scalar) or vec.kind not in TYPED:
            return self.rowwise(lambda v: None if v is None else func(v), vec)
        key = ("factorize", id(vec.values))
        if key not in self._cache:
            codes, uniques = pd.factorize(vec.values)
            codes = np.where(vec.mask, -1, codes)  # -1 picks the missing value appended below
            plain = to_list(Col(vec.kind, np.asarray(uniques), np.zeros(len(uniques), dtype=bool)), len(uniques))
            self._cache[key] = (codes, plain, vec.values)
        codes, plain, _ = self._cache[key]  # type: ignore[misc]
        return take(from_python([_safe(func, u) for u in plain] + [None]), codes)

    def subscript(self, mapping: Vec, key: Vec) -> Vec:
        """``mapping[key]``: an absent key is missing."""
        if isinstance(mapping, Col):
            return self.rowwise(_subscript, mapping, key)
        table = mapping.value
        if not isinstance(table, dict):
            return Scalar(None)
        if isinstance(key, Scalar):
            return Scalar(_safe(_subscript, table, key.value))
        return self.per_distinct(key, table.get)

    def call(self, node: n.Call) -> Vec:
        if node.func == "missing":
            value = self.evaluate(node.args[0])
            if isinstance(value, Scalar):
                return Scalar(value.value is None)
            return Col("bool", value.mask.copy(), np.zeros(self.length, dtype=bool))
        args = [self.evaluate(a) for a in node.args]
        if any(isinstance(a, Scalar) and a.value is None for a in args):
            return Scalar(None)
        plain = _call_plain(node.func)
        if node.func in ("rating", "date"):
            return self.per_distinct(args[0], plain)
        if node.func == "abs":
            if self._numbers(args[0]) is None or isinstance(args[0], Scalar):
                return self.rowwise(plain, args[0])
            return Col("number", np.abs(args[0].values), args[0].mask)
        if node.func == "days":
            if kind_of(args[0]) != "date" or kind_of(args[1]) != "date":
                return self.rowwise(plain, *args)
            a, b = (broadcast(v, "date", self.length) for v in args)
            return Col("number", (b.values - a.values).astype(np.float64), a.mask | b.mask)
        if node.func == "business_days":
            if kind_of(args[0]) != "date" or kind_of(args[1]) != "date":
                return self.rowwise(plain, *args)
            a, b = (broadcast(v, "date", self.length) for v in args)
            mask = a.mask | b.mask
            # weekdays in (a, b]: numpy counts [begin, end) forwards, so shift both ends by a day;
            # backwards (b < a) it counts (end, begin], which is already -(weekdays in (b, a])
            start = np.where(mask, 0, a.values - _EPOCH).astype("datetime64[D]")
            end = np.where(mask, 0, b.values - _EPOCH).astype("datetime64[D]")
            one = np.timedelta64(1, "D")
            counts = np.where(end >= start, np.busday_count(start + one, end + one), np.busday_count(start, end))
            return Col("number", counts.astype(np.float64), mask)
        if node.func in ("min", "max"):
            kinds = {kind_of(a) for a in args}
            if len(kinds) != 1 or kinds - {"number", "date"}:
                return self.rowwise(plain, *args)
            kind = kinds.pop()
            cols = [broadcast(a, kind, self.length) for a in args]
            # Python's min keeps the first of equals and replaces only when ``item < best``
            better = operator.lt if node.func == "min" else operator.gt
            values, mask = cols[0].values, cols[0].mask
            with np.errstate(all="ignore"):
                for col in cols[1:]:
                    values = np.where(better(col.values, values), col.values, values)
                    mask = mask | col.mask
            return Col(kind, values, mask)
        raise ValueError(f"unknown function {node.func}")


def evaluate_frame(node: n.Node, frame: pd.DataFrame, constants: Mapping[str, object],
                   kinds: Mapping[str, str] | None = None) -> pd.Series:
    """Evaluate an expression for every row of ``frame`` at once.

    Args:
        node: the expression tree.
        frame: one row per candidate; columns typed as
            :func:`screening.engines.vector.build_frame` makes them (numbers ``Float64``,
            booleans ``boolean``, strings ``string``, dates ``Int64`` day ordinals, lists
            object columns of tuples).
        constants: parameters and ``as_of`` (they broadcast; a name here wins over a column).
        kinds: pack field types of columns by name, where the dtype alone is ambiguous.

    Returns:
        One value per row, index of ``frame``: ``Float64`` numbers, ``boolean`` conditions
        (``NA`` = unknown), ``string``, ``Int64`` day ordinals for dates, object otherwise.
    """
    vec = FrameEvaluator(frame, constants, kinds).evaluate(node)
    return pd.Series(to_array(vec, len(frame)), index=frame.index, copy=False)
