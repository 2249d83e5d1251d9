"""Compile a pack's rules into durable_rules' JSON ruleset form (pure data; imports no durable).

Each pack rule ``r<i>`` becomes three mutually exclusive durable rules over one event per
(candidate, rule): ``r<i>$na`` (applies_if is false), ``r<i>$pass`` (applies_if true, require
true) and ``r<i>$fail`` (applies_if true, require false). An event none of them matches is
``missing``. Kleene's logic compiles structurally::

    true(a < b)    = a and b present, a < b     false(a < b)   = a and b present, a >= b
    true(A and B)  = true(A) and true(B)        false(A and B) = false(A) or false(B)
    true(A or B)   = true(A) or true(B)         false(A or B)  = false(A) and false(B)
    true(not A)    = false(A)                   false(not A)   = true(A)

A missing value is a property left out of the event. durable never matches a comparison of an
absent property with a constant (``$neq`` included), but a comparison whose right side reads an
absent property through ``{"$m": ...}`` *can* match (measured): such comparisons carry explicit
``$ex`` presence tests for every property they read.
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

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from screening.errors import InputError, Problem
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate, truth
from screening.lang.types import FIELD_TYPES, Type, TypeErrors, check_expression
from screening.pack.compiled import BUILTIN_NAMES, PackRule, ResolvedPack

#: A durable condition, or True (always matches) / False (never matches).
Pattern = bool | dict
#: Outcome of each durable rule kind.
KINDS = {"na": "not_applicable", "pass": "pass", "fail": "fail"}
#: durable keeps 32 expression slots per rule and spends two on each $and / $or.
MAX_GROUPS = 15
#: Properties one event may carry, the discriminators ``r`` and ``i`` included.
MAX_PROPERTIES = 28
#: Alternatives of one ``$or``: durable fails with error 303 when more than 64 of them match one
#: event (measured: 64 matching alternatives pass, 65 fail). A wider ``and`` / ``or`` is split
#: into chunks of at most this many operands, each chunk decided in Python and tested by durable.
MAX_OR_WIDTH = 64
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_ARITH = {"+": "$add", "-": "$sub", "*": "$mul"}
_SCALARS = ("number", "string", "bool", "date")


def to_durable(value: object) -> object:
    """A value as durable sees it: dates as day ordinals, everything else unchanged."""
    return value.toordinal() if isinstance(value, dt.date) else value


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
        if pattern is True:
            return {"r": self.index}
        return _and([{"r": self.index}, pattern])  # type: ignore[return-value]  # never True/False here

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
    scope.update({name: FIELD_TYPES[kind] for name, kind in pack.computed_names().items()})
    scope.update({name: FIELD_TYPES[f.spec.type.value] for name, f in pack.fields.items()})
    scope.update({name: p.type for name, p in pack.parameters.items()})
    scope.update({name: t.type for name, t in pack.tables.items()})  # computed before events are posted
    return scope


def compile_pack(resolved: ResolvedPack, rules_per_ruleset: int = 60) -> CompiledPack:
    """Compile every rule of ``resolved`` (pack order), ``rules_per_ruleset`` pack rules per ruleset."""
    constants = resolved.constants()
    # decision tables are derived values: computed with the derived fields before any event is
    # posted, they reach durable as properties of the event like any field
    inputs = set(resolved.pack.fields) | set(resolved.pack.tables) | set(resolved.pack.computed_names())
    scope = scope_of(resolved)
    rules = [compile_rule(i, rule, constants, inputs, scope) for i, rule in enumerate(resolved.pack.rules)]
    starts = range(0, len(rules), rules_per_ruleset)
    chunks = [list(range(s, min(s + rules_per_ruleset, len(rules)))) for s in starts]
    return CompiledPack(rules, chunks)


def compile_rule(index: int, rule: PackRule, constants: Mapping[str, object], inputs: set[str],
                 scope: Mapping[str, Type]) -> CompiledRule:
    """Compile one rule, lifting more of it while it exceeds durable's limits."""
    forced: set[n.Node] = set()
    require = regroup(rule.require, forced)
    applies = None if rule.applies_if is None else regroup(rule.applies_if, forced)
    if require is not rule.require or applies is not rule.applies_if:
        rule = dataclasses.replace(rule, require=require, applies_if=applies)
    roots = [e for e in (rule.applies_if, rule.require) if e is not None]
    while True:
        compiled = _RuleCompiler(index, rule, constants, inputs, scope, forced).compile()
        conditions = [compiled.condition(p) for p in compiled.patterns.values() if p is not False]
        groups = max((count_groups(c) for c in conditions), default=0)
        width = max((or_width(c) for c in conditions), default=0)
        if groups <= MAX_GROUPS and width <= MAX_OR_WIDTH and compiled.property_count <= MAX_PROPERTIES:
            return compiled
        choice = _lift_candidate(roots, forced, inputs, by_fields=groups <= MAX_GROUPS and width <= MAX_OR_WIDTH)
        if choice is None:
            # Not reached for rules the loader accepts (a whole condition lifted is one property);
            # kept as a refusal naming the rule rather than a traceback from inside durable.
            raise InputError([Problem(f"rule '{rule.id}' does not fit durable_rules' limits even when computed "
                                      "whole; screen with --engine vector", file=rule.place.file,
                                      line=rule.place.line)])
        forced.add(choice)


def regroup(node: n.Node, forced: set[n.Node]) -> n.Node:
    """``node`` with every ``and`` / ``or`` of more than MAX_OR_WIDTH operands split into chunks.

    Each chunk (a sub-``and`` / ``or``; Kleene's ``and`` and ``or`` are associative) is added to
    ``forced``: it is computed per candidate in Python, and durable combines the chunks. Linear
    in the size of ``node``; returns ``node`` itself when nothing needs splitting.
    """
    if isinstance(node, n.Not):
        inner = regroup(node.operand, forced)
        return node if inner is node.operand else n.Not(inner, text=node.text)
    if not isinstance(node, n.BoolOp):
        return node
    flat: list[n.Node] = []
    stack = list(reversed(node.values))
    while stack:  # (a and b) and c is one durable group: count its operands together
        item = stack.pop()
        if isinstance(item, n.BoolOp) and item.op == node.op:
            stack.extend(reversed(item.values))
        else:
            flat.append(item)
    values = [regroup(v, forced) for v in flat]
    changed = len(flat) != len(node.values) or any(a is not b for a, b in zip(values, flat))
    while len(values) > MAX_OR_WIDTH:
        chunks = []
        for start in range(0, len(values), MAX_OR_WIDTH):
            part = values[start:start + MAX_OR_WIDTH]
            chunk = part[0] if len(part) == 1 else n.BoolOp(
                node.op, tuple(part), text=f"{part[0].text} {node.op} … {node.op} {part[-1].text}")
            forced.add(chunk)
            chunks.append(chunk)
        values, changed = chunks, True
    return n.BoolOp(node.op, tuple(values), text=node.text) if changed else node


def _lift_candidate(roots: list[n.Node], forced: set[n.Node], inputs: set[str], *, by_fields: bool) -> n.Node | None:
    """The condition to compute in Python next: the biggest proper sub-condition, then a whole root."""
    def weight(node: n.Node) -> tuple[int, int]:
        size = sum(1 for _ in node.walk())
        fields = sum(1 for name in node.names() if name in inputs)
        return (fields, size) if by_fields else (size, fields)

    def open_conditions(node: n.Node) -> list[n.Node]:  # sub-conditions not inside an already lifted one
        if node in forced:
            return []
        condition = isinstance(node, (n.BoolOp, n.Not, n.Compare)) and any(x in inputs for x in node.names())
        found = [node] if condition else []
        for child in node.children():
            found.extend(open_conditions(child))
        return found

    whole = [r for r in roots if r not in forced and any(x in inputs for x in r.names())]
    for pool in ([c for r in roots for c in open_conditions(r) if c is not r], whole):
        if pool:
            return max(pool, key=weight)
    return None


def or_width(pattern: object) -> int:
    """The most alternatives of any one ``$or`` in a durable condition."""
    if isinstance(pattern, dict):
        own = len(pattern["$or"]) if isinstance(pattern.get("$or"), list) else 0
        return max([own, *(or_width(v) for v in pattern.values())])
    if isinstance(pattern, list):
        return max((or_width(v) for v in pattern), default=0)
    return 0


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
        """The type name of ``node``: a constant's own, else the load-time type ("any" if unsure)."""
        if self.is_constant(node):
            return value_kind(self.fold(node))
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

    def shape(self, node: n.Node) -> str:
        """How an operand reaches durable: 'const', 'prop' (a field or lifted column) or 'expr'."""
        if self.is_constant(node):
            return "const"
        if isinstance(node, n.Neg):
            return "expr"
        if isinstance(node, n.Arith) and node.op in _ARITH:
            constant = [self.fold(side) for side in (node.left, node.right) if self.is_constant(side)]
            if None not in constant and (node.op != "*" or constant):  # a product of two inputs may overflow
                return "expr"
        return "prop"

    def operand(self, node: n.Node) -> object:
        """The right-hand side of a durable comparison: a value, ``{"$m": prop}`` or arithmetic."""
        shape = self.shape(node)
        if shape == "const":
            return to_durable(self.fold(node))
        if shape == "prop":
            return {"$m": self.prop(node.id) if isinstance(node, n.Name) else self.lift(node, condition=False)}
        if isinstance(node, n.Neg):
            return {"$mul": {"$l": -1, "$r": self.operand(node.operand)}}
        assert isinstance(node, n.Arith)
        return {_ARITH[node.op]: {"$l": self.operand(node.left), "$r": self.operand(node.right)}}

    def left_property(self, node: n.Node) -> str:
        """The property a comparison tests: a field, or ``node`` lifted into a column."""
        return self.prop(node.id) if isinstance(node, n.Name) else self.lift(node, condition=False)

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
        """``left op right`` is ``want``: durable compares; operands it cannot compute are lifted."""
        if any(self.is_constant(side) and self.fold(side) is None for side in (node.left, node.right)):
            return False  # a constant that is missing (an absent mapping key): unknown either way
        kinds = {self.kind(node.left), self.kind(node.right)}
        ordered = node.op not in ("==", "!=")
        if len(kinds) != 1 or not kinds <= set(_SCALARS) or (ordered and kinds & {"string", "bool"}):
            return {self.lift(node, condition=True): want}
        op = node.op if want else n.NEGATED[node.op]
        left, right = node.left, node.right
        if self.shape(left) != "prop" and (self.shape(right) == "prop" or self.shape(left) == "const"):
            left, right, op = right, left, _FLIP[op]
        prop = self.left_property(left)
        target = self.operand(right)
        test = {prop: target} if op == "==" else {_OPS[op]: {prop: target}}
        refs = _references(target)
        if not refs:  # against a constant: durable never matches an absent property
            return test
        # A property read through {"$m": ...} that is absent does match in durable: require presence.
        return _and([*({"$ex": {p: 1}} for p in dict.fromkeys([prop, *refs])), test])

    def membership(self, node: n.Compare, want: bool) -> Pattern:
        """``left in right`` is ``want``; right a constant list or mapping (its keys), or a list literal."""
        member = n.Compare("in", node.left, node.right, text=f"{node.left.text} in {node.right.text}")
        if not self.is_constant(node.right):
            if isinstance(node.right, n.ListLit):
                parts = [self.truth(n.Compare("==", node.left, item, text=f"{node.left.text} == {item.text}"), want)
                         for item in node.right.items]
                return _or(parts) if want else _and(parts)
            return {self.lift(member, condition=True): want}
        kind = self.kind(node.left)
        if kind not in _SCALARS:
            return {self.lift(member, condition=True): want}
        container = self.fold(node.right)
        if container is None:
            return False
        if not isinstance(container, (dict, tuple, list)):
            return {self.lift(member, condition=True): want}
        items = list(container)  # a mapping's keys
        values = list(dict.fromkeys(to_durable(i) for i in items if i is not None and value_kind(i) == kind))
        prop = self.left_property(node.left)
        if want:
            return _or([{prop: v} for v in values])
        if any(i is None for i in items):
            return False
        return _and([{"$neq": {prop: v}} for v in values]) if values else {"$ex": {prop: 1}}


def _references(operand: object) -> list[str]:
    """Properties an operand reads through ``{"$m": ...}``."""
    if isinstance(operand, dict):
        if "$m" in operand:
            return [operand["$m"]]
        return [p for v in operand.values() for p in _references(v)]
    return []


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
