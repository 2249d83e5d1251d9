"""candidates/generate.py (a script, not a package module) loaded once, for the tests that need
long seeded synthetic lists: its columns, its rows and its CSV writer."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("generate", Path(__file__).resolve().parent.parent / "candidates" / "generate.py")
generate = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(generate)  # type: ignore[union-attr]

COLUMNS: list[str] = generate.COLUMNS
synthetic_rows = generate.synthetic_rows
write_csv = generate.write_csv
