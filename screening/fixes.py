"""Counterfactual fixes: what would have to change for a failed rule, or a whole candidate, to pass.

For a failed rule: the smallest change of one candidate input that makes the rule pass, the
other inputs held. Numeric inputs are moved to where a failing comparison's two sides meet —
solved exactly where the comparison is linear in the input (also through derived fields such
as ``equity / amount``), by bisection where it is monotone but not linear — and the result is
checked by re-evaluating the rule. Yes/no inputs are flipped. For a candidate: the fixes of its
failed blocking rules applied together, checked to give ``eligible``; or a plain statement of
what no change of inputs can repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.explain import Fix, find_fix, show
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.pack.compiled import PackRule, ResolvedPack, RulePack

Env = Mapping[str, object]
_INPUT_TYPES = ("number", "integer")


def _inputs_reaching(names: list[str], pack: RulePack) -> list[str]:
    """Input fields a set of names depends on, through derived fields (in first-seen order)."""
    out: dict[str, None] = {}
    stack = list(names)
    seen: set[str] = set()
    while stack:
        name = stack.pop(0)
        if name in seen or name not in pack.fields:
            continue
        seen.add(name)
        f = pack.fields[name]
        if f.derive is None:
            out.setdefault(name, None)
        else:
            stack.extend(f.derive.names())
    return list(out)


def _env_with(resolved: ResolvedPack, env: Env, field: str, value: object) -> dict[str, object]:
    pack = resolved.pack
    row = {k: v for k, v in env.items() if k in pack.fields or k in ("stage", "stage_since", "deadline")}
    for name in pack.derive_order:
        row.pop(name, None)
    row[field] = value
    return {**with_derived(resolved, [row])[0], **resolved.constants()}


def _gap(resolved: ResolvedPack, env: Env, node: n.Compare, field: str, x: float) -> float | None:
    e = _env_with(resolved, env, field, x)
    a, b = evaluate(node.left, e), evaluate(node.right, e)
    if isinstance(a, bool) or isinstance(b, bool) or not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return None
    return float(a) - float(b)


def _candidate_values(resolved: ResolvedPack, env: Env, rule: PackRule, field: str) -> list[float]:
    """Values of ``field`` where some comparison of the rule that depends on it changes truth."""
    current = env.get(field)
    if not isinstance(current, (int, float)) or isinstance(current, bool):
        return []
    spec = resolved.pack.fields[field].spec
    lo = spec.min if spec.min is not None else -1e18
    hi = spec.max if spec.max is not None else 1e18
    values: list[float] = []
    for node in rule.require.walk():
        if not isinstance(node, n.Compare) or node.op in ("in", "not in"):
            continue
        if field not in _inputs_reaching(node.names(), resolved.pack):
            continue
        x0 = float(current)
        x1 = x0 * 2 + 1.0 if x0 >= 0 else x0 * 2 - 1.0
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
        if gr is not None and abs(gr) <= 1e-9 * max(1.0, abs(g0)) and lo <= root <= hi:
            values.append(root)  # linear (or close enough): the exact crossing
        values.extend(_bracketed_roots(resolved, env, node, field, x0, g0, lo, hi))
    return values


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




def _nudge(x: float, towards_from: float) -> list[float]:
    """The value itself and the nearest floats past it (for strict comparisons)."""
    import math
    sign = 1 if x > towards_from else -1
    out = [x]
    for s in (sign, -sign):  # past the crossing first; then just before it (a narrow window may lie there)
        out.append(math.nextafter(x, math.inf if s > 0 else -math.inf))
        out += [x + s * (abs(x) * rel + 1e-12) for rel in (1e-12, 1e-9, 1e-6)]
    return out


def find_rule_fix(rule: PackRule, env: Env, resolved: ResolvedPack) -> Fix | None:
    """The smallest single-input change that makes a failed rule pass, or None."""
    pack = resolved.pack
    if decide_rule(rule, dict(env)) != "fail":
        return None
    best: tuple[float, Fix] | None = None
    for field in _inputs_reaching(rule.require.names(), pack):
        kind = pack.fields[field].spec.type.value
        current = env.get(field)
        if current is None:
            continue
        if kind == "bool":
            if decide_rule(rule, _env_with(resolved, env, field, not current)) == "pass":
                fix = Fix(field, not current, f"set {field} from {show(current)} to {show(not current)}")
                if best is None:
                    best = (float("inf"), fix)
            continue
        if kind not in _INPUT_TYPES:
            continue
        for root in _candidate_values(resolved, env, rule, field):
            tries = [v for raw in _nudge(root, float(current)) for v in (_tidy(raw), raw)]  # type: ignore[arg-type]
            for value in tries:
                if kind == "integer":
                    value = float(round(value))
                if decide_rule(rule, _env_with(resolved, env, field, value)) == "pass":
                    cost = abs(value - float(current)) / max(abs(float(current)), 1e-12)  # type: ignore[arg-type]
                    verb = "raise" if value > current else "lower"  # type: ignore[operator]
                    shown = int(value) if kind == "integer" else value
                    fix = Fix(field, shown, f"{verb} {field} from {show(current)} to {show(shown)}")
                    if best is None or cost < best[0]:
                        best = (cost, fix)
                    break
    return best[1] if best else None


def _tidy(x: float) -> float:
    """A solved value rounded to 10 significant digits (tried first; kept only if it still passes)."""
    return float(f"{x:.10g}")


@dataclass(frozen=True)
class Remedy:
    """What would make a candidate eligible, or why nothing can."""

    possible: bool
    changes: tuple[Fix, ...]
    blocked_by: tuple[str, ...]  # failed blocking rules no single input change repairs
    supply: tuple[str, ...]  # inputs whose absence leaves blocking rules missing
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"possible": self.possible, "changes": [c.as_dict() for c in self.changes],
                "blocked_by": list(self.blocked_by), "supply": list(self.supply), "text": self.text}


def find_remedy(resolved: ResolvedPack, env: Env, outcomes: Mapping[str, str]) -> Remedy | None:
    """For a candidate that is not eligible: the changes that make it eligible, or why none can."""
    pack = resolved.pack
    failed = [r for r in pack.rules if r.spec.severity.value == "blocking" and outcomes.get(r.id) == "fail"]
    missing = [r for r in pack.rules if r.spec.severity.value == "blocking" and outcomes.get(r.id) == "missing"]
    if not failed and not missing:
        return None
    supply = tuple(dict.fromkeys(x for r in missing for x in _inputs_reaching(r.names(), pack) if env.get(x) is None))
    changes: list[Fix] = []
    blocked: list[str] = []
    current = dict(env)
    for rule in failed:
        if decide_rule(rule, current) == "pass":
            continue
        fix = find_fix(rule, current, pack) or find_rule_fix(rule, current, resolved)
        if fix is None:
            blocked.append(rule.id)
            continue
        changes = [c for c in changes if c.field != fix.field] + [fix]
        current = _env_with(resolved, current, fix.field, fix.to)
    still = [r.id for r in failed if decide_rule(r, current) == "fail" and r.id not in blocked]
    blocked += still
    if blocked:
        text = ("no change of one input per rule makes it eligible: " + ", ".join(blocked)
                + " cannot pass by changing one input of the candidate")
        return Remedy(False, tuple(changes), tuple(blocked), supply, text)
    parts = [c.text for c in changes]
    if supply:
        parts.append("supply " + ", ".join(supply))
    return Remedy(True, tuple(changes), (), supply, "; ".join(parts))
