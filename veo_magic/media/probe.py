"""What an MP4 holds (size, duration, codecs), as imageio-ffmpeg reads it from ffmpeg's header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

__all__ = ["ClipInfo", "probe"]


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
    # The metadata is the first thing read_frames yields; asking for no frame at all lets ffmpeg
    # stop after the header instead of decoding the clip.
    frames = imageio_ffmpeg.read_frames(str(path), output_params=["-frames:v", "0"])
    try:
        meta = next(frames)
    except OSError as exc:
        raise RuntimeError(f"{path} is not a playable video: {str(exc).strip()[-300:]}") from exc
    finally:
        frames.close()
    width, height = meta["source_size"]
    return ClipInfo(
        width=width,
        height=height,
        seconds=meta["duration"],
        video_codec=meta["codec"],
        audio_codec=meta.get("audio_codec"),
        pixel_format=meta["pix_fmt"].partition("(")[0],
    )
