"""``%veo versions JOB``: a clip's versions as a strip (issue 19).

One card a version, in the tree's order (depth first, a branch indented under the version it
came from): its poster and player, the step that made it (the edit's words between two
versions), its status, length and cost, and the cell that edits from it. Below the strip, a
compare row plays the newest version beside its parent. Plain HTML with the posters inline, so a
saved notebook shows the strip as it was; every value is escaped.

``strip_html(versions, current)`` is the compact form an edit's own job view ends with: a row of
small posters (the current version marked), the step between each, and the current version
played beside its parent.
"""

from __future__ import annotations

import html
from typing import Any

from ..jobs import Version, Versions
from ..media import still_data_url
from .display import clip_html

__all__ = ["VersionsView", "compare_side", "edit_from_here", "has_clip", "step_words", "strip_html"]

STEP_WORDS = {"new": "first version", "edit": "edit", "extend": "extension"}


def edit_from_here(job_id: str) -> str:
    """The cell that starts a new version from ``job_id``."""
    return f"%%veo --edit {job_id}"


def step_words(version: Version) -> str:
    """How the version was made, in words ("first version", "edit", "extension")."""
    return STEP_WORDS.get(version.step, version.step)


def has_clip(version: Version) -> bool:
    """Whether the version's clip is on disk, to show."""
    return bool(version.files) and version.files[0].is_file()


def _player(version: Version, *, embed: bool) -> str:
    return clip_html(version.files[0], embed=embed, make_poster=False, inline_poster=True)


def _poster(version: Version, *, width: str, missing: str = "") -> str:
    """The version's still inline (``width`` wide), or its status where it has no clip."""
    still = still_data_url(version.files[0]) if has_clip(version) else None
    if still:
        return f'<img src="{html.escape(still)}" alt="" style="width:{width};border-radius:3px">'
    return f"<div{missing}><em>{html.escape(version.status)}</em></div>"


def compare_side(version: Version, *, embed: bool, detail: str = "") -> str:
    """One side of a compare: the step's words (and ``detail``, escaped), then the player."""
    said = f"{html.escape(step_words(version))}: <q>{html.escape(version.prompt)}</q>"
    return (
        f'<div style="flex:1;min-width:0"><div style="font-size:90%">{said}'
        f"{html.escape(detail)}</div>{_player(version, embed=embed)}</div>"
    )


def _card(version: Version, depth: int, *, embed: bool) -> str:
    clip = (
        _player(version, embed=embed)
        if has_clip(version)
        else f"<div><em>{html.escape(version.status)}</em></div>"
    )
    step = step_words(version)
    said = html.escape(version.prompt)
    command = html.escape(edit_from_here(version.job_id))
    # The player at a third of a wide cell and the words beside it: a tree of five versions
    # fits a screen, where full-width players stacked would not.
    return (
        f'<div class="veo-version" data-job="{html.escape(version.job_id)}" '
        f'style="margin-left:{depth * 28}px;border-left:3px solid #8886;padding:4px 10px;'
        'margin-bottom:8px;display:flex;gap:12px;align-items:flex-start">'
        f'<div style="flex:0 0 320px;max-width:320px">{clip}</div>'
        f'<div style="font-size:90%"><b>{html.escape(step)}</b> · <q>{said}</q>'
        f'<div style="opacity:.8">{html.escape(version.job_id)} · '
        f"{html.escape(version.status)} · {version.seconds} s · ${version.cost:.2f}</div>"
        f"<div>edit from here: <code>{command}</code></div></div></div>"
    )


def _compare(pair: tuple[Version, Version], *, embed: bool, title: str) -> str:
    sides = "".join(compare_side(v, embed=embed) for v in pair)
    return (
        f'<div class="veo-compare"><b>Compare</b> ({html.escape(title)})'
        f'<div style="display:flex;gap:12px">{sides}</div></div>'
    )


def _thumb(version: Version, *, current: bool) -> str:
    picture = _poster(version, width="100%")
    border = "3px solid var(--jp-brand-color1, #1976d2)" if current else "1px solid #8886"
    return (
        f'<div class="veo-version" data-job="{html.escape(version.job_id)}" '
        f'style="flex:0 0 150px;border:{border};border-radius:4px;padding:4px;font-size:80%">'
        f"{picture}<div><b>{html.escape(step_words(version))}</b> · "
        f"<q>{html.escape(version.prompt)}</q></div>"
        f'<div style="opacity:.8">{html.escape(version.job_id)} · ${version.cost:.2f}</div>'
        f"<code>{html.escape(edit_from_here(version.job_id))}</code></div>"
    )


def _row(version: Version, depth: int) -> str:
    """One version as a line of the live panel's tree: its poster, step, words, cost."""
    picture = _poster(version, width="120px", missing=' style="width:120px"')
    step = html.escape(step_words(version))
    return (
        f'<div class="veo-version" data-job="{html.escape(version.job_id)}" '
        f'style="margin:0 0 6px {depth * 28}px;display:flex;gap:10px;align-items:center">'
        f'{picture}<div style="font-size:90%"><b>{step}</b> · <q>{html.escape(version.prompt)}</q>'
        f'<div style="opacity:.8">{html.escape(version.job_id)} · {html.escape(version.status)} · '
        f"{version.seconds} s · ${version.cost:.2f}</div></div></div>"
    )


def strip_html(versions: Versions, current: str, *, embed: bool = False) -> str:
    """The versions as a row of posters, ``current`` marked, then it beside its parent."""
    row = "".join(_thumb(v, current=v.job_id == current) for v in versions)
    compare = ""
    try:
        this = versions[current]
        parent = versions[this.parent] if this.parent else None
    except KeyError:
        this = parent = None
    if this is not None and parent is not None and has_clip(this) and has_clip(parent):
        compare = _compare((parent, this), embed=embed, title="this version beside its parent")
    return (
        f'<div class="veo-versions veo-strip"><b>Versions</b>: {len(versions)}, '
        f"${versions.spend:.2f} in all (estimated)"
        f'<div style="display:flex;gap:8px;overflow-x:auto;padding:4px 0">{row}</div>'
        f"{compare}</div>"
    )


class VersionsView:
    """A clip's ``Versions`` for a notebook: HTML there, the text tree elsewhere."""

    def __init__(self, versions: Versions, *, embed: bool = False) -> None:
        self.versions = versions
        self.embed = embed

    def compare(self) -> tuple[Version, Version] | None:
        """The newest version with a clip and its parent's, to play side by side."""
        made = [v for v in self.versions if has_clip(v)]
        newest = max(made, key=lambda v: v.created_at, default=None)
        if newest is None or newest.parent is None:
            return None
        try:
            parent = self.versions[newest.parent]
        except KeyError:
            return None
        return (parent, newest) if parent.files and parent.files[0].is_file() else None

    def _head(self) -> str:
        versions = self.versions
        return (
            f"<div><b>Versions of {html.escape(versions.root.job_id)}</b>: {len(versions)}, "
            f"${versions.spend:.2f} in all (estimated)</div>"
        )

    def tree_html(self) -> str:
        """The live panel's tree: a poster a version (its compare plays them), indented by
        branch, under the same head."""
        versions = self.versions
        rows = "".join(_row(v, versions.depth(v.job_id)) for v in versions)
        return f'<div class="veo-versions">{self._head()}{rows}</div>'

    def _repr_html_(self) -> str:
        versions = self.versions
        cards = "".join(_card(v, versions.depth(v.job_id), embed=self.embed) for v in versions)
        pair = self.compare()
        compare = (
            _compare(pair, embed=self.embed, title="the newest version beside its parent")
            if pair is not None
            else ""
        )
        return f'<div class="veo-versions">{self._head()}{cards}{compare}</div>'

    def __repr__(self) -> str:
        return str(self.versions)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self.versions))
