"""Threshold sweeps: at which value of a parameter does each candidate's verdict change?

Verdicts are piecewise constant in the parameter. Each comparison that reads the parameter
(directly, or through derived fields) changes truth only where its two sides are equal; where
that difference is linear in the parameter the crossing is solved exactly (three evaluations
and a line) and then polished to the float where the two sides meet; otherwise it is found by
bisection between grid points. The verdict is then read just below, at, and just above every
crossing, so each breakpoint says on which side the boundary value itself falls. The eligible
count is exact between breakpoints, so the chart's steps sit where the verdicts really change.

Renderers of a sweep (CSV, Markdown, HTML, SVG) are at the end of this module.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from functools import partial
from html import escape
from typing import Callable, Mapping, Sequence

from screening.derive import with_derived
from screening.engines.reference import decide_rule
from screening.errors import InputError, Problem
from screening.finance.compute import finance_for_row
from screening.finance.flows import Flow
from screening.finance.names import FINANCE_FIELDS
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

    def text(self) -> str:
        return (f"{self.below} below {self.value:.6g}, {self.at} at it, {self.above} above "
                f"({', '.join(self.rules)})")


@dataclass
class SweepResult:
    """Every candidate's breakpoints in (lo, hi), the eligible count on a grid and between breakpoints."""

    parameter: str
    lo: float
    hi: float
    grid: list[float]
    eligible_counts: list[int]
    breakpoints: dict[str, list[Breakpoint]]  # candidate id -> breakpoints in (lo, hi)
    verdict_at_lo: dict[str, str]
    in_force: float | None = None
    pack: str = ""
    as_of: str = ""
    verdict_at_hi: dict[str, str] = field(default_factory=dict)
    holding: dict[str, list[str]] = field(default_factory=dict)  # id -> blocking rules not passing at lo
    steps: list[tuple[float, float, int]] = field(default_factory=list)  # exact (from, to, eligible) segments

    def as_dict(self) -> dict[str, object]:
        return {"parameter": self.parameter, "pack": self.pack, "as_of": self.as_of, "in_force": self.in_force,
                "from": self.lo, "to": self.hi,
                "eligible": [{"from": a, "to": b, "count": k} for a, b, k in self.steps],
                "grid": [{"value": v, "eligible": c} for v, c in zip(self.grid, self.eligible_counts)],
                "candidates": [{"id": cid, "verdict_at_from": self.verdict_at_lo[cid],
                                "verdict_at_to": self.verdict_at_hi.get(cid),
                                "breakpoints": [b.as_dict() for b in bps]} for cid, bps in self.breakpoints.items()]}

    def summary_line(self, cid: str) -> str:
        """Words for a candidate's breakpoints, or why its verdict holds across the whole range."""
        bps = self.breakpoints[cid]
        if bps:
            return "; ".join(b.text() for b in bps)
        why = self.holding.get(cid)
        return f"{self.verdict_at_lo[cid]} throughout" + (f" ({', '.join(why)})" if why else "")


class _Evaluator:
    def __init__(self, resolved: ResolvedPack, name: str, flows: Mapping[str, Sequence[Flow]] | None = None) -> None:
        self.resolved, self.name = resolved, name
        self.severities = [r.spec.severity.value for r in resolved.pack.rules]
        self.flows = flows or {}

    def at(self, value: float) -> ResolvedPack:
        return dataclasses.replace(self.resolved, params={**self.resolved.params, self.name: value})

    def env(self, row: dict[str, object], value: float) -> dict[str, object]:
        resolved = self.at(value)
        env = {**with_derived(resolved, [row])[0], **resolved.constants()}
        if resolved.pack.finance is not None:  # the waterfall again at this value (CONTRACT §9)
            env.update(finance_for_row(resolved, env, self.flows.get(str(row.get("id")))))
        return env

    def verdict(self, row: dict[str, object], value: float) -> tuple[str, list[str]]:
        env = self.env(row, value)
        outcomes = [decide_rule(rule, env) for rule in self.resolved.pack.rules]
        return verdict_of(list(zip(self.severities, outcomes))), outcomes


def _crossings(ev: _Evaluator, row: dict[str, object], lo: float, hi: float) -> set[float]:
    """Values of the parameter where some comparison reading it (directly or via derived fields) flips."""
    pack = ev.resolved.pack
    reads_param = {ev.name}
    for fname in pack.derive_order:  # derived fields and decision tables
        if reads_param & set(pack.derived_reads(fname)):
            reads_param.add(fname)
    finance = pack.finance
    if finance is not None and reads_param & set(finance.names()):
        reads_param |= set(FINANCE_FIELDS)  # a term of the waterfall moves: every finance field may
    found: set[float] = set()
    for rule in pack.rules:
        for expr in (rule.applies_if, rule.require):
            if expr is None:
                continue
            for node in expr.walk():
                if isinstance(node, n.Compare) and node.op not in ("in", "not in") and reads_param & set(node.names()):
                    found |= _roots(partial(_gap, ev, row, node), lo, hi)
    return {x for x in found if lo < x < hi}


def _gap(ev: _Evaluator, row: dict[str, object], node: n.Compare, value: float) -> float | None:
    env = ev.env(row, value)
    a, b = evaluate(node.left, env), evaluate(node.right, env)
    if isinstance(a, dt.date):
        a = a.toordinal()
    if isinstance(b, dt.date):
        b = b.toordinal()
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or isinstance(a, bool) or isinstance(b, bool):
        return None
    return float(a) - float(b)


def _roots(gap: Callable[[float], float | None], lo: float, hi: float) -> set[float]:
    g0, g1, gm = gap(lo), gap(hi), gap((lo + hi) / 2)
    if g0 is None or g1 is None or gm is None or g0 == g1:
        return set()
    if abs(gm - (g0 + g1) / 2) <= 1e-9 * max(1.0, abs(g0), abs(g1)):  # linear: solve exactly
        return {polish(gap, lo - g0 * (hi - lo) / (g1 - g0))}
    roots = set()
    steps = 64
    xs = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    gs = [gap(x) for x in xs]
    for x0, x1, y0, y1 in zip(xs, xs[1:], gs, gs[1:]):
        if y0 is None or y1 is None or (y0 > 0) == (y1 > 0):
            continue
        for _ in range(80):
            xm = (x0 + x1) / 2
            ym = gap(xm)
            if ym is None or xm in (x0, x1):
                break
            if (ym > 0) == (y0 > 0) and ym != 0:
                x0, y0 = xm, ym
            else:
                x1 = xm
        roots.add(polish(gap, x1))
    return roots


def polish(gap: Callable[[float], float | None], x: float, max_steps: int = 64) -> float:
    """Move ``x`` float by float to where ``gap`` is exactly zero, if such a float lies within reach.

    The line through two evaluations lands within a few units in the last place of the true
    crossing (``irr >= hurdle`` flips at hurdle = irr); this makes it land on it.
    """
    g = gap(x)
    if g is None or g == 0:
        return x
    for direction in (math.inf, -math.inf):
        y = x
        for _ in range(max_steps):
            y = math.nextafter(y, direction)
            gy = gap(y)
            if gy is None:
                break
            if gy == 0:
                return y
            if (gy > 0) != (g > 0):
                break
    return x


def sweep(resolved: ResolvedPack, rows: Sequence[dict[str, object]], name: str, lo: float, hi: float,
          steps: int = 50, flows: Mapping[str, Sequence[Flow]] | None = None) -> SweepResult:
    """Sweep parameter ``name`` over [lo, hi] for every candidate row (derived fields not yet added)."""
    if name not in resolved.params:
        import difflib
        numeric = [k for k, v in resolved.params.items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        close = difflib.get_close_matches(name, list(resolved.params), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise InputError([Problem(f"'{name}' is not a parameter of pack '{resolved.pack.name}'; {hint}"
                                  f"(numeric parameters: {', '.join(numeric)})", column="--param")])
    value = resolved.params[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError([Problem(f"'{name}' is {value!r}, not a number: only numeric parameters can be swept",
                                  column="--param")])
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or steps < 2:
        raise InputError([Problem(f"need --from < --to and --steps >= 2 (got {lo:g}, {hi:g}, {steps})",
                                  column="--from")])
    ev = _Evaluator(resolved, name, flows)
    grid = [lo + (hi - lo) * i / steps for i in range(steps + 1)]
    counts = [sum(1 for row in rows if ev.verdict(row, x)[0] == "eligible") for x in grid]
    breakpoints: dict[str, list[Breakpoint]] = {}
    start: dict[str, str] = {}
    end: dict[str, str] = {}
    holding: dict[str, list[str]] = {}
    eps = (hi - lo) * 1e-9
    for row in rows:
        cid = str(row.get("id"))
        start[cid], at_lo = ev.verdict(row, lo)
        end[cid] = ev.verdict(row, hi)[0]
        holding[cid] = [f"{r.id} {o}" for r, s, o in zip(resolved.pack.rules, ev.severities, at_lo)
                        if s == "blocking" and o in ("fail", "missing")]
        points = []
        for x in sorted(_crossings(ev, row, lo, hi)):
            (below, ob), (at, _), (above, oc) = ev.verdict(row, x - eps), ev.verdict(row, x), ev.verdict(row, x + eps)
            if below == above == at:
                continue
            changed = tuple(r.id for r, p, q in zip(resolved.pack.rules, ob, oc) if p != q)
            points.append(Breakpoint(x, below, at, above, changed))
        breakpoints[cid] = points
    segments = eligible_segments(lo, hi, start, breakpoints)
    return SweepResult(name, lo, hi, grid, counts, breakpoints, start, in_force=float(value), pack=resolved.pack.name,
                       as_of=resolved.as_of.isoformat(), verdict_at_hi=end, holding=holding, steps=segments)


def eligible_segments(lo: float, hi: float, start: dict[str, str],
                      breakpoints: dict[str, list[Breakpoint]]) -> list[tuple[float, float, int]]:
    """(from, to, eligible count) between consecutive breakpoints, read off the breakpoints themselves.

    Between two breakpoints no verdict changes, so a candidate's verdict there is ``above`` of
    its last breakpoint before, or its verdict at ``lo`` if it has none yet.
    """
    marks = sorted({b.value for bps in breakpoints.values() for b in bps})
    index = {m: i for i, m in enumerate(marks)}
    delta = [0] * (len(marks) + 1)  # change of the eligible count entering segment i
    for cid, bps in breakpoints.items():
        state = bps[0].below if bps else start[cid]
        delta[0] += state == "eligible"
        for b in bps:
            delta[index[b.value] + 1] += (b.above == "eligible") - (state == "eligible")
            state = b.above
    edges = [lo, *marks, hi]
    out, count = [], 0
    for i, (a, b) in enumerate(zip(edges, edges[1:])):
        count += delta[i]
        out.append((a, b, count))
    return out


def sweep_csv(result: SweepResult) -> str:
    """sweep.csv: one row per candidate and breakpoint (a candidate without any gets one row)."""
    from screening.render.csv_out import neutralise

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["candidate_id", "verdict_at_from", "verdict_at_to", "value", "below", "at", "above", "rules"])
    for cid, bps in result.breakpoints.items():
        head = [neutralise(cid), result.verdict_at_lo[cid], result.verdict_at_hi.get(cid, "")]
        if not bps:
            w.writerow(head + [""] * 5)
        for b in bps:
            w.writerow(head + [repr(b.value), b.below, b.at, b.above, " ".join(b.rules)])
    return buf.getvalue()


def sweep_markdown(result: SweepResult) -> str:
    """sweep.md: the breakpoints as a brief."""
    from screening.render.markdown import md_cell

    lines = [f"# Sweep of `{md_cell(result.parameter)}` from {result.lo:g} to {result.hi:g}", "",
             f"Pack `{md_cell(result.pack)}`, screening date {result.as_of}; value in force {result.in_force:g}.", "",
             "| candidate | at " + f"{result.lo:g}" + " | breakpoints |", "| --- | --- | --- |"]
    for cid in result.breakpoints:
        lines.append(f"| {md_cell(cid)} | {result.verdict_at_lo[cid]} | {md_cell(result.summary_line(cid))} |")
    lines += ["", "| from | to | eligible |", "| --- | --- | --- |"]
    lines += [f"| {a:.6g} | {b:.6g} | {k} |" for a, b, k in result.steps]
    return "\n".join(lines) + "\n"


def sweep_html(result: SweepResult) -> str:
    """sweep.html: the chart and the breakpoints on one self-contained page."""
    from screening.render.html import render_template

    rows = [{"id": cid, "start": result.verdict_at_lo[cid], "end": result.verdict_at_hi.get(cid), "points": bps,
             "line": result.summary_line(cid)} for cid, bps in result.breakpoints.items()]
    return render_template("sweep.html.j2", r=result, rows=rows, chart=sweep_chart(result))


def sweep_chart(result: SweepResult, width: int = 640, height: int = 300) -> str:
    """An SVG step chart of the number of eligible candidates against the parameter (exact steps)."""
    pad_l, pad_b, pad_t, pad_r = 50, 40, 30, 20
    steps = result.steps or [(a, b, k) for a, b, k in zip(result.grid, result.grid[1:], result.eligible_counts)]
    top = max(max((k for _, _, k in steps), default=0), 1)

    def x(v: float) -> float:
        return pad_l + (v - result.lo) / (result.hi - result.lo) * (width - pad_l - pad_r)

    def y(c: float) -> float:
        return height - pad_b - c / top * (height - pad_b - pad_t)

    pts = []
    for a, b, k in steps:
        pts += [f"{x(a):.1f},{y(k):.1f}", f"{x(b):.1f},{y(k):.1f}"]
    marks = sorted({b.value for bps in result.breakpoints.values() for b in bps})
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="Eligible candidates by {escape(result.parameter)}">',
             f'<text x="{pad_l}" y="18" font-size="14" font-weight="600">'
             f'Eligible candidates by {escape(result.parameter)}</text>',
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width - pad_r}" y2="{height - pad_b}" stroke="#888"/>',
             f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{height - pad_b}" stroke="#888"/>',
             f'<polyline fill="none" stroke="#22a355" stroke-width="2" points="{" ".join(pts)}"/>']
    for m in marks:
        parts.append(f'<line x1="{x(m):.1f}" y1="{pad_t}" x2="{x(m):.1f}" y2="{height - pad_b}" stroke="#d64545" '
                     f'stroke-dasharray="4 3"><title>breakpoint {m:.6g}</title></line>')
    if result.in_force is not None and result.lo <= result.in_force <= result.hi:
        xf = x(result.in_force)
        parts.append(f'<line x1="{xf:.1f}" y1="{pad_t}" x2="{xf:.1f}" y2="{height - pad_b}" stroke="#1d4ed8"/>'
                     f'<text x="{xf + 4:.1f}" y="{pad_t + 10}" font-size="11" fill="#1d4ed8">'
                     f'in force {result.in_force:.4g}</text>')
    for v in (result.lo, (result.lo + result.hi) / 2, result.hi):
        parts.append(f'<text x="{x(v):.1f}" y="{height - pad_b + 16}" font-size="11" '
                     f'text-anchor="middle">{v:.4g}</text>')
    parts.append(f'<text x="{(pad_l + width - pad_r) / 2:.1f}" y="{height - 6}" font-size="11" '
                 f'text-anchor="middle">{escape(result.parameter)}</text>')
    for c in sorted({0, top}):
        parts.append(f'<text x="{pad_l - 8}" y="{y(c) + 4:.1f}" font-size="11" text-anchor="end">{c}</text>')
    parts.append("</svg>")
    return "".join(parts)
