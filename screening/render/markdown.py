"""results.md: a brief a person can paste into an email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from screening.explain import for_people
from screening.outcomes import RunResult


@dataclass
class Notable:
    """A failed or missing rule of one candidate, as reports show it."""

    rule: str
    severity: str
    outcome: str
    message: str
    fix: object
    source: str


@dataclass
class CandidateView:
    """What a report shows of one candidate: verdict, failed/missing rules, and their explanations."""

    id: str
    verdict: str
    failed: list[str]
    missing: list[str]
    advisory: list[str]
    notable: list[Notable]
    remedy: object


def candidate_views(result: RunResult) -> Iterator[CandidateView]:
    """Each candidate as reports show it; a traced run explains only its failed and missing rules."""
    if result.trace is None:
        for c in result.candidates:
            yield CandidateView(
                c.id, c.verdict,
                [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "fail"],
                [o.rule for o in c.outcomes if o.severity == "blocking" and o.outcome == "missing"],
                [o.rule for o in c.outcomes if o.severity == "advisory" and o.outcome in ("fail", "missing")],
                [Notable(o.rule, o.severity, o.outcome, o.message, o.fix, o.source) for o in c.outcomes
                 if o.outcome in ("fail", "missing")], c.remedy)
        return
    from screening.trace import FAIL, MISSING, OUTCOMES, VERDICTS
    trace, ex = result.trace, result.explainer
    rules = [(r.id, r.spec.severity.value, r.spec.source) for r in trace.rules]
    remedies = ex.remedies()
    ids = trace.ids
    for i, codes in enumerate(trace.codes.tolist()):
        notable = [(j, c) for j, c in enumerate(codes) if c in (FAIL, MISSING)]
        yield CandidateView(
            ids[i], VERDICTS[int(trace.verdicts[i])],
            [rules[j][0] for j, c in notable if c == FAIL and rules[j][1] == "blocking"],
            [rules[j][0] for j, c in notable if c == MISSING and rules[j][1] == "blocking"],
            [rules[j][0] for j, c in notable if rules[j][1] == "advisory"],
            [Notable(rules[j][0], rules[j][1], OUTCOMES[c], ex.messages(j)[i],
                     ex.fixes(j).get(i) if c == FAIL else None, rules[j][2]) for j, c in notable],
            remedies.get(i))


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
        *([f"Stage dates read from the approval-flow record (`--db`), not the list: "
           f"{md_cell(', '.join(run['read_from_flow']))}.", ""] if run.get("read_from_flow") else []),  # type: ignore[arg-type]
        *[line for w in run.get("warnings") or () for line in (f"> **Warning:** {md_cell(w)}", ">")][:-1],
        *([""] if run.get("warnings") else []),
        "| Candidate |" + (f" {md_cell(result.label.capitalize())} |" if result.label else "")
        + " Verdict | Failed (blocking) | Missing data (blocking) | Advisories |",
        "| --- |" + (" --- |" if result.label else "") + " --- | --- | --- | --- |",
    ]
    views = list(candidate_views(result))
    names = result.labels()
    for i, c in enumerate(views):
        named = f" {md_cell(names[i])} |" if result.label else ""
        lines.append(f"| {md_cell(c.id)} |{named} {c.verdict} | {md_cell(', '.join(c.failed) or '—')} | "
                     f"{md_cell(', '.join(c.missing) or '—')} | {md_cell(', '.join(c.advisory) or '—')} |")
    lines.append("")
    lines += portfolio_lines(result)
    for i, c in enumerate(views):
        if not c.notable:
            continue
        named = f" ({md_cell(names[i])})" if result.label and names[i] else ""
        lines += [f"## {md_cell(c.id)}{named}: {c.verdict}", ""]
        if c.remedy is not None:
            lead = "To become eligible" if c.remedy.possible else "No single-input changes suffice"  # type: ignore[attr-defined]
            lines += [f"*{lead}:* {md_cell(c.remedy.text)}", ""]  # type: ignore[attr-defined]
        for o in c.notable:
            fix = f" — *to pass: {md_cell(o.fix.text)}*" if o.fix else ""  # type: ignore[attr-defined]
            lines.append(f"- **{md_cell(o.rule)}** ({o.severity}, {o.outcome}): {md_cell(o.message)}{fix}  ")
            lines.append(f"  source: {md_cell(o.source)}")
        lines.append("")
    lines += ["## Parameters in force", "", "| Parameter | Value | Since | Source |", "| --- | --- | --- | --- |"]
    for name, p in run.get("parameters", {}).items():  # type: ignore[attr-defined, union-attr]
        lines.append(f"| {md_cell(name)} | {md_cell(for_people(p['value']))} | {p['since'] or '—'} | {md_cell(p['source'] or '—')} |")
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
