"""Counterfactual fixes: what would have to change for a failed rule, or a whole candidate, to pass.

For a failed rule: the smallest change of one candidate input that makes the rule pass, the
other inputs held. Numeric inputs are moved to where a failing comparison's two sides meet —
solved exactly where the comparison is linear in the input (also through derived fields such
as ``equity / amount``), by bisection where it is monotone but not linear — and the result is
checked by re-evaluating the rule. Yes/no inputs are flipped; a credit rating read through
``rating()`` is moved along its own scale (S&P or Moody's) to the nearest grade that passes.
Other text inputs (a sector, a country) are what a project *is*, not a figure it can change,
and get no fix. For a candidate: the fixes of its failed blocking rules applied together,
checked to give ``eligible``; or a plain statement of what no change of inputs can repair.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.explain import Fix, find_fix, show
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.lang.functions import _MOODYS, _SP, RATING_RANK
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
    computed = pack.computed_names()
    row = {k: v for k, v in env.items() if k in pack.fields or k in computed}
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
    found = rule_fixes(rule, env, resolved)
    return found[0] if found else None


def rule_fixes(rule: PackRule, env: Env, resolved: ResolvedPack) -> list[Fix]:
    """For a failed rule, the smallest passing change of each input it reads, smallest first.

    Cost is the relative change of a number, the grades a rating moves; flipping a yes/no input
    comes last (it is a different project more than a different figure).
    """
    pack = resolved.pack
    if decide_rule(rule, dict(env)) != "fail":
        return []
    found: list[tuple[float, int, Fix]] = []
    for order, field in enumerate(_inputs_reaching(rule.require.names(), pack)):
        kind = pack.fields[field].spec.type.value
        current = env.get(field)
        if current is None:
            continue
        if kind == "bool":
            if decide_rule(rule, _env_with(resolved, env, field, not current)) == "pass":
                found.append((float("inf"), order, Fix(field, not current, describe(field, current, not current))))
            continue
        if kind == "string" and _read_by_rating(rule, field):
            rated = _rating_fix(rule, env, resolved, field)
            if rated is not None:
                found.append((rated[0], order, rated[1]))
            continue
        if kind not in _INPUT_TYPES:
            continue
        best: tuple[float, int, Fix] | None = None
        for root in _candidate_values(resolved, env, rule, field):
            tries = [v for raw in _nudge(root, float(current)) for v in (_tidy(raw), raw)]  # type: ignore[arg-type]
            for value in tries:
                if kind == "integer":
                    value = float(round(value))
                if decide_rule(rule, _env_with(resolved, env, field, value)) == "pass":
                    cost = abs(value - float(current)) / max(abs(float(current)), 1e-12)  # type: ignore[arg-type]
                    shown = int(value) if kind == "integer" else value
                    if best is None or cost < best[0]:
                        best = (cost, order, Fix(field, shown, describe(field, current, shown)))
                    break
        if best is not None:
            found.append(best)
    return [fix for _, _, fix in sorted(found, key=lambda t: (t[0], t[1]))]


def describe(field: str, current: object, to: object) -> str:
    """'raise irr from 0.031 to 0.05', 'lower equity from … to …', 'set tokyo_consent from false to true'."""
    if isinstance(to, bool) or isinstance(current, bool) or not _ordered(current, to):
        return f"set {field} from {show(current)} to {show(to)}"
    if isinstance(to, str):
        verb = "raise" if RATING_RANK.get(to, 0) > RATING_RANK.get(str(current), 0) else "lower"
    else:
        verb = "raise" if to > current else "lower"  # type: ignore[operator]
    return f"{verb} {field} from {show(current)} to {show(to)}"


def _ordered(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return True
    return isinstance(a, str) and isinstance(b, str) and a in RATING_RANK and b in RATING_RANK


def _read_by_rating(rule: PackRule, field: str) -> bool:
    return any(isinstance(node, n.Call) and node.func == "rating" and field in node.names()
               for node in rule.require.walk())


def _rating_fix(rule: PackRule, env: Env, resolved: ResolvedPack, field: str) -> tuple[float, Fix] | None:
    """The nearest grade on the rating's own scale that makes the rule pass (cost: grades moved)."""
    current = env.get(field)
    rank = RATING_RANK.get(str(current).strip()) if current is not None else None
    if rank is None:
        return None
    scale = _MOODYS if str(current).strip() in _MOODYS else _SP
    for grade in sorted(scale, key=lambda g: (abs(RATING_RANK[g] - rank), -RATING_RANK[g])):
        if grade != current and decide_rule(rule, _env_with(resolved, env, field, grade)) == "pass":
            return float(abs(RATING_RANK[grade] - rank)), Fix(field, grade, describe(field, current, grade))
    return None


def _tidy(x: float) -> float:
    """A solved value rounded to 10 significant digits (tried first; kept only if it still passes)."""
    return float(f"{x:.10g}")


def _why_blocked(rule: PackRule, env: Env, pack: RulePack) -> str:
    """'not-a-purchase (A project, not a purchase of goods) fails on sector 'aircraft_purchase''."""
    read = _inputs_reaching(rule.require.names(), pack)
    values = ", ".join(f"{x} {show(env.get(x))}" for x in read)
    return f"{rule.id} ({rule.spec.title}) fails on {values}" if values else f"{rule.id} ({rule.spec.title}) fails"


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
    """For a candidate that is not eligible: the changes that make it eligible, or why none can.

    Failed blocking rules are taken in pack order; each gets the smallest single-input change
    that makes it pass without making another blocking rule fail (a bigger ``amount`` may close
    an instrument gap and break the commitment ceiling). A rule no such change repairs is
    ``blocked_by``. Blocking rules left undecided for want of data name the inputs to supply.
    """
    pack = resolved.pack
    blocking = [r for r in pack.rules if r.spec.severity.value == "blocking"]
    failed = [r for r in blocking if outcomes.get(r.id) == "fail"]
    missing = [r for r in blocking if outcomes.get(r.id) == "missing"]
    if not failed and not missing:
        return None
    supply = tuple(dict.fromkeys(x for r in missing for x in _to_supply(r, env, pack)))
    current = dict(env)
    changed: dict[str, object] = {}
    blocked: list[str] = []
    for rule in failed:
        if decide_rule(rule, current) != "fail":
            continue
        ok_before = {r.id for r in blocking if decide_rule(r, current) != "fail"}
        options = [f for f in (find_fix(rule, current, pack),) if f is not None] + rule_fixes(rule, current, resolved)
        for fix in options:
            trial = _env_with(resolved, current, fix.field, fix.to)
            harmless = all(decide_rule(r, trial) != "fail" for r in blocking if r.id in ok_before)
            if harmless and decide_rule(rule, trial) == "pass":
                current, changed[fix.field] = trial, fix.to
                break
        else:
            blocked.append(rule.id)
    changes = tuple(Fix(f, to, describe(f, env.get(f), to)) for f, to in changed.items())
    if blocked:
        reasons = "; ".join(_why_blocked(pack.rule(rule_id), env, pack) for rule_id in blocked)
        text = f"no change of the candidate's inputs makes it eligible: {reasons}"
        if changes:
            text += " (elsewhere: " + "; ".join(c.text for c in changes) + ")"
        return Remedy(False, changes, tuple(blocked), supply, text)
    parts = [c.text for c in changes]
    if supply:
        parts.append("supply " + ", ".join(supply))
    return Remedy(True, changes, (), supply, "; ".join(parts))


def _to_supply(rule: PackRule, env: Env, pack: RulePack) -> list[str]:
    """Missing inputs behind an undecided rule: those of ``applies_if`` if that is what is unknown."""
    from screening.lang.evaluate import truth
    unknown = rule.applies_if if rule.applies_if is not None and truth(rule.applies_if, env) is None else rule.require
    return [x for x in _inputs_reaching(unknown.names(), pack) if env.get(x) is None]
