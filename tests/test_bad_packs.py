"""One bad rule pack per failure mode; each must fail to load with the exact message and place.

Each folder under tests/fixtures/bad/packs/ holds a broken pack and ``expected.txt``: lines of
``FILE:LINE | message fragment`` (or ``PATH | fragment`` for folder-level problems). A
``load_from`` file names the sub-folder to load when the case needs several packs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import InputError
from screening.pack.load import load_pack

BAD = Path(__file__).parent / "fixtures" / "bad" / "packs"
CASES = sorted(p for p in BAD.iterdir() if p.is_dir())


def _expected(case: Path) -> list[tuple[str, int | None, str]]:
    out = []
    for line in (case / "expected.txt").read_text().splitlines():
        if not line.strip():
            continue
        place, fragment = (x.strip() for x in line.split("|", 1))
        file, _, lineno = place.partition(":")
        out.append((file, int(lineno) if lineno else None, fragment))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_pack_is_refused_with_place_and_message(case: Path) -> None:
    target = case / (case / "load_from").read_text().strip() if (case / "load_from").exists() else case
    with pytest.raises(InputError) as info:
        load_pack(target).resolve(__import__("datetime").date(2026, 3, 1))
    problems = info.value.problems
    rendered = "\n".join(f"{p.file}:{p.line} {p}" for p in problems)
    for file, line, fragment in _expected(case):
        hits = [p for p in problems if p.file and p.file.replace("\\", "/").endswith(file)
                and (line is None or p.line == line) and fragment in str(p)]
        assert hits, f"expected {file}:{line} '{fragment}' among:\n{rendered}"


def test_every_failure_mode_has_a_fixture() -> None:
    assert len(CASES) >= 20
    for case in CASES:
        assert (case / "expected.txt").exists(), case


def test_all_problems_of_a_pack_come_together(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(
        'pack: many\nversion: "1"\nfields:\n  id: {type: string}\n  irr: {type: number}\n'
        'rules:\n'
        '  - {id: a, title: A, category: return, source: s, require: "ir > 0"}\n'
        '  - {id: b, title: B, category: retrun, source: s, require: "irr > 0"}\n'
        '  - {id: c, title: C, category: return, source: s, require: "irr.x > 0"}\n')
    with pytest.raises(InputError) as info:
        load_pack(tmp_path)
    text = str(info.value)
    assert "unknown name 'ir'" in text and "'retrun'" in text and "attribute access" in text
    assert info.value.count == 3
