"""Run the tests written inside a rule pack (CONTRACT.md §6) and measure rule coverage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from screening.candidates import table_from_records
from screening.errors import InputError, Problem
from screening.finance.names import FINANCE_FIELDS
from screening.outcomes import OUTCOMES, CandidateResult
from screening.pack.compiled import PackTest, RulePack
from screening.pack.model import PortfolioExpect
from screening.portfolio import PortfolioResult
from screening.screen import screen_table


@dataclass
class TestResult:
    """One pack test: did it hold, and if not, what differed."""

    test: PackTest
    ok: bool
    differences: list[str]
    result: CandidateResult | None = None
    portfolio: PortfolioResult | None = None

    @property
    def name(self) -> str:
        return self.test.case.name


@dataclass
class TestReport:
    results: list[TestResult]
    coverage: dict[str, set[str]] = field(default_factory=dict)  # rule id -> outcomes asserted and held

    @property
    def failed(self) -> list[TestResult]:
        return [r for r in self.results if not r.ok]

    def uncovered(self, wanted: tuple[str, ...] = ("pass", "fail")) -> dict[str, list[str]]:
        """Rules lacking an asserted outcome among ``wanted``."""
        return {rule: [w for w in wanted if w not in got] for rule, got in self.coverage.items()
                if any(w not in got for w in wanted)}


def run_pack_test(pack: RulePack, test: PackTest, *, default_as_of: dt.date, engine: str = "durable") -> TestResult:
    """Run one test case. Problems in the case itself (bad values) raise InputError with its place."""
    case = test.case
    as_of = case.as_of or default_as_of
    candidates = [dict(c) for c in case.all_candidates]
    # The approval-flow names (stage, stage_since, deadline) and the finance fields may be given
    # directly in a test (a finance field given wins over the one computed from the profile).
    flow_values: dict[str, dict[str, object]] = {}
    for candidate in candidates:
        flow = {k: candidate.pop(k) for k in ("stage", "stage_since", "deadline", *FINANCE_FIELDS) if k in candidate}
        if flow:
            flow_values[str(candidate.get("id"))] = flow  # type: ignore[assignment]
    try:
        table = table_from_records(candidates, pack.input_fields, source=test.place.file)
    except InputError as exc:
        raise InputError([Problem(f"test '{case.name}': {p.message}" + (f" (column {p.column})" if p.column else ""),
                                  file=test.place.file, line=test.place.line) for p in exc.problems]) from None
    run = screen_table(pack.resolve(as_of), table, engine=engine, flow_values=flow_values or None)
    diffs = _portfolio_differences(case.expect.portfolio, run.portfolio)
    if case.candidates is not None:
        return TestResult(test, not diffs, diffs, None, run.portfolio)
    got = run.candidates[0]
    if case.expect.verdict is not None and got.verdict != case.expect.verdict.value:
        reasons = [f"{o.rule}={o.outcome}" for o in got.outcomes
                   if o.severity == "blocking" and o.outcome in ("fail", "missing")]
        diffs.append(f"verdict: expected {case.expect.verdict.value}, got {got.verdict}"
                     + (f" ({', '.join(reasons)})" if reasons else ""))
    by_rule = {o.rule: o for o in got.outcomes}
    for rule_id, expected in (case.expect.outcomes or {}).items():
        actual = by_rule[rule_id]
        if actual.outcome != expected.value:
            diffs.append(f"{rule_id}: expected {expected.value}, got {actual.outcome} — {actual.message}")
    return TestResult(test, not diffs, diffs, got, run.portfolio)


def _portfolio_differences(expect: PortfolioExpect | None, got: PortfolioResult | None) -> list[str]:
    if expect is None or got is None:
        return []
    diffs = []
    if expect.verdict is not None and got.verdict != expect.verdict.value:
        reasons = [f"{o.rule}={o.outcome}" for o in got.outcomes if o.severity == "blocking" and o.outcome in ("fail", "missing")]
        diffs.append(f"portfolio verdict: expected {expect.verdict.value}, got {got.verdict}"
                     + (f" ({', '.join(reasons)})" if reasons else ""))
    by_rule = {o.rule: o for o in got.outcomes}
    for rule_id, expected in (expect.outcomes or {}).items():
        actual = by_rule[rule_id]
        if actual.outcome != expected.value:
            diffs.append(f"portfolio {rule_id}: expected {expected.value}, got {actual.outcome} — {actual.message}")
    return diffs


def run_pack_tests(pack: RulePack, *, default_as_of: dt.date, engine: str = "durable") -> TestReport:
    """Run every test of the pack; coverage counts the outcomes each rule was asserted to have (and had)."""
    report = TestReport([], {r.id: set() for r in [*pack.rules, *pack.portfolio_rules]})
    problems: list[Problem] = []
    for test in pack.tests:
        try:
            result = run_pack_test(pack, test, default_as_of=default_as_of, engine=engine)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        report.results.append(result)
        if result.ok:
            portfolio = test.case.expect.portfolio
            asserted = {**(test.case.expect.outcomes or {}), **((portfolio.outcomes or {}) if portfolio else {})}
            for rule_id, expected in asserted.items():
                report.coverage[rule_id].add(expected.value)
    if problems:
        raise InputError(problems)
    return report


__all__ = ["OUTCOMES", "TestReport", "TestResult", "run_pack_test", "run_pack_tests"]
