"""Figures the reliability test families record as they run (inputs fuzzed, kills survived, ...).

``record(family, key, value)`` keeps the figure in memory; at the end of the session
(tests/conftest.py) the figures are merged into ``reports/out/reliability.json`` (git-ignored),
which ``scripts/reliability.py`` turns into RELIABILITY.md. A figure is what a test actually ran
and held: record it after the assertions that make it true.
"""

from __future__ import annotations

import json
from pathlib import Path

FIGURES_FILE = Path(__file__).resolve().parent.parent / "reports" / "out" / "reliability.json"
_figures: dict[str, dict[str, int]] = {}


def record(family: str, key: str, value: int, *, add: bool = False) -> None:
    """Note that ``family`` ran and held ``value`` of ``key`` (``add``: accumulate over calls)."""
    figures = _figures.setdefault(family, {})
    figures[key] = figures.get(key, 0) + value if add else value


def flush() -> None:
    """Merge this session's figures into FIGURES_FILE (families not run this time are kept)."""
    if not _figures:
        return
    try:
        old = json.loads(FIGURES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    for family, figures in _figures.items():
        old[family] = dict(sorted(figures.items()))
    FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
    tmp = FIGURES_FILE.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(old.items())), indent=2) + "\n", encoding="utf-8")
    tmp.replace(FIGURES_FILE)
