"""``%veo versions JOB``: a clip's versions as a strip (issue 19).

One card a version, in the tree's order (depth first, a branch indented under the version it
came from): its poster and player, the step that made it (the edit's words between two
versions), its status, length and cost, and the cell that edits from it. Below the strip, a
compare row plays the newest version beside its parent. Plain HTML with the posters inline, so a
saved notebook shows the strip as it was; every value is escaped.
"""

from __future__ import annotations

import html
from typing import Any

from ..jobs import Version, Versions
from .display import clip_html

__all__ = ["VersionsView", "edit_from_here"]

STEP_WORDS = {"new": "first version", "edit": "edit", "extend": "extension"}


def edit_from_here(job_id: str) -> str:
    """The cell that starts a new version from ``job_id``."""
    return f"%%veo --edit {job_id}"


def _card(version: Version, depth: int, *, embed: bool) -> str:
    clip = (
        clip_html(version.files[0], embed=embed, make_poster=False, inline_poster=True)
        if version.files and version.files[0].is_file()
        else f"<div><em>{html.escape(version.status)}</em></div>"
    )
    step = STEP_WORDS.get(version.step, version.step)
    said = html.escape(version.prompt)
    command = html.escape(edit_from_here(version.job_id))
    return (
        f'<div class="veo-version" data-job="{html.escape(version.job_id)}" '
        f'style="margin-left:{depth * 28}px;border-left:3px solid #8886;padding:4px 10px;'
        'margin-bottom:8px">'
        f'<div style="font-size:90%"><b>{html.escape(step)}</b> · '
        f"<q>{said}</q></div>"
        f"{clip}"
        f'<div style="font-size:85%;opacity:.8">{html.escape(version.job_id)} · '
        f"{html.escape(version.status)} · {version.seconds} s · ${version.cost:.2f} · "
        f"edit from here: <code>{command}</code></div></div>"
    )


class VersionsView:
    """A clip's ``Versions`` for a notebook: HTML there, the text tree elsewhere."""

    def __init__(self, versions: Versions, *, embed: bool = False) -> None:
        self.versions = versions
        self.embed = embed

    def compare(self) -> tuple[Version, Version] | None:
        """The newest version with a clip and its parent's, to play side by side."""
        made = [v for v in self.versions if v.files and v.files[0].is_file()]
        newest = max(made, key=lambda v: v.created_at, default=None)
        if newest is None or newest.parent is None:
            return None
        try:
            parent = self.versions[newest.parent]
        except KeyError:
            return None
        return (parent, newest) if parent.files and parent.files[0].is_file() else None

    def _repr_html_(self) -> str:
        versions = self.versions
        cards = "".join(_card(v, versions.depth(v.job_id), embed=self.embed) for v in versions)
        pair = self.compare()
        compare = ""
        if pair is not None:
            sides = "".join(
                f'<div style="flex:1;min-width:0"><div style="font-size:90%">'
                f"{html.escape(STEP_WORDS.get(v.step, v.step))}: <q>{html.escape(v.prompt)}</q>"
                f"</div>{clip_html(v.files[0], embed=self.embed, make_poster=False, inline_poster=True)}</div>"
                for v in pair
            )
            compare = (
                '<div class="veo-compare"><b>Compare</b> (the newest version beside its parent)'
                f'<div style="display:flex;gap:12px">{sides}</div></div>'
            )
        head = (
            f"<b>Versions of {html.escape(versions.root.job_id)}</b>: {len(versions)}, "
            f"${versions.spend:.2f} in all (estimated)"
        )
        return f'<div class="veo-versions">{head}{cards}{compare}</div>'

    def __repr__(self) -> str:
        return str(self.versions)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.versions))
