"""Header checks that do not refuse a list: an undeclared column that looks like a declared field.

A list with a ``Credit_Rating`` column screens with every rating rule ``missing``: the column is
kept (undeclared columns are shown in reports) but no rule reads it. A column that matches a
declared input field up to case, spacing, ``-``/``_`` or a small edit gets a warning naming the
field it probably means; ``--strict-columns`` makes these warnings errors.
"""

from __future__ import annotations

import difflib
import re
from typing import Iterable, Mapping

from screening.errors import Problem
from screening.pack.model import FieldSpec

#: Similarity (difflib ratio) above which an undeclared column is taken for a misspelt field.
SIMILAR = 0.84


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", name).lower()


def likely_field(column: str, fields: Iterable[str]) -> str | None:
    """The declared field an undeclared column probably means, or None."""
    names = list(fields)
    squashed = {_squash(f): f for f in names}
    if _squash(column) in squashed:
        return squashed[_squash(column)]
    close = difflib.get_close_matches(_squash(column), list(squashed), n=1, cutoff=SIMILAR)
    return squashed[close[0]] if close else None


def misspelt_columns(extra_columns: Iterable[str], fields: Mapping[str, FieldSpec], file: str,
                     row: int | None = 1) -> list[Problem]:
    """A problem per undeclared column that looks like a declared input field (header row ``row``)."""
    inputs = [name for name, spec in fields.items() if spec.derive is None]
    out = []
    for column in extra_columns:
        meant = likely_field(column, inputs)
        if meant is not None and meant != column:
            out.append(Problem(f"column '{column}' is not a field of the pack, so no rule reads it; "
                               f"did you mean '{meant}'?", file=file, row=row, column=column))
    return out
