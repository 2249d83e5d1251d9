"""Decision tables: the reference, the durable path and the vector backend agree.

Hypothesis generates tables (every hit policy, every cell form: comparisons, intervals with
open and closed ends, value lists, ``not(…)``, ``-``; an ``else`` or none) and candidates whose
inputs sit on, just below and just above every bound of every cell, or are missing. For each:

* the vector backend's table column (``numpy.select`` over row masks, from the base rows)
  equals the reference's :func:`decide_table` value for every candidate, value for value;
* the outcomes of rules reading the table agree across the reference, durable_rules (which
  receives the table as a derived value, computed before any event is posted) and the vector
  backend deciding from its own frame.

Hypothesis runs derandomized with a fixed budget and no example database.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening.derive import with_derived
from screening.engines.durable import DurableEngine
from screening.engines.reference import ReferenceEngine
from screening.engines.vector import build_frame, decide_frame, frame_records, with_derived_frame
from screening.pack.load import load_pack
from screening.tables.decide import decide_table

BUDGET = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                         HealthCheck.data_too_large])
BOUNDS = [0, 1, 2.5, 5, 10]
DAYS = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
THENS = [0, 1, 2, 3.5]
AS_OF = dt.date(2026, 3, 1)

# Rules are the same for every generated table, so durable_rules compiles them once (its
# rulesets are cached by their JSON text); only the table's values change.
RULES = ["t == 0", "t == 1", "t == 2", "t == 3.5", "t > 1", "t <= 2", "missing(t)", "t >= 3 or missing(x)"]


def _ordered_pair(draw: st.DrawFn, pool: list[object]) -> tuple[object, object]:
    a, b = sorted(draw(st.lists(st.sampled_from(pool), min_size=2, max_size=2, unique=True)))  # type: ignore[type-var]
    return a, b


@st.composite
def number_cell(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["any", "cmp", "interval", "values", "not"]))
    if kind == "any":
        return "-"
    if kind == "cmp":
        return f"{draw(st.sampled_from(['<', '<=', '>', '>=', '==', '!=']))} {draw(st.sampled_from(BOUNDS))}"
    if kind == "interval":
        a, b = _ordered_pair(draw, BOUNDS)
        return f"{draw(st.sampled_from('[('))}{a}, {b}{draw(st.sampled_from('])'))}"
    if kind == "values":
        return ", ".join(str(v) for v in draw(st.lists(st.sampled_from(BOUNDS), min_size=1, max_size=3, unique=True)))
    inner = draw(number_cell())
    return f"not({inner})" if inner != "-" else "not(< 5)"


@st.composite
def date_cell(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["any", "cmp", "interval"]))
    if kind == "any":
        return "-"
    if kind == "cmp":
        return f"{draw(st.sampled_from(['<', '>=']))} {draw(st.sampled_from(DAYS)).isoformat()}"
    a, b = _ordered_pair(draw, DAYS)
    return f"{draw(st.sampled_from('[('))}{a.isoformat()}, {b.isoformat()}{draw(st.sampled_from('])'))}"  # type: ignore[union-attr]


TEXT_CELLS = ["-", "a", "'a', 'b'", "not('c')", "not(a, b)", "c"]


@st.composite
def tables(draw: st.DrawFn) -> dict[str, object]:
    hit = draw(st.sampled_from(["unique", "first", "collect_sum", "collect_min", "collect_max"]))
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        rows.append({"x": draw(number_cell()), "s": draw(st.sampled_from(TEXT_CELLS)), "d": draw(date_cell()),
                     "then": draw(st.sampled_from(THENS))})
    else_ = draw(st.one_of(st.none(), st.sampled_from(THENS)))
    return {"hit": hit, "rows": rows, "else": else_}


def _near(value: float) -> list[float]:
    return [value, math.nextafter(value, -math.inf), math.nextafter(value, math.inf)]


def inputs_for(table: dict[str, object]) -> list[dict[str, object]]:
    """Candidates on and around every bound, each input also missing."""
    xs: list[object] = [None, -1.0, 100.0] + [v for b in BOUNDS for v in _near(float(b))]
    ds: list[object] = [None] + [d + dt.timedelta(days=k) for d in DAYS for k in (-1, 0, 1)]
    ss: list[object] = [None, "a", "b", "c", "z"]
    out = []
    for i, x in enumerate(xs):
        out.append({"id": f"c{i}", "x": x, "s": ss[i % len(ss)], "d": ds[i % len(ds)]})
        out.append({"id": f"e{i}", "x": x, "s": ss[(i + 2) % len(ss)], "d": ds[(i * 3 + 1) % len(ds)]})
    return out


def _cell(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def write_pack(folder: Path, table: dict[str, object]) -> Path:
    rows = "".join("      - {" + ", ".join(f"{k}: {_cell(v) if k != 'then' else v}" for k, v in row.items()) + "}\n"
                   for row in table["rows"])  # type: ignore[attr-defined]
    rules = "".join(f"  - {{id: r{i}, title: R{i}, category: other, source: gen, require: {_cell(r)}}}\n"
                    for i, r in enumerate(RULES))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(
        'pack: gen\nversion: "1"\nfields:\n  id: {type: string}\n  x: {type: number}\n  s: {type: string}\n'
        "  d: {type: date}\n"
        f"tables:\n  t:\n    hit: {table['hit']}\n    inputs: {{x: x, s: s, d: d}}\n    output: number\n"
        f"    rows:\n{rows}" + (f"    else: {table['else']}\n" if table["else"] is not None else "") +
        f"rules:\n{rules}")
    return folder


@BUDGET
@given(table=tables())
def test_reference_durable_and_vector_agree_on_generated_tables(tmp_path_factory, table) -> None:
    folder = write_pack(tmp_path_factory.mktemp("gen"), table)
    resolved = load_pack(folder).resolve(AS_OF)
    base = inputs_for(table)
    rows = with_derived(resolved, base)
    compiled = resolved.pack.tables["t"]
    constants = resolved.constants()
    for row in rows:
        assert row["t"] == decide_table(compiled, {**row, **constants}).value

    frame = with_derived_frame(resolved, build_frame(resolved, [dict(r) for r in base]))
    got = [r["t"] for r in frame_records(resolved, frame)]
    want = [r["t"] for r in rows]
    assert got == want, [(b, w, g) for b, w, g in zip(base, want, got) if w != g][:3]

    reference = ReferenceEngine().decide(resolved, rows)
    vector = decide_frame(resolved, frame).to_numpy(dtype=object).tolist()
    durable = DurableEngine().decide(resolved, rows)
    assert vector == reference
    assert durable == reference


def test_a_conflict_and_an_unknown_row_are_missing_in_every_backend(tmp_path: Path) -> None:
    table = {"hit": "unique", "else": 0, "rows": [{"x": "[0, 5]", "s": "-", "d": "-", "then": 1},
                                                   {"x": "[5, 10]", "s": "a", "d": "-", "then": 2}]}
    resolved = load_pack(write_pack(tmp_path / "p", table)).resolve(AS_OF)
    base = [{"id": "both", "x": 5, "s": "a", "d": None}, {"id": "unknown", "x": 7, "s": None, "d": None},
            {"id": "one", "x": 5, "s": "b", "d": None}, {"id": "none", "x": 11, "s": "a", "d": None}]
    rows = with_derived(resolved, base)
    assert [r["t"] for r in rows] == [None, None, 1, 0]
    frame = with_derived_frame(resolved, build_frame(resolved, base))
    assert [r["t"] for r in frame_records(resolved, frame)] == [None, None, 1, 0]


def _typed_pack(folder: Path, output: str, hit: str, thens: list[str], else_: str | None) -> Path:
    rows = "".join(f'      - {{x: "{cell}", s: "{s}", then: {then}}}\n'
                   for cell, s, then in zip(["< 2.5", "[1, 10)", "not(5)", ">= 10"], ["-", "a", "not(c)", "-"], thens))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(
        'pack: typed\nversion: "1"\nfields:\n  id: {type: string}\n  x: {type: number}\n  s: {type: string}\n'
        "  d: {type: date}\n"
        f"tables:\n  t:\n    hit: {hit}\n    inputs: {{x: x, s: s}}\n    output: {output}\n    rows:\n{rows}"
        + (f"    else: {else_}\n" if else_ is not None else ""))
    return folder


TYPED_OUTPUTS = {
    "string": (["low", "mid", "'other'", "high"], "none", ("unique", "first")),
    "bool": (["true", "false", "true", "false"], "false", ("unique", "first")),
    "date": (["2026-01-01", "2026-06-30", "2025-12-31", "2027-01-01"], "2030-01-01",
             ("unique", "first", "collect_min", "collect_max")),
    "integer": (["1", "2", "3", "4"], "0", ("unique", "first", "collect_sum", "collect_min", "collect_max")),
}


def test_every_output_type_and_policy_agrees_over_columns(tmp_path: Path) -> None:
    """String, yes/no, date and integer outputs under each policy they allow, with and without else."""
    base = inputs_for({})
    checked = 0
    for output, (thens, else_, hits) in TYPED_OUTPUTS.items():
        for hit in hits:
            for fallback in (else_, None):
                folder = _typed_pack(tmp_path / f"{output}-{hit}-{fallback is None}", output, hit, thens, fallback)
                resolved = load_pack(folder).resolve(AS_OF)
                want = [r["t"] for r in with_derived(resolved, base)]
                frame = with_derived_frame(resolved, build_frame(resolved, [dict(r) for r in base]))
                got = [r["t"] for r in frame_records(resolved, frame)]
                assert got == want, (output, hit, fallback)
                assert any(v is None for v in want) and any(v is not None for v in want)
                checked += 1
    assert checked == 26


TYPED_RULES = {"string": ["t == 'low'", "t != 'high'", "t in ['mid', 'other']"], "bool": ["t", "not t", "t == True"],
               "date": ["t < date('2026-06-01')", "days(t, as_of) > 0"], "integer": ["t >= 2", "t == 3"]}


def test_rules_over_every_output_type_agree_in_all_engines(tmp_path: Path) -> None:
    from screening.engines.vector import VectorEngine

    base = inputs_for({})
    for output, (thens, else_, hits) in TYPED_OUTPUTS.items():
        for hit in hits:
            folder = _typed_pack(tmp_path / f"{output}-{hit}", output, hit, thens, else_)
            rules = "".join(f'  - {{id: r{i}, title: R, category: other, source: s, require: "{r}"}}\n'
                            for i, r in enumerate(TYPED_RULES[output]))
            (folder / "pack.yaml").write_text((folder / "pack.yaml").read_text() + "rules:\n" + rules)
            resolved = load_pack(folder).resolve(AS_OF)
            rows = with_derived(resolved, base)
            reference = ReferenceEngine().decide(resolved, rows)
            assert DurableEngine().decide(resolved, rows) == reference, (output, hit)
            assert VectorEngine().decide(resolved, rows) == reference, (output, hit)
            assert {o for r in reference for o in r} >= {"pass", "fail"}, (output, hit)
