"""Compile a pack's rules into durable_rules' JSON ruleset form (pure data; imports no durable).

Each pack rule ``r<i>`` becomes three mutually exclusive durable rules over one event per
(candidate, rule): ``r<i>$na`` (applies_if is false), ``r<i>$pass`` (applies_if true, require
true) and ``r<i>$fail`` (applies_if true, require false). An event none of them matches is
``missing``. Kleene's logic compiles structurally::

    true(a < b)    = a and b present, a < b     false(a < b)   = a and b present, a >= b
    true(A and B)  = true(A) and true(B)        false(A and B) = false(A) or false(B)
    true(A or B)   = true(A) or true(B)         false(A or B)  = false(A) and false(B)
    true(not A)    = false(A)                   false(not A)   = true(A)

A missing value is a property left out of the event, and durable's comparisons never match an
absent property (``$neq`` and ``$m`` references included), so presence comes for free.
Parameters and ``as_of`` are constants and are folded here. What durable cannot express is
*lifted*: the smallest such sub-expression is computed per candidate by the reference evaluator
into a hidden property, and durable still decides the comparison and the and/or/not around it.
Lifted: arithmetic on the left of a comparison, division (durable crashes on an integer
division by zero; the language gives missing), a product of two inputs (durable's integers are
64-bit), ``abs``/``min``/``max``/``days``/``rating``, subscripts with an input key, ``if``/
``else``, membership in a list field, and any comparison whose operand types are not known to
agree (durable finds ``True == 1`` and ``"1" == 1``; the language does not).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Mapping, Union

from screening.lang import nodes as n
from screening.lang.evaluate import evaluate, truth
from screening.lang.types import FIELD_TYPES, Type, TypeErrors, check_expression
from screening.pack.compiled import BUILTIN_NAMES, PackRule, ResolvedPack

#: A durable condition, or True (always matches) / False (never matches).
Pattern = Union[bool, dict]
#: Outcome of each durable rule kind.
KINDS = {"na": "not_applicable", "pass": "pass", "fail": "fail"}
#: durable keeps 32 expression slots per rule and spends two on each $and / $or.
MAX_GROUPS = 15
#: Properties one event may carry, the discriminators ``r`` and ``i`` included.
MAX_PROPERTIES = 28
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul"}
_SCALARS = ("number", "string", "bool", "date")


def to_durable(value: object) -> object:
    """A value as durable sees it: dates as day ordinals, everything else unchanged."""
    return value.toordinal() if isinstance(value, dt.date) else value


def durable_json(value: object) -> str:
    """JSON text durable_rules parses as meant.

    durable's number parser refuses an exponent without a fraction (``1e-07``, which Python
    writes), so every float is written with one (``1.0e-07``). Non-finite numbers and integers
    beyond 64 bits have no durable form: ValueError.
    """
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise ValueError(f"durable_rules cannot hold the integer {value} (64 bits at most)")
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"durable_rules cannot hold the number {value}")
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{durable_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(durable_json(v) for v in value) + "]"
    raise TypeError(f"no durable form for {value!r}")


def value_kind(value: object) -> str:
    """The language type name of a plain value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date):
        return "date"
    return "other"


@dataclass(frozen=True)
class Lifted:
    """A sub-expression computed per candidate before the event is posted."""

    node: n.Node
    condition: bool  # true/false/unknown (``truth``) rather than a value (``evaluate``)

    def value(self, env: Mapping[str, object]) -> object:
        return truth(self.node, env) if self.condition else evaluate(self.node, env)


@dataclass
class CompiledRule:
    """One pack rule in durable's terms: three patterns and the properties its events carry."""

    index: int
    rule_id: str
    patterns: dict[str, Pattern]  # "na" | "pass" | "fail" -> condition
    fields: dict[str, str] = field(default_factory=dict)  # property -> field it carries
    lifted: dict[str, Lifted] = field(default_factory=dict)  # property -> sub-expression
    list_fields: frozenset[str] = frozenset()  # properties of list fields (sent as a presence mark)

    @property
    def key(self) -> str:
        return f"r{self.index}"

    @property
    def property_count(self) -> int:
        return 2 + len(self.fields) + len(self.lifted)

    def durable_rules(self) -> dict[str, dict]:
        """The durable rules (without actions): name -> ``{"all": [{"m": condition}]}``."""
        out = {}
        for kind, pattern in self.patterns.items():
            if pattern is not False:
                out[f"{self.key}${kind}"] = {"all": [{"m": self.condition(pattern)}]}
        return out

    def condition(self, pattern: Pattern) -> dict:
        """``pattern`` restricted to this rule's events (the ``r`` discriminator)."""
        return {"r": self.index} if pattern is True else _and([{"r": self.index}, pattern])  # type: ignore[return-value]

    def event(self, env: Mapping[str, object], candidate: int) -> dict[str, object]:
        """The event for one candidate (``env``: its values, parameters and as_of); absent = missing."""
        event: dict[str, object] = {"r": self.index, "i": candidate}
        for prop, name in self.fields.items():
            value = env.get(name)
            if value is not None:
                event[prop] = True if prop in self.list_fields else to_durable(value)
        for prop, lifted in self.lifted.items():
            value = lifted.value(env)
            if value is not None:
                event[prop] = to_durable(value)
        return event


@dataclass
class CompiledPack:
    """Every rule of a pack compiled, and the rules grouped into durable rulesets."""

    rules: list[CompiledRule]
    chunks: list[list[int]]  # rule indexes of each ruleset

    def rulesets(self) -> list[dict[str, dict]]:
        """One ruleset definition (without actions) per chunk; never empty."""
        out = []
        for chunk in self.chunks:
            definition: dict[str, dict] = {}
            for i in chunk:
                definition.update(self.rules[i].durable_rules())
            out.append(definition or {"never": {"all": [{"m": {"r": -1}}]}})
        return out

    def report(self) -> list[dict[str, object]]:
        """Per rule: its ruleset, durable rules, carried fields and lifted expressions (for display)."""
        chunk_of = {i: c for c, chunk in enumerate(self.chunks) for i in chunk}
        return [{"rule": r.rule_id, "ruleset": chunk_of[r.index], "durable_rules": r.durable_rules(),
                 "fields": dict(r.fields), "lifted": {p: lf.node.text for p, lf in r.lifted.items()}}
                for r in self.rules]


def scope_of(resolved: ResolvedPack) -> dict[str, Type]:
    """The type of every name a rule may read."""
    pack = resolved.pack
    scope: dict[str, Type] = {name: Type(kind) for name, kind in BUILTIN_NAMES.items()}
    scope.update({name: FIELD_TYPES[f.spec.type.value] for name, f in pack.fields.items()})
    scope.update({name: p.type for name, p in pack.parameters.items()})
    return scope


def compile_pack(resolved: ResolvedPack, rules_per_ruleset: int = 60) -> CompiledPack:
    """Compile every rule of ``resolved`` (pack order), ``rules_per_ruleset`` pack rules per ruleset."""
    constants = resolved.constants()
    inputs = set(resolved.pack.fields) | (set(BUILTIN_NAMES) - {"as_of"})
    scope = scope_of(resolved)
    rules = [compile_rule(i, rule, constants, inputs, scope) for i, rule in enumerate(resolved.pack.rules)]
    chunks = [list(range(s, min(s + rules_per_ruleset, len(rules)))) for s in range(0, len(rules), rules_per_ruleset)]
    return CompiledPack(rules, chunks)


def compile_rule(index: int, rule: PackRule, constants: Mapping[str, object], inputs: set[str],
                 scope: Mapping[str, Type]) -> CompiledRule:
    """Compile one rule, lifting more of it while it exceeds durable's limits."""
    roots = [e for e in (rule.applies_if, rule.require) if e is not None]
    forced: set[n.Node] = set()
    while True:
        compiled = _RuleCompiler(index, rule, constants, inputs, scope, forced).compile()
        groups = max((count_groups(compiled.condition(p)) for p in compiled.patterns.values() if p is not False), default=0)
        if groups <= MAX_GROUPS and compiled.property_count <= MAX_PROPERTIES:
            return compiled
        choice = _lift_candidate(roots, forced, constants, inputs, by_fields=groups <= MAX_GROUPS)
        if choice is None:
            raise ValueError(f"rule '{rule.id}' does not fit durable_rules' limits even when computed whole")
        forced.add(choice)


def _lift_candidate(roots: list[n.Node], forced: set[n.Node], constants: Mapping[str, object], inputs: set[str],
                    *, by_fields: bool) -> n.Node | None:
    """The condition to compute in Python next: the biggest proper sub-condition, then a whole root."""
    def weight(node: n.Node) -> tuple[int, int]:
        size = sum(1 for _ in node.walk())
        fields = sum(1 for name in node.names() if name in inputs)
        return (fields, size) if by_fields else (size, fields)

    def open_conditions(node: n.Node) -> list[n.Node]:  # sub-conditions not inside an already lifted one
        if node in forced:
            return []
        found = [node] if isinstance(node, (n.BoolOp, n.Not, n.Compare)) and any(x in inputs for x in node.names()) else []
        for child in node.children():
            found.extend(open_conditions(child))
        return found

    for pool in ([c for r in roots for c in open_conditions(r) if c is not r], [r for r in roots if r not in forced]):
        if pool:
            return max(pool, key=weight)
    return None


def count_groups(pattern: object) -> int:
    """Number of ``$and`` / ``$or`` nodes in a durable condition."""
    if isinstance(pattern, dict):
        own = 1 if set(pattern) & {"$and", "$or"} else 0
        return own + sum(count_groups(v) for v in pattern.values())
    if isinstance(pattern, list):
        return sum(count_groups(v) for v in pattern)
    return 0


class _RuleCompiler:
    """Compiles one rule with the pack's constants (parameters and as_of)."""

    def __init__(self, index: int, rule: PackRule, constants: Mapping[str, object], inputs: set[str],
                 scope: Mapping[str, Type], forced: set[n.Node]) -> None:
        self.index, self.rule, self.constants, self.inputs = index, rule, constants, inputs
        self.scope, self.forced = scope, forced
        self.fields: dict[str, str] = {}
        self.lifted: dict[str, Lifted] = {}

    def compile(self) -> CompiledRule:
        applies = self.rule.applies_if
        app_true = True if applies is None else self.truth(applies, True)
        app_false = False if applies is None else self.truth(applies, False)
        patterns = {
            "na": app_false,
            "pass": _and([app_true, self.truth(self.rule.require, True)]),
            "fail": _and([app_true, self.truth(self.rule.require, False)]),
        }
        lists = frozenset(p for p, name in self.fields.items() if self.scope.get(name, Type("any")).kind == "list")
        return CompiledRule(self.index, self.rule.id, patterns, self.fields, self.lifted, lists)

    # --- names and values -------------------------------------------------------------------

    def is_constant(self, node: n.Node) -> bool:
        return not any(name in self.inputs for name in node.names())

    def fold(self, node: n.Node) -> object:
        return evaluate(node, self.constants)

    def kind(self, node: n.Node) -> str:
        try:
            return check_expression(node, self.scope, want=None).kind
        except TypeErrors:
            return "any"

    def prop(self, name: str) -> str:
        for p, f in self.fields.items():
            if f == name:
                return p
        p = f"f{len(self.fields)}"
        self.fields[p] = name
        return p

    def lift(self, node: n.Node, condition: bool) -> str:
        entry = Lifted(node, condition)
        for p, existing in self.lifted.items():
            if existing == entry:
                return p
        p = f"l{len(self.lifted)}"
        self.lifted[p] = entry
        return p

    def operand(self, node: n.Node) -> tuple[str, object]:
        """('const', value), ('prop', property) or ('expr', durable right-hand arithmetic)."""
        if self.is_constant(node):
            return "const", to_durable(self.fold(node))
        if isinstance(node, n.Name):
            return "prop", self.prop(node.id)
        if isinstance(node, n.Arith) and node.op in _ARITH:
            left, right = self.operand(node.left), self.operand(node.right)
            if left[0] == "const" and left[1] is None or right[0] == "const" and right[1] is None:
                return "const", None
            if node.op != "*" or left[0] == "const" or right[0] == "const":
                return "expr", {_ARITH[node.op]: {"$l": _rhs(left), "$r": _rhs(right)}}
        if isinstance(node, n.Neg):
            inner = self.operand(node.operand)
            return "expr", {"$mul": {"$l": -1, "$r": _rhs(inner)}}
        return "prop", self.lift(node, condition=False)

    # --- conditions -------------------------------------------------------------------------

    def truth(self, node: n.Node, want: bool) -> Pattern:
        """The pattern matching exactly the events for which ``node`` evaluates to ``want``."""
        if self.is_constant(node):
            return self.fold(node) is want
        if node in self.forced:
            return {self.lift(node, condition=True): want}
        if isinstance(node, n.Not):
            return self.truth(node.operand, not want)
        if isinstance(node, n.BoolOp):
            parts = [self.truth(v, want) for v in node.values]
            return _and(parts) if (node.op == "and") == want else _or(parts)
        if isinstance(node, n.Call) and node.func == "missing" and isinstance(node.args[0], n.Name):
            p = self.prop(node.args[0].id)
            return {"$nex": {p: 1}} if want else {"$ex": {p: 1}}
        if isinstance(node, n.Name) and self.kind(node) == "bool":
            return {self.prop(node.id): want}
        if isinstance(node, n.Compare):
            if node.op in ("in", "not in"):
                return self.membership(node, want if node.op == "in" else not want)
            return self.compare(node, want)
        return {self.lift(node, condition=True): want}

    def compare(self, node: n.Compare, want: bool) -> Pattern:
        kinds = {self.kind(node.left), self.kind(node.right)}
        if len(kinds) != 1 or not kinds <= set(_SCALARS) or (node.op not in ("==", "!=") and kinds & {"string", "bool"}):
            return {self.lift(node, condition=True): want}
        op = node.op if want else n.NEGATED[node.op]
        left, right = self.operand(node.left), self.operand(node.right)
        if left[0] != "prop" and right[0] == "prop":
            left, right, op = right, left, _FLIP[op]
        if left[0] != "prop":  # computed on both sides: the left side is lifted
            left = ("prop", self.lift(node.left if op == node.op or op == n.NEGATED[node.op] else node.right, False))
        if right == ("const", None):
            return False
        target = _rhs(right)
        return {left[1]: target} if op == "==" else {_OPS[op]: {left[1]: target}}  # type: ignore[dict-item]

    def membership(self, node: n.Compare, want: bool) -> Pattern:
        """``left in right`` is ``want``; right a constant list or mapping (its keys), or a list literal."""
        if not self.is_constant(node.right):
            if isinstance(node.right, n.ListLit):
                parts = [self.truth(n.Compare("==", node.left, item, text=f"{node.left.text} == {item.text}"), want)
                         for item in node.right.items]
                return _or(parts) if want else _and(parts)
            return {self.lift(node, condition=True): want}
        kind = self.kind(node.left)
        if kind not in _SCALARS:
            return {self.lift(node, condition=True): want}
        container = self.fold(node.right)
        if container is None:
            return False
        items = list(container.keys()) if isinstance(container, dict) else list(container)  # type: ignore[union-attr]
        values = list(dict.fromkeys(to_durable(i) for i in items if i is not None and value_kind(i) == kind))
        left = self.operand(node.left)
        p = left[1] if left[0] == "prop" else self.lift(node.left, condition=False)
        if want:
            return _or([{p: v} for v in values])
        if any(i is None for i in items):
            return False
        return _and([{"$neq": {p: v}} for v in values]) if values else {"$ex": {p: 1}}


def _rhs(operand: tuple[str, object]) -> object:
    kind, value = operand
    return {"$m": value} if kind == "prop" else value


def _and(parts: list[Pattern]) -> Pattern:
    if any(p is False for p in parts):
        return False
    real = _flatten([p for p in parts if p is not True], "$and")
    return True if not real else real[0] if len(real) == 1 else {"$and": real}


def _or(parts: list[Pattern]) -> Pattern:
    if any(p is True for p in parts):
        return True
    real = _flatten([p for p in parts if p is not False], "$or")
    return False if not real else real[0] if len(real) == 1 else {"$or": real}


def _flatten(parts: list[Pattern], op: str) -> list[Pattern]:
    """``$and`` inside ``$and`` (``$or`` inside ``$or``) becomes one list: durable counts each group."""
    out: list[Pattern] = []
    for p in parts:
        out.extend(p[op] if isinstance(p, dict) and list(p) == [op] else [p])
    return out
