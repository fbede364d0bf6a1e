"""What an MP4 holds (size, duration, codecs), as imageio-ffmpeg reads it from ffmpeg's header."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from imageio_ffmpeg._parsing import parse_ffmpeg_header

__all__ = ["ClipInfo", "probe"]

PROBE_SECONDS = 30  # ffmpeg reads a header in well under a second


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """The facts a person checks about a clip."""

    width: int
    height: int
    seconds: float
    video_codec: str
    audio_codec: str | None
    pixel_format: str = ""  # e.g. "yuv420p", the one every browser plays

    def __str__(self) -> str:
        audio = f"/{self.audio_codec}" if self.audio_codec else ", no audio"
        return f"{self.width}x{self.height}, {self.seconds:.1f} s, {self.video_codec}{audio}"


def probe(path: str | Path) -> ClipInfo:
    """The facts of the video at ``path``; raises ``RuntimeError`` if it is not a video."""
    # ffmpeg prints the header and stops (no output named), and imageio-ffmpeg's own parser
    # reads it. Not its ``read_frames``: that generator leaves ffmpeg's pipes open when ffmpeg
    # has already exited (imageio-ffmpeg 0.8.1), a ResourceWarning on every probe.
    ran = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=PROBE_SECONDS,
        check=False,
    )
    header = ran.stderr
    if not re.search(r"Stream #\S+.*: Video:", header):
        raise RuntimeError(f"{path} is not a playable video: {header.strip()[-300:]}")
    meta = parse_ffmpeg_header(header)
    width, height = meta["source_size"]
    return ClipInfo(
        width=width,
        height=height,
        seconds=meta["duration"],
        video_codec=meta["codec"],
        audio_codec=meta.get("audio_codec"),
        pixel_format=meta["pix_fmt"].partition("(")[0],
    )
