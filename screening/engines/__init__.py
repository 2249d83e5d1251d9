"""Engine backends: each decides the outcome of every rule for every candidate.

All backends take the same input (a resolved pack and the candidates' values, derived
fields included) and return the same thing: an outcome name per candidate and rule, in the
order of the candidates and of the pack's rules. They must agree exactly; the reference
backend is the definition (see tests/test_differential.py).
"""

from __future__ import annotations

from typing import Callable, Protocol, Sequence

from screening.pack.compiled import ResolvedPack

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
