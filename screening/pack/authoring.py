"""Checks that help rule authors: the pack's tests typed without running them, YAML readings
explained at the value's own line, a wrong ``extends`` said once, and what a pack inherits.

The loader (:mod:`screening.pack.load`) calls these; each reports through ``err(message, place,
column)`` so every problem is collected with the rest of the pack's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from screening.errors import Problem
from screening.finance.names import FINANCE_FIELDS
from screening.lang.types import ANY, Type
from screening.pack.compiled import BUILTIN_NAMES, Inheritance, PackField, PackRule, PackTest, Place
from screening.pack.model import FieldSpec, PackFile
from screening.pack.yamlio import FLOATLIKE, YamlDoc, format_loc

#: how a check reports a problem: message, place, key path
Err = Callable[[str, Place, str | None], None]


def did_you_mean(name: str, known: object) -> str:
    from difflib import get_close_matches
    close = get_close_matches(name, sorted(known), n=1)  # type: ignore[call-overload]
    return f"; did you mean '{close[0]}'?" if close else ""


def _test_value_text(message: str, value: object, written: str | None) -> str:
    """A candidate-typing message about a test value, with the YAML reading that explains it."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
        message = message.replace(repr(value), shown)
        if written is not None and written.lower() not in ("true", "false"):
            message += f"; YAML reads an unquoted {written} as {shown}: quote it ('{written}') if you meant the word"
    elif written is not None and isinstance(value, str) and FLOATLIKE.match(written):
        message += f"; YAML 1.1 reads {written} as text: write {_as_yaml_number(written)}"
    elif written is not None and not isinstance(value, str):
        message += f"; YAML reads an unquoted {written} as a {type(value).__name__.replace('datetime', 'date')}: quote it ('{written}')"
    return message


class OpenScope(dict):
    """Names in scope when an extended pack could not be loaded: any name may be one it defines,
    so an unknown name is not reported again (the broken ``extends`` is the one problem)."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> Type:
        return ANY


def _at(data: object, path: tuple[object, ...]) -> object:
    """The value at a key path of loaded YAML data (None where there is none)."""
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _as_yaml_number(written: str) -> str:
    """``8e-1`` -> ``0.8``, ``1e9`` -> ``1000000000``: the number as YAML 1.1 reads it as a number."""
    value = float(written)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = repr(value)
    mantissa, _, exponent = text.partition("e")
    if exponent:
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}e{'' if exponent[0] in '+-' else '+'}{exponent}"
    return text


def note_replacing(rule: PackRule, origin: str | None, notes: list[Problem], err: Err) -> None:
    """A rule that replaces an inherited one gets a note unless it says ``replaces: true``; one that
    says so but replaces nothing is an error (the inherited rule it meant is gone or misspelt)."""
    if origin is not None and not rule.spec.replaces:
        notes.append(Problem(f"rule '{rule.id}' replaces the rule of that id inherited from {origin}; "
                             "add 'replaces: true' to it if that is what you mean, or give it a new id",
                             file=rule.place.file, line=rule.place.line))
    elif origin is None and rule.spec.replaces:
        err(f"rule '{rule.id}' says 'replaces: true', but no extended pack has a rule '{rule.id}'",
            rule.places.get("replaces", rule.place), None)


def inheritance(header: PackFile, bases: list[str], base_rules: dict[str, str], base_prules: set[str],
                 base_names: dict[str, set[str]], own: dict[str, set[str]], replaced: dict[str, list[str]],
                 also: list[str]) -> Inheritance:
    """What this pack inherits unchanged, replaces and drops."""
    if not header.extends:
        return Inheritance()
    out = Inheritance(bases=bases, dropped=list(header.drop), also=also)
    for kind, names in base_names.items():
        out.inherited[kind] = sorted(names - own[kind])
        if names & own[kind]:
            out.replaced[kind] = sorted(names & own[kind])
    mine = {*replaced.get("rule", []), *replaced.get("portfolio rule", [])}
    kept = [r for r in base_rules if r not in mine and r not in header.drop]
    out.inherited["rule"] = [r for r in kept if r not in base_prules]
    out.inherited["portfolio rule"] = [r for r in kept if r in base_prules]
    out.replaced.update(replaced)
    return out


def check_test_values(test: PackTest, doc: YamlDoc, index: int, fields: dict[str, PackField], finance: bool,
                      lenient: set[str], err: Err) -> None:
    """Type a test's candidates against the pack's fields as a candidate list's cells are typed
    (the same parsing, enum and bounds), each problem at the line of the value, so ``screen
    check`` finds them without running the test."""
    from screening.candidates import coerce_value  # pandas: only for packs with tests
    case = test.case
    many = case.candidates is not None
    extra = {k: v for k, v in BUILTIN_NAMES.items() if k != "as_of"}
    if finance:
        extra.update(FINANCE_FIELDS)
    seen_ids: dict[object, int] = {}
    for k, candidate in enumerate(case.all_candidates):
        key_path: tuple[object, ...] = ("tests", index, "candidates", k) if many else ("tests", index, "candidate")

        def say(message: str, key: str | None = None, _path: tuple[object, ...] = key_path) -> None:
            path = (*_path, key) if key is not None else _path
            err(message, Place(doc.file, doc.line_of(path)), f"test '{case.name}' {format_loc(path[2:])}")

        if candidate.get("id") in (None, ""):
            say("a test candidate needs an id", "id" if "id" in candidate else None)
        elif many and candidate["id"] in seen_ids:
            say(f"id {candidate['id']!r} is used twice in this test (first by candidate {seen_ids[candidate['id']] + 1})", "id")
        else:
            seen_ids[candidate["id"]] = k
        for name, f in fields.items():
            if f.spec.required and name != "id" and candidate.get(name) is None and name not in lenient:
                say(f"required field '{name}' is missing")
        for key, value in candidate.items():
            written = doc.plain.get((*key_path, key))
            if key in extra:
                spec = FieldSpec(type=extra[key])  # type: ignore[arg-type]
            elif key in fields and fields[key].is_derived:
                say(f"'{key}' is derived by the pack (from its inputs): give those instead", key)
                continue
            elif key in fields:
                spec = fields[key].spec
            elif key not in lenient:
                close = did_you_mean(key, [*fields, *extra])
                say(f"'{key}' is not a field of the pack" + (close or " (rules read only declared fields)"), key)
                continue
            else:
                continue
            if value is None or key == "id":
                continue
            try:
                typed = coerce_value(value, spec)
            except ValueError as exc:
                say(_test_value_text(str(exc), value, written), key)
                continue
            if spec.enum is not None and typed not in spec.enum:
                say(f"{typed!r} is not one of: {', '.join(str(e) for e in spec.enum)}", key)
            elif spec.min is not None and typed < spec.min:  # type: ignore[operator]
                say(f"{value!r} is below the minimum {spec.min}", key)
            elif spec.max is not None and typed > spec.max:  # type: ignore[operator]
                say(f"{value!r} is above the maximum {spec.max}", key)


def no_such_base(folder: Path, rel: str, place: Place, err: Err) -> None:
    """One problem, at the ``extends`` line, for a path that is not a pack folder."""
    target = folder / rel
    from difflib import get_close_matches
    parent = target.parent
    siblings = sorted(p.name for p in parent.iterdir() if p.is_dir()) if parent.is_dir() else []
    close = get_close_matches(target.name, siblings, n=1)
    hint = f"; did you mean '{str(Path(rel).parent / close[0])}'?" if close else ""
    what = "is a file, not a pack folder" if target.exists() else "is not a folder"
    err(f"'{rel}': {target.resolve()} {what} (paths are relative to this pack's folder){hint}", place, "extends")


def numbers_read_as_text(doc: YamlDoc, prefix: tuple[object, ...], err: Err) -> bool:
    """Report, at its own line, each unquoted value under ``prefix`` that looks like a number but
    that YAML 1.1 reads as text (``8e-1``, ``1e9``); True if there was one."""
    found = False
    for path, written in doc.plain.items():
        if path[:len(prefix)] != prefix or not FLOATLIKE.match(written) or not isinstance(_at(doc.data, path), str):
            continue
        found = True
        err(f"YAML 1.1 reads {written} as text, not a number: write {_as_yaml_number(written)}, "
            f"or quote it (\"{written}\") if you meant text", Place(doc.file, doc.lines.get(path)), format_loc(path))
    return found

