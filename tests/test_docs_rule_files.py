"""docs/rule-files.md stays true: every pack file it shows loads, checks and passes its own tests.

A fenced block preceded by ``<!-- pack: NAME/FILE -->`` is written to ``tmp/NAME/FILE``; every
pack assembled that way must pass ``screen check`` and ``screen test`` (run as a user runs them).
A block preceded by ``<!-- bad-pack: NAME/FILE -->`` is a mistake shown in the doc: the ``text``
block right after it holds what ``screen check --strict`` says, and each of its lines must be in the output.
A ``text`` block preceded by ``<!-- output: ARGS -->`` is what ``screen ARGS`` prints over those packs.
Every ``yaml`` block in the doc must be one of these, so no example can rot unseen.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "rule-files.md"
TEXT = DOC.read_text()
BLOCK = re.compile(r"(?:<!-- (pack|bad-pack|output): ([^>]+?) -->\n)?```(\w*)\n(.*?)\n```", re.S)


def _blocks() -> list[tuple[str | None, str | None, str, str]]:
    return [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in BLOCK.finditer(TEXT)]


def _screen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "screening.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_yaml_block_is_a_checked_pack_file() -> None:
    loose = [body.splitlines()[0] for kind, _, lang, body in _blocks() if lang == "yaml" and kind is None]
    assert not loose, f"yaml blocks in {DOC.name} that no test loads (mark them <!-- pack: NAME/FILE -->): {loose}"
    assert sum(1 for kind, *_ in _blocks() if kind == "pack") >= 10


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    for kind, target, _, body in _blocks():
        if kind == "pack" and target:
            path = root / target
            path.parent.mkdir(parents=True, exist_ok=True)
            assert not path.exists(), f"{target} is written twice in {DOC.name}"
            path.write_text(body + "\n")
    return root


def _pack_names() -> list[str]:
    return sorted({t.split("/")[0] for kind, t, *_ in _blocks() if kind == "pack" and t})


@pytest.mark.parametrize("name", _pack_names())
def test_doc_pack_checks_and_passes_its_tests(packs: Path, name: str) -> None:
    checked = _screen("check", name, "--as-of", "2026-03-01", cwd=packs)
    assert checked.returncode == 0, f"screen check {name}:\n{checked.stdout}\n{checked.stderr}"
    assert "warning" not in checked.stdout, checked.stdout
    tested = _screen("test", name, "--as-of", "2026-03-01", cwd=packs)
    assert tested.returncode == 0, f"screen test {name}:\n{tested.stdout}\n{tested.stderr}"
    assert "FAIL" not in tested.stdout


def _bad_cases() -> list[tuple[str, str, str]]:
    blocks = _blocks()
    cases = []
    for i, (kind, target, _, body) in enumerate(blocks):
        if kind == "bad-pack" and target:
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            assert following is not None and following[2] == "text", f"{target}: a text block must follow"
            cases.append((target, body, following[3]))
    return cases


@pytest.mark.parametrize("target,body,said", _bad_cases(), ids=[c[0] for c in _bad_cases()])
def test_doc_mistakes_get_the_message_the_doc_shows(tmp_path: Path, target: str, body: str, said: str) -> None:
    path = tmp_path / target
    path.parent.mkdir(parents=True)
    path.write_text(body + "\n")
    done = _screen("check", target.split("/")[0], "--strict", cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    for line in said.splitlines():
        assert line.strip() in " ".join(done.stderr.split()), f"{line!r} not in:\n{done.stderr}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_to_the_reference_resolve() -> None:
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", TEXT, re.M)}
    readme = (ROOT / "README.md").read_text()
    assert "](docs/rule-files.md)" in readme, "the README links the reference"
    assert "CONTRACT.md §1)" not in readme, "users of the repo have no CONTRACT.md"
    links = re.findall(r"\]\(#([^)]+)\)", TEXT) + re.findall(r"docs/rule-files\.md#([^)]+)\)", readme)
    assert links
    broken = [a for a in links if a not in anchors]
    assert not broken, f"links to missing headings in {DOC.name}: {broken}"


@pytest.mark.parametrize("args,said", [(t, b) for k, t, _, b in _blocks() if k == "output"])
def test_doc_outputs_are_what_the_command_prints(packs: Path, args: str, said: str) -> None:
    done = _screen(*args.split(), cwd=packs)
    printed = " ".join(done.stdout.split())
    for line in said.splitlines():
        assert " ".join(line.split()) in printed, f"{line!r} not in:\n{done.stdout}"
