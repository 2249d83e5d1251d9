"""Prove a decision table complete and, under ``unique``, free of overlaps — exactly, not by sampling.

Every cell compares its input with bounds (literals and parameters, fixed on the screening
date). The bounds of one input cut its domain into *atoms*: each bound itself and the open
stretches between them (for integers and dates, only stretches holding a whole number or a
day); for text, every value a cell names plus "any other value" (for an ``enum`` field, its
values); for yes/no, true and false. A cell's truth is constant over an atom, so a row matches
on a product of atoms, and:

* two rows overlap iff, input by input, some atom satisfies both cells (the example input takes
  one such atom per input);
* an input region is uncovered iff some product of atoms matches no row (checked over the whole
  product; tables whose product exceeds :data:`MAX_REGIONS` are reported as not verified);
* a row never matches iff one of its cells holds on no atom; under ``first``, a row is never
  reached iff every product of atoms it matches is matched by an earlier row.

Missing inputs are not part of the domain (their rules are the three-valued ones). Tables with
``else`` have no gaps by construction; under ``first`` and ``collect_*`` overlaps are intended.
Each cell is evaluated on an atom's representative value by the language's own evaluator.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from screening.explain import show
from screening.lang import nodes as n
from screening.lang.evaluate import evaluate, truth
from screening.pack.compiled import ResolvedPack
from screening.tables.cells import Test, _node
from screening.tables.compile import PackTable

MAX_REGIONS = 200_000
MAX_SHOWN = 5
_SUBJECT = "__input__"
_OTHER = "\x00other"  # the representative of "any other text"


@dataclass(frozen=True)
class Finding:
    """One warning about a table: an overlap, a gap, a row that never matches, or not verified."""

    table: str
    kind: str  # overlap | gap | dead | unverified
    rows: tuple[int, ...]
    example: dict[str, object] = field(default_factory=dict)
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Atom:
    """A piece of one input's domain: a point, or an open stretch between two bounds."""

    value: object  # representative
    label: str  # how the region is shown: "= 10", "in (10, 20)", "< 0", "'energy'", "any other value"


def verify_table(table: PackTable, resolved: ResolvedPack) -> list[Finding]:
    """The overlaps, gaps and dead rows of ``table`` with the parameters of ``resolved``."""
    constants = resolved.constants()
    domains: dict[str, list[Atom]] = {}
    for name in table.inputs:
        atoms = _atoms(table, name, resolved, constants)
        if atoms is None:
            kind = table.input_types[name].kind
            return [Finding(table.name, "unverified", (), text=f"table {table.name}: not verified (input '{name}' is a "
                            f"{kind}; overlaps and gaps are checked for numbers, dates, integers, text and yes/no)")]
        domains[name] = atoms
    # truth of each row's cell on each atom of its input
    holds: dict[int, dict[str, list[bool]]] = {}
    for row in table.rows:
        holds[row.number] = {name: [_cell_holds(row.cells[name].test, atom, constants) for atom in domains[name]]
                             for name in table.inputs}
    findings: list[Finding] = []
    live = []
    for row in table.rows:
        dead = [name for name, flags in holds[row.number].items() if not any(flags)]
        if dead:
            findings.append(Finding(table.name, "dead", (row.number,), text=(
                f"table {table.name}: row {row.number} never matches (its cell for {', '.join(dead)} "
                f"holds for no value: {', '.join(row.cells[d].text for d in dead)})")))
        else:
            live.append(row)
    if table.hit == "unique":
        findings.extend(_overlaps(table, live, holds, domains))
    if table.else_value is None or table.hit == "first":
        findings.extend(_gaps(table, live, holds, domains))
    return findings


def _overlaps(table: PackTable, rows: list, holds: Mapping[int, Mapping[str, list[bool]]],
              domains: Mapping[str, list[Atom]]) -> list[Finding]:
    found = []
    for a, b in itertools.combinations(rows, 2):
        example: dict[str, object] = {}
        for name, atoms in domains.items():
            both = [i for i, (x, y) in enumerate(zip(holds[a.number][name], holds[b.number][name])) if x and y]
            if not both:
                break
            example[name] = atoms[both[0]].value
        else:
            shown = ", ".join(f"{k} {_show(v)}" for k, v in example.items())
            found.append(Finding(table.name, "overlap", (a.number, b.number), _example(example), text=(
                f"table {table.name}: rows {a.number} and {b.number} overlap under 'unique' "
                f"(both match {shown})")))
    return found


def _gaps(table: PackTable, rows: list, holds: Mapping[int, Mapping[str, list[bool]]],
          domains: Mapping[str, list[Atom]]) -> list[Finding]:
    names = list(domains)
    size = 1
    for atoms in domains.values():
        size *= len(atoms)
    if size > MAX_REGIONS:
        return [Finding(table.name, "unverified", (), text=(
            f"table {table.name}: gaps not checked ({size:,} input regions; at most {MAX_REGIONS:,})"))]
    gaps = []
    reached: set[int] = set()
    for combo in itertools.product(*(range(len(domains[k])) for k in names)):
        first = next((r.number for r in rows if all(holds[r.number][k][i] for k, i in zip(names, combo))), None)
        if first is None:
            gaps.append(combo)
        else:
            reached.add(first)
    found = []
    if table.hit == "first":  # a row every input of which an earlier row already takes
        for r in rows:
            if r.number not in reached:
                found.append(Finding(table.name, "dead", (r.number,), text=(
                    f"table {table.name}: row {r.number} is never reached under 'first': "
                    "earlier rows match every input it matches")))
    if table.else_value is not None:
        return found
    for combo in gaps[:MAX_SHOWN]:
        atoms = [domains[k][i] for k, i in zip(names, combo)]
        region = ", ".join(f"{k} {a.label}" for k, a in zip(names, atoms))
        example = {k: a.value for k, a in zip(names, atoms)}
        shown = ", ".join(f"{k} {_show(v)}" for k, v in example.items())
        found.append(Finding(table.name, "gap", (), _example(example), text=(
            f"table {table.name}: no row covers {region} (e.g. {shown}) and there is no 'else'")))
    if len(gaps) > MAX_SHOWN:
        found.append(Finding(table.name, "gap", (), text=f"table {table.name}: … and {len(gaps) - MAX_SHOWN} more uncovered regions"))
    return found


def _show(value: object) -> str:
    return "any other value" if value == _OTHER else show(value)


def _example(example: Mapping[str, object]) -> dict[str, object]:
    return {k: (None if v == _OTHER else v) for k, v in example.items()}


def _cell_holds(test: Test, atom: Atom, constants: Mapping[str, object]) -> bool:
    if test.kind == "any":
        return True
    node = _node(test, n.Name(_SUBJECT, text="input"), "")
    value = atom.value
    if value == _OTHER:  # a text no cell names: equal to nothing listed
        value = "\x00" + "zz-any-other-value"
    return truth(node, {**constants, _SUBJECT: value}) is True


def _domain_kind(table: PackTable, name: str, resolved: ResolvedPack) -> tuple[str, list[object] | None]:
    """(number | integer | date | string | bool | other, enum values or None)."""
    kind = table.input_types[name].kind
    node = table.inputs[name]
    if isinstance(node, n.Name) and node.id in resolved.pack.fields:
        spec = resolved.pack.fields[node.id].spec
        if spec.type.value == "integer":
            return "integer", None
        if spec.enum is not None:
            return kind, list(spec.enum)
    if isinstance(node, n.Call) and node.func == "rating":
        return "integer", None  # ranks are whole numbers
    return kind, None


def _bounds(table: PackTable, name: str, constants: Mapping[str, object]) -> list[object]:
    out: list[object] = []

    def visit(test: Test | None) -> None:
        if test is None:
            return
        for b in test.bounds:
            value = evaluate(b, constants)
            if isinstance(value, tuple) or isinstance(value, dict):
                out.extend(value)
            elif value is not None:
                out.append(value)
        visit(test.inner)

    for row in table.rows:
        visit(row.cells[name].test)
    return out


def _atoms(table: PackTable, name: str, resolved: ResolvedPack, constants: Mapping[str, object]) -> list[Atom] | None:
    kind, enum = _domain_kind(table, name, resolved)
    bounds = _bounds(table, name, constants)
    if kind == "bool":
        return [Atom(True, "= true"), Atom(False, "= false")]
    if kind == "string":
        values = list(enum) if enum is not None else list(dict.fromkeys(b for b in bounds if isinstance(b, str)))
        atoms = [Atom(v, f"= {show(v)}") for v in values]
        return atoms if enum is not None else atoms + [Atom(_OTHER, "= any other value")]
    if kind not in ("number", "integer", "date"):
        return None
    if not bounds:
        default: object = resolved.as_of if kind == "date" else (0 if kind == "integer" else 0.0)
        return [Atom(default, "(any value)")]
    if kind == "date":
        points = sorted({float(b.toordinal()) for b in bounds if isinstance(b, dt.date)})
        return [Atom(_as(kind, a.value), _relabel(kind, a.label)) for a in _line(points, discrete=True)]
    numbers = sorted({float(b) for b in bounds if isinstance(b, (int, float)) and not isinstance(b, bool)})
    return [Atom(_as(kind, a.value), a.label) for a in _line(numbers, discrete=kind == "integer")]


def _line(points: list[float], *, discrete: bool) -> list[Atom]:
    """Atoms of a line cut at ``points``; a discrete line keeps only stretches holding a whole number."""
    if not points:
        return [Atom(0.0, "(any value)")]
    atoms = [Atom(float(math.ceil(points[0]) - 1) if discrete else points[0] - 1, f"< {_num(points[0])}")]
    for i, p in enumerate(points):
        if not discrete or float(p).is_integer():  # a discrete line has no point at 2.5
            atoms.append(Atom(p, f"= {_num(p)}"))
        if i + 1 < len(points):
            q = points[i + 1]
            if discrete:
                inside = float(math.floor(p) + 1)
                if inside < q:
                    atoms.append(Atom(inside, f"in ({_num(p)}, {_num(q)})"))
            else:
                atoms.append(Atom((p + q) / 2, f"in ({_num(p)}, {_num(q)})"))
    atoms.append(Atom(float(math.floor(points[-1]) + 1) if discrete else points[-1] + 1, f"> {_num(points[-1])}"))
    return atoms


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _as(kind: str, value: object) -> object:
    if kind == "date":
        return dt.date.fromordinal(int(value))  # type: ignore[call-overload]
    if kind == "integer":
        return int(value)  # type: ignore[call-overload]
    return value


def _relabel(kind: str, label: str) -> str:
    """Day ordinals in a label as ISO dates."""
    import re
    return re.sub(r"\d{6,}", lambda m: dt.date.fromordinal(int(m.group())).isoformat(), label)


def verify_pack(resolved: ResolvedPack) -> list[Finding]:
    """Every table's findings, tables in name order."""
    out: list[Finding] = []
    for name in sorted(resolved.pack.tables):
        out.extend(verify_table(resolved.pack.tables[name], resolved))
    return out
