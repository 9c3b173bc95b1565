"""``monitor bridge``'s command line: clear errors, exit status 2, no secret echoed."""

from __future__ import annotations

import sys

import pytest

from monitor.bridge.cli import _redact, main
from monitor.cli import main as monitor_main


def test_a_missing_broker_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert monitor_main(["bridge", "celery", "--server", "http://127.0.0.1:1"]) == 2
    assert "--broker (or $CELERY_BROKER_URL) is required" in capsys.readouterr().err


def test_a_bad_poll_interval_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["celery", "--broker", "redis://127.0.0.1:1/0", "--poll-interval", "0"]) == 2
    assert "--poll-interval must be positive" in capsys.readouterr().err


def test_without_the_celery_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if the extra were not installed: a None entry makes `import celery` raise ImportError.
    gone = ("celery", "monitor.bridge.celery_bridge")  # the bridge module too: it imports celery
    for name in [m for m in sys.modules if m in gone or m.startswith("celery.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "celery", None)
    assert main(["celery", "--broker", "redis://127.0.0.1:1/0"]) == 2
    assert "pip install 'monitor[celery]'" in capsys.readouterr().err


def test_the_broker_password_is_not_printed() -> None:
    assert _redact("redis://:s3cret@redis.local:6379/0") == "redis://:***@redis.local:6379/0"
    assert _redact("redis://user:s3cret@h/0") == "redis://user:***@h/0"
    assert _redact("redis://h:6379/0") == "redis://h:6379/0"


def test_a_build_without_the_bridges_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The frozen app leaves monitor.bridge out (packaging/bundle_rules.py): one line, exit 2.
    monkeypatch.setitem(sys.modules, "monitor.bridge.cli", None)
    assert monitor_main(["bridge", "celery", "--broker", "redis://127.0.0.1:1/0"]) == 2
    assert "not part of this build" in capsys.readouterr().err
