"""Reading the markdown a chat-completions video relay writes (PROTOCOLS.md §1.1).

The relay reports everything as prose in ``delta.content`` / ``message.content``: a queue line,
``> 🏃 进度:45.9%`` progress lines, ``[点击这里](URL)`` result links (``第N个视频`` when there are
several), and in the non-stream reply a ``任务ID: `…` `` line and
``[▶️ 在线观看](…) | [⏬ 下载视频](…)``.
ASCII and full-width punctuation are both accepted. Pure: no I/O.

    >>> t = Transcript()
    >>> t.feed("> 🏃 进度:9.0%\\n\\n")
    [Note(text='🏃 进度:9.0%', percent=9.0, phase='running', task_id=None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..._events import Phase

__all__ = [
    "Note",
    "Transcript",
    "clip_key",
    "fallback_links",
    "find_task_id",
    "plain",
    "progress_of",
    "read_line",
    "result_links",
]

PROGRESS = re.compile(r"(?:进度|progress)\s*[:：]\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
# Any markdown link; it is a result when its label says so (the label may span a line break).
LINK = re.compile(r"\[([^\]]*)\]\((https?://[^)\s]+)\)")
RESULT_LABELS = ("点击这里", "在线观看")
# Fallback when no labelled link is found: any URL ending in .mp4 (a signed URL keeps its query).
MP4 = re.compile(r"""https?://[^\s()\[\]<>"'`]+?\.mp4\b(?:\?[^\s()\[\]<>"'`]*)?""", re.IGNORECASE)
_ID = r"([A-Za-z0-9][A-Za-z0-9_.:\-]*)"
TASK_ID = re.compile(r"(?:任务\s*ID|task[ _-]?id)\s*[:：]\s*`?" + _ID, re.IGNORECASE)
# asyncdata.net tracking links carry the task id too (seed 000): a fallback when no 任务ID line.
TRACKING = re.compile(r"asyncdata\.net/(?:web|source)/" + _ID)
QUEUED_WORDS = re.compile(r"队列|排队|等待处理|已创建|\bqueued?\b|waiting", re.IGNORECASE)
RUNNING_WORDS = re.compile(r"生成中|开始生成|\bgenerating\b|\bprocessing\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Note:
    """A line worth reporting: progress, a queue or status line, or one naming the task id."""

    text: str  # the line as plain text
    percent: float | None = None
    phase: Phase | None = None  # None: the line says nothing about the phase
    task_id: str | None = None


def plain(line: str) -> str:
    """A markdown line as plain text: no quote marker or backticks, links reduced to labels."""
    text = re.sub(r"^\s*(?:>\s*)+", "", line)
    text = LINK.sub(lambda m: " ".join(m.group(1).split()), text)
    return text.replace("`", "").strip()


def progress_of(text: str) -> float | None:
    """The percentage of a ``进度:45.9%`` / ``进度：45.9%`` line, else None."""
    match = PROGRESS.search(text)
    return float(match.group(1)) if match else None


def find_task_id(text: str) -> str | None:
    """The task id a relay wrote (``任务ID: `veo3-pro:…` ``), else the one in a tracking link."""
    match = TASK_ID.search(text) or TRACKING.search(text)
    return match.group(1) if match else None


def read_line(line: str) -> Note | None:
    """A ``Note`` for a progress, queue/status or task-id line; None for anything else."""
    percent = progress_of(line)
    task_id = find_task_id(line)
    if percent is not None or RUNNING_WORDS.search(line):
        phase: Phase | None = "running"
    elif QUEUED_WORDS.search(line):
        phase = "queued"
    else:
        phase = None
    if percent is None and phase is None and task_id is None:
        return None
    return Note(plain(line), percent, phase, task_id)


def result_links(text: str) -> list[str]:
    """URLs of labelled result links (``[点击这里](…)``, ``[▶️ 在线观看](…)``), in order."""
    return [m.group(2) for m in LINK.finditer(text) if any(w in m.group(1) for w in RESULT_LABELS)]


def fallback_links(text: str) -> list[str]:
    """Every ``https://….mp4`` URL in the text, in order."""
    return MP4.findall(text)


def clip_key(url: str) -> str:
    """What identifies a clip: host and path without a ``download`` segment.

    ``…/cdn/20250822/f.mp4`` and ``…/cdn/download/20250822/f.mp4`` are the same clip.
    """
    parts = urlsplit(url)
    path = "/".join(s for s in parts.path.split("/") if s.lower() != "download")
    return f"{parts.netloc.lower()}{path}"


class Transcript:
    """One choice's markdown, read as it streams in.

    ``feed`` returns what the newly completed lines say: ``Note``s and new result URLs (``str``),
    each clip once. ``close`` reads the last, unterminated line and, when no labelled link was
    ever seen, falls back to bare ``.mp4`` URLs. Fenced code blocks (the relay's echo of the
    request, which holds the user's prompt) are never read for progress or links. ``text``
    keeps everything, for error messages.
    """

    def __init__(self) -> None:
        self.text = ""
        self.urls: list[str] = []
        self._clips: set[str] = set()
        self._prose = ""  # completed lines outside code fences
        self._in_fence = False
        self._read_to = 0

    def feed(self, text: str) -> list[Note | str]:
        """Add streamed text; report what its completed lines say."""
        self.text += text
        return self._read(self.text.rfind("\n") + 1)

    def close(self) -> list[Note | str]:
        """The stream ended: report the last line and any fallback links."""
        found = self._read(len(self.text))
        if not self.urls:
            found += self._new_urls(fallback_links(self._prose))
        return found

    def _read(self, end: int) -> list[Note | str]:
        if end <= self._read_to:
            return []
        found: list[Note | str] = []
        for line in self.text[self._read_to : end].splitlines():
            if line.lstrip().startswith("```"):
                self._in_fence = not self._in_fence
                continue
            if self._in_fence:
                continue
            self._prose += line + "\n"
            if (note := read_line(line)) is not None:
                found.append(note)
        self._read_to = end
        # Links are searched in all prose read so far: a label may span a line break (seed 000).
        return found + self._new_urls(result_links(self._prose))

    def _new_urls(self, urls: list[str]) -> list[str]:
        new = []
        for url in urls:
            key = clip_key(url)
            if key not in self._clips:
                self._clips.add(key)
                self.urls.append(url)
                new.append(url)
        return new
