"""Parse rule expressions with Python's ``ast`` (eval mode) into :mod:`screening.lang.nodes`.

Only a whitelist of node types is accepted; anything else (attribute access, lambdas,
comprehensions, other calls, ...) is reported with the offending text. Nothing is ever
``eval``ed.
"""

from __future__ import annotations

import ast
import datetime as dt
import re

from screening.lang import nodes as n
from screening.limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH

_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in", ast.NotIn: "not in"}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_ARITY = {"missing": (1, 1), "date": (1, 1), "days": (2, 2), "business_days": (2, 2), "abs": (1, 1), "min": (2, 99), "max": (2, 99), "rating": (1, 1)}
_DESCRIBE = {
    ast.Attribute: "attribute access", ast.Lambda: "lambda", ast.ListComp: "comprehension",
    ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension",
    ast.Dict: "mapping literal", ast.Set: "set literal", ast.Tuple: "tuple", ast.Starred: "star expression",
    ast.JoinedStr: "f-string", ast.NamedExpr: "assignment expression", ast.Await: "await",
    ast.Yield: "yield", ast.Slice: "slice", ast.Is: "'is'", ast.IsNot: "'is not'",
}


class ExpressionError(ValueError):
    """An expression that is not in the language. ``part`` is the offending text."""

    def __init__(self, message: str, part: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.part = part


def parse_expression(source: str, *, aggregates: bool = False) -> n.Node:
    """Parse one expression of the rule language.

    Args:
        source: the expression text from a rule file.
        aggregates: allow ``total``, ``average`` and ``count`` (portfolio rules only, §10).

    Returns:
        The expression tree.

    Raises:
        ExpressionError: on a syntax error or any construct outside the language; the
            message lists every offending part.
    """
    text = source.strip()
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression of {len(text):,} characters is longer than the limit of "
                              f"{MAX_EXPRESSION_CHARS:,}; split the rule", text[:20])
    text = text.replace("\n", " ").replace("\r", " ")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        hint = foreign_operator(text)
        if hint is not None:
            raise ExpressionError(*hint) from None
        col = (exc.offset or 1) - 1
        raise ExpressionError(f"syntax error at column {col + 1}: {exc.msg}", text[col:col + 20]) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression nested deeper than the limit of {MAX_EXPRESSION_DEPTH}", text[:20]) from None
    except ValueError as exc:  # e.g. a NUL character
        raise ExpressionError(f"not an expression: {exc}", text[:20]) from None
    deepest = _depth(tree.body)
    if deepest > MAX_EXPRESSION_DEPTH:
        raise ExpressionError(f"expression nested {deepest} levels deep; the limit is {MAX_EXPRESSION_DEPTH}",
                              text[:20])
    builder = _Builder(text, aggregates=aggregates)
    node = builder.build(tree.body)
    if builder.errors:
        msg = "; ".join(f"{m}: `{part}`" for m, part in builder.errors)
        raise ExpressionError(msg, builder.errors[0][1])
    return node


#: Python operators outside the language that have a word in it.
_BINOP_HINTS = {
    ast.BitAnd: "`&` is not allowed: write `and`", ast.BitOr: "`|` is not allowed: write `or`",
    ast.Mod: "`%` is not allowed: write a percentage as a fraction (5% is 0.05)",
}

#: Operators of other languages that authors write by habit, and what to write instead.
_FOREIGN = (("=>", ">="), ("=<", "<="), ("&&", "and"), ("||", "or"), ("<>", "!="), ("===", "=="))


def foreign_operator(text: str) -> tuple[str, str] | None:
    """A message for the first operator from another language (``=>``, ``&&``, ``||``, ``!x``,
    ``AND``, a single ``=``, ``5%``) outside string literals, or None. Only asked after a syntax error."""
    code = _outside_strings(text)
    found: list[tuple[int, str]] = []

    def instead(at: int, wrong: str, right: str) -> None:
        found.append((at, f"`{wrong}` is not an operator here (column {at + 1}): write `{right}`"))

    for wrong, right in _FOREIGN:
        at = code.find(wrong)
        if at >= 0:
            instead(at, wrong, right)
    for word in re.finditer(r"\b(AND|OR|NOT|And|Or|Not)\b", code):
        instead(word.start(), word.group(0), word.group(0).lower())
    bang = re.search(r"!(?!=)", code)
    if bang:
        instead(bang.start(), "!", "not")
    for single in re.finditer(r"(?<![=!<>])=(?![=<>])", code):
        if not re.search(r"\bwhere\s*$", code[:single.start()]):  # total(x, where=cond) is right
            instead(single.start(), "=", "==")
            break
    percent = re.search(r"(\d+(?:\.\d+)?)\s*%", code)
    if percent:
        fraction = f"{float(percent.group(1)) / 100:.10g}"
        found.append((percent.start(), f"`{percent.group(0)}` (column {percent.start() + 1}): write a percentage "
                                        f"as a fraction, `{fraction}`"))
    if not found:
        return None
    at, message = min(found)
    return message, text[at:at + 20]


def _outside_strings(text: str) -> str:
    """``text`` with the inside of quoted strings blanked, so operators in them are not seen."""
    out, quote = [], ""
    for ch in text:
        if quote:
            out.append(quote if ch == quote else " ")
            quote = "" if ch == quote else quote
        else:
            if ch in "'\"":
                quote = ch
            out.append(ch)
    return "".join(out)


def _depth(root: ast.AST) -> int:
    """Nesting depth of a syntax tree, counted without recursion; a flat ``a and b and ...`` is shallow."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_EXPRESSION_DEPTH:
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node)
                         if not isinstance(child, (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)))
    return deepest


class _Builder:
    def __init__(self, source: str, *, aggregates: bool = False) -> None:
        # One line (newlines were replaced): a node's text is a slice of the UTF-8 bytes at its
        # column offsets. ast.get_source_segment would split the source into lines on every call,
        # which made parsing quadratic in the length of an expression.
        self.source = source.encode("utf-8")
        self.errors: list[tuple[str, str]] = []
        self.aggregates = aggregates
        self.in_aggregate = False

    def seg(self, node: ast.AST) -> str:
        start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if start is None or end is None:
            return ""
        return self.source[start:end].decode("utf-8", errors="replace")

    def fail(self, message: str, node: ast.AST) -> n.Node:
        self.errors.append((message, self.seg(node)))
        return n.Const(None, text=self.seg(node))

    def build(self, node: ast.AST) -> n.Node:  # noqa: C901 - one branch per node type
        text = self.seg(node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or isinstance(node.value, (int, float, str)):
                return n.Const(node.value, text=text)
            return self.fail(f"literal {node.value!r} is not allowed", node)
        if isinstance(node, ast.List):
            return n.ListLit(tuple(self.build(e) for e in node.elts), text=text)
        if isinstance(node, ast.Name):
            if node.id in ("True", "False", "None"):
                return self.fail("'None' is not allowed; use missing(x)", node)
            return n.Name(node.id, text=text)
        if isinstance(node, ast.Compare):
            return self._compare(node, text)
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return n.BoolOp(op, tuple(self.build(v) for v in node.values), text=text)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return n.Not(self.build(node.operand), text=text)
            if isinstance(node.op, ast.USub):
                operand = self.build(node.operand)
                if isinstance(operand, n.Const) and isinstance(operand.value, (int, float)) and not isinstance(operand.value, bool):
                    return n.Const(-operand.value, text=text)
                return n.Neg(operand, text=text)
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand)
            return self.fail("operator '~' is not allowed", node)
        if isinstance(node, ast.BinOp):
            op = _ARITH.get(type(node.op))
            if op is None:
                return self.fail(_BINOP_HINTS.get(type(node.op), f"operator '{type(node.op).__name__}' is not allowed")
                                 + " (only + - * /)", node)
            return n.Arith(op, self.build(node.left), self.build(node.right), text=text)
        if isinstance(node, ast.IfExp):
            return n.IfElse(self.build(node.test), self.build(node.body), self.build(node.orelse), text=text)
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                return self.fail("slices are not allowed", node)
            return n.Subscript(self.build(node.value), self.build(node.slice), text=text)
        if isinstance(node, ast.Call):
            return self._call(node, text)
        what = _DESCRIBE.get(type(node), type(node).__name__)
        if isinstance(node, (ast.Tuple, ast.Set)):
            return self.fail(f"{what} is not allowed: write a list in square brackets, e.g. "
                             f"[{', '.join(self.seg(e) for e in node.elts)}]", node)
        return self.fail(f"{what} is not allowed", node)

    def _compare(self, node: ast.Compare, text: str) -> n.Node:
        operands = [node.left, *node.comparators]
        built = [self.build(o) for o in operands]
        parts: list[n.Node] = []
        for i, op in enumerate(node.ops):
            sym = _CMP.get(type(op))
            if sym is None:
                self.fail(f"{_DESCRIBE.get(type(op), type(op).__name__)} is not allowed", node)
                return n.Const(None, text=text)
            left, right = built[i], built[i + 1]
            seg = f"{self.seg(operands[i])} {sym} {self.seg(operands[i + 1])}"
            parts.append(n.Compare(sym, left, right, text=seg if len(node.ops) > 1 else text))
        if len(parts) == 1:
            return parts[0]
        return n.BoolOp("and", tuple(parts), text=text)

    def _call(self, node: ast.Call, text: str) -> n.Node:
        if not isinstance(node.func, ast.Name):
            return self.fail("only the functions missing, date, days, business_days, abs, min, max, rating may be called", node)
        name = node.func.id
        if name in n.AGGREGATES:
            return self._aggregate(node, name, text)
        if name not in _ARITY:
            return self.fail(f"unknown function '{name}' (allowed: {', '.join(n.FUNCTIONS)})", node)
        if node.keywords:
            return self.fail(f"{name}() takes no keyword arguments", node)
        lo, hi = _ARITY[name]
        if not lo <= len(node.args) <= hi:
            want = f"{lo}" if lo == hi else f"at least {lo}"
            return self.fail(f"{name}() takes {want} argument{'s' if lo != 1 else ''}, got {len(node.args)}", node)
        args = tuple(self.build(a) for a in node.args)
        if name == "date":
            arg = args[0]
            if not (isinstance(arg, n.Const) and isinstance(arg.value, str)):
                return self.fail("date() takes a literal 'YYYY-MM-DD' string", node)
            try:
                return n.Const(dt.date.fromisoformat(arg.value), text=text)
            except ValueError:
                return self.fail(f"'{arg.value}' is not a date (YYYY-MM-DD)", node)
        if name == "missing" and not isinstance(args[0], n.Name):
            return self.fail("missing() takes a field or parameter name", node)
        return n.Call(name, args, text=text)


    def _aggregate(self, node: ast.Call, name: str, text: str) -> n.Node:
        if not self.aggregates:
            return self.fail(f"{name}() is an aggregate over the whole list: it is allowed only in the rules of a "
                             "pack's 'portfolio:' section", node)
        if self.in_aggregate:
            return self.fail(f"aggregates cannot be nested: {name}() inside another aggregate", node)
        unknown = [k.arg or "**" for k in node.keywords if k.arg != "where"]
        if unknown:
            return self.fail(f"{name}() takes only the keyword 'where=', not {', '.join(unknown)}", node)
        where_kw = [k.value for k in node.keywords if k.arg == "where"]
        if name == "count":
            if len(node.args) > 1 or (node.args and where_kw):
                return self.fail("count() takes no argument (every candidate) or one condition: count(cond)", node)
        elif len(node.args) != 1:
            return self.fail(f"{name}() takes one argument, the value to aggregate: {name}(x) or {name}(x, where=cond)",
                             node)
        self.in_aggregate = True
        try:
            arg = self.build(node.args[0]) if node.args else None
            where = self.build(where_kw[0]) if where_kw else None
        finally:
            self.in_aggregate = False
        if name == "count" and arg is None and where is not None:
            arg, where = where, None
        return n.Aggregate(name, arg, where, text=text)


def unparse(node: n.Node) -> str:
    """Print an expression back in the rule language (used for messages and round-trip tests)."""
    if isinstance(node, n.Const):
        v = node.value
        if isinstance(v, dt.date):
            return f"date('{v.isoformat()}')"
        if isinstance(v, str):
            return repr(v)
        return repr(v)
    if isinstance(node, n.ListLit):
        return "[" + ", ".join(unparse(i) for i in node.items) + "]"
    if isinstance(node, n.Name):
        return node.id
    if isinstance(node, n.Compare):
        return f"{_wrap(node.left)} {node.op} {_wrap(node.right)}"
    if isinstance(node, n.BoolOp):
        return f" {node.op} ".join(_wrap(v) for v in node.values)
    if isinstance(node, n.Not):
        return f"not {_wrap(node.operand)}"
    if isinstance(node, n.IfElse):
        return f"({unparse(node.then)} if {unparse(node.cond)} else {unparse(node.otherwise)})"
    if isinstance(node, n.Arith):
        return f"({_wrap(node.left)} {node.op} {_wrap(node.right)})"
    if isinstance(node, n.Neg):
        return f"-{_wrap(node.operand)}"
    if isinstance(node, n.Subscript):
        return f"{_wrap(node.mapping)}[{unparse(node.key)}]"
    if isinstance(node, n.Call):
        return f"{node.func}(" + ", ".join(unparse(a) for a in node.args) + ")"
    if isinstance(node, n.Aggregate):
        parts = [unparse(node.arg)] if node.arg is not None else []
        if node.where is not None:
            parts.append(f"where={unparse(node.where)}")
        return f"{node.func}(" + ", ".join(parts) + ")"
    raise TypeError(f"not an expression node: {node!r}")


def _wrap(node: n.Node) -> str:
    text = unparse(node)
    if isinstance(node, (n.BoolOp, n.Compare, n.Not)):
        return f"({text})"
    return text
