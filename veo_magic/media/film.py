"""A storyboard's shots stitched into one MP4 with the ffmpeg that imageio-ffmpeg ships.

Two ways, picked per film:

* **stream copy** (ffmpeg's concat demuxer, ``-c copy``) when every clip has the same codec
  parameters: codec, size, pixel aspect, frame rate and the codec's own header (for H.264 the
  SPS/PPS, whose checksum ffmpeg's ``framecrc`` prints). Nothing is decoded: fast and lossless.
* **re-encode** (the ``concat`` filter, H.264 + AAC) when they differ: every shot is scaled and
  padded to the first one's size and frame rate; a shot without sound gets silence.

Sound is kept either way. When each shot starts from the one before's last frame, that frame is
in the film twice, once at the end of shot k and again at the start of shot k+1, so the last
frame of every shot but the final one is left out (``outpoint`` in the concat list, ``trim`` when
re-encoding): the cut is seamless and the film is one frame per cut shorter than the sum.
"""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .._files import replacing

__all__ = ["Film", "Track", "read_track", "stitch"]

FFMPEG_TIMEOUT = 600  # seconds; a 148 s film re-encodes in well under that


@dataclass(frozen=True, slots=True)
class Track:
    """What stitching needs to know of one clip, read from its packets (nothing decoded)."""

    video: tuple[str, ...]  # codec, size, pixel aspect, codec header checksum, frame duration
    audio: tuple[str, ...] | None  # codec, rate, layout, codec header checksum; None: silent
    width: int
    height: int
    frame_seconds: float  # one frame's duration
    last_frame_at: Fraction  # when the last frame starts, in seconds (exact)
    seconds: float  # when the last frame ends

    @property
    def fps(self) -> float:
        return 1 / self.frame_seconds


@dataclass(frozen=True, slots=True)
class Film:
    """The stitched film and how it was made."""

    path: Path
    seconds: float
    stream_copy: bool
    cuts: int
    trimmed_frames: int


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str], what: str) -> str:
    result = subprocess.run(
        [_ffmpeg(), "-hide_banner", "-nostdin", *args],
        capture_output=True,
        text=True,
        timeout=FFMPEG_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise OSError(f"ffmpeg could not {what}: {result.stderr.strip()[-500:]}")
    return result.stdout


_HEADER = re.compile(r"^#(\w+) (\d+): (.*)$")


def read_track(path: Path) -> Track:
    """Codec parameters and frame timing of ``path``'s first video and audio streams.

    ``framecrc`` over a stream copy lists every packet (timestamps in the stream's time base)
    after a header naming each stream's codec, size and codec-header checksum: one quick pass.
    """
    report = _run(
        ["-v", "error", "-i", str(path), "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
         "-f", "framecrc", "-"],
        f"read {path.name}",
    )  # fmt: skip
    header: dict[tuple[str, int], str] = {}
    video_packets: list[tuple[int, int]] = []  # (pts, duration) in the video time base
    for line in report.splitlines():
        if match := _HEADER.match(line):
            header[(match[1], int(match[2]))] = match[3].strip()
        elif line.startswith("0,"):
            fields = [f.strip() for f in line.split(",")]
            video_packets.append((int(fields[2]), int(fields[3])))
    if not video_packets or ("tb", 0) not in header:
        raise OSError(f"{path.name} has no video frames")
    base = Fraction(header[("tb", 0)])
    durations = Counter(d for _, d in video_packets if d > 0)
    frame = durations.most_common(1)[0][0] if durations else 1
    last_pts = max(pts for pts, _ in video_packets)
    width, height = (int(v) for v in header.get(("dimensions", 0), "0x0").split("x"))
    video = (
        header.get(("codec_id", 0), "?"),
        header.get(("dimensions", 0), "?"),
        header.get(("sar", 0), "?"),
        header.get(("extradata", 0), ""),
        str(base * frame),
    )
    audio = None
    if ("codec_id", 1) in header:
        audio = (
            header[("codec_id", 1)],
            header.get(("sample_rate", 1), "?"),
            header.get(("channel_layout_name", 1), "?"),
            header.get(("extradata", 1), ""),
        )
    return Track(
        video=video,
        audio=audio,
        width=width,
        height=height,
        frame_seconds=float(base * frame),
        last_frame_at=base * last_pts,
        seconds=float(base * (last_pts + frame)),
    )


def stitch(clips: Sequence[Path], dest: Path, *, trim_handoff: bool) -> Film:
    """Join ``clips`` into ``dest`` (written whole or not at all); ``trim_handoff`` leaves out
    the last frame of every clip but the final one."""
    if not clips:
        raise ValueError("no clips to stitch")
    tracks = [read_track(clip) for clip in clips]
    trims = [trim_handoff and i < len(clips) - 1 for i in range(len(clips))]
    same = all(t.video == tracks[0].video and t.audio == tracks[0].audio for t in tracks)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dest) as part:
        if same:
            _concat_copy(clips, tracks, trims, part)
        else:
            _concat_encode(clips, tracks, trims, part)
        seconds = read_track(part).seconds
    return Film(dest, seconds, same, len(clips) - 1, sum(trims))


def _quoted(path: Path) -> str:
    """A path as the concat demuxer's ``file`` directive reads it (single-quoted)."""
    return "'" + str(path.resolve()).replace("'", "'\\''") + "'"


def _concat_copy(clips: Sequence[Path], tracks: list[Track], trims: list[bool], out: Path) -> None:
    lines = ["ffconcat version 1.0"]
    for clip, track, trim in zip(clips, tracks, trims, strict=True):
        # inpoint 0 drops the AAC encoder's priming packet (it sits before 0): kept, the concat
        # demuxer would play it and push the picture, and every later shot's sound, 23 ms late.
        lines += [f"file {_quoted(clip)}", "inpoint 0"]
        if trim:
            # Packets from this time on are dropped: the last frame's, to the microsecond below,
            # since ffmpeg compares exactly and would keep a frame a rounding error too early.
            micros = math.floor(track.last_frame_at * 1_000_000)
            lines.append(f"outpoint {micros // 1_000_000}.{micros % 1_000_000:06d}")
    with tempfile.NamedTemporaryFile(
        "w", suffix=".ffconcat", dir=out.parent, delete=False, encoding="utf-8"
    ) as listing:
        listing.write("\n".join(lines) + "\n")
    try:
        _run(
            ["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", listing.name,
             "-map", "0", "-c", "copy", "-movflags", "+faststart", str(out)],
            "join the shots",
        )  # fmt: skip
    finally:
        Path(listing.name).unlink(missing_ok=True)


def _concat_encode(
    clips: Sequence[Path], tracks: list[Track], trims: list[bool], out: Path
) -> None:
    first = tracks[0]
    width, height, fps = first.width, first.height, round(first.fps, 3)
    sound = any(t.audio is not None for t in tracks)
    graph, pads = [], []
    for i, (track, trim) in enumerate(zip(tracks, trims, strict=True)):
        end = float(track.last_frame_at) if trim else track.seconds
        graph.append(
            f"[{i}:v]trim=end={end:.6f},setpts=PTS-STARTPTS,"
            f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={fps:g},format=yuv420p[v{i}]"
        )
        pads.append(f"[v{i}]")
        if sound:  # each shot's sound exactly as long as its picture, silence where it has none
            source = f"[{i}:a]" if track.audio is not None else "anullsrc=r=48000:cl=stereo,"
            graph.append(
                f"{source}aresample=48000,"
                f"aformat=sample_fmts=fltp:channel_layouts=stereo,"
                f"apad=whole_dur={end:.6f},atrim=end={end:.6f},asetpts=PTS-STARTPTS[a{i}]"
            )
            pads.append(f"[a{i}]")
    outputs = "[v][a]" if sound else "[v]"
    graph.append(f"{''.join(pads)}concat=n={len(clips)}:v=1:a={int(sound)}{outputs}")
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    maps = ["-map", "[v]", *(["-map", "[a]", "-c:a", "aac", "-b:a", "128k"] if sound else [])]
    _run(
        ["-v", "error", "-y", *inputs, "-filter_complex", ";".join(graph), *maps,
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-movflags", "+faststart", str(out)],
        "re-encode the shots into one film",
    )  # fmt: skip
