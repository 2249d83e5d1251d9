"""Where a comparison changes truth as one input moves: the numeric side of counterfactual fixes.

Numbers, integers and dates (as day ordinals) are one axis each. A failing comparison's two
sides are evaluated with the input moved; where they meet is a candidate value — solved exactly
(secant, refined) where the comparison is linear in the input, also through derived fields such
as ``equity / amount``, and by walking out from the current value and bisecting otherwise.
Callers re-check every value by re-deciding the rule: this module proposes, it never decides.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Mapping

from screening.derive import derived_value, downstream, with_derived
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.pack.compiled import ResolvedPack, RulePack

Env = Mapping[str, object]
#: Field types searched along an axis.
AXIS_TYPES = ("number", "integer", "date")
_DAY_MIN, _DAY_MAX = 1, dt.date.max.toordinal()
_BUILTINS = ("stage", "stage_since", "deadline")


def inputs_reaching(names: list[str], pack: RulePack) -> list[str]:
    """Input fields a set of names depends on, through derived fields and tables (in first-seen order)."""
    out: dict[str, None] = {}
    stack = list(names)
    seen: set[str] = set()
    while stack:
        name = stack.pop(0)
        if name in seen:
            continue
        if name in pack.tables:  # a decision table: through its inputs
            seen.add(name)
            stack.extend(pack.tables[name].names())
            continue
        if name not in pack.fields:
            continue
        seen.add(name)
        f = pack.fields[name]
        if f.derive is None:
            out.setdefault(name, None)
        else:
            stack.extend(f.derive.names())
    return list(out)


def env_with(resolved: ResolvedPack, env: Env, field: str, value: object) -> dict[str, object]:
    """The candidate's environment with one input changed and the derived fields computed again.

    ``env`` holds the candidate's derived values (as :func:`screening.derive.with_derived` gives
    them) and the constants; only the derived fields and tables that depend on ``field`` are
    computed again (the others cannot change).
    """
    if not all(name in env for name in resolved.pack.derive_order) or "as_of" not in env:
        return _env_with_all(resolved, env, field, value)
    out = dict(env)
    out[field] = value
    for name in downstream(resolved, field):
        out[name] = derived_value(resolved, name, out)
    return out


def _env_with_all(resolved: ResolvedPack, env: Env, field: str, value: object) -> dict[str, object]:
    pack = resolved.pack
    computed = pack.computed_names()  # flow built-ins and finance fields: kept as they are
    row = {k: v for k, v in env.items() if k in pack.fields or k in _BUILTINS or k in computed}
    for name in pack.derive_order:
        row.pop(name, None)
    row[field] = value
    return {**with_derived(resolved, [row])[0], **resolved.constants()}


def to_axis(kind: str, value: object) -> float | None:
    """A value as a point on its axis (dates as day ordinals); None if it has none."""
    if value is None or isinstance(value, bool):
        return None
    if kind == "date":
        return float(value.toordinal()) if isinstance(value, dt.date) else None
    return float(value) if isinstance(value, (int, float)) else None


def from_axis(kind: str, x: float) -> object:
    """The value at a point of the axis (dates rounded to the day, integers to the unit)."""
    if kind == "date":
        return dt.date.fromordinal(int(min(max(round(x), _DAY_MIN), _DAY_MAX)))
    if kind == "integer":
        return float(round(x))
    return x


def axis_bounds(resolved: ResolvedPack, field: str) -> tuple[float, float]:
    spec = resolved.pack.fields[field].spec
    if spec.type.value == "date":
        return float(_DAY_MIN), float(_DAY_MAX)
    return (float(spec.min) if spec.min is not None else -1e18, float(spec.max) if spec.max is not None else 1e18)


def start_point(resolved: ResolvedPack, env: Env, field: str) -> float:
    """Where the search starts: the current value, else the screening date or zero."""
    kind = resolved.pack.fields[field].spec.type.value
    x = to_axis(kind, env.get(field))
    if x is not None:
        return x
    if kind == "date":
        return float(resolved.as_of.toordinal())
    lo, hi = axis_bounds(resolved, field)
    return min(max(0.0, lo), hi)


def _gap(resolved: ResolvedPack, env: Env, node: n.Compare, field: str, x: float) -> float | None:
    kind = resolved.pack.fields[field].spec.type.value
    e = env_with(resolved, env, field, from_axis(kind, x))
    a, b = evaluate(node.left, e), evaluate(node.right, e)
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return float((a - b).days)
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return None
    return float(a) - float(b)


def crossings(resolved: ResolvedPack, env: Env, node_root: n.Node, field: str) -> list[float]:
    """Points of ``field``'s axis where some comparison under ``node_root`` that depends on it changes truth."""
    lo, hi = axis_bounds(resolved, field)
    x0 = start_point(resolved, env, field)
    values: list[float] = []
    for node in node_root.walk():
        if not isinstance(node, n.Compare) or node.op in ("in", "not in"):
            continue
        if field not in inputs_reaching(node.names(), resolved.pack):
            continue
        x1 = x0 * 2 + 1.0 if x0 >= 0 else x0 * 2 - 1.0
        if resolved.pack.fields[field].spec.type.value == "date":
            x1 = x0 + 365.0
        g0, g1 = _gap(resolved, env, node, field, x0), _gap(resolved, env, node, field, x1)
        if g0 is None or g1 is None or g0 == g1:
            continue
        root = x0 - g0 * (x1 - x0) / (g1 - g0)
        for _ in range(3):  # refine the secant near the root (large inputs lose digits in the first step)
            step = abs(root) * 1e-6 + 1e-9
            ga, gb = _gap(resolved, env, node, field, root), _gap(resolved, env, node, field, root + step)
            if ga is None or gb is None or ga == gb or ga == 0:
                break
            root = root - ga * step / (gb - ga)
        gr = _gap(resolved, env, node, field, root)
        solved = gr is not None and abs(gr) <= 1e-9 * max(1.0, abs(g0))
        if solved and lo <= root <= hi:
            values.append(root)  # linear (or close enough): the exact crossing
        if solved and affine_in(node, field, resolved.pack):
            continue  # provably linear: the secant's root is the only crossing (in bounds or not)
        values.extend(_bracketed_roots(resolved, env, node, field, x0, g0, lo, hi))
    return values


def affine_in(node: n.Node, field: str, pack: RulePack) -> bool:
    """Whether ``node``'s value is, as far as the expression shows, ``a + b * field`` along ``field``'s axis.

    Read through derived fields: ``+ -``, ``*`` and ``/`` by what does not depend on ``field``, a
    conditional whose condition does not change along the axis (``missing(field)`` does not: a
    value on the axis is never missing), ``days``. A decision table, ``abs``, ``min``, ``max``
    or ``rating`` of the field are not (their crossings are searched for).
    """
    cache = pack.__dict__.setdefault("_affine", {})
    key = (id(node), field)
    if key not in cache:
        cache[key] = (node, _affine(node, field, pack))  # the node is kept: its id stays its own
    return cache[key][1]  # type: ignore[no-any-return]


def _depends(node: n.Node, field: str, pack: RulePack) -> bool:
    return field in inputs_reaching(node.names(), pack)


def _steady(node: n.Node, field: str, pack: RulePack) -> bool:
    """A condition whose truth does not change while ``field`` moves along its axis."""
    if not _depends(node, field, pack):
        return True
    if isinstance(node, n.Call) and node.func == "missing":
        return len(node.args) == 1 and isinstance(node.args[0], n.Name) and node.args[0].id == field
    if isinstance(node, n.Not):
        return _steady(node.operand, field, pack)
    if isinstance(node, n.BoolOp):
        return all(_steady(v, field, pack) for v in node.values)
    return False


def _affine(node: n.Node, field: str, pack: RulePack) -> bool:
    if not _depends(node, field, pack):
        return True
    if isinstance(node, n.Name):
        if node.id == field:
            return True
        f = pack.fields.get(node.id)
        return f is not None and f.derive is not None and node.id not in pack.tables and _affine(f.derive, field, pack)
    if isinstance(node, n.Arith):
        if node.op in ("+", "-"):
            return _affine(node.left, field, pack) and _affine(node.right, field, pack)
        if node.op == "*":
            return (not _depends(node.left, field, pack) and _affine(node.right, field, pack)) or \
                (not _depends(node.right, field, pack) and _affine(node.left, field, pack))
        return node.op == "/" and not _depends(node.right, field, pack) and _affine(node.left, field, pack)
    if isinstance(node, n.Neg):
        return _affine(node.operand, field, pack)
    if isinstance(node, n.Compare):  # its gap: left - right
        return node.op not in ("in", "not in") and _affine(node.left, field, pack) and _affine(node.right, field, pack)
    if isinstance(node, n.IfElse):
        return _steady(node.cond, field, pack) and _affine(node.then, field, pack) and _affine(node.otherwise, field, pack)
    if isinstance(node, n.Call) and node.func == "days":
        return all(_affine(a, field, pack) for a in node.args)
    return False


def _bracketed_roots(resolved: ResolvedPack, env: Env, node: n.Compare, field: str, x0: float, g0: float,
                     lo: float, hi: float) -> list[float]:
    """Crossings found by walking out from the current value in both directions, then bisecting."""
    roots = []
    for direction in (1.0, -1.0):
        d, prev, gprev = max(abs(x0), 1.0) * 1e-6, x0, g0
        for _ in range(90):
            x = min(max(x0 + direction * d, lo), hi)
            g = _gap(resolved, env, node, field, x)
            if g is None:
                break
            if (g > 0) != (gprev > 0) or g == 0:
                a, b, ga = prev, x, gprev
                for _ in range(200):
                    m = (a + b) / 2
                    gm = _gap(resolved, env, node, field, m)
                    if gm is None or m in (a, b):
                        break
                    if (gm > 0) == (ga > 0) and gm != 0:
                        a, ga = m, gm
                    else:
                        b = m
                roots.append(b)
                break
            if x in (lo, hi):
                break
            prev, gprev, d = x, g, d * 2
    return roots


def near(x: float, towards_from: float, kind: str) -> list[float]:
    """Values to try at a crossing: tidied, the crossing itself and the nearest points past and before it."""
    if kind in ("date", "integer"):
        sign = 1 if x > towards_from else -1
        r = float(round(x))
        return [r, r + sign, r - sign, r + 2 * sign]
    sign = 1 if x > towards_from else -1
    out = [x]
    for s in (sign, -sign):  # past the crossing first; then just before it (a narrow window may lie there)
        out.append(math.nextafter(x, math.inf if s > 0 else -math.inf))
        out += [x + s * (abs(x) * rel + 1e-12) for rel in (1e-12, 1e-9, 1e-6)]
    return [v for raw in out for v in (float(f"{raw:.10g}"), raw)]  # a tidy value first, kept only if it passes


def axis_trials(rule_node: n.Node, resolved: ResolvedPack, env: Env, field: str) -> list[list[tuple[float, object]]]:
    """Groups of (cost, value) to try for an input on an axis, one group per crossing, in the order to try.

    Within a group the first value that passes is the one to propose (a tidy value before the
    exact one); across groups the cheapest wins. Cost is the relative change (days / 3650 for a
    date), 1 for supplying a missing value.
    """
    kind = resolved.pack.fields[field].spec.type.value
    current = to_axis(kind, env.get(field))
    origin = current if current is not None else start_point(resolved, env, field)
    lo, hi = axis_bounds(resolved, field)
    groups: list[list[tuple[float, object]]] = []
    from screening.tables.trace import table_conditions
    nodes = [rule_node, *table_conditions(resolved.pack, rule_node)]  # a table's cells cross too
    for root in (r for node in nodes for r in crossings(resolved, env, node, field)):
        group = []
        for x in near(root, origin, kind):
            if not lo <= x <= hi:
                continue
            if current is None:
                cost = 1.0
            elif kind == "date":
                cost = abs(x - current) / 3650.0
            else:
                cost = abs(x - current) / max(abs(current), 1e-12)
            value = from_axis(kind, x)
            group.append((cost, int(value) if kind == "integer" else value))  # type: ignore[call-overload]
        groups.append(group)
    return groups
