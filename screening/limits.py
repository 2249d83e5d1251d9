"""Size and depth limits on every input, in one place.

Inputs past a limit are refused at load with a message naming the file, the place and the
limit; inputs within the limits are handled in time linear in their size. The figures are
generous for real packs and lists (the default packs are far below each) and small enough that
a hostile file cannot take the process's time or memory: each is exercised by a test in
``tests/test_limits.py``.
"""

from __future__ import annotations

#: Characters in one expression (a ``require`` of 5,000 ``and``-joined comparisons fits).
MAX_EXPRESSION_CHARS = 200_000
#: Nesting depth of one expression (brackets, ``not``, arithmetic, calls), counted on its syntax tree.
MAX_EXPRESSION_DEPTH = 100

#: Bytes in one rule file.
MAX_YAML_BYTES = 8_000_000
#: Nesting depth of mappings and lists in one rule file.
MAX_YAML_DEPTH = 40
#: Nodes of one rule file with every alias expanded (what a reader of the data would walk).
MAX_YAML_NODES = 250_000
#: Aliases (``*name``) in one rule file.
MAX_YAML_ALIASES = 1_000

#: Rules in a pack, its extended packs included.
MAX_RULES = 20_000

#: Columns in a candidate list.
MAX_COLUMNS = 50_000
#: Characters in one cell of a candidate list (CSV) or one line of a JSON Lines file.
MAX_CELL_CHARS = 16_000_000

#: Uncompressed bytes of any one member of an XLSX file (sheet, shared strings, ...).
MAX_XLSX_MEMBER_BYTES = 200_000_000
#: Uncompressed bytes of all members of an XLSX file together.
MAX_XLSX_TOTAL_BYTES = 500_000_000
#: Uncompressed / compressed size of one XLSX member above which it is refused as a zip bomb.
MAX_XLSX_RATIO = 200
#: Members in an XLSX file.
MAX_XLSX_MEMBERS = 10_000

