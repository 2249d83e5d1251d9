"""Engine backends: each decides the outcome of every rule for every candidate.

All backends take the same input (a resolved pack and the candidates' values, derived
fields included) and return the same thing: an outcome name per candidate and rule, in the
order of the candidates and of the pack's rules. They must agree exactly; the reference
backend is the definition (see tests/test_differential.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from screening.pack.compiled import ResolvedPack

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: outcomes[candidate index][rule index] -> "pass" | "fail" | "missing" | "not_applicable"
OutcomeMatrix = list[list[str]]


class Engine(Protocol):
    """A backend that decides outcomes."""

    name: str

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        """Outcome of every rule (pack order) for every row (list order).

        ``rows`` hold each candidate's values by field name, derived fields included;
        ``None`` is missing. Parameters and ``as_of`` come from ``resolved``.
        """
        ...


def get_engine(name: str) -> Engine:
    """The backend called ``name``: ``durable`` (default of ``screen run``), ``vector`` or ``reference``."""
    factories: dict[str, Callable[[], Engine]] = {}
    from screening.engines.reference import ReferenceEngine
    factories["reference"] = ReferenceEngine
    try:
        from screening.engines.durable import DurableEngine
        factories["durable"] = DurableEngine
    except ImportError:  # pragma: no cover - durable is a hard dependency; this is for half-built trees
        pass
    try:
        from screening.engines.vector import VectorEngine
        factories["vector"] = VectorEngine
    except ImportError:  # pragma: no cover
        pass
    if name not in factories:
        raise ValueError(f"unknown engine '{name}' (available: {', '.join(sorted(factories))})")
    return factories[name]()


def decide_codes(name: str, resolved: ResolvedPack, frame: "pd.DataFrame") -> "np.ndarray":
    """The outcome code matrix (candidates × rules, int8; :mod:`screening.trace`) of backend ``name``
    for a typed frame (derived fields included). The vector backend reads the columns as they
    are; the others get the rows as plain values."""
    from screening.trace import codes_from_names, field_kinds
    if name == "vector":
        from screening.engines.vector import decide_codes as vector_codes
        return vector_codes(resolved, frame)
    from screening.engines.vector_columns import records
    engine = get_engine(name)
    rows = records(frame, field_kinds(resolved))
    return codes_from_names(engine.decide(resolved, rows), len(resolved.pack.rules))
