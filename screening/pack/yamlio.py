"""Read a YAML file safely, refusing duplicate keys and remembering the line of every node.

The document is composed into nodes with PyYAML's safe loader (never a full loader); the
same nodes are constructed with ``SafeLoader`` semantics. The result is the plain data and a
map from key paths such as ``('rules', 2, 'require')`` to 1-based line numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from screening.errors import Problem

Path_ = tuple[object, ...]


def format_loc(loc: tuple[object, ...]) -> str:
    """``('rules', 2, 'require')`` -> ``rules[2].require``."""
    out = ""
    for el in loc:
        out += f"[{el}]" if isinstance(el, int) else ("." if out else "") + str(el)
    return out


@dataclass
class YamlDoc:
    """A parsed YAML file: its data and the line of each key path."""

    file: str
    data: object
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest known prefix of ``path`` (so a missing key points at its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def read_yaml(path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one YAML file. Returns the document, or None and the problems found."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(f"not UTF-8 text (byte {exc.start})", file=file)]
    except OSError as exc:
        return None, [Problem(f"cannot read: {exc.strerror}", file=file)]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return None, [Problem(f"YAML syntax error: {exc.problem or exc.context}", file=file, line=line)]
    except yaml.YAMLError as exc:  # pragma: no cover - other YAML errors carry no mark
        return None, [Problem(f"YAML error: {exc}", file=file)]
    if node is None:
        return YamlDoc(file, {}, {(): 1}), []
    problems: list[Problem] = []
    lines: dict[Path_, int] = {}
    _walk(node, (), lines, problems, file)
    if problems:
        return None, problems
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return None, [Problem(f"YAML error: {exc.problem}", file=file, line=line)]
    finally:
        loader.dispose()
    return YamlDoc(file, data, lines), []


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key == "<<":
                problems.append(Problem("YAML merge keys ('<<') are not supported; write the keys out", file=file, line=line))
                continue
            if key in seen:
                where = format_loc(path)
                problems.append(Problem(
                    f"duplicate key '{key}'{' in ' + where if where else ''} (first at line {seen[key]})",
                    file=file, line=line))
                continue
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, problems, file)
