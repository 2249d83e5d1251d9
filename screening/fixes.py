"""Counterfactual fixes: what would have to change for a failed rule, or a whole candidate, to pass.

For a failed rule: the smallest change of one candidate input that makes the rule pass, the
other inputs held. Every kind of input is searched:

- numbers, integers and dates move along their axis to where a failing comparison's two sides
  meet (:mod:`screening.fix_numeric`: exact where linear, also through derived fields);
- a credit rating read through ``rating()`` moves along its own scale (S&P or Moody's) to the
  nearest grade that passes;
- a text field (with or without an ``enum``) takes each value the pack compares it with — its
  enum, the literals and parameter lists its rules name — and the fix lists the values that pass;
- a yes/no flips; a list gains or loses an item the pack looks for.

Every proposed value is checked by re-deciding the rule. For a candidate: the fixes of its failed
blocking rules applied together, checked to give no blocking failure; or, when no single input
change repairs a rule, a statement of it that is *proved* by the search: every input the rule
reads (through derived fields, its condition and ``applies_if``) was tried with every value above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Iterable, Mapping

from screening.engines.reference import decide_rule
from screening.explain import Fix, find_fix, show
from screening.fix_numeric import AXIS_TYPES, axis_trials, env_with, inputs_reaching
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.lang.functions import _MOODYS, _SP, RATING_RANK
from screening.pack.compiled import PackRule, ResolvedPack, RulePack

Env = Mapping[str, object]
_inputs_reaching = inputs_reaching  # names kept for callers of the earlier module
_env_with = env_with

#: Costs that order fixes of different kinds: a figure before a category before a yes/no, and a
#: change that only makes the rule not apply after every change that makes it pass.
_CATEGORY_COST = 1e6
_BOOL_COST = 1e9
_NOT_APPLICABLE_COST = 1e12
_OPTIONS_SHOWN = 5
#: Decisions of the whole rule tried per input when looking for its fix.
MAX_FIX_TRIALS = 256


def _reads(rule: PackRule, with_applies_if: bool) -> list[str]:
    names = list(rule.require.names())
    if with_applies_if and rule.applies_if is not None:
        names += rule.applies_if.names()
    return names


def rule_inputs(rule: PackRule, pack: RulePack) -> list[str]:
    """Every candidate input a rule's outcome depends on (condition and ``applies_if``)."""
    return inputs_reaching(_reads(rule, True), pack)


def find_rule_fix(rule: PackRule, env: Env, resolved: ResolvedPack) -> Fix | None:
    """The smallest single-input change that makes a failed rule pass, or None."""
    found = rule_fixes(rule, env, resolved)
    return found[0] if found else None


def rule_fixes(rule: PackRule, env: Env, resolved: ResolvedPack,
               accept: tuple[str, ...] = ("pass",)) -> list[Fix]:
    """For a failed rule, the cheapest accepted change of each input it reads, cheapest first.

    ``accept`` is the outcomes that count as repaired: ``pass`` for a rule's own fix; a remedy
    also takes ``not_applicable`` (the rule no longer applies), tried last.
    """
    if decide_rule(rule, dict(env)) != "fail":
        return []
    return [fix for _, _, fix in sorted(_cheapest_per_input(rule, env, resolved, accept), key=lambda t: (t[0], t[1]))]


def _cheapest_per_input(rule: PackRule, env: Env, resolved: ResolvedPack,
                        accept: tuple[str, ...]) -> list[tuple[float, int, Fix]]:
    pack = resolved.pack
    in_require = set(inputs_reaching(list(rule.require.names()), pack))
    found: list[tuple[float, int, Fix]] = []
    for order, name in enumerate(inputs_reaching(_reads(rule, "not_applicable" in accept), pack)):
        extra = 0.0 if name in in_require else _NOT_APPLICABLE_COST

        def accepted(value: object, name: str = name) -> bool:
            return decide_rule(rule, env_with(resolved, env, name, value)) in accept

        kind = pack.fields[name].spec.type.value
        current = env.get(name)
        if kind in AXIS_TYPES:
            node = rule.require if name in in_require else rule.applies_if
            best: tuple[float, object] | None = None
            trials = 0
            # Nearest crossings first; stop once the rest cost more than the best found, or after
            # MAX_FIX_TRIALS decisions (each reads the whole rule: a rule of thousands of
            # comparisons would otherwise cost their square).
            groups = sorted((g for g in axis_trials(node, resolved, env, name) if g),  # type: ignore[arg-type]
                            key=lambda g: min(c for c, _ in g))
            for group in groups:
                if trials >= MAX_FIX_TRIALS or (best is not None and min(c for c, _ in group) > best[0] * 1.001 + 1e-9):
                    break
                hit = None
                for c, v in group:
                    if v == current:
                        continue
                    trials += 1
                    if accepted(v):
                        hit = (c, v)
                        break
                if hit is not None and (best is None or hit[0] < best[0]):
                    best = hit
            if best is not None:
                found.append((best[0] + extra, order, Fix(name, best[1], describe(name, current, best[1]))))
            continue
        passing = [(c, v) for c, v in value_trials(rule, resolved, env, name) if accepted(v)]
        if passing:
            cost, to = passing[0]
            options = tuple(v for _, v in passing) if kind != "bool" else ()
            found.append((cost + extra, order, Fix(name, to, describe(name, current, to, options), options)))
    return found


def value_trials(rule: PackRule, resolved: ResolvedPack, env: Env, name: str) -> list[tuple[float, object]]:
    """(cost, value) to try for a rating, text, yes/no or list input, in the order to try."""
    spec = resolved.pack.fields[name].spec
    kind = spec.type.value
    current = env.get(name)
    if kind == "bool":
        return [(_BOOL_COST, v) for v in ((not current,) if isinstance(current, bool) else (True, False))]
    if kind == "string" and _read_by_rating(resolved.pack, name):
        rank = RATING_RANK.get(str(current).strip()) if current is not None else None
        scale = _MOODYS if current is not None and str(current).strip() in _MOODYS else _SP
        if rank is None:
            return [(1.0, g) for g in scale]
        grades = sorted(scale, key=lambda g: (abs(RATING_RANK[g] - rank), -RATING_RANK[g]))
        return [(float(abs(RATING_RANK[g] - rank)), g) for g in grades if g != current]
    if kind == "string":
        return [(_CATEGORY_COST, v) for v in text_values(resolved, name) if v != current]
    if kind == "list":
        return [(_CATEGORY_COST, v) for v in _list_values(resolved, name, current)]
    return []


def text_values(resolved: ResolvedPack, name: str) -> list[object]:
    """The values the pack names for a text field: its enum, then literals and parameter lists it is compared with."""
    cache = resolved.__dict__.setdefault("_text_values", {})
    if name not in cache:
        cache[name] = tuple(_text_values(resolved, name))
    return list(cache[name])


def _text_values(resolved: ResolvedPack, name: str) -> list[object]:
    spec = resolved.pack.fields[name].spec
    values: dict[object, None] = dict.fromkeys(spec.enum or [])
    for item in _compared_with(resolved, name, member_of=False):
        values.setdefault(item, None)
    from screening.tables.trace import table_text_values
    for item in table_text_values(resolved.pack, name, resolved.constants()):  # values decision tables name
        values.setdefault(item, None)
    return [v for v in values if isinstance(v, str)]


def _list_values(resolved: ResolvedPack, name: str, current: object) -> list[object]:
    items = list(current) if isinstance(current, (list, tuple)) else []
    cache = resolved.__dict__.setdefault("_list_items", {})
    if name not in cache:
        cache[name] = tuple(_compared_with(resolved, name, member_of=True))
    wanted = [v for v in cache[name] if v not in items]
    out: list[object] = [tuple(items + [v]) for v in wanted]
    out += [tuple(x for x in items if x != v) for v in items]
    if items or current is None:
        out.append(())
    return out


def _compared_with(resolved: ResolvedPack, name: str, member_of: bool) -> Iterable[object]:
    """Values (not reading any candidate field) that rules compare ``name`` with.

    ``member_of`` False: ``name == x``, ``name in [..]`` and the like; True: ``x in name`` (a list field).
    """
    constants = resolved.constants()
    for rule in resolved.pack.rules:
        for expr in (rule.applies_if, rule.require):
            for node in expr.walk() if expr is not None else ():
                if not isinstance(node, n.Compare):
                    continue
                for me, other in ((node.left, node.right), (node.right, node.left)):
                    if not (isinstance(me, n.Name) and me.id == name):
                        continue
                    if any(x in resolved.pack.fields for x in other.names()):
                        continue
                    is_container_side = me is node.right and node.op in ("in", "not in")
                    if member_of != is_container_side:
                        continue
                    value = evaluate(other, constants)
                    if isinstance(value, (list, tuple)) and not member_of:
                        yield from value
                    elif isinstance(value, dict) and not member_of:
                        yield from value
                    elif value is not None:
                        yield value


def describe(field: str, current: object, to: object, options: tuple[object, ...] = ()) -> str:
    """'raise irr from 0.031 to 0.05', 'set sector from … to one of …', 'supply funded_on: 2026-04-03'."""
    if current is None:
        return f"supply {field}: {show(to)}" + _more(to, options)
    if isinstance(to, bool) or isinstance(current, bool) or not _ordered(current, to):
        if len(options) > 1:
            return f"set {field} from {show(current)} to one of {_listed(options)}"
        return f"set {field} from {show(current)} to {show(to)}"
    if isinstance(to, dt.date):
        return f"move {field} from {show(current)} to {show(to)}"
    if isinstance(to, str):
        verb = "raise" if RATING_RANK.get(to, 0) > RATING_RANK.get(str(current), 0) else "lower"
    else:
        verb = "raise" if to > current else "lower"  # type: ignore[operator]
    return f"{verb} {field} from {show(current)} to {show(to)}"


def _more(to: object, options: tuple[object, ...]) -> str:
    return f" (or one of {_listed(options[1:])})" if len(options) > 1 else ""


def _listed(options: tuple[object, ...]) -> str:
    shown = ", ".join(show(v) for v in options[:_OPTIONS_SHOWN])
    return shown + (f", … ({len(options)} values pass)" if len(options) > _OPTIONS_SHOWN else "")


def _ordered(a: object, b: object) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return True
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return True
    return isinstance(a, str) and isinstance(b, str) and a in RATING_RANK and b in RATING_RANK


def _read_by_rating(pack: RulePack, field: str) -> bool:
    cache = pack.__dict__.setdefault("_read_by_rating", {})
    if field not in cache:
        cache[field] = _reads_rating(pack, field)
    return cache[field]  # type: ignore[no-any-return]


def _reads_rating(pack: RulePack, field: str) -> bool:
    from screening.tables.trace import table_reads_rating
    if table_reads_rating(pack, field):
        return True
    return any(isinstance(node, n.Call) and node.func == "rating" and field in node.names()
               for rule in pack.rules for expr in (rule.require, rule.applies_if) if expr is not None
               for node in expr.walk())


def _why_blocked(rule: PackRule, env: Env, pack: RulePack) -> str:
    """'not-a-purchase (…) fails on sector 'aircraft_purchase'; every value of sector that could matter was tried'."""
    from screening.finance.names import FINANCE_FIELDS
    read = rule_inputs(rule, pack)
    if pack.finance is not None and any(x in FINANCE_FIELDS for x in rule.names()):
        names = ", ".join(f"{x} {show(env.get(x))}" for x in dict.fromkeys(rule.names()))
        also = f" (nor does any value of {', '.join(read)})" if read else ""
        return (f"{rule.id} ({rule.spec.title}) fails on {names}: the finance fields come from the candidate's cash flows, "
                f"and only different cash flows change them{also}")
    if not read:
        names = ", ".join(f"{x} {show(env.get(x))}" for x in rule.names())
        return f"{rule.id} ({rule.spec.title}) fails on {names} and reads no candidate input"
    values = ", ".join(f"{x} {show(env.get(x))}" for x in read)
    return f"{rule.id} ({rule.spec.title}) fails on {values}; no other value of {', '.join(read)} repairs it"


@dataclass(frozen=True)
class Remedy:
    """What would make a candidate eligible, or why nothing can."""

    possible: bool
    changes: tuple[Fix, ...]
    blocked_by: tuple[str, ...]  # failed blocking rules no single input change repairs
    supply: tuple[str, ...]  # inputs whose absence leaves blocking rules missing
    text: str
    tried: tuple[str, ...] = dc_field(default=())  # inputs searched for the blocked rules: the proof

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"possible": self.possible, "changes": [c.as_dict() for c in self.changes],
                                  "blocked_by": list(self.blocked_by), "supply": list(self.supply), "text": self.text}
        if self.blocked_by:
            out["tried"] = list(self.tried)
        return out


def find_remedy(resolved: ResolvedPack, env: Env, outcomes: Mapping[str, str],
                memo: dict[tuple[object, ...], list[Fix]] | None = None) -> Remedy | None:
    """For a candidate that is not eligible: the changes that make it eligible, or why none can.

    Failed blocking rules are taken in pack order; each gets the cheapest single-input change
    that makes it pass (or, failing that, not apply) without making another blocking rule fail
    (a bigger ``amount`` may close an instrument gap and break the commitment ceiling). A rule no
    such change repairs is ``blocked_by``, with every input it reads in ``tried``. Blocking
    rules left undecided for want of data name the inputs to supply.

    ``memo``, shared between candidates, keeps each rule's search by the values it reads: two
    candidates that read the same values for a rule get the same changes to try, searched once.
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
        before = {r.id: decide_rule(r, current) for r in blocking if r is not rule}
        direct = [f for f in (find_fix(rule, current, pack),) if f is not None]
        if memo is None:
            searched = rule_fixes(rule, current, resolved, accept=("pass", "not_applicable"))
        else:
            key = (rule.id, *(_key(current.get(x)) for x in reads_closure(rule, pack)
                              if x not in resolved.params and x != "as_of"))
            if key not in memo:
                memo[key] = rule_fixes(rule, current, resolved, accept=("pass", "not_applicable"))
            searched = memo[key]
        fixes = direct + searched
        for name, value in ((f.field, v) for f in fixes for v in (f.options or (f.to,))):
            trial = env_with(resolved, current, name, value)
            if decide_rule(rule, trial) in _REPAIRED and all(_no_worse(before[r.id], decide_rule(r, trial))
                                                              for r in blocking if r is not rule):
                current, changed[name] = trial, value
                break
        else:
            blocked.append(rule.id)
    changes = tuple(Fix(f, to, describe(f, env.get(f), to)) for f, to in changed.items())
    if blocked:
        tried = tuple(dict.fromkeys(x for rule_id in blocked for x in rule_inputs(pack.rule(rule_id), pack)))
        reasons = "; ".join(_why_blocked(pack.rule(rule_id), env, pack) for rule_id in blocked)
        text = f"no change of the candidate's inputs makes it eligible: {reasons}"
        if changes:
            text += " (elsewhere: " + "; ".join(c.text for c in changes) + ")"
        return Remedy(False, changes, tuple(blocked), supply, text, tried)
    parts = [c.text for c in changes]
    if supply:
        parts.append(supply_text(supply, pack))
    return Remedy(True, changes, (), supply, "; ".join(parts))


_REPAIRED = ("pass", "not_applicable")


def reads_closure(rule: PackRule, pack: RulePack) -> tuple[str, ...]:
    """Every name a rule's outcome depends on that is not derived: candidate inputs, flow and
    finance names, parameters (through derived fields and tables, condition and ``applies_if``)."""
    cache = pack.__dict__.setdefault("_reads_closure", {})
    if rule.id not in cache:
        cache[rule.id] = tuple(x for x in pack.reached(rule.names()) if x not in pack.derive_order)
    return cache[rule.id]  # type: ignore[no-any-return]


def _key(value: object) -> object:
    if isinstance(value, list):
        value = tuple(value)
    return (type(value), value)


def _no_worse(was: str, now: str) -> bool:
    """A change for one rule may not make another fail, nor leave undecided one that was decided."""
    return now != "fail" and (now != "missing" or was != "pass" and was != "not_applicable") or was == "fail"


#: The name a remedy's ``supply`` gives a candidate's cash flows (CONTRACT.md §9): finance fields
#: are computed from them, so they are what to supply when a rule reads a missing finance field.
CASHFLOWS = "cashflows"


def _to_supply(rule: PackRule, env: Env, pack: RulePack) -> list[str]:
    """Missing inputs behind an undecided rule: those of ``applies_if`` if that is what is unknown.

    Only names whose value is missing are followed (a derived field that falls back on another
    input is not a gap), and a missing finance field asks for the candidate's cash flows.
    """
    from screening.lang.evaluate import truth
    unknown = rule.applies_if if rule.applies_if is not None and truth(rule.applies_if, env) is None else rule.require
    return missing_inputs(unknown.names(), env, pack)


def missing_inputs(names: Iterable[str], env: Env, pack: RulePack) -> list[str]:
    """The inputs to supply for ``names`` to be known: missing inputs reached through missing
    derived fields and tables, an unrated rating, and ``CASHFLOWS`` for a missing finance field."""
    from screening.finance.names import FINANCE_FIELDS
    from screening.lang.functions import rating
    out: dict[str, None] = {}
    stack, seen = list(names), set()
    while stack:
        name = stack.pop(0)
        if name in seen:
            continue
        seen.add(name)
        value = env.get(name)
        if name in FINANCE_FIELDS and pack.finance is not None:
            if value is None:
                out.setdefault(CASHFLOWS, None)
        elif name in pack.tables:
            if _table_value(value) is None:
                stack.extend(pack.tables[name].names())
        elif name in pack.fields:
            f = pack.fields[name]
            if f.derive is not None:
                if value is None:
                    stack.extend(f.derive.names())
            elif value is None or _read_by_rating(pack, name) and rating(str(value)) is None:
                out.setdefault(name, None)
    return list(out)


def _table_value(value: object) -> object:
    return value.get("value") if isinstance(value, dict) else value


def supply_text(supply: Iterable[str], pack: RulePack) -> str:
    """'supply cash flows (--cashflows FILE, or capex, annual_cash, life_years, start_on), credit_rating'."""
    from screening.finance.names import PROFILE_FIELDS
    words = []
    for name in supply:
        if name == CASHFLOWS:
            profile = [f for f in PROFILE_FIELDS if f in pack.fields and f != "cash_growth"]
            words.append("cash flows (--cashflows FILE" + (", or " + ", ".join(profile) if profile else "") + ")")
        else:
            words.append(name)
    return "supply " + ", ".join(words)
