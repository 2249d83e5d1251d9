"""The approval flow on durable_rules: durable decides whether an event is allowed.

Each step of the flow is one durable rule over a posted event ``{stage, event, by}``::

    {"$and": [{"stage": "recommended"}, {"event": "select"}, {"$or": [{"by": "president"}]}]}

An event that matches no rule raises MessageNotHandledException: it is refused. One ruleset per
loaded flow and one session serve every candidate (the current stage travels in the event; the
record of stages is SQLite's, see :mod:`screening.flow.store`), so durable's limit of 1024
sessions per ruleset never comes near. Dates and deadlines are plain date arithmetic in Python:
durable's timers run on the wall clock, and a screening date is not the wall clock.
"""

from __future__ import annotations

from screening.engines.durable import MessageNotHandledException, SyncHost
from screening.engines.durable import unique_ruleset_name as unique_name
from screening.flow.model import Flow


class FlowMachine:
    """Answers: may ``event`` by ``body`` move a candidate out of ``stage``, and to where?"""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.host = SyncHost()
        self.name = unique_name("flow")
        self._result: list[str] = []
        rules = {}
        for i, step in enumerate(flow.steps):
            bodies = [{"by": b} for b in step.bodies]
            cond = {"$and": [{"stage": step.source}, {"event": step.event},
                             bodies[0] if len(bodies) == 1 else {"$or": bodies}]}
            rules[f"step{i}"] = {"all": [{"m": cond}], "run": self._recorder(step.target)}
        self.host.set_rulesets({self.name: rules})

    def _recorder(self, target: str):  # noqa: ANN202 - durable calls it with a closure
        def record(c) -> None:  # noqa: ANN001
            self._result.append(target)
        return record

    def next_stage(self, stage: str, event: str, body: str) -> str | None:
        """The stage ``event`` leads to, or None if the flow does not allow it."""
        self._result.clear()
        try:
            self.host.post(self.name, {"stage": stage, "event": event, "by": body})
        except MessageNotHandledException:
            return None
        if len(self._result) != 1:
            raise RuntimeError(f"durable_rules gave {len(self._result)} outcomes for one event")
        return self._result[0]

    def why_refused(self, stage: str, event: str, body: str) -> str:
        """Words for a refusal (durable said no; this says which part of the event is wrong)."""
        if event not in self.flow.events:
            return f"unknown event '{event}' (events: {', '.join(sorted(self.flow.events))})"
        from_here = [s for s in self.flow.steps if s.event == event and s.source == stage]
        if not from_here:
            allowed = sorted({s.source for s in self.flow.steps if s.event == event})
            return f"wrong stage: '{event}' is allowed from {', '.join(allowed)}, but the candidate is '{stage}'"
        bodies = ", ".join(from_here[0].bodies)
        return f"wrong body: '{event}' from '{stage}' is done by {bodies}, not '{body}'"
