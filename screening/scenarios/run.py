"""Scenario runs: every candidate repeated ``draws`` times with its inputs varied, decided by the
vectorised engine on the whole draws table, reduced to shares and percentiles.

The draws table is built chunk by chunk (at most ``chunk_rows`` rows at a time: a chunk holds
whole candidates, or a run of one candidate's draws), so memory does not grow with
candidates × draws. Each chunk goes through the same steps as ``screen run`` with the vector
backend: typed frame -> derived fields (:func:`with_derived_frame`) -> finance fields -> outcomes
(:func:`decide_frame`). Nothing here decides a rule: shares are counts of the engine's outcomes.

A missing input stays missing in every draw: only present values are scaled, shifted or
replaced. Varied numbers are kept inside the field's declared ``min``/``max`` and an integer
field is rounded to a whole number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from screening import __version__
from screening.derive import with_derived
from screening.engines.vector import build_frame, decide_frame, field_kinds, with_derived_frame
from screening.engines.vector_columns import Col, from_series, to_array
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate
from screening.outcomes import VERDICTS, now_utc
from screening.pack.compiled import ResolvedPack
from screening.scenarios.result import CandidateScenario, RuleInfo, ScenarioResult, spread, value_shares
from screening.scenarios.sampling import sample, stream
from screening.scenarios.spec import LoadedSpec, VarySpec

#: Rows of the draws table evaluated at once (bounded memory; results do not depend on it).
CHUNK_ROWS = 50_000
_ELIGIBLE, _INELIGIBLE, _INCOMPLETE = range(3)
_OUTCOME_CODES = ("pass", "fail", "missing", "not_applicable")
#: Draws kept per candidate for histograms of finance fields (a deterministic, evenly spaced subset).
HISTOGRAM_SAMPLES = 10_000


@dataclass
class _Pending:
    """A candidate's counts and values while its draws are being evaluated."""

    verdicts: np.ndarray
    rules: np.ndarray
    values: dict[str, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)


def segments(candidates: int, draws: int, chunk_rows: int) -> Iterator[list[tuple[int, int, int]]]:
    """Chunks of the draws table as lists of ``(candidate index, first draw, end draw)``."""
    chunk: list[tuple[int, int, int]] = []
    rows = 0
    for ci in range(candidates):
        d = 0
        while d < draws:
            take = min(draws - d, chunk_rows - rows)
            chunk.append((ci, d, d + take))
            rows += take
            d += take
            if rows == chunk_rows:
                yield chunk
                chunk, rows = [], 0
    if chunk:
        yield chunk


class _Variations:
    """The draws of every varied field, read chunk by chunk from per-candidate and shared streams."""

    def __init__(self, vary: Mapping[str, VarySpec], ids: Sequence[str], seed: int, draws: int) -> None:
        self.vary = dict(vary)
        self.ids = list(ids)
        self.seed = seed
        self.open: dict[tuple[int, str], np.random.Generator] = {}
        self.shared = {name: sample(v.distribution, stream(seed, "shared", name), draws)
                       for name, v in self.vary.items() if v.shared}

    def draws_for(self, name: str, chunk: list[tuple[int, int, int]]) -> np.ndarray:
        """The draws of field ``name`` for every row of ``chunk``, in row order."""
        vary = self.vary[name]
        parts = []
        for ci, d0, d1 in chunk:
            if vary.shared:
                parts.append(self.shared[name][d0:d1])
                continue
            key = (ci, name)
            if key not in self.open:
                self.open[key] = stream(self.seed, "candidate", self.ids[ci], name)
            parts.append(sample(vary.distribution, self.open[key], d1 - d0))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def close(self, ci: int) -> None:
        for name in self.vary:
            self.open.pop((ci, name), None)


def vary_column(col: Col, vary: VarySpec, drawn: np.ndarray, kind: str, bounds: tuple[float | None, float | None]) -> Col:
    """``col`` with ``drawn`` applied by ``vary``'s mode; missing values stay missing."""
    if kind in ("number", "integer"):
        base = np.where(col.mask, 0.0, col.values.astype(np.float64, copy=False))
        values = base * drawn if vary.mode == "scale" else base + drawn if vary.mode == "add" else drawn.astype(np.float64)
        low, high = bounds
        if low is not None or high is not None:
            values = np.clip(values, low, high)
        if kind == "integer":
            values = np.rint(values)
        return Col("number", np.where(col.mask, 0.0, values), col.mask)
    if kind == "bool":
        return Col("bool", np.where(col.mask, False, drawn.astype(bool)), col.mask)
    values = drawn.astype(object)
    values[col.mask] = ""
    return Col("string", values, col.mask)


def _codes(outcomes: pd.DataFrame) -> np.ndarray:
    """Outcome names -> codes 0..3 (pass, fail, missing, not_applicable), rows × rules."""
    codes = np.full(outcomes.shape, 3, dtype=np.int8)
    for j, rule in enumerate(outcomes.columns):
        values = outcomes[rule].to_numpy(dtype=object)
        for code, name in enumerate(_OUTCOME_CODES[:3]):
            codes[values == name, j] = code
    return codes


def _verdicts(codes: np.ndarray, blocking: np.ndarray) -> np.ndarray:
    block = codes[:, blocking]
    failed = (block == 1).any(axis=1)
    missing = (block == 2).any(axis=1)
    return np.where(failed, _INELIGIBLE, np.where(missing, _INCOMPLETE, _ELIGIBLE)).astype(np.int8)


#: (resolved, chunk frame with derived fields, each row's candidate index, cash-flow factors by
#: ``cash``/``invest``) -> finance field columns. See :mod:`screening.scenarios.finance`.
FinanceHook = Callable[[ResolvedPack, pd.DataFrame, np.ndarray, Mapping[str, np.ndarray]], Mapping[str, Col]]


def run_scenarios(resolved: ResolvedPack, records: Sequence[Mapping[str, object]], loaded: LoadedSpec, *,
                  draws: int | None = None, seed: int | None = None,
                  flow_values: Mapping[str, Mapping[str, object]] | None = None,
                  finance: FinanceHook | None = None, finance_fields: Sequence[str] = (),
                  chunk_rows: int = CHUNK_ROWS, run_info: Mapping[str, object] | None = None,
                  progress: Callable[[int, int], None] | None = None) -> ScenarioResult:
    """Screen every candidate under ``draws`` variations of its inputs.

    Args:
        resolved: the pack with its parameters fixed for the screening date.
        records: the typed candidates (plain values, ``None`` missing), list order.
        loaded: the validated spec; ``draws``/``seed`` override the spec's.
        flow_values: per candidate id, ``stage``/``stage_since``/``deadline`` from a flow record.
        finance: computes the finance fields of a chunk (given the frame with derived fields and
            each row's candidate index); None when the pack has no finance section.
        finance_fields: names ``finance`` returns, reported as percentiles.
        chunk_rows: rows of the draws table evaluated at once.
        run_info: extra keys for the ``run`` header (candidates file, its hash).
        progress: called as ``progress(rows done, rows total)``.
    """
    spec = loaded.spec
    n_draws = spec.draws if draws is None else draws
    n_seed = spec.seed if seed is None else seed
    pack = resolved.pack
    base_rows = []
    for record in records:
        row = {k: v for k, v in record.items() if k in pack.fields}
        row.update({"stage": None, "stage_since": None, "deadline": None})
        if flow_values is not None:
            row.update(flow_values.get(str(record.get("id")), {}))
        base_rows.append(row)
    ids = [str(r.get("id")) for r in base_rows]
    base = build_frame(resolved, base_rows)
    kinds = field_kinds(resolved)
    rules = pack.rules
    blocking = np.array([r.spec.severity.value == "blocking" for r in rules], dtype=bool)
    baseline = [VERDICTS[v] for v in _decide(resolved, base, np.arange(len(base_rows)), finance, blocking)[1]] \
        if base_rows else []
    streams = spec.streams()
    variations = _Variations(streams, ids, n_seed, n_draws)
    numeric_varied = [name for name in streams if name not in spec.vary or kinds[name] in ("number", "integer")]
    reported = list(finance_fields) + list(streams)
    floors = floor_rules(resolved, [*finance_fields, *numeric_varied])
    listed = with_derived(resolved, base_rows) if floors else []
    portfolio = None
    if getattr(pack, "portfolio_rules", None):
        from screening.scenarios.portfolio import DrawPortfolio
        portfolio = DrawPortfolio(resolved, n_draws)
    pending: dict[int, _Pending] = {}
    finished: list[CandidateScenario] = []
    total, done = len(base_rows) * n_draws, 0
    for chunk in segments(len(base_rows), n_draws, chunk_rows):
        index = np.concatenate([np.full(d1 - d0, ci, dtype=np.int64) for ci, d0, d1 in chunk])
        frame = base.take(index).reset_index(drop=True)
        varied = {}
        for name, vary in spec.vary.items():
            spec_field = pack.fields[name].spec
            col = from_series(frame[name], kinds[name])
            new = vary_column(col, vary, variations.draws_for(name, chunk), kinds[name], (spec_field.min, spec_field.max))  # type: ignore[arg-type]
            varied[name] = pd.Series(to_array(new, len(frame)), index=frame.index, copy=False)
        frame = frame.assign(**varied)
        factors = {name.split(".", 1)[1]: variations.draws_for(name, chunk) for name in streams if name not in spec.vary}
        codes, verdicts, values, decided = _decide(resolved, frame, index, finance, blocking, reported, factors)
        if portfolio is not None:
            portfolio.add(resolved, decided, verdicts,
                          np.concatenate([np.arange(d0, d1, dtype=np.int64) for _, d0, d1 in chunk]))
        start = 0
        for ci, d0, d1 in chunk:
            stop = start + (d1 - d0)
            acc = pending.setdefault(ci, _Pending(np.zeros(3, np.int64), np.zeros((len(rules), 4), np.int64)))
            acc.verdicts += np.bincount(verdicts[start:stop], minlength=3)
            flat = (np.arange(len(rules))[None, :] * 4 + codes[start:stop]).ravel()
            acc.rules += np.bincount(flat, minlength=len(rules) * 4).reshape(len(rules), 4)
            for name, (vals, mask) in values.items():
                acc.values.setdefault(name, []).append((vals[start:stop], mask[start:stop]))
            if d1 == n_draws:
                done_candidate = _finish(ids[ci], str(baseline[ci]), acc, n_draws, rules, blocking,
                                         list(finance_fields), numeric_varied, streams, kinds)
                done_candidate.floors = floors_of(resolved, listed[ci], floors) if floors else {}
                finished.append(done_candidate)
                del pending[ci]
                variations.close(ci)
            start = stop
        done += len(index)
        if progress is not None:
            progress(done, total)
    run = {
        "pack": pack.name, "pack_version": pack.version, "pack_title": pack.title, "pack_hash": pack.hash,
        **(run_info or {}),
        "spec": loaded.file.rsplit("/", 1)[-1], "spec_title": spec.title, "spec_hash": loaded.hash,
        "draws": n_draws, "seed": n_seed, "as_of": resolved.as_of.isoformat(),
        "vary": {name: {"how": v.describe(), "source": v.source} for name, v in streams.items()},
        "finance_fields": list(finance_fields),
        "engine": f"vector (pandas {pd.__version__})", "random": f"numpy {np.__version__} PCG64",
        "tool_version": __version__, "started_at": now_utc(),
    }
    infos = [RuleInfo(r.id, r.spec.title, r.spec.category.value, r.spec.severity.value) for r in rules]
    return ScenarioResult(run=run, rules=infos, candidates=finished,
                          portfolio=portfolio.result(resolved) if portfolio is not None and base_rows else None)


def floor_rules(resolved: ResolvedPack, names: Sequence[str]) -> dict[str, tuple[str, str, n.Node]]:
    """For each of ``names``, the first blocking rule (then advisory) that compares it with an
    expression reading no varied quantity: ``(rule id, comparison that passes, other side)``."""
    found: dict[str, tuple[str, str, n.Node]] = {}
    flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
    for rule in sorted(resolved.pack.rules, key=lambda r: r.spec.severity.value != "blocking"):
        for node in rule.require.walk():
            if not isinstance(node, n.Compare) or node.op not in flip:
                continue
            for side, other, op in ((node.left, node.right, node.op), (node.right, node.left, flip[node.op])):
                if isinstance(side, n.Name) and side.id in names and side.id not in found \
                        and not set(other.names()) & set(names):
                    found[side.id] = (rule.id, op, other)
    return {name: found[name] for name in names if name in found}


def floors_of(resolved: ResolvedPack, row: Mapping[str, object],
              rules: Mapping[str, tuple[str, str, n.Node]]) -> dict[str, dict[str, object]]:
    """The floor (or ceiling) each rule of :func:`floor_rules` sets for one candidate at its listed figures."""
    env = {**row, **resolved.constants()}
    out: dict[str, dict[str, object]] = {}
    for name, (rule_id, op, other) in rules.items():
        try:
            value = evaluate(other, env)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            out[name] = {"rule": rule_id, "passes": op, "threshold": other.text, "value": float(value)}
    return out


def _decide(resolved: ResolvedPack, frame: pd.DataFrame, index: np.ndarray, finance: FinanceHook | None,
            blocking: np.ndarray, reported: Sequence[str] = (),
            factors: Mapping[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, dict, pd.DataFrame]:
    """Derived fields, finance fields and outcomes of one chunk; returns codes, verdicts, the
    reported columns as (values, mask) and the frame the rules read."""
    frame = with_derived_frame(resolved, frame)
    if finance is not None:
        computed = finance(resolved, frame, index, factors or {})
        frame = frame.assign(**{name: pd.Series(to_array(col, len(frame)), index=frame.index, copy=False)
                                for name, col in computed.items()})
    codes = _codes(decide_frame(resolved, frame))
    verdicts = _verdicts(codes, blocking)
    values = {}
    kinds = field_kinds(resolved)
    for name in reported:
        if name.startswith("cashflows."):
            drawn = (factors or {})[name.split(".", 1)[1]]
            values[name] = (drawn, np.zeros(len(drawn), dtype=bool))
            continue
        col = from_series(frame[name], kinds.get(name, "number"))
        values[name] = (col.values, col.mask)  # type: ignore[union-attr]
    return codes, verdicts, values, frame


def _finish(cid: str, baseline: str, acc: _Pending, draws: int, rules: Sequence, blocking: np.ndarray,
            finance_fields: list[str], numeric_varied: list[str], vary: Mapping[str, VarySpec],
            kinds: Mapping[str, str]) -> CandidateScenario:
    verdicts = {v: int(acc.verdicts[i]) / draws for i, v in enumerate(VERDICTS)}
    shares = {r.id: {name: int(acc.rules[j, k]) / draws for k, name in enumerate(_OUTCOME_CODES)}
              for j, r in enumerate(rules)}
    fails = np.where(blocking, acc.rules[:, 1], 0)
    deciding = rules[int(np.argmax(fails))].id if fails.size and fails.max() > 0 else None
    joined = {name: (np.concatenate([v for v, _ in parts]), np.concatenate([m for _, m in parts]))
              for name, parts in acc.values.items()}
    finance = {name: spread(*joined[name], draws, dates=kinds.get(name) == "date") for name in finance_fields}
    varied = {name: spread(*joined[name], draws) if name in numeric_varied else value_shares(*joined[name], draws)
              for name in vary}
    step = max(1, draws // HISTOGRAM_SAMPLES)
    samples = {name: joined[name][0][::step][~joined[name][1][::step]] for name in [*finance_fields, *numeric_varied]
               if kinds.get(name) != "date"}
    return CandidateScenario(cid, draws, baseline, verdicts, shares, finance, varied, deciding, samples=samples)  # type: ignore[arg-type]

