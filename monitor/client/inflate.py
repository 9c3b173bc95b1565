"""A streamed response body in bounded pieces, whatever its ``Content-Encoding``.

httpx decompresses each network read in one piece: 64 KB of gzip on the wire can become 64 MiB
in memory before the SSE decoder sees a byte of it, so the decoder's line and event caps bound
nothing (issue 13: 16 KB of gzipped newlines cost 1.33 GB RSS). The engine asks for
``Accept-Encoding: identity``, but a server may compress anyway; then the body is inflated here
with a ``zlib.decompressobj`` whose output is capped per call, so no piece handed on is larger
than ``piece`` bytes and memory stays bounded by the decoder's caps.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncGenerator
from typing import cast

import httpx

__all__ = ["PIECE_BYTES", "BodyDecodeError", "body_pieces", "inflate"]

#: Largest decompressed piece handed on (a fast local read is about this size anyway).
PIECE_BYTES = 64 * 1024

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyDecodeError(ValueError):
    """The body's content encoding is not supported, or its compressed data is corrupt."""


def body_pieces(response: httpx.Response, piece: int = PIECE_BYTES) -> AsyncGenerator[bytes, None]:
    """The body of a streamed ``response``, decoded, in pieces of at most ``piece`` bytes when compressed.

    An uncompressed body comes straight from ``aiter_raw()`` (what the network read gave, with
    no generator of ours in between: this is the hot path). Close the generator when done
    (``contextlib.aclosing``): one abandoned half-way is otherwise finalised later, as a task.

    Raises:
        BodyDecodeError: A coding other than identity, gzip or deflate, or more than one (said at
            once, before any byte is read).
    """
    header = response.headers.get("content-encoding", "")
    codings = [c for c in (part.strip().lower() for part in header.split(",")) if c and c != "identity"]
    if not codings:
        # httpx types it as an iterator; it is an async generator (it has aclose).
        return cast(AsyncGenerator[bytes, None], response.aiter_raw())
    if len(codings) > 1 or codings[0] not in _WBITS:
        raise BodyDecodeError(f"unsupported content encoding {header.strip()!r} (asked for identity)")
    return inflate(cast(AsyncGenerator[bytes, None], response.aiter_raw()), codings[0], piece)


async def inflate(
    raw: AsyncGenerator[bytes, None], coding: str, piece: int = PIECE_BYTES
) -> AsyncGenerator[bytes, None]:
    """Decompress ``raw`` (gzip or deflate) into pieces of at most ``piece`` bytes.

    HTTP's ``deflate`` is the zlib format, but some servers send raw deflate: like httpx, a body
    whose first bytes are not zlib is read as raw deflate.

    Closing this generator closes ``raw``.

    Raises:
        BodyDecodeError: The compressed data is corrupt.
    """
    wbits = _WBITS[coding]
    inflater = zlib.decompressobj(wbits)
    started = False
    async with contextlib.aclosing(raw):
        async for data in raw:
            while True:
                try:
                    out = inflater.decompress(data, piece)
                except zlib.error as exc:
                    if coding == "deflate" and not started:
                        # Not zlib-wrapped: start over as raw deflate, once.
                        started = True
                        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                        continue
                    raise BodyDecodeError(f"corrupt {coding} body: {exc}") from None
                started = True
                if out:
                    yield out
                data = inflater.unconsumed_tail
                # A full piece may leave output pending inside zlib even with no input left.
                if not data and len(out) < piece:
                    break
