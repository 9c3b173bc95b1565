"""Client configuration: seed names, validation, derived URLs, TLS settings."""

from __future__ import annotations

import ssl

import pytest
from pydantic import ValidationError

from monitor.client.config import ClientConfig, ssl_context


def test_seed_names_and_defaults() -> None:
    cfg = ClientConfig.model_validate({"url": "http://h:1/api/tasks/stream", "reconnectInterval": 2000})
    r = cfg.reconnect
    assert r.reconnect_interval_ms == 2000
    assert (r.reconnect_decay, r.max_reconnect_interval_ms, r.max_reconnect_attempts) == (1.5, 30000, None)
    assert (r.heartbeat_interval_ms, r.heartbeat_timeout_ms, cfg.message_queue_size) == (30000, 10000, 100)
    assert (r.polling_interval_ms, cfg.connection_timeout, r.poll_after_failures) == (5000, 10000, 3)
    assert cfg.enable_dedup
    assert r.fallback_to_polling
    assert cfg.client_id.startswith("monitor-")
    assert cfg.read_timeout_s == 40.0  # never httpx's 5 s default, never None


def test_derived_urls() -> None:
    ours = ClientConfig(url="http://h:1/api/tasks/stream")
    assert ours.resolved_poll_url == "http://h:1/api/tasks/poll"
    assert ours.resolved_snapshot_url == "http://h:1/api/tasks"
    seed000 = ClientConfig(url="http://h:1/stream")
    assert seed000.resolved_poll_url == "http://h:1/poll"
    assert ClientConfig(url="http://h:1/sse").resolved_snapshot_url == "http://h:1/api/tasks"
    assert ours.base_url == "http://h:1"


@pytest.mark.parametrize(
    "bad",
    [
        {"url": "ftp://h/x"},
        {"url": "http://h/x", "reconnect_decay": 0.5},
        {"url": "http://h/x", "unknown": 1},
    ],
)
def test_bad_values_name_the_field(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ClientConfig.model_validate(bad)


def test_missing_ssl_cert_file_falls_back_instead_of_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    ctx = ssl_context(ClientConfig(url="https://h/x"))
    assert isinstance(ctx, ssl.SSLContext)
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ssl_context(ClientConfig(url="https://h/x", verify=False)) is False
