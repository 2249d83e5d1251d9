"""The rule-file model (CONTRACT.md §1, §6, §8), strict: unknown keys and wrong types are errors.

These classes describe what a rule author writes in one YAML file. They know nothing of
engines. :mod:`screening.pack.load` merges the files of a pack (and the packs it extends) and
compiles the expressions.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Any, ClassVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
IDENT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FieldType(str, Enum):
    """Types a candidate field may have."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOL = "bool"
    DATE = "date"
    LIST = "list"


class Category(str, Enum):
    """What a rule is about (CONTRACT.md §1)."""

    SECTOR = "sector"
    RISK = "risk"
    RETURN = "return"
    INSTRUMENT = "instrument"
    APPROVAL = "approval"
    PORTFOLIO = "portfolio"
    OTHER = "other"


class Severity(str, Enum):
    """Blocking rules decide the verdict; advisory rules only inform."""

    BLOCKING = "blocking"
    ADVISORY = "advisory"


class OutcomeName(str, Enum):
    """The four outcomes of a rule for a candidate (CONTRACT.md §3)."""

    PASS = "pass"
    FAIL = "fail"
    MISSING = "missing"
    NOT_APPLICABLE = "not_applicable"


class VerdictName(str, Enum):
    """A candidate's verdict (CONTRACT.md §3)."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"


Number = Union[StrictInt, StrictFloat]
Scalar = Union[StrictBool, StrictInt, StrictFloat, StrictStr, dt.date]
ParamValue = Union[Scalar, list[Scalar], dict[StrictStr, Scalar]]


class FieldSpec(_Strict):
    """One column of the candidate schema, optionally derived from others."""

    type: FieldType = Field(strict=False)
    required: StrictBool = False
    min: Number | None = None
    max: Number | None = None
    enum: list[Union[StrictStr, StrictInt, StrictFloat]] | None = None
    derive: StrictStr | None = None
    description: StrictStr | None = None
    unit: StrictStr | None = None
    source: StrictStr | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if self.derive is not None and self.required:
            raise ValueError("a derived field cannot be required: it is computed, not supplied")
        if (self.min is not None or self.max is not None) and self.type not in (FieldType.NUMBER, FieldType.INTEGER):
            raise ValueError(f"min/max apply to number and integer fields, not {self.type.value}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        if self.enum is not None and self.type is FieldType.BOOL:
            raise ValueError("enum does not apply to bool fields")
        return self


class DatedValue(_Strict):
    """A parameter value in force from ``since`` on."""

    since: dt.date
    value: ParamValue
    source: StrictStr | None = None


class ParameterSpec(_Strict):
    """A named value, or a list of dated values of which the latest in force applies."""

    value: ParamValue | None = None
    values: list[DatedValue] | None = None
    source: StrictStr | None = None
    description: StrictStr | None = None
    unit: StrictStr | None = None

    @model_validator(mode="after")
    def _one_of(self) -> "ParameterSpec":
        if (self.value is None) == (self.values is None):
            raise ValueError("give exactly one of 'value' or 'values' (a list of {since, value})")
        if self.values is not None:
            if not self.values:
                raise ValueError("'values' is empty")
            seen = set()
            for item in self.values:
                if item.since in seen:
                    raise ValueError(f"two values since {item.since.isoformat()}")
                seen.add(item.since)
        return self


class RuleMessages(_Strict):
    """Message templates per outcome: Python format strings over fields and parameters."""

    fail: StrictStr | None = None
    pass_: StrictStr | None = Field(default=None, alias="pass")
    missing: StrictStr | None = None
    not_applicable: StrictStr | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    def for_outcome(self, outcome: OutcomeName) -> str | None:
        return {
            OutcomeName.FAIL: self.fail,
            OutcomeName.PASS: self.pass_,
            OutcomeName.MISSING: self.missing,
            OutcomeName.NOT_APPLICABLE: self.not_applicable,
        }[outcome]

    def for_outcome_name(self, outcome: str) -> str | None:
        """The template for an outcome given by name (``pass``, ``fail``, ...)."""
        return self.for_outcome(OutcomeName(outcome))


class RuleSpec(_Strict):
    """One eligibility rule."""

    id: StrictStr = Field(pattern=NAME_PATTERN)
    title: StrictStr
    category: Category = Field(strict=False)
    severity: Severity = Field(default=Severity.BLOCKING, strict=False)
    applies_if: StrictStr | None = None
    require: StrictStr
    message: RuleMessages | None = None
    source: StrictStr
    description: StrictStr | None = None
    #: says that this rule replaces the inherited rule of the same id on purpose (silences the note)
    replaces: StrictBool = False


class Scope(str, Enum):
    """Which candidates a portfolio's aggregates see (CONTRACT.md §10)."""

    ALL = "all"
    ELIGIBLE = "eligible"
    NOT_INELIGIBLE = "not_ineligible"


class PortfolioVerdictName(str, Enum):
    """The verdict on the list as a whole."""

    WITHIN_LIMITS = "within_limits"
    OVER_LIMITS = "over_limits"
    INCOMPLETE = "incomplete"


class PortfolioSpec(_Strict):
    """Rules about the list as a whole (CONTRACT.md §10); aggregates are allowed only here."""

    scope: Scope | None = Field(default=None, strict=False)
    rules: list[RuleSpec] = []
    description: StrictStr | None = None


class PortfolioExpect(_Strict):
    """What a pack test expects of the portfolio: its verdict and/or named portfolio rules' outcomes."""

    verdict: PortfolioVerdictName | None = Field(default=None, strict=False)
    outcomes: dict[StrictStr, Annotated[OutcomeName, Strict(False)]] | None = None

    @model_validator(mode="after")
    def _something(self) -> "PortfolioExpect":
        if self.verdict is None and not self.outcomes:
            raise ValueError("expect.portfolio needs a verdict, outcomes, or both")
        return self


class TestExpect(_Strict):
    """What a pack test expects: the verdict and/or the outcomes of named rules, and/or the portfolio's."""

    verdict: VerdictName | None = Field(default=None, strict=False)
    outcomes: dict[StrictStr, Annotated[OutcomeName, Strict(False)]] | None = None
    portfolio: PortfolioExpect | None = None

    @model_validator(mode="after")
    def _something(self) -> "TestExpect":
        if self.verdict is None and not self.outcomes and self.portfolio is None:
            raise ValueError("expect needs a verdict, outcomes, a portfolio, or several of them")
        return self


class TestCase(_Strict):
    """A named case inside a rule pack (CONTRACT.md §6).

    ``candidate`` screens one candidate; ``candidates`` screens a list, whose portfolio rules
    ``expect.portfolio`` checks (a list has no single verdict, so only ``expect.portfolio``).
    """

    name: StrictStr
    as_of: dt.date | None = None
    candidate: dict[StrictStr, Any] | None = None
    candidates: list[dict[StrictStr, Any]] | None = Field(default=None, min_length=1)
    expect: TestExpect

    @model_validator(mode="after")
    def _one_of(self) -> "TestCase":
        if (self.candidate is None) == (self.candidates is None):
            raise ValueError("give exactly one of 'candidate' (one) or 'candidates' (a list, for portfolio rules)")
        if self.candidates is not None and (self.expect.verdict is not None or self.expect.outcomes
                                            or self.expect.portfolio is None):
            raise ValueError("a test with 'candidates' checks the portfolio: use expect: {portfolio: {...}} only")
        return self

    @property
    def all_candidates(self) -> list[dict[str, Any]]:
        return list(self.candidates) if self.candidates is not None else [dict(self.candidate or {})]


class Transition(_Strict):
    """An event that moves a candidate from one stage to another."""

    event: StrictStr = Field(pattern=IDENT_PATTERN)
    from_: Union[StrictStr, list[StrictStr]] = Field(alias="from")
    to: StrictStr
    by: list[StrictStr] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @property
    def sources(self) -> list[str]:
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)


class Deadline(_Strict):
    """A stage a candidate may stay in for a number of days, then moves on by itself."""

    in_: StrictStr = Field(alias="in")
    days: Union[StrictInt, StrictStr]
    then: StrictStr
    business_days: StrictBool = False

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)


class FlowSpec(_Strict):
    """The approval flow (CONTRACT.md §8)."""

    start: StrictStr
    transitions: list[Transition] = Field(min_length=1)
    deadlines: list[Deadline] = []


FinanceTerm = Union[StrictInt, StrictFloat, StrictStr]


class FinanceSpec(_Strict):
    """The framework's waterfall terms (CONTRACT.md §9): each a number, a parameter name or an
    expression over parameters and fields."""

    deemed_rate: FinanceTerm
    japan_funding_share: FinanceTerm
    us_share_before_recovery: FinanceTerm
    us_share_after_recovery: FinanceTerm
    description: StrictStr | None = None
    source: StrictStr | None = None

    TERMS: ClassVar[tuple[str, ...]] = ("deemed_rate", "japan_funding_share", "us_share_before_recovery",
                                        "us_share_after_recovery")


class HitPolicy(str, Enum):
    """How a decision table picks its value from the rows that match (CONTRACT.md §13)."""

    UNIQUE = "unique"
    FIRST = "first"
    COLLECT_SUM = "collect_sum"
    COLLECT_MIN = "collect_min"
    COLLECT_MAX = "collect_max"


class TableOutput(str, Enum):
    """The type of a table's value (its rows' ``then``)."""

    NUMBER = "number"
    INTEGER = "integer"
    STRING = "string"
    BOOL = "bool"
    DATE = "date"


TableCell = Union[StrictBool, StrictInt, StrictFloat, StrictStr, dt.date, list[Scalar], None]


class TableSpec(_Strict):
    """A decision table: rows of cell tests over named inputs, each with a value (``then``).

    Rows are given inline (``rows``) or read from a CSV / XLSX file (``from``, relative to the
    rule file). A row is a mapping of input name to cell (an input left out is ``-``) plus ``then``.
    """

    hit: HitPolicy = Field(default=HitPolicy.UNIQUE, strict=False)
    inputs: dict[Annotated[StrictStr, Field(pattern=IDENT_PATTERN)], StrictStr] = Field(min_length=1)
    output: TableOutput = Field(strict=False)
    rows: list[dict[StrictStr, TableCell]] | None = None
    from_: StrictStr | None = Field(default=None, alias="from")
    sheet: StrictStr | None = None
    else_: Union[StrictBool, StrictInt, StrictFloat, StrictStr, dt.date, None] = Field(default=None, alias="else")
    title: StrictStr | None = None
    description: StrictStr | None = None
    source: StrictStr | None = None

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _rows_or_file(self) -> "TableSpec":
        if (self.rows is None) == (self.from_ is None):
            raise ValueError("give exactly one of 'rows' (inline) or 'from' (a .csv or .xlsx file)")
        if self.sheet is not None and (self.from_ is None or not self.from_.lower().endswith(".xlsx")):
            raise ValueError("'sheet' applies to an .xlsx 'from' file only")
        if "then" in self.inputs:
            raise ValueError("'then' is the value column and cannot be an input name")
        return self


class PackFile(_Strict):
    """Everything one YAML file of a pack may hold. Header keys belong in one file only."""

    pack: StrictStr | None = Field(default=None, pattern=NAME_PATTERN)
    version: StrictStr | None = None
    title: StrictStr | None = None
    description: StrictStr | None = None
    #: the field that names a candidate in reports (default: ``name`` where the pack declares it)
    label: StrictStr | None = None
    extends: list[StrictStr] = []
    drop: list[StrictStr] = []
    fields: dict[StrictStr, FieldSpec] = {}
    parameters: dict[StrictStr, ParameterSpec] = {}
    rules: list[RuleSpec] = []
    tests: list[TestCase] = []
    flow: FlowSpec | None = None
    portfolio: PortfolioSpec | None = None
    tables: dict[Annotated[StrictStr, Field(pattern=IDENT_PATTERN)], TableSpec] = {}
    finance: FinanceSpec | None = None

    HEADER_KEYS: ClassVar[tuple[str, ...]] = ("pack", "version", "title", "description", "label", "extends", "drop")

    @property
    def has_header(self) -> bool:
        return self.pack is not None

