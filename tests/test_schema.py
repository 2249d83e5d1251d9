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


def test_the_obvious_recipe_validates_every_bundled_file_as_yaml_loads_it() -> None:
    """issue 12 item 11: yaml.safe_load + jsonschema.validate, no conversion; dates as dates or as text."""
    import jsonschema

    schema = json.loads(SHIPPED.read_text())
    files = sorted((ROOT / "rules").glob("*/*.yaml")) + sorted((ROOT / "tests/fixtures/packs").glob("*/*.yaml"))
    assert len(files) > 10
    for path in files:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)  # the README's two lines
    quoted = {"parameters": {"p": {"values": [{"since": "2026-04-01", "value": 1}], "source": "s"}}}
    jsonschema.validate(quoted, schema)


def test_the_schema_rejects_a_date_yaml_reads_as_text() -> None:
    import jsonschema
    import pytest

    schema = json.loads(SHIPPED.read_text())
    bad = yaml.safe_load("parameters:\n  p:\n    source: s\n    values:\n      - {since: 2026-4-1, value: 1}\n")
    assert bad["parameters"]["p"]["values"][0]["since"] == "2026-4-1"  # text to YAML, not a date
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_the_readme_recipe_runs() -> None:
    import os
    import re

    block = re.search(r"```python\n(import json, jsonschema, yaml\n.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None and len(block.group(1).strip().splitlines()) == 2
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(block.group(1), "README.md", "exec"), {})  # noqa: S102 - the README's own two lines
    finally:
        os.chdir(here)
