"""Fan-out writes to an idle stream at once (issue 16 item 6): no coroutine wake-up per delivery.

A stream that waits for news has its frames written by the hub directly (``Connection.direct``,
uvicorn's h11 cycle), not queued and handed to its coroutine. What must not change is checked
here and in ``test_stream.py``: the same frames in the same order, each once, the cursor kept,
and a client that does not read still queued, bounded and dropped.
"""

from __future__ import annotations

import pytest

from monitor.server.app import MonitorApp, create_app
from monitor.server.config import ServerConfig
from monitor.server.hub import Connection
from monitor.server.runner import ServerThread
from tests.server.sse_helpers import RawSSE
from tests.server.test_app import QUIET, next_of
from tests.waiting import until


def _parked(server: ServerThread, app: MonitorApp) -> bool:
    def look() -> bool:
        conns = app.hub.connections()
        return len(conns) == 1 and conns[0].waiter is not None and conns[0].direct is not None

    return server.call(look)


@pytest.mark.asyncio
async def test_an_idle_stream_is_written_at_once_in_order_and_once() -> None:
    app = create_app(ServerConfig(db=":memory:", **QUIET))
    with ServerThread(app) as server:
        async with RawSSE(server.url, headers={"X-Client-Id": "a"}) as sse:
            await until(lambda: _parked(server, app), timeout=10, what="the stream waits for news")

            def burst() -> tuple[list[str], Connection]:
                ids = [app.hub.publish_nowait("news", f'{{"n":{n}}}').id for n in range(100)]
                return ids, app.hub.connections()[0]

            ids, conn = server.call(burst)
            # Written in the publishing call itself: nothing was left for the coroutine.
            assert len(conn.queue) == 0  # before: 100 frames queued, then a wake-up
            assert conn.cursor == ids[-1]
            assert conn.last_seq == int(ids[-1].rpartition("-")[2])
            seen = [(await next_of(sse, "news")).id for _ in ids]
            assert seen == ids
            # A frame the stream already wrote (a replayed seq) is not written twice.
            server.call(app.hub._push, conn, conn.last_seq, b"event: news\ndata: {}\n\n", ids[-1])
            after = server.call(lambda: app.hub.publish_nowait("news", '{"n":"last"}').id)
            assert (await next_of(sse, "news")).id == after
