"""Renderers of a comparison between two positions: JSON, CSV, Markdown, HTML, terminal."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.compare import Comparison
from screening.render.csv_out import neutralise
from screening.render.markdown import md_cell


def compare_json(c: Comparison) -> str:
    return json.dumps(c.as_dict(), indent=2, ensure_ascii=False) + "\n"


def compare_csv(c: Comparison) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["candidate_id", "verdict_a", "verdict_b", "rule", "outcome_a", "outcome_b", "cause", "explanation"])
    for d in c.differences:
        for r in d.rules or [None]:
            w.writerow([neutralise(d.id), d.verdict_a, d.verdict_b, r.rule if r else "", r.outcome_a if r else "",
                        r.outcome_b if r else "", r.cause if r else "", neutralise(r.explanation) if r else ""])
    return buf.getvalue()


def _names(c: Comparison) -> tuple[str, str]:
    return str(c.a.run["pack"]), str(c.b.run["pack"])


def compare_markdown(c: Comparison) -> str:
    a, b = _names(c)
    sa, sb = c.a.summary, c.b.summary
    lines = [f"# {md_cell(a)} vs {md_cell(b)}", "",
             f"Screening date {c.a.run['as_of']}, {len(c.a.candidates)} candidates.", "",
             "| | eligible | ineligible | incomplete |", "| --- | --- | --- | --- |",
             f"| {md_cell(a)} | {sa['eligible']} | {sa['ineligible']} | {sa['incomplete']} |",
             f"| {md_cell(b)} | {sb['eligible']} | {sb['ineligible']} | {sb['incomplete']} |", ""]
    if not c.differences:
        lines.append("No candidate's verdict or outcomes differ.")
    for d in c.differences:
        lines += [f"## {md_cell(d.id)}: {d.verdict_a} under {md_cell(a)}, {d.verdict_b} under {md_cell(b)}", ""]
        for r in d.rules:
            lines.append(f"- **{md_cell(r.rule)}**: {r.outcome_a or '—'} vs {r.outcome_b or '—'} — {md_cell(r.explanation)}  ")
            msg = r.message_a if r.outcome_a in ("fail", "missing") else r.message_b
            if msg:
                lines.append(f"  {md_cell(msg)} (source: {md_cell(r.source)})")
        lines.append("")
    return "\n".join(lines)


def compare_html(c: Comparison) -> str:
    from screening.render.html import _env
    a, b = _names(c)
    return _env.get_template("compare.html.j2").render(c=c, a=a, b=b, sa=c.a.summary, sb=c.b.summary,
                                                       run_a=c.a.run, run_b=c.b.run)


def print_comparison(c: Comparison, console: Console) -> None:
    a, b = _names(c)
    sa, sb = c.a.summary, c.b.summary
    console.print(f"[bold]{a}[/]: {sa['eligible']} eligible, {sa['ineligible']} ineligible, {sa['incomplete']} incomplete")
    console.print(f"[bold]{b}[/]: {sb['eligible']} eligible, {sb['ineligible']} ineligible, {sb['incomplete']} incomplete")
    table = Table(title=f"Where {a} and {b} differ ({len(c.differences)} of {len(c.a.candidates)} candidates)",
                  show_lines=True)
    for col in ("candidate", a, b, "rules behind the difference"):
        table.add_column(col, overflow="fold")
    for d in c.differences:
        why = "\n".join(f"{r.rule}: {r.outcome_a or '—'} vs {r.outcome_b or '—'} — {r.explanation}" for r in d.rules)
        table.add_row(Text(d.id), Text(d.verdict_a), Text(d.verdict_b), Text(why or "—"))
    console.print(table)
