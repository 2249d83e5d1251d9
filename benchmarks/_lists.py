"""Synthetic candidate lists shared by the benchmark scripts (candidates/generate.py's rows)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def synthetic_list(rows: int, folder: Path, seed: int = 7) -> Path:
    """Write ``rows`` synthetic candidates to ``folder/list-<rows>.csv`` and return the path."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "candidates" / "generate.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.write_csv(folder / f"list-{rows}.csv", module.synthetic_rows(rows, seed))
