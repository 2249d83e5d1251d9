"""The durable_rules backend: durable's matching decides every outcome.

The pack is compiled (:mod:`screening.engines.durable_compile`) into rulesets registered on a
fresh synchronous host; one event per (candidate, rule) is posted into a single session, and
the action of the one durable rule that matches records the outcome. No match means
``missing``. Limits respected: rulesets are split into chunks (durable fails past a few hundred
rules per ruleset), one session is reused (durable refuses more than 1024 per ruleset), events
carry only the properties their rule reads (durable allows about 30), and posted events are
consumed, so no state accumulates.
"""

from __future__ import annotations

from typing import Sequence

from screening.durable_host import MessageNotHandledException, SyncHost, unique_name
from screening.engines import OutcomeMatrix
from screening.engines.durable_compile import CompiledRule, compile_rules
from screening.pack.compiled import BUILTIN_NAMES, ResolvedPack

#: Pack rules per durable ruleset (each becomes up to three durable rules).
RULES_PER_RULESET = 60
#: Properties an event may carry: durable's limit is about 32, two of them internal.
MAX_PROPERTIES = 28
_KIND_OUTCOME = {"na": "not_applicable", "pass": "pass", "fail": "fail"}


class DurableEngine:
    """Decides outcomes with durable_rules."""

    name = "durable"

    def compile(self, resolved: ResolvedPack) -> list[CompiledRule]:
        """The pack's rules in durable's JSON terms (also shown by tests and ``check``)."""
        fields = set(resolved.pack.fields) | (set(BUILTIN_NAMES) - {"as_of"})
        compiled = compile_rules(resolved.pack.rules, resolved.constants(), fields)
        for c in compiled:
            count = len(c.properties) + len(c.lifted) + 1
            if count > MAX_PROPERTIES:
                raise ValueError(f"rule '{c.rule_id}' reads {count} properties; durable_rules allows {MAX_PROPERTIES}: "
                                 "split the rule or use --engine vector")
        return compiled

    def decide(self, resolved: ResolvedPack, rows: Sequence[dict[str, object]]) -> OutcomeMatrix:
        compiled = self.compile(resolved)
        n_rules = len(compiled)
        matrix: OutcomeMatrix = [["missing"] * n_rules for _ in rows]
        if not n_rules or not rows:
            return matrix
        host = SyncHost()
        decided: list[tuple[int, int, str]] = []
        current = [0]

        def action(kind: str):  # noqa: ANN202 - durable calls it with a closure
            def record(c) -> None:  # noqa: ANN001
                decided.append((current[0], int(c.m["r"]), _KIND_OUTCOME[kind]))
            return record

        ruleset_of: dict[int, str] = {}
        for start in range(0, n_rules, RULES_PER_RULESET):
            chunk = compiled[start:start + RULES_PER_RULESET]
            name = unique_name("screen")
            definition: dict[str, dict] = {}
            for c in chunk:
                for rule_name, rule in c.durable_rules().items():
                    rule["run"] = action(rule_name.rsplit("$", 1)[1])
                    definition[rule_name] = rule
                ruleset_of[c.index] = name
            if not definition:  # every rule of the chunk is always missing
                definition["never"] = {"all": [{"m": {"r": -1}}], "run": action("na")}
            host.set_rulesets({name: definition})

        constants = resolved.constants()
        for i, row in enumerate(rows):
            current[0] = i
            for c in compiled:
                before = len(decided)
                try:
                    host.post(ruleset_of[c.index], c.fact(row, constants))
                except MessageNotHandledException:
                    pass
                got = len(decided) - before
                if got > 1:
                    raise RuntimeError(f"durable_rules matched {got} outcomes of rule '{c.rule_id}' for one candidate")
        for i, r, outcome in decided:
            if matrix[i][r] != "missing":
                raise RuntimeError(f"two outcomes recorded for candidate {i}, rule {r}")
            matrix[i][r] = outcome
        for name in set(ruleset_of.values()):
            state = host.get_state(name, "0")
            if state and any(k.startswith("$") and "error" in k.lower() for k in state):
                raise RuntimeError(f"durable_rules reported an error in an action: {state}")
        return matrix
