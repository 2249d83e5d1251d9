"""Turn pydantic validation errors into :class:`~screening.errors.Problem` s with file and line."""

from __future__ import annotations

import difflib
import re
import typing

from pydantic import BaseModel, ValidationError

from screening.errors import Problem
from screening.pack.yamlio import YamlDoc, format_loc

_FLOATLIKE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_TYPE_WORDS = {
    "int_type": "an integer", "float_type": "a number", "int_from_float": "an integer",
    "string_type": "a string", "bool_type": "true or false", "date_type": "a date (YYYY-MM-DD)",
    "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)", "datetime_type": "a date",
}


def problems_from_validation(error: ValidationError, doc: YamlDoc, model: type[BaseModel]) -> list[Problem]:
    """Map every error of ``error`` to a problem naming file, line and key path, one per place."""
    by_loc: dict[tuple[object, ...], list[dict[str, typing.Any]]] = {}
    for err in error.errors():
        loc = _clean_loc(doc.data, err["loc"], err["type"])
        by_loc.setdefault(loc, []).append(err)  # type: ignore[arg-type]
    problems = []
    for loc, errs in by_loc.items():
        message = _message(loc, errs, model) + _quote_hint(errs, doc.plain.get(loc))
        problems.append(Problem(message, file=doc.file, line=doc.line_of(loc), column=_where(doc.data, loc)))
    return problems


def _where(data: object, loc: tuple[object, ...]) -> str | None:
    """The key path, led by the rule's id or the test's name when the place is inside one
    (``rule irr-floor, rules[1].category``): a reader looks for the rule, not its index."""
    path = format_loc(loc) or None
    item: object = None
    if len(loc) >= 2 and loc[0] in ("rules", "tests") and isinstance(loc[1], int) and isinstance(data, dict):
        items, kind = data.get(loc[0]), "rule" if loc[0] == "rules" else "test"
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
    elif len(loc) >= 3 and loc[:2] == ("portfolio", "rules") and isinstance(loc[2], int) and isinstance(data, dict):
        rules = (data.get("portfolio") or {}).get("rules") if isinstance(data.get("portfolio"), dict) else None
        item, kind = (rules[loc[2]] if isinstance(rules, list) and loc[2] < len(rules) else None), "portfolio rule"
    if isinstance(item, dict):
        name = item.get("id") if kind != "test" else item.get("name")
        if isinstance(name, str) and name.strip():
            return f"{kind} {name if kind != 'test' else repr(name)}, {path}"
    return path


def _quote_hint(errs: list[dict[str, typing.Any]], written: str | None) -> str:
    """Text expected, and YAML read an unquoted number, date or boolean: say to quote it as written."""
    if written is None or not any(e["type"] == "string_type" for e in errs):
        return ""
    return f'; YAML reads an unquoted {written} as a {_kind(errs[0].get("input"))}: quote it ("{written}")'


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "date" if value is not None else "null"


def _clean_loc(data: object, loc: tuple[object, ...], etype: str) -> tuple[object, ...]:
    """Drop pydantic's union tags ('int', 'list[...]', ...) that are not keys in the data."""
    clean: list[object] = []
    cur = data
    for i, el in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(cur, dict) and el in cur:
            clean.append(el)
            cur = cur[el]
        elif isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur):
            clean.append(el)
            cur = cur[el]
        elif last and etype == "missing":
            clean.append(el)
        elif isinstance(el, str) and isinstance(cur, dict) and el == "[key]":
            continue
    return tuple(clean)


def _message(loc: tuple[object, ...], errs: list[dict[str, typing.Any]], model: type[BaseModel]) -> str:
    first = errs[0]
    etype, value = first["type"], first.get("input")
    if etype == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        key = str(loc[-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key '{key}'; did you mean '{close[0]}'?"
        return f"unknown key '{key}' (allowed: {', '.join(allowed)})"
    if etype == "missing":
        return f"missing required key '{loc[-1]}'"
    if etype in ("enum", "literal_error"):
        expected = first.get("ctx", {}).get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        close = difflib.get_close_matches(str(value), options, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{value!r} is not one of: {', '.join(options)}{hint}"
    if etype == "string_pattern_mismatch" and first.get("ctx", {}).get("pattern", "").startswith("^[A-Za-z_]"):
        return f"{value!r} is not a valid name: use letters, digits and underscores, not starting with a digit"
    if etype == "string_pattern_mismatch":
        return f"{value!r} is not a valid name: use lowercase letters, digits and hyphens ([a-z0-9-]+)"
    if etype == "value_error":
        return first["msg"].removeprefix("Value error, ")
    wanted = []
    for err in errs:
        word = _TYPE_WORDS.get(err["type"])
        if word and word not in wanted:
            wanted.append(word)
    if wanted:
        text = f"expected {' or '.join(wanted)}, got {_describe(value)}"
        return text + _yaml_hint(value)
    return "; ".join(dict.fromkeys(e["msg"] for e in errs))


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return f"{value!r} ({type(value).__name__})"


def _yaml_hint(value: object) -> str:
    if isinstance(value, str) and _FLOATLIKE.match(value):
        return f"; YAML 1.1 reads {value} as text: write it with a decimal point and signed exponent (e.g. 1.0e+9) or as plain digits"
    if isinstance(value, bool):
        return "; YAML reads yes/no/on/off/true/false as a boolean: quote the value if you meant text"
    return ""


def _allowed_keys(model: type[BaseModel], loc: tuple[object, ...]) -> list[str]:
    target: object = model
    for el in loc:
        target = _step(target, el)
        if target is None:
            return []
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [f.alias or name for name, f in target.model_fields.items()]
    return []


def _step(tp: object, el: object) -> object:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if el in (name, f.alias):
                return _unwrap(f.annotation)
        return None
    origin = typing.get_origin(tp)
    if origin in (list, tuple) and isinstance(el, int):
        return _unwrap(typing.get_args(tp)[0])
    if origin is dict:
        return _unwrap(typing.get_args(tp)[1])
    return None


def _unwrap(tp: object) -> object:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(tp):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
            if typing.get_origin(inner) in (list, dict):
                return inner
        return None
    return tp
