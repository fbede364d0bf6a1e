"""Stitching: stream copy when the shots match, re-encoding when they do not, sound kept, and
the frame each last-frame cut would repeat left out. Clips are made here by ffmpeg itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from veo_magic.media.film import read_track, stitch
from veo_magic.media.stills import last_frame

FPS = 10


def make_clip(
    path: Path, *, size: str = "160x96", seconds: float = 1.0, sound: bool = True, start: int = 0
) -> Path:
    """A clip whose every frame differs (ffmpeg's testsrc), with a tone unless ``sound=False``."""
    args = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error"]
    args += ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={FPS}:duration={seconds + start}"]
    if sound:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds + start}"]
    args += ["-ss", str(start), "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast"]
    args += ["-pix_fmt", "yuv420p", *(["-c:a", "aac"] if sound else []), str(path)]
    subprocess.run(args, check=True)
    return path


def frames(path: Path) -> list[bytes]:
    reader = imageio_ffmpeg.read_frames(str(path))
    next(reader)  # the metadata
    return list(reader)


def has_sound(path: Path) -> bool:
    return read_track(path).audio is not None


@pytest.fixture
def clips(tmp_path):
    return [make_clip(tmp_path / f"{i}.mp4", start=i) for i in range(3)]


def test_matching_shots_are_joined_by_stream_copy_without_the_repeated_frames(clips, tmp_path):
    film = stitch(clips, tmp_path / "film.mp4", trim_handoff=True)
    assert film.stream_copy and film.cuts == 2 and film.trimmed_frames == 2
    assert film.seconds == pytest.approx(3.0 - 2 / FPS, abs=1e-3)
    assert read_track(film.path).seconds == pytest.approx(film.seconds, abs=1e-3)
    assert has_sound(film.path)
    joined = frames(film.path)
    shots = [frames(clip) for clip in clips]
    # Every shot but the last loses its last frame; nothing else is dropped or changed.
    assert joined == shots[0][:-1] + shots[1][:-1] + shots[2]


def test_without_a_handoff_every_frame_is_kept(clips, tmp_path):
    film = stitch(clips, tmp_path / "film.mp4", trim_handoff=False)
    assert film.stream_copy and film.trimmed_frames == 0
    assert film.seconds == pytest.approx(3.0, abs=1e-3)
    assert len(frames(film.path)) == 3 * FPS


def test_shots_that_differ_are_re_encoded_to_the_first_ones_size(tmp_path):
    clips = [
        make_clip(tmp_path / "a.mp4"),
        make_clip(tmp_path / "b.mp4", size="96x160"),  # another shape
        make_clip(tmp_path / "c.mp4", sound=False),  # no sound
    ]
    film = stitch(clips, tmp_path / "film.mp4", trim_handoff=True)
    track = read_track(film.path)
    assert not film.stream_copy and film.trimmed_frames == 2
    assert (track.width, track.height) == (160, 96)
    assert track.fps == pytest.approx(FPS)
    assert film.seconds == pytest.approx(3.0 - 2 / FPS, abs=1e-3)
    assert len(frames(film.path)) == 3 * FPS - 2
    assert has_sound(film.path)  # the silent shot gets silence, the others keep their sound


def test_a_film_is_written_whole_or_not_at_all(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 100)
    with pytest.raises(OSError):
        stitch([make_clip(tmp_path / "a.mp4"), broken], tmp_path / "film.mp4", trim_handoff=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "broken.mp4"]


def test_the_last_frame_is_decoded_whole(tmp_path):
    from PIL import Image

    clip = make_clip(tmp_path / "a.mp4", size="320x180", seconds=2.0)
    png = last_frame(clip)
    assert png == tmp_path / "a.last.png"
    image = Image.open(png)
    assert image.format == "PNG" and image.size == (320, 180)
    assert image.convert("RGB").tobytes() == frames(clip)[-1]
    # Over the size limit for the next request, the handoff is a high-quality JPEG instead.
    jpeg = last_frame(clip, max_bytes=png.stat().st_size - 1)
    assert jpeg.suffix == ".jpg" and Image.open(jpeg).size == (320, 180)
