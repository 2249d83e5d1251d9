"""Messages, generated explanations, values read and fixes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.explain import find_fix, generated_message, message_for, render_template, show, values_read
from screening.outcomes import build_results, verdict_of
from screening.pack.load import load_pack

MINI = Path(__file__).parent / "fixtures" / "packs" / "mini"


@pytest.fixture(scope="module")
def resolved():
    return load_pack(MINI).resolve(dt.date(2026, 3, 1))


def _env(resolved, **row):
    base = {"id": "c1", "sector": None, "amount": None, "equity": None, "irr": None, "currency": None}
    base.update(row)
    return {**with_derived(resolved, [base])[0], **resolved.constants()}


def test_generated_fail_message_names_values_and_threshold(resolved) -> None:
    rule = resolved.pack.rule("sector-priority")
    env = _env(resolved, sector="aircraft")
    assert decide_rule(rule, env) == "fail"
    assert generated_message(rule, env, "fail") == "sector 'aircraft' not in priority_sectors ['energy', 'semiconductors']"


def test_template_message_and_missing_values(resolved) -> None:
    rule = resolved.pack.rule("irr-floor")
    assert message_for(rule, _env(resolved, irr=0.031), "fail") == "IRR 3.1% below 5.0%"
    assert render_template("IRR {irr:.1%}", {"irr": None}) == "IRR missing"
    assert generated_message(rule, _env(resolved), "missing") == "cannot decide: no value for irr"


def test_not_applicable_and_pass_messages(resolved) -> None:
    rule = resolved.pack.rule("equity-cap")
    env = _env(resolved, equity=0.0, amount=100.0)
    assert decide_rule(rule, env) == "not_applicable"
    assert generated_message(rule, env, "not_applicable") == "does not apply: equity 0 <= 0"
    env = _env(resolved, equity=1.0, amount=100.0)
    assert generated_message(rule, env, "pass") == "equity_share 0.01 <= 0.02"


def test_values_read_are_as_used(resolved) -> None:
    rule = resolved.pack.rule("irr-floor")
    assert values_read(rule, _env(resolved, irr=0.031)) == {"irr": 0.031, "hurdle_rate": 0.05}


def test_fix_for_a_threshold(resolved) -> None:
    rule = resolved.pack.rule("irr-floor")
    fix = find_fix(rule, _env(resolved, irr=0.031), resolved.pack)
    assert fix is not None and fix.as_dict() == {"field": "irr", "to": 0.05, "text": "raise irr from 0.031 to 0.05"}
    applied = _env(resolved, irr=fix.to)
    assert decide_rule(rule, applied) == "pass"


def test_no_fix_for_membership(resolved) -> None:
    assert find_fix(resolved.pack.rule("sector-priority"), _env(resolved, sector="x"), resolved.pack) is None


@pytest.mark.parametrize("outcomes, verdict", [
    ([("blocking", "pass"), ("advisory", "fail")], "eligible"),
    ([("blocking", "missing"), ("blocking", "pass")], "incomplete"),
    ([("blocking", "missing"), ("blocking", "fail")], "ineligible"),
    ([("blocking", "not_applicable"), ("advisory", "missing")], "eligible"),
])
def test_verdicts(outcomes, verdict) -> None:
    assert verdict_of(outcomes) == verdict


def test_build_results_keeps_order_and_fixes(resolved) -> None:
    rows = with_derived(resolved, [
        {"id": "b", "sector": "energy", "amount": 100.0, "equity": 50.0, "irr": 0.01, "currency": None},
        {"id": "a", "sector": "energy", "amount": 100.0, "equity": 1.0, "irr": 0.07, "currency": None},
    ])
    matrix = [[decide_rule(r, {**row, **resolved.constants()}) for r in resolved.pack.rules] for row in rows]
    results = build_results(resolved, rows, matrix)
    assert [c.id for c in results] == ["b", "a"]
    assert [c.verdict for c in results] == ["ineligible", "eligible"]
    assert [o.rule for o in results[0].outcomes] == ["irr-floor", "sector-priority", "equity-cap"]
    assert results[0].outcomes[0].fix is not None
    assert results[0].outcomes[2].outcome == "fail" and results[0].outcomes[2].severity == "advisory"


@pytest.mark.parametrize("value, text", [
    (None, "missing"), (True, "true"), (0.031, "0.031"), (33_300_000_000.0, "33,300,000,000"),
    (dt.date(2026, 2, 17), "2026-02-17"), ("x", "'x'"), (("a", "b"), "['a', 'b']"), (45, "45"),
])
def test_show(value, text) -> None:
    assert show(value) == text
