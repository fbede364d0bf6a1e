"""``%veo jobs``: the journal as a table (time, prompt, model, status, cost, files, commands).

Every value is escaped: prompts, errors and relay ids are text, never markup. The commands column
gives the exact ``%veo resume`` / ``%veo cancel`` line to copy.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .display import relative_url

__all__ = ["JobTable"]


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JobTable:
    """Journal rows with the spend so far; shows as HTML in a notebook, as text elsewhere.

    ``running`` holds the ids of jobs alive in this kernel (those can be cancelled here).
    """

    def __init__(
        self,
        rows: Sequence[dict[str, Any]],
        *,
        spend: float,
        simulated: bool,
        output_dir: Path,
        running: frozenset[str] = frozenset(),
    ) -> None:
        self.rows = list(rows)
        self.spend = spend
        self.simulated = simulated
        self.output_dir = output_dir
        self.running = running

    def command(self, row: dict[str, Any]) -> str:
        """The line to copy for this row: cancel a job running here, resume an unfinished task."""
        if row["id"] in self.running:
            return f"%veo cancel {row['id']}"
        if row.get("task_id") and row.get("status") != "succeeded":
            return f"%veo resume {row['task_id']}"
        return ""

    def _spend_line(self) -> str:
        kind = "simulated jobs" if self.simulated else "this relay's jobs"
        return f"Spend so far (estimated, {kind} in {self.output_dir}): ${self.spend:.2f}"

    def _files_html(self, row: dict[str, Any]) -> str:
        links = []
        for name in row.get("files") or []:
            path = Path(name)
            url = relative_url(path)
            label = html.escape(path.name)
            if url is None:
                links.append(f"<code>{html.escape(str(path))}</code>")
            else:
                links.append(
                    f'<a href="{html.escape(url, quote=True)}" target="_blank">{label}</a>'
                )
        return "<br>".join(links)

    def _repr_html_(self) -> str:
        if not self.rows:
            return (
                f"<p>No jobs recorded in <code>{html.escape(str(self.output_dir))}</code> yet.</p>"
            )
        head = "".join(
            f"<th style='text-align:left'>{h}</th>"
            for h in ("time", "prompt", "model", "status", "cost", "file", "command")
        )
        body = []
        for row in self.rows:
            status = html.escape(row.get("status") or "")
            if row.get("status") in ("queued", "running"):
                status += f" {float(row.get('progress') or 0):.0f}%"
            error = row.get("error")
            if error:
                status = (
                    f'<span title="{html.escape(error, quote=True)}">{status}: '
                    f"{html.escape(_short(error, 60))}</span>"
                )
            sim = " <small>(sim)</small>" if row.get("simulated") else ""
            prompt = row.get("prompt") or ""
            command = self.command(row)
            cells = (
                html.escape(_when(row["created_at"])),
                f'<span title="{html.escape(prompt, quote=True)}">{html.escape(_short(prompt, 70))}</span>',
                f"<code>{html.escape(row.get('model') or '')}</code>",
                status,
                f"${float(row.get('cost') or 0):.2f}{sim}",
                self._files_html(row),
                f"<code>{html.escape(command)}</code>" if command else "",
            )
            body.append(
                "<tr>" + "".join(f"<td style='text-align:left'>{c}</td>" for c in cells) + "</tr>"
            )
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"<p>{html.escape(self._spend_line())}</p>"
        )

    def __str__(self) -> str:
        if not self.rows:
            return f"No jobs recorded in {self.output_dir} yet."
        lines = []
        for row in self.rows:
            files = ", ".join(row.get("files") or []) or row.get("error") or ""
            lines.append(
                f"{_when(row['created_at'])}  {row['id']:<12} {row.get('status') or '':<10} "
                f"${float(row.get('cost') or 0):5.2f}  {_short(row.get('prompt') or '', 40)!r}"
                f"  {files}  {self.command(row)}".rstrip()
            )
        lines.append(self._spend_line())
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def __repr__(self) -> str:
        return f"<veo_magic JobTable {len(self.rows)} jobs, spend ${self.spend:.2f}>"
