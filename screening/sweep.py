"""Threshold sweeps: at which value of a parameter does each candidate's verdict change?

Verdicts are piecewise constant in the parameter. Each comparison that reads the parameter
(directly, or through derived fields) changes truth only where its two sides are equal; where
that difference is linear in the parameter the crossing is solved exactly (two evaluations
and a line), otherwise it is found by bisection between grid points. The verdict is then read
just below, at, and just above every crossing, so each breakpoint says on which side the
boundary value itself falls.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.errors import InputError, Problem
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.outcomes import verdict_of
from screening.pack.compiled import ResolvedPack


@dataclass(frozen=True)
class Breakpoint:
    """The verdict changes at ``value``: ``below`` just under it, ``at`` on it, ``above`` just over it."""

    value: float
    below: str
    at: str
    above: str
    rules: tuple[str, ...]  # rules whose outcome changes there

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "below": self.below, "at": self.at, "above": self.above, "rules": list(self.rules)}


@dataclass
class SweepResult:
    parameter: str
    lo: float
    hi: float
    grid: list[float]
    eligible_counts: list[int]
    breakpoints: dict[str, list[Breakpoint]]  # candidate id -> breakpoints in (lo, hi)
    verdict_at_lo: dict[str, str]

    def as_dict(self) -> dict[str, object]:
        return {"parameter": self.parameter, "from": self.lo, "to": self.hi,
                "grid": [{"value": v, "eligible": c} for v, c in zip(self.grid, self.eligible_counts)],
                "candidates": [{"id": cid, "verdict_at_from": self.verdict_at_lo[cid],
                                "breakpoints": [b.as_dict() for b in bps]} for cid, bps in self.breakpoints.items()]}


class _Evaluator:
    def __init__(self, resolved: ResolvedPack, name: str, base_rows: Sequence[dict[str, object]]) -> None:
        self.resolved, self.name, self.base_rows = resolved, name, base_rows

    def at(self, value: float) -> ResolvedPack:
        params = dict(self.resolved.params)
        params[self.name] = value
        return dataclasses.replace(self.resolved, params=params)

    def outcomes(self, row: dict[str, object], value: float) -> list[str]:
        resolved = self.at(value)
        env = {**with_derived(resolved, [row])[0], **resolved.constants()}
        return [decide_rule(rule, env) for rule in resolved.pack.rules]

    def verdict(self, row: dict[str, object], value: float) -> tuple[str, list[str]]:
        outcomes = self.outcomes(row, value)
        severities = [r.spec.severity.value for r in self.resolved.pack.rules]
        return verdict_of(list(zip(severities, outcomes))), outcomes


def _crossings(ev: _Evaluator, row: dict[str, object], lo: float, hi: float) -> set[float]:
    """Values of the parameter where some comparison reading it (directly or via derived fields) flips."""
    pack = ev.resolved.pack
    reads_param = {ev.name}
    for fname in pack.derive_order:
        expr = pack.fields[fname].derive
        if expr is not None and reads_param & set(expr.names()):
            reads_param.add(fname)
    found: set[float] = set()
    for rule in pack.rules:
        for expr in (rule.applies_if, rule.require):
            if expr is None:
                continue
            for node in expr.walk():
                if isinstance(node, n.Compare) and node.op not in ("in", "not in") and reads_param & set(node.names()):
                    found |= _roots(ev, row, node, lo, hi)
    return {x for x in found if lo < x < hi}


def _gap(ev: _Evaluator, row: dict[str, object], node: n.Compare, value: float) -> float | None:
    resolved = ev.at(value)
    env = {**with_derived(resolved, [row])[0], **resolved.constants()}
    a, b = evaluate(node.left, env), evaluate(node.right, env)
    if isinstance(a, dt.date):
        a = a.toordinal()
    if isinstance(b, dt.date):
        b = b.toordinal()
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool) or isinstance(b, bool):
        return None
    return float(a) - float(b)


def _roots(ev: _Evaluator, row: dict[str, object], node: n.Compare, lo: float, hi: float) -> set[float]:
    g0, g1 = _gap(ev, row, node, lo), _gap(ev, row, node, hi)
    mid = (lo + hi) / 2
    gm = _gap(ev, row, node, mid)
    if g0 is None or g1 is None or gm is None or g0 == g1:
        return set()
    if abs(gm - (g0 + g1) / 2) <= 1e-9 * max(1.0, abs(g0), abs(g1)):  # linear: solve exactly
        return {lo - g0 * (hi - lo) / (g1 - g0)}
    roots = set()
    steps = 64
    xs = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    gs = [_gap(ev, row, node, x) for x in xs]
    for x0, x1, y0, y1 in zip(xs, xs[1:], gs, gs[1:]):
        if y0 is None or y1 is None or (y0 > 0) == (y1 > 0):
            continue
        for _ in range(60):
            xm = (x0 + x1) / 2
            ym = _gap(ev, row, node, xm)
            if ym is None:
                break
            if (ym > 0) == (y0 > 0):
                x0, y0 = xm, ym
            else:
                x1 = xm
        roots.add((x0 + x1) / 2)
    return roots


def sweep(resolved: ResolvedPack, rows: Sequence[dict[str, object]], name: str, lo: float, hi: float,
          steps: int = 50) -> SweepResult:
    """Sweep parameter ``name`` over [lo, hi] for every candidate row (derived fields not yet added)."""
    value = resolved.params.get(name)
    if name not in resolved.params:
        raise InputError([Problem(f"'{name}' is not a parameter of pack '{resolved.pack.name}' "
                                  f"(parameters: {', '.join(resolved.params)})", column="--param")])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError([Problem(f"'{name}' is {value!r}, not a number: only numeric parameters can be swept",
                                  column="--param")])
    if not lo < hi or steps < 2:
        raise InputError([Problem(f"need --from < --to and --steps >= 2 (got {lo}, {hi}, {steps})", column="--from")])
    ev = _Evaluator(resolved, name, rows)
    grid = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    counts = []
    for x in grid:
        counts.append(sum(1 for row in rows if ev.verdict(row, x)[0] == "eligible"))
    breakpoints: dict[str, list[Breakpoint]] = {}
    start: dict[str, str] = {}
    eps = (hi - lo) * 1e-9
    for row in rows:
        cid = str(row.get("id"))
        start[cid] = ev.verdict(row, lo)[0]
        points = []
        for x in sorted(_crossings(ev, row, lo, hi)):
            (below, ob), (at, oa), (above, oc) = ev.verdict(row, x - eps), ev.verdict(row, x), ev.verdict(row, x + eps)
            if below == above == at:
                continue
            changed = tuple(r.id for r, p, q in zip(resolved.pack.rules, ob, oc) if p != q)
            points.append(Breakpoint(x, below, at, above, changed))
        breakpoints[cid] = points
    return SweepResult(name, lo, hi, grid, counts, breakpoints, start)


def sweep_chart(result: SweepResult, width: int = 640, height: int = 300) -> str:
    """An SVG step chart of the number of eligible candidates against the parameter."""
    from html import escape
    pad_l, pad_b, pad_t, pad_r = 50, 40, 30, 20
    top = max(max(result.eligible_counts), 1)
    def x(v: float) -> float:
        return pad_l + (v - result.lo) / (result.hi - result.lo) * (width - pad_l - pad_r)
    def y(c: int) -> float:
        return height - pad_b - c / top * (height - pad_b - pad_t)
    pts = []
    for (v0, c0), v1 in zip(zip(result.grid, result.eligible_counts), result.grid[1:] + [result.grid[-1]]):
        pts += [f"{x(v0):.1f},{y(c0):.1f}", f"{x(v1):.1f},{y(c0):.1f}"]
    marks = sorted({b.value for bps in result.breakpoints.values() for b in bps})
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
             f'<text x="{pad_l}" y="18" font-size="14" font-weight="600">Eligible candidates by {escape(result.parameter)}</text>',
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" stroke="#888"/>',
             f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" stroke="#888"/>',
             f'<polyline fill="none" stroke="#22a355" stroke-width="2" points="{" ".join(pts)}"/>']
    for m in marks:
        parts.append(f'<line x1="{x(m):.1f}" y1="{pad_t}" x2="{x(m):.1f}" y2="{height - pad_b}" stroke="#d64545" '
                     f'stroke-dasharray="4 3"><title>breakpoint {m:.6g}</title></line>')
    for v in (result.lo, (result.lo + result.hi) / 2, result.hi):
        parts.append(f'<text x="{x(v):.1f}" y="{height - pad_b + 16}" font-size="11" text-anchor="middle">{v:.4g}</text>')
    for c in (0, top):
        parts.append(f'<text x="{pad_l - 8}" y="{y(c) + 4:.1f}" font-size="11" text-anchor="end">{c}</text>')
    parts.append("</svg>")
    return "".join(parts)
