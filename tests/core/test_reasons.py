"""Plain-language connection reasons (issue 12): the engine's words become sentences for users.

The inputs are the reason strings ``monitor.client.engine`` writes (copied from its ``_set`` and
``_Retry``/``_Stop`` calls). The app-level check (a closed port, the chip's tooltip and the
banner) is ``tests/test_app_reasons.py``.
"""

from __future__ import annotations

import pytest

from monitor.core.reasons import body_message, plain_reason, server_name, status_text

URL = "http://127.0.0.1:8765/api/tasks/stream"


@pytest.mark.parametrize(
    ("reason", "plain"),
    [
        (
            "network error: ConnectError: All connection attempts failed",
            "Cannot connect to 127.0.0.1:8765 (connection refused)",
        ),
        (
            "network error: ConnectError: [Errno -2] Name or service not known",
            "Cannot connect to 127.0.0.1:8765 (server name not found)",
        ),
        (
            "network error: ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
            "Cannot connect to 127.0.0.1:8765 (its certificate is not trusted)",
        ),
        ("network error: ConnectTimeout", "Cannot connect to 127.0.0.1:8765 (no answer in time)"),
        (
            "network error: RemoteProtocolError: Server disconnected without sending a response.",
            "The connection to 127.0.0.1:8765 broke off",
        ),
        (
            'HTTP 503: {"detail": "down for maintenance"}',
            "The server answered 503 Service Unavailable: down for maintenance",
        ),
        (
            'HTTP 500: {"message": "disk full, cut off he',
            "The server answered 500 Internal Server Error: disk full, cut off he",
        ),
        ("HTTP 502: <html><body>Bad gateway</body></html>", "The server answered 502 Bad Gateway"),
        ("HTTP 429", "The server answered 429 Too Many Requests"),
        ("HTTP 599: overloaded\nretry later", "The server answered 599: overloaded"),
        (
            'authentication failed (HTTP 401): {"detail": "missing or invalid token"}',
            "The server refused the access token (401 Unauthorized)",
        ),
        (
            'not a stream (HTTP 404): {"detail": "Not Found"}',
            "The server answered 404 Not Found: this address serves no task event stream",
        ),
        (
            "not an event stream (content type text/html): <!doctype html>",
            "This address answered with text/html, not a task event stream",
        ),
        (
            "connection timeout: no response headers within 5 s",
            "127.0.0.1:8765 accepted the connection but did not answer within 5 s",
        ),
        ("no data for 45 s (heartbeat timeout)", "No data from 127.0.0.1:8765 for 45 s"),
        (
            "gave up after 7 attempts: network error: ConnectError: All connection attempts failed",
            "Gave up after 7 attempts: Cannot connect to 127.0.0.1:8765 (connection refused)",
        ),
        ("polling: HTTP 503", "The server answered 503 Service Unavailable"),
        ("polling: ConnectError", "Cannot connect to 127.0.0.1:8765"),
        ("the server asked the client to stop (HTTP 204)", "The server asked Monitor to stop connecting"),
        ("not a stream: too many redirects (a redirect loop?)", "This address redirects in a loop"),
        ("disconnected by the user", "Disconnected"),
        ("connected", "Connected"),
        ("", ""),
        ("something new the engine says", "something new the engine says"),  # unknown: as it is
    ],
)
def test_engine_reasons_become_plain_sentences(reason: str, plain: str) -> None:
    assert plain_reason(reason, server=URL) == plain


def test_the_translate_function_gets_the_template() -> None:
    seen: list[str] = []

    def tr(text: str) -> str:
        seen.append(text)
        return "无法连接到 {server}（连接被拒绝）" if text.startswith("Cannot connect") else text

    assert plain_reason("network error: ConnectError: All connection attempts failed", server=URL, tr=tr) == (
        "无法连接到 127.0.0.1:8765（连接被拒绝）"
    )
    assert seen == ["Cannot connect to {server} (connection refused)"]


def test_without_a_url_it_says_the_server() -> None:
    assert plain_reason("network error: ConnectTimeout") == "Cannot connect to the server (no answer in time)"


def test_pieces() -> None:
    assert server_name("https://user:pw@example.com:8443/x?y=1") == "example.com:8443"
    assert server_name("not a url") == ""
    assert status_text(503) == "503 Service Unavailable"
    assert status_text(599) == "599"
    assert body_message('{"error": {"message": "nested"}}') == "nested"
    assert body_message("[1, 2]") == ""
    assert body_message("  ") == ""
    long = body_message('{"detail": "' + "x" * 400 + '"}')
    assert len(long) == 160
    assert long.endswith("…")
