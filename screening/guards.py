"""Checks made before an input is inflated or parsed: archive sizes of XLSX files.

An XLSX file is a zip archive of XML parts. Before openpyxl inflates anything, every member's
declared size is checked against :mod:`screening.limits` (each member, all together, and the
ratio of inflated to compressed size that marks a zip bomb). XML is parsed by openpyxl through
defusedxml (a dependency), which refuses entity expansion and external entities.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from screening.errors import Problem
from screening.limits import MAX_XLSX_MEMBER_BYTES, MAX_XLSX_MEMBERS, MAX_XLSX_RATIO, MAX_XLSX_TOTAL_BYTES


def xlsx_problems(path: Path) -> list[Problem]:
    """Problems of the archive itself (not a zip, too many or too large members), read from its directory only."""
    file = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        return [Problem(f"cannot read XLSX: not a valid workbook ({exc})", file=file)]
    if len(members) > MAX_XLSX_MEMBERS:
        return [Problem(f"the workbook holds {len(members):,} parts, more than the limit of {MAX_XLSX_MEMBERS:,}",
                        file=file)]
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > MAX_XLSX_MEMBER_BYTES:
            return [Problem(f"part '{info.filename}' inflates to {info.file_size:,} bytes, more than the limit of "
                            f"{MAX_XLSX_MEMBER_BYTES:,}", file=file)]
        if info.file_size > 1_000_000 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            return [Problem(f"part '{info.filename}' inflates {info.file_size // max(info.compress_size, 1):,} times "
                            f"(limit {MAX_XLSX_RATIO}): refused as a zip bomb", file=file)]
    if total > MAX_XLSX_TOTAL_BYTES:
        return [Problem(f"the workbook inflates to {total:,} bytes, more than the limit of {MAX_XLSX_TOTAL_BYTES:,}",
                        file=file)]
    return []
