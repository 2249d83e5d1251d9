"""Names of the finance fields and profile fields (CONTRACT.md §9), with their types.

Kept apart from the arithmetic so the pack loader can know the names without numpy.
"""

from __future__ import annotations

#: The finance fields rules can read, and their field types.
FINANCE_FIELDS: dict[str, str] = {"project_irr": "number", "japan_irr": "number", "japan_multiple": "number",
                                  "japan_made_whole_on": "date", "us_share_of_cash": "number"}

#: Profile fields a pack may declare to describe flows without a cash-flow file.
PROFILE_FIELDS: dict[str, str] = {"capex": "number", "annual_cash": "number", "cash_growth": "number",
                                  "life_years": "integer", "start_on": "date"}
