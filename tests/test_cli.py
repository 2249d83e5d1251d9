"""End-to-end: run the ``screen`` command as a user would, in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "packs" / "mini"
LIST = ROOT / "tests" / "fixtures" / "candidates" / "mini.csv"


def screen(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_run_writes_three_files_and_reruns_identically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(out))
    assert first.returncode == 0, first.stderr
    assert "eligible" in first.stdout and "irr-floor" in first.stdout
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(files) == {"results.json", "results.csv", "results.md"}
    second = screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(out))
    assert second.returncode == 0, second.stderr
    again = {p.name: p.read_bytes() for p in out.iterdir()}
    assert again["results.csv"] == files["results.csv"]
    assert again["results.md"] == files["results.md"]
    a, b = json.loads(files["results.json"]), json.loads(again["results.json"])
    assert a["run"].pop("started_at") and b["run"].pop("started_at")
    assert a == b


def test_results_content(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(out), "--engine", "durable")
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "results.json").read_text())
    assert data["run"]["pack"] == "mini" and data["run"]["as_of"] == "2026-03-01"
    assert data["run"]["pack_hash"].startswith("sha256:") and data["run"]["candidates_hash"].startswith("sha256:")
    assert data["run"]["engine"].startswith("durable_rules")
    assert [c["id"] for c in data["candidates"]] == ["c-ok", "c-thin", "c-air", "c-noirr", "00123"]
    verdicts = {c["id"]: c["verdict"] for c in data["candidates"]}
    assert verdicts == {"c-ok": "eligible", "c-thin": "ineligible", "c-air": "ineligible",
                        "c-noirr": "incomplete", "00123": "eligible"}
    assert data["summary"] == {"eligible": 2, "ineligible": 2, "incomplete": 1}
    thin = next(c for c in data["candidates"] if c["id"] == "c-thin")
    floor = thin["outcomes"][0]
    assert floor["outcome"] == "fail" and floor["values"] == {"irr": 0.031, "hurdle_rate": 0.05}
    assert floor["fix"] == {"field": "irr", "to": 0.05, "text": "raise irr from 0.031 to 0.05"}
    noirr = next(c for c in data["candidates"] if c["id"] == "c-noirr")
    assert noirr["outcomes"][0]["outcome"] == "missing"
    assert noirr["inputs"]["note"] == "NA"  # the string NA is kept, not made missing
    rows = list(csv.reader((out / "results.csv").open()))
    assert rows[0] == ["candidate_id", "rule", "category", "severity", "outcome", "message"]
    assert len(rows) == 1 + 5 * 3
    assert "c-thin" in (out / "results.md").read_text()


def test_fail_on(tmp_path: Path) -> None:
    done = screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(tmp_path),
                  "--fail-on", "ineligible", "--quiet")
    assert done.returncode == 1
    assert "2 eligible, 2 ineligible, 1 incomplete" in done.stdout


def test_broken_pack_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "fixtures" / "bad" / "packs" / "expr_type"
    out = tmp_path / "out"
    done = screen("run", str(LIST), "--rules", str(bad), "--as-of", "2026-03-01", "--out", str(out))
    assert done.returncode == 2
    assert "rules.yaml:6" in done.stderr and "cannot compare a string with a number" in done.stderr
    assert not out.exists()


def test_broken_list_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,sector,irr\na,energy,7.5%\na,energy,x\n")
    out = tmp_path / "out"
    done = screen("run", str(bad), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(out))
    assert done.returncode == 2, done.stdout
    assert "row 2, column irr: '7.5%'" in done.stderr
    assert "row 3" in done.stderr  # all problems at once: the duplicate id and the bad number
    assert not out.exists()


def test_explain_prints_values_and_sources(tmp_path: Path) -> None:
    done = screen("explain", str(LIST), "--rules", str(MINI), "--id", "c-thin", "--as-of", "2026-03-01")
    assert done.returncode == 0, done.stderr
    for text in ("c-thin", "ineligible", "irr-floor", "irr = 0.031", "hurdle_rate = 0.05", "raise irr"):
        assert text in done.stdout
    missing = screen("explain", str(LIST), "--rules", str(MINI), "--id", "nope", "--as-of", "2026-03-01")
    assert missing.returncode == 2 and "no candidate with id 'nope'" in missing.stderr


def test_check_and_test_commands() -> None:
    done = screen("check", str(MINI), "--as-of", "2026-03-01")
    assert done.returncode == 0 and "irr-floor" in done.stdout and "ok" in done.stdout
    tested = screen("test", str(MINI))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed, 0 failed" in tested.stdout


def test_failing_pack_test_exits_1(tmp_path: Path) -> None:
    pack = tmp_path / "p"
    pack.mkdir()
    text = (MINI / "pack.yaml").read_text().replace("irr-floor: fail", "irr-floor: pass")
    (pack / "pack.yaml").write_text(text)
    done = screen("test", str(pack))
    assert done.returncode == 1
    assert "irr-floor: expected pass, got fail" in done.stdout


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    assert screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-31-01").returncode == 2
    assert screen("run", str(LIST), "--rules", str(MINI), "--format", "pdf").returncode == 2
    assert screen("run", str(tmp_path / "none.csv"), "--rules", str(MINI), "--out", str(tmp_path)).returncode == 2


def test_schema_command() -> None:
    done = screen("schema")
    assert done.returncode == 0
    assert json.loads(done.stdout)["title"] == "Screening rule file"


@pytest.mark.parametrize("engine", ["durable", "vector", "reference"])
def test_engines_give_identical_files(tmp_path: Path, engine: str) -> None:
    out = tmp_path / engine
    done = screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(out), "--engine", engine)
    assert done.returncode == 0, done.stderr
    ref = tmp_path / "ref"
    screen("run", str(LIST), "--rules", str(MINI), "--as-of", "2026-03-01", "--out", str(ref), "--engine", "reference")
    assert (out / "results.csv").read_bytes() == (ref / "results.csv").read_bytes()
