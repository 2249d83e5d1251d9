"""Rule authors' view of `screen check` (issue 12 items 8-10): messages that teach, one message
per mistake, the pack's tests checked without running them, and inheritance made visible.

Each test writes a small pack and runs `python -m screening.cli check` as a user would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = 'pack: p\nversion: "1"\nfields:\n  id: {type: string}\n  irr: {type: number}\n  sector: {type: string}\n'


def _check(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "240"}
    return subprocess.run([sys.executable, "-m", "screening.cli", "check", folder.name, *args], cwd=folder.parent,
                          env=env, capture_output=True, text=True, timeout=120)


def _pack(tmp_path: Path, text: str, name: str = "p") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(text)
    return folder


def _problems(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 2, done.stdout + done.stderr
    return [line for line in done.stderr.splitlines() if re.match(r"\S+\.yaml:\d+", line)]


def test_a_broken_rule_is_one_message_not_one_per_test_naming_it(tmp_path: Path) -> None:
    tests = "".join(f"  - name: t{i}\n    candidate: {{id: x, irr: 0.1}}\n    expect: {{outcomes: {{floor: pass}}}}\n"
                    for i in range(3))
    folder = _pack(tmp_path, HEAD + 'rules:\n  - {id: floor, title: F, category: return, source: s, require: "irr >== 0"}\n'
                   + "tests:\n" + tests)
    problems = _problems(_check(folder))
    assert len(problems) == 1, problems
    assert "p/pack.yaml:8 rule floor require: syntax error" in problems[0]


def test_a_wrong_extends_path_is_one_problem_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "framework").mkdir()
    (tmp_path / "framework" / "pack.yaml").write_text('pack: framework\nversion: "1"\nfields:\n  id: {type: string}\n')
    folder = _pack(tmp_path, 'pack: child\nversion: "1"\nextends: [../framwork]\ndrop: [some-rule]\n'
                   'rules:\n  - {id: a, title: A, category: return, source: s, require: "irr >= hurdle_rate"}\n'
                   '  - {id: b, replaces: true, title: B, category: sector, source: s, require: "tier == 1"}\n'
                   'tables:\n  tier:\n    inputs: {sector: sector}\n    output: integer\n'
                   '    rows: [{sector: "energy, metals", then: 1}]\n    else: 2\n'
                   'tests:\n  - {name: t, candidate: {id: x, irr: 1, colour: red}, expect: {outcomes: {a: pass, c: fail}}}\n')
    problems = _problems(_check(folder))
    assert problems == [f"p/pack.yaml:3 extends: '../framwork': {tmp_path.resolve() / 'framwork'} is not a folder "
                        "(paths are relative to this pack's folder); did you mean '../framework'?"], problems


def test_a_number_yaml_reads_as_text_is_blamed_on_the_parameter_not_the_rule(tmp_path: Path) -> None:
    folder = _pack(tmp_path, HEAD + "parameters:\n  hurdle:\n    value: 8e-1\n"
                   'rules:\n  - {id: a, title: A, category: return, source: s, require: "irr >= hurdle"}\n')
    problems = _problems(_check(folder))
    assert problems == ['p/pack.yaml:9 parameters.hurdle.value: YAML 1.1 reads 8e-1 as text, not a number: '
                        'write 0.8, or quote it ("8e-1") if you meant text'], problems


def test_check_types_the_tests_candidates_without_running_them(tmp_path: Path) -> None:
    folder = _pack(tmp_path, HEAD + 'rules:\n  - {id: a, title: A, category: return, source: s, require: "irr > 0"}\n'
                   "tests:\n  - name: big\n    candidate: {id: x, irr: 1e9, sector: no}\n    expect: {outcomes: {a: pass}}\n")
    problems = _problems(_check(folder))
    # 1e9 is text to YAML, but a number field reads it as a list cell would; the unquoted `no` is false
    assert problems == ["p/pack.yaml:11 test 'big' candidate.sector: false is not text; YAML reads an unquoted no "
                        "as false: quote it ('no') if you meant the word"], problems


def test_messages_that_teach(tmp_path: Path) -> None:
    cases = {
        "tab": (HEAD + 'rules:\n  - id: a\n\t title: A\n',
                "p/pack.yaml:9: a tab in the indentation (column 1): YAML indents with spaces only; use spaces"),
        "quote": (HEAD + 'title: "Tokyo\'s position\nrules: []\n',
                  "p/pack.yaml:7: the quote opened here (column 8) is never closed; close it"),
        "version": ('pack: p\nversion: 2026.05\nfields:\n  id: {type: string}\n',
                    'p/pack.yaml:2 version: expected a string, got 2026.05 (float); YAML reads an unquoted 2026.05 '
                    'as a number: quote it ("2026.05")'),
        "and": (HEAD + 'rules:\n  - {id: a, title: A, category: return, source: s, require: "irr > 0 && irr < 1"}\n',
                "p/pack.yaml:8 rule a require: `&&` is not an operator here (column 9): write `and`"),
        "not": (HEAD + 'rules:\n  - {id: a, title: A, category: return, source: s, require: "!missing(irr)"}\n',
                "p/pack.yaml:8 rule a require: `!` is not an operator here (column 1): write `not`"),
        "types": (HEAD + 'rules:\n  - {id: a, title: A, category: return, source: s, require: "sector >= irr"}\n',
                  "p/pack.yaml:8 rule a require: cannot compare a string with a number: `sector >= irr`"),
        "rule id": (HEAD + 'rules:\n  - {id: floor, title: A, category: retrun, source: s, require: "irr > 0"}\n',
                    "p/pack.yaml:8 rule floor, rules[0].category: 'retrun' is not one of"),
    }
    for name, (text, said) in cases.items():
        case = tmp_path / name.replace(" ", "_")
        case.mkdir()
        problems = _problems(_check(_pack(case, text)))
        assert len(problems) == 1 and problems[0].startswith(said), (name, problems)


def test_parameters_without_a_value_on_the_date_are_one_message(tmp_path: Path) -> None:
    folder = _pack(tmp_path, HEAD + "parameters:\n  a:\n    values: [{since: 2026-01-01, value: 1}]\n"
                   "  b:\n    values: [{since: 2026-02-01, value: 2}]\n  c: {value: 3}\n")
    problems = _problems(_check(folder, "--as-of", "2025-06-30"))
    assert problems == ["p/pack.yaml:8: 2 parameters have no value in force on 2025-06-30: a (from 2026-01-01), "
                        "b (from 2026-02-01); every parameter has a value from 2026-02-01: screen on that date or "
                        "later"], problems
    assert _check(folder, "--as-of", "2026-02-01").returncode == 0


def _family(tmp_path: Path, replaces: str) -> Path:
    base = tmp_path / "base"
    base.mkdir()
    (base / "pack.yaml").write_text(HEAD.replace("pack: p", "pack: base") + "parameters:\n  floor: {value: 0.05}\n"
                                    "rules:\n"
                                    '  - {id: floor, title: F, category: return, source: s, require: "irr >= floor"}\n'
                                    '  - {id: named, title: N, category: sector, source: s, require: "sector != \'x\'"}\n'
                                    '  - {id: kept, title: K, category: other, source: s, require: "not missing(irr)"}\n')
    return _pack(tmp_path, 'pack: child\nversion: "1"\nextends: [../base]\ndrop: [named]\n'
                 "parameters:\n  floor: {value: 0.06}\nrules:\n"
                 f'  - {{id: floor, {replaces}title: F2, category: return, source: s, require: "irr > floor"}}\n'
                 '  - {id: extra, title: E, category: other, source: s, require: "irr < 1"}\n', name="child")


def test_check_lists_what_a_pack_inherits_replaces_and_drops(tmp_path: Path) -> None:
    done = _check(_family(tmp_path, ""))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "inherits from base: 1 rule, 3 fields" in text
    assert "replaces: rule floor; parameter floor" in text
    assert "drops: rule named" in text
    assert "adds: 1 rule (extra)" in text
    assert ("note: child/pack.yaml:8: rule 'floor' replaces the rule of that id inherited from base; add "
            "'replaces: true' to it if that is what you mean") in " ".join(text.split())


def test_replaces_true_silences_the_note(tmp_path: Path) -> None:
    done = _check(_family(tmp_path, "replaces: true, "))
    assert done.returncode == 0, done.stderr
    assert "replaces: rule floor" in done.stdout and "note:" not in done.stdout
