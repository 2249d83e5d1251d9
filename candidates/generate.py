"""Write a seeded synthetic candidate list (for demos and benchmarks), labelled synthetic.

    python candidates/generate.py --rows 100000 --seed 7 --out candidates/synthetic.csv

The same seed and row count always give the same file. Columns are those of the framework
pack (see candidates/README.md); every row's `source` says it is synthetic. Some cells are left
blank on purpose so that screening shows `missing` outcomes as real lists do.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

COLUMNS = ["id", "name", "sector", "location_country", "us_state", "amount", "currency", "equity", "loans",
           "guarantees", "irr", "credit_rating", "announced_on", "selected_on", "funded_on", "taiwan_link",
           "tokyo_consent", "supply_chain_benefit_japan", "partners", "source"]
SECTORS = ["energy"] * 4 + ["semiconductors"] * 2 + ["critical_minerals", "metals", "pharmaceuticals", "shipbuilding",
                                                      "ai_quantum", "data_centres", "aircraft_purchase", "consumer_goods"]
STATES = ["OH", "TX", "GA", "AZ", "PA", "LA", "NC", "IN", "NV", "WA", "NY", "MI"]
RATINGS = ["AAA", "AA", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "B"]


def synthetic_rows(rows: int, seed: int) -> list[dict[str, str]]:
    """The synthetic candidates, as CSV cells."""
    rnd = random.Random(seed)
    out = []
    start = dt.date(2025, 9, 4)
    for i in range(rows):
        amount = round(10 ** rnd.uniform(8, 10.5), -6)
        currency = "USD" if rnd.random() < 0.85 else "JPY"
        scale = 1.0 if currency == "USD" else 150.0
        equity_share = rnd.choice([0.01, 0.015, 0.02, 0.05, 0.3])
        equity = round(amount * equity_share, -3)
        loans = round((amount - equity) * rnd.uniform(0.4, 0.8), -3)
        guarantees = amount - equity - loans if rnd.random() < 0.9 else round(amount * 0.1, -3)
        announced = start + dt.timedelta(days=rnd.randrange(0, 1300))
        selected = announced + dt.timedelta(days=rnd.randrange(0, 120)) if rnd.random() < 0.4 else None
        funded = selected + dt.timedelta(days=rnd.randrange(10, 70)) if selected and rnd.random() < 0.6 else None
        taiwan = rnd.random() < 0.05
        row = {
            "id": f"syn-{i:06d}",
            "name": f"Synthetic project {i}",
            "sector": rnd.choice(SECTORS),
            "location_country": "US" if rnd.random() < 0.95 else rnd.choice(["JP", "MX", "CA"]),
            "us_state": rnd.choice(STATES),
            "amount": f"{amount * scale:.0f}",
            "currency": currency,
            "equity": "" if rnd.random() < 0.2 else f"{equity * scale:.0f}",
            "loans": "" if rnd.random() < 0.2 else f"{loans * scale:.0f}",
            "guarantees": "" if rnd.random() < 0.2 else f"{guarantees * scale:.0f}",
            "irr": "" if rnd.random() < 0.25 else f"{rnd.uniform(0.0, 0.14):.4f}",
            "credit_rating": "" if rnd.random() < 0.2 else rnd.choice(RATINGS),
            "announced_on": announced.isoformat(),
            "selected_on": selected.isoformat() if selected else "",
            "funded_on": funded.isoformat() if funded else "",
            "taiwan_link": "true" if taiwan else "false",
            "tokyo_consent": ("true" if rnd.random() < 0.5 else "false") if taiwan else "",
            "supply_chain_benefit_japan": rnd.choice(["true", "false", ""]),
            "partners": ";".join(rnd.sample(["JBIC", "NEXI", "SoftBank", "Hitachi", "Toshiba", "Mitsubishi"], 2)),
            "source": "synthetic (candidates/generate.py)",
        }
        out.append(row)
    return out


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write candidate rows (as :func:`synthetic_rows` makes them) to ``path`` as a CSV list."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("candidates/synthetic.csv"))
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(args.out, synthetic_rows(args.rows, args.seed))
    print(f"wrote {args.rows} synthetic candidates to {args.out}")


if __name__ == "__main__":
    main()
