"""Write candidates/first_wave_cashflows.csv: illustrative cash flows for the three first-wave projects.

    python candidates/first_wave_cashflows.py

Every figure is below with its source or marked ASSUMPTION (candidates/README.md explains them).
Capex is spent in tranches over construction; distributable cash (revenue less fuel and
operating costs, before financing) follows each year from commercial operation, escalating at
``growth``; no terminal value. These are not the projects' own figures: none have been published.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROJECTS = {
    "ohio-gas-9gw": {
        "capex": 33.3e9,                 # seeds/framework.yaml#first-wave (about USD 33.3bn)
        "construction": [0.3, 0.4, 0.3],  # ASSUMPTION: spent over 3 years from 2026-06-30
        "start": dt.date(2026, 6, 30),    # ASSUMPTION: financial close after the 17 Feb 2026 selection
        "life_years": 30,                 # ASSUMPTION: a gas plant's economic life
        "growth": 0.02,                   # ASSUMPTION: cash escalates with inflation
        # 9.2 GW (seeds/framework.yaml#first-wave) x 8,760 h x 75% capacity factor (ASSUMPTION:
        # baseload for data-centre demand) = 60.4 TWh a year; USD 70/MWh (ASSUMPTION: a long-term
        # power purchase price) less fuel 6.5 MMBtu/MWh x USD 3.50/MMBtu (ASSUMPTION: efficient
        # combined cycle, Henry Hub near USD 3.50) less USD 6/MWh operating costs (ASSUMPTION)
        "annual_cash": 9.2e3 * 8760 * 0.75 * (70.0 - 6.5 * 3.5 - 6.0),
    },
    "texas-gulflink-crude": {
        "capex": 2.1e9,                   # seeds/framework.yaml#first-wave (about USD 2.1bn)
        "construction": [0.5, 0.5],       # ASSUMPTION: 2 years
        "start": dt.date(2026, 6, 30),
        "life_years": 25,                 # ASSUMPTION
        "growth": 0.0,                    # ASSUMPTION: flat fees
        # 1 million barrels a day of loading capacity (ASSUMPTION, from outside reports of the
        # design) x 60% utilisation (ASSUMPTION) x 365 x USD 1.20/bbl terminal fee (ASSUMPTION)
        # x (1 - 30% operating costs) (ASSUMPTION)
        "annual_cash": 1.0e6 * 0.60 * 365 * 1.20 * (1 - 0.30),
    },
    "georgia-synthetic-diamond": {
        "capex": 0.6e9,                   # seeds/framework.yaml#first-wave (about USD 600mn)
        "construction": [0.6, 0.4],       # ASSUMPTION: 2 years
        "start": dt.date(2026, 6, 30),
        "life_years": 20,                 # ASSUMPTION
        "growth": 0.0,                    # ASSUMPTION
        # USD 300mn of grit sales a year at capacity (ASSUMPTION) x 35% cash margin (ASSUMPTION)
        "annual_cash": 300e6 * 0.35,
    },
}


def anniversary(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def rows() -> list[dict[str, object]]:
    out = []
    for cid, p in PROJECTS.items():
        build = len(p["construction"])
        for k, share in enumerate(p["construction"]):
            out.append({"candidate_id": cid, "date": anniversary(p["start"], k).isoformat(),
                        "invest": round(p["capex"] * share), "cash": 0})
        for k in range(1, p["life_years"] + 1):
            cash = p["annual_cash"] * (1 + p["growth"]) ** (k - 1)
            out.append({"candidate_id": cid, "date": anniversary(p["start"], build - 1 + k).isoformat(),
                        "invest": 0, "cash": round(cash)})
    return out


def main() -> None:
    path = HERE / "first_wave_cashflows.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["candidate_id", "date", "invest", "cash"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows())
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
