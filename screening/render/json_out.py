"""results.json (CONTRACT.md §7): deterministic apart from ``run.started_at``."""

from __future__ import annotations

import json

from screening.outcomes import RunResult


def render_json(result: RunResult) -> str:
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False) + "\n"
