"""Words for outcomes: rule messages, generated explanations, values read, and fixes.

Everything here reads a rule, a candidate's environment and the outcome an engine decided;
nothing here decides an outcome.
"""

from __future__ import annotations

import datetime as dt
import string
from dataclasses import dataclass
from typing import Mapping

from screening.lang import nodes as n
from screening.lang.evaluate import evaluate, truth
from screening.pack.compiled import PackRule, RulePack

Env = Mapping[str, object]


@dataclass(frozen=True)
class Fix:
    """The smallest change of one input that would make a failed rule pass."""

    field: str
    to: object
    text: str
    #: For a category, a yes/no or a list: every value tried that passes (``to`` first); else empty.
    options: tuple[object, ...] = ()

    def as_dict(self) -> dict[str, object]:
        out = {"field": self.field, "to": jsonable(self.to), "text": self.text}
        if len(self.options) > 1:
            out["options"] = jsonable(list(self.options))
        return out


def jsonable(value: object) -> object:
    """A value as JSON shows it: dates ISO, tuples as lists."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def show(value: object) -> str:
    """A value for a sentence: numbers short, dates ISO, text quoted, missing as 'missing'."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 100_000 else str(value)
    if isinstance(value, float):
        if abs(value) >= 100_000:
            return f"{value:,.0f}"
        return f"{value:.6g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (tuple, list)):
        items = [show(v) for v in value]
        if len(items) > 8:
            items = items[:8] + [f"… {len(value) - 8} more"]
        return "[" + ", ".join(items) + "]"
    if isinstance(value, dict):
        keys = list(value)
        text = ", ".join(f"{k}: {show(value[k])}" for k in keys[:6])
        return "{" + text + (", …" if len(keys) > 6 else "") + "}"
    return str(value)


def for_people(value: object) -> str:
    """A value in a table cell: text unquoted, true/false, missing as 'missing', lists joined, 1,000,000."""
    if value is None:
        return "missing"
    if isinstance(value, dict) and "table" in value and "text" in value:  # a decision table: value, row, inputs
        return str(value["text"])
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ", ".join(for_people(v) for v in value) if value else "(none)"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))
    return show(value)


def values_read(rule: PackRule, env: Env, pack: RulePack | None = None) -> dict[str, object]:
    """Every field and parameter the rule reads, as used (JSON-ready).

    With ``pack``, a decision table read by the rule shows its value with the deciding row (number,
    cells, place), its inputs and why (see :func:`screening.tables.trace.table_values`).
    """
    if pack is not None and pack.tables:
        from screening.tables.trace import table_values
        return {name: table_values(pack.tables[name], env) if name in pack.tables else jsonable(env.get(name))
                for name in rule.names()}
    return {name: jsonable(env.get(name)) for name in rule.names()}


class _MissingAware(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        if value is None:
            return "missing"
        if isinstance(value, bool) or (isinstance(value, (list, tuple)) and not format_spec):
            return for_people(value)  # true/false and joined lists, never Python's spelling
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return show(value)

    def get_value(self, key: object, args: object, kwargs: Mapping[str, object]) -> object:  # type: ignore[override]
        return kwargs.get(str(key))


def render_template(template: str, env: Env) -> str:
    """Fill a rule's message template; missing values read 'missing', never an exception."""
    return _MissingAware().vformat(template, (), env)  # type: ignore[arg-type]


def message_for(rule: PackRule, env: Env, outcome: str) -> str:
    """The rule's own message for ``outcome``, or one generated from its condition."""
    if rule.spec.message is not None:
        template = {"pass": rule.spec.message.pass_, "fail": rule.spec.message.fail,
                    "missing": rule.spec.message.missing, "not_applicable": rule.spec.message.not_applicable}[outcome]
        if template is not None:
            return render_template(template, env)
    return generated_message(rule, env, outcome)


def generated_message(rule: PackRule, env: Env, outcome: str) -> str:
    """Explain an outcome from the condition itself, naming compared values and thresholds."""
    if outcome == "not_applicable":
        return "does not apply: " + explain(rule.applies_if, env, False)  # type: ignore[arg-type]
    if outcome == "missing":
        unknown = rule.applies_if if rule.applies_if is not None and truth(rule.applies_if, env) is None else rule.require
        names = [x for x in unknown.names() if env.get(x) is None]
        if names:
            return "cannot decide: no value for " + ", ".join(names)
        return f"cannot decide: `{unknown.text}` is unknown"
    return explain(rule.require, env, outcome == "pass")


def explain(node: n.Node, env: Env, target: bool) -> str:
    """Why ``node`` evaluates to ``target`` for this candidate, as the parts that make it so."""
    if isinstance(node, n.Compare):
        op = node.op if target else n.NEGATED[node.op]
        return f"{_operand(node.left, env)} {op} {_operand(node.right, env)}"
    if isinstance(node, n.Not):
        return explain(node.operand, env, not target)
    if isinstance(node, n.BoolOp):
        decisive = node.op == "or"
        if target == decisive:  # one part suffices: an 'or' that holds, an 'and' that fails
            parts = [v for v in node.values if truth(v, env) is target]
            return explain(parts[0], env, target) if parts else f"`{node.text}` is {str(target).lower()}"
        return " and ".join(explain(v, env, target) for v in node.values)
    if isinstance(node, n.Call) and node.func == "missing":
        name = node.args[0].text
        return f"{name} is missing" if target else f"{name} is {show(env.get(name))}"
    if isinstance(node, n.Name):
        return f"{node.id} is {show(target)}"
    return f"`{node.text}` is {str(target).lower()}"


def _operand(node: n.Node, env: Env) -> str:
    if isinstance(node, n.Const):
        return show(node.value)
    if isinstance(node, n.ListLit):
        return show(evaluate(node, env))
    value = evaluate(node, env)
    if isinstance(node, n.Name):
        return f"{node.id} {show(value)}"
    return f"{node.text} {show(value)}"


def find_fix(rule: PackRule, env: Env, pack: RulePack) -> Fix | None:
    """For a failed rule: the one input change that makes it pass, where the condition allows.

    Handled: the failing part is a single comparison of an input field with a threshold that
    reads no candidate field (a literal, a parameter or arithmetic on them), possibly inside an
    'and' whose other parts hold. Otherwise None.
    """
    return _fix(rule.require, env, pack)


def _fix(node: n.Node, env: Env, pack: RulePack) -> Fix | None:
    if isinstance(node, n.BoolOp) and node.op == "and":
        failing = [v for v in node.values if truth(v, env) is not True]
        if len(failing) == 1 and truth(failing[0], env) is False:
            return _fix(failing[0], env, pack)
        return None
    if not isinstance(node, n.Compare) or node.op not in ("<", "<=", ">", ">=", "=="):
        return None
    left, right, op = node.left, node.right, node.op
    if not (isinstance(left, n.Name) and _is_input(left.id, pack)):
        left, right = right, left
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}[op]
    if not (isinstance(left, n.Name) and _is_input(left.id, pack)):
        return None
    if any(_is_field(x, pack) for x in right.names()):
        return None
    target = evaluate(right, env)
    current = env.get(left.id)
    if target is None or current is None:
        return None
    name = left.id
    if op == "==":
        return Fix(name, target, f"set {name} from {show(current)} to {show(target)}")
    verb = "raise" if op in (">", ">=") else "lower"
    if op in (">=", "<="):
        return Fix(name, target, f"{verb} {name} from {show(current)} to {show(target)}")
    word = "above" if op == ">" else "below"
    return Fix(name, target, f"{verb} {name} from {show(current)} to {word} {show(target)}")


def _is_field(name: str, pack: RulePack) -> bool:
    return name in pack.fields or name in pack.computed_names()


def _is_input(name: str, pack: RulePack) -> bool:
    f = pack.fields.get(name)
    return f is not None and not f.is_derived
