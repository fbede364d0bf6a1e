"""Still frames of a clip, as JPEG files beside it, made with the ffmpeg imageio-ffmpeg ships.

The runner makes a clip's poster right after the download, before the job counts as done, so
every front end (a notebook view, a saved notebook, an export) finds ``clip.jpg`` on disk.
Without a working ffmpeg there is simply no frame: nothing here raises for that.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["existing_poster", "poster_for", "thumbnail_for"]

POSTER_WIDTH = 640


def _fresh(dest: Path, source: Path) -> bool:
    """``dest`` exists and is not older than ``source`` (raises OSError if ``source`` is gone)."""
    return dest.exists() and dest.stat().st_mtime >= source.stat().st_mtime


def _ffmpeg_frame(source: Path, dest: Path, *, width: int, seeks: tuple[str, ...]) -> Path | None:
    """One JPEG frame of ``source`` at most ``width`` wide, made once."""
    if _fresh(dest, source):
        return dest
    try:
        from imageio_ffmpeg import get_ffmpeg_exe

        ffmpeg = get_ffmpeg_exe()
    except Exception:  # no binary for this platform: no frame
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
