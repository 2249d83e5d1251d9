"""results.json (CONTRACT.md §7): deterministic apart from ``run.started_at``.

The run header and summary are indented for reading; each candidate is one compact line, which
keeps the file diff-friendly and lets the C JSON encoder do the work (a 20,000-candidate run
writes in about a second instead of ten).
"""

from __future__ import annotations

import json

from screening.outcomes import RunResult


def render_json(result: RunResult) -> str:
    top: dict[str, object] = {"run": result.run, "summary": result.summary}
    if result.portfolio is not None:
        top["portfolio"] = result.portfolio.as_dict()
    head = json.dumps(top, indent=2, ensure_ascii=False)
    lines = [head[:-2] + ",", '  "candidates": [']
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    items = [f"    {encode(c.as_dict())}" for c in result.candidates]
    lines.append(",\n".join(items))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(line for line in lines if line != "") + "\n"
    return text
