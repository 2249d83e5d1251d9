"""Every backend gives the reference evaluator's outcome, for every candidate and rule.

Sources of cases: every pack ``rules/*/pack.yaml`` and ``tests/fixtures/packs/*`` with its own
test candidates and the bundled candidate lists (``candidates/*.csv``); a deterministic grid of
every operator at its boundaries; and hypothesis-generated expressions over two schemas with
every type of the language (and, in the second, the values durable_rules is known to get wrong
when handled naively: tiny and huge floats, numeric-looking strings, mixed-type parameters).
Hypothesis runs derandomized, without an example database, so CI sees the same cases each run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.derive import with_derived
from screening.engines import get_engine
from screening.engines.durable import (
    DurableEngine,
    MessageNotHandledException,
    SyncHost,
    durable_json,
    event_json,
    unique_ruleset_name,
)
from screening.engines.durable_compile import KINDS
from screening.engines.reference import ReferenceEngine
from screening.errors import InputError
from screening.lang.parse import parse_expression
from screening.lang.types import check_expression
from screening.pack.compiled import PackRule, Place, ResolvedPack
from screening.pack.load import load_pack
from screening.pack.model import RuleSpec

try:  # the candidate-list reader is optional here: without it, packs are checked on their own tests
    from screening.candidates import read_candidates, table_from_records
except ImportError:  # pragma: no cover - only on a half-built tree
    read_candidates = table_from_records = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p.parent for p in (ROOT / "rules").glob("*/pack.yaml")) + \
    sorted(p.parent for p in (ROOT / "tests" / "fixtures" / "packs").glob("*/pack.yaml"))
LISTS = sorted((ROOT / "candidates").glob("*.csv")) + [ROOT / "tests" / "fixtures" / "candidates" / "mini.csv"]
AS_OF = dt.date(2026, 3, 1)
BACKENDS = ["durable", "vector"]
GENERATED = settings(max_examples=400, derandomize=True, database=None, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def mismatches(resolved: ResolvedPack, rows: list[dict[str, object]], engine: str) -> list[str]:
    """Every (candidate, rule) where ``engine`` disagrees with the reference, described."""
    want = ReferenceEngine().decide(resolved, rows)
    got = get_engine(engine).decide(resolved, rows)
    return compare_matrices(resolved, rows, want, got)


def compare_matrices(resolved: ResolvedPack, rows: list[dict[str, object]], want: list[list[str]],
                     got: list[list[str]]) -> list[str]:
    out = []
    for row, w, g in zip(rows, want, got, strict=True):
        for rule, a, b in zip(resolved.pack.rules, w, g, strict=True):
            if a != b:
                out.append(f"{row.get('id')} / {rule.id} ({rule.require.text}): reference {a}, backend {b}")
    return out


def pack_rows(folder: Path) -> tuple[ResolvedPack, list[dict[str, object]]]:
    """The pack resolved on AS_OF, and its test candidates plus every bundled list that fits its schema."""
    pack = load_pack(folder)
    resolved = pack.resolve(AS_OF)
    # a portfolio test holds a list: ids repeat across tests, so number them
    records = [{**c, "id": f"{c.get('id')}#{i}"} for i, c in enumerate(c for t in pack.tests for c in t.case.all_candidates)]
    if table_from_records is None:
        rows = [dict(r) for r in records]
    else:
        rows = table_from_records(records, pack.input_fields).records() if records else []
        for path in LISTS:
            try:
                rows += read_candidates(path, pack.input_fields).records()
            except InputError:  # a list written for another schema (or not a candidate list)
                continue
    base = [{"stage": None, "stage_since": None, "deadline": None} | {k: v for k, v in r.items() if k in pack.fields}
            for r in rows]
    return resolved, with_derived(resolved, base)


def test_the_packs_and_lists_are_found() -> None:
    assert {p.name for p in PACKS} >= {"mini", "typed"}
    assert read_candidates is not None, "screening.candidates.read_candidates is missing: lists are not compared"


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("folder", PACKS, ids=[p.name for p in PACKS])
def test_backend_equals_reference_on_packs(folder: Path, engine: str) -> None:
    resolved, rows = pack_rows(folder)
    assert rows, f"no candidates to compare for {folder.name}"
    assert mismatches(resolved, rows, engine) == []


def test_the_comparison_catches_a_difference() -> None:
    resolved, rows = pack_rows(ROOT / "tests" / "fixtures" / "packs" / "typed")
    want = ReferenceEngine().decide(resolved, rows)
    mutated = [list(r) for r in want]
    mutated[0][0] = "fail" if mutated[0][0] != "fail" else "pass"
    assert len(compare_matrices(resolved, rows, want, mutated)) == 1


def test_a_miscompiled_durable_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Swap the pass and fail patterns of one compiled rule: the differential test must notice."""
    original = DurableEngine.compile

    def miscompile(self: DurableEngine, resolved: ResolvedPack):
        compiled = original(self, resolved)
        rule = compiled.rules[0]
        rule.patterns = {**rule.patterns, "pass": rule.patterns["fail"], "fail": rule.patterns["pass"]}
        return compiled

    monkeypatch.setattr(DurableEngine, "compile", miscompile)
    resolved, rows = pack_rows(ROOT / "tests" / "fixtures" / "packs" / "mini")
    found = mismatches(resolved, rows, "durable")
    assert found and all("/ irr-floor " in line for line in found)


# --- a deterministic grid: every operator at its boundaries, every missing combination -----

TYPED = load_pack(ROOT / "tests" / "fixtures" / "packs" / "typed")


def make_resolved(require: str, applies_if: str | None, base=TYPED) -> ResolvedPack:
    spec = RuleSpec(id="gen", title="generated", category="other", require=require, applies_if=applies_if, source="gen")
    rule = PackRule(spec, Place("<generated>", None), parse_expression(require),
                    parse_expression(applies_if) if applies_if else None, base.name)
    pack = dataclasses.replace(base, rules=[rule, *base.rules])
    return pack.resolve(AS_OF)


def candidates(resolved: ResolvedPack, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    full = [{"id": f"g{i}", "stage": None, "stage_since": None, "deadline": None, **r} for i, r in enumerate(rows)]
    return with_derived(resolved, full)


GRID_ROWS = [
    {"x": x, "y": y, "n": n, "s": s, "r": r, "p": p, "d": d, "tags": tags}
    for x, y, n, s, r, p, d, tags in [
        (1.0, 1.0, 1, "a", "BBB-", True, dt.date(2026, 1, 15), ("a",)),
        (0.5, 1.0, 0, "b", "AAA", False, dt.date(2026, 1, 14), ()),
        (2.0, 1.0, 2, "c", "BB+", None, dt.date(2026, 1, 16), ("z",)),
        (None, 1.0, None, None, None, None, None, None),
        (1.0, None, 1, "a", "NR", True, dt.date(2026, 3, 1), ("a", "b")),
        (0.0, 0.0, 0, "b", "A", False, dt.date(2025, 12, 31), None),
    ]
]
OPS = ["<", "<=", ">", ">=", "==", "!="]
GRID = [f"{a} {op} {b}" for op in OPS for a, b in
        [("x", "y"), ("x", "k"), ("k", "x"), ("x", "n"), ("d", "day"), ("d", "as_of"), ("x + y", "2"),
         ("x", "y * 2"), ("x / y", "1"), ("tier[s]", "1"), ("rating(r)", "rating('BBB-')"), ("days(d, day)", "0"),
         ("2", "x - y"), ("x * y", "n"), ("-x", "y")]]
GRID += ["s in names", "s not in names", "s in ['a', r]", "s not in ['a', r]", "'a' in tags", "s in tier",
         "p", "not p", "missing(x) or x > 1", "p and x > 0", "p or x > 1", "(x if p else y) >= 1", "s == r",
         "x in [1, y]", "x not in [y, 2]", "s in tier and tier[s] > x", "x in [1, tier['zz']]",
         "x not in [1, tier['zz']]", "x < tier['zz']"]


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("require", GRID)
def test_backend_equals_reference_on_grid(engine: str, require: str) -> None:
    resolved = make_resolved(require, None)
    assert mismatches(resolved, candidates(resolved, GRID_ROWS), engine) == []


# --- generated expressions over the typed fixture ------------------------------------------

NUM_LEAVES = ["x", "y", "n", "k", "0", "1", "2.5", "-1", "days(d, day)", "tier[s]", "abs(x)", "rating(r)", "switch"]


def num_expr(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(NUM_LEAVES)
    if depth == 0:
        return leaf
    sub = num_expr(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda a: f"(-{a})"),
        st.tuples(sub, sub).map(lambda t: f"min({t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(sub, bool_leaf(), sub).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
    )


def bool_leaf() -> st.SearchStrategy[str]:
    cmp = st.tuples(num_expr(0), st.sampled_from(OPS), num_expr(0)).map(" ".join)
    return st.one_of(cmp, st.sampled_from([
        "p", "missing(x)", "missing(s)", "s == 'a'", "s != 'b'", "s in names", "s not in names", "s in ['a', 'c']",
        "s in [r, 'a']", "s in tier", "'a' in tags", "'z' not in tags", "d < day", "d >= date('2026-01-01')",
        "p == True", "p != False", "d <= as_of", "0 < x <= 2", "r == s", "x == n", "missing(tags)",
    ]))


def bool_expr(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return bool_leaf()
    sub = bool_expr(depth - 1)
    deep_cmp = st.tuples(num_expr(2), st.sampled_from(["<", ">=", "=="]), num_expr(1)).map(" ".join)
    return st.one_of(
        bool_leaf(), deep_cmp,
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda a: f"(not {a})"),
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


typed_row = st.fixed_dictionaries({
    "x": maybe(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.5, 2.5, 1e9])),
    "y": maybe(st.sampled_from([0.0, 1.0, 4.0, -2.0])),
    "n": maybe(st.sampled_from([0, 1, 2, 3])),
    "s": maybe(st.sampled_from(["a", "b", "c"])),
    "r": maybe(st.sampled_from(["AAA", "BBB-", "BB+", "A", "NR", "a"])),
    "p": maybe(st.booleans()),
    "d": maybe(st.sampled_from([dt.date(2025, 12, 31), dt.date(2026, 1, 15), dt.date(2026, 2, 28)])),
    "tags": maybe(st.sampled_from([(), ("a",), ("z", "a"), ("b",)])),
})


def well_typed(resolved: ResolvedPack) -> None:
    from screening.engines.durable_compile import scope_of
    rule = resolved.pack.rules[0]
    for expr in (rule.require, rule.applies_if):
        if expr is not None:
            check_expression(expr, scope_of(resolved))  # generated rules are well typed


@pytest.mark.parametrize("engine", BACKENDS)
@GENERATED
@given(require=bool_expr(2), applies_if=maybe(bool_expr(1)), rows=st.lists(typed_row, min_size=1, max_size=6))
def test_backend_equals_reference_on_generated_rules(engine: str, require: str, applies_if: str | None, rows) -> None:
    resolved = make_resolved(require, applies_if)
    well_typed(resolved)
    assert mismatches(resolved, candidates(resolved, rows), engine) == []


# --- generated expressions over values durable_rules mishandles when taken naively ---------

ZOO_PACK = """\
pack: zoo
version: "1"
title: Values that trip durable_rules up
fields:
  id: {type: string, required: true}
  x: {type: number}
  y: {type: number}
  n: {type: integer}
  s: {type: string}
  t: {type: string}
  p: {type: bool}
  q: {type: bool}
  d: {type: date}
  e: {type: date}
  tags: {type: list}
  ratio: {type: number, derive: "x / y"}
parameters:
  k: {value: 0.5}
  tiny: {value: 1.0e-07}
  huge: {value: 1.0e+20}
  names: {value: ["a", "1", "01"]}
  tier: {value: {a: 1, b: 2.5, "1": 3}}
  odd: {value: {a: 1, b: true, c: "1"}}
  mixed: {value: [1, true, "a"]}
  day: {value: 2026-01-15}
"""


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> object:
    folder = tmp_path_factory.mktemp("zoo")
    (folder / "pack.yaml").write_text(ZOO_PACK)
    return load_pack(folder)


ZOO_NUMBERS = ["x", "y", "n", "k", "tiny", "huge", "ratio", "tier[s]", "0", "1", "0.3", "1e-07", "-2.5",
               "days(d, e)", "rating(t)"]
ZOO_CONDITIONS = [
    "p", "not q", "p == q", "p != True", "p in mixed", "missing(x)", "missing(tags)", "missing(t)",
    "s == t", "s == '1'", "s != '01'", "s == ''", "t in names", "s in tier", "s not in tier", "s in ['a', t]",
    "t not in [s, '1']", "'a' in tags", "s in tags", "odd[s] == 1", "odd[s] != t", "odd[s] == True", "x in mixed",
    "s in mixed", "d < e", "d <= day", "e >= as_of", "d == e", "x == y", "x + y == 0.3", "0 < x <= y",
    "x < y * tiny", "x >= huge", "n == x", "(s if p else t) == 'a'", "(x if q else y) > 0",
]


def zoo_condition(depth: int) -> st.SearchStrategy[str]:
    number = st.sampled_from(ZOO_NUMBERS)
    arith = st.tuples(number, st.sampled_from(["+", "-", "*", "/"]), number).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    operand = st.one_of(number, arith, number.map(lambda a: f"(-{a})"))
    leaf = st.one_of(st.sampled_from(ZOO_CONDITIONS), st.tuples(operand, st.sampled_from(OPS), operand).map(" ".join))
    if depth == 0:
        return leaf
    sub = zoo_condition(depth - 1)
    return st.one_of(leaf, sub.map(lambda a: f"(not {a})"),
                     st.lists(sub, min_size=2, max_size=3).flatmap(
                         lambda parts: st.sampled_from([" and ", " or "]).map(lambda op: f"({op.join(parts)})")))


zoo_row = st.fixed_dictionaries({
    "x": maybe(st.one_of(st.sampled_from([0.0, -0.0, 0.3, 0.1 + 0.2, 1.0, 1e-07, 2e-07, 1e+20, -2.5, 3.0]),
                         st.floats(allow_nan=False, allow_infinity=False, width=64))),
    "y": maybe(st.sampled_from([0.0, 0.1, 0.2, 1.0, 1e-07, 1e+20, -1.0, 3.0])),
    "n": maybe(st.sampled_from([0, 1, 3, -1, 2**40])),
    "s": maybe(st.sampled_from(["a", "b", "c", "1", "01", "", "é\"'"])),
    "t": maybe(st.sampled_from(["a", "1", "1.0", "AAA", "BBB-", "true"])),
    "p": maybe(st.booleans()),
    "q": maybe(st.booleans()),
    "d": maybe(st.sampled_from([dt.date(2025, 12, 31), dt.date(2026, 1, 15), dt.date(2026, 3, 1)])),
    "e": maybe(st.sampled_from([dt.date(2026, 1, 15), dt.date(2026, 3, 2)])),
    "tags": maybe(st.sampled_from([(), ("a",), ("1", "b")])),
})


def check_awkward(resolved: ResolvedPack, rows: list[dict[str, object]], engine: str) -> None:
    rows = candidates(resolved, rows)
    try:
        want = ReferenceEngine().decide(resolved, rows)
    except TypeError:  # e.g. a comparison the language refuses at run time: an error in every backend
        return
    got = get_engine(engine).decide(resolved, rows)
    assert compare_matrices(resolved, rows, want, got) == []


@settings(GENERATED, max_examples=600)
@given(require=zoo_condition(3), applies_if=maybe(zoo_condition(2)), rows=st.lists(zoo_row, min_size=1, max_size=6))
def test_durable_equals_reference_on_awkward_values(zoo, require: str, applies_if: str | None, rows) -> None:
    resolved = make_resolved(require, applies_if, base=zoo)
    well_typed(resolved)
    check_awkward(resolved, rows, "durable")


@settings(GENERATED, max_examples=400)
@given(require=zoo_condition(2), applies_if=maybe(zoo_condition(1)), rows=st.lists(zoo_row, min_size=1, max_size=6))
def test_vector_equals_reference_on_awkward_values(zoo, require: str, applies_if: str | None, rows) -> None:
    resolved = make_resolved(require, applies_if, base=zoo)
    check_awkward(resolved, rows, "vector")


@settings(GENERATED, max_examples=300)
@given(require=zoo_condition(2), applies_if=maybe(zoo_condition(1)), rows=st.lists(zoo_row, min_size=1, max_size=6))
def test_each_event_matches_exactly_the_durable_rule_of_its_outcome(zoo, require: str, applies_if: str | None,
                                                                     rows) -> None:
    """durable consumes an event at its first match, so overlapping patterns would go unseen in
    DurableEngine; here each pattern is tried on its own (``k`` picks it) and at most one may match."""
    resolved = make_resolved(require, applies_if, base=zoo)
    rows = candidates(resolved, rows)
    try:
        want = [r[0] for r in ReferenceEngine().decide(resolved, rows)]
    except TypeError:
        return
    rule = DurableEngine().compile(resolved).rules[0]
    kinds = sorted(rule.durable_rules())
    definition = {name: {"all": [{"m": {"$and": [{"k": k}, spec["all"][0]["m"]]}}]} for k, (name, spec) in
                  enumerate(sorted(rule.durable_rules().items()))}
    host, ruleset, fired = SyncHost(), unique_ruleset_name("exclusive"), []
    def action(name: str):
        return lambda c: fired.append(name)
    host.add_ruleset(ruleset, {name: action(name) for name in kinds}, durable_json(definition))
    constants = resolved.constants()
    for i, row in enumerate(rows):
        fired.clear()
        for k in range(len(kinds)):
            try:
                host.post_text(ruleset, event_json({"k": k, **rule.event({**row, **constants}, i)}))
            except MessageNotHandledException:
                pass
        assert [KINDS[name.split("$")[1]] for name in fired] == ([] if want[i] == "missing" else [want[i]]), row


ZOO_GRID_ROWS = [
    {"x": x, "y": y, "n": n, "s": s_, "t": t, "p": p, "q": q, "d": d, "e": e, "tags": tags}
    for x, y, n, s_, t, p, q, d, e, tags in [
        (1.0, 0.2, 1, "1", "1", True, True, dt.date(2026, 1, 15), dt.date(2026, 1, 15), ("1", "b")),
        (0.1 + 0.2, 0.1, 2**40, "01", "1.0", False, True, dt.date(2025, 12, 31), dt.date(2026, 3, 2), ()),
        (1e-07, 1e+20, 3, "b", "true", True, False, dt.date(2026, 3, 1), None, ("a",)),
        (-0.0, 0.0, 0, "c", "a", False, False, None, dt.date(2026, 1, 15), None),
        (1e+20, 1e-07, -1, "", "AAA", None, True, dt.date(2026, 1, 15), dt.date(2026, 3, 2), ("a",)),
        (3.0, 3.0, 3, "a", "BBB-", True, None, dt.date(2026, 1, 16), dt.date(2026, 1, 15), ("b",)),
        (None, None, None, None, None, None, None, None, None, None),
        (2.0, 1.0, 2**40, "é\"'", "a", True, True, dt.date(2026, 3, 1), dt.date(2026, 3, 2), ()),
    ]
]


@pytest.mark.parametrize("require", ZOO_CONDITIONS + ["n * n > x", "n * 2 > x", "x * y < 1", "x < tiny", "ratio <= k",
                                                      "x >= huge * y", "-x < y", "2 - x <= y / 2", "s in names"])
def test_durable_equals_reference_on_awkward_grid(zoo, require: str) -> None:
    resolved = make_resolved(require, None, base=zoo)
    assert mismatches(resolved, candidates(resolved, ZOO_GRID_ROWS), "durable") == []


@GENERATED
@given(a=st.floats(allow_nan=False, allow_infinity=False), b=st.floats(allow_nan=False, allow_infinity=False),
       op=st.sampled_from(OPS))
def test_durable_reads_every_float_as_python_does(zoo, a: float, b: float, op: str) -> None:
    """A float threshold in the ruleset against float values in events, including the threshold itself."""
    resolved = make_resolved(f"x {op} {b!r} and y {op} x", None, base=zoo)
    rows = candidates(resolved, [{"x": a, "y": b}, {"x": b, "y": a}, {"x": b, "y": b}])
    assert mismatches(resolved, rows, "durable") == []
