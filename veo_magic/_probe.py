"""What an MP4 holds (size, duration, codecs), read with the ffmpeg that imageio-ffmpeg ships."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ClipInfo", "probe"]


@dataclass(frozen=True, slots=True)
class ClipInfo:
    """The facts a person checks about a clip."""

    width: int
    height: int
    seconds: float
    video_codec: str
    audio_codec: str | None

    def __str__(self) -> str:
        audio = f"/{self.audio_codec}" if self.audio_codec else ", no audio"
        return f"{self.width}x{self.height}, {self.seconds:.1f} s, {self.video_codec}{audio}"


def probe(path: str | Path) -> ClipInfo:
    """Read ``path`` with ``ffmpeg -i``; raises ``RuntimeError`` if it is not a video."""
    import imageio_ffmpeg  # the simulator extra; imported here so the core does not need it

    # `ffmpeg -i` with no output exits 1 by design; its report on stderr is what we read.
    report = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    ).stderr
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", report)
    video = re.search(r"Stream .*Video: (\w+).*?, (\d{2,5})x(\d{2,5})", report)
    audio = re.search(r"Stream .*Audio: (\w+)", report)
    if not duration or not video:
        raise RuntimeError(f"{path} is not a playable video: {report.strip()[-300:]}")
    hours, minutes, seconds = duration.groups()
    return ClipInfo(
        width=int(video.group(2)),
        height=int(video.group(3)),
        seconds=int(hours) * 3600 + int(minutes) * 60 + float(seconds),
        video_codec=video.group(1),
        audio_codec=audio.group(1) if audio else None,
    )
