"""Outcome records: what every renderer reads. Verdicts, summaries and run metadata.

The engine decides outcome names; :func:`build_results` turns them into records with the
message, the values read, the fix and the rule's source. Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from screening.explain import Fix, find_fix, jsonable, message_for, values_read
from screening.fixes import Remedy, find_remedy, find_rule_fix
from screening.pack.compiled import ResolvedPack

if TYPE_CHECKING:
    from screening.portfolio import PortfolioResult

#: Above this many candidates, fixes are searched only for direct comparisons (see build_results).
GENERAL_FIXES_MAX_ROWS = 5_000
OUTCOMES = ("pass", "fail", "missing", "not_applicable")
VERDICTS = ("eligible", "ineligible", "incomplete")


@dataclass(frozen=True)
class Outcome:
    """One rule's outcome for one candidate."""

    rule: str
    title: str
    category: str
    severity: str
    outcome: str
    message: str
    values: dict[str, object]
    fix: Fix | None
    source: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule, "title": self.title, "category": self.category, "severity": self.severity,
            "outcome": self.outcome, "message": self.message, "values": self.values,
            "fix": self.fix.as_dict() if self.fix else None, "source": self.source,
        }


@dataclass
class CandidateResult:
    """A candidate's verdict and every rule's outcome, in pack order."""

    id: str
    verdict: str
    outcomes: list[Outcome]
    row: int | None = None
    inputs: dict[str, object] = field(default_factory=dict)
    remedy: Remedy | None = None
    finance: dict[str, object] | None = None  # CONTRACT §9 fields, when the pack has a finance section

    def as_dict(self) -> dict[str, object]:
        out = {"id": self.id, "verdict": self.verdict, "row": self.row, "inputs": self.inputs,
               "remedy": self.remedy.as_dict() if self.remedy else None}
        if self.finance is not None:
            out["finance"] = {k: jsonable(v) for k, v in self.finance.items()}
        out["outcomes"] = [o.as_dict() for o in self.outcomes]
        return out


@dataclass
class RunResult:
    """A whole screening run: metadata, summary, per-candidate results and the portfolio's (§10)."""

    run: dict[str, object]
    candidates: list[CandidateResult]
    portfolio: "PortfolioResult | None" = None
    finance: Any = None  # the run's FinanceTable (waterfalls for explain and the report), not serialised

    @property
    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for c in self.candidates:
            counts[c.verdict] += 1
        return counts

    def rule_summary(self) -> dict[str, dict[str, int]]:
        """Per rule (pack order): how many candidates had each outcome."""
        table: dict[str, dict[str, int]] = {}
        for c in self.candidates:
            for o in c.outcomes:
                table.setdefault(o.rule, {k: 0 for k in OUTCOMES})[o.outcome] += 1
        return table

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"run": self.run, "summary": self.summary}
        if self.portfolio is not None:
            out["portfolio"] = self.portfolio.as_dict()
        out["candidates"] = [c.as_dict() for c in self.candidates]
        return out


def verdict_of(outcomes: Sequence[tuple[str, str]]) -> str:
    """Verdict from (severity, outcome) pairs: a blocking fail, else a blocking missing, else eligible."""
    blocking = [o for s, o in outcomes if s == "blocking"]
    if "fail" in blocking:
        return "ineligible"
    if "missing" in blocking:
        return "incomplete"
    return "eligible"


def build_results(resolved: ResolvedPack, rows: Sequence[dict[str, object]], matrix: Sequence[Sequence[str]],
                  *, row_numbers: Sequence[int] | None = None, inputs: Sequence[dict[str, object]] | None = None,
                  progress: Callable[[int], None] | None = None, general_fixes: bool | None = None
                  ) -> list[CandidateResult]:
    """Turn an engine's outcome matrix into records with messages, values read and fixes.

    ``progress``, if given, is called with the number of candidates done, every 500.
    ``general_fixes`` searches fixes through derived fields and whole-candidate remedies
    (default: for lists up to GENERAL_FIXES_MAX_ROWS candidates; the search costs time).
    """
    if general_fixes is None:
        general_fixes = len(rows) <= GENERAL_FIXES_MAX_ROWS
    constants = resolved.constants()
    pack = resolved.pack
    results = []
    for i, (row, decided) in enumerate(zip(rows, matrix)):
        env = {**row, **constants}
        outcomes = []
        for rule, outcome in zip(pack.rules, decided):
            fix = None
            if outcome == "fail":
                fix = find_fix(rule, env, pack) or (find_rule_fix(rule, env, resolved) if general_fixes else None)
            outcomes.append(Outcome(
                rule=rule.id, title=rule.spec.title, category=rule.spec.category.value,
                severity=rule.spec.severity.value, outcome=outcome, message=message_for(rule, env, outcome),
                values=values_read(rule, env), fix=fix, source=rule.spec.source,
            ))
        verdict = verdict_of([(o.severity, o.outcome) for o in outcomes])
        remedy = None
        if verdict != "eligible" and general_fixes:
            remedy = find_remedy(resolved, env, {o.rule: o.outcome for o in outcomes})
        results.append(CandidateResult(
            id=str(row.get("id")), verdict=verdict, outcomes=outcomes,
            row=row_numbers[i] if row_numbers is not None else None,
            inputs={k: jsonable(v) for k, v in (inputs[i] if inputs is not None else {}).items()},
            remedy=remedy,
        ))
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1)
    if progress is not None:
        progress(len(results))
    return results


def parameters_in_force(resolved: ResolvedPack) -> dict[str, dict[str, object]]:
    """Each parameter's value on the screening date, the date it has been in force since, and its source."""
    return {
        name: {"value": jsonable(value), "since": resolved.since[name].isoformat() if resolved.since[name] else None,
               "source": resolved.sources[name]}
        for name, value in resolved.params.items()
    }


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
