"""The JSON Schema shipped for editors matches the pydantic model and accepts the real packs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from screening.pack.schema import rule_file_schema

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "schema" / "rule-file.schema.json"


def test_shipped_schema_is_current() -> None:
    assert json.loads(SHIPPED.read_text()) == rule_file_schema(), (
        "schema/rule-file.schema.json is stale: run `screen schema -o schema/rule-file.schema.json`")


def test_schema_is_strict() -> None:
    schema = rule_file_schema()
    assert schema["additionalProperties"] is False
    rule = schema["$defs"]["RuleSpec"]
    assert rule["additionalProperties"] is False
    assert {"id", "title", "category", "require", "source"} <= set(rule["required"])


def test_schema_validates_pack_files() -> None:
    import jsonschema

    schema = rule_file_schema()
    for path in sorted((ROOT / "rules").glob("*/*.yaml")) + sorted((ROOT / "tests/fixtures/packs").glob("*/*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        jsonschema.validate(data, schema)


def test_schema_rejects_a_typo() -> None:
    import jsonschema
    import pytest

    bad = {"rules": [{"id": "a", "title": "A", "category": "return", "require": "x > 1", "source": "s", "severty": "advisory"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, rule_file_schema())
