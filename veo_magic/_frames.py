"""Still frames of a clip, as image files beside it, made with the ffmpeg imageio-ffmpeg ships.

The runner makes a clip's poster right after the download, before the job counts as done, so
every front end (a notebook view, a saved notebook, an export) finds ``clip.jpg`` on disk.
Without a working ffmpeg there is simply no poster: nothing here raises for that.

A storyboard's handoff is different: ``last_frame`` decodes the clip's very last frame, at the
clip's own size, losslessly (``clip.last.png``), because the next shot starts from it; it raises
when it cannot, since the next shot cannot go on without it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["existing_poster", "last_frame", "poster_for", "thumbnail_for"]

POSTER_WIDTH = 640


def _fresh(dest: Path, source: Path) -> bool:
    """``dest`` exists and is not older than ``source`` (raises OSError if ``source`` is gone)."""
    return dest.exists() and dest.stat().st_mtime >= source.stat().st_mtime


def _ffmpeg() -> str | None:
    try:
        from imageio_ffmpeg import get_ffmpeg_exe

        return get_ffmpeg_exe()
    except Exception:  # no binary for this platform
        return None


def _ffmpeg_frame(source: Path, dest: Path, *, width: int, seeks: tuple[str, ...]) -> Path | None:
    """One JPEG frame of ``source`` at most ``width`` wide, made once."""
    if _fresh(dest, source):
        return dest
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        return None
    for seek in seeks:
        command = [
            ffmpeg, "-nostdin", "-y", "-loglevel", "error", *(("-ss", seek) if seek else ()),
            "-i", str(source), "-frames:v", "1", "-vf", f"scale='min({width},iw)':-2",
            "-q:v", "5", str(dest),
        ]  # fmt: skip
        try:
            subprocess.run(command, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        if dest.exists() and dest.stat().st_size > 0:
            return dest
    return None


def poster_for(video: Path, *, width: int = POSTER_WIDTH) -> Path | None:
    """A JPEG frame beside ``video`` (``clip.jpg``), or None without ffmpeg.

    One second in shows more than a fade-in; a shorter clip falls back to its first frame.
    """
    return _ffmpeg_frame(video, video.with_suffix(".jpg"), width=width, seeks=("1", "0"))


def existing_poster(video: Path) -> Path | None:
    """``video``'s poster frame if it is already made and up to date; never runs ffmpeg."""
    dest = video.with_suffix(".jpg")
    try:
        return dest if _fresh(dest, video) else None
    except OSError:
        return None


def thumbnail_for(image: Path, *, width: int = 128) -> Path | None:
    """A small JPEG beside ``image`` (``name.thumb.jpg``), or None without ffmpeg."""
    return _ffmpeg_frame(image, image.with_suffix(".thumb.jpg"), width=width, seeks=("",))


def last_frame(video: Path, *, max_bytes: int | None = None) -> Path:
    """The last frame of ``video`` at full size as ``clip.last.png`` (``clip.last.jpg``, at high
    quality, where the PNG is over ``max_bytes``); raises ``OSError`` if ffmpeg cannot decode it.

    ffmpeg seeks to two seconds before the end and decodes every frame from there, each written
    over the one before (``-update 1``): what is left is the last frame, exactly as a player
    shows it (no scaling, and PNG is lossless).
    """
    png = _still(
        video, video.with_name(f"{video.stem}.last.png"), ["-sseof", "-2"], ["-update", "1"]
    )
    if max_bytes is None or png.stat().st_size <= max_bytes:
        return png
    return _still(png, video.with_name(f"{video.stem}.last.jpg"), [], ["-update", "1", "-q:v", "2"])


def _still(source: Path, dest: Path, before: list[str], after: list[str]) -> Path:
    """``dest`` made from ``source`` by ffmpeg (once), or ``OSError`` saying why not."""
    if _fresh(dest, source):
        return dest
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        raise OSError("no ffmpeg to decode the last frame with (imageio-ffmpeg has no binary here)")
    tmp = dest.with_name(f"{dest.stem}.part{dest.suffix}")
    command = [
        ffmpeg, "-nostdin", "-y", "-loglevel", "error", *before, "-i", str(source),
        "-map", "0:v:0", *after, str(tmp),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise OSError(f"could not decode the last frame of {source.name}: {exc}") from exc
    if result.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise OSError(
            f"could not decode the last frame of {source.name}: {result.stderr.strip()[-300:]}"
        )
    tmp.replace(dest)
    return dest
