"""A loaded rule pack: merged files, parsed and type-checked expressions, resolved by date.

:class:`RulePack` is what the loader returns and what engines, tests and reports read.
It knows nothing of any engine.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from screening.errors import InputError, Problem
from screening.finance.names import FINANCE_FIELDS
from screening.lang import nodes as n
from screening.lang.types import Type
from screening.pack.model import FieldSpec, FinanceSpec, FlowSpec, ParameterSpec, RuleSpec, TestCase

if TYPE_CHECKING:
    from screening.tables.compile import PackTable

#: Names every expression may read without declaring them. ``stage*`` and ``deadline`` come
#: from the approval-flow record (``screen run --db``) and are missing without one.
BUILTIN_NAMES: dict[str, str] = {"as_of": "date", "stage": "string", "stage_since": "date", "deadline": "date"}


@dataclass(frozen=True)
class Place:
    """Where something was written."""

    file: str
    line: int | None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class PackField:
    name: str
    spec: FieldSpec
    place: Place
    derive: n.Node | None = None

    @property
    def is_derived(self) -> bool:
        return self.spec.derive is not None


@dataclass
class PackParameter:
    name: str
    spec: ParameterSpec
    place: Place
    type: Type

    def in_force(self, as_of: dt.date) -> tuple[object, dt.date | None, str | None]:
        """(value, since, source) in force on ``as_of``; raises InputError if none is."""
        if self.spec.values is None:
            return freeze(self.spec.value), None, self.spec.source
        current = None
        for item in sorted(self.spec.values, key=lambda v: v.since):
            if item.since <= as_of:
                current = item
        if current is None:
            first = min(v.since for v in self.spec.values)
            raise InputError([Problem(
                f"parameter '{self.name}' has no value in force on {as_of.isoformat()}: its first value is since "
                f"{first.isoformat()}: screen on {first.isoformat()} or later",
                file=self.place.file, line=self.place.line)])
        return freeze(current.value), current.since, current.source or self.spec.source


def freeze(value: object) -> object:
    """Lists become tuples, so parameter values are hashable and never mutated by accident."""
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return {k: freeze(v) for k, v in value.items()}
    return value


@dataclass
class PackRule:
    spec: RuleSpec
    place: Place
    require: n.Node
    applies_if: n.Node | None
    origin: str  # name of the pack that defined it
    places: dict[str, Place] = field(default_factory=dict)  # key (require, applies_if, message) -> place
    _read: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    #: portfolio rules only (CONTRACT.md §10): the aggregates read, by their canonical text, and
    #: message placeholders that are expressions (``{total(equity_usd) / total(amount_usd):.1%}``)
    portfolio: bool = False
    aggregates: dict[str, n.Aggregate] = field(default_factory=dict)
    placeholders: dict[str, n.Node] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.spec.id

    def names(self) -> list[str]:
        """Fields and parameters this rule reads, in order of first appearance (computed once)."""
        if self._read is None:
            seen: dict[str, None] = {}
            for expr in (self.applies_if, self.require):
                if expr is not None:
                    for name in expr.names():
                        seen.setdefault(name, None)
            self._read = tuple(seen)
        return list(self._read)


@dataclass
class PackFinance:
    """The pack's ``finance:`` section: the waterfall's terms as parsed expressions."""

    spec: FinanceSpec
    place: Place
    terms: dict[str, n.Node]  # term name -> expression (a number is a constant expression)
    places: dict[str, Place] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Fields and parameters the terms read."""
        seen: dict[str, None] = {}
        for expr in self.terms.values():
            for name in expr.names():
                seen.setdefault(name, None)
        return list(seen)


@dataclass
class PackTest:
    case: TestCase
    place: Place


@dataclass
class Inheritance:
    """What a pack takes from the packs it extends, for ``screen check``.

    ``inherited`` and ``replaced`` map a kind (``rule``, ``portfolio rule``, ``field``,
    ``parameter``, ``table``) to names; ``dropped`` are the rule ids ``drop`` removed.
    """

    bases: list[str] = field(default_factory=list)
    inherited: dict[str, list[str]] = field(default_factory=dict)
    replaced: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    also: list[str] = field(default_factory=list)  # the flow, finance, label taken as they are


@dataclass
class RulePack:
    """A validated pack, with everything inherited through ``extends`` merged in."""

    name: str
    version: str
    title: str
    path: str
    fields: dict[str, PackField]
    parameters: dict[str, PackParameter]
    rules: list[PackRule]
    tests: list[PackTest]
    flow: FlowSpec | None
    flow_place: Place | None
    derive_order: list[str]
    hash: str
    lineage: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    #: rules about the list as a whole (CONTRACT.md §10), and which candidates they see
    portfolio_rules: list[PackRule] = field(default_factory=list)
    portfolio_scope: str = "all"
    #: decision tables by name (CONTRACT.md §13); their names are in ``derive_order`` with the
    #: derived fields, in one dependency order (a table may read a derived field and vice versa)
    tables: dict[str, "PackTable"] = field(default_factory=dict)
    #: the input field that names a candidate in reports (header ``label:``), or None
    label: str | None = None
    #: what the pack inherits, replaces and drops (empty without ``extends``)
    inheritance: Inheritance = field(default_factory=Inheritance)
    #: remarks that are not problems (a rule replacing an inherited one without ``replaces: true``)
    notes: list[Problem] = field(default_factory=list)

    finance: PackFinance | None = None

    def derived_reads(self, name: str) -> list[str]:
        """The names a derived field's expression or a table's inputs and cells read."""
        if name in self.tables:
            return self.tables[name].names()
        f = self.fields.get(name)
        return f.derive.names() if f is not None and f.derive is not None else []

    def reached(self, names: Iterable[str]) -> list[str]:
        """``names`` and every name they read through derived fields and decision tables, in
        first-seen (breadth-first) order."""
        seen: dict[str, None] = {}
        queue = deque(names)
        while queue:
            name = queue.popleft()
            if name not in seen:
                seen[name] = None
                queue.extend(self.derived_reads(name))
        return list(seen)

    def rule(self, rule_id: str) -> PackRule:
        for r in [*self.rules, *self.portfolio_rules]:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def computed_names(self) -> dict[str, str]:
        """Names a candidate row holds beyond the pack's fields, with their field types: the
        approval-flow built-ins and, when the pack has a ``finance:`` section, the finance fields."""
        names = {k: v for k, v in BUILTIN_NAMES.items() if k != "as_of"}
        if self.finance is not None:
            names.update(FINANCE_FIELDS)
        return names

    @property
    def input_fields(self) -> dict[str, FieldSpec]:
        return {k: f.spec for k, f in self.fields.items() if not f.is_derived}

    def resolve(self, as_of: dt.date) -> "ResolvedPack":
        """Fix the parameter values in force on ``as_of`` (all problems at once)."""
        values: dict[str, object] = {}
        since: dict[str, dt.date | None] = {}
        sources: dict[str, str | None] = {}
        problems: list[Problem] = []
        for name, param in self.parameters.items():
            try:
                values[name], since[name], sources[name] = param.in_force(as_of)
            except InputError as exc:
                problems.extend(exc.problems)
        if len(problems) > 1:  # one message for one cause: the date is before the pack's values
            raise InputError([self._too_early(as_of)])
        if problems:
            raise InputError(problems)
        return ResolvedPack(self, as_of, values, since, sources)

    def _too_early(self, as_of: dt.date) -> Problem:
        """The parameters without a value on ``as_of``, as one problem naming the earliest date that works."""
        late = [(min(v.since for v in p.spec.values or []), p) for p in self.parameters.values()
                if p.spec.values is not None and min(v.since for v in p.spec.values) > as_of]
        earliest = max(first for first, _ in late)
        names = ", ".join(f"{p.name} (from {first.isoformat()})" for first, p in late)
        first_place = late[0][1].place
        return Problem(f"{len(late)} parameters have no value in force on {as_of.isoformat()}: {names}; "
                       f"every parameter has a value from {earliest.isoformat()}: screen on that date or later",
                       file=first_place.file, line=first_place.line)


@dataclass
class ResolvedPack:
    """A pack with its parameters fixed for one screening date."""

    pack: RulePack
    as_of: dt.date
    params: dict[str, object]
    since: dict[str, dt.date | None]
    sources: dict[str, str | None]

    def constants(self) -> dict[str, object]:
        """Names with one value for every candidate: the parameters and ``as_of``."""
        return {**self.params, "as_of": self.as_of}
