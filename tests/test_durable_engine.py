"""The durable_rules backend: the compiled JSON, durable's limits, and agreement with the reference."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from screening.derive import with_derived
from screening.engines.durable import RULES_PER_RULESET, DurableEngine
from screening.engines.durable_compile import FALSE, TRUE
from screening.engines.reference import ReferenceEngine
from screening.lang.parse import parse_expression
from screening.pack.compiled import PackRule, Place
from screening.pack.load import load_pack
from screening.pack.model import RuleSpec

MINI = Path(__file__).parent / "fixtures" / "packs" / "mini"
AS_OF = dt.date(2026, 3, 1)


def compiled(require: str, applies_if: str | None = None):
    pack = load_pack(MINI)
    spec = RuleSpec(id="r", title="t", category="other", require=require, applies_if=applies_if, source="s")
    rule = PackRule(spec, Place("x", 1), parse_expression(require), parse_expression(applies_if) if applies_if else None, "mini")
    resolved = dataclasses.replace(pack, rules=[rule]).resolve(AS_OF)
    return DurableEngine().compile(resolved)[0]


def test_threshold_compiles_to_durable_comparisons() -> None:
    c = compiled("irr >= hurdle_rate")
    assert c.properties == {"f0": "irr"}
    assert c.patterns == {"na": FALSE,
                          "pass": {"$and": [{"$ex": {"f0": 1}}, {"$gte": {"f0": 0.05}}]},
                          "fail": {"$and": [{"$ex": {"f0": 1}}, {"$lt": {"f0": 0.05}}]}}
    assert c.lifted == {}


def test_right_hand_arithmetic_stays_in_durable() -> None:
    c = compiled("equity <= amount * 0.02")
    assert c.patterns["pass"] == {"$and": [{"$ex": {"f0": 1}}, {"$ex": {"f1": 1}},
                                           {"$lte": {"f0": {"$mul": {"$l": {"$m": "f1"}, "$r": 0.02}}}}]}


def test_kleene_structure_and_lifting() -> None:
    c = compiled("not (sector in priority_sectors) or equity / amount > 0.5", applies_if="missing(irr)")
    assert c.patterns["na"] == {"$ex": {"f0": 1}}
    assert list(c.lifted) == ["l0"] and c.lifted["l0"].text == "equity / amount"  # division is lifted
    fail = c.patterns["fail"]
    assert fail["$and"][0] == {"$nex": {"f0": 1}}
    assert {"$or": [{"f1": "energy"}, {"f1": "semiconductors"}]} in fail["$and"]


def test_constant_conditions_fold() -> None:
    c = compiled("as_of <= date('2029-01-19')")
    assert c.patterns == {"na": FALSE, "pass": TRUE, "fail": FALSE}
    assert c.durable_rules() == {"r0$pass": {"all": [{"m": {"r": 0}}]}}


def test_many_rules_are_split_across_rulesets_and_one_session_serves_many_candidates() -> None:
    pack = load_pack(MINI)
    rules = []
    for i in range(RULES_PER_RULESET * 2 + 7):
        text = f"irr >= {i / 1000}"
        spec = RuleSpec(id=f"r{i}", title="t", category="other", require=text, source="s")
        rules.append(PackRule(spec, Place("x", 1), parse_expression(text), None, "mini"))
    resolved = dataclasses.replace(pack, rules=rules).resolve(AS_OF)
    rows = with_derived(resolved, [{"id": f"c{i}", "irr": (i % 200) / 1000 if i % 7 else None,
                                    "stage": None, "stage_since": None, "deadline": None} for i in range(1500)])
    assert DurableEngine().decide(resolved, rows) == ReferenceEngine().decide(resolved, rows)


def test_engines_can_be_built_many_times_in_one_process() -> None:
    pack = load_pack(MINI).resolve(AS_OF)
    rows = with_derived(pack, [{"id": "a", "sector": "energy", "irr": 0.1, "stage": None, "stage_since": None,
                                "deadline": None}])
    for _ in range(30):
        assert DurableEngine().decide(pack, rows)[0][0] == "pass"
