"""The notebook front: ``%%veo``, ``%veo``, the job view, the form, galleries, history.

Importing this package is cheap: ipywidgets and httpx load on first use (a view, a form, the
first job), not on ``%load_ext veo_magic``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .form_view import Form
    from .gallery import Gallery

__all__ = ["batch", "form", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%veo`` and ``%veo`` with ``ipython``, and the storyboard's timeline as its
    display."""
    from .magics import VeoMagics

    ipython.register_magics(VeoMagics)
    # By name: the storyboard module is imported only when a storyboard is first shown.
    formatter = ipython.display_formatter.ipython_display_formatter
    formatter.for_type_by_name("veo_magic.storyboards.board", "Storyboard", _show_storyboard)
    # A clip's versions (``job.versions()``) show as their strip.
    html = ipython.display_formatter.formatters["text/html"]
    html.for_type_by_name("veo_magic.jobs.versions", "Versions", _versions_html)


def _versions_html(versions: Any) -> str:
    from .versions_view import VersionsView

    return VersionsView(versions)._repr_html_()


def _show_storyboard(board: Any) -> None:
    from .timeline import show_timeline

    show_timeline(board)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove ``%%veo`` and ``%veo`` (running jobs keep going)."""
    magics = ipython.magics_manager.magics
    magics["line"].pop("veo", None)
    magics["cell"].pop("veo", None)
    ipython.magics_manager.registry.pop("VeoMagics", None)


def form() -> Form:
    """The generation form (show it as the last line of a cell)."""
    from .form_view import form as make

    return make()


def batch(
    template: str,
    vary: Mapping[str, Sequence[Any]],
    *,
    values: Mapping[str, Any] | None = None,
    concurrency: int = 4,
    wait: bool = False,
    embed: bool = False,
    **options: Any,
) -> Gallery:
    """Fan ``template`` out over every combination of ``vary`` and show a gallery.

    >>> batch("a lighthouse, {style}", vary={"style": ["watercolor", "noir"]})  # doctest: +SKIP
    """
    from .gallery import batch as run

    return run(
        template,
        vary,
        values=values,
        concurrency=concurrency,
        wait=wait,
        embed=embed,
        **options,
    )
