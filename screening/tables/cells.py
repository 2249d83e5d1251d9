"""The cell language of decision tables, parsed into the rule language (never ``eval``).

A cell tests its column's input::

    -                       anything, missing included (an empty cell in a file too)
    < 10   >= rating('A-')  a comparison (< <= > >= == !=) with a literal or a parameter
    [10, 20)   (0, 1]       an interval, ends closed with [ ] or open with ( )
    'energy', 'metals'      one value or a list of values (a list parameter: membership)
    not(…)                  the opposite of any of these

Bounds and values are literals or parameters (never candidate fields: make those inputs).
``2026-01-31`` is a date. For a text input a bare word (``energy``, ``BBB-``) that names no
parameter is the text itself, so spreadsheet cells need no quotes.

Each cell becomes an expression node over the input's node (``tenor < 10`` …) and a
:class:`Test` that keeps the cell's structure for the overlap and gap checks.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass

from screening.lang import nodes as n
from screening.lang.parse import ExpressionError, parse_expression
from screening.lang.types import BOOL, Type, TypeErrors, check_expression

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BARE = re.compile(r"^[^'\"()\[\],]+$")
_OPS = ("<=", ">=", "!=", "==", "<", ">", "=")


class CellError(ValueError):
    """A cell that is not in the cell language, or does not fit its input's type."""


@dataclass(frozen=True)
class Test:
    """A cell's structure.

    ``kind`` is ``any``, ``cmp`` (``op`` and one bound), ``interval`` (two bounds, ``closed``
    ends), ``values`` (the items; ``member`` when the one item is a list parameter) or ``not``
    (``inner``). Bounds and items are expression nodes over literals and parameters.
    """

    kind: str
    op: str = ""
    bounds: tuple[n.Node, ...] = ()
    closed: tuple[bool, bool] = (True, True)
    inner: Test | None = None
    member: bool = False


@dataclass(frozen=True)
class Cell:
    """One parsed cell: what was written, its structure and its condition over the input."""

    text: str
    test: Test
    node: n.Node


def cell_text(raw: object) -> str:
    """How a cell value is shown (as the author would write it)."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return str(raw).strip()


def parse_cell(raw: object, subject: n.Node, subject_type: Type, scope: Mapping[str, Type],
               constants: set[str]) -> Cell:
    """Parse one cell into a condition over ``subject`` (the input's expression).

    Args:
        raw: the cell as the file gives it: text, or a number, bool or date.
        subject: the input's expression node.
        subject_type: its type.
        scope: the type of every name.
        constants: names a bound may read (parameters and ``as_of``).

    Raises:
        CellError: with a message naming the offending part.
    """
    if raw is None:
        raw = "-"
    if isinstance(raw, (list, dict)):
        raise CellError("a cell is text or a single value; write an interval or a list in quotes, e.g. '[10, 20)'")
    if not isinstance(raw, str):
        value = raw.date() if isinstance(raw, dt.datetime) else raw
        item = n.Const(value, text=cell_text(value))  # type: ignore[arg-type]  # a scalar from YAML or a sheet
        test = Test("values", bounds=(item,))
    else:
        test = _parse_test(raw.strip(), subject_type, scope, constants)
    text = cell_text(raw) or "-"
    node = _node(test, subject, text)
    if test.kind != "any":
        try:
            check_expression(node, scope, want=BOOL)
        except TypeErrors as exc:
            raise CellError("; ".join(f"{m}: `{p}`" for m, p in exc.problems)) from None
    return Cell(text, test, node)


def _parse_test(text: str, subject_type: Type, scope: Mapping[str, Type], constants: set[str]) -> Test:
    if text in ("-", ""):
        return Test("any")
    low = text.lower()
    if low.startswith("not(") and text.endswith(")") and _balanced(text[4:-1]):
        inner = _parse_test(text[4:-1].strip(), subject_type, scope, constants)
        if inner.kind == "any":
            raise CellError("not(-) matches nothing")
        return Test("not", inner=inner)
    for op in _OPS:
        if text.startswith(op):
            rest = text[len(op):].strip()
            if not rest:
                raise CellError(f"'{op}' needs a value after it")
            bound = _value(rest, subject_type, scope, constants)
            return Test("cmp", op="==" if op == "=" else op, bounds=(bound,))
    if text[0] in "[(]" and text[-1] in "])[" and len(text) >= 2:
        body = text[1:-1]
        parts = _split(body) if ".." not in body else [p.strip() for p in body.split("..", 1)]
        if len(parts) != 2:
            raise CellError(f"an interval has two bounds, like [10, 20); got `{text}`")
        lo, hi = (_value(p, subject_type, scope, constants) for p in parts)
        return Test("interval", bounds=(lo, hi), closed=(text[0] == "[", text[-1] == "]"))
    items = tuple(_value(p, subject_type, scope, constants) for p in _split(text))
    if not items:
        raise CellError(f"no value in `{text}`")
    member = False
    if len(items) == 1 and isinstance(items[0], n.Name) and scope.get(items[0].id, Type("any")).kind in ("list", "mapping"):
        member = True
    return Test("values", bounds=items, member=member)


def _value(piece: str, subject_type: Type, scope: Mapping[str, Type], constants: set[str]) -> n.Node:
    """One bound or listed value: a literal, a parameter, or (for text inputs) a bare word."""
    piece = piece.strip()
    if not piece:
        raise CellError("an empty value (two commas in a row, or a trailing comma)")
    if _ISO_DATE.match(piece):
        try:
            return n.Const(dt.date.fromisoformat(piece), text=piece)
        except ValueError:
            raise CellError(f"'{piece}' is not a date (YYYY-MM-DD)") from None
    if subject_type.kind in ("bool", "any") and piece.lower() in ("true", "false"):
        return n.Const(piece.lower() == "true", text=piece.lower())  # a spreadsheet's TRUE / FALSE
    textual = subject_type.kind in ("string", "any")
    try:
        node = parse_expression(piece)
    except ExpressionError as exc:
        if textual and _BARE.match(piece):
            return n.Const(piece, text=repr(piece))
        raise CellError(f"{exc.message} in `{piece}`") from None
    if textual and _BARE.match(piece) and any(name not in scope for name in node.names()):
        return n.Const(piece, text=repr(piece))  # a bare word (or 'critical-minerals'), not a formula
    if isinstance(node, n.Const) and isinstance(node.value, str) and _strings(piece) > 1:
        raise CellError(f"two texts side by side in `{piece}`: separate values with commas")
    for name in node.names():
        if name in scope and name not in constants:
            raise CellError(f"a cell compares with literals and parameters; '{name}' is a field or table "
                            "(make it one of the table's inputs)")
    return node


def _strings(piece: str) -> int:
    """How many string literals a piece holds (Python would join ``'a' 'b'`` into ``'ab'``)."""
    try:
        return sum(1 for t in tokenize.generate_tokens(io.StringIO(piece).readline) if t.type == tokenize.STRING)
    except (tokenize.TokenError, SyntaxError):
        return 0


def _balanced(text: str) -> bool:
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quote


def _split(text: str) -> list[str]:
    """Split on commas outside quotes and brackets."""
    parts, depth, quote, cur = [], 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    if cur.strip() or parts:
        parts.append(cur)
    return [p.strip() for p in parts]


def _node(test: Test, subject: n.Node, text: str) -> n.Node:
    """The condition a test puts on ``subject``, in the rule language."""
    who = subject.text or "input"
    if test.kind == "any":
        return n.Const(True, text="-")
    if test.kind == "cmp":
        bound = test.bounds[0]
        return n.Compare(test.op, subject, bound, text=f"{who} {test.op} {bound.text}")
    if test.kind == "interval":
        lo, hi = test.bounds
        lo_op, hi_op = (">=" if test.closed[0] else ">"), ("<=" if test.closed[1] else "<")
        return n.BoolOp("and", (n.Compare(lo_op, subject, lo, text=f"{who} {lo_op} {lo.text}"),
                                n.Compare(hi_op, subject, hi, text=f"{who} {hi_op} {hi.text}")),
                        text=f"{who} in {text}")
    if test.kind == "values":
        if test.member:
            return n.Compare("in", subject, test.bounds[0], text=f"{who} in {test.bounds[0].text}")
        if len(test.bounds) == 1:
            return n.Compare("==", subject, test.bounds[0], text=f"{who} == {test.bounds[0].text}")
        items = n.ListLit(test.bounds, text="[" + ", ".join(b.text for b in test.bounds) + "]")
        return n.Compare("in", subject, items, text=f"{who} in {items.text}")
    assert test.inner is not None
    return n.Not(_node(test.inner, subject, text), text=f"not ({who}: {text})")
