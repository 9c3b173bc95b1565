"""Scale-out tests: Redis engine specifics, replicas behind a load balancer (see tests/redis_server.py)."""

from __future__ import annotations

from tests.redis_server import redis_server, redis_url

__all__ = ["redis_server", "redis_url"]
