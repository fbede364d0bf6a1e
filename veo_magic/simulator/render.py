"""Real MP4 clips for simulated tasks: H.264 + AAC, the prompt drawn on the frames.

Rendered by the ffmpeg that imageio-ffmpeg ships, at the requested pixel size and length, with
cheap settings (12 fps, ``-preset ultrafast``, a flat background whose colour follows the prompt,
a sine tone) so an 8 s 1280x720 clip takes a fraction of a second. Given images are shown where
Veo would put them: a first frame fills the whole picture for the first second (alone, so a clip
that starts from another clip's last frame visibly continues it), then the prompt caption
appears; the last frame at the end; references as thumbnails. Clips are cached on disk by
everything that shapes them, so repeated runs are instant.

``Renderer.render`` blocks; the server calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import subprocess
import tempfile
import textwrap
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RenderError", "RenderSpec", "Renderer", "default_cache_dir", "find_font", "sniff_image"]

log = logging.getLogger("veo_magic.simulator")

RENDER_VERSION = 2  # bump when the picture changes, so stale cached clips are not reused
FPS = 12
FIRST_FRAME_SECONDS = 1.0  # how long a given first frame fills the picture alone
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
FONT_NAMES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
CJK_FONT_NAMES = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "wqy-zenhei.ttc",
    "wqy-microhei.ttc",
    "DroidSansFallbackFull.ttf",
    "msyh.ttc",
)
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")
_FILTER_SAFE = re.compile(r"[\w./\-]+")  # paths put inside an ffmpeg filter graph unquoted
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"BM", "image/bmp", "bmp"),
)


class RenderError(RuntimeError):
    """ffmpeg could not produce the clip."""


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """``(content_type, extension)`` of image bytes, from their magic number; ``None`` if unknown."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    for magic, content_type, extension in _IMAGE_MAGIC:
        if data.startswith(magic):
            return content_type, extension
    return None


@dataclass(frozen=True)
class RenderSpec:
    """Everything that shapes one clip (and so its cache key)."""

    text: str
    width: int
    height: int
    seconds: float
    caption: str = ""
    # (role, bytes): role is "first", "last" or "reference"
    images: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    # An edit or extension: the parent clip's MP4. An edit draws ``text`` over the parent's own
    # frames; an extension plays the parent, then ``seconds`` more that start from its last frame.
    step: str = ""  # "edit" | "extend" | "" (a new clip)
    source: bytes = field(default=b"", repr=False)

    def key(self) -> str:
        digest = hashlib.sha256()
        head = [RENDER_VERSION, self.text, self.caption, self.width, self.height, self.seconds]
        digest.update(json.dumps([*head, self.step]).encode())
        for role, data in self.images:
            digest.update(role.encode() + hashlib.sha256(data).digest())
        digest.update(hashlib.sha256(self.source).digest())
        return digest.hexdigest()[:32]


def default_cache_dir() -> Path:
    return Path(tempfile.gettempdir()) / "veo_magic_sim"


def _find_in_font_dirs(names: Sequence[str]) -> Path | None:
    for name in names:
        for base in FONT_DIRS:
            root = Path(base)
            if not root.is_dir():
                continue
            direct = root / "truetype" / "dejavu" / name
            if direct.is_file():
                return direct
            found = next(root.rglob(name), None)
            if found is not None:
                return found
    return None


_font_cache: dict[bool, Path | None] = {}


def find_font(cjk: bool = False) -> Path | None:
    """A TrueType font for drawtext: a CJK one when asked and installed, else DejaVu Sans."""
    if cjk not in _font_cache:
        font = _find_in_font_dirs(CJK_FONT_NAMES) if cjk else None
        _font_cache[cjk] = font or _find_in_font_dirs(FONT_NAMES)
    return _font_cache[cjk]


def _ffmpeg_exe() -> str:
    import imageio_ffmpeg  # imported here: the simulator extra is optional for the package

    return imageio_ffmpeg.get_ffmpeg_exe()


def _background(key: str) -> str:
    """A mid-dark colour picked by the prompt, so different prompts look different."""
    import colorsys

    hue = int(key[:4], 16) / 0xFFFF
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.55, 0.45)
    return f"0x{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"


def _wrap(text: str, width: int, height: int, font_size: int) -> str:
    columns = max(12, int(width / (font_size * 0.62)) - 2)
    cjk = bool(_CJK.search(text))
    if cjk:  # CJK glyphs are about twice as wide as Latin ones
        columns = max(6, columns // 2)
    lines = textwrap.wrap(" ".join(text.split()), columns) or [""]
    limit = max(3, height // (font_size * 3))
    if len(lines) > limit:
        lines = [*lines[: limit - 1], lines[limit - 1][: columns - 1] + "…"]
    return "\n".join(lines)


def ffmpeg_args(
    spec: RenderSpec,
    out: Path,
    *,
    font: Path | None,
    text_file: Path | None,
    caption_file: Path | None,
    images: Sequence[tuple[str, Path]] = (),
    source: Path | None = None,
) -> list[str]:
    """The ffmpeg command line for ``spec`` (pure: no I/O, so it can be read and tested)."""
    w, h, s = spec.width, spec.height, spec.seconds
    key = spec.key()
    args = ["-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if source is not None:  # an edit: the parent's own frames are the picture
        args += ["-i", str(source)]
    else:
        args += ["-f", "lavfi", "-i", f"color=c={_background(key)}:s={w}x{h}:r={FPS}:d={s:g}"]
    tone = 220 + int(key[4:6], 16)  # the pitch follows the prompt too
    args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100:duration={s:g}"]
    for _, path in images:
        args += ["-loop", "1", "-framerate", str(FPS), "-t", f"{s:g}", "-i", str(path)]
    graph: list[str] = []
    video = "[0:v]"
    if source is not None:
        # Visibly the parent, changed: a shade darker, the edit's words in the lower third.
        graph.append(f"[0:v]{_fit(w, h)},fps={FPS},eq=brightness=-0.12:saturation=0.8[base]")
        video = "[base]"
    hold = min(2.0, s / 3)
    # A first frame is the whole picture, alone, for its first second; the text comes after.
    first_alone = min(FIRST_FRAME_SECONDS, s / 3) if any(r == "first" for r, _ in images) else 0
    references = 0
    for index, (role, _) in enumerate(images, start=2):
        if role == "first":
            fit = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
            place = f"x=0:y=0:enable='lt(t,{first_alone:g})'"
        elif role == "reference":
            fit = f"scale={w // 5}:{h // 5}:force_original_aspect_ratio=decrease"
            place = f"x=W-w-16:y=16+{references}*(H/5+8)"
            references += 1
        else:
            fit = f"scale={w}:{h}:force_original_aspect_ratio=decrease"
            place = f"x=(W-w)/2:y=(H-h)/2:enable='gte(t,{s - hold:g})'"
        graph.append(f"[{index}:v]{fit}[img{index}]")
        graph.append(f"{video}[img{index}]overlay={place}[v{index}]")
        video = f"[v{index}]"
    size = max(20, min(w, h) // 20)
    after_first = f":enable='gte(t,{first_alone:g})'" if first_alone else ""
    text_filters = []
    if font is not None and text_file is not None and source is not None:
        common = f"fontfile={font}:fontcolor=white:expansion=none"
        # Bands over the parent's own edit words and caption (an edit of an edit), so each
        # version reads as its own step; the parent's picture and prompt show around them.
        band = size * 2 + size // 2
        text_filters.append(
            f"drawbox=x=0:y=ih*2/3-{size // 2}:w=iw:h={band}:color=0x202060@0.92:t=fill"
        )
        if caption_file is not None:
            text_filters.append(
                f"drawbox=x=0:y={20 + size}:w=iw:h={size * 2 // 3 + 8}:color=black@0.92:t=fill"
            )
        text_filters.append(
            f"drawtext={common}:textfile={text_file}:fontsize={size}:line_spacing={size // 3}"
            f":x=(w-text_w)/2:y=h*2/3"
        )
        if caption_file is not None:
            text_filters.append(
                f"drawtext={common}:textfile={caption_file}:fontsize={size * 2 // 3}"
                f":x=24:y=24+{size}"
            )
    elif font is not None and text_file is not None:
        common = f"fontfile={font}:fontcolor=white:expansion=none{after_first}"
        text_filters.append(
            f"drawtext={common}:textfile={text_file}:fontsize={size}:line_spacing={size // 3}"
            f":box=1:boxcolor=black@0.35:boxborderw={size // 2}"
            f":x=(w-text_w)/2:y=(h-text_h)/2+{size // 2}*sin(2*PI*t/{s:g})"
        )
        if caption_file is not None:
            text_filters.append(
                f"drawtext={common}:textfile={caption_file}:fontsize={size * 2 // 3}:x=24:y=24"
            )
        # A clock and a dot crossing the frame: the clip visibly moves and shows its length.
        text_filters.append(
            f"drawtext=fontfile={font}:fontcolor=white@0.8:fontsize={size * 2 // 3}{after_first}"
            r":text='%{pts\:hms}':x=w-text_w-24:y=h-text_h-24"
        )
        text_filters.append(
            f"drawtext=fontfile={font}:fontcolor=white:fontsize={size}:text='●'{after_first}"
            f":x=(w-text_w)*t/{s:g}:y=h-{size * 3}"
        )
    graph.append(f"{video}{','.join([*text_filters, 'format=yuv420p'])}[vout]")
    graph.append("[1:a]volume=0.2[aout]")
    args += ["-filter_complex", ";".join(graph), "-map", "[vout]", "-map", "[aout]"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-r", str(FPS)]
    args += ["-c:a", "aac", "-b:a", "64k"]
    args += ["-t", f"{s:g}", "-movflags", "+faststart", "-f", "mp4", str(out)]
    return args


def _fit(w: int, h: int) -> str:
    """Scale a clip into ``w``x``h``, padded, square pixels."""
    return (
        f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
        f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1"
    )


def concat_args(first: Path, second: Path, out: Path, w: int, h: int) -> list[str]:
    """``first`` then ``second`` as one clip (an extension: the parent, then what follows)."""
    graph = (
        f"[0:v]{_fit(w, h)},fps={FPS},format=yuv420p[v0];"
        f"[1:v]{_fit(w, h)},fps={FPS},format=yuv420p[v1];"
        "[0:a]aresample=44100,aformat=channel_layouts=mono[a0];"
        "[1:a]aresample=44100,aformat=channel_layouts=mono[a1];"
        "[v0][a0][v1][a1]concat=n=2:v=1:a=1[vout][aout]"
    )
    return [
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
        *("-i", str(first), "-i", str(second), "-filter_complex", graph),
        *("-map", "[vout]", "-map", "[aout]", "-c:v", "libx264", "-preset", "ultrafast"),
        *("-pix_fmt", "yuv420p", "-r", str(FPS), "-c:a", "aac", "-b:a", "64k"),
        *("-movflags", "+faststart", "-f", "mp4", str(out)),
    ]


def last_frame_args(source: Path, out: Path) -> list[str]:
    """The last frame of ``source`` as a PNG (where an extension starts)."""
    return [
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-sseof", "-0.5"),
        *("-i", str(source), "-update", "1", "-frames:v", "1", str(out)),
    ]


def _normalise_image(data: bytes, stem: Path) -> Path | None:
    """The image re-encoded as one PNG frame, or ``None`` if ffmpeg cannot decode it.

    A looped input that fails to decode makes ffmpeg spin forever instead of failing, so every
    image is proven decodable here, in a short single-frame run, before the real render.
    """
    kind = sniff_image(data)
    if kind is None:
        return None
    source = stem.with_suffix(f".{kind[1]}")
    source.write_bytes(data)
    out = stem.with_name(f"{stem.name}-frame.png")
    try:
        result = subprocess.run(
            [
                _ffmpeg_exe(),
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-y",
                "-i",
                str(source),
                "-frames:v",
                "1",
                "-vf",
                "scale='min(1920,iw)':-2",
                str(out),
            ],
            capture_output=True,
            timeout=20,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    return out if result.returncode == 0 and out.is_file() and out.stat().st_size > 0 else None


class Renderer:
    """Renders ``RenderSpec``s into a cache directory; safe to share between threads."""

    def __init__(self, cache_dir: Path | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}
        self._warned_font = False
        self._warned_cjk = False

    def path_for(self, spec: RenderSpec) -> Path:
        return self.cache_dir / f"{spec.key()}.mp4"

    def render(self, spec: RenderSpec) -> Path:
        """The clip for ``spec``, rendered now or taken from the cache."""
        target = self.path_for(spec)
        key = spec.key()
        while True:
            if target.is_file():
                return target
            with self._lock:
                waiting = self._inflight.get(key)
                if waiting is None:
                    self._inflight[key] = threading.Event()
            if waiting is None:
                break
            waiting.wait()  # another thread renders the same clip; then take it from the cache
        try:
            self._render_to(spec, target)
        finally:
            with self._lock:
                self._inflight.pop(key).set()
        return target

    def _render_to(self, spec: RenderSpec, target: Path) -> None:
        if spec.step == "extend" and spec.source:
            self._extend_to(spec, target)
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        work = (
            self.cache_dir
            if _FILTER_SAFE.fullmatch(str(self.cache_dir))
            else Path(tempfile.gettempdir())
        )
        cjk = bool(_CJK.search(spec.text))
        font = find_font(cjk=cjk)
        if cjk and font is not None and font.name in FONT_NAMES and not self._warned_cjk:
            log.warning("no CJK font installed: Chinese prompts are drawn as empty boxes")
            self._warned_cjk = True
        if font is not None and not _FILTER_SAFE.fullmatch(str(font)):
            font = None
        if font is None and not self._warned_font:
            log.warning("no usable TrueType font found: simulated clips are rendered without text")
            self._warned_font = True
        size = max(20, min(spec.width, spec.height) // 20)
        with tempfile.TemporaryDirectory(dir=work, prefix="render-") as tmp:
            tmp_dir = Path(tmp)
            text_file = tmp_dir / "text.txt"
            text_file.write_text(_wrap(spec.text, spec.width, spec.height, size), encoding="utf-8")
            caption_file = tmp_dir / "caption.txt" if spec.caption else None
            if caption_file is not None:
                caption_file.write_text(spec.caption, encoding="utf-8")
            images = []
            for number, (role, data) in enumerate(spec.images):
                path = _normalise_image(data, tmp_dir / f"image{number}")
                if path is None:
                    log.warning("skipping a %s image ffmpeg cannot decode", role)
                    continue
                images.append((role, path))
            out = tmp_dir / "clip.mp4"
            source = None
            if spec.step == "edit" and spec.source:
                source = tmp_dir / "parent.mp4"
                source.write_bytes(spec.source)
            attempts = [(font, images)]
            if images:  # an undecodable image must not cost the whole clip
                attempts.append((font, []))
            if font is not None:  # nor a font ffmpeg rejects
                attempts.append((None, []))
            error = ""
            for attempt_font, attempt_images in attempts:
                args = ffmpeg_args(
                    spec,
                    out,
                    font=attempt_font,
                    text_file=text_file,
                    caption_file=caption_file,
                    images=attempt_images,
                    source=source,
                )
                result = subprocess.run(
                    [_ffmpeg_exe(), *args], capture_output=True, text=True, timeout=120, check=False
                )
                if result.returncode == 0 and out.is_file() and out.stat().st_size > 0:
                    os.replace(out, target)  # atomic: other processes never see half a file
                    return
                error = result.stderr.strip()[-800:]
                log.warning("ffmpeg failed (%s); retrying with a simpler picture", error)
        raise RenderError(f"ffmpeg could not render the clip: {error}")

    def _extend_to(self, spec: RenderSpec, target: Path) -> None:
        """The parent, then ``spec.seconds`` more starting from its last frame, as one clip."""
        with tempfile.TemporaryDirectory(prefix="extend-") as tmp:
            tmp_dir = Path(tmp)
            parent = tmp_dir / "parent.mp4"
            parent.write_bytes(spec.source)
            last = tmp_dir / "last.png"
            self._ffmpeg(last_frame_args(parent, last))
            frame = last.read_bytes() if last.is_file() else b""
            images = (("first", frame),) if frame else ()
            rest = dataclasses.replace(spec, step="", source=b"", images=images)
            continuation = self.render(rest)
            out = tmp_dir / "clip.mp4"
            self._ffmpeg(concat_args(parent, continuation, out, spec.width, spec.height))
            os.replace(out, target)

    def _ffmpeg(self, args: list[str]) -> None:
        result = subprocess.run(
            [_ffmpeg_exe(), *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RenderError(f"ffmpeg failed: {result.stderr.strip()[-800:]}")


_renderers: dict[Path, Renderer] = {}
_renderers_lock = threading.Lock()


def renderer_for(cache_dir: Path | None) -> Renderer:
    """One ``Renderer`` per cache directory per process, so concurrent servers share dedup."""
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    with _renderers_lock:
        if path not in _renderers:
            _renderers[path] = Renderer(path)
        return _renderers[path]
