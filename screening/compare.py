"""Compare two positions: which candidates' verdicts or outcomes differ, and what is behind each difference.

Two runs of the same candidate list under packs A and B are matched by candidate id. A rule
whose outcome differs is traced to its causes, in this order:

- ``only_in_a`` / ``only_in_b``: the rule exists in one pack only;
- ``condition``: the same rule id with a different condition (``applies_if`` / ``require``,
  compared as printed by :func:`screening.lang.parse.unparse`, so spacing does not count);
- ``parameters``: the same condition reading a parameter whose value in force differs
  (directly, or through a derived field such as ``amount_usd`` reading ``jpy_per_usd``);
- ``severity``: blocking in one pack, advisory in the other;
- ``table``: a decision table the rule reads (directly or through derived fields) has other rows,
  inputs or ``else``; the explanation says which row decided under each pack;
- ``derived_field``: a derived field the rule reads is defined differently;
- ``fields``: none of these (the packs type the candidate's inputs differently).

Besides the per-candidate differences, :attr:`Comparison.pack_differences` lists what differs
between the packs themselves, each with the candidates it touches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from screening.explain import jsonable, show
from screening.fixes import Remedy
from screening.lang.parse import unparse
from screening.outcomes import Outcome, RunResult
from screening.pack.compiled import PackRule, ResolvedPack, RulePack

CAUSES = ("only_in_a", "only_in_b", "condition", "parameters", "severity", "table", "derived_field", "fields")


@dataclass
class RuleDifference:
    """One rule whose outcome (or severity) differs for a candidate between position A and position B."""

    rule: str
    title: str
    outcome_a: str | None
    outcome_b: str | None
    severity_a: str | None
    severity_b: str | None
    cause: str
    explanation: str
    parameters: dict[str, tuple[object, object]] = field(default_factory=dict)
    condition_a: str | None = None
    condition_b: str | None = None
    message_a: str | None = None
    message_b: str | None = None
    values_a: dict[str, object] = field(default_factory=dict)
    values_b: dict[str, object] = field(default_factory=dict)
    fix_a: str | None = None
    fix_b: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "title": self.title, "outcome_a": self.outcome_a, "outcome_b": self.outcome_b,
                "severity_a": self.severity_a, "severity_b": self.severity_b, "cause": self.cause,
                "explanation": self.explanation,
                "parameters": {k: {"a": jsonable(a), "b": jsonable(b)} for k, (a, b) in self.parameters.items()},
                "condition_a": self.condition_a, "condition_b": self.condition_b,
                "message_a": self.message_a, "message_b": self.message_b,
                "values_a": self.values_a, "values_b": self.values_b,
                "fix_a": self.fix_a, "fix_b": self.fix_b, "source": self.source}


@dataclass
class CandidateDifference:
    """A candidate whose verdict or outcomes differ, with each rule behind it and its remedy under each pack."""

    id: str
    verdict_a: str
    verdict_b: str
    rules: list[RuleDifference]
    remedy_a: Remedy | None = None
    remedy_b: Remedy | None = None
    inputs: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "verdict_a": self.verdict_a, "verdict_b": self.verdict_b,
                "remedy_a": self.remedy_a.as_dict() if self.remedy_a else None,
                "remedy_b": self.remedy_b.as_dict() if self.remedy_b else None,
                "rules": [r.as_dict() for r in self.rules]}


@dataclass
class PackDifference:
    """Something the two packs hold differently: a rule, a parameter in force, or a derived field.

    ``a`` and ``b`` are as each pack has it (a condition, a value, a severity, a derivation), or
    None where the pack lacks it; ``candidates`` are the ids whose outcomes it changes.
    """

    kind: str  # rule_only_in_a | rule_only_in_b | condition | severity | parameter | table | derived_field
    name: str
    title: str
    a: str | None
    b: str | None
    source_a: str | None = None
    source_b: str | None = None
    candidates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "title": self.title, "a": self.a, "b": self.b,
                "source_a": self.source_a, "source_b": self.source_b, "candidates": self.candidates}


@dataclass
class PortfolioRow:
    """One portfolio rule under both packs (None: the pack has no such rule)."""

    rule: str
    title: str
    severity_a: str | None
    severity_b: str | None
    outcome_a: str | None
    outcome_b: str | None
    message_a: str | None
    message_b: str | None
    source: str

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class PortfolioComparison:
    """Does the package fit under each pack? Verdicts (None: no portfolio rules) and every portfolio rule."""

    verdict_a: str | None
    verdict_b: str | None
    scope_a: str | None
    scope_b: str | None
    candidates_a: int | None
    candidates_b: int | None
    rules: list[PortfolioRow]

    def as_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in self.__dict__.items() if k != "rules"}, "rules": [r.as_dict() for r in self.rules]}


def compare_portfolios(a: RunResult, b: RunResult) -> PortfolioComparison | None:
    """The two runs' portfolio results side by side (rules in A's order, then B's own); None if neither has any."""
    pa, pb = a.portfolio, b.portfolio
    if pa is None and pb is None:
        return None
    oa = {o.rule: o for o in (pa.outcomes if pa else [])}
    ob = {o.rule: o for o in (pb.outcomes if pb else [])}
    rows = []
    for rule in list(oa) + [r for r in ob if r not in oa]:
        xa, xb = oa.get(rule), ob.get(rule)
        some = xa or xb
        assert some is not None
        rows.append(PortfolioRow(rule, some.title, xa.severity if xa else None, xb.severity if xb else None,
                                 xa.outcome if xa else None, xb.outcome if xb else None,
                                 xa.message if xa else None, xb.message if xb else None, some.source))
    return PortfolioComparison(pa.verdict if pa else None, pb.verdict if pb else None, pa.scope if pa else None,
                               pb.scope if pb else None, pa.candidates if pa else None, pb.candidates if pb else None,
                               rows)


@dataclass
class Comparison:
    """Two runs of one list under two packs, the packs' own differences, and each candidate's."""

    a: RunResult
    b: RunResult
    differences: list[CandidateDifference]
    pack_differences: list[PackDifference] = field(default_factory=list)
    portfolio: PortfolioComparison | None = None

    @property
    def names(self) -> tuple[str, str]:
        return str(self.a.run["pack"]), str(self.b.run["pack"])

    def as_dict(self) -> dict[str, object]:
        def head(r: RunResult) -> dict[str, object]:
            keys = ("pack", "pack_version", "pack_title", "pack_hash", "candidates", "as_of", "engine")
            return {**{k: r.run.get(k) for k in keys}, "summary": r.summary}
        out = {"a": head(self.a), "b": head(self.b), "candidates_compared": len(self.a.candidates),
               "pack_differences": [p.as_dict() for p in self.pack_differences],
               "differences": [d.as_dict() for d in self.differences]}
        if self.portfolio is not None:
            out["portfolio"] = self.portfolio.as_dict()
        return out


def condition_text(rule: PackRule) -> str:
    """A rule's condition as the language prints it: ``require`` and, if any, ``(if applies_if)``."""
    text = unparse(rule.require)
    return text if rule.applies_if is None else f"{text} (if {unparse(rule.applies_if)})"


def _as_written(rule: PackRule) -> str:
    text = rule.require.text or unparse(rule.require)
    if rule.applies_if is not None:
        text += f" (if {rule.applies_if.text or unparse(rule.applies_if)})"
    return text


def _derivation(pack: RulePack, name: str) -> str | None:
    if name in pack.tables:  # a decision table: its rows as written
        from screening.tables.trace import table_text
        return table_text(pack.tables[name])
    f = pack.fields.get(name)
    return unparse(f.derive) if f is not None and f.derive is not None else None


def names_reached(rule: PackRule, pack: RulePack) -> list[str]:
    """Names a rule reads, directly or through derived fields and decision tables, in first-seen order."""
    return pack.reached(rule.names())


def compare_runs(a: RunResult, b: RunResult, pack_a: ResolvedPack, pack_b: ResolvedPack) -> Comparison:
    """The candidates (matched by id, in A's order) whose verdict or any rule outcome differs."""
    rules_a = {r.id: r for r in pack_a.pack.rules}
    rules_b = {r.id: r for r in pack_b.pack.rules}
    by_id_b = {c.id: c for c in b.candidates}
    out = []
    for ca in a.candidates:
        cb = by_id_b.get(ca.id)
        if cb is None:
            continue
        oa: dict[str, Outcome] = {o.rule: o for o in ca.outcomes}
        ob: dict[str, Outcome] = {o.rule: o for o in cb.outcomes}
        diffs = []
        for rule_id in list(oa) + [r for r in ob if r not in oa]:
            xa, xb = oa.get(rule_id), ob.get(rule_id)
            if xa is not None and xb is not None and (xa.outcome, xa.severity) == (xb.outcome, xb.severity):
                continue
            if xb is None and xa is not None and xa.outcome in ("pass", "not_applicable"):
                continue  # a rule only A has, and it does not bite here
            if xa is None and xb is not None and xb.outcome in ("pass", "not_applicable"):
                continue
            diffs.append(explain_difference(rule_id, xa, xb, rules_a.get(rule_id), rules_b.get(rule_id),
                                            pack_a, pack_b))
        if diffs or ca.verdict != cb.verdict:
            out.append(CandidateDifference(ca.id, ca.verdict, cb.verdict, diffs, ca.remedy, cb.remedy, ca.inputs))
    return Comparison(a, b, out, pack_differences(pack_a, pack_b, out), compare_portfolios(a, b))


def explain_difference(rule_id: str, xa: Outcome | None, xb: Outcome | None, ra: PackRule | None,
                       rb: PackRule | None, pa: ResolvedPack, pb: ResolvedPack) -> RuleDifference:
    """Why rule ``rule_id`` decides differently under A and B (see the module docstring for causes)."""
    some = ra or rb
    base: dict[str, object] = {
        "rule": rule_id, "title": some.spec.title if some else rule_id,
        "outcome_a": xa.outcome if xa else None, "outcome_b": xb.outcome if xb else None,
        "severity_a": xa.severity if xa else None, "severity_b": xb.severity if xb else None,
        "condition_a": _as_written(ra) if ra else None, "condition_b": _as_written(rb) if rb else None,
        "message_a": xa.message if xa else None, "message_b": xb.message if xb else None,
        "values_a": xa.values if xa else {}, "values_b": xb.values if xb else {},
        "fix_a": xa.fix.text if xa and xa.fix else None, "fix_b": xb.fix.text if xb and xb.fix else None,
        "source": xa.source if xa else xb.source if xb else None}
    name_a, name_b = pa.pack.name, pb.pack.name
    if ra is None or rb is None:
        only, rule = (name_b, rb) if ra is None else (name_a, ra)
        assert rule is not None
        return RuleDifference(**base, cause="only_in_b" if ra is None else "only_in_a",  # type: ignore[arg-type]
                              explanation=f"only {only} has this rule; it requires `{_as_written(rule)}`")
    causes: list[tuple[str, str]] = []
    if condition_text(ra) != condition_text(rb):
        causes.append(("condition", f"the condition differs: {name_a} requires `{_as_written(ra)}`, "
                                    f"{name_b} requires `{_as_written(rb)}`"))
    reached = list(dict.fromkeys(names_reached(ra, pa.pack) + names_reached(rb, pb.pack)))
    params = {x: (pa.params.get(x), pb.params.get(x)) for x in reached
              if (x in pa.params or x in pb.params) and pa.params.get(x) != pb.params.get(x)}
    if params:
        text = "; ".join(f"{x} is {show(va)} under {name_a} and {show(vb)} under {name_b}"
                         for x, (va, vb) in params.items())
        causes.append(("parameters", f"different parameter values in force: {text}"))
    if ra.spec.severity != rb.spec.severity:
        causes.append(("severity", f"{ra.spec.severity.value} in {name_a}, {rb.spec.severity.value} in {name_b}"))
    changed = [x for x in reached if _derivation(pa.pack, x) != _derivation(pb.pack, x)]
    tables = [x for x in changed if x in pa.pack.tables or x in pb.pack.tables]
    derived = [x for x in changed if x not in tables]
    if tables:
        causes.append(("table", "; ".join(_table_difference(x, xa, xb, pa.pack, pb.pack) for x in tables)))
    if derived:
        text = "; ".join(f"{x} = `{_derivation(pa.pack, x) or 'an input'}` under {name_a}, "
                         f"`{_derivation(pb.pack, x) or 'an input'}` under {name_b}" for x in derived)
        causes.append(("derived_field", f"a field it reads is computed differently: {text}"))
    if not causes:
        causes.append(("fields", "same condition, parameters and derived fields: the packs declare the "
                                 "candidate's inputs differently"))
    return RuleDifference(**base, cause=causes[0][0], explanation="; and ".join(c[1] for c in causes),  # type: ignore[arg-type]
                          parameters=params)


def _table_difference(name: str, xa: Outcome | None, xb: Outcome | None, a: RulePack, b: RulePack) -> str:
    """``the decision table sector_tier differs: under A 1 from row 2 (sector shipbuilding); under B 2 …``."""
    def decided(x: Outcome | None, pack: RulePack) -> str:
        if name not in pack.tables:
            return f"{name} is not a table under {pack.name}" + (" (an input)" if name in pack.fields else "")
        values = x.values if x is not None else {}
        value = values.get(name)
        if isinstance(value, dict) and "rows" in value:  # the table as it was read: value, deciding rows, inputs
            rows = [f"row {r['row']} ({', '.join(f'{k} {c}' for k, c in r['cells'].items()) or 'any input'})"
                    for r in value["rows"]]
            how = " and ".join(rows) if rows else str(value.get("why") or "no row")
            return f"under {pack.name} {how} gives {show(value.get('value'))}"
        return f"under {pack.name} {show(value) if name in values else 'it is read through a derived field'}"
    inputs = next((v["inputs"] for x in (xa, xb) if x is not None for v in [x.values.get(name)]
                   if isinstance(v, dict) and v.get("inputs")), None)
    read = f" (inputs {', '.join(f'{k} {show(v)}' for k, v in inputs.items())})" if inputs else ""
    return f"the decision table {name} differs{read}: {decided(xa, a)}; {decided(xb, b)}"


def pack_differences(pa: ResolvedPack, pb: ResolvedPack, diffs: list[CandidateDifference]) -> list[PackDifference]:
    """What the packs hold differently, each with the candidates whose outcomes it changes (those first)."""
    a, b = pa.pack, pb.pack
    rules_a, rules_b = {r.id: r for r in a.rules}, {r.id: r for r in b.rules}
    found: dict[tuple[str, str], PackDifference] = {}
    for rid in list(rules_a) + [r for r in rules_b if r not in rules_a]:
        ra, rb = rules_a.get(rid), rules_b.get(rid)
        if ra is None or rb is None:
            rule = ra or rb
            kind = "rule_only_in_a" if rb is None else "rule_only_in_b"
            found[(kind, rid)] = PackDifference(kind, rid, rule.spec.title,  # type: ignore[union-attr]
                                                _as_written(ra) if ra else None, _as_written(rb) if rb else None,
                                                ra.spec.source if ra else None, rb.spec.source if rb else None)
            continue
        if condition_text(ra) != condition_text(rb):
            found[("condition", rid)] = PackDifference("condition", rid, ra.spec.title, _as_written(ra),
                                                       _as_written(rb), ra.spec.source, rb.spec.source)
        if ra.spec.severity != rb.spec.severity:
            found[("severity", rid)] = PackDifference("severity", rid, ra.spec.title, ra.spec.severity.value,
                                                      rb.spec.severity.value, ra.spec.source, rb.spec.source)
    for name in list(pa.params) + [p for p in pb.params if p not in pa.params]:
        va, vb = pa.params.get(name), pb.params.get(name)
        if va != vb or (name in pa.params) != (name in pb.params):
            found[("parameter", name)] = PackDifference(
                "parameter", name, "", show(va) if name in pa.params else None, show(vb) if name in pb.params else None,
                pa.sources.get(name), pb.sources.get(name))
    names_a = [*a.fields, *a.tables]
    for name in names_a + [f for f in [*b.fields, *b.tables] if f not in names_a]:
        da, db = _derivation(a, name), _derivation(b, name)
        if (da or db) and da != db:
            kind = "table" if name in a.tables or name in b.tables else "derived_field"
            found[(kind, name)] = PackDifference(kind, name, "", da, db)
    for d in diffs:
        for r in d.rules:
            keys = [("rule_only_in_a" if r.cause == "only_in_a" else "rule_only_in_b", r.rule),
                    ("condition", r.rule), ("severity", r.rule)]
            keys += [("parameter", p) for p in r.parameters]
            if r.cause not in ("only_in_a", "only_in_b"):
                ra, rb = rules_a[r.rule], rules_b[r.rule]
                keys += [(kind, x) for x in names_reached(ra, a) + names_reached(rb, b)
                         for kind in ("derived_field", "table")]
            for key in keys:
                if key in found and d.id not in found[key].candidates:
                    found[key].candidates.append(d.id)
    return sorted(found.values(), key=lambda p: not p.candidates)  # stable: what bites here first
