"""Still frames of a clip, as JPEG files beside it, made with the ffmpeg imageio-ffmpeg ships.

The runner makes a clip's poster right after the download, before the job counts as done, so
every front end (a notebook view, a saved notebook, an export) finds them on disk:

* ``clip.jpg``, the poster frame (at most ``POSTER_WIDTH`` wide), for people and next clips;
* ``clip.thumb.jpg``, its thumbnail (longer side ``THUMB_SIDE``, at most ``THUMB_MAX_BYTES``),
  which a saved notebook carries inline, so that a viewer that cannot play or fetch the clip
  (GitHub, nbviewer, a mail attachment) still shows what it looks like.

Both come from one ffmpeg run. Without a working ffmpeg there is simply no frame: nothing here
raises for that.
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
from pathlib import Path

from .._files import replacing

__all__ = [
    "THUMB_MAX_BYTES",
    "data_url",
    "existing_poster",
    "existing_thumbnail",
    "last_frame",
    "poster_for",
    "still_data_url",
    "thumbnail_for",
]

POSTER_WIDTH = 640
THUMB_SIDE = 320
# A saved notebook holds the thumbnail twice, base64: 8 KB keeps a clip under 32 KB in all.
THUMB_MAX_BYTES = 8_000
THUMB_QUALITIES = (8, 12, 18)  # ffmpeg -q:v tried in turn when a detailed frame is too heavy
QUALITY = 5


def _fresh(dest: Path, source: Path) -> bool:
    """``dest`` exists and is not older than ``source`` (raises OSError if ``source`` is gone)."""
    return dest.exists() and dest.stat().st_mtime >= source.stat().st_mtime


def _ffmpeg() -> str | None:
    try:
        from imageio_ffmpeg import get_ffmpeg_exe

        return get_ffmpeg_exe()
    except Exception:  # no binary for this platform: no frame
        return None


def _run(command: list[str]) -> None:
    with contextlib.suppress(OSError, subprocess.SubprocessError):  # no frame: no file
        subprocess.run(command, capture_output=True, timeout=30, check=False)


def _made(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _fit(width: int) -> str:
    """A scale filter: at most ``width`` wide, the height to match (even, as codecs like)."""
    return f"scale='min({width},iw)':-2"


def _box(side: int) -> str:
    """A scale filter: the longer side at most ``side`` (a portrait clip's thumbnail is not
    three times a landscape one's)."""
    return f"scale='min({side},iw)':'min({side},ih)':force_original_aspect_ratio=decrease"


def _frames(source: Path, outputs: list[tuple[Path, str, int]], *, seeks: tuple[str, ...]) -> bool:
    """One decoded frame of ``source`` written to every ``(dest, filter, quality)``."""
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        return False
    for seek in seeks:
        command = [ffmpeg, "-nostdin", "-y", "-loglevel", "error",
                   *(("-ss", seek) if seek else ()), "-i", str(source)]  # fmt: skip
        for dest, scale, quality in outputs:
            command += ["-frames:v", "1", "-vf", scale, "-q:v", str(quality), str(dest)]
        _run(command)
        if all(_made(dest) for dest, _, _ in outputs):
            return True
    return False


def poster_for(video: Path, *, width: int = POSTER_WIDTH) -> Path | None:
    """The poster frame beside ``video`` (``clip.jpg``) and its thumbnail (``clip.thumb.jpg``),
    made once; returns the poster, or None without ffmpeg.

    One second in shows more than a fade-in; a shorter clip falls back to its first frame.
    """
    poster, thumb = video.with_suffix(".jpg"), video.with_suffix(".thumb.jpg")
    if _fresh(poster, video) and _fresh(thumb, video):
        return poster
    outputs = [(poster, _fit(width), QUALITY), (thumb, _box(THUMB_SIDE), QUALITY)]
    if not _frames(video, outputs, seeks=("1", "0")):
        return poster if _made(poster) else None
    for quality in THUMB_QUALITIES:  # a detailed frame: coarser, from the poster (small, quick)
        if thumb.stat().st_size <= THUMB_MAX_BYTES:
            break
        _frames(poster, [(thumb, _box(THUMB_SIDE), quality)], seeks=("",))
    return poster


def existing_poster(video: Path) -> Path | None:
    """``video``'s poster frame if it is already made and up to date; never runs ffmpeg."""
    return _existing(video.with_suffix(".jpg"), video)


def existing_thumbnail(video: Path) -> Path | None:
    """``video``'s thumbnail if it is already made and up to date; never runs ffmpeg."""
    return _existing(video.with_suffix(".thumb.jpg"), video)


def _existing(dest: Path, video: Path) -> Path | None:
    try:
        return dest if _fresh(dest, video) else None
    except OSError:
        return None


def thumbnail_for(image: Path, *, width: int = 128) -> Path | None:
    """A small JPEG beside ``image`` (``name.thumb.jpg``), or None without ffmpeg."""
    dest = image.with_suffix(".thumb.jpg")
    if _fresh(dest, image):
        return dest
    return dest if _frames(image, [(dest, _fit(width), QUALITY)], seeks=("",)) else None


# -- the last frame, which a storyboard hands to its next shot ------------------------------


def last_frame(video: Path, *, max_bytes: int | None = None) -> Path:
    """The last frame of ``video`` at full size as ``clip.last.png`` (``clip.last.jpg`` where the
    PNG is over ``max_bytes``); raises ``OSError`` if ffmpeg cannot decode it.

    ffmpeg seeks to two seconds before the end and decodes every frame from there, each written
    over the one before (``-update 1``): what is left is the last frame, exactly as a player
    shows it (no scaling, and PNG is lossless).
    """
    png = _still(video, video.with_name(f"{video.stem}.last.png"), ["-sseof", "-2"], [])
    if max_bytes is None or png.stat().st_size <= max_bytes:
        return png
    return _still(png, video.with_name(f"{video.stem}.last.jpg"), [], ["-q:v", "2"])


def _still(source: Path, dest: Path, before: list[str], after: list[str]) -> Path:
    """``dest`` made from ``source`` by ffmpeg (once), or ``OSError`` saying why not."""
    if _fresh(dest, source):
        return dest
    ffmpeg = _ffmpeg()
    if ffmpeg is None:  # no binary for this platform
        raise OSError(f"no ffmpeg to decode the last frame of {source.name} with")
    with replacing(dest) as tmp:
        command = [
            ffmpeg, "-nostdin", "-y", "-loglevel", "error", *before, "-i", str(source),
            "-map", "0:v:0", "-update", "1", *after, str(tmp),
        ]  # fmt: skip
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise OSError(f"could not decode the last frame of {source.name}: {exc}") from exc
        if result.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(
                f"could not decode the last frame of {source.name}: {result.stderr.strip()[-300:]}"
            )
    return dest


# -- stills as data URLs (a widget, a saved notebook and an export show the same) ----------


def data_url(path: Path, mime: str) -> str:
    """The file's bytes as a ``data:`` URL."""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def still_data_url(clip: Path) -> str | None:
    """A still of ``clip`` as a data URL, shown the same in a live widget, a saved notebook and
    an export wherever the notebook's folder is (a widget resolves no relative URL): its small
    thumbnail (``clip.thumb.jpg``, a few KB), else its poster frame."""
    for still in (existing_thumbnail(clip), existing_poster(clip)):
        if still is not None:
            try:
                return data_url(still, "image/jpeg")
            except OSError:
                continue
    return None
