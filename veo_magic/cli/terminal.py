"""A progress bar for terminals: a job listener that redraws one line on stderr."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .._events import Completed, Downloaded, Event, Failed, Progress, Retrying, Submitted
from ..jobs import Job

__all__ = ["TerminalBar"]


class TerminalBar:
    """Draws ``[#####.....]  45.0%  running  0:42  simulated`` at most ten times a second."""

    width = 30

    def __init__(self, job: Job, stream: TextIO | None = None) -> None:
        self.job = job
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._last_line = ""

    def __call__(self, event: Event) -> None:
        job = self.job
        if isinstance(event, Submitted):
            self._print(f"submitted: task {job.task_id or '(streamed, no task id)'}")
        elif isinstance(event, Downloaded):
            self._print(f"saved {event.path} ({event.size / 1e6:.1f} MB)")
        elif isinstance(event, Failed):
            self._print(f"failed: {event.message}")
        elif isinstance(event, Retrying):
            if event.message:  # its own line, then the bar again below it
                self._print(event.message)
                self._draw(final=False)
        elif isinstance(event, Progress | Completed):
            now = time.monotonic()
            if isinstance(event, Progress) and now - self._last < 0.1:
                return
            self._last = now
            self._draw(final=isinstance(event, Completed))

    def _draw(self, *, final: bool) -> None:
        job = self.job
        filled = int(self.width * job.progress / 100)
        minutes, seconds = divmod(int(job.elapsed), 60)
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {job.progress:5.1f}%  "
            f"{job.status:<9} {minutes}:{seconds:02d}{'  simulated' if job.simulated else ''}"
        )
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
            self.stream.flush()
        elif final or line[: self.width + 2] != self._last_line[: self.width + 2]:
            self.stream.write(line + "\n")  # not a terminal (a log, CI): a line when the bar grows
        self._last_line = line

    def _print(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + " " * (len(self._last_line)) + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()
