"""Load a rule pack folder: read every YAML file, validate, merge ``extends``, compile.

All problems of a pack (and of the packs it extends) are collected and raised together as
one :class:`~screening.errors.InputError`, each naming file and line.
"""

from __future__ import annotations

import hashlib
import string
from pathlib import Path

from pydantic import ValidationError

from screening.errors import InputError, Problem
from screening.finance.names import FINANCE_FIELDS, PROFILE_FIELDS
from screening.lang import nodes as n
from screening.lang.parse import ExpressionError, parse_expression
from screening.lang.types import ANY, BOOL, FIELD_TYPES, NUMBER, Type, TypeErrors, check_expression, type_of_value
from screening.limits import MAX_RULES
from screening.pack.authoring import (
    OpenScope,
    check_test_values,
    did_you_mean,
    inheritance,
    no_such_base,
    note_replacing,
    numbers_read_as_text,
)
from screening.pack.compiled import (
    BUILTIN_NAMES,
    PackField,
    PackFinance,
    PackParameter,
    PackRule,
    PackTest,
    Place,
    RulePack,
)
from screening.pack.model import PackFile
from screening.pack.portfolio import check_portfolio_rule, compile_portfolio_rule
from screening.pack.validation import problems_from_validation
from screening.pack.yamlio import YamlDoc, read_yaml
from screening.tables.compile import OUTPUT_TYPES, PackTable, TableSource, compile_table, read_table


def _quiet(message: str, place: Place | None = None, column: str | None = None) -> None:
    """Drop a problem that is only a consequence of an extended pack that did not load."""


def load_pack(path: str | Path) -> RulePack:
    """Load and validate the pack in folder ``path``.

    Raises:
        InputError: every problem found, each with file and line.
    """
    return _Loader().load(Path(path), ())


class _Loader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # per file and section: position in the validated list -> position in the YAML list
        self.index_maps: dict[str, dict[str, list[int]]] = {}
        # names whose definitions were invalid: not reported again as unknown names
        self.lenient: set[str] = set()
        # ids of rules that were invalid: tests that name them are not told they are unknown
        # (kept apart from ``lenient``: a rule id is not a name an expression can read)
        self.lenient_rules: set[str] = set()
        # rules and derived fields dropped for invalid keys or values: their expressions are still checked
        self.dropped: list[tuple[YamlDoc, tuple[object, ...], dict]] = []

    def _salvage(self, doc: YamlDoc, exc: ValidationError) -> PackFile | None:
        """Drop the invalid items of a file so the rest can still be checked (errors already reported)."""
        from screening.pack.validation import _clean_loc
        data = dict(doc.data)  # type: ignore[arg-type, call-overload]
        bad: dict[str, set[object]] = {}
        for e in exc.errors():
            loc = _clean_loc(doc.data, e["loc"], e["type"])
            if not loc:
                return None
            if len(loc) >= 2 and loc[0] in ("fields", "parameters", "rules", "tests", "tables"):
                bad.setdefault(str(loc[0]), set()).add(loc[1])
            elif loc[0] == "pack":
                data["pack"] = "invalid-name"
            else:
                data.pop(str(loc[0]), None)
        maps: dict[str, list[int]] = {}
        for section, keys in bad.items():
            value = data.get(section)
            for key in keys:
                item = value.get(key) if isinstance(value, dict) else (
                    value[key] if isinstance(value, list) and isinstance(key, int) else None)
                if section in ("rules", "fields") and isinstance(item, dict):
                    self.dropped.append((doc, (section, key), item))
            if isinstance(value, dict):
                self.lenient.update(str(k) for k in keys)
                data[section] = {k: v for k, v in value.items() if k not in keys}
            elif isinstance(value, list):
                maps[section] = [i for i in range(len(value)) if i not in keys]
                for i in keys:
                    if section == "rules" and isinstance(value[i], dict):  # type: ignore[call-overload, index]
                        self.lenient_rules.add(str(value[i].get("id")))  # type: ignore[call-overload, index]
                data[section] = [value[i] for i in maps[section]]
        try:
            pf = PackFile.model_validate(data)
        except ValidationError:
            return None
        self.index_maps[doc.file] = maps
        return pf

    def _orig(self, doc: YamlDoc, section: str, index: int) -> int:
        return self.index_maps.get(doc.file, {}).get(section, [])[index] if section in self.index_maps.get(doc.file, {}) else index

    def err(self, message: str, place: Place | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, file=place.file if place else None,
                                     line=place.line if place else None, column=column))

    def load(self, folder: Path, stack: tuple[Path, ...]) -> RulePack:
        pack = self._load(folder, stack)
        if pack is not None and pack.flow is not None and not self.problems:
            from screening.flow.model import compile_flow  # the flow is checked with the pack
            try:
                compile_flow(pack)
            except InputError as exc:
                self.problems.extend(exc.problems)
        if self.problems or pack is None:
            unique = list(dict.fromkeys(self.problems))  # every problem at once, in file and line order
            unique.sort(key=lambda p: (p.file or "", p.line if p.line is not None else -1))
            raise InputError(unique or [Problem("pack could not be loaded", file=str(folder))])
        return pack

    def _load(self, folder: Path, stack: tuple[Path, ...]) -> RulePack | None:  # noqa: C901
        real = folder.resolve()
        if real in stack:
            chain = " -> ".join(str(p) for p in (*stack, real))
            self.err(f"'extends' makes a cycle: {chain}", Place(str(folder), None))
            return None
        if not folder.is_dir():
            self.err("not a folder: a rule pack is a folder of *.yaml files", Place(str(folder), None))
            return None
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            self.err("no *.yaml or *.yml files in this folder", Place(str(folder), None))
            return None
        parsed: list[tuple[YamlDoc, PackFile]] = []
        for path in files:
            doc, problems = read_yaml(path)
            if doc is None:
                self.problems.extend(problems)
                continue
            if not isinstance(doc.data, dict):
                self.err("a rule file holds a mapping of sections (fields, parameters, rules, tests, flow, finance)",
                         Place(doc.file, 1))
                continue
            try:
                parsed.append((doc, PackFile.model_validate(doc.data)))
                self.index_maps[doc.file] = {}
            except ValidationError as exc:
                self.problems.extend(problems_from_validation(exc, doc, PackFile))
                salvaged = self._salvage(doc, exc)
                if salvaged is not None:
                    parsed.append((doc, salvaged))
        if len(parsed) < len(files) and not all(d.file in self.index_maps for d, _ in parsed):
            return None
        if any(p.file not in {d.file for d, _ in parsed} for p in (Place(str(f), None) for f in files)):
            return None  # a file could not be read at all: its names are unknown, so stop before cross-checks

        headers = [(d, f) for d, f in parsed if f.has_header]
        for doc, pf in parsed:
            if not pf.has_header:
                for key in ("version", "title", "label", "extends", "drop"):
                    if key in doc.data:  # type: ignore[operator]
                        self.err(f"'{key}' belongs in the pack header (the file with 'pack:')",
                                 Place(doc.file, doc.line_of((key,))), key)
        if not headers:
            self.err("no pack header: one file (conventionally pack.yaml) must say 'pack: <name>'",
                     Place(str(folder), None))
            return None
        if len(headers) > 1:
            places = ", ".join(f"{d.file}:{d.line_of(('pack',))}" for d, _ in headers)
            self.err(f"more than one pack header: {places}", Place(headers[1][0].file, headers[1][0].line_of(("pack",))))
            return None
        hdoc, header = headers[0]
        if header.version is None and "version" not in hdoc.data:  # type: ignore[operator]  # (else: its type is reported)
            self.err("the header needs 'version' (free text, recorded in every result)", Place(hdoc.file, 1))

        # The packs this one extends, merged in order.
        fields: dict[str, PackField] = {}
        params: dict[str, PackParameter] = {}
        rules: list[PackRule] = []
        prules: list[PackRule] = []
        scope: str | None = None
        label: str | None = None
        flow, flow_place = None, None
        finance: PackFinance | None = None
        table_sources: dict[str, TableSource] = {}
        lineage: list[str] = []
        hash_parts: list[bytes] = []
        all_files: list[str] = []
        base_broken = False  # an extended pack that did not load: what it defines is unknown here
        bases: list[str] = []
        for i, rel in enumerate(header.extends):
            if not (folder / rel).is_dir():
                no_such_base(folder, rel, Place(hdoc.file, hdoc.line_of(("extends", i))), self.err)
                base_broken = True
                continue
            base = self._load(folder / rel, (*stack, real))
            if base is None:
                base_broken = True
                continue
            bases.append(base.name)
            if base.name == header.pack:
                self.err(f"extends a pack with its own name '{base.name}'", Place(hdoc.file, hdoc.line_of(("extends", i))))
            lineage.extend(x for x in base.lineage if x not in lineage)
            fields.update(base.fields)
            params.update(base.parameters)
            table_sources.update({name: t.source for name, t in base.tables.items()})
            replaced = {r.id for r in base.rules}
            if any(x.id in replaced for x in rules):
                rules = [x for x in rules if x.id not in replaced]
            rules.extend(base.rules)
            for r in base.portfolio_rules:
                prules = [x for x in prules if x.id != r.id] + [r]
            scope = base.portfolio_scope
            label = base.label or label
            if base.flow is not None:
                flow, flow_place = base.flow, base.flow_place
            if base.finance is not None:
                finance = base.finance
            hash_parts.append(base.hash.encode())
            all_files.extend(base.files)
        inherited_rule_ids = {r.id for r in rules} | {r.id for r in prules}
        base_rules = {r.id: r.origin for r in [*rules, *prules]}
        base_prules = {r.id for r in prules}
        base_names = {"field": set(fields), "parameter": set(params), "table": set(table_sources)}
        notes: list[Problem] = []
        replaced_here: dict[str, list[str]] = {}
        for i, rid in enumerate(header.drop):
            if rid not in inherited_rule_ids and not base_broken:
                self.err(f"'drop' names '{rid}', which no extended pack defines", Place(hdoc.file, hdoc.line_of(("drop", i))))
        rules = [r for r in rules if r.id not in header.drop]
        prules = [r for r in prules if r.id not in header.drop]
        scope_place: Place | None = None
        rule_at = {r.id: i for i, r in enumerate(rules)}
        prule_ids = {r.id for r in prules}
        count = len(rules) + sum(len(pf.rules) for _, pf in parsed)
        if count > MAX_RULES:
            self.err(f"{count:,} rules is more than the limit of {MAX_RULES:,} for a pack", Place(hdoc.file, 1))
            return None

        # This pack's own definitions; a name defined twice in the pack is an error.
        own_fields: dict[str, Place] = {}
        own_params: dict[str, Place] = {}
        own_rules: dict[str, Place] = {}
        own_tables: dict[str, Place] = {}
        own_tests: list[PackTest] = []
        test_docs: list[tuple[PackTest, YamlDoc, int]] = []  # each test, its file and its index there
        own_finance: Place | None = None
        test_names: dict[str, Place] = {}
        for doc, pf in parsed:
            for name, spec in pf.fields.items():
                place = Place(doc.file, doc.line_of(("fields", name)))
                if self._dup("field", name, place, own_fields):
                    continue
                fields[name] = PackField(name, spec, place)
            for name, pspec in pf.parameters.items():
                place = Place(doc.file, doc.line_of(("parameters", name)))
                if self._dup("parameter", name, place, own_params):
                    continue
                kind = ANY if numbers_read_as_text(doc, ("parameters", name), self.err) else self._param_type(name, pspec, place)
                params[name] = PackParameter(name, pspec, place, kind)
            for name, tspec in pf.tables.items():
                place = Place(doc.file, doc.line_of(("tables", name)))
                if self._dup("table", name, place, own_tables):
                    continue
                table_sources[name] = read_table(name, tspec, doc.file, doc.line_of, self.problems.append)
            for j, rspec in enumerate(pf.rules):
                i = self._orig(doc, "rules", j)
                place = Place(doc.file, doc.line_of(("rules", i)))
                if self._dup("rule", rspec.id, place, own_rules):
                    continue
                if rspec.id in header.drop:
                    self.err(f"rule '{rspec.id}' is both defined here and dropped in the header", place)
                rule = self._compile_rule(rspec, doc, i, header.pack or "")
                if rule is None:
                    self.lenient_rules.add(rspec.id)  # reported once: tests that name it are not told it is unknown
                    continue
                if rule.id in prule_ids:
                    self.err(f"rule '{rule.id}' replaces an inherited portfolio rule: a rule about one candidate "
                             "and a rule about the list cannot share an id", place)
                    continue
                if rule.id in rule_at:
                    rules[rule_at[rule.id]] = rule
                    replaced_here.setdefault("rule", []).append(rule.id)
                    note_replacing(rule, base_rules[rule.id], notes, self.err)
                else:
                    rule_at[rule.id] = len(rules)
                    rules.append(rule)
                    note_replacing(rule, None, notes, self.err if not base_broken else _quiet)
            if pf.portfolio is not None:
                if pf.portfolio.scope is not None:
                    here = Place(doc.file, doc.line_of(("portfolio", "scope")))
                    if scope_place is not None:
                        self.err(f"portfolio 'scope' is set twice in this pack (first at {scope_place})", here)
                    scope_place, scope = here, pf.portfolio.scope.value
                for j, rspec in enumerate(pf.portfolio.rules):
                    i = j  # portfolio rules are not salvaged item by item
                    place = Place(doc.file, doc.line_of(("portfolio", "rules", i)))
                    if self._dup("rule", rspec.id, place, own_rules):
                        continue
                    if rspec.id in header.drop:
                        self.err(f"rule '{rspec.id}' is both defined here and dropped in the header", place)
                    if rspec.id in rule_at:
                        self.err(f"portfolio rule '{rspec.id}' has the id of a rule about one candidate", place)
                        continue
                    rule = self._compile_rule(rspec, doc, i, header.pack or "", prefix=("portfolio", "rules"))
                    if rule is None:
                        self.lenient_rules.add(rspec.id)
                        continue
                    if any(r.id == rule.id for r in prules):
                        prules = [rule if r.id == rule.id else r for r in prules]
                        replaced_here.setdefault("portfolio rule", []).append(rule.id)
                        note_replacing(rule, base_rules[rule.id], notes, self.err)
                    else:
                        prules.append(rule)
                        note_replacing(rule, None, notes, self.err if not base_broken else _quiet)
            for j, case in enumerate(pf.tests):
                place = Place(doc.file, doc.line_of(("tests", self._orig(doc, "tests", j))))
                if case.name in test_names:
                    self.err(f"test '{case.name}' is defined twice (first at {test_names[case.name]})", place)
                test_names[case.name] = place
                own_tests.append(PackTest(case, place))
                test_docs.append((own_tests[-1], doc, self._orig(doc, "tests", j)))
            if pf.flow is not None:
                place = Place(doc.file, doc.line_of(("flow",)))
                if flow_place is not None and flow_place.file in [d.file for d, _ in parsed]:
                    self.err(f"'flow' is defined twice (first at {flow_place})", place)
                flow, flow_place = pf.flow, place
            if pf.finance is not None:
                fplace = Place(doc.file, doc.line_of(("finance",)))
                if own_finance is not None:
                    self.err(f"'finance' is defined twice in this pack (first at {own_finance})", fplace)
                own_finance = fplace
                finance = self._compile_finance(pf.finance, doc, fplace)

        for name in fields:
            if name in params:
                self.err(f"'{name}' is both a field ({fields[name].place}) and a parameter ({params[name].place})",
                         params[name].place)
            if name in BUILTIN_NAMES:
                self.err(f"'{name}' is a built-in name and cannot be declared as a field", fields[name].place)
        for name in params:
            if name in BUILTIN_NAMES:
                self.err(f"'{name}' is a built-in name and cannot be a parameter", params[name].place)
        for name, thing in [*fields.items(), *params.items()]:
            if name in FINANCE_FIELDS:
                kind = "field" if name in fields else "parameter"
                self.err(f"'{name}' is a finance field, computed from the cash flows by the pack's 'finance:' "
                         f"section; it cannot be declared as a {kind}", thing.place)  # type: ignore[attr-defined]

        for name, src in table_sources.items():
            place = Place(src.place.file, src.place.line)
            for kind, names in (("field", fields), ("parameter", params)):
                if name in names:
                    self.err(f"'{name}' is both a table and a {kind} ({names[name].place})", place)  # type: ignore[attr-defined]
            if name in BUILTIN_NAMES:
                self.err(f"'{name}' is a built-in name and cannot be a table", place)
            if name in FINANCE_FIELDS:
                self.err(f"'{name}' is a finance field, computed from the cash flows; it cannot be a table", place)

        names = self._scope(fields, params)
        names.update({name: OUTPUT_TYPES[src.spec.output.value] for name, src in table_sources.items()})
        if base_broken:
            names = OpenScope(names)
        constants = set(params) | {"as_of"}
        tables = {}
        for name, src in table_sources.items() if not base_broken else []:  # checked once extends is fixed
            compiled = compile_table(src, names, constants, self.problems.append)
            if compiled is not None:
                tables[name] = compiled
            else:
                self.lenient.add(name)
        if base_broken:
            self.lenient.update(table_sources)
        derive_order = self._compile_derived(fields, names, tables)
        if finance is not None:
            self._check_finance(finance, fields, names)
            names.update({name: FIELD_TYPES[kind] for name, kind in FINANCE_FIELDS.items()})
        for rule in rules:
            self._check_rule(rule, names, fields, params)
        self._check_dropped(names)
        for rule in prules:
            check_portfolio_rule(rule, names, [*fields, *table_sources], self.err)
        rule_ids = {r.id for r in rules}
        portfolio_ids = {r.id for r in prules}
        if not base_broken:
            for t, doc, index in test_docs:
                check_test_values(t, doc, index, fields, finance is not None, self.lenient, self.err)
        for t, doc, index in test_docs if not base_broken else []:
            def at(*keys: object, _doc: YamlDoc = doc, _index: int = index) -> Place:
                return Place(_doc.file, _doc.line_of(("tests", _index, "expect", *keys)))
            for rid in (t.case.expect.outcomes or {}):
                if rid in portfolio_ids:
                    self.err(f"test '{t.case.name}' expects '{rid}' under 'outcomes', but it is a portfolio rule: "
                             "write it under expect: {portfolio: {outcomes: ...}}", at("outcomes", rid))
                elif rid not in rule_ids and rid not in self.lenient_rules:
                    self.err(f"test '{t.case.name}' expects an outcome of unknown rule '{rid}'"
                             + did_you_mean(rid, rule_ids), at("outcomes", rid))
            expect_p = t.case.expect.portfolio
            if expect_p is not None:
                if not prules:
                    self.err(f"test '{t.case.name}' expects a portfolio, but the pack has no portfolio rules",
                             at("portfolio"))
                for rid in (expect_p.outcomes or {}):
                    if rid not in portfolio_ids and rid not in self.lenient_rules:
                        self.err(f"test '{t.case.name}' expects an outcome of unknown portfolio rule '{rid}'"
                                 + did_you_mean(rid, portfolio_ids), at("portfolio", "outcomes", rid))
        for doc, _ in parsed:
            hash_parts.append(Path(doc.file).name.encode() + b"\0" + Path(doc.file).read_bytes())
        all_files.extend(d.file for d, _ in parsed)
        for src in table_sources.values():  # ``from:`` files are part of the pack
            if src.file is not None and src.file not in all_files and Path(src.file).is_file():
                hash_parts.append(Path(src.file).name.encode() + b"\0" + Path(src.file).read_bytes())
                all_files.append(src.file)
        own = {"field": set(own_fields), "parameter": set(own_params), "table": set(own_tables)}
        own_files = {d.file for d, _ in parsed}
        also = [x for x, v in (("the flow", flow is not None and flow_place is not None and flow_place.file not in own_files),
                                ("finance", finance is not None and own_finance is None),
                                (f"label {label}", label is not None and header.label is None)) if v]
        digest = hashlib.sha256(b"\0\0".join(sorted(hash_parts))).hexdigest()
        lineage.append(header.pack or "")
        return RulePack(
            name=header.pack or "", version=header.version or "", title=header.title or header.pack or "",
            path=str(folder), fields=fields, parameters=params, rules=rules, tests=own_tests, flow=flow,
            flow_place=flow_place, derive_order=derive_order, hash=f"sha256:{digest}", lineage=lineage,
            files=all_files, portfolio_rules=prules, portfolio_scope=scope or "all", tables=tables,
            finance=finance,
            label=self._label(header.label or label, fields, Place(hdoc.file, hdoc.line_of(("label",)))),
            inheritance=inheritance(header, bases, base_rules, base_prules, base_names, own, replaced_here, also),
            notes=notes,
        )

    def _label(self, label: str | None, fields: dict[str, PackField], place: Place) -> str | None:
        """The field naming a candidate: the header's ``label``, inherited, else ``name`` if declared."""
        if label is None:
            return "name" if "name" in fields and not fields["name"].is_derived else None
        if label not in fields or fields[label].is_derived:
            inputs = [n for n, f in fields.items() if not f.is_derived]
            from difflib import get_close_matches
            close = get_close_matches(label, inputs, n=1)
            self.err(f"'label' names '{label}', which is not an input field of the pack"
                     + (f"; did you mean '{close[0]}'?" if close else ""), place, "label")
            return None
        return label

    def _dup(self, kind: str, name: str, place: Place, seen: dict[str, Place]) -> bool:
        if name in seen:
            self.err(f"{kind} '{name}' is defined twice in this pack (first at {seen[name]})", place)
            return True
        seen[name] = place
        return False

    def _param_type(self, name: str, spec, place: Place) -> Type:
        if spec.values is None:
            return type_of_value(spec.value)
        # an empty list or mapping takes the type of the others (a list that starts empty is still a list of strings)
        typed = [type_of_value(v.value) for v in spec.values if v.value not in ([], {})] or [type_of_value(spec.values[0].value)]
        types = {str(t) for t in typed}
        if len(types) > 1 or len({type_of_value(v.value).kind for v in spec.values}) > 1:
            types |= {str(type_of_value(v.value)) for v in spec.values}
            self.err(f"parameter '{name}' has values of different types over time: {', '.join(sorted(types))}", place)
        return typed[0]

    def _scope(self, fields: dict[str, PackField], params: dict[str, PackParameter]) -> dict[str, Type]:
        scope: dict[str, Type] = {k: Type(v) if v != "list" else FIELD_TYPES["list"] for k, v in BUILTIN_NAMES.items()}
        scope.update({name: Type("any") for name in self.lenient})
        scope.update({name: FIELD_TYPES[f.spec.type.value] for name, f in fields.items()})
        scope.update({name: p.type for name, p in params.items()})
        return scope

    def _parse(self, text: str, place: Place, where: str, aggregates: bool = False) -> n.Node | None:
        try:
            return parse_expression(text, aggregates=aggregates)
        except ExpressionError as exc:
            self.err(f"{exc.message}", place, where)
            return None

    def _compile_rule(self, spec, doc: YamlDoc, index: int, origin: str,
                      prefix: tuple[str, ...] = ("rules",)) -> PackRule | None:
        portfolio = prefix != ("rules",)
        req_place = Place(doc.file, doc.line_of((*prefix, index, "require")))
        require = self._parse(spec.require, req_place, f"rule {spec.id} require", portfolio)
        applies = None
        if spec.applies_if is not None:
            app_place = Place(doc.file, doc.line_of((*prefix, index, "applies_if")))
            applies = self._parse(spec.applies_if, app_place, f"rule {spec.id} applies_if", portfolio)
            if applies is None:
                return None
        if require is None:
            return None
        places = {key: Place(doc.file, doc.line_of((*prefix, index, key))) for key in ("require", "applies_if", "message", "replaces")}
        rule = PackRule(spec, Place(doc.file, doc.line_of((*prefix, index))), require, applies, origin, places,
                        portfolio=portfolio)
        if portfolio:
            compile_portfolio_rule(rule, self.err)
        return rule

    def _finance_hint(self, expr: n.Node, place: Place, where: str, scope: dict[str, Type]) -> dict[str, Type]:
        """Finance names read where the pack has no finance section: one error each, with a hint."""
        extra: dict[str, Type] = {}
        for name in expr.names():
            if name in FINANCE_FIELDS and name not in scope:
                self.err(f"'{name}' is a finance field, but this pack has no 'finance:' section (CONTRACT §9): "
                         "add one (deemed_rate, japan_funding_share, us_share_before_recovery, "
                         "us_share_after_recovery) or extend a pack that has it", place, where)
                extra[name] = Type("any")
        return extra

    def _check_rule(self, rule: PackRule, scope: dict[str, Type], fields, params) -> None:
        for key, expr in (("applies_if", rule.applies_if), ("require", rule.require)):
            if expr is None:
                continue
            place = rule.places.get(key, rule.place)
            extra = self._finance_hint(expr, place, f"rule {rule.id} {key}", scope)
            if extra:
                scope = {**scope, **extra}
            try:
                check_expression(expr, scope, want=BOOL)
            except TypeErrors as exc:
                for message, part in exc.problems:
                    self.err(f"{message}: `{part}`", rule.places.get(key, rule.place), f"rule {rule.id} {key}")
        if rule.spec.message is not None:
            for outcome in ("fail", "pass_", "missing", "not_applicable"):
                template = getattr(rule.spec.message, outcome)
                if template is not None:
                    self._check_template(template, scope, rule, outcome.rstrip("_"))

    def _check_dropped(self, scope: dict[str, Type]) -> None:
        """Parse and type-check the expressions of rules and fields that were dropped for other problems."""
        for doc, loc, item in self.dropped:
            keys = ("applies_if", "require") if loc[0] == "rules" else ("derive",)
            name = item.get("id") if loc[0] == "rules" else loc[1]
            for key in keys:
                text = item.get(key)
                if not isinstance(text, str):
                    continue
                place = Place(doc.file, doc.line_of((*loc, key)))
                where = f"rule {name} {key}" if loc[0] == "rules" else f"fields.{name}.derive"
                expr = self._parse(text, place, where)
                if expr is None:
                    continue
                want = BOOL if loc[0] == "rules" else None
                try:
                    check_expression(expr, scope, want=want)
                except TypeErrors as exc:
                    for message, part in exc.problems:
                        self.err(f"{message}: `{part}`", place, where)

    def _msg_err(self, text: str, rule: PackRule, outcome: str) -> None:
        self.err(text, rule.places.get("message", rule.place), f"rule {rule.id} message.{outcome}")

    def _check_template(self, template: str, scope: dict[str, Type], rule: PackRule, outcome: str) -> None:
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError as exc:
            self._msg_err(f"not a valid template: {exc}", rule, outcome)
            return
        for _, name, spec, _conv in parts:
            if name is None:
                continue
            if not name.isidentifier():
                self._msg_err(f"placeholder {{{name}}} must be a plain field or parameter name", rule, outcome)
            elif name in FINANCE_FIELDS and name not in scope:
                self._msg_err(f"{{{name}}} is a finance field, but this pack has no 'finance:' section", rule, outcome)
            elif name not in scope:
                self._msg_err(f"unknown name {{{name}}}", rule, outcome)
            if spec and "{" in spec:
                self._msg_err("nested placeholders are not allowed", rule, outcome)

    def _compile_derived(self, fields: dict[str, PackField], scope: dict[str, Type],
                         tables: dict[str, PackTable] | None = None) -> list[str]:
        tables = tables or {}
        deps: dict[str, list[str]] = {}
        for name, table in tables.items():
            deps[name] = [x for x in table.names() if x in tables or (x in fields and fields[x].spec.derive is not None)]
        for name, f in fields.items():
            if f.spec.derive is None:
                continue
            expr = self._parse(f.spec.derive, f.place, f"fields.{name}.derive")
            if expr is None:
                continue
            reads = [x for x in expr.names() if x in FINANCE_FIELDS]
            if reads:
                self.err(f"a derived field cannot read the finance field '{reads[0]}': derived fields are computed "
                         "before the waterfall (read it in a rule instead)", f.place, f"fields.{name}.derive")
                continue
            want = FIELD_TYPES[f.spec.type.value]
            try:
                check_expression(expr, scope, want=want)
            except TypeErrors as exc:
                for message, part in exc.problems:
                    self.err(f"{message}: `{part}`", f.place, f"fields.{name}.derive")
                continue
            f.derive = expr
            deps[name] = [x for x in expr.names() if x in tables or (x in fields and fields[x].spec.derive is not None)]
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = path[path.index(name):] + [name]
                if name in tables:
                    self.err(f"derived fields and tables form a cycle: {' -> '.join(cycle)}",
                             Place(tables[name].place.file, tables[name].place.line), f"tables.{name}.inputs")
                else:
                    self.err(f"derived fields form a cycle: {' -> '.join(cycle)}", fields[name].place, f"fields.{name}.derive")
                return
            state[name] = 1
            for dep in deps.get(name, []):
                visit(dep, path + [name])
            state[name] = 2
            order.append(name)

        for name in deps:
            visit(name, [])
        return order

    def _compile_finance(self, spec, doc: YamlDoc, place: Place) -> PackFinance | None:
        terms: dict[str, n.Node] = {}
        places: dict[str, Place] = {}
        for key in spec.TERMS:
            value = getattr(spec, key)
            kplace = Place(doc.file, doc.line_of(("finance", key)))
            places[key] = kplace
            text = value if isinstance(value, str) else repr(value)
            expr = self._parse(text, kplace, f"finance.{key}")
            if expr is None:
                return None
            terms[key] = expr
        return PackFinance(spec, place, terms, places)

    def _check_finance(self, finance: PackFinance, fields: dict[str, PackField], scope: dict[str, Type]) -> None:
        """Terms are numbers over fields and parameters; declared profile fields have the profile's types."""
        for key, expr in finance.terms.items():
            place = finance.places.get(key, finance.place)
            reads = [x for x in expr.names() if x in FINANCE_FIELDS]
            if reads:
                self.err(f"finance.{key} cannot read the finance field '{reads[0]}' (the terms come before the "
                         "waterfall)", place, f"finance.{key}")
                continue
            try:
                check_expression(expr, scope, want=NUMBER)
            except TypeErrors as exc:
                for message, part in exc.problems:
                    self.err(f"{message}: `{part}`", place, f"finance.{key}")
        for name, kind in PROFILE_FIELDS.items():
            f = fields.get(name)
            if f is not None and f.spec.type.value != kind and not (kind == "number" and f.spec.type.value == "integer"):
                self.err(f"profile field '{name}' must be of type {kind} (it gives the cash flows), not "
                         f"{f.spec.type.value}", f.place, f"fields.{name}")
