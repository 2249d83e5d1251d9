"""Counterfactual fixes: a proposed fix, applied, really makes the rule (or the candidate) pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.explain import find_fix
from screening.fixes import _env_with, _inputs_reaching, find_remedy, find_rule_fix
from screening.outcomes import verdict_of
from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 1)
PACKS = {name: load_pack(ROOT / "rules" / name).resolve(AS_OF) for name in ("framework", "japan", "us")}
MINI = load_pack(ROOT / "tests/fixtures/packs/mini").resolve(AS_OF)
#: rules/japan with its pre-issue-9 floor on a stated IRR (its floor now reads Japan's own flows):
#: the remedies below are about a floor on a figure the candidate states.
STATED_PACK = load_pack(ROOT / "tests/fixtures/packs/stated_irr")
STATED = STATED_PACK.resolve(AS_OF)

money = st.floats(min_value=0, max_value=5e11, allow_nan=False, allow_infinity=False)
candidates = st.fixed_dictionaries({
    "id": st.just("gen"),
    "sector": st.sampled_from(["energy", "metals", "aircraft_purchase", "toys"]),
    "location_country": st.sampled_from(["US", "JP"]),
    "amount": st.floats(min_value=1e6, max_value=2e14, allow_nan=False),
    "currency": st.sampled_from(["USD", "JPY"]),
    "equity": money, "loans": money, "guarantees": money,
    "irr": st.floats(min_value=-0.2, max_value=0.3, allow_nan=False),
    "credit_rating": st.sampled_from(["AAA", "BBB-", "BB", "B", "Ba1", "Caa2"]),
    "taiwan_link": st.booleans(), "tokyo_consent": st.booleans(), "supply_chain_benefit_japan": st.booleans(),
})
SETTINGS = settings(max_examples=120, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def env_of(resolved, record):
    row = {**dict.fromkeys(resolved.pack.fields), **record, "stage": None, "stage_since": None, "deadline": None}
    return {**with_derived(resolved, [row])[0], **resolved.constants()}


def numeric_threshold(rule, pack) -> bool:
    kinds = {pack.fields[f].spec.type.value for f in _inputs_reaching(rule.require.names(), pack)}
    return bool(kinds & {"number", "integer"})


def outcomes_of(resolved, env) -> dict[str, str]:
    return {r.id: decide_rule(r, env) for r in resolved.pack.rules}


@pytest.mark.parametrize("pack_name", sorted(PACKS))
@SETTINGS
@given(record=candidates)
def test_every_failed_numeric_threshold_rule_gets_a_fix_that_works(pack_name: str, record) -> None:
    resolved = PACKS[pack_name]
    env = env_of(resolved, record)
    for rule in resolved.pack.rules:
        if decide_rule(rule, env) != "fail" or not numeric_threshold(rule, resolved.pack):
            continue
        fix = find_fix(rule, env, resolved.pack) or find_rule_fix(rule, env, resolved)
        assert fix is not None, f"{rule.id}: no fix for {record}"
        assert fix.field in _inputs_reaching(rule.require.names(), resolved.pack)  # one candidate input
        assert decide_rule(rule, _env_with(resolved, env, fix.field, fix.to)) == "pass", (rule.id, fix)


@pytest.mark.parametrize("pack_name", sorted(PACKS))
@SETTINGS
@given(record=candidates)
def test_a_possible_remedy_applied_makes_the_candidate_eligible(pack_name: str, record) -> None:
    resolved = PACKS[pack_name]
    env = env_of(resolved, record)
    outcomes = outcomes_of(resolved, env)
    remedy = find_remedy(resolved, env, outcomes)
    severities = [(r.spec.severity.value, outcomes[r.id]) for r in resolved.pack.rules]
    if verdict_of(severities) == "eligible":
        assert remedy is None
        return
    assert remedy is not None and remedy.text
    after = env
    for change in remedy.changes:
        after = _env_with(resolved, after, change.field, change.to)
    failed_after = [r.id for r in resolved.pack.rules
                    if r.spec.severity.value == "blocking" and decide_rule(r, after) == "fail"]
    if remedy.possible:
        assert failed_after == [], (remedy, failed_after)
        assert len({c.field for c in remedy.changes}) == len(remedy.changes)  # one change per input
    else:
        assert remedy.blocked_by and set(remedy.blocked_by) <= set(failed_after)


def test_fix_through_a_derived_share() -> None:
    # (Tokyo's per-project equity cap became a package rule; the mini pack keeps one per project)
    resolved = MINI
    env = env_of(resolved, {"id": "x", "sector": "energy", "amount": 1e9, "currency": "USD", "equity": 4e8})
    fix = find_rule_fix(resolved.pack.rule("equity-cap"), env, resolved)
    assert fix.field == "equity" and fix.to == pytest.approx(2e7)
    assert fix.text == "lower equity from 400,000,000 to 20,000,000"


def test_fix_of_a_linear_condition_is_exact() -> None:
    # equity_share = equity / amount <= 0.02 holds exactly at equity = 0.02 * amount
    env = env_of(MINI, {"id": "x", "sector": "energy", "amount": 3e9, "equity": 1e9, "irr": 0.07})
    fix = find_rule_fix(MINI.pack.rule("equity-cap"), env, MINI)
    assert fix.field == "equity" and fix.to == 6e7
    env = env_of(MINI, {"id": "x", "sector": "energy", "amount": 3e9, "equity": 1e7, "irr": 0.031})
    fix = find_fix(MINI.pack.rule("irr-floor"), env, MINI.pack)
    assert (fix.field, fix.to, fix.text) == ("irr", 0.05, "raise irr from 0.031 to 0.05")


def test_a_rating_moves_to_the_nearest_grade_on_its_own_scale() -> None:
    resolved = PACKS["japan"]
    rule = resolved.pack.rule("investment-grade")
    for rating, to in (("B+", "BBB-"), ("Ba2", "Baa3"), ("CCC", "BBB-")):
        env = env_of(resolved, {"id": "x", "credit_rating": rating})
        fix = find_rule_fix(rule, env, resolved)
        assert (fix.field, fix.to) == ("credit_rating", to)
        assert fix.text == f"raise credit_rating from '{rating}' to '{to}'"


def test_remedy_for_a_candidate() -> None:
    resolved = STATED
    base = {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD", "irr": 0.03,
            "credit_rating": "B", "taiwan_link": True, "tokyo_consent": False}
    env = env_of(resolved, base)
    remedy = find_remedy(resolved, env, outcomes_of(resolved, env))
    # taiwan-consent is advisory (Tokyo's coordination, not a bar), so the remedy does not ask for consent
    assert remedy.possible and {c.field for c in remedy.changes} == {"irr", "credit_rating"}
    assert "raise irr from 0.03 to 0.05" in remedy.text and "raise credit_rating from 'B' to 'BBB-'" in remedy.text
    after = env
    for c in remedy.changes:
        after = _env_with(resolved, after, c.field, c.to)
    assert all(decide_rule(r, after) != "fail" for r in resolved.pack.rules if r.spec.severity.value == "blocking")


def test_remedy_asks_for_missing_data() -> None:
    resolved = PACKS["japan"]
    env = env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD"})
    remedy = find_remedy(resolved, env, outcomes_of(resolved, env))
    # taiwan-consent is advisory, so neither the link nor the consent is asked for
    # Japan's return comes from cash flows (issue 9): the remedy asks for them, or for the profile fields,
    # and for the tenor the deemed rate's premium reads (tenor_years, else life_years)
    assert remedy.possible and remedy.changes == ()
    assert remedy.supply == ("cashflows", "tenor_years", "life_years", "credit_rating")
    assert remedy.text == ("supply cash flows (--cashflows FILE, or capex, annual_cash, life_years, start_on), "
                           "tenor_years, life_years, credit_rating")
    # a derived field that falls back on another input is not a gap: tenor_years is not asked for
    # once life_years is known, and the cash flows are not asked for once the profile gives them
    env = env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD",
                            "life_years": 20})
    assert find_remedy(resolved, env, outcomes_of(resolved, env)).supply == ("cashflows", "credit_rating")
    stated = env_of(STATED, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD"})
    assert find_remedy(STATED, stated, outcomes_of(STATED, stated)).text == "supply irr, credit_rating"


def test_remedy_when_japans_own_return_fails() -> None:
    # Japan's IRR comes from the flows: no single input of the list repairs it, and the remedy says so
    resolved = PACKS["japan"]
    env = {**env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9,
                               "currency": "USD", "credit_rating": "A", "taiwan_link": False, "tenor_years": 15}),
           "japan_irr": 0.02, "japan_multiple": 1.4, "japan_made_whole_on": None, "project_irr": 0.07}
    outcomes = outcomes_of(resolved, env)
    assert outcomes["return-floor"] == "fail" and outcomes["made-whole-within-life"] == "fail"
    remedy = find_remedy(resolved, env, outcomes)
    assert not remedy.possible and remedy.blocked_by == ("return-floor", "made-whole-within-life")
    assert "return-floor (Japan's own return clears the deemed rate) fails on japan_irr 0.02" in remedy.text
    assert "only different cash flows change them" in remedy.text


def test_a_change_that_breaks_another_rule_is_not_proposed() -> None:
    # only a far bigger amount covers the funding, and that breaks the commitment ceiling
    resolved = PACKS["japan"]
    env = env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e6, "currency": "USD",
                            "equity": 1e11, "loans": 5e11, "guarantees": 0.0, "irr": 0.07, "credit_rating": "A",
                            "taiwan_link": False})
    outcomes = outcomes_of(resolved, env)
    assert outcomes["funding-within-cost"] == "fail" and outcomes["within-commitment"] == "pass"
    remedy = find_remedy(resolved, env, outcomes)
    assert not remedy.possible and remedy.blocked_by == ("funding-within-cost",)


def test_a_plain_no_when_no_input_can_change_it() -> None:
    # the window closed on 19 Jan 2029: window-open reads as_of and a parameter, no candidate input
    resolved = STATED_PACK.resolve(dt.date(2029, 3, 1))
    env = env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9,
                            "currency": "USD", "irr": 0.01, "credit_rating": "A", "taiwan_link": False})
    remedy = find_remedy(resolved, env, outcomes_of(resolved, env))
    assert not remedy.possible and remedy.blocked_by == ("window-open",)
    assert remedy.text.startswith("no change of the candidate's inputs makes it eligible: window-open")
    assert "reads no candidate input" in remedy.text
    assert "(elsewhere: raise irr from 0.01 to 0.05)" in remedy.text


def test_an_excluded_sector_gets_the_sectors_that_pass() -> None:
    # a sector is searched like any input: the remedy is a different sector, not a false "impossible"
    resolved = PACKS["japan"]
    env = env_of(resolved, {"id": "x", "sector": "aircraft_purchase", "location_country": "US", "amount": 1e9,
                            "currency": "USD", "irr": 0.01, "credit_rating": "A", "taiwan_link": False})
    fix = find_rule_fix(resolved.pack.rule("not-a-purchase"), env, resolved)
    assert fix.field == "sector" and "aircraft_purchase" not in fix.options and "agricultural_purchase" not in fix.options
    assert fix.text.startswith("set sector from 'aircraft_purchase' to one of 'semiconductors', ")
    remedy = find_remedy(resolved, env, outcomes_of(resolved, env))
    assert remedy.possible and "set sector from 'aircraft_purchase' to 'semiconductors'" in remedy.text


def test_results_carry_fixes_and_remedies() -> None:
    from screening.screen import screen_file
    result = screen_file(ROOT / "candidates/edge_cases.csv", STATED_PACK, AS_OF, engine="reference")
    by = {c.id: c for c in result.candidates}
    thin = by["edge-thin-return"]
    floor = next(o for o in thin.outcomes if o.rule == "return-floor")
    assert floor.fix.as_dict() == {"field": "irr", "to": 0.05, "text": "raise irr from 0.03 to 0.05"}
    assert thin.as_dict()["remedy"]["changes"] == [floor.fix.as_dict()]
    assert by["edge-junk-rated"].remedy.text == "raise credit_rating from 'B+' to 'BBB-'"
    assert by["edge-all-good"].remedy is None
