"""Bearer tokens, the principals they name, and log scrubbing.

Every token names a :class:`Principal` (who is asking): the config's ``principals`` entries and
``tokens_file`` lines give a name and an admin flag; each plain ``tokens`` entry is a principal of
its own (``token-1``, ``token-2``, ... in config order), so a single-token server has exactly one.
With no token configured at all, every request is :data:`ANONYMOUS` (the demo). Comparison is
constant time per token, and every configured token is compared so the timing does not say which
one nearly matched.

A token in the query string (``access_token=``) is accepted only with ``allow_query_token``
because URLs end up in logs, browser history and Referer headers; it is scrubbed from the request
before anything (including uvicorn's access log, which formats the same scope) sees it. Names are
compared percent-decoded (``access%5Ftoken`` is ``access_token`` to every query parser), for the
check and for the scrubbing alike.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote_plus

if TYPE_CHECKING:
    from monitor.server.config import ServerConfig

__all__ = [
    "ANONYMOUS",
    "PRINCIPAL_NAME_RE",
    "QUERY_TOKEN_PARAM",
    "Principal",
    "TokenChecker",
    "read_tokens_file",
    "scrub_query",
    "token_checker",
]

QUERY_TOKEN_PARAM = "access_token"
#: Query parameter names (decoded, case-insensitive) whose values never reach a log.
_SECRET_PARAMS = frozenset({"access_token", "token"})
_PAIR_RE = re.compile(r"([^&;=\s\"?]*)(=?)([^&;\s\"]*)")
#: What a principal's name may be (it is stored with idempotency keys and client ids).
PRINCIPAL_NAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the owner of its token.

    Attributes:
        name: Unique name; client ids, commands and idempotency keys are scoped by it.
        admin: May see every principal's connections.
    """

    name: str
    admin: bool = False


#: Every request's principal on a server with no token configured (one owner of everything).
ANONYMOUS = Principal("anonymous", admin=True)


def _scrub_pair(match: re.Match[str]) -> str:
    name, equals, _ = match.groups()
    if equals and unquote_plus(name).lower() in _SECRET_PARAMS:
        return f"{name}=***"
    return match.group(0)


def scrub_query(text: str) -> str:
    """Replace token values in a URL or query string with ``***`` (names compared decoded)."""
    path, sep, query = text.partition("?")
    if not sep:
        path, query = "", text
    return path + sep + _PAIR_RE.sub(_scrub_pair, query)


def read_tokens_file(path: str | Path) -> list[tuple[str, Principal]]:
    """Parse a tokens file: one ``NAME TOKEN [admin]`` per line; blank lines and ``#`` comments skipped.

    Raises:
        OSError: The file cannot be read.
        ValueError: A malformed line (the message names the line number, never the token).
    """
    entries: list[tuple[str, Principal]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) not in (2, 3) or (len(words) == 3 and words[2] != "admin"):
            raise ValueError(f"{path}:{number}: expected 'NAME TOKEN' or 'NAME TOKEN admin'")
        if not PRINCIPAL_NAME_RE.match(words[0]):
            raise ValueError(f"{path}:{number}: principal name must be 1-64 of A-Za-z0-9._@-")
        entries.append((words[1], Principal(words[0], admin=len(words) == 3)))
    return entries


def _principal_map(tokens: Iterable[tuple[str, Principal]]) -> dict[str, Principal]:
    """Token -> principal; a token given twice or a name given two admin flags is an error."""
    by_token: dict[str, Principal] = {}
    by_name: dict[str, Principal] = {}
    for token, principal in tokens:
        if not token:
            continue
        known = by_name.setdefault(principal.name, principal)
        if known != principal:
            raise ValueError(f"principal {principal.name!r} is listed both as admin and not")
        if by_token.get(token, principal) != principal:
            raise ValueError(f"one token is given to two principals ({principal.name!r} and another)")
        by_token[token] = principal
    if ANONYMOUS.name in by_name:
        raise ValueError(f"{ANONYMOUS.name!r} is reserved for servers without tokens")
    return by_token


class TokenChecker:
    """Validates ``Authorization: Bearer`` (and optionally query) tokens and names their principal."""

    def __init__(
        self,
        tokens: Sequence[str] = (),
        *,
        principals: Iterable[tuple[str, Principal]] = (),
        allow_query_token: bool = False,
    ) -> None:
        """Auth is on when any token is configured.

        Args:
            tokens: Plain tokens; each is its own principal ``token-<n>`` (n from 1, in order).
            principals: ``(token, principal)`` pairs (config entries, tokens file).
            allow_query_token: Also accept ``?access_token=``.

        Raises:
            ValueError: One token for two principals, or conflicting admin flags for one name.
        """
        plain = [(t, Principal(f"token-{n}")) for n, t in enumerate(tokens, 1)]
        mapping = _principal_map([*principals, *plain])
        self._tokens = [(t.encode(), p) for t, p in mapping.items()]
        self.allow_query_token = allow_query_token

    @property
    def enabled(self) -> bool:
        """True when at least one token is configured."""
        return bool(self._tokens)

    @property
    def principals(self) -> frozenset[Principal]:
        """Every configured principal ({ANONYMOUS} with auth off)."""
        return frozenset(p for _, p in self._tokens) or frozenset({ANONYMOUS})

    def _match(self, candidate: str) -> Principal | None:
        given = candidate.encode()
        found: Principal | None = None
        for token, principal in self._tokens:
            if hmac.compare_digest(given, token):
                found = principal
        return found

    def authenticate(self, headers: Sequence[tuple[bytes, bytes]], query_string: bytes) -> Principal | None:
        """The request's principal: ANONYMOUS with auth off, None without a valid token."""
        if not self._tokens:
            return ANONYMOUS
        for name, value in headers:
            if name.lower() == b"authorization":
                scheme, _, cred = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and cred.strip():
                    found = self._match(cred.strip())
                    if found is not None:
                        return found
        if self.allow_query_token and query_string:
            for key, qvalue in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
                if key == QUERY_TOKEN_PARAM and qvalue:
                    found = self._match(qvalue)
                    if found is not None:
                        return found
        return None

    def check(self, headers: Sequence[tuple[bytes, bytes]], query_string: bytes) -> bool:
        """True if the request may pass (auth off, or a valid token is present)."""
        return self.authenticate(headers, query_string) is not None


def token_checker(config: ServerConfig) -> TokenChecker:
    """The checker for ``config``'s ``tokens``, ``principals`` and ``tokens_file``.

    Raises:
        OSError: The tokens file cannot be read.
        ValueError: A malformed tokens file, or a token given to two principals.
    """
    named = [(p.token, Principal(p.name, admin=p.admin)) for p in config.principals]
    if config.tokens_file:
        named += read_tokens_file(config.tokens_file)
    return TokenChecker(config.tokens, principals=named, allow_query_token=config.allow_query_token)
