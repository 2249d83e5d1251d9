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
from screening.fixes import _inputs_reaching, _env_with, find_remedy, find_rule_fix
from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 1)
PACKS = {name: load_pack(ROOT / "rules" / name).resolve(AS_OF) for name in ("framework", "japan", "us")}

money = st.floats(min_value=0, max_value=5e11, allow_nan=False, allow_infinity=False)
candidates = st.fixed_dictionaries({
    "id": st.just("gen"),
    "sector": st.sampled_from(["energy", "metals", "aircraft_purchase", "toys"]),
    "location_country": st.sampled_from(["US", "JP"]),
    "amount": st.floats(min_value=1e6, max_value=2e14, allow_nan=False),
    "currency": st.sampled_from(["USD", "JPY"]),
    "equity": money, "loans": money, "guarantees": money,
    "irr": st.floats(min_value=-0.2, max_value=0.3, allow_nan=False),
    "credit_rating": st.sampled_from(["AAA", "BBB-", "BB", "B"]),
    "taiwan_link": st.booleans(), "tokyo_consent": st.booleans(), "supply_chain_benefit_japan": st.booleans(),
})


def env_of(resolved, record):
    row = {**{k: None for k in resolved.pack.fields}, **record, "stage": None, "stage_since": None, "deadline": None}
    return {**with_derived(resolved, [row])[0], **resolved.constants()}


def numeric_threshold(rule, pack) -> bool:
    kinds = {pack.fields[f].spec.type.value for f in _inputs_reaching(rule.require.names(), pack)}
    return bool(kinds & {"number", "integer"})


@pytest.mark.parametrize("pack_name", sorted(PACKS))
@settings(max_examples=120, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=candidates)
def test_every_failed_numeric_threshold_rule_gets_a_fix_that_works(pack_name: str, record) -> None:
    resolved = PACKS[pack_name]
    env = env_of(resolved, record)
    for rule in resolved.pack.rules:
        if decide_rule(rule, env) != "fail" or not numeric_threshold(rule, resolved.pack):
            continue
        fix = find_fix(rule, env, resolved.pack) or find_rule_fix(rule, env, resolved)
        assert fix is not None, f"{rule.id}: no fix for {record}"
        assert decide_rule(rule, _env_with(resolved, env, fix.field, fix.to)) == "pass", (rule.id, fix)


def test_fix_through_a_derived_share() -> None:
    resolved = PACKS["japan"]
    env = env_of(resolved, {"id": "x", "amount": 1e9, "currency": "USD", "equity": 4e8})
    fix = find_rule_fix(resolved.pack.rule("equity-share-cap"), env, resolved)
    assert fix.field == "equity" and fix.to == pytest.approx(2e7)
    assert fix.text == "lower equity from 400,000,000 to 20,000,000"


def test_remedy_for_a_candidate_and_a_plain_no() -> None:
    resolved = PACKS["japan"]
    base = {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD", "irr": 0.03,
            "credit_rating": "A", "taiwan_link": True, "tokyo_consent": False}
    env = env_of(resolved, base)
    outcomes = {r.id: decide_rule(r, env) for r in resolved.pack.rules}
    remedy = find_remedy(resolved, env, outcomes)
    assert remedy.possible and {c.field for c in remedy.changes} == {"irr", "tokyo_consent"}
    after = env
    for c in remedy.changes:
        after = _env_with(resolved, after, c.field, c.to)
    assert all(decide_rule(r, after) != "fail" for r in resolved.pack.rules if r.spec.severity.value == "blocking")
    env = env_of(resolved, {**base, "irr": 0.08, "tokyo_consent": True, "credit_rating": "B"})
    outcomes = {r.id: decide_rule(r, env) for r in resolved.pack.rules}
    nothing = find_remedy(resolved, env, outcomes)
    assert not nothing.possible and nothing.blocked_by == ("investment-grade",)
