"""Bearer-token checks and log scrubbing.

Tokens come from the config (or ``MONITOR_TOKENS``). Comparison is constant time per token, and
every configured token is compared so the timing does not say which one nearly matched. A token in
the query string (``access_token=``) is accepted only with ``allow_query_token`` because URLs end
up in logs, browser history and Referer headers; it is scrubbed from the request before anything
(including uvicorn's access log, which formats the same scope) sees it.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl

__all__ = ["QUERY_TOKEN_PARAM", "TokenChecker", "scrub_query"]

QUERY_TOKEN_PARAM = "access_token"
_SCRUB_RE = re.compile(r"(?i)((?:^|[?&;])(?:access_token|token)=)[^&;\s\"]*")


def scrub_query(text: str) -> str:
    """Replace token values in a URL or query string with ``***``."""
    return _SCRUB_RE.sub(r"\1***", text)


class TokenChecker:
    """Validates ``Authorization: Bearer`` (and optionally query) tokens."""

    def __init__(self, tokens: Sequence[str], *, allow_query_token: bool = False) -> None:
        """Auth is on when ``tokens`` is non-empty."""
        self._tokens = [t.encode() for t in tokens if t]
        self.allow_query_token = allow_query_token

    @property
    def enabled(self) -> bool:
        """True when at least one token is configured."""
        return bool(self._tokens)

    def _match(self, candidate: str) -> bool:
        given = candidate.encode()
        ok = False
        for token in self._tokens:
            ok |= hmac.compare_digest(given, token)
        return ok

    def check(self, headers: Sequence[tuple[bytes, bytes]], query_string: bytes) -> bool:
        """True if the request may pass (auth off, or a valid token is present)."""
        if not self._tokens:
            return True
        for name, value in headers:
            if name.lower() == b"authorization":
                scheme, _, cred = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and cred.strip() and self._match(cred.strip()):
                    return True
        if self.allow_query_token and query_string:
            for key, qvalue in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
                if key == QUERY_TOKEN_PARAM and qvalue and self._match(qvalue):
                    return True
        return False
