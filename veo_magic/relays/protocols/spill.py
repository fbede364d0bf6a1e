"""Reading an answer that carries a whole clip as base64, without holding it in memory.

Google's Interactions API puts the clip inside its JSON (``"data": "<base64 mp4>"``), in the
answer to a poll or in one ``step.delta`` event of its stream: tens of megabytes on one line.
Parsed the usual way, that is the JSON text, the decoded string and the bytes in memory at once.
``Spill`` sits between the socket and the parser instead: every ``"data": "…"`` string value is
decoded to a file as its bytes arrive and replaced in the text by a token naming that file
(``"@spill:0"``), so what reaches ``json.loads`` is a few hundred bytes whatever the clip's size.

``EventLines`` splits an SSE stream (already through ``Spill``) into events: ``data:`` lines
joined, ``id:`` kept (``event:`` and ``retry:`` are read and ignored: the JSON names its own
``event_type``), ``data: [DONE]`` dropped.

    >>> spill = Spill(Path(tempfile.mkdtemp()))
    >>> spill.feed(b'{"type": "video", "data": "AAAAIGZ0eXBpc29t"}') + spill.close()
    b'{"type": "video", "data": "@spill:0"}'
    >>> spill.files[0].read_bytes()[4:8]
    b'ftyp'
"""

from __future__ import annotations

import base64
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

__all__ = ["SPILL_PREFIX", "EventLines", "Spill", "SseEvent", "spilled_path"]

SPILL_PREFIX = "@spill:"
# The start of a "data" string value, its opening quote not escaped (a prompt's \"data\": is).
_DATA_KEY = re.compile(rb'(?<!\\)"data"\s*:\s*"')
_KEY_TAIL = 24  # bytes kept back in case the key is cut between two chunks
_B64_STEP = 64 * 1024  # base64 characters decoded at a time (a multiple of 4)


class Spill:
    """Strip every ``"data"`` string out of a byte stream into files, as it arrives."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.files: list[Path] = []
        self._held = b""  # text not yet passed on: it may end in half a "data" key
        self._out: BinaryIO | None = None  # the file of the string being spilled, if any
        self._b64 = bytearray()  # base64 characters not yet decoded (fewer than a step)
        self._escape = False  # the last byte of the string so far was a backslash

    def feed(self, chunk: bytes) -> bytes:
        """The text of ``chunk`` with its ``"data"`` strings spilled; may hold a few bytes back."""
        out = bytearray()
        data = self._held + chunk
        self._held = b""
        while data:
            if self._out is not None:
                data = self._string(data, out)
                continue
            match = _DATA_KEY.search(data)
            if match is None:
                keep = max(0, len(data) - _KEY_TAIL)
                out += data[:keep]
                self._held = data[keep:]
                break
            out += data[: match.end()]
            out += f"{SPILL_PREFIX}{len(self.files)}".encode()
            self._open()
            data = data[match.end() :]
        return bytes(out)

    def close(self) -> bytes:
        """The text held back at the end of the stream; files are complete after this."""
        held, self._held = self._held, b""
        if self._out is not None:  # the stream ended inside a string: keep what came
            self._finish()
        return held

    def discard(self) -> None:
        """Delete every file this spill wrote (an answer that was not used)."""
        self.close()
        for path in self.files:
            path.unlink(missing_ok=True)

    def _open(self) -> None:
        folder = self.folder or Path(tempfile.gettempdir())
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in _finish
            "wb", prefix="veo_magic-", suffix=".part", dir=folder, delete=False
        )
        self.files.append(Path(handle.name))
        self._out = handle

    def _string(self, data: bytes, out: bytearray) -> bytes:
        """Spill ``data`` up to the string's closing quote; return what follows it."""
        # Searched, not walked byte by byte: a clip is tens of megabytes. Base64 holds no quote
        # and no backslash; JSON may write "/" as "\/", so a quote right after a lone
        # backslash (here or at the end of the last piece) is escaped, any other ends it.
        end = None
        at = 0
        while (quote := data.find(b'"', at)) >= 0:
            before = data[max(0, quote - 2) : quote]
            escaped = (quote == 0 and self._escape) or (
                before.endswith(b"\\") and not before.endswith(b"\\\\")
            )
            if not escaped:
                end = quote
                break
            at = quote + 1
        self._escape = end is None and data.endswith(b"\\") and not data.endswith(b"\\\\")
        body = data if end is None else data[:end]
        self._b64 += body.replace(b"\\/", b"/").translate(None, b"\\\r\n \t")
        self._drain(final=False)
        if end is None:
            return b""
        self._finish()
        out += b'"'
        return data[end + 1 :]

    def _drain(self, *, final: bool) -> None:
        assert self._out is not None
        usable = len(self._b64) if final else len(self._b64) - len(self._b64) % 4
        if usable >= _B64_STEP or (final and usable):
            piece = bytes(self._b64[:usable])
            del self._b64[:usable]
            piece += b"=" * (-len(piece) % 4) if final else b""
            self._out.write(base64.b64decode(piece))

    def _finish(self) -> None:
        self._drain(final=True)
        assert self._out is not None
        self._out.close()
        self._out = None
        self._b64.clear()
        self._escape = False


def spilled_path(value: object, spill: Spill) -> Path | None:
    """The file a ``"@spill:N"`` token in parsed JSON stands for, else None."""
    if isinstance(value, str) and value.startswith(SPILL_PREFIX):
        index = value[len(SPILL_PREFIX) :]
        if index.isdigit() and int(index) < len(spill.files):
            return spill.files[int(index)]
    return None


@dataclass
class SseEvent:
    """One server-sent event: its ``data`` lines joined, and its ``id`` if it had one."""

    data: str
    id: str | None = None


@dataclass
class EventLines:
    """Split SSE text into events as it arrives (``feed`` any piece; ``close`` at the end)."""

    _line: bytearray = field(default_factory=bytearray)
    _data: list[str] = field(default_factory=list)
    _id: str | None = None

    def feed(self, text: bytes) -> list[SseEvent]:
        events: list[SseEvent] = []
        while text:
            newline = text.find(b"\n")
            if newline < 0:
                self._line += text
                break
            self._line += text[:newline]
            text = text[newline + 1 :]
            line = self._line.decode("utf-8").rstrip("\r")
            self._line.clear()
            if (event := self._read(line)) is not None:
                events.append(event)
        return events

    def close(self) -> list[SseEvent]:
        events = self.feed(b"\n") if self._line else []
        if (event := self._read("")) is not None:
            events.append(event)
        return events

    def _read(self, line: str) -> SseEvent | None:
        if not line:  # a blank line ends the event
            data, self._data = self._data, []
            event_id, self._id = self._id, None
            text = "\n".join(data)
            return SseEvent(text, event_id) if data and text.strip() != "[DONE]" else None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None
