"""Server settings: defaults < TOML config file < environment < command line.

Environment variables are ``MONITOR_SERVER_<FIELD>`` (upper case, e.g.
``MONITOR_SERVER_HEARTBEAT_INTERVAL_MS=10000``); lists are comma separated. ``MONITOR_TOKENS`` is
also read for :attr:`ServerConfig.tokens`. pydantic-settings is not a dependency, so this module
has a twenty-line reader instead.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ENV_PREFIX", "PrincipalEntry", "ServerConfig", "default_db_path", "load_config"]

ENV_PREFIX = "MONITOR_SERVER_"


def default_db_path() -> Path:
    """``<user data dir>/monitor/server.sqlite3`` (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir("monitor", appauthor=False)) / "server.sqlite3"


class PrincipalEntry(BaseModel):
    """One ``[[server.principals]]`` entry: a token and who holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$", description="Principal name")
    token: str = Field(min_length=1, description="Its bearer token")
    admin: bool = Field(default=False, description="May see every principal's connections")


class ServerConfig(BaseModel):
    """Every server setting. See ``docs/server.md`` for the table with env names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    db: str | None = Field(
        default=None, description="SQLite file; ':memory:' = in-memory log; None = default path"
    )
    store: str | None = Field(
        default=None,
        description="Shared store for several replicas: redis://host:port/db (None = the SQLite file)",
    )
    store_prefix: str = Field(
        default="{monitor}",
        min_length=1,
        max_length=64,
        description="Prefix of every Redis key (the braces keep them in one Redis Cluster slot)",
    )
    tokens: list[str] = Field(
        default_factory=list, description="Bearer tokens, each its own principal token-<n>; empty = auth off"
    )
    principals: list[PrincipalEntry] = Field(
        default_factory=list, description="Named principals: name, token, admin flag"
    )
    tokens_file: str | None = Field(
        default=None, description="File of 'NAME TOKEN [admin]' lines (more principals)"
    )
    allow_query_token: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    heartbeat_interval_ms: int = Field(default=30_000, ge=100)
    keepalive_interval_ms: int = Field(default=15_000, ge=100)
    retry_ms: int = Field(default=3_000, ge=0)
    max_connections: int = Field(default=10_000, ge=1)
    max_queue_events: int = Field(default=1_000, ge=1)
    max_queue_bytes: int = Field(default=1 << 20, ge=1024)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    body_timeout_s: float = Field(
        default=30.0, gt=0, description="Time allowed to receive a request body; slower clients get 408"
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, description="Time allowed for a request's headers; slower connections are closed"
    )
    http_keepalive_timeout_s: float = Field(
        default=5.0, gt=0, description="Idle HTTP keep-alive connections close after this"
    )
    replay_page: int = Field(default=500, ge=1)
    tcp_user_timeout_ms: int = Field(default=45_000, ge=0)
    log_max_events: int = Field(default=100_000, ge=1)
    log_max_age_s: float | None = Field(default=7 * 24 * 3600.0, gt=0)
    quarantine_bad_wal: bool = Field(
        default=False,
        description="Move a database's unreadable WAL file aside (logged) instead of refusing to start",
    )
    drain_timeout_s: float = Field(default=5.0, gt=0)
    idempotency_ttl_s: float = Field(default=300.0, gt=0)
    idempotency_max_entries: int = Field(default=10_000, ge=1)
    command_max_concurrent: int = Field(default=5, ge=1)
    command_timeout_ms: int = Field(default=60_000, ge=1)
    command_max_retries: int = Field(default=3, ge=0)
    command_enable_priority: bool = True
    command_lease_ms: int = Field(
        default=10_000,
        ge=100,
        description="Replicas on Redis: a command whose replica stops renewing it is taken over after this",
    )
    demo: bool = False
    demo_speed: float = Field(default=1.0, gt=0)
    demo_concurrency: int = Field(default=3, ge=1)
    log_level: str = "info"

    @field_validator("store")
    @classmethod
    def _redis_url(cls, store: str | None) -> str | None:
        if store is not None and not store.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                f"{store!r} is not a Redis URL: use redis://host:port/db (or rediss://, unix://)"
            )
        return store

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins(cls, origins: list[str]) -> list[str]:
        # A wildcard lets every web page read the stream of anyone who has a token in a browser
        # (Mercure and Centrifugo refuse it too): only exact origins.
        for origin in origins:
            if "*" in origin:
                raise ValueError(
                    f"{origin!r} is not allowed: list exact origins"
                    " such as https://app.example.com, never '*'"
                )
        return origins


_LISTS = {"tokens", "cors_origins"}


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if env.get("MONITOR_TOKENS"):
        out["tokens"] = env["MONITOR_TOKENS"]
    for name in ServerConfig.model_fields:
        raw = env.get(ENV_PREFIX + name.upper())
        if raw is not None:
            out[name] = raw
    for name in _LISTS & out.keys():
        if isinstance(out[name], str):
            out[name] = [p.strip() for p in out[name].split(",") if p.strip()]
    if out.get("log_max_age_s") in ("", "none", "None"):
        out["log_max_age_s"] = None
    return out


def load_config(
    *,
    file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ServerConfig:
    """Merge defaults, a TOML file (top level or a ``[server]`` table), env and overrides.

    Raises:
        pydantic.ValidationError: For a bad value (the message names the field).
        OSError / tomllib.TOMLDecodeError: For an unreadable config file.
    """
    values: dict[str, Any] = {}
    if file is not None:
        data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        section = data.get("server", data)
        if not isinstance(section, dict):
            raise ValueError("[server] in the config file must be a table")
        values.update(section)
    values.update(_from_env(os.environ if env is None else env))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return ServerConfig.model_validate(values)
