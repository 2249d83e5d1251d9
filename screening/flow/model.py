"""Check a pack's ``flow:`` section and compile it into a :class:`Flow`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from screening.errors import InputError, Problem
from screening.pack.compiled import RulePack


@dataclass(frozen=True)
class Step:
    """One allowed move: ``event`` takes a candidate from ``source`` to ``target`` when done by one of ``bodies``."""

    event: str
    source: str
    target: str
    bodies: tuple[str, ...]


@dataclass(frozen=True)
class Deadline:
    """A candidate in ``state`` for more than ``days`` moves to ``then``."""

    state: str
    days: int
    then: str
    business_days: bool = False

    def due(self, since: dt.date) -> dt.date:
        """The last day on which the candidate may still act (day ``days`` counted from ``since``)."""
        if not self.business_days:
            return since + dt.timedelta(days=self.days)
        day, left = since, self.days
        while left:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return day


@dataclass(frozen=True)
class Flow:
    """A validated approval flow."""

    start: str
    states: tuple[str, ...]
    steps: tuple[Step, ...]
    deadlines: tuple[Deadline, ...]
    bodies: tuple[str, ...]

    @property
    def events(self) -> set[str]:
        return {s.event for s in self.steps}

    def deadline_for(self, state: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.state == state), None)


def compile_flow(pack: RulePack) -> Flow:
    """The pack's flow, checked; raises InputError naming file and line for every problem."""
    if pack.flow is None:
        raise InputError([Problem(f"pack '{pack.name}' defines no approval flow ('flow:' section)", file=pack.path)])
    spec, place = pack.flow, pack.flow_place
    problems: list[Problem] = []

    def err(message: str) -> None:
        problems.append(Problem(message, file=place.file if place else pack.path, line=place.line if place else None))

    steps: list[Step] = []
    seen: dict[tuple[str, str], str] = {}
    bodies: dict[str, None] = {}
    for t in spec.transitions:
        if len(set(t.by)) != len(t.by):
            err(f"event '{t.event}' names a body twice in 'by'")
        for b in t.by:
            bodies.setdefault(b, None)
        for source in t.sources:
            if (t.event, source) in seen:
                err(f"event '{t.event}' from '{source}' is defined twice")
            seen[(t.event, source)] = t.to
            if source == t.to:
                err(f"event '{t.event}' leads from '{source}' to itself")
            steps.append(Step(t.event, source, t.to, tuple(t.by)))
    states: dict[str, None] = {spec.start: None}
    for s in steps:
        states.setdefault(s.source, None)
        states.setdefault(s.target, None)
    deadlines = []
    for d in spec.deadlines:
        if d.in_ not in states:
            err(f"deadline in unknown stage '{d.in_}' (stages: {', '.join(states)})")
        states.setdefault(d.then, None)
        days: object = d.days
        if isinstance(days, str):
            param = pack.parameters.get(days)
            value = param.spec.value if param is not None else None
            if param is None:
                err(f"deadline days '{days}' is not a parameter of the pack")
            elif isinstance(value, bool) or not isinstance(value, int):
                err(f"deadline days '{days}' must be a whole-number parameter, not {value!r}")
            else:
                days = value
        if isinstance(days, int) and days <= 0:
            err(f"deadline days must be positive, not {days}")
        if isinstance(days, int):
            deadlines.append(Deadline(d.in_, days, d.then, d.business_days))
    reachable = {spec.start}
    frontier = [spec.start]
    while frontier:
        state = frontier.pop()
        nxt = [s.target for s in steps if s.source == state] + [d.then for d in deadlines if d.state == state]
        for target in nxt:
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    for state in states:
        if state not in reachable:
            err(f"stage '{state}' cannot be reached from the start stage '{spec.start}'")
    if problems:
        raise InputError(problems)
    return Flow(spec.start, tuple(states), tuple(steps), tuple(deadlines), tuple(bodies))
