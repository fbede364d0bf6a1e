"""One asyncio loop in a daemon thread, where every job's I/O runs.

Why a thread and not the caller's loop: a job must keep going whatever the caller does: a plain
script that blocks in ``job.wait()``, code inside ``asyncio.run``, or a Jupyter kernel whose own
loop is busy running the next cell. With the work on its own loop, ``wait()`` is a plain blocking
call in every one of those places (no nest-asyncio, which drops queued cells on ipykernel 7), and
``await job`` is a thread-safe future in the caller's loop.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["background_loop", "in_background_thread", "run_sync", "spawn", "wait_until"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """The shared loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=serve, name="veo_magic-loop", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
            atexit.register(_stop)
        return _loop


def _stop() -> None:
    loop = _loop
    if loop is not None and loop.is_running():
        loop.call_soon_threadsafe(loop.stop)


def in_background_thread() -> bool:
    """True when called from the loop's own thread (where blocking would deadlock)."""
    return _thread is not None and threading.current_thread() is _thread


def spawn(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Run ``coro`` on the background loop; the future is thread-safe."""
    return asyncio.run_coroutine_threadsafe(coro, background_loop())


def run_sync(coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
    """Run ``coro`` on the background loop and block for its result."""
    if in_background_thread():
        coro.close()
        raise RuntimeError("run_sync() called from the veo_magic loop itself would deadlock")
    return spawn(coro).result(timeout)


async def wait_until(
    done: threading.Event, subscribe: Callable[[Callable[[], None]], Callable[[], None]]
) -> None:
    """Await, in the caller's loop, until ``done`` is set (what ``await job`` and ``await board``
    are). ``subscribe(wake)`` asks for ``wake()`` (from any thread) whenever ``done`` may have
    been set, and returns how to stop. The waiter is a future of its own, so cancelling the
    awaiting task stops the waiting, never the work."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        loop.call_soon_threadsafe(lambda: waiter.done() or waiter.set_result(None))

    remove = subscribe(wake)
    try:
        if not done.is_set():
            await waiter
    finally:
        remove()
