"""Expression tree of the rule language: a small closed set of node types.

Every node keeps ``text``, the piece of source it came from, for messages. Parsing
(:mod:`screening.lang.parse`) builds these from Python's ``ast``; evaluators walk them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator, Union

Value = Union[None, bool, int, float, str, dt.date, tuple, dict]

COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=", "in", "not in")
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "in": "not in", "not in": "in"}
FUNCTIONS = ("missing", "date", "days", "business_days", "abs", "min", "max", "rating")
#: Aggregates over the candidate list, allowed only in portfolio rules (CONTRACT.md §10).
AGGREGATES = ("total", "average", "count")


@dataclass(frozen=True)
class Node:
    """Base of all expression nodes."""

    text: str = field(default="", compare=False, kw_only=True)

    def children(self) -> tuple["Node", ...]:
        return ()

    def walk(self) -> Iterator["Node"]:
        """Yield this node and every node under it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    def names(self) -> list[str]:
        """Names read by this expression, in order of first appearance (computed once per node)."""
        cached = self.__dict__.get("_names")
        if cached is None:
            seen: dict[str, None] = {}
            for node in self.walk():
                if isinstance(node, Name):
                    seen.setdefault(node.id, None)
            cached = tuple(seen)
            object.__setattr__(self, "_names", cached)
        return list(cached)


@dataclass(frozen=True)
class Const(Node):
    value: Value


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True)
class Name(Node):
    id: str


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    values: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.values


@dataclass(frozen=True)
class Not(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class IfElse(Node):
    cond: Node
    then: Node
    otherwise: Node

    def children(self) -> tuple[Node, ...]:
        return (self.cond, self.then, self.otherwise)


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * /
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Neg(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Subscript(Node):
    mapping: Node
    key: Node

    def children(self) -> tuple[Node, ...]:
        return (self.mapping, self.key)


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args


@dataclass(frozen=True)
class Aggregate(Node):
    """``total(x)``, ``average(x)``, ``count()``, ``count(cond)``, optionally ``where=cond``.

    Only portfolio rules may hold one; ``arg`` is None for ``count()``. Evaluated over the
    candidates in the portfolio's scope by :mod:`screening.portfolio`, never per candidate.
    """

    func: str
    arg: Node | None
    where: Node | None = None

    def children(self) -> tuple[Node, ...]:
        return tuple(x for x in (self.arg, self.where) if x is not None)
