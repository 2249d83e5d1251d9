"""Renderers of a comparison between two positions: JSON, CSV, Markdown, HTML and the terminal table.

All read the same :class:`screening.compare.Comparison` records; none decides anything.
"""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table
from rich.text import Text

from screening.compare import Comparison, RuleDifference
from screening.explain import show
from screening.render.csv_out import neutralise
from screening.render.markdown import md_cell

#: Words for each cause of a rule's difference, as a negotiator would say them.
CAUSE_LABELS = {
    "only_in_a": "rule only in {a}", "only_in_b": "rule only in {b}", "condition": "different condition",
    "parameters": "different parameter value", "severity": "different severity",
    "table": "decision table differs", "derived_field": "field computed differently",
    "fields": "inputs typed differently",
}
KIND_LABELS = {
    "rule_only_in_a": "rule only in {a}", "rule_only_in_b": "rule only in {b}", "condition": "rule condition",
    "severity": "rule severity", "parameter": "parameter in force", "table": "decision table",
    "derived_field": "derived field",
}
CSV_COLUMNS = ["candidate_id", "verdict_a", "verdict_b", "rule", "outcome_a", "outcome_b", "cause", "explanation",
               "parameters", "fix_a", "fix_b", "source"]


def _labels(c: Comparison, table: dict[str, str]) -> dict[str, str]:
    a, b = c.names
    return {k: v.format(a=a, b=b) for k, v in table.items()}


def _parameters(r: RuleDifference) -> str:
    return "; ".join(f"{k}: {show(x)} vs {show(y)}" for k, (x, y) in r.parameters.items())


def rule_difference_text(r: RuleDifference, a: str, b: str, causes: dict[str, str]) -> str:
    """'return-floor: fail under japan-position; no such rule in us-position' or
    'within-commitment: pass vs fail (parameter in force …)'."""
    if r.outcome_b is None:
        return f"{r.rule}: {r.outcome_a} under {a}; no such rule in {b}"
    if r.outcome_a is None:
        return f"{r.rule}: {r.outcome_b} under {b}; no such rule in {a}"
    return f"{r.rule}: {r.outcome_a} vs {r.outcome_b} ({causes[r.cause]})" + (f" {_parameters(r)}" if r.parameters else "")


def compare_xlsx(c: Comparison) -> bytes:
    """compare.xlsx: one row per candidate and differing rule, the packs' own differences, and the run of each."""
    import io

    from openpyxl import Workbook

    from screening.render.xlsx import write_sheet
    a, b = c.names
    kinds, causes = _labels(c, KIND_LABELS), _labels(c, CAUSE_LABELS)
    wb = Workbook(write_only=True)
    rows = [[d.id, d.verdict_a, d.verdict_b, r.rule, r.title, r.outcome_a or "no such rule",
             r.outcome_b or "no such rule", causes[r.cause], r.explanation, r.message_a, r.message_b, r.fix_a, r.fix_b,
             r.source] for d in c.differences for r in d.rules]
    write_sheet(wb.create_sheet("Differences"),
                ["candidate", f"verdict {a}", f"verdict {b}", "rule", "title", f"outcome {a}", f"outcome {b}", "cause",
                 "why", f"message {a}", f"message {b}", f"to pass {a}", f"to pass {b}", "source"],
                rows, [26, 14, 14, 24, 30, 14, 14, 20, 50, 50, 50, 30, 30, 30])
    write_sheet(wb.create_sheet("Packs"), ["difference", "name", a, b, "candidates affected"],
                [[kinds[p.kind], p.name, p.a, p.b, ", ".join(p.candidates)] for p in c.pack_differences],
                [26, 28, 40, 40, 50])
    write_sheet(wb.create_sheet("Verdicts"), ["candidate", f"verdict {a}", f"verdict {b}"],
                [[ca.id, ca.verdict, cb.verdict] for ca, cb in zip(c.a.candidates, c.b.candidates)], [26, 14, 14])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def compare_json(c: Comparison) -> str:
    """compare.json: both runs' headers and summaries, the packs' differences, each candidate's."""
    return json.dumps(c.as_dict(), indent=2, ensure_ascii=False) + "\n"


def compare_csv(c: Comparison) -> str:
    """compare.csv: one row per candidate and differing rule (a candidate with none gets one row)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for d in c.differences:
        if not d.rules:
            w.writerow([neutralise(d.id), d.verdict_a, d.verdict_b] + [""] * (len(CSV_COLUMNS) - 3))
        for r in d.rules:
            w.writerow([neutralise(x or "") for x in (
                d.id, d.verdict_a, d.verdict_b, r.rule, r.outcome_a, r.outcome_b, r.cause, r.explanation,
                _parameters(r), r.fix_a, r.fix_b, r.source)])
    if c.portfolio is not None:  # the package under each pack, rows with candidate "*portfolio*"
        p = c.portfolio
        for r in p.rules:
            w.writerow([neutralise(x or "") for x in (
                "*portfolio*", p.verdict_a, p.verdict_b, r.rule, r.outcome_a, r.outcome_b, "portfolio",
                f"A: {r.message_a or 'no such rule'} | B: {r.message_b or 'no such rule'}", "", "", "", r.source)])
    return buf.getvalue()


def portfolio_lines(c: Comparison) -> list[str]:
    """Markdown: does the package fit under each pack?"""
    p = c.portfolio
    if p is None:
        return []
    a, b = c.names
    lines = ["## The package under each position", "",
             f"| | {md_cell(a)} | {md_cell(b)} |", "| --- | --- | --- |",
             f"| verdict | {p.verdict_a or 'no portfolio rules'} | {p.verdict_b or 'no portfolio rules'} |",
             f"| candidates in scope | {p.candidates_a if p.candidates_a is not None else '—'} ({p.scope_a or '—'}) | "
             f"{p.candidates_b if p.candidates_b is not None else '—'} ({p.scope_b or '—'}) |", ""]
    for r in p.rules:
        lines.append(f"- **{md_cell(r.rule)}** ({md_cell(r.title)}): {r.outcome_a or 'no such rule'} under {md_cell(a)}, "
                     f"{r.outcome_b or 'no such rule'} under {md_cell(b)}  ")
        for name, msg in ((a, r.message_a), (b, r.message_b)):
            if msg:
                lines.append(f"  {md_cell(name)}: {md_cell(msg)}  ")
    lines.append("")
    return lines


def compare_markdown(c: Comparison) -> str:
    """compare.md: a brief a negotiator can paste into an email."""
    a, b = c.names
    sa, sb = c.a.summary, c.b.summary
    title_a, title_b = c.a.run.get("pack_title") or a, c.b.run.get("pack_title") or b
    causes, kinds = _labels(c, CAUSE_LABELS), _labels(c, KIND_LABELS)
    lines = [f"# {md_cell(title_a)} vs {md_cell(title_b)}", "",
             f"Screening date {c.a.run['as_of']}, list {md_cell(c.a.run.get('candidates'))}, "
             f"{len(c.a.candidates)} candidates; {len(c.differences)} differ.", "",
             "| position | eligible | ineligible | incomplete |", "| --- | --- | --- | --- |",
             f"| {md_cell(a)} | {sa['eligible']} | {sa['ineligible']} | {sa['incomplete']} |",
             f"| {md_cell(b)} | {sb['eligible']} | {sb['ineligible']} | {sb['incomplete']} |", ""]
    if c.pack_differences:
        lines += ["## Where the positions differ", "",
                  f"| what | {md_cell(a)} | {md_cell(b)} | candidates it changes |", "| --- | --- | --- | --- |"]
        for p in c.pack_differences:
            lines.append(f"| {kinds[p.kind]}: **{md_cell(p.name)}** | {md_cell(p.a if p.a is not None else '—')} | "
                         f"{md_cell(p.b if p.b is not None else '—')} | {md_cell(', '.join(p.candidates) or '—')} |")
        lines.append("")
    lines += portfolio_lines(c)
    if not c.differences:
        lines.append("No candidate's verdict or outcomes differ.")
    for d in c.differences:
        lines += [f"## {md_cell(d.id)}: {d.verdict_a} under {md_cell(a)}, {d.verdict_b} under {md_cell(b)}", ""]
        for name, remedy in ((a, d.remedy_a), (b, d.remedy_b)):
            if remedy is not None:
                lead = "to become eligible" if remedy.possible else "it cannot become eligible"
                lines += [f"*Under {md_cell(name)}, {lead}:* {md_cell(remedy.text)}", ""]
        for r in d.rules:
            why = md_cell(r.explanation.replace("`", ""))  # entities do not decode inside code spans
            if r.cause not in ("only_in_a", "only_in_b"):
                why = f"{causes[r.cause]}: {why}"
            lines.append(f"- **{md_cell(r.rule)}** ({md_cell(r.title)}): {r.outcome_a or 'no such rule'} under "
                         f"{md_cell(a)}, {r.outcome_b or 'no such rule'} under {md_cell(b)} — {why}  ")
            for name, msg, fix in ((a, r.message_a, r.fix_a), (b, r.message_b, r.fix_b)):
                if msg:
                    to_pass = f" — *to pass: {md_cell(fix)}*" if fix else ""
                    lines.append(f"  {md_cell(name)}: {md_cell(msg)}{to_pass}  ")
            lines.append(f"  source: {md_cell(r.source)}")
        lines.append("")
    return "\n".join(lines)


def compare_html(c: Comparison) -> str:
    """compare.html: one self-contained page, positions side by side, every difference with its cause."""
    from screening.render.html import render_template
    from screening.render.svg import bar_chart

    a, b = c.names
    chart = bar_chart("Verdicts under each position", [(a, c.a.summary), (b, c.b.summary)], width=460)
    return render_template("compare.html.j2", c=c, a=a, b=b, sa=c.a.summary, sb=c.b.summary, run_a=c.a.run,
                           run_b=c.b.run, title_a=c.a.run.get("pack_title") or a,
                           title_b=c.b.run.get("pack_title") or b, compared=len(c.a.candidates), chart=chart,
                           causes=_labels(c, CAUSE_LABELS), kinds=_labels(c, KIND_LABELS))


def print_comparison(c: Comparison, console: Console) -> None:
    """The terminal view: both summaries, the packs' differences, and each differing candidate."""
    a, b = c.names
    for name, s in ((a, c.a.summary), (b, c.b.summary)):
        console.print(f"[bold]{name}[/]: [green]{s['eligible']} eligible[/], [red]{s['ineligible']} ineligible[/], "
                      f"[yellow]{s['incomplete']} incomplete[/]")
    kinds, causes = _labels(c, KIND_LABELS), _labels(c, CAUSE_LABELS)
    if c.pack_differences:
        packs = Table(title="Where the positions differ")
        for col in ("what", a, b, "candidates it changes"):
            packs.add_column(col, overflow="fold")
        for p in c.pack_differences:
            packs.add_row(Text(f"{kinds[p.kind]}: {p.name}"), Text(p.a if p.a is not None else "—"),
                          Text(p.b if p.b is not None else "—"), Text(", ".join(p.candidates) or "—"))
        console.print(packs)
    table = Table(title=f"Candidates that differ ({len(c.differences)} of {len(c.a.candidates)})", show_lines=True)
    for col in ("candidate", a, b, "rules behind the difference"):
        table.add_column(col, overflow="fold")
    for d in c.differences:
        why = "\n".join(rule_difference_text(r, a, b, causes) for r in d.rules)
        table.add_row(Text(d.id), Text(d.verdict_a), Text(d.verdict_b), Text(why or "—"))
    console.print(table)
    if c.portfolio is not None:
        p = c.portfolio
        port = Table(title="The package under each position", show_lines=True)
        for col in ("portfolio rule", a, b):
            port.add_column(col, overflow="fold")
        port.add_row(Text("verdict"), Text(p.verdict_a or "no portfolio rules"), Text(p.verdict_b or "no portfolio rules"))
        for r in p.rules:
            port.add_row(Text(r.rule), Text(f"{r.outcome_a or '—'}: {r.message_a}" if r.outcome_a else "no such rule"),
                         Text(f"{r.outcome_b or '—'}: {r.message_b}" if r.outcome_b else "no such rule"))
        console.print(port)
