"""The scenario spec (CONTRACT.md §12): what varies, how, how many draws, from which seed.

A spec is a YAML file read through the project's safe loader (:mod:`screening.pack.yamlio`,
line marks, duplicate keys refused) and validated by pydantic. Problems are collected and
raised together, each naming the file, the line and the key path:

.. code-block:: yaml

    title: First wave under cost and price pressure
    draws: 10000
    seed: 7
    vary:
      capex:       {scale: {triangular: [0.9, 1.0, 1.5]}, shared: true, source: "assumption"}
      irr:         {add: {normal: [0.0, 0.02]}}
      credit_rating: {set: {choice: {A-: 0.7, BBB: 0.3}}}

``scale`` multiplies the candidate's value by the draw, ``add`` adds the draw to it, ``set``
replaces it (the only mode for string and bool fields, and the draw must then be a ``choice``
of values of the field's type). ``shared: true`` draws one value per draw shared by every
candidate (a market-wide factor); otherwise each candidate draws its own. Checks that need the
pack (is the field declared, is it an input, does the distribution fit its type) are in
:func:`check_against_pack`.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)

from screening.errors import InputError, Problem

#: distribution name -> its parameters (``choice`` takes a mapping value -> weight instead).
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"), "normal": ("mean", "sd"), "triangular": ("low", "mode", "high"),
    "lognormal": ("mu", "sigma"), "choice": (),
}
MODES = ("scale", "add", "set")
#: Other names people give these distributions, for the hint in an error.
ALIASES = {"gaussian": "normal", "gauss": "normal", "norm": "normal", "triangle": "triangular", "triang": "triangular",
           "lognorm": "lognormal", "log_normal": "lognormal", "discrete": "choice", "categorical": "choice",
           "flat": "uniform", "rectangular": "uniform"}
#: More draws than this per candidate is refused (a typo such as 1e9 would run for hours).
MAX_DRAWS = 10_000_000


@dataclass(frozen=True)
class Distribution:
    """One distribution: ``params`` for the numeric ones, ``values``/``weights`` for ``choice``."""

    name: str
    params: tuple[float, ...] = ()
    values: tuple[object, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def numeric(self) -> bool:
        """Does every draw give a number?"""
        return self.name != "choice" or all(_is_number(v) for v in self.values)

    def describe(self) -> str:
        """``triangular(0.9, 1, 1.5)``, ``choice(A-: 0.7, BBB: 0.3)``."""
        if self.name == "choice":
            return "choice(" + ", ".join(f"{v}: {w:g}" for v, w in zip(self.values, self.weights)) + ")"
        return f"{self.name}(" + ", ".join(f"{p:g}" for p in self.params) + ")"

    def as_dict(self) -> dict[str, object]:
        if self.name == "choice":
            return {"choice": {str(v) if not isinstance(v, bool) else str(v).lower(): w
                               for v, w in zip(self.values, self.weights)}}
        return {self.name: list(self.params)}


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _example() -> str:
    return "e.g. {uniform: [0.9, 1.1]}"


def parse_distribution(raw: object) -> Distribution:
    """A distribution from its YAML form ``{name: parameters}``; ValueError says what is wrong."""
    if isinstance(raw, Distribution):
        return raw
    names = ", ".join(DISTRIBUTIONS)
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError(f"a distribution is one mapping {{name: parameters}} with name one of {names}; {_example()}")
    ((name, params),) = raw.items()
    name = str(name)
    if name not in DISTRIBUTIONS:
        close = [ALIASES[name.lower()]] if name.lower() in ALIASES else \
            difflib.get_close_matches(name, list(DISTRIBUTIONS), n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown distribution '{name}'{hint} (known: {names})")
    if name == "choice":
        return _parse_choice(params)
    wanted = DISTRIBUTIONS[name]
    if not isinstance(params, list) or len(params) != len(wanted) or not all(_is_number(p) for p in params):
        raise ValueError(f"{name} takes a list of {len(wanted)} numbers [{', '.join(wanted)}], got {params!r}")
    values = tuple(float(p) for p in params)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} parameters must be finite numbers, got {params!r}")
    _check_params(name, values)
    return Distribution(name, values)


def _check_params(name: str, p: tuple[float, ...]) -> None:
    if name == "uniform" and p[0] > p[1]:
        raise ValueError(f"uniform [low, high] needs low <= high, got [{p[0]:g}, {p[1]:g}]")
    if name in ("normal", "lognormal") and p[1] < 0:
        label = "sd" if name == "normal" else "sigma"
        raise ValueError(f"{name}: {label} must be 0 or more, got {p[1]:g}")
    if name == "triangular" and not p[0] <= p[1] <= p[2]:
        raise ValueError(f"triangular [low, mode, high] needs low <= mode <= high, got [{p[0]:g}, {p[1]:g}, {p[2]:g}]")


def _parse_choice(params: object) -> Distribution:
    if not isinstance(params, dict) or not params:
        raise ValueError(f"choice takes a mapping {{value: weight, ...}}, e.g. {{choice: {{1.0: 0.8, 1.3: 0.2}}}}, "
                         f"got {params!r}")
    bad = [f"{v!r}: {w!r}" for v, w in params.items() if not _is_number(w) or not math.isfinite(w) or w < 0]
    if bad:
        raise ValueError(f"choice weights must be numbers >= 0, not {', '.join(bad)}")
    odd = [repr(v) for v in params if not isinstance(v, (str, int, float, bool)) or (_is_number(v) and not math.isfinite(v))]  # type: ignore[arg-type]
    if odd:
        raise ValueError(f"choice values must be numbers, text or true/false, not {', '.join(odd)}")
    total = float(sum(params.values()))
    if total <= 0:
        raise ValueError("choice weights add up to 0: give at least one value a positive weight")
    return Distribution("choice", values=tuple(params), weights=tuple(float(w) for w in params.values()))


def _optional_distribution(raw: object) -> Distribution | None:
    return None if raw is None else parse_distribution(raw)


Dist = Annotated[Distribution | None, BeforeValidator(_optional_distribution)]


class VarySpec(BaseModel):
    """How one field varies: exactly one of ``scale`` / ``add`` / ``set``, with a distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    scale: Dist = None
    add: Dist = None
    set_: Dist = Field(None, alias="set")
    shared: StrictBool = False
    source: StrictStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _mode_written(cls, data: Any) -> Any:
        if isinstance(data, dict):
            named = [k for k in data if k in DISTRIBUTIONS]
            if named:
                raise ValueError(f"say how the draw applies: {{scale: {{{named[0]}: ...}}}} multiplies the value, "
                                 f"{{add: ...}} adds to it, {{set: ...}} replaces it")
        return data

    @model_validator(mode="after")
    def _one_mode(self) -> "VarySpec":
        given = [m for m, d in zip(MODES, (self.scale, self.add, self.set_)) if d is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of scale, add, set (got {', '.join(given) or 'none'})")
        if given[0] in ("scale", "add") and not self.distribution.numeric:
            raise ValueError(f"{given[0]} needs numbers, but the choice has values "
                             f"{', '.join(repr(v) for v in self.distribution.values if not _is_number(v))}; "
                             f"use set to replace a value")
        return self

    @property
    def mode(self) -> str:
        return "scale" if self.scale is not None else "add" if self.add is not None else "set"

    @property
    def distribution(self) -> Distribution:
        return self.scale or self.add or self.set_  # type: ignore[return-value]

    def describe(self) -> str:
        """``scale × triangular(0.9, 1, 1.5), shared``."""
        verb = {"scale": "×", "add": "+", "set": "="}[self.mode]
        return f"{verb} {self.distribution.describe()}" + (", shared by all candidates" if self.shared else "")

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {self.mode: self.distribution.as_dict(), "shared": self.shared}
        if self.source is not None:
            out["source"] = self.source
        return out


class ScenarioSpec(BaseModel):
    """A scenario file: how many draws, the seed, and what varies per field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: StrictStr | None = None
    draws: StrictInt = Field(1000, ge=1, le=MAX_DRAWS)
    seed: StrictInt = Field(0, ge=0, lt=2**63)
    vary: dict[StrictStr, VarySpec] = Field(default_factory=dict)
    cashflows: dict[Literal["cash", "invest"], VarySpec] = Field(default_factory=dict)

    def streams(self) -> dict[str, VarySpec]:
        """Every varied quantity by stream name: the fields, then ``cashflows.cash`` / ``cashflows.invest``."""
        return {**self.vary, **{f"cashflows.{k}": v for k, v in sorted(self.cashflows.items())}}


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec, where it came from and the hash of its bytes."""

    spec: ScenarioSpec
    file: str
    hash: str
    lines: Mapping[tuple[object, ...], int]

    def line_of(self, *path: object) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def load_spec(path: str | Path, pack: Any | None = None) -> LoadedSpec:
    """Read and validate a scenario spec (and, given ``pack``, check it against the pack).

    Raises:
        InputError: every problem found, each naming the file, the line and the key.
    """
    from screening.pack.validation import problems_from_validation
    from screening.pack.yamlio import read_yaml

    path = Path(path)
    doc, problems = read_yaml(path)
    if doc is None:
        raise InputError(problems)
    if not isinstance(doc.data, dict):
        raise InputError([Problem("a scenario spec is a mapping with draws, seed and vary", file=doc.file, line=1)])
    spec: ScenarioSpec | None = None
    try:
        spec = ScenarioSpec.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, doc, ScenarioSpec))
    valid: dict[str, VarySpec] = dict(spec.vary) if spec else _valid_entries(doc.data.get("vary"))
    flows: dict[str, VarySpec] = dict(spec.cashflows) if spec else _valid_entries(doc.data.get("cashflows"))  # type: ignore[arg-type]
    if spec is not None and not spec.vary and not spec.cashflows:
        problems.append(Problem("nothing varies: name at least one field under vary (or cash or invest under "
                                "cashflows)", file=doc.file, line=doc.line_of(("vary",)), column="vary"))
    for name, vary in flows.items():
        where = {"file": doc.file, "line": doc.line_of(("cashflows", name)), "column": f"cashflows.{name}"}
        if vary.mode != "scale":
            problems.append(Problem(f"cash flows vary by scale only (each {name} flow is multiplied by the draw), "
                                    f"not {vary.mode}", **where))  # type: ignore[arg-type]
        elif pack is not None and getattr(pack, "finance", None) is None:
            problems.append(Problem(f"pack '{pack.name}' has no finance: section, so its candidates have no cash "
                                    "flows to vary", **where))  # type: ignore[arg-type]
    if pack is not None:
        for name, vary in valid.items():
            for message in check_against_pack(name, vary, pack):
                problems.append(Problem(message, file=doc.file, line=doc.line_of(("vary", name)), column=f"vary.{name}"))
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0)))
    assert spec is not None
    digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedSpec(spec, doc.file, digest, doc.lines)


def _valid_entries(raw: object) -> dict[str, VarySpec]:
    """The entries of ``vary`` that validate on their own (so the pack checks still run on them)."""
    out: dict[str, VarySpec] = {}
    if isinstance(raw, dict):
        for name, item in raw.items():
            try:
                out[str(name)] = VarySpec.model_validate(item)
            except ValidationError:
                pass
    return out


#: Names the finance section computes (CONTRACT §9): they are outputs, never varied directly.
FINANCE_FIELDS = ("project_irr", "japan_irr", "japan_multiple", "japan_made_whole_on", "us_share_of_cash")


def check_against_pack(name: str, vary: VarySpec, pack: Any) -> list[str]:
    """What is wrong with varying field ``name`` of ``pack`` as ``vary`` says (empty: nothing)."""
    fields = pack.fields
    if name not in fields:
        if name in FINANCE_FIELDS:
            return [f"'{name}' is computed from the cash flows (CONTRACT §9): vary its inputs "
                    f"(capex, annual_cash, ... or the cash-flow file) instead"]
        inputs = [f for f, spec in fields.items() if not spec.is_derived]
        close = difflib.get_close_matches(name, inputs, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return [f"field '{name}' is not declared by pack '{pack.name}'{hint}"]
    field = fields[name]
    if field.is_derived:
        reads = ", ".join(sorted(set(field.derive.names()) & set(fields))) if field.derive is not None else ""
        return [f"'{name}' is derived ({field.spec.derive}): vary the fields it is computed from ({reads})"]
    if name == "id":
        return ["the candidate id cannot vary"]
    kind = field.spec.type.value
    dist = vary.distribution
    if kind in ("number", "integer"):
        if not dist.numeric:
            odd = ", ".join(repr(v) for v in dist.values if not _is_number(v))
            return [f"'{name}' is a {kind} field, but the choice draws {odd}"]
        return []
    if kind in ("string", "bool"):
        if vary.mode != "set":
            return [f"'{name}' is a {kind} field: {vary.mode} needs a number field; "
                    f"use {{set: {{choice: {{value: weight, ...}}}}}} to replace its value"]
        if dist.name != "choice":
            return [f"'{name}' is a {kind} field: a {dist.name} distribution draws numbers; use choice"]
        want = str if kind == "string" else bool
        wrong = [repr(v) for v in dist.values if not isinstance(v, want)]
        if wrong:
            return [f"'{name}' is a {kind} field, but the choice draws {', '.join(wrong)}"]
        enum = field.spec.enum
        if enum is not None:
            outside = [repr(v) for v in dist.values if v not in enum]
            if outside:
                return [f"{', '.join(outside)} not in the enum of '{name}' ({', '.join(map(str, enum))})"]
        return []
    return [f"'{name}' is a {kind} field: only number, integer, string and bool fields can vary"]
