"""results.csv's cells are built without csv.writer per row: each must be what csv.writer writes."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.render.csv_out import cell, cells


def written(text: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["a", text, "b"])
    return buf.getvalue()[2:-3]


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.sampled_from([",", '"', "\n", "\r", "\t", " ", "x", "é", "\u2028", "\x85", "=", "'", "-"]),
               max_size=8))
def test_cell_is_what_csv_writer_writes(text: str) -> None:
    assert cell(text) == written(text)


def test_cells_neutralise_then_quote() -> None:
    assert cells(["ok", "=1+1", 'say "hi", then', "-3, or less", "ok"]) == \
        ["ok", "'=1+1", '"say ""hi"", then"', "\"'-3, or less\"", "ok"]
    assert cell(" padded ") == written(" padded ") and cell("two\nlines") == '"two\nlines"'
