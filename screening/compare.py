"""Compare two positions: which candidates' verdicts or outcomes differ, and what is behind each difference.

A difference in a rule's outcome is traced to one of: the rule exists in only one pack; the
same rule id has a different condition; the same rule reads a parameter whose value in force
differs; or (same condition, same parameters) a derived field or severity differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from screening.explain import jsonable
from screening.lang.parse import unparse
from screening.outcomes import Outcome, RunResult
from screening.pack.compiled import PackRule, ResolvedPack


@dataclass
class RuleDifference:
    """One rule whose outcome differs for a candidate between position A and position B."""

    rule: str
    outcome_a: str | None
    outcome_b: str | None
    severity_a: str | None
    severity_b: str | None
    cause: str  # only_in_a | only_in_b | condition | parameters | derived_or_severity
    explanation: str
    parameters: dict[str, tuple[object, object]] = field(default_factory=dict)
    message_a: str | None = None
    message_b: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "outcome_a": self.outcome_a, "outcome_b": self.outcome_b,
                "severity_a": self.severity_a, "severity_b": self.severity_b, "cause": self.cause,
                "explanation": self.explanation,
                "parameters": {k: {"a": jsonable(a), "b": jsonable(b)} for k, (a, b) in self.parameters.items()},
                "message_a": self.message_a, "message_b": self.message_b, "source": self.source}


@dataclass
class CandidateDifference:
    id: str
    verdict_a: str
    verdict_b: str
    rules: list[RuleDifference]

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "verdict_a": self.verdict_a, "verdict_b": self.verdict_b,
                "rules": [r.as_dict() for r in self.rules]}


@dataclass
class Comparison:
    a: RunResult
    b: RunResult
    differences: list[CandidateDifference]

    def as_dict(self) -> dict[str, object]:
        def head(r: RunResult) -> dict[str, object]:
            keys = ("pack", "pack_version", "pack_title", "pack_hash", "as_of", "engine")
            return {**{k: r.run.get(k) for k in keys}, "summary": r.summary}
        return {"a": head(self.a), "b": head(self.b), "candidates_compared": len(self.a.candidates),
                "differences": [d.as_dict() for d in self.differences]}


def _condition(rule: PackRule) -> str:
    text = unparse(rule.require)
    return text if rule.applies_if is None else f"{text} (if {unparse(rule.applies_if)})"


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
            if xa is not None and xb is None and xa.outcome in ("pass", "not_applicable"):
                continue  # a rule only A has, and it does not bite here
            if xb is not None and xa is None and xb.outcome in ("pass", "not_applicable"):
                continue
            diffs.append(_explain(rule_id, xa, xb, rules_a.get(rule_id), rules_b.get(rule_id), pack_a, pack_b))
        if diffs or ca.verdict != cb.verdict:
            out.append(CandidateDifference(ca.id, ca.verdict, cb.verdict, diffs))
    return Comparison(a, b, out)


def _explain(rule_id: str, xa: Outcome | None, xb: Outcome | None, ra: PackRule | None, rb: PackRule | None,
             pa: ResolvedPack, pb: ResolvedPack) -> RuleDifference:
    base = dict(rule=rule_id, outcome_a=xa.outcome if xa else None, outcome_b=xb.outcome if xb else None,
                severity_a=xa.severity if xa else None, severity_b=xb.severity if xb else None,
                message_a=xa.message if xa else None, message_b=xb.message if xb else None,
                source=(xa or xb).source if (xa or xb) else None)
    name_a, name_b = pa.pack.name, pb.pack.name
    if ra is None:
        return RuleDifference(**base, cause="only_in_b", explanation=f"only {name_b} has rule '{rule_id}': {rb.spec.title}")  # type: ignore[union-attr]
    if rb is None:
        return RuleDifference(**base, cause="only_in_a", explanation=f"only {name_a} has rule '{rule_id}': {ra.spec.title}")
    ca, cb = _condition(ra), _condition(rb)
    if ca != cb:
        return RuleDifference(**base, cause="condition",
                              explanation=f"the condition differs: {name_a} requires `{ca}`, {name_b} requires `{cb}`")
    params = {n: (pa.params[n], pb.params[n]) for n in ra.names()
              if n in pa.params and n in pb.params and pa.params[n] != pb.params[n]}
    params.update({n: (pa.params.get(n), pb.params.get(n)) for n in ra.names()
                   if (n in pa.params) != (n in pb.params)})
    if params:
        text = ", ".join(f"{n} = {jsonable(x)} vs {jsonable(y)}" for n, (x, y) in params.items())
        return RuleDifference(**base, cause="parameters", parameters=params,
                              explanation=f"same condition `{ca}`, different parameter values in force: {text}")
    if ra.spec.severity != rb.spec.severity:
        return RuleDifference(**base, cause="derived_or_severity",
                              explanation=f"same condition, but {ra.spec.severity.value} in {name_a} and "
                                          f"{rb.spec.severity.value} in {name_b}")
    return RuleDifference(**base, cause="derived_or_severity",
                          explanation="same condition and parameters: a derived field it reads is defined differently")
