"""ruff and mypy are configured in pyproject.toml and run by .ci/run after the tests (issue 11 item 8)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_ruff_and_mypy_after_the_tests() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [ln.strip() for ln in ci.splitlines()]
    assert "ruff check ." in lines and "mypy" in lines
    assert ci.index("python -m pytest -q") < ci.index("ruff check .") < ci.index("\nmypy")


def test_ruff_and_mypy_are_configured_and_installed_by_the_test_extra() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extra = " ".join(config["project"]["optional-dependencies"]["test"])
    assert "ruff" in extra and "mypy" in extra
    assert config["tool"]["ruff"]["lint"]["select"]
    assert config["tool"]["mypy"]["files"] == ["screening"]
