"""results.md: a brief a person can paste into an email."""

from __future__ import annotations

from screening.outcomes import RunResult


def md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    s = "" if text is None else str(text)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(result: RunResult) -> str:
    run = result.run
    s = result.summary
    lines = [
        f"# Screening: {md_cell(run.get('pack_title') or run['pack'])}",
        "",
        f"Pack `{run['pack']}` version {md_cell(run['pack_version'])}, screening date {run['as_of']}, "
        f"list {md_cell(run.get('candidates'))}, engine {md_cell(run['engine'])}.",
        "",
        f"**{s['eligible']} eligible, {s['ineligible']} ineligible, {s['incomplete']} incomplete** "
        f"of {len(result.candidates)} candidates.",
        "",
        "| Candidate | Verdict | Failed (blocking) | Missing data (blocking) | Advisories |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in result.candidates:
        failed = [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"]
        missing = [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing"]
        advisory = [o.rule for o in c.outcomes if o.severity == "advisory" and o.outcome in ("fail", "missing")]
        lines.append(f"| {md_cell(c.id)} | {c.verdict} | {md_cell(', '.join(failed) or '—')} | "
                     f"{md_cell(', '.join(missing) or '—')} | {md_cell(', '.join(advisory) or '—')} |")
    lines.append("")
    lines += portfolio_lines(result)
    for c in result.candidates:
        notable = [o for o in c.outcomes if o.outcome in ("fail", "missing")]
        if not notable:
            continue
        lines += [f"## {md_cell(c.id)}: {c.verdict}", ""]
        if c.remedy is not None:
            lead = "To become eligible" if c.remedy.possible else "No single-input changes suffice"
            lines += [f"*{lead}:* {md_cell(c.remedy.text)}", ""]
        for o in notable:
            fix = f" — *to pass: {md_cell(o.fix.text)}*" if o.fix else ""
            lines.append(f"- **{md_cell(o.rule)}** ({o.severity}, {o.outcome}): {md_cell(o.message)}{fix}  ")
            lines.append(f"  source: {md_cell(o.source)}")
        lines.append("")
    lines += ["## Parameters in force", "", "| Parameter | Value | Since | Source |", "| --- | --- | --- | --- |"]
    for name, p in run.get("parameters", {}).items():  # type: ignore[union-attr]
        lines.append(f"| {md_cell(name)} | {md_cell(p['value'])} | {p['since'] or '—'} | {md_cell(p['source'] or '—')} |")
    lines.append("")
    return "\n".join(lines)


def portfolio_lines(result: RunResult) -> list[str]:
    """The list as a whole (CONTRACT.md §10): verdict and each portfolio rule's outcome."""
    p = result.portfolio
    if p is None:
        return []
    lines = [f"## Portfolio: {p.verdict}", "",
             f"{p.candidates} candidates in scope (`{p.scope}`); these rules never change a candidate's verdict.", "",
             "| Rule | Severity | Outcome | Message |", "| --- | --- | --- | --- |"]
    for o in p.outcomes:
        lines.append(f"| {md_cell(o.rule)} | {o.severity} | {o.outcome} | {md_cell(o.message)} |")
    lines.append("")
    return lines
