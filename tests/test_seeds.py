"""Every rule's and parameter's source cites seed facts that exist; every seed names its source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from screening.pack.load import load_pack

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"seeds/([A-Za-z0-9_.-]+\.yaml)#([a-z0-9-]+)")
PACKS = sorted({p.parent for p in (ROOT / "rules").glob("*/*.yaml")})


def seed_ids() -> dict[str, set[str]]:
    out = {}
    for path in (ROOT / "seeds").glob("*.yaml"):
        data = yaml.safe_load(path.read_text())
        out[path.name] = {f["id"] for f in data["facts"]}
    return out


def test_every_seed_entry_is_complete() -> None:
    for path in (ROOT / "seeds").glob("*.yaml"):
        facts = yaml.safe_load(path.read_text())["facts"]
        ids = [f["id"] for f in facts]
        assert len(ids) == len(set(ids)), f"duplicate fact ids in {path.name}"
        for fact in facts:
            for key in ("id", "statement", "source", "confidence", "as_of"):
                assert fact.get(key), f"{path.name}#{fact.get('id')}: no {key}"
            assert fact["confidence"] in ("H", "M", "L")


@pytest.mark.parametrize("folder", PACKS, ids=[p.name for p in PACKS])
def test_every_rule_cites_existing_seed_facts(folder: Path) -> None:
    known = seed_ids()
    pack = load_pack(folder)
    sources = [(f"rule {r.id}", r.spec.source) for r in pack.rules]
    sources += [(f"parameter {p.name}", p.spec.source or "") for p in pack.parameters.values()]
    for what, source in sources:
        cited = CITATION.findall(source)
        if what.startswith("rule"):
            assert cited, f"{what} cites no seed fact: {source!r}"
        for file, fact in cited:
            assert fact in known.get(file, set()), f"{what} cites unknown seed {file}#{fact}"


def test_candidate_lists_cite_seed_facts() -> None:
    known = seed_ids()
    import csv
    for path in ("first_wave.csv", "shortlist.csv"):
        for row in csv.DictReader((ROOT / "candidates" / path).open()):
            cited = CITATION.findall(row["source"])
            assert cited and all(f in known[file] for file, f in cited), row["id"]
