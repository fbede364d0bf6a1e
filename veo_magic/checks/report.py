"""A ``RouteCheck`` as the front ends show it: plain lines (the CLI, a saved notebook's
text/plain) or a small HTML table (the notebook). Never a key: the route's URL and the route's
own words only, which the probes have already redacted."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .verdict import RouteCheck

__all__ = ["as_html", "as_text"]

WIDTH = 13


def _verdict(check: RouteCheck) -> str:
    if check.ok:
        return f"ready: this route can make a video ({check.model})"
    return "not ready: this route cannot make a video now; change what the hint says"


def as_text(check: RouteCheck) -> str:
    lines = [f"veo_magic check: protocol {check.protocol} at {check.where}"]
    for finding in check.findings:
        mark = "ok" if finding.ok else "NO"
        lines.append(f"  {mark:<3}{finding.question:<{WIDTH}}{finding.says}")
        if finding.hint:
            lines.append(f"  {'':<3}{'':<{WIDTH}}-> {finding.hint}")
    lines += [f"  note: {note}" for note in check.notes]
    lines.append(_verdict(check))
    return "\n".join(lines)


def as_html(check: RouteCheck) -> str:
    rows = []
    for finding in check.findings:
        mark = "&#10003;" if finding.ok else "&#10007;"
        color = "#1a7f37" if finding.ok else "#cf222e"
        hint = (
            f"<br><span style='color:#57606a'>&rarr; {html.escape(finding.hint)}</span>"
            if finding.hint
            else ""
        )
        rows.append(
            f"<tr><td style='color:{color};padding-right:.5em'>{mark}</td>"
            f"<td style='padding-right:1em'><b>{html.escape(finding.question)}</b></td>"
            f"<td>{html.escape(finding.says)}{hint}</td></tr>"
        )
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in check.notes)
    color = "#1a7f37" if check.ok else "#cf222e"
    return (
        "<div class='veo-check'>"
        f"<div>veo_magic check: protocol <code>{html.escape(check.protocol)}</code> at "
        f"<code>{html.escape(check.where)}</code></div>"
        f"<table style='border-collapse:collapse;text-align:left'>{''.join(rows)}</table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + f"<div style='color:{color}'><b>{html.escape(_verdict(check))}</b></div></div>"
    )
