"""The durable_rules backend: the JSON it compiles to, durable's limits, its defect checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import pytest

from screening.derive import with_derived
from screening.engines import durable as durable_engine
from screening.engines.durable import (
    RULES_PER_RULESET,
    DurableEngine,
    SyncHost,
    durable_json,
    event_json,
    unique_ruleset_name,
)
from screening.engines.durable_compile import MAX_GROUPS, MAX_PROPERTIES, CompiledRule, count_groups
from screening.engines.reference import ReferenceEngine
from screening.lang.parse import parse_expression
from screening.pack.compiled import PackRule, Place, ResolvedPack
from screening.pack.load import load_pack
from screening.pack.model import RuleSpec

FIXTURES = Path(__file__).parent / "fixtures" / "packs"
AS_OF = dt.date(2026, 3, 1)
_ids = itertools.count()


def with_rules(folder: Path, *rules: tuple[str, str | None]) -> ResolvedPack:
    """The pack in ``folder`` with its rules replaced by (require, applies_if) pairs."""
    pack = load_pack(folder)
    built = []
    for require, applies_if in rules:
        spec = RuleSpec(id=f"r{next(_ids)}", title="t", category="other", require=require, applies_if=applies_if,
                        source="s")
        built.append(PackRule(spec, Place("x", 1), parse_expression(require),
                              parse_expression(applies_if) if applies_if else None, pack.name))
    return dataclasses.replace(pack, rules=built).resolve(AS_OF)


def compiled(require: str, applies_if: str | None = None, folder: Path = FIXTURES / "mini") -> CompiledRule:
    return DurableEngine().compile(with_rules(folder, (require, applies_if))).rules[0]


def rows_for(resolved: ResolvedPack, records: list[dict[str, object]]) -> list[dict[str, object]]:
    full = [{"id": f"c{i}", "stage": None, "stage_since": None, "deadline": None, **r} for i, r in enumerate(records)]
    return with_derived(resolved, full)


def agree(resolved: ResolvedPack, rows: list[dict[str, object]]) -> list[list[str]]:
    got = DurableEngine().decide(resolved, rows)
    assert got == ReferenceEngine().decide(resolved, rows)
    return got


# --- the compiled JSON ----------------------------------------------------------------------

def test_threshold_compiles_to_one_durable_comparison_per_outcome() -> None:
    c = compiled("irr >= hurdle_rate")
    assert c.patterns == {"na": False, "pass": {"$gte": {"f0": 0.05}}, "fail": {"$lt": {"f0": 0.05}}}
    assert c.fields == {"f0": "irr"} and c.lifted == {}
    assert c.durable_rules() == {
        "r0$pass": {"all": [{"m": {"$and": [{"r": 0}, {"$gte": {"f0": 0.05}}]}}]},
        "r0$fail": {"all": [{"m": {"$and": [{"r": 0}, {"$lt": {"f0": 0.05}}]}}]},
    }


def test_field_against_field_requires_both_present() -> None:
    c = compiled("equity <= amount")
    assert c.patterns["pass"] == {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}}, {"$lte": {"f0": {"$m": "f1"}}}]}
    assert c.patterns["fail"] == {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}}, {"$gt": {"f0": {"$m": "f1"}}}]}


def test_right_hand_arithmetic_stays_in_durable_and_left_hand_is_flipped_over() -> None:
    product = {"$mul": {"$l": {"$m": "f1"}, "$r": 0.02}}
    expected = {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}}, {"$lte": {"f0": product}}]}
    assert compiled("equity <= amount * 0.02").patterns["pass"] == expected
    flipped = compiled("amount * 0.02 >= equity")
    assert flipped.fields == {"f0": "equity", "f1": "amount"} and flipped.patterns["pass"] == expected
    assert compiled("hurdle_rate < irr").patterns["pass"] == {"$gt": {"f0": 0.05}}


def test_what_durable_cannot_compute_is_lifted_but_the_comparison_stays() -> None:
    division = compiled("equity / amount > 0.5")  # a zero divisor must give missing
    assert {p: lf.node.text for p, lf in division.lifted.items()} == {"l0": "equity / amount"}
    assert division.fields == {} and division.patterns["pass"] == {"$gt": {"l0": 0.5}}
    left_sum = compiled("equity + amount > 5")
    assert [lf.node.text for lf in left_sum.lifted.values()] == ["equity + amount"]
    assert left_sum.patterns["fail"] == {"$lte": {"l0": 5}}
    product = compiled("irr < equity * amount")  # two inputs multiplied could overflow durable's integers
    assert [lf.node.text for lf in product.lifted.values()] == ["equity * amount"]
    assert compiled("abs(irr) <= 1").lifted["l0"].node.text == "abs(irr)"


def test_kleene_and_or_not_compile_structurally() -> None:
    c = compiled("not (irr >= hurdle_rate and sector == 'energy')")
    assert c.patterns["pass"] == {"$or": [{"$lt": {"f0": 0.05}}, {"$neq": {"f1": "energy"}}]}
    assert c.patterns["fail"] == {"$and": [{"$gte": {"f0": 0.05}}, {"f1": "energy"}]}


def test_missing_and_applies_if() -> None:
    c = compiled("missing(irr)", applies_if="not missing(equity)")
    assert c.patterns == {"na": {"$nex": {"f0": 1}},
                          "pass": {"$and": [{"$ex": {"f0": 1}}, {"$nex": {"f1": 1}}]},
                          "fail": {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}}]}}


def test_membership_in_a_list_parameter_is_equality_per_item() -> None:
    c = compiled("sector in priority_sectors")
    assert c.patterns["pass"] == {"$or": [{"f0": "energy"}, {"f0": "semiconductors"}]}
    assert c.patterns["fail"] == {"$and": [{"$neq": {"f0": "energy"}}, {"$neq": {"f0": "semiconductors"}}]}
    negated = compiled("sector not in priority_sectors")
    assert negated.patterns["pass"] == c.patterns["fail"] and negated.patterns["fail"] == c.patterns["pass"]


def test_list_literal_with_a_field_follows_sql_null_rules() -> None:
    c = compiled("sector in ['energy', currency]")
    assert c.patterns["pass"] == {"$or": [{"f0": "energy"},
                                          {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}}, {"f0": {"$m": "f1"}}]}]}
    assert c.patterns["fail"] == {"$and": [{"$neq": {"f0": "energy"}}, {"$ex": {"f0": 1}}, {"$ex": {"f1": 1}},
                                           {"$neq": {"f0": {"$m": "f1"}}}]}
    resolved = with_rules(FIXTURES / "mini", ("sector in ['energy', currency]", None))
    rows = rows_for(resolved, [{"sector": "x"}, {"sector": "x", "currency": "USD"}, {"sector": "energy"}])
    assert agree(resolved, rows) == [["missing"], ["fail"], ["pass"]]


def test_membership_in_a_mapping_parameter_is_key_membership() -> None:
    c = compiled("s in tier", folder=FIXTURES / "typed")
    assert c.patterns["pass"] == {"$or": [{"f0": "a"}, {"f0": "b"}]}


def test_constants_fold_at_compile_time() -> None:
    c = compiled("as_of <= date('2029-01-19')")
    assert c.patterns == {"na": False, "pass": True, "fail": False}
    assert c.durable_rules() == {"r0$pass": {"all": [{"m": {"r": 0}}]}}
    assert compiled("irr > 0", applies_if="hurdle_rate > 1").durable_rules().keys() == {"r0$na"}


def test_dates_are_day_ordinals_on_both_sides() -> None:
    c = compiled("d < day", folder=FIXTURES / "typed")
    assert c.patterns["pass"] == {"$lt": {"f0": dt.date(2026, 1, 15).toordinal()}}
    assert c.event({"d": dt.date(2026, 1, 1)}, 4) == {"r": 0, "i": 4, "f0": dt.date(2026, 1, 1).toordinal()}


def test_events_leave_missing_values_out_and_mark_lists_present() -> None:
    c = compiled("missing(tags) or x / y > k", folder=FIXTURES / "typed")
    assert c.event({"tags": (), "x": 1.0, "y": 0.0, "k": 0.5}, 0) == {"r": 0, "i": 0, "f0": True}
    assert c.event({"x": 1.0, "y": 4.0, "k": 0.5}, 1) == {"r": 0, "i": 1, "l0": 0.25}


def test_comparisons_of_mixed_types_are_lifted(tmp_path: Path) -> None:
    """durable finds True == 1 and "1" == 1; the language does not, so durable must not compare them."""
    (tmp_path / "pack.yaml").write_text(
        "pack: mixed\nversion: '1'\ntitle: t\nfields:\n  id: {type: string}\n  s: {type: string}\n"
        "  x: {type: number}\nparameters:\n  odd: {value: {a: 1, b: true, c: '1'}}\n  items: {value: [1, true, x]}\n")
    resolved = with_rules(tmp_path, ("odd[s] == 1", None), ("x in items", None), ("odd[s] != x", None))
    report = DurableEngine().compile_report(resolved)
    assert report[0]["lifted"] == {"l0": "odd[s] == 1"}
    assert report[1]["durable_rules"]["r1$pass"] == {"all": [{"m": {"$and": [{"r": 1}, {"f0": 1}]}}]}
    rows = rows_for(resolved, [{"s": s, "x": x} for s in ("a", "b", "c", None) for x in (1.0, 0.0, None)])
    agree(resolved, rows)


def test_floats_are_written_so_that_durable_parses_them() -> None:
    assert durable_json({"a": 1e-07, "b": -1e+20, "c": 0.5, "d": [2.5e-05, "1e-07"], "e": None}) == \
        '{"a":1.0e-07,"b":-1.0e+20,"c":0.5,"d":[2.5e-05,"1e-07"],"e":null}'
    assert event_json({"r": 1, "x": 1e-07, "s": 'é"', "b": True}) == '{"r":1,"x":1.0e-07,"s":"é\\"","b":true}'
    assert event_json({"x": float("inf"), "y": float("-inf")}) == '{"x":1.0e+309,"y":-1.0e+309}'
    with pytest.raises(ValueError, match="nan"):
        event_json({"x": float("nan")})
    resolved = with_rules(FIXTURES / "mini", ("irr >= 1e-07", None), ("irr < 3e+20", None))
    agree(resolved, rows_for(resolved, [{"irr": v} for v in (1e-08, 1e-07, 2e-07, 5e+20, 1e+20, -0.0)]))


def test_events_are_written_as_the_event_json_of_their_values() -> None:
    """The engine writes each event's text directly; it equals ``event_json(rule.event(...))``."""
    resolved = load_pack(Path(__file__).parent.parent / "rules" / "japan").resolve(AS_OF)
    compiled = DurableEngine().compile(resolved)
    values = [{"irr": 1e-07, "sector": 'é"x', "taiwan_link": True, "amount": 2**70, "currency": "USD",
               "announced_on": dt.date(2026, 1, 2), "funded_on": dt.date(2026, 2, 3), "partners": ("a",),
               "guarantees": float("inf"), "equity": 3, "loans": 0.5},
              {"irr": -0.0, "sector": None, "taiwan_link": False, "amount": 1.5e+300, "partners": ()}]
    rows = rows_for(resolved, values)
    constants = resolved.constants()
    for i, row in enumerate(rows):
        for rule in compiled.rules:
            env = {**row, **constants}
            assert durable_engine.event_writer(rule)(env, i) == event_json(rule.event(env, i)), rule.rule_id


def test_packs_whose_rulesets_read_alike_post_their_own_fields() -> None:
    """Two packs compile to the same rulesets (one loaded pack, reused) yet read other fields."""
    first = with_rules(FIXTURES / "mini", ("irr >= 0.5", None))
    second = with_rules(FIXTURES / "mini", ("equity >= 0.5", None))
    assert [r["durable_rules"] for r in DurableEngine().compile_report(first)] == \
        [r["durable_rules"] for r in DurableEngine().compile_report(second)]
    values = [{"irr": 0.9, "equity": 0.1}, {"irr": 0.1, "equity": 0.9}]
    assert DurableEngine().decide(first, rows_for(first, values)) == [["pass"], ["fail"]]
    assert DurableEngine().decide(second, rows_for(second, values)) == [["fail"], ["pass"]]


def test_infinity_compares_as_in_python_and_nan_is_refused_with_the_place() -> None:
    resolved = with_rules(FIXTURES / "mini", ("irr >= hurdle_rate", None), ("irr / equity < 1e+308", None))
    infinite = [{"irr": float("inf")}, {"irr": float("-inf")}, {"irr": 1e300, "equity": 1e-300}]
    agree(resolved, rows_for(resolved, infinite))
    with pytest.raises(ValueError, match=r"candidate 1 \(c0\), rule 'r\d+'.*nan"):
        DurableEngine().decide(resolved, rows_for(resolved, [{"irr": float("nan")}]))


# --- durable's limits -----------------------------------------------------------------------

def test_big_conditions_are_partly_lifted_to_fit_durables_expression_slots() -> None:
    require = " or ".join(f"(irr > {i} and equity < {i})" for i in range(30))
    c = compiled(require, applies_if="amount > 0 or not missing(sector)")
    assert all(count_groups(c.condition(p)) <= MAX_GROUPS for p in c.patterns.values() if p is not False)
    assert c.lifted and all(lf.condition for lf in c.lifted.values())
    assert len(c.lifted) < 30 and any("$or" in part for part in c.patterns["pass"]["$and"])  # durable decides the or
    resolved = with_rules(FIXTURES / "mini", (require, "amount > 0 or not missing(sector)"))
    records = [{"irr": i / 2, "equity": e, "amount": a}
               for i in range(-1, 62, 7) for e in (None, 3.0, 40.0) for a in (None, 0.0, 1.0)]
    agree(resolved, rows_for(resolved, records))


def test_rules_reading_many_fields_are_lifted_to_fit_durables_property_limit(tmp_path: Path) -> None:
    names = [f"v{i}" for i in range(40)]
    (tmp_path / "pack.yaml").write_text("pack: wide\nversion: '1'\ntitle: t\nfields:\n  id: {type: string}\n"
                                        + "".join(f"  {v}: {{type: number}}\n" for v in names))
    require = " and ".join(f"{v} >= 0" for v in names)
    resolved = with_rules(tmp_path, (require, None))
    c = DurableEngine().compile(resolved).rules[0]
    assert c.property_count <= MAX_PROPERTIES and c.lifted
    records = [{v: float(j - i) for j, v in enumerate(names)} for i in range(0, 45, 5)]
    records.append(dict.fromkeys(names[:-1], 1.0))
    agree(resolved, rows_for(resolved, records))


def test_many_rules_are_split_across_rulesets() -> None:
    resolved = with_rules(FIXTURES / "mini", *[(f"irr >= {i / 1000}", None) for i in range(RULES_PER_RULESET * 2 + 7)])
    assert len(DurableEngine().compile(resolved).chunks) == 3
    agree(resolved, rows_for(resolved, [{"irr": (i % 200) / 1000 if i % 7 else None} for i in range(0, 200, 9)]))


def test_one_session_serves_more_candidates_than_durable_has_sessions() -> None:
    resolved = with_rules(FIXTURES / "mini", ("irr >= hurdle_rate", "sector in priority_sectors"))
    sectors = ["energy", "steel", None]
    agree(resolved, rows_for(resolved, [{"irr": (i % 11) / 100 if i % 7 else None, "sector": sectors[i % 3]}
                                        for i in range(1100)]))


def test_the_same_pack_reuses_its_rulesets() -> None:
    resolved = with_rules(FIXTURES / "mini", ("irr >= 0.123456", None))
    rows = rows_for(resolved, [{"irr": 0.2}])
    for _ in range(30):
        assert DurableEngine().decide(resolved, rows) == [["pass"]]
    texts = [key for key in durable_engine._cache if "0.123456" in key[0]]
    assert len(texts) == 1


def test_an_empty_pack_or_list_decides_nothing() -> None:
    resolved = with_rules(FIXTURES / "mini")
    assert DurableEngine().decide(resolved, rows_for(resolved, [{}])) == [[]]
    assert DurableEngine().decide(with_rules(FIXTURES / "mini", ("irr > 0", None)), []) == []


# --- defects are errors, not outcomes -------------------------------------------------------

def test_an_action_that_fails_is_a_defect(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self, rule_index, kind):
        def record(c):
            raise KeyError("broken action")
        return record
    monkeypatch.setattr(durable_engine._Recorder, "action", broken)
    resolved = with_rules(FIXTURES / "mini", ("irr >= 0.654321", None))
    with pytest.raises(RuntimeError, match="recorded 0 outcomes"):
        DurableEngine().decide(resolved, rows_for(resolved, [{"irr": 0.9}]))
    assert not [k for k in durable_engine._cache if "0.654321" in k[0]]  # never reused


def test_a_recording_error_is_a_defect(monkeypatch: pytest.MonkeyPatch) -> None:
    original = durable_engine._Recorder.action

    def twice(self, rule_index, kind):
        record = original(self, rule_index, kind)
        return lambda c: (record(c), record(c))
    monkeypatch.setattr(durable_engine._Recorder, "action", twice)
    resolved = with_rules(FIXTURES / "mini", ("irr >= 0.7654321", None))
    with pytest.raises(RuntimeError, match="two outcomes"):
        DurableEngine().decide(resolved, rows_for(resolved, [{"irr": 0.9}]))


def test_the_host_runs_actions_synchronously() -> None:
    host, seen, name = SyncHost(), [], unique_ruleset_name("test")
    rules = durable_json({"a": {"all": [{"m": {"$gt": {"x": 0}}}]}})
    host.add_ruleset(name, {"a": lambda c: seen.append(c.m["x"])}, rules)
    for x in range(1, 2001):
        host.post_text(name, event_json({"x": x}))
        assert len(seen) == x  # recorded before post returned
    with pytest.raises(durable_engine.MessageNotHandledException):
        host.post_text(name, event_json({"x": -1}))


def test_compile_report_shows_rules_fields_and_lifted_expressions() -> None:
    report = DurableEngine().compile_report(with_rules(FIXTURES / "typed", ("days(d, as_of) > 30", "p")))
    assert report == [{
        "rule": report[0]["rule"], "ruleset": 0, "fields": {"f0": "p"}, "lifted": {"l0": "days(d, as_of)"},
        "durable_rules": {
            "r0$na": {"all": [{"m": {"$and": [{"r": 0}, {"f0": False}]}}]},
            "r0$pass": {"all": [{"m": {"$and": [{"r": 0}, {"f0": True}, {"$gt": {"l0": 30}}]}}]},
            "r0$fail": {"all": [{"m": {"$and": [{"r": 0}, {"f0": True}, {"$lte": {"l0": 30}}]}}]}}}]
