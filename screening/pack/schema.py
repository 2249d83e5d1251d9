"""JSON Schema of one rule file, generated from the pydantic model, for editors."""

from __future__ import annotations

from screening.pack.model import PackFile


def rule_file_schema() -> dict[str, object]:
    schema = PackFile.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Screening rule file"
    schema["description"] = ("One YAML file of a rule pack (CONTRACT.md §1): header keys (pack, version, title, "
                             "extends, drop) in one file; fields, parameters, rules, tests and flow in any.")
    return dict(schema)
