"""Share a notebook with its clips: one self-contained HTML page, or a zip to open in Jupyter.

    veo-magic export quickstart.ipynb               # quickstart.html: every clip inside it
    veo-magic export quickstart.ipynb --max-mb 25   # clips past 25 MB: quickstart_files/, linked
    veo-magic export quickstart.ipynb --zip         # quickstart.zip: notebook, clips, sidecars
    %veo export                                     # the notebook in use, as last saved

The page is nbconvert's (the ``lab`` template) without anything fetched from the network: no
require.js, MathJax, mermaid or widget scripts. Widget outputs show their static stand-ins, each
clip a ``<video>`` with its bytes and its thumbnail as data URLs, so the file plays from a mail
attachment or a USB stick. The zip holds the notebook as saved plus each clip it shows and the
clip's sidecars (``.json``, ``.jpg``, ``.thumb.jpg``) at the same relative paths, so every link
still works once unpacked. Neither ever holds the journal; an export that would contain the API
key is refused.
"""

from __future__ import annotations

import copy
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .._exceptions import VeoError, VeoInputError
from .._files import replacing, write_whole
from .._secret import Secret
from ..config import GEMINI_KEYS, raw

__all__ = ["DEFAULT_MAX_MB", "Exported", "clips_shown", "export", "export_html", "export_zip"]

DEFAULT_MAX_MB = 100.0
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SIDECARS = (".json", ".jpg", ".thumb.jpg")
JOURNAL = "veo_journal.sqlite3"

# nbconvert's lab page, minus every script it would fetch from a CDN.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


@dataclass
class Exported:
    """What an export wrote: the file, and where each clip went."""

    path: Path
    embedded: list[Path] = field(default_factory=list)  # clips inside the page
    linked: list[Path] = field(default_factory=list)  # clips copied beside it, over the cap
    packed: list[Path] = field(default_factory=list)  # files in the zip, the notebook first
    missing: list[str] = field(default_factory=list)  # clips the notebook shows, not on disk
    max_mb: float | None = None

    def summary(self) -> str:
        """What happened, in a few lines a person reads."""
        size = self.path.stat().st_size / 1e6
        lines = [f"wrote {self.path} ({size:.1f} MB)"]
        if self.packed:
            lines.append(f"  {len(self.packed)} files: the notebook, the clips it shows, sidecars")
        if self.embedded:
            lines.append(f"  {len(self.embedded)} clip(s) embedded, playable offline")
        if self.linked:
            folder = self.linked[0].parent
            total = sum(p.stat().st_size for p in self.linked) / 1e6
            lines.append(
                f"  {len(self.linked)} clip(s) ({total:.1f} MB) did not fit in --max-mb "
                f"{self.max_mb:g}, so they are linked, not embedded: keep {folder.name}/ beside "
                f"{self.path.name} when you share it (or raise --max-mb, or use --zip)"
            )
        if self.missing:
            lines.append(
                f"  {len(self.missing)} clip(s) shown in the notebook are not on disk any more: "
                + ", ".join(self.missing)
            )
        return "\n".join(lines)


def export(
    notebook: Path,
    out: Path | None = None,
    *,
    as_zip: bool = False,
    max_mb: float = DEFAULT_MAX_MB,
    keys: Iterable[Secret | str] = (),
) -> Exported:
    """``export_zip`` with ``as_zip``, else ``export_html``: what ``veo-magic export`` and
    ``%veo export`` run."""
    if as_zip:
        return export_zip(notebook, out, keys=keys)
    return export_html(notebook, out, max_mb=max_mb, keys=keys)


# -- what the notebook shows ---------------------------------------------------------------------


def _html_outputs(nb: Any) -> Iterable[str]:
    """Every ``text/html`` a notebook holds: cell outputs and saved Output widgets."""
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        outputs += model.get("state", {}).get("outputs") or []
    for output in outputs:
        value = output.get("data", {}).get("text/html")
        if value:
            yield "".join(value) if isinstance(value, list) else value


def _local(src: str) -> PurePosixPath | None:
    """``src`` as a path relative to the notebook, or None (a URL, data, absolute, outside)."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    path = PurePosixPath(unquote(parts.path))
    return None if ".." in path.parts else path


def clips_shown(nb: Any) -> list[PurePosixPath]:
    """The clips a notebook shows (``<video>``/``<source>`` with a relative ``src``), in order."""
    from bs4 import BeautifulSoup

    found: dict[PurePosixPath, None] = {}
    for page in _html_outputs(nb):
        for tag in BeautifulSoup(page, "html.parser").find_all(["video", "source"]):
            path = _local(str(tag.get("src") or ""))
            if path is not None:
                found[path] = None
    return list(found)


# -- guards --------------------------------------------------------------------------------------


def _keys(extra: Iterable[Secret | str]) -> list[str]:
    """The keys an export must not hold: the environment's, and ``extra`` (``%veo login``'s)."""
    keys = [raw(variable) or "" for variable in GEMINI_KEYS]
    keys += [key.reveal() if isinstance(key, Secret) else key for key in extra]
    return [key.strip() for key in keys if len(key.strip()) >= 8]


def _refuse_keys(data: bytes, what: str, keys: list[str]) -> None:
    for key in keys:
        if key.encode() in data:
            raise VeoInputError(
                "notebook",
                what,
                "contains the API key, so nothing was written",
                hint="remove it (clear that output), save, and export again; a key entered at "
                "a prompt rather than in a cell stays out of notebooks",
            )


_NEEDS = "exporting needs nbconvert, nbformat and beautifulsoup4: pip install 'veo_magic[export]'"


def _read(notebook: Path) -> Any:
    try:
        import nbformat
    except ImportError:
        raise VeoError(_NEEDS) from None

    if not notebook.is_file():
        raise VeoInputError("notebook", str(notebook), "is not a file", "a saved .ipynb")
    try:
        return nbformat.read(notebook, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a file that is not a notebook
        raise VeoInputError(
            "notebook", str(notebook), f"is not a readable notebook ({exc})", "a saved .ipynb"
        ) from None


# -- HTML ----------------------------------------------------------------------------------------


def export_html(
    notebook: Path,
    out: Path | None = None,
    *,
    max_mb: float = DEFAULT_MAX_MB,
    keys: Iterable[Secret | str] = (),
) -> Exported:
    """Write ``notebook`` as one HTML page with every clip it shows embedded (up to ``max_mb``
    of clips in all; the others are copied to ``<out>_files/`` and linked)."""
    notebook = Path(notebook)
    out = Path(out) if out is not None else notebook.with_suffix(".html")
    if max_mb < 0:
        raise VeoInputError(
            "max_mb", max_mb, "is negative", "0 or more MB of clips", given_as="--max-mb"
        )
    nb = _read(notebook)
    secrets = _keys(keys)
    _refuse_keys(notebook.read_bytes(), str(notebook), secrets)
    page = _render(nb, notebook)
    result = Exported(out, max_mb=max_mb)
    page = _embed(page, notebook.parent, out, int(max_mb * 1e6), result)
    data = page.encode("utf-8")
    _refuse_keys(data, str(out), secrets)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_whole(out, data)
    return result


def _render(nb: Any, notebook: Path) -> str:
    """nbconvert's lab page of ``nb``, without network scripts or widget views."""
    try:
        import jinja2
        from nbconvert import HTMLExporter
    except ImportError:
        raise VeoError(_NEEDS) from None

    nb = copy.deepcopy(nb)
    # Without saved widget state nbconvert shows each widget output's text/html stand-in (the
    # final state once a job has ended) instead of a script that loads widgets from a CDN.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    exporter = HTMLExporter(
        template_name="lab",
        template_file="veo_export.html.j2",
        extra_loaders=[jinja2.DictLoader({"veo_export.html.j2": OFFLINE_TEMPLATE})],
        embed_images=True,
    )
    resources = {"metadata": {"path": str(notebook.parent), "name": notebook.stem}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _embed(page: str, folder: Path, out: Path, cap: int, result: Exported) -> str:
    """Put each local clip and picture of ``page`` inside it, clips up to ``cap`` bytes."""
    from bs4 import BeautifulSoup, NavigableString

    from ..media import data_url, still_data_url

    soup = BeautifulSoup(page, "html.parser")
    beside = out.parent / f"{out.stem}_files"
    used = 0
    urls: dict[Path, str] = {}  # clip -> what its src became
    for tag in soup.find_all(["video", "source"]):
        path = _local(str(tag.get("src") or ""))
        if path is None:
            continue
        clip = folder / path
        if not clip.is_file():
            result.missing.append(str(path))
            continue
        size = clip.stat().st_size
        if clip not in urls:
            if used + size <= cap:
                urls[clip] = data_url(clip, "video/mp4")
                result.embedded.append(clip)
            else:
                beside.mkdir(parents=True, exist_ok=True)
                shutil.copy2(clip, beside / clip.name)
                urls[clip] = f"{quote(beside.name)}/{quote(clip.name)}"
                result.linked.append(beside / clip.name)
        if urls[clip].startswith("data:"):
            used += size
        tag["src"] = urls[clip]
        video = tag if tag.name == "video" else tag.find_parent("video")
        posterless = video is not None and not str(video.get("poster") or "").startswith("data:")
        if posterless and (still := still_data_url(clip)) is not None:
            video["poster"] = still
    for tag in soup.find_all("img"):
        path = _local(str(tag.get("src") or ""))
        if path is not None and (folder / path).is_file():
            tag["src"] = data_url(folder / path, "image/jpeg")
    for tag in soup.find_all("a"):
        path = _local(str(tag.get("href") or ""))
        if path is None:
            continue
        target = urls.get(folder / path, "")
        if target and not target.startswith("data:"):
            tag["href"] = target
        elif tag.has_attr("download"):  # the clip is in the page (its menu saves it): no link
            after = tag.next_sibling
            if isinstance(after, NavigableString) and after.strip() == "·":
                after.extract()
            tag.decompose()
        else:  # not shared with the page: its name stays, as text
            tag.unwrap()
    return str(soup)


# -- zip -----------------------------------------------------------------------------------------


def export_zip(
    notebook: Path, out: Path | None = None, *, keys: Iterable[Secret | str] = ()
) -> Exported:
    """Write ``notebook`` with the clips it shows and their sidecars, at the same relative paths."""
    notebook = Path(notebook)
    out = Path(out) if out is not None else notebook.with_suffix(".zip")
    nb = _read(notebook)
    secrets = _keys(keys)
    folder = notebook.parent
    result = Exported(out)
    files = {PurePosixPath(notebook.name): notebook}
    for path in clips_shown(nb):
        clip = folder / path
        if not clip.is_file():
            result.missing.append(str(path))
            continue
        files[path] = clip
        for suffix in SIDECARS:
            if clip.with_suffix(suffix).is_file():
                files[path.with_suffix(suffix)] = clip.with_suffix(suffix)
    files = {name: source for name, source in files.items() if not name.name.startswith(JOURNAL)}
    for source in files.values():
        _refuse_keys(source.read_bytes(), str(source), secrets)
    out.parent.mkdir(parents=True, exist_ok=True)
    with replacing(out) as part, zipfile.ZipFile(part, "w") as archive:
        for name, source in files.items():
            # MP4 and JPEG are compressed already: stored, not deflated again.
            deflate = name.suffix in (".ipynb", ".json")
            archive.write(
                source,
                str(name),
                compress_type=zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED,
            )
            result.packed.append(source)
    return result
