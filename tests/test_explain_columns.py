"""The columnar path (trace -> explanations over columns -> renderers) equals the row-by-row one.

The row-by-row path is the definition: :func:`screening.derive.with_derived`, the reference
engine, and :func:`screening.outcomes.build_results` calling the reference evaluator per
candidate and rule. For every pack (the bundled ones and the test fixtures) with its own test
candidates, every bundled list that fits it and a seeded synthetic list, the traced run must
give the same records, the same results.json and results.csv, byte for byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest
from synthetic import synthetic_rows, write_csv

from screening.candidates import read_candidates, table_from_records
from screening.derive import with_derived
from screening.engines.reference import ReferenceEngine
from screening.errors import InputError
from screening.outcomes import RunResult, build_results
from screening.pack.load import load_pack
from screening.render.csv_out import render_csv
from screening.render.json_out import render_json
from screening.render.markdown import render_markdown
from screening.screen import screen_table
from screening.trace import FAIL, MISSING, PASS, verdict_codes

ROOT = Path(__file__).resolve().parent.parent
PACKS = sorted(p.parent for p in (ROOT / "rules").glob("*/pack.yaml")) + \
    sorted(p.parent for p in (ROOT / "tests" / "fixtures" / "packs").glob("*/pack.yaml"))
LISTS = sorted((ROOT / "candidates").glob("*.csv")) + [ROOT / "tests" / "fixtures" / "candidates" / "mini.csv"]
AS_OF = dt.date(2026, 3, 1)


def synthetic_csv(tmp_path: Path, rows: int, seed: int) -> Path:
    return write_csv(tmp_path / f"synthetic-{rows}-{seed}.csv", synthetic_rows(rows, seed))


def tables(pack, extra: list[Path]):
    if pack.tests:
        records = [r for t in pack.tests for r in t.case.all_candidates]
        unique = list({str(r.get("id")): r for r in records}.values())
        yield table_from_records(unique, pack.input_fields)
    for path in LISTS + extra:
        try:
            yield read_candidates(path, pack.input_fields)
        except InputError:
            continue


def row_by_row(resolved, table, general_fixes: bool, finance=None) -> RunResult:
    """The old path: records, derived per row, the reference engine, records built per candidate × rule.

    ``finance``: the traced run's finance table (CONTRACT §9); its values are inputs to the rules
    here, as in the traced run (tests/test_finance.py checks the values themselves).
    """
    records = table.records()
    base = [{**{k: v for k, v in r.items() if k in resolved.pack.fields}, "stage": None, "stage_since": None,
             "deadline": None} for r in records]
    rows = with_derived(resolved, base)
    if finance is not None:
        for i, row in enumerate(rows):
            row.update(finance.fields_of(i))
    matrix = ReferenceEngine().decide(resolved, rows)
    candidates = build_results(resolved, rows, matrix, row_numbers=table.rows, inputs=records,
                               general_fixes=general_fixes)
    if finance is not None:
        for i, c in enumerate(candidates):
            c.finance = finance.fields_of(i)
    return RunResult(run={"pack": "x", "pack_version": "1", "as_of": AS_OF.isoformat(), "engine": "reference"},
                     candidates=candidates)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("lists")
    return [synthetic_csv(folder, 400, 11)]


@pytest.mark.parametrize("folder", PACKS, ids=[p.name for p in PACKS])
def test_traced_results_equal_row_by_row_results(folder: Path, synthetic: list[Path]) -> None:
    pack = load_pack(folder)
    resolved = pack.resolve(AS_OF)
    compared = 0
    for table in tables(pack, synthetic):
        small = len(table.frame) <= 60
        for engine in (["vector", "reference"] if small else ["vector"]):
            traced = screen_table(resolved, table, engine=engine)
            traced.general_fixes = small
            want = row_by_row(resolved, table, general_fixes=small, finance=traced.finance)
            got = [c.as_dict() for c in traced.candidates]
            assert got == [c.as_dict() for c in want.candidates], (table.source, engine)
            traced.run = want.run
            traced.portfolio = None
            assert render_json(traced) == render_json(want), (table.source, engine)
            assert render_csv(traced) == render_csv(want), (table.source, engine)
            want.portfolio = traced.portfolio
            assert render_markdown(traced) == render_markdown(want), (table.source, engine)
            compared += len(got)
    assert compared


def test_json_lines_are_made_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack(ROOT / "rules" / "japan")
    resolved = pack.resolve(AS_OF)
    table = read_candidates(ROOT / "candidates" / "edge_cases.csv", pack.input_fields)
    traced = screen_table(resolved, table, engine="vector")
    whole = render_json(traced)
    import screening.render.csv_out as csv_out
    import screening.render.json_out as json_out
    monkeypatch.setattr(json_out, "BLOCK", 3)
    monkeypatch.setattr(csv_out, "BLOCK", 2)
    assert render_json(traced) == whole
    assert next(csv.reader(io.StringIO(render_csv(traced))))[:len(csv_out.COLUMNS)] == csv_out.COLUMNS


def test_verdicts_from_the_matrix() -> None:
    pack = load_pack(ROOT / "tests" / "fixtures" / "packs" / "mini")
    resolved = pack.resolve(AS_OF)
    blocking = [j for j, r in enumerate(pack.rules) if r.spec.severity.value == "blocking"]
    codes = np.full((3, len(pack.rules)), PASS, dtype=np.int8)
    codes[1, blocking[0]] = MISSING
    codes[2, blocking[0]] = MISSING
    codes[2, blocking[-1]] = FAIL
    assert verdict_codes(resolved, codes).tolist() == [0, 2, 1]


def test_explain_one_candidate_reads_only_its_row() -> None:
    pack = load_pack(ROOT / "rules" / "japan")
    table = read_candidates(ROOT / "candidates" / "edge_cases.csv", pack.input_fields)
    traced = screen_table(pack.resolve(AS_OF), table, engine="vector")
    target = traced.trace.ids[2]
    one = traced.find(target)
    assert one is not None and one.as_dict() == traced.candidates[2].as_dict()
    assert traced.find("no-such-id") is None


def test_parquet_results_are_long_dictionary_encoded_and_match_csv(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from screening.render import write_outputs
    pack = load_pack(ROOT / "rules" / "japan")
    table = read_candidates(ROOT / "candidates" / "edge_cases.csv", pack.input_fields)
    traced = screen_table(pack.resolve(AS_OF), table, engine="vector")
    write_outputs(traced, tmp_path / "plain", ["parquet", "csv"])
    write_outputs(traced, tmp_path / "full", ["parquet"], messages=True)
    plain = pq.read_table(tmp_path / "plain" / "results.parquet")
    assert plain.column_names == ["candidate_id", "verdict", "rule", "category", "severity", "outcome"]
    assert all(str(t).startswith("dictionary") for t in plain.schema.types)
    full = pq.read_table(tmp_path / "full" / "results.parquet").to_pandas()
    rows = list(csv.DictReader(io.StringIO((tmp_path / "plain" / "results.csv").read_text())))
    assert len(full) == len(rows)
    records = full.to_dict("records")
    portfolio = [r for r in records if r["candidate_id"] == "*portfolio*"]
    assert len(portfolio) == (len(traced.portfolio.outcomes) if traced.portfolio is not None else 0)
    assert all(r["verdict"] == traced.portfolio.verdict for r in portfolio)
    assert len(records) - len(portfolio) == len(table.frame) * len(pack.rules)
    for got, want in zip(records, rows):
        assert got["candidate_id"] == want["candidate_id"] and got["rule"] == want["rule"]
        assert (got["category"], got["severity"], got["outcome"]) == (want["category"], want["severity"], want["outcome"])
        assert got["message"] == want["message"]
    verdicts = {c.id: c.verdict for c in traced.candidates}
    assert {(r["candidate_id"], r["verdict"]) for r in records if r not in portfolio} == set(verdicts.items())


def test_cli_writes_parquet_with_messages(tmp_path: Path) -> None:
    import subprocess
    import sys

    import pyarrow.parquet as pq
    done = subprocess.run([sys.executable, "-m", "screening.cli", "run", str(ROOT / "candidates" / "first_wave.csv"),
                           "--rules", str(ROOT / "rules" / "framework"), "--as-of", "2026-03-01", "--format",
                           "parquet", "--messages", "--out", str(tmp_path), "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = pq.read_table(tmp_path / "results.parquet")
    assert table.column_names[-1] == "message" and table.num_rows > 0
