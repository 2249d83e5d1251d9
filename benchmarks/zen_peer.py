"""GoRules ZEN as a peer for benchmarks/pipeline.py: the same 12 rules, as a pack and as a ZEN decision.

    python benchmarks/zen_peer.py LIST.csv OUT.csv DECISION.json   # the peer's whole process

:func:`write_case` writes a seeded synthetic list, a generated rule pack of 12 rules and the ZEN
decision (one expression node giving each rule's outcome, with the pack's three-valued rules for
missing values spelled out). The peer's process reads the CSV (Python's csv module, values typed
as the pack types them), evaluates every candidate with ``ZenEngine.evaluate_batch`` and writes
``candidate_id, rule, outcome`` rows: read, decide, write an outcome CSV, as ``screen run`` does.
:func:`compare` checks that both gave the same outcome for every candidate and rule.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

FIELDS = {"id": "string", "sector": "string", "country": "string", "amount": "number", "equity": "number",
          "loans": "number", "irr": "number", "taiwan_link": "bool", "tokyo_consent": "bool"}
SECTORS = ["energy", "semiconductors", "critical_minerals", "metals", "shipbuilding", "consumer_goods", "ai_quantum"]


def _known(*names: str) -> str:
    return " or ".join(f"{n} == null" for n in names)


# id, require (the pack's language), applies_if or None, ZEN expression giving the outcome
RULES = [
    ("amount-min", "amount >= 100000000", None, "amount >= 100000000"),
    ("amount-max", "amount <= 50000000000", None, "amount <= 50000000000"),
    ("irr-floor", "irr >= 0.05", None, "irr >= 0.05"),
    ("irr-cap", "irr <= 0.4", None, "irr <= 0.4"),
    ("equity-share", "equity / amount <= 0.3", None, "equity / amount <= 0.3"),
    ("sector-priority", "sector in ['energy', 'semiconductors', 'critical_minerals', 'metals']", None,
     "sector in ['energy', 'semiconductors', 'critical_minerals', 'metals']"),
    ("us-located", "country == 'US'", None, "country == 'US'"),
    ("no-taiwan-link", "not taiwan_link", None, "not taiwan_link"),
    ("tokyo-consent", "tokyo_consent", "amount > 10000000000", "tokyo_consent"),
    ("funding-within-cost", "loans + equity <= amount", None, "loans + equity <= amount"),
    ("return-size", "amount * irr >= 10000000", None, "amount * irr >= 10000000"),
    ("consumer-return", "sector != 'consumer_goods' or irr >= 0.08", None, None),
]
READS = {"amount-min": ["amount"], "amount-max": ["amount"], "irr-floor": ["irr"], "irr-cap": ["irr"],
         "equity-share": ["equity", "amount"], "sector-priority": ["sector"], "us-located": ["country"],
         "no-taiwan-link": ["taiwan_link"], "tokyo-consent": ["tokyo_consent"],
         "funding-within-cost": ["loans", "equity", "amount"], "return-size": ["amount", "irr"]}


def zen_expression(rule_id: str, applies: str | None, condition: str | None) -> str:
    """The rule's outcome as one ZEN expression (missing when a value it reads is null, as in the pack)."""
    if rule_id == "consumer-return":  # Kleene's `or`: one true side decides, whatever the other
        return ("(sector != null and sector != 'consumer_goods') or (irr != null and irr >= 0.08) ? 'pass' : "
                "((sector == null or irr == null) ? 'missing' : 'fail')")
    guard = _known(*READS[rule_id])
    if rule_id == "equity-share":
        guard += " or amount == 0"  # division by zero is missing (CONTRACT.md §1)
    decided = f"({guard}) ? 'missing' : (({condition}) ? 'pass' : 'fail')"
    if applies is None:
        return decided
    return f"amount == null ? 'missing' : (({applies}) ? ({decided}) : 'not_applicable')"


def write_case(rows: int, folder: Path, seed: int = 11) -> tuple[Path, Path, Path]:
    """(list.csv, pack folder, decision.json) for ``rows`` synthetic candidates."""
    rnd = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / f"zen-list-{rows}.csv"
    with listing.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(list(FIELDS))
        for i in range(rows):
            amount = round(10 ** rnd.uniform(7.5, 11), -5)
            equity = round(amount * rnd.choice([0.01, 0.02, 0.1, 0.35]), -3)
            cells = [f"zen-{i:07d}", rnd.choice(SECTORS), rnd.choice(["US", "US", "US", "JP", "CA"]), repr(amount),
                     repr(equity), repr(round(amount * rnd.uniform(0.3, 0.9), -3)), f"{rnd.uniform(-0.02, 0.5):.4f}",
                     rnd.choice(["true", "false", "false"]), rnd.choice(["yes", "no"])]
            writer.writerow(["" if k and rnd.random() < 0.04 else c for k, c in enumerate(cells)])
    pack = folder / "zen-pack"
    pack.mkdir(exist_ok=True)
    lines = ['pack: zen-peer', 'version: "1"', "title: Twelve generated rules (benchmarks/zen_peer.py)", "fields:"]
    lines += [f"  {name}: {{type: {kind}{', required: true' if name == 'id' else ''}}}" for name, kind in FIELDS.items()]
    lines.append("rules:")
    for rule_id, require, applies, _ in RULES:
        lines += [f"  - id: {rule_id}", f"    title: {rule_id}", "    category: other", f'    require: "{require}"',
                  *([f'    applies_if: "{applies}"'] if applies else []), "    source: generated for the benchmark"]
    (pack / "pack.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    decision = folder / "zen-decision.json"
    expressions = [{"id": str(k), "key": rule_id, "value": zen_expression(rule_id, applies, condition)}
                   for k, (rule_id, _, applies, condition) in enumerate(RULES)]
    at = {"x": 0, "y": 0}
    decision.write_text(json.dumps({
        "nodes": [{"id": "in", "type": "inputNode", "name": "Request", "position": at},
                  {"id": "rules", "type": "expressionNode", "name": "rules", "position": at,
                   "content": {"expressions": expressions}},
                  {"id": "out", "type": "outputNode", "name": "Response", "position": at}],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                  {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}]}), encoding="utf-8")
    return listing, pack, decision


def _typed(kind: str, text: str) -> object:
    if text == "":
        return None
    if kind == "number":
        return float(text)
    if kind == "bool":
        return text.strip().lower() in ("true", "yes", "1")
    return text


def run_zen(listing: Path, out: Path, decision: Path, batch: int = 10_000) -> None:
    """The peer's whole job: read the CSV, evaluate_batch every candidate, write the outcome CSV."""
    import zen
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"rules": json.loads(decision.read_text())}}})
    rule_ids = [r[0] for r in RULES]
    with listing.open(newline="", encoding="utf-8") as fh, out.open("w", newline="", encoding="utf-8") as sink:
        reader = csv.DictReader(fh)
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["candidate_id", "rule", "outcome"])
        while True:
            rows = [row for _, row in zip(range(batch), reader)]
            if not rows:
                break
            contexts = [{k: _typed(FIELDS[k], v) for k, v in row.items()} for row in rows]
            answers = engine.evaluate_batch([{"key": "rules", "context": c} for c in contexts])
            for row, answer in zip(rows, answers):
                result = answer["data"]["result"]
                writer.writerows((row["id"], rule_id, result[rule_id]) for rule_id in rule_ids)


def compare(zen_csv: Path, results_csv: Path) -> int:
    """How many (candidate, rule) outcomes differ between the peer's CSV and results.csv."""
    with zen_csv.open(newline="", encoding="utf-8") as a, results_csv.open(newline="", encoding="utf-8") as b:
        ours = {(r["candidate_id"], r["rule"]): r["outcome"] for r in csv.DictReader(b)}
        theirs = {(r["candidate_id"], r["rule"]): r["outcome"] for r in csv.DictReader(a)}
    return sum(1 for key, outcome in theirs.items() if ours.get(key) != outcome) + abs(len(ours) - len(theirs))


if __name__ == "__main__":
    run_zen(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
