"""Files that appear whole or not at all: written beside their place, then renamed onto it.

A reader (another cell, another process, a crash) never sees half a clip, sidecar, page or
still: ``os.replace`` is atomic on one file system, and the temporary name is unique to the
process and the write, so two writers never share one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_whole"]


@contextmanager
def replacing(dest: Path) -> Iterator[Path]:
    """A temporary path beside ``dest`` to write to; moved onto ``dest`` when the block ends
    without error, removed when it fails. It keeps ``dest``'s suffix (ffmpeg picks its format
    by the name)."""
    part = dest.with_name(f"{dest.stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part{dest.suffix}")
    try:
        yield part
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)


def write_whole(dest: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``dest`` whole or not at all."""
    with replacing(dest) as part:
        if isinstance(data, str):
            part.write_text(data, encoding="utf-8")
        else:
            part.write_bytes(data)
