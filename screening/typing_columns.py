"""Typing a candidate-list column at once, for the common case where every value is clean.

:func:`typed_column` returns the typed series that the value-by-value parser of
:mod:`screening.candidates` would build, or ``None`` when any value needs that parser's
attention (a value that does not parse, an unknown enum value, a bound crossed, a required
value absent, or a kind of value this fast path does not handle). The caller then types the
column value by value, so every problem is still reported with its row, column and value,
exactly as before; the fast path never decides that a value is wrong.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from screening.pack.model import FieldSpec

_NUMBER = r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
STRING_DTYPE = pd.StringDtype(na_value=pd.NA)


def typed_column(values: list[object], spec: FieldSpec) -> pd.Series | None:
    """The column typed by ``spec``, or None if any value must go through the value-by-value parser."""
    kind = spec.type.value
    if kind == "list" or not values:
        return None
    types = set(map(type, values))
    if spec.min is not None or spec.max is not None:
        if kind not in ("number", "integer"):
            return None
    if spec.enum is not None and kind != "string":
        return None
    if types <= {str, type(None)}:
        stripped = [None if v is None else v.strip() for v in values]  # type: ignore[attr-defined]
        keep = np.fromiter((bool(v) for v in stripped), dtype=bool, count=len(stripped))
        if spec.required and not keep.all():
            return None
        return _from_text(pd.Series(stripped, dtype=object), keep, spec)
    if kind in ("number", "integer") and types <= {float, int, type(None)}:
        arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        missing = np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in values], dtype=bool)
        if spec.required and missing.any():
            return None
        return _numbers(arr, missing, spec)
    return None


def _from_text(cells: pd.Series, keep: np.ndarray, spec: FieldSpec) -> pd.Series | None:
    kind = spec.type.value
    present = cells[keep]
    if kind == "string":
        if spec.enum is not None and not present.isin(spec.enum).all():
            return None
        return pd.Series([v if k else pd.NA for v, k in zip(cells.tolist(), keep.tolist())], dtype=STRING_DTYPE)
    if kind in ("number", "integer"):
        if not present.str.fullmatch(_NUMBER).all():
            return None
        arr = np.full(len(cells), np.nan)
        arr[keep] = present.astype(np.float64).to_numpy()
        return _numbers(arr, ~keep, spec)
    if kind == "bool":
        mapped = present.str.lower().map(_BOOLS)
        if mapped.isna().any():
            return None
        flags = np.zeros(len(cells), dtype=bool)
        flags[keep] = mapped.to_numpy(dtype=bool)
        return pd.Series(pd.arrays.BooleanArray(flags, ~keep))
    if kind == "date":
        codes, uniques = pd.factorize(present)
        days: list[object] = []
        for u in uniques:
            if not _DATE.match(u):
                return None
            try:
                days.append(dt.date.fromisoformat(u))
            except ValueError:
                return None
        if spec.enum is not None or spec.min is not None or spec.max is not None:
            return None
        values = np.empty(len(cells), dtype=object)
        values[:] = None
        values[keep] = np.array(days, dtype=object)[codes] if days else []
        return pd.Series(values, dtype=object)
    return None


def _numbers(arr: np.ndarray, missing: np.ndarray, spec: FieldSpec) -> pd.Series | None:
    present = arr[~missing]
    if not np.isfinite(present).all():
        return None
    if spec.type.value == "integer" and not (present == np.floor(present)).all():
        return None
    if spec.min is not None and (present < spec.min).any():
        return None
    if spec.max is not None and (present > spec.max).any():
        return None
    if spec.type.value == "integer":
        if present.size and np.abs(present).max() >= 2 ** 53:
            return None
        return pd.Series(pd.arrays.IntegerArray(np.where(missing, 0, arr).astype(np.int64), missing))
    return pd.Series(pd.arrays.FloatingArray(np.where(missing, 0.0, arr), missing))
