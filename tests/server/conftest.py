"""Fixtures shared by the server tests: one log factory parametrised over every engine.

A behaviour test that takes ``make_log`` runs against the memory log, the SQLite file and Redis
(a real ``redis-server``, skipped with the reason when it is not installed), so the engines are
held to one suite, not three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.server.engine import LogEngine
from monitor.server.log import MemoryLog
from monitor.server.sqlite_log import SqliteLog
from tests.redis_server import fresh_prefix, redis_server, redis_url

__all__ = ["ENGINES", "LogFactory", "engine_settings", "make_log", "redis_server", "redis_url"]

#: Every log engine, in the order the tests run them.
ENGINES = ["memory", "sqlite", "redis"]

LogFactory = Callable[..., LogEngine]


@pytest.fixture(params=ENGINES)
def make_log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LogFactory]:
    """``make_log(**kw)``: a fresh log of the parametrised engine (closed after the test)."""
    made: list[LogEngine] = []
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""

    def factory(**kw: object) -> LogEngine:
        log: LogEngine
        if request.param == "memory":
            log = MemoryLog(**kw)  # type: ignore[arg-type]
        elif request.param == "sqlite":
            log = SqliteLog(tmp_path / f"log{len(made)}.sqlite3", **kw)  # type: ignore[arg-type]
        else:
            from monitor.server.redis_log import RedisLog

            log = RedisLog(url, prefix=fresh_prefix(), **kw)  # type: ignore[arg-type]
        made.append(log)
        return log

    yield factory
    for log in made:
        log.close()


@pytest.fixture(params=ENGINES)
def engine_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """``ServerConfig`` fields that put a whole server on the parametrised engine."""
    if request.param == "memory":
        return {"db": ":memory:"}
    if request.param == "sqlite":
        return {"db": str(tmp_path / "server.sqlite3")}
    return {"store": request.getfixturevalue("redis_url"), "store_prefix": fresh_prefix()}
