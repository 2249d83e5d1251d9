"""Every problem of a pack at once: expressions of a rule are parsed and type-checked even when the
rule lacks keys or has bad values, and the messages come sorted by file and line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from screening.errors import InputError
from screening.pack.load import load_pack

PACK = 'pack: five\nversion: "1"\nfields:\n  id: {type: string, required: true}\n  amount: {type: number}\n' \
       '  sector: {type: string}\n  share: {type: number, derive: "sector / 2", colour: red}\n'
RULES = """rules:
  - id: no-title
    category: other
    require: "sector > 3"
    source: x
  - id: bad-category
    title: t
    category: nonsense
    require: "amount >>> 2"
    source: x
  - id: fine
    title: t
    category: other
    require: "amount > 1"
    source: x
"""


def _write(tmp_path: Path) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK)
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


def test_a_rule_missing_a_key_still_has_its_expression_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_pack(_write(tmp_path))
    text = str(info.value)
    assert "missing required key 'title'" in text
    assert "cannot compare a string with a number: `sector > 3`" in text


def test_five_problems_in_two_files_come_in_one_run_sorted_by_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_pack(_write(tmp_path))
    places = [(Path(p.file).name, p.line) for p in info.value.problems]
    assert places == sorted(places)
    assert places == [("pack.yaml", 7), ("pack.yaml", 7), ("rules.yaml", 2), ("rules.yaml", 4),
                      ("rules.yaml", 8), ("rules.yaml", 9)][:len(places)]
    messages = [p.message for p in info.value.problems]
    for fragment in ("unknown key 'colour'", "'/' needs numbers", "missing required key 'title'",
                     "cannot compare a string with a number", "'nonsense' is not one of", "syntax error"):
        assert any(fragment in m for m in messages), (fragment, messages)


def test_the_cli_prints_every_problem_and_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "screening.cli", "check", str(_write(tmp_path))],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if re.search(r"(pack|rules)\.yaml:\d+", ln)]
    assert len(lines) >= 5, proc.stdout + proc.stderr
    keys = [(re.search(r"(\w+)\.yaml:(\d+)", ln).group(1), int(re.search(r"\.yaml:(\d+)", ln).group(1))) for ln in lines]
    assert keys == sorted(keys)
