"""After the browser tests, the main thread must have no running event loop (Playwright's)."""

import asyncio


def test_no_event_loop_is_left_running():
    async def ping() -> str:
        return "pong"

    assert asyncio.run(ping()) == "pong"
