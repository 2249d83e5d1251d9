"""What a scenario run produces: per candidate the shares of verdicts and outcomes and the
spread of finance fields and varied inputs (CONTRACT.md §12). Renderers read these records;
none computes anything again.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field

import numpy as np

from screening.outcomes import VERDICTS

OUTCOME_NAMES = ("pass", "fail", "missing", "not_applicable")
#: The percentiles reported for every finance field and every varied number.
PERCENTILES = (5, 50, 95)


def spread(values: np.ndarray, mask: np.ndarray, draws: int, dates: bool = False) -> dict[str, object]:
    """``{"p5", "p50", "p95", "missing"}`` of the values not masked (all None when every draw is missing).

    Numbers interpolate linearly; dates (day ordinals) take the nearest draw's date, as ISO text.
    """
    present = values[~mask]
    present = present[np.isfinite(present)]
    out: dict[str, object]
    if present.size and dates:
        pct = np.percentile(present, PERCENTILES, method="nearest")
        out = {f"p{p}": dt.date.fromordinal(int(v)).isoformat() for p, v in zip(PERCENTILES, pct)}
    elif present.size:
        pct = np.percentile(present, PERCENTILES)
        out = {f"p{p}": float(v) for p, v in zip(PERCENTILES, pct)}
    else:
        out = {f"p{p}": None for p in PERCENTILES}
    out["missing"] = (draws - int(present.size)) / draws
    return out


def value_shares(values: np.ndarray, mask: np.ndarray, draws: int) -> dict[str, float]:
    """Share of draws giving each value of a varied text or bool field (and ``missing``)."""
    shown = [("true" if v else "false") if isinstance(v, (bool, np.bool_)) else str(v) for v in values[~mask].tolist()]
    uniques, counts = np.unique(np.asarray(shown, dtype=object), return_counts=True) if shown else ([], [])
    out = {str(u): int(c) / draws for u, c in zip(uniques, counts)}  # type: ignore[call-overload]
    out["missing"] = int(mask.sum()) / draws
    return out


@dataclass
class RuleInfo:
    """What renderers need to know of a rule."""

    id: str
    title: str
    category: str
    severity: str


@dataclass
class CandidateScenario:
    """One candidate over all its draws."""

    id: str
    draws: int
    baseline: str  # the verdict at the list's own figures (no variation)
    verdicts: dict[str, float]
    rules: dict[str, dict[str, float]]
    finance: dict[str, dict[str, float | None]] = field(default_factory=dict)
    varied: dict[str, dict[str, float | None]] = field(default_factory=dict)
    deciding_rule: str | None = None  # the blocking rule failing in the most draws
    floors: dict[str, dict[str, object]] = field(default_factory=dict)  # field -> the threshold a rule compares it with
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # for histograms; not in the JSON

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "draws": self.draws, "baseline": self.baseline, "verdicts": self.verdicts,
                "rules": self.rules, "finance": self.finance, "varied": self.varied,
                "deciding_rule": self.deciding_rule, "floors": self.floors}


@dataclass
class ScenarioResult:
    """A whole scenario run."""

    run: dict[str, object]
    rules: list[RuleInfo]
    candidates: list[CandidateScenario]
    portfolio: dict[str, object] | None = None

    def rule(self, rule_id: str) -> RuleInfo:
        return next(r for r in self.rules if r.id == rule_id)

    def summary(self) -> dict[str, float]:
        """Mean share of each verdict over candidates (each candidate weighs the same)."""
        n = len(self.candidates) or 1
        return {v: sum(c.verdicts[v] for c in self.candidates) / n for v in VERDICTS}


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def render_scenarios_json(result: ScenarioResult) -> str:
    """scenarios.json: the run header indented, one compact line per candidate (as results.json)."""
    head: dict[str, object] = {"run": result.run}
    if result.portfolio is not None:
        head["portfolio"] = result.portfolio
    text = json.dumps(head, indent=2, ensure_ascii=False, allow_nan=False)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), allow_nan=False).encode
    items = [f"    {encode(_finite(c.as_dict()))}" for c in result.candidates]
    body = ",\n".join(items)
    return text[:-2] + ',\n  "candidates": [\n' + (body + "\n" if body else "") + "  ]\n}\n"
