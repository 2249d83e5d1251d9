"""Fixes and remedies search every kind of input: ratings, categories, lists, yes/no, dates.

The property tests hold the remedy to its word: a remedy that says "impossible" is checked
against an independent probe of every input the failing rules read (no single change of one of
those inputs flips the verdict), and a proposed remedy, applied, leaves no blocking rule failing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.fixes import env_with, find_remedy, rule_fixes, rule_inputs, text_values
from screening.lang.functions import _MOODYS, _SP
from screening.outcomes import verdict_of
from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 6, 1)
KINDS = load_pack(ROOT / "tests/fixtures/packs/kinds").resolve(AS_OF)
DEFAULTS = {name: load_pack(ROOT / "rules" / name).resolve(AS_OF) for name in ("framework", "japan", "us")}
#: After the investment window has closed: window-open fails whatever the candidate.
LATE = {name: resolved.pack.resolve(dt.date(2029, 3, 1)) for name, resolved in DEFAULTS.items()}


def env_of(resolved, record):
    row = {**dict.fromkeys(resolved.pack.fields), **record, "stage": None, "stage_since": None, "deadline": None}
    return {**with_derived(resolved, [row])[0], **resolved.constants()}


def outcomes_of(resolved, env) -> dict[str, str]:
    return {r.id: decide_rule(r, env) for r in resolved.pack.rules}


def verdict(resolved, env) -> str:
    return verdict_of([(r.spec.severity.value, decide_rule(r, env)) for r in resolved.pack.rules])


GOOD = {"id": "k", "phase": "build", "region": "north", "tags": ("audited",), "consent": True,
        "opened_on": dt.date(2026, 3, 1), "grade": "A", "amount": 5e6, "staff": 5}


@pytest.mark.parametrize("field, bad, expect_to, text", [
    ("phase", "pilot", "build", "set phase from 'pilot' to one of 'build', 'operate'"),
    ("region", "west", "north", "set region from 'west' to one of 'north', 'south'"),
    ("tags", ("draft",), ("draft", "audited"), "set tags from ['draft'] to ['draft', 'audited']"),
    ("consent", False, True, "set consent from false to true"),
    ("opened_on", dt.date(2025, 1, 10), dt.date(2026, 1, 1), "move opened_on from 2025-01-10 to 2026-01-01"),
    ("grade", "BB+", "BBB-", "raise grade from 'BB+' to 'BBB-'"),
    ("grade", "Ba1", "Baa3", "raise grade from 'Ba1' to 'Baa3'"),
    ("staff", 2, 5, "raise staff from 2 to 5"),
])
def test_each_kind_of_input_gets_the_value_that_passes(field, bad, expect_to, text) -> None:
    env = env_of(KINDS, {**GOOD, field: bad})
    failed = [r for r in KINDS.pack.rules if decide_rule(r, env) == "fail"]
    assert len(failed) == 1
    fix = next(f for f in rule_fixes(failed[0], env, KINDS) if f.field == field)  # staff: amount is another way
    assert (fix.field, fix.to, fix.text) == (field, expect_to, text)
    assert decide_rule(failed[0], env_with(KINDS, env, field, fix.to)) == "pass"
    remedy = find_remedy(KINDS, env, outcomes_of(KINDS, env))
    assert remedy.possible and len(remedy.changes) == 1


def test_a_missing_date_is_supplied_when_its_absence_fails_a_rule() -> None:
    resolved = DEFAULTS["us"]
    env = env_of(resolved, {"id": "x", "sector": "energy", "location_country": "US", "amount": 1e9, "currency": "USD",
                            "selected_on": dt.date(2026, 3, 1)})
    assert decide_rule(resolved.pack.rule("funded-within-window"), env) == "fail"
    fix = next(f for f in rule_fixes(resolved.pack.rule("funded-within-window"), env, resolved) if f.field == "funded_on")
    assert fix.to == dt.date(2026, 4, 15) and fix.text.startswith("supply funded_on: ")
    assert decide_rule(resolved.pack.rule("funded-within-window"), env_with(resolved, env, "funded_on", fix.to)) == "pass"


def test_a_rule_no_single_change_repairs_is_proved_impossible() -> None:
    # staff is at most 5 (5e6 of amount), and a smaller amount than 1e6 breaks big-enough
    env = env_of(KINDS, {**GOOD, "staff": 0, "amount": 2e7})
    remedy = find_remedy(KINDS, env, outcomes_of(KINDS, env))
    assert not remedy.possible and remedy.blocked_by == ("staffed",) and remedy.tried == ("staff", "amount")
    assert remedy.text == ("no change of the candidate's inputs makes it eligible: staffed (Enough staff for the amount) "
                           "fails on staff 0, amount 20,000,000; no other value of staff, amount repairs it")


def test_low_ratings_get_a_remedy_through_the_cli(tmp_path: Path) -> None:
    """The user's view: BB+ and B+ under rules/japan get 'raise credit_rating … to BBB-', never 'impossible'."""
    rows = ["id,sector,location_country,amount,currency,equity,loans,guarantees,irr,credit_rating,announced_on,"
            "taiwan_link,supply_chain_benefit_japan"]
    for cid, grade in (("bb-plus", "BB+"), ("b-plus", "B+")):
        rows.append(f"{cid},critical_minerals,US,6.0e+8,USD,6.0e+6,4.0e+8,1.94e+8,0.08,{grade},2026-02-17,false,true")
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "screening.cli", "run", str(tmp_path / "list.csv"), "--rules",
                          str(ROOT / "rules/japan"), "--as-of", "2026-03-01", "--out", str(tmp_path / "out"), "-q"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    results = json.loads((tmp_path / "out/results.json").read_text())
    for c, grade in zip(results["candidates"], ("BB+", "B+")):
        assert c["remedy"]["possible"] is True
        assert c["remedy"]["changes"] == [{"field": "credit_rating", "to": "BBB-",
                                           "text": f"raise credit_rating from '{grade}' to 'BBB-'"}]
        grade_rule = next(o for o in c["outcomes"] if o["rule"] == "investment-grade")
        assert grade_rule["fix"]["to"] == "BBB-"


# --- property tests: the remedy is held to its word --------------------------------------------------------------

def _probes(resolved, env, name) -> list[object]:
    """Values to try for one input, chosen independently of the search under test."""
    spec = resolved.pack.fields[name].spec
    kind = spec.type.value
    current = env.get(name)
    params = resolved.params
    if kind == "bool":
        return [True, False]
    if kind == "string":
        lists = [v for p in params.values() if isinstance(p, (list, tuple)) for v in p]
        return list(dict.fromkeys([*(spec.enum or []), *text_values(resolved, name), *lists, *_SP, *_MOODYS,
                                   *(p for p in params.values() if isinstance(p, str)), "US", "JP", "other"]))
    if kind == "list":
        return [(), ("audited",), *(((*current, "audited"),) if current else ())]
    if kind == "date":
        anchors = [resolved.as_of] + [p for p in params.values() if isinstance(p, dt.date)] + \
                  [v for v in env.values() if isinstance(v, dt.date)]
        return list(dict.fromkeys(a + dt.timedelta(days=d) for a in anchors
                                  for d in (-400, -366, -365, -46, -45, -1, 0, 1, 45, 46, 365, 366)))
    base = [0.0, 1.0] + [10.0 ** k for k in range(3, 15)]
    nums = [float(p) for p in params.values() if isinstance(p, (int, float)) and not isinstance(p, bool)]
    if isinstance(current, (int, float)):
        base += [current * f for f in (0.0, 0.01, 0.5, 0.9, 0.99, 1.01, 1.1, 2.0, 10.0)]
    for x in nums:
        base += [x, x * (1 + 1e-9), x * (1 - 1e-9)]
    values = [v for v in base if (spec.min is None or v >= spec.min) and (spec.max is None or v <= spec.max)]
    return [float(round(v)) for v in values] if kind == "integer" else values


def _record(pack):
    """Candidates near a sound project: most fields kept, a few drawn from the values the pack names."""
    sound = {"id": "gen", "sector": "critical_minerals", "location_country": "US", "amount": 6.0e8, "currency": "USD",
             "equity": 6.0e6, "loans": 4.0e8, "guarantees": 1.94e8, "irr": 0.08, "credit_rating": "A-",
             "announced_on": dt.date(2026, 2, 17), "taiwan_link": False, "supply_chain_benefit_japan": True}
    choices = {
        "sector": st.sampled_from(["energy", "aircraft_purchase", "toys", "semiconductors", "agricultural_purchase"]),
        "location_country": st.sampled_from(["US", "JP", "MX"]),
        "amount": st.sampled_from([1e6, 6e8, 3.3e10, 6e11, 9e13]),
        "currency": st.sampled_from(["USD", "JPY"]),
        "equity": st.sampled_from([0.0, 6e6, 5e8]), "loans": st.sampled_from([0.0, 4e8, 6e10]),
        "guarantees": st.sampled_from([None, 0.0, 1.94e8, 5e11]),
        "irr": st.sampled_from([None, -0.05, 0.03, 0.045, 0.08]),
        "credit_rating": st.sampled_from([None, "AAA", "BB+", "B+", "Ba1", "Caa2", "NR"]),
        "announced_on": st.sampled_from([None, dt.date(2025, 6, 1), dt.date(2026, 2, 17), dt.date(2029, 2, 15)]),
        "selected_on": st.sampled_from([None, dt.date(2026, 1, 2), dt.date(2026, 5, 20)]),
        "funded_on": st.sampled_from([None, dt.date(2026, 1, 10), dt.date(2026, 5, 25), dt.date(2026, 9, 1)]),
        "taiwan_link": st.sampled_from([None, True, False]), "tokyo_consent": st.sampled_from([None, True, False]),
        "supply_chain_benefit_japan": st.booleans(),
    }
    # only a far bigger amount closes this instrument gap, and that breaks the commitment ceiling
    choices["_conflict"] = st.just({"amount": 1e6, "equity": 0.0, "loans": 6e10, "guarantees": 5e11})
    changed = st.lists(st.sampled_from(sorted(choices)), min_size=1, max_size=3, unique=True)

    def merged(drawn: dict) -> dict:
        return {**sound, **{k: v for k, v in drawn.items() if k != "_conflict"}, **drawn.get("_conflict", {})}
    return changed.flatmap(lambda keys: st.fixed_dictionaries({k: choices[k] for k in keys})).map(merged)


def _kinds_record():
    return st.fixed_dictionaries({
        "id": st.just("k"), "phase": st.sampled_from([None, "pilot", "build"]),
        "region": st.sampled_from([None, "west", "north"]),
        "tags": st.sampled_from([None, (), ("draft",), ("audited",)]), "consent": st.sampled_from([None, True, False]),
        "opened_on": st.sampled_from([None, dt.date(2024, 1, 1), dt.date(2025, 5, 1), dt.date(2026, 3, 1)]),
        "grade": st.sampled_from([None, "AA", "BB+", "Caa1", "NR"]),
        "amount": st.sampled_from([None, 0.0, 5e6, 2e7]), "staff": st.sampled_from([None, 0, 3, 5]),
    })


SETTINGS = settings(max_examples=80, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _hold_remedy_to_its_word(resolved, record) -> None:
    env = env_of(resolved, record)
    outcomes = outcomes_of(resolved, env)
    remedy = find_remedy(resolved, env, outcomes)
    if verdict(resolved, env) == "eligible":
        assert remedy is None
        return
    assert remedy is not None
    if remedy.possible:
        after = env
        for change in remedy.changes:
            after = env_with(resolved, after, change.field, change.to)
        assert verdict(resolved, after) != "ineligible", (record, remedy)
        if not remedy.supply and verdict(resolved, env) == "ineligible":
            assert verdict(resolved, after) == "eligible", (record, remedy)
        return
    # impossible: every input the failing blocking rules read was tried, and no single change flips the verdict
    failing = [r for r in resolved.pack.rules if r.spec.severity.value == "blocking" and outcomes[r.id] == "fail"]
    read = {x for r in failing for x in rule_inputs(r, resolved.pack)}
    assert set(remedy.tried) == {x for b in remedy.blocked_by for x in rule_inputs(resolved.pack.rule(b), resolved.pack)}
    for name in sorted(read):
        for value in _probes(resolved, env, name):
            assert verdict(resolved, env_with(resolved, env, name, value)) == "ineligible", \
                (record, remedy.text, name, value)


@pytest.mark.parametrize("late", [False, True], ids=["2026-06-01", "2029-03-01"])
@pytest.mark.parametrize("pack_name", sorted(DEFAULTS))
@SETTINGS
@given(data=st.data())
def test_remedies_of_the_default_packs_keep_their_word(pack_name: str, late: bool, data) -> None:
    resolved = (LATE if late else DEFAULTS)[pack_name]
    _hold_remedy_to_its_word(resolved, data.draw(_record(resolved.pack)))


@SETTINGS
@given(record=_kinds_record())
def test_remedies_over_every_kind_of_input_keep_their_word(record) -> None:
    _hold_remedy_to_its_word(KINDS, record)
