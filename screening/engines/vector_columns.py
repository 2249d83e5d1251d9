"""Columns of the vector backend: typed arrays with a missing mask, and their pandas forms.

Inside the evaluator every value is either a :class:`Scalar` (a parameter, ``as_of`` or a
literal, as the reference evaluator would hold it) or a :class:`Col`: a numpy array of values
with a boolean ``mask`` (True = missing) and a *kind*:

========  =========================================  ==========================================
kind      values                                      pandas form (frames, results)
========  =========================================  ==========================================
number    float64 (ints exact up to 2**53)            ``Float64``
bool      bool                                        ``boolean``
string    object array of ``str`` ('' where masked)   ``string`` (``StringDtype(na_value=NA)``)
date      int64 day ordinals (``date.toordinal()``)   ``Int64`` ordinals
list      object array of tuples (None = missing)     object
object    object array of Python values (None)        object (mixed types: evaluated per row)
========  =========================================  ==========================================

Keeping the mask apart from the values is what lets a ``NaN`` (``inf - inf``) stay a number,
as it is for the reference evaluator, instead of turning into missing as pandas arithmetic
would make it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

STRING_DTYPE = pd.StringDtype(na_value=pd.NA)
TYPED = ("number", "bool", "string", "date")
#: pack field type -> kind of column
FIELD_KINDS = {"number": "number", "integer": "number", "bool": "bool", "string": "string", "date": "date",
               "list": "list"}
_FILL = {"number": 0.0, "bool": False, "string": "", "date": 0}
_NUMPY = {"number": np.float64, "bool": np.bool_, "date": np.int64}


@dataclass(frozen=True, eq=False)
class Scalar:
    """One value for every row (``None`` = missing), held as the reference evaluator holds it."""

    value: object


@dataclass(frozen=True, eq=False)
class Col:
    """One value per row: ``values`` of a ``kind`` and ``mask`` (True where missing)."""

    kind: str
    values: np.ndarray
    mask: np.ndarray


Vec = Scalar | Col


def scalar_kind(value: object) -> str:
    """The column kind a constant would have (``null`` for missing, ``mapping`` for a dict)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return "date"
    if isinstance(value, tuple):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return "object"


def kind_of(vec: Vec) -> str:
    """Kind of a column, or of a constant as if it were one."""
    return vec.kind if isinstance(vec, Col) else scalar_kind(vec.value)


def raw(value: object, kind: str) -> object:
    """A constant as its column values hold it (dates as ordinals, numbers as floats)."""
    if kind == "date":
        return value.toordinal()  # type: ignore[attr-defined, union-attr]
    if kind == "number":
        return float(value)  # type: ignore[arg-type]
    return value


def broadcast(vec: Vec, kind: str, length: int) -> Col:
    """``vec`` as a column of ``kind`` (a missing constant becomes an all-missing column)."""
    if isinstance(vec, Col):
        return vec
    if vec.value is None:
        values = np.full(length, _FILL.get(kind, None), dtype=_NUMPY.get(kind, object))  # type: ignore[var-annotated]
        return Col(kind, values, np.ones(length, dtype=bool))
    values = np.empty(length, dtype=_NUMPY.get(kind, object))
    values.fill(raw(vec.value, kind))
    return Col(kind, values, np.zeros(length, dtype=bool))


def _is_number(t: type) -> bool:
    return issubclass(t, (int, float)) and not issubclass(t, bool)


def _is_date(t: type) -> bool:
    return issubclass(t, dt.date) and not issubclass(t, dt.datetime)


def from_python(values: Sequence[object]) -> Vec:
    """A column from plain Python values (None = missing), its kind read from the values.

    Values of one type give a typed column; a mix gives an ``object`` column. With nothing
    but missing values the result is the missing constant.
    """
    types = set(map(type, values)) - {type(None)}
    if not types:
        return Scalar(None)
    length = len(values)
    mask = np.fromiter((v is None for v in values), dtype=bool, count=length)
    if types <= {bool, np.bool_}:
        return Col("bool", np.fromiter((v is True or v is np.True_ for v in values), dtype=bool, count=length), mask)
    if all(_is_number(t) for t in types):
        return Col("number", np.array([0.0 if v is None else v for v in values], dtype=np.float64), mask)
    if all(issubclass(t, str) for t in types):
        out = np.empty(length, dtype=object)
        out[:] = ["" if v is None else v for v in values]
        return Col("string", out, mask)
    if all(_is_date(t) for t in types):
        return Col("date", np.fromiter((0 if v is None else v.toordinal() for v in values),  # type: ignore[attr-defined]
                                       dtype=np.int64, count=length), mask)
    if all(issubclass(t, (tuple, list)) for t in types):
        items = (v if v is None or isinstance(v, tuple) else tuple(v) for v in values)  # type: ignore[arg-type]
        return Col("list", np.fromiter(items, dtype=object, count=length), mask)
    return Col("object", np.fromiter(values, dtype=object, count=length), mask)


def typed_column(values: Sequence[object], kind: str) -> Vec:
    """A column of a declared field ``kind`` from plain values; values of another type give
    whatever :func:`from_python` makes of them (so they compare as the reference compares them)."""
    kind = FIELD_KINDS.get(kind, kind)
    types = set(map(type, values)) - {type(None)}
    length = len(values)
    if kind == "number" and types and all(_is_number(t) for t in types):
        mask = np.fromiter((v is None for v in values), dtype=bool, count=length)
        return Col("number", np.array(values, dtype=np.float64), mask)
    if not types:
        return broadcast(Scalar(None), kind, length)
    return from_python(values)


def to_objects(col: Col) -> np.ndarray:
    """The column as an object array of Python values (None where missing)."""
    if col.kind == "date":
        out = np.empty(len(col.values), dtype=object)
        out[:] = [None if m else dt.date.fromordinal(int(v)) for v, m in zip(col.values.tolist(), col.mask.tolist())]
        return out
    out = col.values.astype(object)
    out[col.mask] = None
    return out


def to_list(vec: Vec, length: int) -> list[object]:
    """Python values, one per row."""
    if isinstance(vec, Scalar):
        return [vec.value] * length
    return to_objects(vec).tolist()


def take(vec: Vec, index: np.ndarray) -> Vec:
    """Rows ``index`` of ``vec`` (negative indexes count from the end, as numpy does)."""
    if isinstance(vec, Scalar):
        return vec
    return Col(vec.kind, vec.values[index], vec.mask[index])


def to_array(vec: Vec, length: int) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """The pandas form of a value: a nullable array of its kind (see the module docs)."""
    if isinstance(vec, Scalar):
        kind = scalar_kind(vec.value)
        if kind in TYPED or kind == "list":
            return to_array(broadcast(vec, kind, length), length)
        if kind == "null":
            return pd.arrays.BooleanArray(np.zeros(length, dtype=bool), np.ones(length, dtype=bool))
        out = np.empty(length, dtype=object)
        out.fill(vec.value)
        return out
    if vec.kind == "number":
        return pd.arrays.FloatingArray(vec.values.astype(np.float64, copy=False), vec.mask)
    if vec.kind == "bool":
        return pd.arrays.BooleanArray(vec.values, vec.mask)
    if vec.kind == "date":
        return pd.arrays.IntegerArray(vec.values.astype(np.int64, copy=False), vec.mask)
    if vec.kind == "string":
        return pd.array(to_objects(vec), dtype=STRING_DTYPE)
    return vec.values


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def from_series(series: pd.Series, kind: str | None = None) -> Vec:
    """A frame column as the evaluator holds it.

    Args:
        series: the column.
        kind: the declared kind (a pack field type); None infers it from the dtype: floats and
            numpy integers are numbers, ``Int64`` holds dates as day ordinals (as
            :func:`screening.engines.vector.build_frame` writes them), ``datetime64`` is a
            date, and object columns are read value by value.
    """
    kind = FIELD_KINDS.get(kind, kind) if kind else _infer(series)
    dtype = series.dtype
    if kind == "number" and (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)) \
            and not pd.api.types.is_bool_dtype(dtype):
        return Col("number", series.to_numpy(dtype=np.float64, na_value=np.nan), series.isna().to_numpy())
    if kind == "bool" and pd.api.types.is_bool_dtype(dtype):
        return Col("bool", series.to_numpy(dtype=bool, na_value=False), series.isna().to_numpy())
    if kind == "date" and pd.api.types.is_integer_dtype(dtype):
        return Col("date", series.to_numpy(dtype=np.int64, na_value=0), series.isna().to_numpy())
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(dtype):
        mask = series.isna().to_numpy()
        days = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
        return Col("date", np.where(mask, 0, days + _EPOCH_ORDINAL), mask)
    if kind == "string" and isinstance(dtype, pd.StringDtype):
        mask = series.isna().to_numpy()
        values = series.to_numpy(dtype=object, na_value="")
        return Col("string", values, mask)
    values = [None if v is pd.NA or v is pd.NaT else v for v in series.tolist()]
    if pd.api.types.is_float_dtype(dtype):
        values = [None if isinstance(v, float) and v != v else v for v in values]
    return from_python(values)


def _infer(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if isinstance(dtype, pd.Int64Dtype):
        return "date"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "object"


def records(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[dict[str, object]]:
    """Plain Python rows from a frame (None = missing, dates as ``date``, lists as tuples).

    ``kinds`` maps column names to pack field types; an ``integer`` value that is whole comes
    back as ``int``, as :func:`screening.derive.with_derived` stores it.
    """
    columns: dict[str, list[object]] = {}
    for name in frame.columns:
        declared = kinds.get(name)
        vec = from_series(frame[name], declared)
        values = to_list(vec, len(frame))
        if declared == "integer":
            values = [int(v) if isinstance(v, float) and v.is_integer() else v for v in values]
        columns[name] = values
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())] if names else [{} for _ in range(len(frame))]
