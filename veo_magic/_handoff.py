"""The frame a storyboard hands from one shot to the next: the clip's very last frame.

Decoded from the downloaded clip (not a poster, not a thumbnail) at the clip's own size and
saved beside it losslessly, as ``clip.last.png``, because the next shot starts from exactly
this picture. A PNG over the image size limit of the next request (``VEO_MAX_IMAGE_BYTES``)
becomes a high-quality ``clip.last.jpg`` instead; the next request's own checks then apply.
Unlike a poster, a frame that cannot be decoded is an error: the next shot cannot go on.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ._frames import _ffmpeg, _fresh

__all__ = ["handoff_frame", "last_frame"]


def handoff_frame(video: Path) -> Path:
    """``video``'s last frame, as the next request's first frame will carry it."""
    from ._media import max_image_bytes

    return last_frame(video, max_bytes=max_image_bytes())


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
    tmp = dest.with_name(f"{dest.stem}.part{dest.suffix}")
    command = [
        ffmpeg, "-nostdin", "-y", "-loglevel", "error", *before, "-i", str(source),
        "-map", "0:v:0", "-update", "1", *after, str(tmp),
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
