"""The durable engine against durable_rules itself, on the same rules, in one run.

    python benchmarks/durable_engine.py [--rows 3000] [--pack rules/japan] [--repeat 3]

On a seeded synthetic list (candidates/generate.py) it times, on the pack's compiled durable
rulesets (one ruleset definition, registered afresh for each measurement):

* **engine**: ``DurableEngine().decide`` — builds each candidate's events from its values
  (lifted sub-expressions computed in Python), posts them and collects the outcomes;
* **durable assert_fact**: durable_rules' own ``Host.assert_fact`` with the same messages,
  built beforehand, as facts (durable serialises each with ``json.dumps``), actions that only
  record;
* **durable post**: durable_rules' own ``Host.post`` (events) with the same prebuilt messages.

It prints candidates per second of each and the engine's rate as a ratio to each peer (target:
at least 0.8 of the assert_fact rate), and checks the engine's outcomes against the reference
evaluator. No timed test depends on it; figures go to the README by hand, with the date and machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _lists import synthetic_list  # noqa: E402

AS_OF = dt.date(2026, 3, 1)


def peer(compiled, messages: list[tuple[int, dict]], facts: bool) -> float:  # noqa: ANN001 - CompiledPack
    """Seconds for durable_rules' own host API to take ``messages`` (as facts or as events)."""
    from screening.engines import durable as d
    host = d.SyncHost()
    recorder = d._Recorder()
    names = []
    for definition in compiled.rulesets():
        name = d.unique_ruleset_name("peer")
        actions = {}
        for rule_name in definition:
            key, _, kind = rule_name.partition("$")
            actions[rule_name] = recorder.action(*((int(key[1:]), kind) if kind else (-1, "na")))
        host.add_ruleset(name, actions, d.durable_json(definition))
        names.append(name)
    ruleset_of = {r: names[c] for c, chunk in enumerate(compiled.chunks) for r in chunk}
    call = host.assert_fact if facts else host.post
    start = time.perf_counter()
    for rule, message in messages:
        try:
            call(ruleset_of[rule], message)
        except d.MessageNotHandledException:
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000)
    parser.add_argument("--pack", type=Path, default=ROOT / "rules" / "japan")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from screening.candidates import read_candidates
    from screening.engines.durable import DurableEngine
    from screening.engines.reference import ReferenceEngine
    from screening.engines.vector import with_derived_frame
    from screening.engines.vector_columns import records
    from screening.pack.load import load_pack
    from screening.screen import candidate_frame
    from screening.trace import field_kinds
    pack = load_pack(args.pack)
    resolved = pack.resolve(AS_OF)
    print(f"# {dt.date.today().isoformat()} · {platform.node()} · {platform.processor() or platform.machine()} · "
          f"{os.cpu_count()} cores · Python {platform.python_version()} · pack {args.pack.name} "
          f"({len(pack.rules)} rules) · {args.rows:,} candidates")
    with tempfile.TemporaryDirectory() as tmp:
        table = read_candidates(synthetic_list(args.rows, Path(tmp)), pack.input_fields)
    frame = with_derived_frame(resolved, candidate_frame(resolved, table))
    rows = records(frame, field_kinds(resolved))
    engine = DurableEngine()
    compiled = engine.compile(resolved)
    constants = resolved.constants()
    messages = [(rule.index, rule.event({**row, **constants}, i)) for i, row in enumerate(rows) for rule in compiled.rules]
    engine.decide(resolved, rows[:3])  # rulesets registered once, as in a process that screens twice
    best = {"engine": float("inf"), "assert_fact": float("inf"), "post": float("inf")}
    outcomes = None
    for _ in range(args.repeat):  # alternated, so a busy moment of the shared machine hits all three
        start = time.perf_counter()
        outcomes = engine.decide(resolved, rows)
        best["engine"] = min(best["engine"], time.perf_counter() - start)
        best["assert_fact"] = min(best["assert_fact"], peer(compiled, messages, facts=True))
        best["post"] = min(best["post"], peer(compiled, messages, facts=False))
    if outcomes != ReferenceEngine().decide(resolved, rows):
        raise SystemExit("the durable engine disagrees with the reference evaluator")
    n = len(rows)
    rate = {k: n / v for k, v in best.items()}
    print(f"engine (build events + decide + collect) {best['engine']:6.2f} s {rate['engine']:9,.0f} candidates/s")
    for key, label in (("assert_fact", "durable Host.assert_fact, prebuilt"), ("post", "durable Host.post, prebuilt")):
        print(f"{label:40s} {best[key]:6.2f} s {rate[key]:9,.0f} candidates/s "
              f"({len(messages) / best[key]:,.0f} messages/s)   engine / this = {rate['engine'] / rate[key]:.2f}")


if __name__ == "__main__":
    main()
