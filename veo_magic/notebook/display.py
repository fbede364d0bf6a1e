"""The clip as HTML: a relative ``<video>`` Jupyter serves, a poster frame, and when to embed.

Live (a running view): ``<video src="veo_outputs/….mp4"><img src="….jpg"></video>``, a few
hundred bytes. Final (what a saved notebook keeps, ``inline_poster=True``): the same relative
``src`` and link, and the clip's thumbnail inline, as the ``poster`` attribute and as the fallback
``<img>``: under GitHub's CSP (``media-src 'none'``) only a data-URL poster shows, and where a
sanitizer drops ``<video>`` only the ``<img>`` does. About 20 KB a clip.

Embedded as base64 only where a relative file cannot play (Colab, VS Code) or when asked
(``--embed``), and only up to ``embed_cap()`` bytes; a bigger clip gets its path instead.

Every piece of text here (paths, labels, prompts) is escaped: nothing from a user or a relay is
ever rendered as markup.
"""

from __future__ import annotations

import html
import os
import sys
from pathlib import Path
from urllib.parse import quote

from ..config import EMBED_MAX_MB, read
from ..media import data_url, existing_poster, existing_thumbnail, poster_for

__all__ = [
    "clip_html",
    "data_url",
    "embed_by_default",
    "embed_cap",
    "relative_url",
    "shown_path",
]


def embed_by_default() -> bool:
    """True where a relative ``<video src>`` cannot be served: Colab and VS Code."""
    return (
        "google.colab" in sys.modules
        or bool(os.environ.get("VSCODE_PID"))
        or bool(os.environ.get("VSCODE_CWD"))
    )


def embed_cap() -> int:
    """Largest clip embedded, in bytes: ``VEO_EMBED_MAX_MB`` (default 20 MB)."""
    return int(read(EMBED_MAX_MB) * 1024 * 1024)


def relative_url(path: Path, base: Path | None = None) -> str | None:
    """``path`` as a URL relative to ``base`` (the kernel's cwd), or None if it lies outside it.

    Jupyter serves files under the notebook's folder, which is the kernel's cwd; a path that
    escapes it (``..``, another drive) would not be found, so it is not offered as a URL.
    """
    base = (base or Path.cwd()).resolve()
    try:
        rel = path.resolve().relative_to(base)
    except ValueError:
        return None
    return "/".join(quote(part) for part in rel.parts)


def shown_path(path: Path, base: Path | None = None) -> str:
    """``path`` as a reader should see it: relative to the notebook's folder (the kernel's cwd)
    when it lies there, so a shared notebook does not show the author's home directory."""
    base = (base or Path.cwd()).resolve()
    try:
        return str(path.resolve().relative_to(base))
    except (OSError, ValueError):
        return str(path)


def clip_html(
    video: Path,
    *,
    embed: bool = False,
    cap: int | None = None,
    make_poster: bool = True,
    inline_poster: bool = False,
) -> str:
    """One clip: ``<video>``, its poster frame, the file path and a download link.

    ``embed`` puts the bytes in the page (up to ``cap``); otherwise the clip is referenced by a
    URL relative to the kernel's cwd. A clip that can be neither gets its path as text.

    ``make_poster=False`` runs no ffmpeg (it takes ~50 ms a clip), so the HTML can go out at
    once: a referenced clip's fallback ``<img>`` names the frame where ``poster_for`` will put it
    (a browser that plays the video never shows it), and an embedded clip has no poster unless
    it is already made (a data URL needs the bytes).

    The relative poster is fallback content (an ``<img>`` inside ``<video>``, shown where video is
    not supported), not a ``poster`` attribute: JupyterLab resolves relative ``src`` and ``href``
    against the notebook's folder but not ``poster``, and Chrome sizes a video by its poster
    until it plays, so a poster that does not load leaves a 300x150 box.

    ``inline_poster`` puts the clip's thumbnail (made by the runner) in the page instead, as both
    (a data URL needs no resolving): the static output a saved notebook keeps.
    """
    cap = embed_cap() if cap is None else cap
    poster = poster_for(video) if make_poster else existing_poster(video)
    thumb = existing_thumbnail(video) if inline_poster else None
    url = relative_url(video)
    size = video.stat().st_size if video.exists() else 0
    name = html.escape(video.name)
    shown = html.escape(shown_path(video))
    note = poster_attr = fallback = ""
    if thumb is not None:
        picture = data_url(thumb, "image/jpeg")
        poster_attr = f' poster="{picture}"'
        fallback = f'<img src="{picture}" alt="{name}: a frame of the clip">'
    if embed and size <= cap:
        src = data_url(video, "video/mp4")
        if poster is not None and thumb is None:  # a data URL needs no resolving
            poster_attr = f' poster="{data_url(poster, "image/jpeg")}"'
    elif url is not None:
        src = url
        frame = poster if poster is not None or make_poster else video.with_suffix(".jpg")
        poster_url = relative_url(frame) if frame else None
        if poster_url is not None and thumb is None:
            fallback = f'<img src="{html.escape(poster_url, quote=True)}" alt="{name}">'
        if embed:
            note = f" · too large to embed ({size / 1e6:.1f} MB &gt; {cap / 1e6:.0f} MB)"
    else:
        reason = (
            f"{size / 1e6:.1f} MB, over the embed cap" if embed else "outside the notebook folder"
        )
        return (
            f'<div class="veo-clip">{fallback}Saved at <code>'
            f"{shown}</code> ({html.escape(reason)}; Jupyter cannot serve it here).</div>"
        )
    link = (
        f'<a href="{html.escape(url, quote=True)}" download="{name}">download</a> · '
        if url is not None
        else ""
    )
    return (
        '<div class="veo-clip">'
        f'<video controls playsinline preload="metadata" style="max-width:100%;max-height:480px"'
        f' src="{html.escape(src, quote=True)}"{poster_attr}>{fallback}</video>'
        f'<div style="font-size:90%;opacity:.8">{link}<code>{shown}</code>{note}</div>'
        "</div>"
    )
