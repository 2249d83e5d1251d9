"""Every backend gives the reference evaluator's outcome, for every candidate and rule.

Sources of cases: every pack under rules/ and tests/fixtures/packs/ with its own test
candidates and the bundled candidate lists, and hypothesis-generated expressions over a schema
with every type of the language and rows with missing values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.candidates import read_candidates, table_from_records
from screening.derive import with_derived
from screening.engines import get_engine
from screening.engines.reference import ReferenceEngine
from screening.lang.parse import parse_expression
from screening.pack.compiled import PackRule, Place
from screening.pack.load import load_pack
from screening.pack.model import RuleSpec

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted({p.parent for p in (ROOT / "rules").glob("*/*.yaml")} |
               {p.parent for p in (ROOT / "tests" / "fixtures" / "packs").glob("*/*.yaml")})
LISTS = sorted((ROOT / "candidates").glob("*.csv")) + [ROOT / "tests" / "fixtures" / "candidates" / "mini.csv"]
AS_OF = dt.date(2026, 3, 1)
BACKENDS = ["durable", "vector"]


def mismatches(resolved, rows, engine: str) -> list[str]:
    """Every (candidate, rule) where ``engine`` disagrees with the reference, described."""
    want = ReferenceEngine().decide(resolved, rows)
    got = get_engine(engine).decide(resolved, rows)
    return compare_matrices(resolved, rows, want, got)


def compare_matrices(resolved, rows, want, got) -> list[str]:
    out = []
    for row, w, g in zip(rows, want, got, strict=True):
        for rule, a, b in zip(resolved.pack.rules, w, g, strict=True):
            if a != b:
                out.append(f"{row.get('id')} / {rule.id} ({rule.require.text}): reference {a}, backend {b}")
    return out


def pack_rows(folder: Path):
    pack = load_pack(folder)
    resolved = pack.resolve(AS_OF)
    records = [t.case.candidate for t in pack.tests]
    rows = table_from_records(records, pack.input_fields).records() if records else []
    for path in LISTS:
        try:
            rows += read_candidates(path, pack.input_fields).records()
        except Exception:  # a list written for another pack's schema
            continue
    base = [{k: v for k, v in r.items() if k in pack.fields} for r in rows]
    return resolved, with_derived(resolved, base)


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


# --- generated expressions -----------------------------------------------------------------

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
    cmp = st.tuples(num_expr(0), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), num_expr(0)).map(" ".join)
    return st.one_of(cmp, st.sampled_from([
        "p", "missing(x)", "missing(s)", "s == 'a'", "s != 'b'", "s in names", "s not in names", "s in ['a', 'c']",
        "s in [r, 'a']", "s in tier", "'a' in tags", "'z' not in tags", "d < day", "d >= date('2026-01-01')",
        "p == True", "p != False", "d <= as_of", "0 < x <= 2", "r == s", "x == n",
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


def maybe(strategy):
    return st.one_of(st.none(), strategy)


row_strategy = st.fixed_dictionaries({
    "x": maybe(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.5, 2.5, 1e9])),
    "y": maybe(st.sampled_from([0.0, 1.0, 4.0, -2.0])),
    "n": maybe(st.sampled_from([0, 1, 2, 3])),
    "s": maybe(st.sampled_from(["a", "b", "c"])),
    "r": maybe(st.sampled_from(["AAA", "BBB-", "BB+", "A", "NR", "a"])),
    "p": maybe(st.booleans()),
    "d": maybe(st.sampled_from([dt.date(2025, 12, 31), dt.date(2026, 1, 15), dt.date(2026, 2, 28)])),
    "tags": maybe(st.sampled_from([(), ("a",), ("z", "a"), ("b",)])),
})

TYPED = load_pack(ROOT / "tests" / "fixtures" / "packs" / "typed")


def make_resolved(require: str, applies_if: str | None):
    spec = RuleSpec(id="gen", title="generated", category="other", require=require, applies_if=applies_if, source="gen")
    rule = PackRule(spec, Place("<generated>", None), parse_expression(require),
                    parse_expression(applies_if) if applies_if else None, "typed")
    pack = dataclasses.replace(TYPED, rules=[rule, *TYPED.rules])
    return pack.resolve(AS_OF)


@pytest.mark.parametrize("engine", BACKENDS)
@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(require=bool_expr(2), applies_if=maybe(bool_expr(1)), rows=st.lists(row_strategy, min_size=1, max_size=6))
def test_backend_equals_reference_on_generated_rules(engine: str, require: str, applies_if: str | None, rows) -> None:
    from screening.lang.types import check_expression
    from screening.pack.load import _Loader
    resolved = make_resolved(require, applies_if)
    scope = _Loader()._scope(resolved.pack.fields, resolved.pack.parameters)
    check_expression(resolved.pack.rules[0].require, scope)  # generated rules are well typed
    full = [{"id": f"g{i}", "stage": None, "stage_since": None, "deadline": None, **r} for i, r in enumerate(rows)]
    derived = with_derived(resolved, full)
    assert mismatches(resolved, derived, engine) == []


# --- a deterministic grid: every operator at its boundaries, every missing combination -----

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
         ("x", "y * 2"), ("x / y", "1"), ("tier[s]", "1"), ("rating(r)", "rating('BBB-')"), ("days(d, day)", "0")]]
GRID += ["s in names", "s not in names", "s in ['a', r]", "s not in ['a', r]", "'a' in tags", "s in tier",
         "p", "not p", "missing(x) or x > 1", "p and x > 0", "p or x > 1", "(x if p else y) >= 1", "s == r"]


@pytest.mark.parametrize("engine", BACKENDS)
@pytest.mark.parametrize("require", GRID)
def test_backend_equals_reference_on_grid(engine: str, require: str) -> None:
    resolved = make_resolved(require, None)
    rows = [{"id": f"g{i}", "stage": None, "stage_since": None, "deadline": None, **r} for i, r in enumerate(GRID_ROWS)]
    assert mismatches(resolved, with_derived(resolved, rows), engine) == []
