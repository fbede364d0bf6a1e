"""Listeners: callbacks that any thread may add or remove, each called in turn with a value.

One that raises is logged and the rest still run: a broken view must never break what it views
(a job, a storyboard).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Listeners"]

log = logging.getLogger("veo_magic")

T = TypeVar("T")


class Listeners(Generic[T]):
    """The listeners of ``owner`` (named in the log when one fails)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._listeners: list[Callable[[T], None]] = []
        self._lock = threading.Lock()

    def add(self, listener: Callable[[T], None]) -> Callable[[], None]:
        """Call ``listener(value)`` for every later value; returns a function that removes it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def __call__(self, value: T) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(value)
            except Exception:
                log.exception("%s: listener %r failed", self.owner, listener)
