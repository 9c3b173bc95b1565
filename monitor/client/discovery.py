"""Capability discovery: which of snapshot, poll and commands does a server offer?

The UI offers only what the server can do and says why otherwise. Each endpoint is asked once with
a short timeout (a GET whose body is never read; an event stream answering at a derived URL is
closed at once). 404 means absent everywhere; 405 means absent for the GET endpoints (snapshot,
poll) but *present* for commands, whose route takes POST only (Starlette answers a GET on it
with 405; Express answers 404). No answer at all (a network error, a timeout, a 5xx) says nothing
about the endpoint and counts as present.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from monitor.client.config import ClientConfig, is_event_stream, request_headers, ssl_context
from monitor.core.profile import Capabilities

__all__ = ["discover_capabilities"]

_DEFAULT_TIMEOUT_S = 3.0
_log = logging.getLogger(__name__)


async def _probe(
    client: httpx.AsyncClient, config: ClientConfig, url: str, *, post_only: bool, timeout: float
) -> str:
    """Ask ``url``; returns "" when the endpoint exists, else the plain-text reason."""
    headers = request_headers(config, config.auth_token, Accept="application/json")
    request = client.build_request("GET", url, headers=headers, timeout=timeout)
    try:
        response = await asyncio.wait_for(client.send(request, stream=True), timeout)
    except (TimeoutError, httpx.HTTPError) as exc:
        # No answer says nothing about the endpoint (the connection dropped, the server is
        # restarting): assume it is there, so a network blip never disables Cancel/Pause. The
        # next connection probes again, and a real 404 then says what is missing.
        _log.info("capability probe of %s: %s; assumed present", url, type(exc).__name__)
        return ""
    try:
        code = response.status_code
        if code == 405 and post_only:
            return ""
        if code >= 500:  # a server error, not an answer about the endpoint (as above)
            _log.info("capability probe of %s: HTTP %d; assumed present", url, code)
            return ""
        if code in (404, 405, 410):
            return f"GET {url}: HTTP {code}"
        if code in (401, 403):
            return f"GET {url}: authentication failed (HTTP {code})"
        if is_event_stream(response.headers.get("content-type")) and not post_only:
            return f"GET {url}: an event stream, not this endpoint"
        return ""
    finally:
        await response.aclose()


async def discover_capabilities(
    config: ClientConfig, client: httpx.AsyncClient | None = None, *, timeout: float = _DEFAULT_TIMEOUT_S
) -> Capabilities:
    """Probe the profile's snapshot, poll and commands endpoints concurrently.

    Args:
        config: Whose profile's (derived or overridden) URLs are asked.
        client: An httpx client to use (not closed); None creates one for the probes.
        timeout: Seconds per probe (connect to response headers).

    Returns:
        What the server offers, with a reason for each missing endpoint.
    """
    own = client is None
    http = client or httpx.AsyncClient(verify=ssl_context(config), trust_env=True, follow_redirects=True)
    try:
        snapshot, poll, commands = await asyncio.gather(
            _probe(http, config, config.resolved_snapshot_url, post_only=False, timeout=timeout),
            _probe(http, config, config.resolved_poll_url, post_only=False, timeout=timeout),
            _probe(http, config, config.resolved_commands_url, post_only=True, timeout=timeout),
        )
    finally:
        if own:
            await http.aclose()
    reasons = tuple(
        (name, why) for name, why in (("snapshot", snapshot), ("poll", poll), ("commands", commands)) if why
    )
    return Capabilities(snapshot=not snapshot, poll=not poll, commands=not commands, reasons=reasons)
