"""The vector backend: each construct of the language over whole columns, and agreement with the
reference evaluator on every outcome (hand-written rows, every pack's own tests, generated
expressions and rows). Hypothesis runs derandomized without a database, so CI sees the same cases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from screening.derive import with_derived
from screening.engines.reference import ReferenceEngine
from screening.engines.vector import (
    VectorEngine,
    build_frame,
    decide_frame,
    evaluate_frame,
    frame_from_rows,
    frame_records,
    with_derived_frame,
)
from screening.engines.vector_eval import FrameEvaluator
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.lang.parse import parse_expression, unparse
from screening.pack.compiled import PackRule, Place, ResolvedPack
from screening.pack.load import load_pack
from screening.pack.model import RuleSpec

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 3, 1)
GENERATED = settings(derandomize=True, database=None, deadline=None, max_examples=250,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

KINDS = {"x": "number", "y": "number", "n": "integer", "s": "string", "t": "string", "p": "bool", "q": "bool",
         "d": "date", "e": "date", "tags": "list"}
CONSTANTS: dict[str, object] = {
    "k": 0.5, "big": 1.0e300, "names": ("a", "b"), "holes": ("a", None), "mixed": (1, True, "a"),
    "tier": {"a": 1, "b": 2.5}, "odd": {"a": 1, "b": True, "c": "1"}, "day": dt.date(2026, 1, 15), "as_of": AS_OF,
}


def vector(text: str, rows: list[dict[str, object]], constants: dict[str, object] | None = None) -> pd.Series:
    frame = frame_from_rows(rows, KINDS)
    return evaluate_frame(parse_expression(text), frame, CONSTANTS if constants is None else constants, KINDS)


def plain(series: pd.Series) -> list[object]:
    """NA -> None; everything else as Python gives it."""
    return [None if v is pd.NA else v for v in series.astype(object).tolist()]


def reference(text: str, rows: list[dict[str, object]]) -> list[object]:
    node = parse_expression(text)
    return [evaluate(node, {**row, **CONSTANTS}) for row in rows]


TRUTH = [True, False, None]
PAIRS = [{"p": a, "q": b} for a in TRUTH for b in TRUTH]
AND = {(True, True): True, (True, False): False, (True, None): None, (False, True): False, (False, False): False,
       (False, None): False, (None, True): None, (None, False): False, (None, None): None}
OR = {(True, True): True, (True, False): True, (True, None): True, (False, True): True, (False, False): False,
      (False, None): None, (None, True): True, (None, False): None, (None, None): None}


# --- each construct ------------------------------------------------------------------------

@pytest.mark.parametrize("op, table", [("and", AND), ("or", OR)])
def test_kleene_truth_tables_of_and_or(op: str, table: dict) -> None:
    result = vector(f"p {op} q", PAIRS)
    assert str(result.dtype) == "boolean"
    assert plain(result) == [table[(r["p"], r["q"])] for r in PAIRS]
    assert len(table) == 9


def test_kleene_truth_table_of_not() -> None:
    assert plain(vector("not p", [{"p": True}, {"p": False}, {"p": None}])) == [False, True, None]


@pytest.mark.parametrize("text", ["x < y", "x <= y", "x > y", "x >= y", "x == y", "x != y", "s == t", "d < e",
                                  "p == q"])
def test_a_comparison_with_a_missing_side_is_unknown(text: str) -> None:
    rows = [{"x": 1.0, "s": "a", "d": AS_OF, "p": True}, {"y": 1.0, "t": "a", "e": AS_OF, "q": True}, {}]
    assert plain(vector(text, rows)) == [None, None, None]


def test_division_by_zero_is_missing_never_infinite() -> None:
    rows = [{"x": 1.0, "y": 0.0}, {"x": 1.0, "y": -0.0}, {"x": 0.0, "y": 0.0}, {"x": 3.0, "y": 2.0}, {"x": None, "y": 2.0}]
    result = vector("x / y", rows)
    assert str(result.dtype) == "Float64"
    assert plain(result) == [None, None, None, 1.5, None]
    assert plain(vector("x / 0", rows)) == [None] * 5
    assert plain(vector("x / y > 0", rows)) == [None, None, None, True, None]


def test_arithmetic_propagates_missing_and_keeps_integers_exact_to_2_53() -> None:
    rows = [{"n": 2**53 - 1, "x": 1.0}, {"n": None, "x": 1.0}, {"n": -7, "x": None}]
    assert plain(vector("n + 1", rows)) == [2**53, None, -6]
    assert plain(vector("n + 1 == 9007199254740992", rows)) == [True, None, False]
    assert plain(vector("-(n * 2) - x", [{"n": 2**52 - 1, "x": 1.0}, *rows[1:]])) == [-(2**53) + 1, None, None]


def test_an_overflow_is_a_number_as_in_python() -> None:
    """``big * x`` overflows to inf and ``inf - inf`` is NaN: a number that compares false, not missing."""
    rows = [{"x": 10.0}, {"x": 1.0}]
    for text in ["big * x - big * x > 0", "big * x - big * x != 0", "big * x - big * x == big * x - big * x",
                 "big * x > big", "min(big * x - big * x, 1) < 2", "max(1, big * x - big * x) < 2"]:
        assert plain(vector(text, rows)) == reference(text, rows), text


def test_mapping_subscript_and_key_membership() -> None:
    rows = [{"s": "a"}, {"s": "b"}, {"s": "zz"}, {"s": None}]
    assert plain(vector("tier[s]", rows)) == [1.0, 2.5, None, None]
    assert plain(vector("tier[s] > 1", rows)) == [False, True, None, None]
    assert plain(vector("s in tier", rows)) == [True, True, False, None]
    assert plain(vector("s not in tier", rows)) == [False, False, True, None]


def test_a_mapping_of_mixed_values_compares_as_python_does() -> None:
    rows = [{"s": "a", "t": "1"}, {"s": "b", "t": "1"}, {"s": "c", "t": "1"}, {"s": "d", "t": "1"}]
    for text in ["odd[s] == 1", "odd[s] == True", "odd[s] == t", "odd[s] != t", "(odd[s] if p else 1) == 1"]:
        assert plain(vector(text, rows)) == reference(text, rows), text


def test_sql_in_with_a_missing_element_of_a_list_literal() -> None:
    rows = [{"s": "a", "t": None}, {"s": "b", "t": None}, {"s": "b", "t": "b"}, {"s": None, "t": "a"}]
    assert plain(vector("s in ['a', t]", rows)) == [True, None, True, None]
    assert plain(vector("s not in ['a', t]", rows)) == [False, None, False, None]
    assert plain(vector("s in holes", rows)) == [True, None, None, None]  # holes = ('a', None)
    assert plain(vector("s in names", rows)) == [True, True, True, None]
    assert plain(vector("x in [1, tier['zz']]", [{"x": 1.0}, {"x": 2.0}])) == [True, None]


def test_membership_in_a_list_field() -> None:
    rows = [{"tags": ("a", "b"), "s": "b"}, {"tags": (), "s": "b"}, {"tags": None, "s": "b"},
            {"tags": ("a", None), "s": "a"}, {"tags": ("a", None), "s": "b"}, {"tags": ("a",), "s": None}]
    assert plain(vector("s in tags", rows)) == [True, False, None, True, None, None]
    assert plain(vector("'a' in tags", rows)) == [True, False, None, True, True, True]
    assert plain(vector("'z' not in tags", rows)) == [True, True, None, None, None, True]


def test_membership_of_mixed_parameters_keeps_bools_apart_from_numbers() -> None:
    rows = [{"x": 1.0, "p": True, "s": "a"}, {"x": 2.0, "p": False, "s": "b"}]
    for text in ["x in mixed", "p in mixed", "s in mixed"]:
        assert plain(vector(text, rows)) == reference(text, rows), text


def test_if_else_with_an_unknown_condition_is_missing() -> None:
    rows = [{"p": True, "x": 1.0, "y": 2.0}, {"p": False, "x": 1.0, "y": 2.0}, {"p": None, "x": 1.0, "y": 2.0}]
    assert plain(vector("x if p else y", rows)) == [1.0, 2.0, None]
    assert plain(vector("s if p else 'b'", [{"p": True, "s": "a"}, {"p": False}, {"p": True}])) == ["a", "b", None]


def test_functions_with_a_missing_argument_give_missing() -> None:
    rows = [{"x": -2.0, "y": 3.0, "s": "BBB-", "d": dt.date(2026, 2, 1)}, {}]
    assert plain(vector("abs(x)", rows)) == [2.0, None]
    assert plain(vector("min(x, y, 0)", rows)) == [-2.0, None]
    assert plain(vector("max(x, y)", rows)) == [3.0, None]
    assert plain(vector("rating(s)", rows)) == [13.0, None]
    assert plain(vector("days(d, as_of)", rows)) == [28.0, None]
    assert plain(vector("rating(s) >= rating('BBB-')", rows)) == [True, None]


def test_missing_is_never_unknown() -> None:
    rows = [{"x": 1.0, "tags": ()}, {}]
    for text, want in [("missing(x)", [False, True]), ("missing(tags)", [False, True]), ("missing(k)", [False, False]),
                       ("missing(zz)", [True, True])]:
        result = vector(text, rows)
        assert plain(result) == want, text
        assert not result.isna().any()


def test_constants_broadcast_and_dates_are_day_ordinals() -> None:
    rows = [{"d": dt.date(2026, 1, 1)}, {"d": None}, {}]
    assert plain(vector("k", rows)) == [0.5] * 3
    assert plain(vector("k * 2 == 1", rows)) == [True] * 3
    dates = vector("d", rows)
    assert str(dates.dtype) == "Int64" and plain(dates) == [dt.date(2026, 1, 1).toordinal(), None, None]
    assert plain(vector("as_of", rows)) == [AS_OF.toordinal()] * 3
    assert plain(vector("d < day", rows)) == [True, None, None]
    assert plain(vector("days(d, day)", rows)) == [14.0, None, None]


def test_strings_have_the_nullable_string_dtype() -> None:
    result = vector("s if p else t", [{"s": "a", "t": "b", "p": True}, {"s": "a", "t": "b", "p": False}, {"p": True}])
    assert result.dtype == pd.StringDtype(na_value=pd.NA)
    assert plain(result) == ["a", "b", None]


# --- whole packs: the vector backend decides as the reference does --------------------------

MINI = load_pack(ROOT / "tests" / "fixtures" / "packs" / "mini")
MINI_ROWS = [
    {"id": "ok", "sector": "energy", "amount": 1.0e9, "equity": 1.0e7, "irr": 0.08, "currency": "USD"},
    {"id": "thin", "sector": "energy", "amount": 1.0e9, "equity": 3.0e8, "irr": 0.03},
    {"id": "other", "sector": "shipbuilding", "amount": 5.0e8, "equity": 0.0, "irr": 0.05},
    {"id": "zero", "sector": "semiconductors", "amount": 0.0, "equity": 1.0, "irr": None},
    {"id": "blank", "sector": None},
    {"id": "exact", "sector": "energy", "amount": 100, "equity": 2, "irr": 0.05},
]


def outcome_mismatches(resolved: ResolvedPack, rows: list[dict[str, object]],
                       got: list[list[str]] | None = None) -> list[str]:
    """Every (candidate, rule) where the vector backend (or ``got``) differs from the reference."""
    want = ReferenceEngine().decide(resolved, rows)
    got = VectorEngine().decide(resolved, rows) if got is None else got
    assert len(got) == len(want)
    return [f"{row.get('id')} / {rule.id} ({unparse(rule.require)}): reference {a}, vector {b}"
            for row, w, g in zip(rows, want, got) for rule, a, b in zip(resolved.pack.rules, w, g, strict=True)
            if a != b]


def test_mini_pack_hand_written_rows() -> None:
    resolved = MINI.resolve(AS_OF)
    rows = with_derived(resolved, MINI_ROWS)
    assert outcome_mismatches(resolved, rows) == []
    table = decide_frame(resolved, build_frame(resolved, rows))
    assert list(table.columns) == [r.id for r in MINI.rules]
    assert table.loc[1].tolist() == ["fail", "pass", "fail"]
    assert table.loc[4].tolist() == ["missing", "missing", "missing"]


def test_no_rows_and_no_rules() -> None:
    resolved = MINI.resolve(AS_OF)
    assert VectorEngine().decide(resolved, []) == []
    empty = dataclasses.replace(MINI, rules=[]).resolve(AS_OF)
    assert VectorEngine().decide(empty, with_derived(empty, MINI_ROWS[:2])) == [[], []]


def _freeze(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def pack_test_rows(resolved: ResolvedPack) -> list[dict[str, object]]:
    """A pack's own test candidates as rows, derived fields added, as the pipeline builds them."""
    pack = resolved.pack
    base = [{"stage": None, "stage_since": None, "deadline": None}
            | {k: _freeze(v) for k, v in c.items() if k in pack.fields} for t in pack.tests for c in t.case.all_candidates]
    return with_derived(resolved, base)


def pack_folders() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "rules").glob("*/pack.yaml"))


@pytest.mark.parametrize("folder", pack_folders(), ids=lambda p: p.name)
def test_every_rule_pack_on_its_own_tests(folder: Path) -> None:
    resolved = load_pack(folder).resolve(AS_OF)
    rows = pack_test_rows(resolved)
    assert rows, f"{folder.name} has no tests to compare on"
    assert outcome_mismatches(resolved, rows) == []


@pytest.mark.parametrize("folder", [*pack_folders(), ROOT / "tests" / "fixtures" / "packs" / "mini"],
                         ids=lambda p: p.name)
def test_with_derived_frame_equals_with_derived_on_pack_tests(folder: Path) -> None:
    resolved = load_pack(folder).resolve(AS_OF)
    rows = pack_test_rows(resolved) if resolved.pack.tests else with_derived(resolved, MINI_ROWS)
    base = [{k: v for k, v in r.items() if k not in resolved.pack.derive_order} for r in rows]
    got = frame_records(resolved, with_derived_frame(resolved, build_frame(resolved, base)))
    assert_same_rows(got, rows, resolved.pack.derive_order)


def same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) and isinstance(b, (int, float)) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def assert_same_rows(got: list[dict[str, object]], want: list[dict[str, object]], names: list[str]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        for name in names:
            assert same(g[name], w.get(name)), (name, g[name], w.get(name), w)


# --- generated expressions and rows ---------------------------------------------------------

GEN_PACK = """\
pack: gen
version: "1"
title: Generated expressions over every type
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
  half: {type: integer, derive: "n / 2"}
  pick: {type: date, derive: "d if p else day"}
  span: {type: integer, derive: "days(pick, as_of) + n"}
parameters:
  k: {value: 0.5}
  big: {value: 1.0e+300}
  names: {value: [a, b]}
  mixed: {value: [1, true, "a"]}
  tier: {value: {a: 1, b: 2.5}}
  odd: {value: {a: 1, b: true, c: "1"}}
  day: {value: 2026-01-15}
rules:
  - {id: placeholder, title: placeholder, category: other, require: "x > k", source: test}
"""


@pytest.fixture(scope="module")
def gen_pack(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("gen")
    (folder / "pack.yaml").write_text(GEN_PACK)
    return load_pack(folder)


def name(*ids: str) -> st.SearchStrategy[n.Node]:
    return st.sampled_from([n.Name(i) for i in ids])


def const(*values: object) -> st.SearchStrategy[n.Node]:
    return st.sampled_from([n.Const(v) for v in values])


def leaves(*alternatives: st.SearchStrategy[n.Node]) -> st.SearchStrategy[n.Node]:
    """One of the leaves, as one alternative: mapped so that an enclosing ``one_of`` does not
    flatten it, which would give each structural node the weight of a single leaf."""
    return st.one_of(*alternatives).map(lambda node: node)


def strings(depth: int) -> st.SearchStrategy[n.Node]:
    leaf = leaves(name("s", "t"), const("a", "b", "", "BBB-", "1"))
    if depth == 0:
        return leaf
    return st.one_of(st.builds(n.IfElse, conditions(depth - 1), strings(depth - 1), strings(depth - 1)), leaf)


def dates(depth: int) -> st.SearchStrategy[n.Node]:
    leaf = leaves(name("d", "e", "day", "as_of"), const(dt.date(2026, 1, 1)))
    if depth == 0:
        return leaf
    sub = dates(depth - 1)
    return st.one_of(st.builds(n.IfElse, conditions(depth - 1), sub, sub),
                     st.builds(lambda f, a, b: n.Call(f, (a, b)), st.sampled_from(["min", "max"]), sub, sub), leaf)


def numbers(depth: int) -> st.SearchStrategy[n.Node]:
    leaf = leaves(
        name("x", "y", "n", "k", "big"), const(0, 1, 2.5, -1, 0.0),
        strings(0).map(lambda s: n.Subscript(n.Name("tier"), s)),
        strings(0).map(lambda s: n.Call("rating", (s,))),
        st.tuples(dates(0), dates(0)).map(lambda ab: n.Call("days", ab)),
    )
    if depth == 0:
        return leaf
    sub = numbers(depth - 1)
    return st.one_of(  # structure first: derandomized runs lean towards the first alternative
        st.builds(n.Arith, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(lambda f, args: n.Call(f, tuple(args)), st.sampled_from(["min", "max"]),
                  st.lists(sub, min_size=2, max_size=3)),
        st.builds(n.IfElse, conditions(depth - 1), sub, sub),
        sub.map(n.Neg), sub.map(lambda a: n.Call("abs", (a,))),
        leaf,
    )


def membership(needle: st.SearchStrategy[n.Node], container: st.SearchStrategy[n.Node]) -> st.SearchStrategy[n.Node]:
    return st.builds(n.Compare, st.sampled_from(["in", "not in"]), needle, container)


def conditions(depth: int) -> st.SearchStrategy[n.Node]:
    leaf = leaves(
        name("p", "q"), const(True, False),
        st.builds(n.Compare, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), numbers(0), numbers(0)),
        st.builds(n.Compare, st.sampled_from(["==", "!="]), strings(0), strings(0)),
        st.builds(n.Compare, st.sampled_from(["<", ">=", "=="]), dates(0), dates(0)),
        st.builds(n.Compare, st.sampled_from(["==", "!="]), name("p", "q"), st.one_of(name("p", "q"), const(True))),
        membership(strings(0), name("tags")),
        membership(strings(0), name("names", "tier", "mixed")),
        membership(strings(0), st.lists(strings(0), max_size=3).map(lambda items: n.ListLit(tuple(items)))),
        membership(st.one_of(numbers(0), name("p")), name("mixed")),
        membership(numbers(0), st.lists(numbers(0), max_size=3).map(lambda items: n.ListLit(tuple(items)))),
        st.builds(n.Compare, st.sampled_from(["==", "!="]), strings(0).map(lambda s: n.Subscript(n.Name("odd"), s)),
                  st.one_of(const(1, True, "1"), strings(0), numbers(0))),
        name("x", "n", "s", "d", "tags", "p", "k").map(lambda a: n.Call("missing", (a,))),
    )
    if depth == 0:
        return leaf
    sub = conditions(depth - 1)
    return st.one_of(
        st.builds(lambda op, vs: n.BoolOp(op, tuple(vs)), st.sampled_from(["and", "or"]),
                  st.lists(sub, min_size=2, max_size=3)),
        st.builds(n.Compare, st.sampled_from(["<", ">=", "==", "!="]), numbers(depth), numbers(depth - 1)),
        sub.map(n.Not), st.builds(n.IfElse, sub, sub, sub),
        leaf,
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


DATES = [dt.date(2025, 12, 31), dt.date(2026, 1, 15), dt.date(2026, 3, 1), dt.date(2026, 3, 2)]
row = st.fixed_dictionaries({
    "x": maybe(st.one_of(st.sampled_from([0.0, -0.0, 0.5, 1.0, 2.5, -3.0, 1e300, 2.0**53]),
                         st.floats(allow_nan=False, allow_infinity=False))),
    "y": maybe(st.sampled_from([0.0, 1.0, -2.0, 0.5, 1e-300])),
    "n": maybe(st.sampled_from([0, 1, 3, -7, 2**20])),
    "s": maybe(st.sampled_from(["a", "b", "c", "", "AAA", "BBB-", "1"])),
    "t": maybe(st.sampled_from(["a", "b", "1", "BB+"])),
    "p": maybe(st.booleans()), "q": maybe(st.booleans()),
    "d": maybe(st.sampled_from(DATES)), "e": maybe(st.sampled_from(DATES)),
    "tags": maybe(st.sampled_from([(), ("a",), ("b", "a"), ("a", None), (None,), ("1",)])),
})
rows_strategy = st.lists(row, min_size=1, max_size=8)
typed_expression = st.one_of(st.tuples(st.just("bool"), conditions(2)), st.tuples(st.just("bool"), conditions(3)),
                             st.tuples(st.just("number"), numbers(2)),
                             st.tuples(st.just("string"), strings(1)), st.tuples(st.just("date"), dates(1)))


def as_reference(value: object, kind: str) -> object:
    """A vector result in the reference's terms (day ordinals back to dates)."""
    if value is pd.NA or value is None:
        return None
    return dt.date.fromordinal(int(value)) if kind == "date" else value  # type: ignore[call-overload]


@GENERATED
@given(expression=typed_expression, rows=rows_strategy)
def test_generated_expressions_evaluate_as_the_reference(expression: tuple[str, n.Node], rows) -> None:
    kind, node = expression
    try:
        want = [evaluate(node, {**r, **CONSTANTS}) for r in rows]
    except TypeError:  # e.g. odd['c'] + 1: an error in the reference; nothing to compare
        assume(False)
    got = [as_reference(v, kind) for v in vector_values(node, rows)]
    assert all(same(g, w) for g, w in zip(got, want, strict=True)), (unparse(node), got, want)


def lists_of(items: st.SearchStrategy[n.Node]) -> st.SearchStrategy[n.Node]:
    return st.lists(items, max_size=3).map(lambda xs: n.ListLit(tuple(xs)))


membership_case = st.one_of(
    membership(strings(1), st.one_of(name("tags", "names", "tier", "mixed"), lists_of(strings(0)))),
    membership(st.one_of(numbers(1), name("p", "q")), st.one_of(name("mixed"), lists_of(numbers(0)))),
)


@GENERATED
@given(node=membership_case, rows=rows_strategy)
def test_generated_membership_is_sql_in(node: n.Node, rows) -> None:
    """``in`` over list fields with missing elements, parameters, mappings and list literals."""
    want = [evaluate(node, {**r, **CONSTANTS}) for r in rows]
    got = [as_reference(v, "bool") for v in vector_values(node, rows)]
    assert got == want, (unparse(node), got, want)


def vector_values(node: n.Node, rows: list[dict[str, object]]) -> list[object]:
    return evaluate_frame(node, frame_from_rows(rows, KINDS), CONSTANTS, KINDS).astype(object).tolist()


def generated_pack(pack, require: n.Node, applies_if: n.Node | None) -> ResolvedPack:  # noqa: ANN001
    spec = RuleSpec(id="generated", title="generated", category="other", require=unparse(require),
                    applies_if=unparse(applies_if) if applies_if is not None else None, source="test")
    rule = PackRule(spec, Place("<generated>", None), require, applies_if, pack.name)
    return dataclasses.replace(pack, rules=[rule, *pack.rules]).resolve(AS_OF)


def generated_rows(resolved: ResolvedPack, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return with_derived(resolved, [{"id": f"g{i}", **r} for i, r in enumerate(rows)])


@GENERATED
@given(require=conditions(2), applies_if=maybe(conditions(1)), rows=rows_strategy)
def test_generated_rules_decide_as_the_reference(gen_pack, require: n.Node, applies_if: n.Node | None, rows) -> None:
    resolved = generated_pack(gen_pack, require, applies_if)
    full = generated_rows(resolved, rows)
    try:
        ReferenceEngine().decide(resolved, full)
    except TypeError:
        assume(False)
    assert outcome_mismatches(resolved, full) == []


@settings(GENERATED, max_examples=150)
@given(rows=rows_strategy)
def test_with_derived_frame_equals_with_derived_on_generated_rows(gen_pack, rows) -> None:
    resolved = gen_pack.resolve(AS_OF)
    base = [{"id": f"g{i}", **r} for i, r in enumerate(rows)]
    got = frame_records(resolved, with_derived_frame(resolved, build_frame(resolved, base)))
    assert_same_rows(got, with_derived(resolved, base), resolved.pack.derive_order)


def test_the_comparison_catches_a_wrong_backend(gen_pack, monkeypatch: pytest.MonkeyPatch) -> None:
    """A vector backend whose ``or`` were ``and`` must be caught, cell by cell."""
    resolved = generated_pack(gen_pack, parse_expression("p or q"), None)
    rows = generated_rows(resolved, PAIRS)
    assert outcome_mismatches(resolved, rows) == []
    monkeypatch.setattr(FrameEvaluator, "or_", FrameEvaluator.and_)
    found = outcome_mismatches(resolved, rows)
    # p or q differs from p and q in 6 of the 9 cells of the truth table
    assert len(found) == 6 and all("/ generated (p or q)" in line for line in found)
    swapped = [list(r) for r in ReferenceEngine().decide(resolved, rows)]
    swapped[3][1] = "not_applicable"
    assert outcome_mismatches(resolved, rows, got=swapped) == [
        f"g3 / placeholder ({unparse(resolved.pack.rules[1].require)}): reference missing, vector not_applicable"]
