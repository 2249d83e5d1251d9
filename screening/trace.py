"""The trace of a run: the decided outcome matrix and the columns the rules read.

Every explanation (messages, values read, fixes, remedies) and every renderer reads this one
structure, whichever engine decided; nothing decides a rule again. Outcomes are small integer
codes (``numpy.int8``), one row per candidate and one column per rule, so a million candidates
cost a few megabytes rather than millions of Python objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from screening.pack.compiled import BUILTIN_NAMES, ResolvedPack

OUTCOMES = ("pass", "fail", "missing", "not_applicable")
PASS, FAIL, MISSING, NOT_APPLICABLE = range(4)
CODE = {name: code for code, name in enumerate(OUTCOMES)}
VERDICTS = ("eligible", "ineligible", "incomplete")
ELIGIBLE, INELIGIBLE, INCOMPLETE = range(3)
FLOW_NAMES = tuple(name for name in BUILTIN_NAMES if name != "as_of")


def field_kinds(resolved: ResolvedPack) -> dict[str, str]:
    """Pack field type of every column a trace frame holds: the pack's fields and the flow's built-ins."""
    kinds = {name: BUILTIN_NAMES[name] for name in FLOW_NAMES}
    kinds.update(resolved.pack.computed_names())  # the finance fields, when the pack has a finance section
    kinds.update({name: f.spec.type.value for name, f in resolved.pack.fields.items()})
    kinds.update({name: t.output for name, t in getattr(resolved.pack, "tables", {}).items()})  # decision tables
    return kinds


def codes_from_names(matrix: Sequence[Sequence[str]], rules: int) -> np.ndarray:
    """An engine's outcome names as a code matrix (candidates × rules, int8)."""
    out = np.empty((len(matrix), rules), dtype=np.int8)
    for i, row in enumerate(matrix):
        out[i] = [CODE[o] for o in row]
    return out


def verdict_codes(resolved: ResolvedPack, codes: np.ndarray) -> np.ndarray:
    """Each candidate's verdict code: a blocking fail, else a blocking missing, else eligible."""
    blocking = np.array([r.spec.severity.value == "blocking" for r in resolved.pack.rules], dtype=bool)
    out = np.zeros(len(codes), dtype=np.int8)
    if not blocking.any() or not len(codes):
        return out
    block = codes[:, blocking]
    out[(block == MISSING).any(axis=1)] = INCOMPLETE
    out[(block == FAIL).any(axis=1)] = INELIGIBLE
    return out


@dataclass
class Trace:
    """What an engine decided and what it read.

    Attributes:
        resolved: the pack with its parameters fixed.
        frame: one row per candidate: a typed column for every field of the pack (derived ones
            included) and for the flow's built-in names.
        codes: outcome codes (``OUTCOMES`` order), candidates × rules (pack order).
        inputs: the candidate list as read (declared and undeclared columns), same rows.
        row_numbers: each candidate's row in the list (as a spreadsheet shows it).
        engine: the backend that decided.
    """

    resolved: ResolvedPack
    frame: pd.DataFrame
    codes: np.ndarray
    inputs: pd.DataFrame
    row_numbers: np.ndarray
    engine: str = "vector"
    _verdicts: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def rules(self):  # noqa: ANN201 - list[PackRule]
        return self.resolved.pack.rules

    @property
    def verdicts(self) -> np.ndarray:
        """Verdict codes (``VERDICTS`` order), one per candidate."""
        if self._verdicts is None:
            self._verdicts = verdict_codes(self.resolved, self.codes)
        return self._verdicts

    @property
    def ids(self) -> list[str]:
        return [str(v) for v in self.frame["id"].tolist()]

    def summary(self) -> dict[str, int]:
        counts = np.bincount(self.verdicts, minlength=len(VERDICTS))
        return {v: int(counts[k]) for k, v in enumerate(VERDICTS)}

    def rule_summary(self) -> dict[str, dict[str, int]]:
        """Per rule (pack order): how many candidates had each outcome."""
        out = {}
        for j, rule in enumerate(self.rules):
            counts = np.bincount(self.codes[:, j], minlength=len(OUTCOMES))
            out[rule.id] = {o: int(counts[k]) for k, o in enumerate(OUTCOMES)}
        return out

    def take(self, index: Sequence[int] | np.ndarray) -> "Trace":
        """The trace of some candidates only (in the order given)."""
        idx = np.asarray(index, dtype=np.int64)
        return Trace(self.resolved, self.frame.take(idx).reset_index(drop=True), self.codes[idx],
                     self.inputs.take(idx).reset_index(drop=True), self.row_numbers[idx], self.engine,
                     None if self._verdicts is None else self._verdicts[idx])
