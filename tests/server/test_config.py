"""Settings precedence, env parsing, auth helpers and the serve CLI's error path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.server.auth import TokenChecker, scrub_query
from monitor.server.cli import main as serve_main
from monitor.server.config import ServerConfig, default_db_path, load_config
from monitor.server.runner import TokenScrubFilter


def test_defaults_are_safe() -> None:
    cfg = load_config(env={})
    assert cfg.host == "127.0.0.1"
    assert cfg.port == 8765
    assert cfg.tokens == []
    assert cfg.cors_origins == []
    assert cfg.allow_query_token is False
    assert cfg.heartbeat_interval_ms == 30_000
    assert default_db_path().name == "server.sqlite3"


def test_precedence_file_env_overrides(tmp_path: Path) -> None:
    f = tmp_path / "monitor.toml"
    f.write_text('[server]\nport = 9000\nheartbeat_interval_ms = 5000\ntokens = ["from-file"]\n')
    env = {"MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "7000", "MONITOR_TOKENS": "a, b", "OTHER": "x"}
    cfg = load_config(file=f, env=env, overrides={"port": 1234, "db": None})
    assert cfg.port == 1234  # flag beats file
    assert cfg.heartbeat_interval_ms == 7000  # env beats file
    assert cfg.tokens == ["a", "b"]
    assert load_config(env={"MONITOR_SERVER_LOG_MAX_AGE_S": "none"}).log_max_age_s is None
    assert load_config(env={"MONITOR_SERVER_CORS_ORIGINS": "https://a.example"}).cors_origins == [
        "https://a.example"
    ]


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="heartbeat_interval_ms"):
        load_config(env={"MONITOR_SERVER_HEARTBEAT_INTERVAL_MS": "soon"})
    with pytest.raises(ValidationError, match="bogus"):
        ServerConfig.model_validate({"bogus": 1})


def test_serve_cli_rejects_bad_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_SERVER_MAX_CONNECTIONS", "0")
    assert serve_main(["--db", ":memory:"]) == 2
    assert "max_connections" in capsys.readouterr().err


def test_token_checker() -> None:
    off = TokenChecker([])
    assert not off.enabled
    assert off.check([], b"")
    on = TokenChecker(["t1", "t2"])
    assert on.check([(b"authorization", b"Bearer t2")], b"")
    assert on.check([(b"Authorization", b"bearer  t1 ")], b"")
    assert not on.check([(b"authorization", b"Bearer t3")], b"")
    assert not on.check([(b"authorization", b"Bearer")], b"")
    assert not on.check([], b"access_token=t1")  # query tokens need opting in
    assert TokenChecker(["t1"], allow_query_token=True).check([], b"x=1&access_token=t1")


def test_scrubbing() -> None:
    assert scrub_query("/sse?clientId=a&access_token=abc&x=1") == "/sse?clientId=a&access_token=***&x=1"
    assert scrub_query("token=abc") == "token=***"
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s "%s %s"',
        ("1.2.3.4", "GET", "/api/tasks/stream?access_token=sekrit"),
        None,
    )
    TokenScrubFilter().filter(record)
    assert "sekrit" not in record.getMessage()


def test_seed004_scheduler_settings_reach_the_scheduler() -> None:
    """maxConcurrent / defaultTimeout / maxRetries / enablePriority from the env end up in force."""
    from monitor.server.app import create_app

    env = {
        "MONITOR_SERVER_COMMAND_MAX_CONCURRENT": "2",
        "MONITOR_SERVER_COMMAND_TIMEOUT_MS": "1500",
        "MONITOR_SERVER_COMMAND_MAX_RETRIES": "0",
        "MONITOR_SERVER_COMMAND_ENABLE_PRIORITY": "false",
    }
    cfg = load_config(env=env, overrides={"db": ":memory:"})
    assert cfg.command_enable_priority is False
    sched = create_app(cfg).scheduler
    # Private attributes: the scheduler has no public getters, and its behaviour for each value
    # is covered in test_scheduler.py (test_priority_order[False] etc.).
    assert (sched._max_concurrent, sched._default_timeout_ms, sched._max_retries) == (2, 1500, 0)
    assert sched._enable_priority is False
