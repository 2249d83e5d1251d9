"""JSON Schema of one rule file, generated from the pydantic model, for editors."""

from __future__ import annotations

from screening.pack.model import PackFile


def rule_file_schema() -> dict[str, object]:
    schema = PackFile.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Screening rule file"
    schema["description"] = ("One YAML file of a rule pack (CONTRACT.md §1): header keys (pack, version, title, "
                             "extends, drop) in one file; fields, parameters, rules, tests and flow in any.")
    return dict(_dates_either_way(schema))  # type: ignore[arg-type]


#: Every JSON type: a value that is none of them is what ``yaml.safe_load`` makes of an unquoted date.
_JSON_TYPES = ["string", "number", "integer", "boolean", "null", "array", "object"]


def _dates_either_way(node: object) -> object:
    """Date spots accept ``YYYY-MM-DD`` text or the date object ``yaml.safe_load`` gives for it.

    So ``jsonschema.validate(yaml.safe_load(f), schema)`` works on a rule file as it is, and
    ``since: 2026-4-1`` (text to YAML, not a date) is rejected by the pattern.
    """
    if isinstance(node, list):
        return [_dates_either_way(v) for v in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "date" and node.get("type") == "string":
        rest = {k: v for k, v in node.items() if k not in ("format", "type")}
        return {**rest, "anyOf": [{"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                                  {"not": {"type": _JSON_TYPES}}],
                "description": "a date, YYYY-MM-DD (unquoted, YAML reads it as a date; quoted, as text)"}
    return {k: _dates_either_way(v) for k, v in node.items()}
