"""Run an ASGI app under uvicorn in a background thread on loopback.

Used by the tests (a real server, not ``httpx.ASGITransport``, because endless streams hang there),
by the desktop app's ``--demo`` mode and by the frozen app's self-test::

    with ServerThread(create_app(ServerConfig())) as server:
        httpx.get(server.url + "/healthz")

The thread owns its own event loop. :meth:`ServerThread.stop` asks open SSE streams to end first
(the app's ``begin_shutdown`` hook, if it has one) because uvicorn otherwise waits for every open
stream before it runs the lifespan shutdown.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Generator
from types import FrameType, TracebackType
from typing import Any, TypeVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "AcceptErrorLimiter",
    "MonitorServer",
    "ServerThread",
    "TokenScrubFilter",
    "exit_hook",
    "header_deadline_protocol",
    "uvicorn_config",
]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")


def exit_hook(app: Any) -> Callable[[], None] | None:
    """Return the app's "server is exiting" callback (``app.begin_shutdown``), if it has one."""
    hook = getattr(app, "begin_shutdown", None)
    return hook if callable(hook) else None


class TokenScrubFilter(logging.Filter):
    """Remove ``access_token=...`` values from uvicorn access-log lines (tokens never hit logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments in place; never drops a record."""
        from monitor.server.auth import scrub_query

        if isinstance(record.args, tuple):
            record.args = tuple(scrub_query(a) if isinstance(a, str) else a for a in record.args)
        return True


def header_deadline_protocol(timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request headers are not in within
    ``timeout_s``.

    uvicorn has no such deadline: a client that connects and sends nothing, or trickles a header
    line now and then (slowloris), holds a socket and its fd forever, and enough of them starve
    the server. The clock starts when the connection opens or, on a kept-alive connection, with
    the first byte of the next request; it stops once a request's headers are complete (a body
    has its own limit, ``body_timeout_s``, and streams are not affected).
    """

    class HeaderDeadlineProtocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._awaiting_headers():
                if self._deadline is None:
                    self._arm()
            elif self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def connection_lost(self, exc: Exception | None) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            super().connection_lost(exc)

        def _awaiting_headers(self) -> bool:
            return self.cycle is None or self.cycle.response_complete

        def _arm(self) -> None:
            self._deadline = self.loop.call_later(timeout_s, self._expire)

        def _expire(self) -> None:
            self._deadline = None
            if self._awaiting_headers() and not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol


def uvicorn_config(
    app: Any,
    *,
    log_level: str,
    drain_timeout_s: float,
    header_timeout_s: float,
    keepalive_timeout_s: float,
    **extra: Any,
) -> uvicorn.Config:
    """The uvicorn settings both ``monitor serve`` and :class:`ServerThread` run with.

    Bounded connections: headers within ``header_timeout_s`` (:func:`header_deadline_protocol`),
    idle keep-alive connections closed after ``keepalive_timeout_s``, and at most 64 KiB of
    incomplete headers buffered (h11's default is 16 KiB; both answer 400 beyond).
    """
    return uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        http=header_deadline_protocol(header_timeout_s),
        timeout_keep_alive=max(1, round(keepalive_timeout_s)),
        h11_max_incomplete_event_size=64 * 1024,
        timeout_graceful_shutdown=max(1, round(drain_timeout_s)),
        **extra,
    )


class AcceptErrorLimiter:
    """A loop exception handler that turns asyncio's accept failures into one line per interval.

    At the fd limit asyncio reports every failed ``accept()`` with a traceback (measured: 73 MB
    of log in 10 s); the server itself keeps running and accepts again once fds are free. Other
    errors go to the previous handler unchanged.
    """

    def __init__(
        self,
        previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None,
        *,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wrap ``previous`` (None: the loop's default handler)."""
        self.previous = previous
        self.interval_s = interval_s
        self.clock = clock
        self.suppressed = 0
        self._last: float | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Handle one exception context."""
        if not str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            if self.previous is not None:
                self.previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        now = self.clock()
        if self._last is not None and now - self._last < self.interval_s:
            self.suppressed += 1
            return
        _log.error(
            "cannot accept connections: %s (%d more in the last %.0f s; raise `ulimit -n` or lower "
            "max_connections)",
            context.get("exception"),
            self.suppressed,
            self.interval_s if self._last is not None else 0.0,
        )
        self._last = now
        self.suppressed = 0


class MonitorServer(uvicorn.Server):
    """A uvicorn server that tells the app about exit at once and reports when it is accepting.

    uvicorn waits for open connections before it runs the lifespan shutdown, so SSE streams would
    keep a SIGTERM'd server alive until the graceful timeout. Calling the app's hook from
    :meth:`handle_exit` lets every stream send its ``shutdown`` event and end promptly.
    """

    def __init__(self, config: uvicorn.Config, *, reraise_signals: bool = False) -> None:
        """Wrap ``config``; ``reraise_signals`` keeps uvicorn's re-raise of the caught signal."""
        super().__init__(config)
        self.accepting = threading.Event()
        self._reraise = reraise_signals
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then record the loop and signal that sockets accept."""
        self._loop = asyncio.get_running_loop()
        self._loop.set_exception_handler(AcceptErrorLimiter(self._loop.get_exception_handler()))
        await super().startup(sockets=sockets)
        if self.started:
            self.accepting.set()

    def request_exit(self) -> None:
        """Ask the server to stop (thread- and signal-safe)."""
        self.should_exit = True
        hook = exit_hook(self.config.loaded_app if self.config.loaded else self.config.app)
        hook = hook or exit_hook(self.config.app)
        loop = self._loop
        if hook is not None and loop is not None and not loop.is_closed():
            # Signal handlers and foreign threads must not touch the hub directly.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(hook)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """uvicorn's signal handler, plus the app's shutdown hook."""
        super().handle_exit(sig, frame)
        self.request_exit()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Install uvicorn's handlers; unless asked, do not re-raise the signal afterwards.

        uvicorn re-raises SIGTERM after a graceful exit, which would turn a clean drain into a
        "killed by signal" exit status.
        """
        if self._reraise:
            with super().capture_signals():
                yield
            return
        with super().capture_signals():
            yield
            self._captured_signals.clear()


class ServerThread:
    """uvicorn serving ``app`` on 127.0.0.1 in a daemon thread.

    Attributes:
        url: ``http://127.0.0.1:PORT`` (known once the socket is bound, i.e. after construction).
        port: The bound port.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        drain_timeout: float = 5.0,
        access_log: bool = False,
        header_timeout_s: float = 10.0,
        keepalive_timeout_s: float = 5.0,
    ) -> None:
        """Bind the listening socket now (port 0 picks a free port) so :attr:`url` is known.

        Args:
            app: Any ASGI app.
            host: Interface to bind; loopback by default.
            port: TCP port, 0 for a free one.
            log_level: uvicorn log level.
            drain_timeout: Seconds uvicorn waits for open connections on stop.
            access_log: Whether uvicorn logs every request.
            header_timeout_s: A connection's request headers must be in within this.
            keepalive_timeout_s: Idle keep-alive connections are closed after this.
        """
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto must be IPPROTO_TCP (not 0): accepted sockets inherit it, and asyncio only sets
        # TCP_NODELAY when it sees IPPROTO_TCP. Without it every keep-alive response after the
        # first waits ~40 ms for a delayed ACK (measured: 44 ms -> 0.3 ms per request).
        self._sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]
        self.host = host
        self.url = f"http://{host}:{self.port}"
        self.app = app
        config = uvicorn_config(
            app,
            log_level=log_level,
            access_log=access_log,
            drain_timeout_s=drain_timeout,
            header_timeout_s=header_timeout_s,
            keepalive_timeout_s=keepalive_timeout_s,
        )
        self.server = MonitorServer(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self._sock]))
        except BaseException as exc:  # noqa: BLE001 - reported to start()/stop() callers
            self._error = exc
        finally:
            # Unblock a start() that waits on a server which failed during startup.
            self.server.accepting.set()

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start serving; return once the socket accepts connections.

        Raises:
            RuntimeError: If started twice, or the server failed to start within ``timeout``.
        """
        if self._thread is not None:
            raise RuntimeError("ServerThread already started")
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        if not self.server.accepting.wait(timeout) or not self.server.started:
            self.stop()
            raise RuntimeError(f"server did not start within {timeout} s: {self._error!r}")
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully: streams get ``shutdown``, the lifespan shutdown runs; bounded in time.

        Raises:
            RuntimeError: If the thread is still alive after ``timeout`` seconds.
        """
        thread = self._thread
        if thread is None:
            self._sock.close()
            return
        self.server.request_exit()
        thread.join(timeout)
        if thread.is_alive():
            self.server.force_exit = True
            thread.join(2.0)
            raise RuntimeError("server thread did not stop in time")
        self._sock.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server thread's event loop (only while running)."""
        loop = self.server._loop
        if loop is None:
            raise RuntimeError("server is not running")
        return loop

    def submit(self, coro: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        """Run ``coro`` on the server's loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn: Callable[..., _T], *args: Any, timeout: float = 10.0) -> _T:
        """Call ``fn(*args)`` on the server's loop thread and return its result (blocking)."""

        async def run() -> _T:
            return fn(*args)

        return self.submit(run()).result(timeout)

    def __enter__(self) -> ServerThread:
        """Start and return self."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()
