"""compare names a decision table as the cause of a difference, and the row that decides under each pack
(issue 14: a table-driven difference was labelled a "derived field")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = """pack: {name}
version: "1"
fields:
  id: {{type: string}}
  sector: {{type: string}}
  life: {{type: number}}
tables:
  sector_tier:
    hit: first
    inputs: {{sector: sector}}
    output: integer
    rows:
      - {{sector: "energy, semiconductors", then: 1}}
      - {{sector: shipbuilding, then: {ship}}}
      - {{sector: "-", then: 3}}
fields_again: null
rules:
  - {{id: tier-one, title: A first-tier sector, category: sector, source: s, require: "sector_tier == 1"}}
  - {{id: long-life, title: Long life, category: risk, source: s, require: "life >= 10"}}
""".replace("fields_again: null\n", "")


def test_compare_says_a_table_differs_and_which_row_decides(tmp_path: Path) -> None:
    for name, ship in (("tier-a", 1), ("tier-b", 2)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pack.yaml").write_text(PACK.format(name=name, ship=ship))
    (tmp_path / "list.csv").write_text("id,sector,life\nship,shipbuilding,20\nsolar,energy,20\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    done = subprocess.run([sys.executable, "-m", "screening.cli", "compare", "list.csv", "--rules", "tier-a",
                           "--rules", "tier-b", "--as-of", "2026-03-01", "--out", "out", "--format", "json,md"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "decision table: sector_tier" in done.stdout and "(decision table differs)" in done.stdout
    assert "derived field" not in done.stdout and "field computed differently" not in done.stdout
    data = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert [(p["kind"], p["name"], p["candidates"]) for p in data["pack_differences"]] == [("table", "sector_tier", ["ship"])]
    [diff] = data["differences"]
    [rule] = diff["rules"]
    assert (diff["id"], rule["rule"], rule["cause"]) == ("ship", "tier-one", "table")
    assert rule["explanation"] == ("the decision table sector_tier differs (inputs sector 'shipbuilding'): under tier-a "
                                   "row 2 (sector shipbuilding) gives 1; under tier-b row 2 (sector shipbuilding) gives 2")
    assert "decision table differs: the decision table sector_tier differs" in (tmp_path / "out" / "compare.md").read_text()
