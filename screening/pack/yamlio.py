"""Read a YAML file safely, refusing duplicate keys and remembering the line of every node.

The document is composed into nodes with PyYAML's safe loader (never a full loader); the
same nodes are constructed with ``SafeLoader`` semantics. The result is the plain data and a
map from key paths such as ``('rules', 2, 'require')`` to 1-based line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from screening.errors import Problem
from screening.limits import MAX_YAML_ALIASES, MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES

Path_ = tuple[object, ...]
#: libyaml's safe loader when PyYAML was built with it (about 10 times faster), else the pure-Python one.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    #: the text of unquoted scalars that YAML did not read as plain text (numbers, booleans, dates)
    #: or that look like numbers YAML 1.1 reads as text (``1e9``): the source of a YAML hint
    plain: dict[Path_, str] = field(default_factory=dict)

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
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            return None, [Problem(f"file of {size:,} bytes is larger than the limit of {MAX_YAML_BYTES:,} bytes "
                                  "for a rule file; split it", file=file)]
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        return None, [Problem(f"not UTF-8 text (byte {exc.start})", file=file, line=line)]
    except OSError as exc:
        return None, [Problem(f"cannot read: {exc.strerror}", file=file)]
    try:
        shape, aliases = _check_shape(text, file)
        if shape:
            return None, shape
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, text, file)]
    except yaml.YAMLError as exc:  # a reader error (e.g. a control character) carries its place in the text
        return None, [Problem(f"YAML error: {' '.join(str(exc).split())}", file=file)]
    if node is None:
        return YamlDoc(file, {}, {(): 1}), []
    expanded = _expanded_size(node, file) if aliases else []  # without aliases the tree is the text's size
    if expanded:
        return None, expanded
    problems: list[Problem] = []
    lines: dict[Path_, int] = {}
    plain: dict[Path_, str] = {}
    _walk(node, (), lines, problems, file, plain)
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
    return YamlDoc(file, data, lines, plain), []


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    """A YAML syntax error, said where the mistake usually is: a tab in the indentation, or a
    quote that is never closed (reported where it opens, not where YAML gave up)."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    said = f"YAML syntax error: {exc.problem or exc.context}"
    lines = text.splitlines()
    upto = lines[:line] if line else lines
    for number, content in enumerate(upto, start=1):
        indent = content[:len(content) - len(content.lstrip(" \t"))]
        if "\t" in indent:
            return Problem(f"a tab in the indentation (column {indent.index(chr(9)) + 1}): YAML indents with spaces "
                           "only; use spaces", file=file, line=number)
    if exc.context == "while scanning a quoted scalar" and exc.context_mark is not None:
        opened = exc.context_mark
        return Problem(f"the quote opened here (column {opened.column + 1}) is never closed; close it",
                       file=file, line=opened.line + 1)
    for number in range(len(upto), max(len(upto) - 3, 0), -1):  # a quoted text may run on for a line or two
        content = upto[number - 1]
        quotes = content.count('"') - content.count('\\"')
        if quotes % 2 and not content.lstrip().startswith("#"):
            column = content.index('"') + 1
            return Problem(f'a quote (") opened at column {column} is not closed on this line: close it, or quote '
                           f"the whole value with ' if it holds a \" ({said})", file=file, line=number)
    return Problem(said, file=file, line=line)


def _check_shape(text: str, file: str) -> tuple[list[Problem], int]:
    """Refuse, from the event stream (no tree built yet), nesting past MAX_YAML_DEPTH and too many aliases.

    PyYAML's composer recurses once per level: a deeply nested file would exhaust Python's stack.
    """
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return [Problem(f"nested more than {MAX_YAML_DEPTH} levels deep (the limit for a rule file)",
                                file=file, line=event.start_mark.line + 1)], aliases
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return [Problem(f"more than {MAX_YAML_ALIASES} aliases (*name) in one rule file",
                                file=file, line=event.start_mark.line + 1)], aliases
    return [], aliases


def _expanded_size(root: yaml.Node, file: str) -> list[Problem]:
    """Refuse a document whose aliases expand past MAX_YAML_NODES nodes, or refer to themselves.

    Sizes are computed once per distinct node (an alias shares its anchor's node), so a
    'billion laughs' file is measured in time linear in its text, never expanded.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [x for pair in node.value for x in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            open_.discard(key)
            size[key] = min(1 + sum(size[id(c)] for c in children), MAX_YAML_NODES + 1)
            continue
        if key in size:
            continue
        if key in open_:
            return [Problem("an alias refers to the collection that contains it (a recursive alias)",
                            file=file, line=node.start_mark.line + 1)]
        open_.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                return [Problem("an alias refers to the collection that contains it (a recursive alias)",
                                file=file, line=child.start_mark.line + 1)]
            if id(child) not in size:
                stack.append((child, False))
    if size[id(root)] > MAX_YAML_NODES:
        return [Problem(f"aliases expand this file to more than {MAX_YAML_NODES:,} nodes (the limit for a rule "
                        "file); write the values out or use fewer aliases", file=file, line=1)]
    return []


#: numbers as people write them, which YAML 1.1 reads as text when there is no '.' or no exponent sign
FLOATLIKE = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_STR_TAG = "tag:yaml.org,2002:str"


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], file: str,
          plain: dict[Path_, str]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode) and not node.style and (node.tag != _STR_TAG or FLOATLIKE.match(node.value)):
        plain[path] = node.value
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
            _walk(value_node, path + (key,), lines, problems, file, plain)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, problems, file, plain)
