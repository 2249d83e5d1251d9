"""Explanations over whole columns: messages, values read and fixes, from a :class:`Trace`.

The outcomes are already decided (the trace's code matrix); this module only words them. For
each rule and each outcome it takes the rows with that outcome and builds their messages from
the columns at once — a rule's template filled from column values, or the generated wording of
:mod:`screening.explain` with every sub-condition evaluated over the column
(:class:`~screening.engines.vector_eval.FrameEvaluator`) instead of candidate by candidate. The
results equal :func:`screening.explain.message_for`, :func:`~screening.explain.values_read` and
:func:`~screening.explain.find_fix` value for value (tests/test_explain_columns.py).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from screening.engines.vector_columns import Col, Scalar, Vec, to_list
from screening.engines.vector_eval import FrameEvaluator
from screening.explain import Fix, jsonable, render_template, show
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.pack.compiled import PackRule
from screening.trace import FAIL, MISSING, NOT_APPLICABLE, OUTCOMES, PASS, Trace, field_kinds

encode_json: Callable[[object], str] = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_FLOAT = float.__repr__
_INT = int.__repr__
_STR = json.encoder.encode_basestring  # type: ignore[attr-defined]  # what JSONEncoder(ensure_ascii=False) uses
_INF = float("inf")
_TRUE, _FALSE, _UNKNOWN = 1, 0, -1


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def int_valued(node: n.Node, int_names: set[str] | Mapping[str, object], constants: Mapping[str, object]) -> bool:
    """Whether the reference evaluator gives a Python ``int`` for ``node`` whenever it gives a number.

    The columns hold numbers as floats; a value read from them is shown as the reference would
    hold it (``{count}`` prints ``3``, not ``3.0``), so integer-valued expressions are known.
    ``int_names`` are the columns holding integers (integer fields, and derived values found so).
    """
    def is_int(x: n.Node) -> bool:
        if isinstance(x, n.Const):
            return _is_int(x.value)
        if isinstance(x, n.Name):
            if x.id in constants:
                return _is_int(constants[x.id])
            return x.id in int_names
        if isinstance(x, n.Arith):
            return x.op != "/" and is_int(x.left) and is_int(x.right)
        if isinstance(x, n.Neg):
            return is_int(x.operand)
        if isinstance(x, n.IfElse):
            return is_int(x.then) and is_int(x.otherwise)
        if isinstance(x, n.Call):
            if x.func == "days":
                return True
            if x.func in ("abs", "min", "max"):
                return all(is_int(a) for a in x.args)
            return x.func == "rating"
        if isinstance(x, n.Subscript) and isinstance(x.mapping, n.Name) and x.mapping.id in constants:
            table = constants[x.mapping.id]
            return isinstance(table, dict) and all(_is_int(v) for v in table.values())
        return False
    return is_int(node)


def int_names(resolved) -> set[str]:  # noqa: ANN001 - ResolvedPack
    """Columns whose values the reference holds as ``int``: integer fields, derived numbers that
    only add, subtract or multiply integers, and decision tables whose values are all integers."""
    pack = resolved.pack
    constants = resolved.constants()
    out = {name for name, f in pack.fields.items() if f.spec.type.value == "integer"}
    tables = getattr(pack, "tables", {})
    for name in pack.derive_order:
        if name in tables:
            table = tables[name]
            thens = [row.then for row in table.rows] + ([table.else_value] if table.else_value is not None else [])
            if table.output == "integer" or (table.output == "number" and thens and all(_is_int(t) for t in thens)):
                out.add(name)
        elif pack.fields[name].spec.type.value == "number" and int_valued(pack.fields[name].derive, out, constants):
            out.add(name)
    return out


@dataclass
class _Else:
    then: object


def _as_ints(values: list[object]) -> list[object]:
    return [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]


class ColumnExplainer:
    """Messages, values read and fixes for the candidates of one trace, built per rule over columns."""

    def __init__(self, trace: Trace, *, general_fixes: bool = False) -> None:
        self.trace = trace
        self.general_fixes = general_fixes
        self.resolved = trace.resolved
        self.pack = trace.resolved.pack
        self.constants = trace.resolved.constants()
        self.kinds = field_kinds(trace.resolved)
        self.length = len(trace)
        self.evaluator = FrameEvaluator(trace.frame, self.constants, self.kinds)
        self.int_names = int_names(trace.resolved)
        tables = getattr(self.pack, "tables", {})
        self.mixed_tables = {name for name, t in tables.items() if t.output == "number" and name not in self.int_names
                             and any(_is_int(r.then) for r in t.rows + [_Else(t.else_value)])}
        self._python: dict[str, list[object]] = {}
        self._encoded: dict[str, np.ndarray | str] = {}
        self._table_entries: dict[str, list[dict[str, object]]] = {}
        self._vectors: dict[int, Vec] = {}
        self._truths: dict[int, np.ndarray] = {}
        self._messages: dict[int, np.ndarray] = {}
        self._fixes: dict[tuple[str, int], dict[int, Fix]] = {}

    # --- values as the reference evaluator holds them ---------------------------------------

    def python(self, name: str) -> list[object]:
        """Column ``name`` as plain Python values (None = missing), typed as the reference holds them."""
        if name not in self._python:
            if name in self.constants:
                values = [self.constants[name]] * self.length
            elif name in self.trace.frame.columns:
                values = to_list(self.evaluator.column(name), self.length)
                if name in self.int_names:
                    values = _as_ints(values)
                elif name in self.mixed_tables:  # number tables with int and float values: as each row gives
                    from screening.tables.decide import table_value
                    table = self.pack.tables[name]
                    values = [None if v is None else table_value(table, self.env(i, upto=name))
                              for i, v in enumerate(values)]
            else:
                values = [None] * self.length
            self._python[name] = values  # type: ignore[assignment]
        return self._python[name]

    def env(self, i: int, upto: str | None = None) -> dict[str, object]:
        """One candidate's environment, as :func:`screening.derive.with_derived` and the constants make
        it (``upto``: only the columns a derived value ``upto`` may read, those before it)."""
        names = list(self.trace.frame.columns)
        if upto is not None:
            later = set(self.pack.derive_order[self.pack.derive_order.index(upto):])
            names = [x for x in names if x not in later]
        row = {name: self.python(name)[i] for name in names}
        return {**row, **self.constants}

    def vector(self, node: n.Node) -> Vec:
        key = id(node)
        if key not in self._vectors:
            self._vectors[key] = self.evaluator.evaluate(node)
        return self._vectors[key]

    def values_of(self, node: n.Node, idx: np.ndarray) -> list[object]:
        """``evaluate(node, env)`` for the rows ``idx``."""
        if isinstance(node, n.Name):
            values = self.python(node.id)
            return [values[i] for i in idx.tolist()]
        vec = self.vector(node)
        if isinstance(vec, Scalar):
            return [vec.value] * len(idx)
        picked = to_list(Col(vec.kind, vec.values[idx], vec.mask[idx]), len(idx))
        return _as_ints(picked) if int_valued(node, self.int_names, self.constants) else picked

    def truths(self, node: n.Node) -> np.ndarray:
        """``truth(node, env)`` for every row: 1 True, 0 False, -1 unknown."""
        key = id(node)
        if key not in self._truths:
            vec = self.evaluator.truth(node)
            if isinstance(vec, Scalar):
                code = _UNKNOWN if vec.value is None else (_TRUE if vec.value else _FALSE)
                out = np.full(self.length, code, dtype=np.int8)
            else:
                out = np.where(vec.mask, _UNKNOWN, np.where(vec.values, _TRUE, _FALSE)).astype(np.int8)
            self._truths[key] = out
        return self._truths[key]

    # --- messages ----------------------------------------------------------------------------

    def messages(self, j: int) -> np.ndarray:
        """The message of rule ``j`` for every candidate (object array of str)."""
        if j not in self._messages:
            rule = self.pack.rules[j]
            column = self.trace.codes[:, j]
            out = np.empty(self.length, dtype=object)
            for code, outcome in enumerate(OUTCOMES):
                idx = np.flatnonzero(column == code)
                if len(idx):
                    out[idx] = self.messages_for(rule, outcome, idx)
            self._messages[j] = out
        return self._messages[j]

    def messages_for(self, rule: PackRule, outcome: str, idx: np.ndarray) -> list[str]:
        """:func:`screening.explain.message_for` for the rows ``idx``, all with ``outcome``."""
        if rule.spec.message is not None:
            template = {"pass": rule.spec.message.pass_, "fail": rule.spec.message.fail,
                        "missing": rule.spec.message.missing,
                        "not_applicable": rule.spec.message.not_applicable}[outcome]
            if template is not None:
                return self.fill(template, idx)
        if outcome == "not_applicable":
            return ["does not apply: " + s for s in self.explain(rule.applies_if, False, idx)]  # type: ignore[arg-type]
        if outcome == "missing":
            return self._missing_messages(rule, idx)
        return self.explain(rule.require, outcome == "pass", idx)

    def fill(self, template: str, idx: np.ndarray) -> list[str]:
        """A message template filled for the rows ``idx`` (missing values read 'missing')."""
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError:
            parts = []
        plain = parts and all(f is None or (f.isidentifier() and c is None and "{" not in (s or ""))
                              for _, f, s, c in parts)
        if not plain:
            names = list(self.trace.frame.columns)
            rows = idx.tolist()
            return [render_template(template, {**{k: self.python(k)[i] for k in names}, **self.constants})
                    for i in rows]
        pieces: list[tuple[str, list[object] | None, str]] = []
        for literal, name, spec, _ in parts:
            values = None if name is None else self.values_of(n.Name(id=name), idx)
            pieces.append((literal, values, spec or ""))
        out = []
        for k in range(len(idx)):
            text = []
            for literal, values, spec in pieces:
                text.append(literal)
                if values is not None:
                    text.append(_format(values[k], spec))
            out.append("".join(text))
        return out

    def _missing_messages(self, rule: PackRule, idx: np.ndarray) -> list[str]:
        out: list[str] = [""] * len(idx)
        if rule.applies_if is not None:
            in_applies = self.truths(rule.applies_if)[idx] == _UNKNOWN
        else:
            in_applies = np.zeros(len(idx), dtype=bool)
        for node, sel in ((rule.applies_if, in_applies), (rule.require, ~in_applies)):
            positions = np.flatnonzero(sel)
            if node is None or not len(positions):
                continue
            rows = idx[positions]
            absent = [(name, self._absent(name, rows)) for name in node.names()]
            for k, p in enumerate(positions.tolist()):
                names = [name for name, miss in absent if miss[k]]
                out[p] = ("cannot decide: no value for " + ", ".join(names) if names
                          else f"cannot decide: `{node.text}` is unknown")
        return out

    def _absent(self, name: str, rows: np.ndarray) -> np.ndarray:
        if name in self.constants:
            return np.full(len(rows), self.constants[name] is None)
        if name not in self.trace.frame.columns:
            return np.ones(len(rows), dtype=bool)
        vec = self.evaluator.column(name)
        if isinstance(vec, Scalar):
            return np.full(len(rows), vec.value is None)
        return vec.mask[rows]

    def explain(self, node: n.Node, target: bool, idx: np.ndarray) -> list[str]:
        """:func:`screening.explain.explain` for the rows ``idx``."""
        if isinstance(node, n.Compare):
            op = node.op if target else n.NEGATED[node.op]
            left, right = self._operand(node.left, idx), self._operand(node.right, idx)
            return [f"{a} {op} {b}" for a, b in zip(left, right)]
        if isinstance(node, n.Not):
            return self.explain(node.operand, not target, idx)
        if isinstance(node, n.BoolOp):
            if target == (node.op == "or"):  # one part suffices: the first that is so
                out: list[str] = [f"`{node.text}` is {str(target).lower()}"] * len(idx)
                left = np.ones(len(idx), dtype=bool)
                want = _TRUE if target else _FALSE
                for part in node.values:
                    sel = left & (self.truths(part)[idx] == want)
                    positions = np.flatnonzero(sel)
                    if len(positions):
                        for p, text in zip(positions.tolist(), self.explain(part, target, idx[positions])):
                            out[p] = text
                        left &= ~sel
                return out
            parts = [self.explain(v, target, idx) for v in node.values]
            return [" and ".join(texts) for texts in zip(*parts)]
        if isinstance(node, n.Call) and node.func == "missing":
            name = node.args[0].text
            if target:
                return [f"{name} is missing"] * len(idx)
            known = name in self.constants or name in self.trace.frame.columns
            values = self.values_of(n.Name(id=name), idx) if known else [None] * len(idx)
            return [f"{name} is {show(v)}" for v in values]
        if isinstance(node, n.Name):
            return [f"{node.id} is {show(target)}"] * len(idx)
        return [f"`{node.text}` is {str(target).lower()}"] * len(idx)

    def _operand(self, node: n.Node, idx: np.ndarray) -> list[str]:
        if isinstance(node, n.Const):
            return [show(node.value)] * len(idx)
        if isinstance(node, n.ListLit) and not self.evaluator.reads_columns(node):
            return [show(evaluate(node, self.constants))] * len(idx)
        values = self.values_of(node, idx)
        if isinstance(node, n.ListLit):
            return [show(v) for v in values]
        label = node.id if isinstance(node, n.Name) else node.text
        return [f"{label} {show(v)}" for v in values]

    # --- values read -------------------------------------------------------------------------

    def table_entries(self, name: str) -> list[dict[str, object]]:
        """The ``values`` entry of decision table ``name`` per row (value, deciding row, inputs).

        Built by :func:`screening.tables.trace.table_values` once per distinct combination of what
        the table reads, so it equals the row-by-row explanation exactly.
        """
        if name not in self._table_entries:
            from screening.tables.trace import table_values
            table = self.pack.tables[name]
            reads = [x for x in table.names() if x not in self.constants]
            columns = [self.python(name), *(self.python(x) for x in reads)]
            memo: dict[tuple[object, ...], dict[str, object]] = {}
            out = []
            for i in range(self.length):
                values = [c[i] for c in columns]
                key = tuple((type(v), v) for v in values)
                entry = memo.get(key)
                if entry is None:
                    env = {**self.constants, **dict(zip(reads, values[1:])), name: values[0]}
                    entry = memo[key] = table_values(table, env)
                out.append(entry)
            self._table_entries[name] = out
        return self._table_entries[name]

    def encoded(self, name: str) -> np.ndarray | str:
        """JSON text of ``jsonable(value)`` of column ``name`` per row, an object array (one string for a constant)."""
        if name not in self._encoded and name in self.pack.tables:
            texts: dict[int, str] = {}
            self._encoded[name] = _objects([texts.setdefault(id(e), encode_json(e)) for e in self.table_entries(name)])
        if name not in self._encoded:
            if name in self.constants:
                self._encoded[name] = encode_json(jsonable(self.constants[name]))
            else:
                self._encoded[name] = _objects(encode_values(self.python(name)))
        return self._encoded[name]

    def values_json(self, j: int, idx: np.ndarray | None = None) -> np.ndarray:
        """``values_read`` of rule ``j`` as JSON text, per row (all rows, or ``idx``): an object array."""
        rule = self.pack.rules[j]
        count = self.length if idx is None else len(idx)
        names = rule.names()
        out = np.full(count, "{", dtype=object)
        if not names:
            return out + "}"
        for k, name in enumerate(names):
            enc = self.encoded(name)
            key = (", " if k else "") + encode_json(name) + ": "
            if isinstance(enc, str):
                out = out + (key + enc)
            else:
                out = out + key + (enc if idx is None else enc[idx])
        return out + "}"

    def values_at(self, j: int, i: int) -> dict[str, object]:
        """``values_read`` of rule ``j`` for candidate ``i``."""
        return {name: self.table_entries(name)[i] if name in self.pack.tables else jsonable(self.python(name)[i])
                for name in self.pack.rules[j].names()}

    # --- direct fixes --------------------------------------------------------------------------

    def direct_fixes(self, j: int) -> dict[int, Fix]:
        """:func:`screening.explain.find_fix` for every candidate that failed rule ``j``."""
        idx = np.flatnonzero(self.trace.codes[:, j] == FAIL)
        return self._fix(self.pack.rules[j].require, idx) if len(idx) else {}

    def _fix(self, node: n.Node, idx: np.ndarray) -> dict[int, Fix]:
        if isinstance(node, n.BoolOp) and node.op == "and":
            truths = [self.truths(v)[idx] for v in node.values]
            not_true = sum((t != _TRUE).astype(np.int8) for t in truths)
            found: dict[int, Fix] = {}
            for part, t in zip(node.values, truths):
                sel = idx[(not_true == 1) & (t == _FALSE)]
                if len(sel):
                    found.update(self._fix(part, sel))
            return found
        if not isinstance(node, n.Compare) or node.op not in ("<", "<=", ">", ">=", "=="):
            return {}
        left, right, op = node.left, node.right, node.op
        if not (isinstance(left, n.Name) and self._is_input(left.id)):
            left, right = right, left
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}[op]
        if not (isinstance(left, n.Name) and self._is_input(left.id)):
            return {}
        if any(x in self.pack.fields or x in ("stage", "stage_since", "deadline") for x in right.names()):
            return {}
        target = evaluate(right, self.constants)
        if target is None:
            return {}
        name = left.id
        shown = show(target)
        if op == "==":
            verb, word = "set", ""
        else:
            verb = "raise" if op in (">", ">=") else "lower"
            word = "" if op in (">=", "<=") else ("above " if op == ">" else "below ")
        out = {}
        for i, current in zip(idx.tolist(), self.values_of(left, idx)):
            if current is not None:
                out[i] = Fix(name, target, f"{verb} {name} from {show(current)} to {word}{shown}")
        return out

    def fixes(self, j: int) -> dict[int, Fix]:
        """Fixes for every candidate that failed rule ``j``: the direct threshold where the condition
        gives one, else (with ``general_fixes``) the search of :func:`screening.fixes.find_rule_fix`."""
        key = ("fixes", j)
        if key not in self._fixes:
            found = self.direct_fixes(j)
            if self.general_fixes:
                from screening.fixes import find_rule_fix
                rule = self.pack.rules[j]
                keys = self._keys(rule.names())
                memo: dict[tuple[object, ...], Fix | None] = {}
                for i in np.flatnonzero(self.trace.codes[:, j] == FAIL).tolist():
                    if i not in found:
                        same = keys[i]  # candidates that read the same values get the same fix: searched once
                        if same not in memo:
                            memo[same] = find_rule_fix(rule, self.env(i), self.resolved)
                        if memo[same] is not None:
                            found[i] = memo[same]  # type: ignore[assignment]
            self._fixes[key] = found
        return self._fixes[key]

    def remedies(self) -> dict[int, object]:
        """Each candidate that is not eligible: its :class:`screening.fixes.Remedy` (with ``general_fixes``)."""
        if ("remedies", -1) not in self._fixes:
            found: dict[int, object] = {}
            if self.general_fixes:
                from screening.fixes import find_remedy
                ids = [r.id for r in self.pack.rules]
                blocking = [r for r in self.pack.rules if r.spec.severity.value == "blocking"]
                keys = self._keys([x for r in blocking for x in r.names()])
                memo: dict[tuple[object, ...], object] = {}
                searched: dict[tuple[object, ...], list[Fix]] = {}
                for i in np.flatnonzero(self.trace.verdicts != 0).tolist():
                    key = keys[i]  # a remedy depends only on what the blocking rules read
                    if key not in memo:
                        outcomes = {rid: OUTCOMES[c] for rid, c in zip(ids, self.trace.codes[i].tolist())}
                        memo[key] = find_remedy(self.resolved, self.env(i), outcomes, searched)
                    if memo[key] is not None:
                        found[i] = memo[key]
            self._fixes[("remedies", -1)] = found  # type: ignore[assignment]
        return self._fixes[("remedies", -1)]  # type: ignore[return-value]

    def _keys(self, names: Sequence[str]) -> list[tuple[object, ...]]:
        """Per candidate, the values of every column that ``names`` read (through derived fields
        and tables): two candidates with the same key have the same fixes and remedy."""
        seen: dict[str, None] = {}
        stack = list(names)
        while stack:
            name = stack.pop()
            if name in seen or name in self.constants:
                continue
            seen[name] = None
            stack.extend(self.pack.derived_reads(name))
        columns = [self.python(x) for x in seen if x in self.trace.frame.columns and x not in self.pack.derive_order]
        return [tuple(map(_hashable, values)) for values in zip(*columns)] if columns else [()] * self.length

    def _is_input(self, name: str) -> bool:
        f = self.pack.fields.get(name)
        return f is not None and not f.is_derived


_NULL = "null"


def _hashable(value: object) -> object:
    """A key for a value that tells apart what ``==`` would confuse (``1`` and ``True``, ``1`` and ``1.0``)."""
    if isinstance(value, list):
        value = tuple(value)
    return (type(value), value)


def encode_values(values: list[object]) -> list[str]:
    """``encode_json(jsonable(v))`` for each value, fast for columns of one plain type."""
    types = set(map(type, values))
    plain = types - {type(None)}
    if plain == {float}:
        out = [_NULL if v is None else _FLOAT(v) for v in values]
        if any(v != v or v in (_INF, -_INF) for v in values if v is not None):
            out = [_NULL if v is None else encode_json(v) for v in values]
        return out
    if plain == {str}:
        return [_NULL if v is None else _STR(v) for v in values]  # type: ignore[arg-type]
    if plain == {int}:
        return [_NULL if v is None else _INT(v) for v in values]
    if plain == {bool}:
        return [_NULL if v is None else ("true" if v else "false") for v in values]
    cache: dict[object, str] = {}
    out = []
    for v in values:
        try:
            hit = cache.get((type(v), v))
        except TypeError:
            hit = None
        if hit is None:
            hit = encode_json(jsonable(v))
            try:
                cache[(type(v), v)] = hit
            except TypeError:
                pass
        out.append(hit)
    return out


def _objects(values: list[str]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _format(value: object, spec: str) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool) or (isinstance(value, (list, tuple)) and not spec):
        from screening.explain import for_people
        return for_people(value)  # as render_template: true/false, lists joined
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return show(value)


def outcome_names(codes: Sequence[int]) -> list[str]:
    return [OUTCOMES[c] for c in codes]


__all__ = ["ColumnExplainer", "encode_json", "int_valued", "outcome_names", "PASS", "FAIL", "MISSING",
           "NOT_APPLICABLE"]
