"""Connection reasons in plain language.

The engine (``monitor.client.engine``) describes each connection change for logs and
``monitor watch``: ``network error: ConnectError: All connection attempts failed``,
``HTTP 503: {"detail": ...}``. Those words are for developers. :func:`plain_reason` turns them
into a short sentence for the chip's tooltip and the banner: "Cannot connect to 127.0.0.1:8765
(connection refused)", "The server answered 503 Service Unavailable: down for maintenance".
A reason it does not recognise is returned as it is (it is plain text already).

Pure: the caller passes its translate function (the UI passes ``QCoreApplication.translate`` in
the ``Reasons`` context; ``monitor.ui.indicator`` lists the phrases for lupdate).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Final
from urllib.parse import urlsplit

__all__ = ["MESSAGE_LIMIT", "Translate", "body_message", "plain_reason", "server_name", "status_text"]

Translate = Callable[[str], str]

#: A server's message is cut to this many characters (a reason is one line, not a page).
MESSAGE_LIMIT: Final = 160

_MESSAGE_KEYS: Final = ("message", "detail", "error", "reason", "title", "description")
# In a cut-off JSON excerpt the closing quote may be missing: the text up to the cut still counts.
_QUOTED_MESSAGE: Final = re.compile(r'"(?:message|detail|error|reason)"\s*:\s*"((?:[^"\\]|\\.)*)(?:"|$)')
_GAVE_UP: Final = re.compile(r"gave up after (\d+) attempts: (.*)", re.DOTALL)
_NETWORK: Final = re.compile(r"(?:network error|polling): ([A-Za-z_]\w*)(?:: (.*))?", re.DOTALL)
_HTTP: Final = re.compile(r"(?:polling: )?HTTP (\d{3})(?:: (.*))?", re.DOTALL)
_AUTH: Final = re.compile(r"authentication failed \(HTTP (\d{3})\)(?:: (.*))?", re.DOTALL)
_NOT_STREAM_HTTP: Final = re.compile(r"not a stream \(HTTP (\d{3})\)(?:: (.*))?", re.DOTALL)
_NOT_STREAM_TYPE: Final = re.compile(r"not an event stream \(content type ([^)]*)\)", re.DOTALL)
_NO_HEADERS: Final = re.compile(r"connection timeout: no response headers within ([\d.]+) s")
_HEARTBEAT: Final = re.compile(r"no data for ([\d.]+) s \(heartbeat timeout\)")
_POLLING_WHY: Final = re.compile(r"polling \((.*)\)", re.DOTALL)
_FIXED: Final = {
    "closed": "Disconnected",
    "disconnected by the user": "Disconnected",
    "connecting": "Connecting",
    "connected": "Connected",
    "polling": "Polling for updates",
}


def _identity(text: str) -> str:
    return text


def server_name(url: str) -> str:
    """``http://127.0.0.1:8765/api/...`` -> ``127.0.0.1:8765`` ("" when there is none)."""
    try:
        return urlsplit(url).netloc.rpartition("@")[2]
    except ValueError:
        return ""


def status_text(code: int) -> str:
    """``503`` -> ``503 Service Unavailable`` (just the number for a code HTTP does not name)."""
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _clip(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def body_message(body: str | None) -> str:
    """The message a server put in an error body, in one short line ("" if none is readable).

    A JSON object's ``message`` (or ``detail``, ``error``...) field; the same field found in a
    cut-off JSON excerpt; the first line of a plain-text body. HTML pages say nothing useful here.
    """
    text = (body or "").strip()
    if not text or text.startswith("<"):
        return ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message")
            if isinstance(value, str) and value.strip():
                return _clip(value)
        return ""
    if data is not None:
        return ""  # a JSON list or number: no message in it
    if text.startswith(("{", "[")):
        found = _QUOTED_MESSAGE.search(text)
        return _clip(found.group(1).replace('\\"', '"')) if found else ""
    return _clip(text.splitlines()[0])


def _network(name: str, detail: str, where: str, tr: Translate) -> str:
    low = detail.lower()
    if name == "ConnectTimeout":
        return tr("Cannot connect to {server} (no answer in time)").format(server=where)
    if name == "ConnectError":
        if "certificate" in low or "ssl" in low:
            return tr("Cannot connect to {server} (its certificate is not trusted)").format(server=where)
        if any(s in low for s in ("name or service", "nodename", "getaddrinfo", "name resolution")):
            return tr("Cannot connect to {server} (server name not found)").format(server=where)
        if "refused" in low or "all connection attempts failed" in low:
            return tr("Cannot connect to {server} (connection refused)").format(server=where)
        return tr("Cannot connect to {server}").format(server=where)
    if name in ("ReadTimeout", "WriteTimeout", "PoolTimeout"):
        return tr("{server} stopped answering").format(server=where)
    if name in ("ReadError", "WriteError", "RemoteProtocolError", "CloseError"):
        return tr("The connection to {server} broke off").format(server=where)
    return tr("Network error talking to {server}").format(server=where)


def _answered(code: int, body: str | None, tr: Translate) -> str:
    message = body_message(body)
    if message:
        return tr("The server answered {status}: {message}").format(status=status_text(code), message=message)
    return tr("The server answered {status}").format(status=status_text(code))


def plain_reason(reason: str, *, server: str = "", tr: Translate = _identity) -> str:
    """A connection reason from the engine as a short plain sentence.

    Args:
        reason: :attr:`monitor.core.connection.ConnectionStatus.reason`.
        server: The server's URL (its host and port name the server in the sentence).
        tr: Translates an English template (placeholders in braces are filled after).

    Returns:
        The sentence; ``reason`` itself when it is not one the engine is known to write.
    """
    text = reason.strip()
    where = server_name(server) or tr("the server")
    if not text:
        return ""
    if (fixed := _FIXED.get(text)) is not None:
        return tr(fixed)
    if m := _GAVE_UP.fullmatch(text):
        inner = plain_reason(m.group(2), server=server, tr=tr)
        return tr("Gave up after {n} attempts: {reason}").format(n=m.group(1), reason=inner)
    if m := _POLLING_WHY.fullmatch(text):
        inner = plain_reason(m.group(1), server=server, tr=tr)
        return tr("Polling for updates ({reason})").format(reason=inner)
    if m := _AUTH.fullmatch(text):
        return tr("The server refused the access token ({status})").format(
            status=status_text(int(m.group(1)))
        )
    if m := _NOT_STREAM_HTTP.fullmatch(text):
        return tr("The server answered {status}: this address serves no task event stream").format(
            status=status_text(int(m.group(1)))
        )
    if m := _HTTP.fullmatch(text):
        return _answered(int(m.group(1)), m.group(2), tr)
    if m := _NETWORK.fullmatch(text):
        return _network(m.group(1), m.group(2) or "", where, tr)
    if m := _NOT_STREAM_TYPE.match(text):
        return tr("This address answered with {type}, not a task event stream").format(type=m.group(1))
    if m := _NO_HEADERS.fullmatch(text):
        return tr("{server} accepted the connection but did not answer within {s} s").format(
            server=where, s=m.group(1)
        )
    if m := _HEARTBEAT.fullmatch(text):
        return tr("No data from {server} for {s} s").format(server=where, s=m.group(1))
    if text.startswith("the server asked the client to stop"):
        return tr("The server asked Monitor to stop connecting")
    if text.startswith("not a stream: too many redirects"):
        return tr("This address redirects in a loop")
    return reason
