"""Outcome records: what every renderer reads. Verdicts, summaries and run metadata.

The engine decides outcome names; :func:`build_results` turns them into records with the
message, the values read, the fix and the rule's source. Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence

from screening.explain import Fix, find_fix, jsonable, message_for, values_read
from screening.fixes import Remedy, find_remedy, find_rule_fix
from screening.pack.compiled import ResolvedPack

if TYPE_CHECKING:
    from screening.explain_columns import ColumnExplainer
    from screening.portfolio import PortfolioResult
    from screening.trace import Trace

#: Above this many candidates, fixes are searched only for direct comparisons (see build_results).
GENERAL_FIXES_MAX_ROWS = 5_000
OUTCOMES = ("pass", "fail", "missing", "not_applicable")
VERDICTS = ("eligible", "ineligible", "incomplete")


@dataclass(frozen=True)
class Outcome:
    """One rule's outcome for one candidate."""

    rule: str
    title: str
    category: str
    severity: str
    outcome: str
    message: str
    values: dict[str, object]
    fix: Fix | None
    source: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule, "title": self.title, "category": self.category, "severity": self.severity,
            "outcome": self.outcome, "message": self.message, "values": self.values,
            "fix": self.fix.as_dict() if self.fix else None, "source": self.source,
        }


@dataclass
class CandidateResult:
    """A candidate's verdict and every rule's outcome, in pack order."""

    id: str
    verdict: str
    outcomes: list[Outcome]
    row: int | None = None
    inputs: dict[str, object] = field(default_factory=dict)
    remedy: Remedy | None = None
    finance: dict[str, object] | None = None  # CONTRACT §9 fields, when the pack has a finance section

    def as_dict(self) -> dict[str, object]:
        out = {"id": self.id, "verdict": self.verdict, "row": self.row, "inputs": self.inputs,
               "remedy": self.remedy.as_dict() if self.remedy else None}
        if self.finance is not None:
            out["finance"] = {k: jsonable(v) for k, v in self.finance.items()}
        out["outcomes"] = [o.as_dict() for o in self.outcomes]  # type: ignore[assignment]
        return out  # type: ignore[return-value]


def _label_text(value: object) -> str:
    return "" if value is None or value is pd_NA() or value != value else str(value)


def pd_NA() -> object:  # noqa: N802 - pandas' missing marker, imported late
    import pandas as pd
    return pd.NA


@dataclass
class RunResult:
    """A whole screening run: metadata, summary, per-candidate results and the portfolio's (§10).

    A run screened by :func:`screening.screen.screen_table` carries its :class:`~screening.trace.Trace`
    (the decided outcome matrix and the columns read); ``candidates`` is then a sequence that
    builds each :class:`CandidateResult` only when it is read, and the JSON, CSV and Parquet
    renderers read the trace directly, a rule at a time.
    """

    run: dict[str, object]
    candidates: Sequence[CandidateResult] = field(default_factory=list)
    portfolio: "PortfolioResult | None" = None
    trace: "Trace | None" = None
    general_fixes: bool = False
    _explainer: "ColumnExplainer | None" = field(default=None, repr=False)
    finance: Any = None  # the run's FinanceTable (waterfalls for explain and the report); not serialised
    #: Rows refused under ``--skip-bad-rows`` (screening.rejects.RejectedRow), in file order.
    rejected: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.trace is not None and not self.candidates:
            self.candidates = TraceCandidates(self)

    @property
    def explainer(self) -> "ColumnExplainer":
        """Messages, values read, fixes and remedies of the trace (built on first use, then kept)."""
        if self.trace is None:
            raise ValueError("this result has no trace")
        if self._explainer is None:
            from screening.explain_columns import ColumnExplainer
            self._explainer = ColumnExplainer(self.trace, general_fixes=self.general_fixes)
        return self._explainer

    @property
    def summary(self) -> dict[str, int]:
        if self.trace is not None:
            return self.trace.summary()
        counts = dict.fromkeys(VERDICTS, 0)
        for c in self.candidates:
            counts[c.verdict] += 1
        return counts

    @property
    def count(self) -> int:
        """How many candidates were screened."""
        return len(self.candidates)

    @property
    def label(self) -> str | None:
        """The input field that names a candidate in reports (the pack's ``label``), if any."""
        label = self.run.get("label")
        return str(label) if label else None

    def labels(self, count: int | None = None) -> list[str]:
        """Each candidate's name (the ``label`` field, '' where missing), in list order."""
        label = self.label
        if label is None:
            return []
        if self.trace is not None:
            column = self.trace.inputs[label] if label in self.trace.inputs.columns else None
            values = [] if column is None else column.iloc[:count].tolist()
            return [_label_text(v) for v in values] if values else [""] * min(len(self.trace), count or len(self.trace))
        return [_label_text(c.inputs.get(label)) for c in list(self.candidates)[:count]]

    def rule_summary(self) -> dict[str, dict[str, int]]:
        """Per rule (pack order): how many candidates had each outcome."""
        if self.trace is not None:
            return self.trace.rule_summary()
        table: dict[str, dict[str, int]] = {}
        for c in self.candidates:
            for o in c.outcomes:
                table.setdefault(o.rule, dict.fromkeys(OUTCOMES, 0))[o.outcome] += 1
        return table

    def find(self, candidate_id: str) -> CandidateResult | None:
        """One candidate's result by id (only that candidate is explained)."""
        if self.trace is None:
            return next((c for c in self.candidates if c.id == candidate_id), None)
        hits = [i for i, v in enumerate(self.trace.ids) if v == candidate_id]
        if not hits:
            return None
        return RunResult(self.run, trace=self.trace.take(hits[:1]), general_fixes=self.general_fixes).candidates[0]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"run": self.run, "summary": self.summary}
        if self.portfolio is not None:
            out["portfolio"] = self.portfolio.as_dict()
        out["candidates"] = [c.as_dict() for c in self.candidates]
        return out


class TraceCandidates(SequenceABC):
    """The candidates of a traced run, each built as a :class:`CandidateResult` when read (not kept)."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        self._inputs: dict[str, list[object]] | None = None

    def __len__(self) -> int:
        return len(self.result.trace)  # type: ignore[arg-type]

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - int or slice, as a list
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._build(index)

    def __iter__(self):  # noqa: ANN204
        return (self._build(i) for i in range(len(self)))

    def _build(self, i: int) -> CandidateResult:
        trace = self.result.trace
        ex = self.result.explainer
        if self._inputs is None:
            from screening.candidates import column_values
            self._inputs = column_values(trace.inputs)  # type: ignore[union-attr]
        codes = trace.codes[i].tolist()  # type: ignore[union-attr]
        outcomes = []
        for j, rule in enumerate(trace.rules):  # type: ignore[union-attr]
            outcomes.append(Outcome(
                rule=rule.id, title=rule.spec.title, category=rule.spec.category.value,
                severity=rule.spec.severity.value, outcome=OUTCOMES[codes[j]], message=ex.messages(j)[i],
                values=ex.values_at(j, i), fix=ex.fixes(j).get(i) if codes[j] == 1 else None, source=rule.spec.source,
            ))
        return CandidateResult(
            id=str(trace.frame["id"].iat[i]), verdict=VERDICTS[int(trace.verdicts[i])], outcomes=outcomes,  # type: ignore[union-attr]
            row=int(trace.row_numbers[i]),  # type: ignore[union-attr]
            inputs={k: jsonable(v[i]) for k, v in self._inputs.items()},
            remedy=ex.remedies().get(i),  # type: ignore[arg-type]
            finance=finance_values(trace, i),  # type: ignore[arg-type]
        )


def finance_values(trace: "Trace", i: int) -> dict[str, object] | None:
    """Candidate ``i``'s finance fields as the trace holds them (None without a finance section)."""
    if trace.resolved.pack.finance is None:
        return None
    from screening.finance.names import FINANCE_FIELDS
    out: dict[str, object] = {}
    for name, kind in FINANCE_FIELDS.items():
        v = trace.frame[name].iat[i]
        if v is None or v is pd_NA():
            out[name] = None
        else:
            out[name] = dt.date.fromordinal(int(v)) if kind == "date" else float(v)
    return out


def verdict_of(outcomes: Sequence[tuple[str, str]]) -> str:
    """Verdict from (severity, outcome) pairs: a blocking fail, else a blocking missing, else eligible."""
    blocking = [o for s, o in outcomes if s == "blocking"]
    if "fail" in blocking:
        return "ineligible"
    if "missing" in blocking:
        return "incomplete"
    return "eligible"


def build_results(resolved: ResolvedPack, rows: Sequence[dict[str, object]], matrix: Sequence[Sequence[str]],
                  *, row_numbers: Sequence[int] | None = None, inputs: Sequence[dict[str, object]] | None = None,
                  progress: Callable[[int], None] | None = None, general_fixes: bool | None = None
                  ) -> list[CandidateResult]:
    """Turn an engine's outcome matrix into records with messages, values read and fixes.

    ``progress``, if given, is called with the number of candidates done, every 500.
    ``general_fixes`` searches fixes through derived fields and whole-candidate remedies
    (default: for lists up to GENERAL_FIXES_MAX_ROWS candidates; the search costs time).
    """
    if general_fixes is None:
        general_fixes = len(rows) <= GENERAL_FIXES_MAX_ROWS
    constants = resolved.constants()
    pack = resolved.pack
    results = []
    for i, (row, decided) in enumerate(zip(rows, matrix)):
        env = {**row, **constants}
        outcomes = []
        for rule, outcome in zip(pack.rules, decided):
            fix = None
            if outcome == "fail":
                fix = find_fix(rule, env, pack) or (find_rule_fix(rule, env, resolved) if general_fixes else None)
            outcomes.append(Outcome(
                rule=rule.id, title=rule.spec.title, category=rule.spec.category.value,
                severity=rule.spec.severity.value, outcome=outcome, message=message_for(rule, env, outcome),
                values=values_read(rule, env, pack), fix=fix, source=rule.spec.source,
            ))
        verdict = verdict_of([(o.severity, o.outcome) for o in outcomes])
        remedy = None
        if verdict != "eligible" and general_fixes:
            remedy = find_remedy(resolved, env, {o.rule: o.outcome for o in outcomes})
        results.append(CandidateResult(
            id=str(row.get("id")), verdict=verdict, outcomes=outcomes,
            row=row_numbers[i] if row_numbers is not None else None,
            inputs={k: jsonable(v) for k, v in (inputs[i] if inputs is not None else {}).items()},
            remedy=remedy,
        ))
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1)
    if progress is not None:
        progress(len(results))
    return results


def parameters_in_force(resolved: ResolvedPack) -> dict[str, dict[str, object]]:
    """Each parameter's value on the screening date, the date it has been in force since, and its source."""
    return {
        name: {"value": jsonable(value), "since": resolved.since[name].isoformat() if resolved.since[name] else None,  # type: ignore[union-attr]
               "source": resolved.sources[name]}
        for name, value in resolved.params.items()
    }


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
