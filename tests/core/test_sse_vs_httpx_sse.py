"""Why we have our own decoder: cases httpx-sse 0.4.3 decodes against the WHATWG rules.

httpx-sse is driven the way ``EventSource.aiter_sse`` drives it (incremental UTF-8 decode, then
``SSELineDecoder`` + ``SSEDecoder``), on the same bytes as ours. If a future httpx-sse fixes a
case, its assertion fails and this file should be revisited.
"""

from __future__ import annotations

import codecs

import pytest
from httpx_sse._decoders import SSEDecoder as HxDecoder
from httpx_sse._decoders import SSELineDecoder

from monitor.core.sse import SSEDecoder


def _httpx_sse(stream: bytes) -> tuple[list[tuple[str, str]], int | None]:
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(stream, final=True)
    lines, dec = SSELineDecoder(), HxDecoder()
    events: list[tuple[str, str]] = []
    retry = None
    for line in [*lines.decode(text), *lines.flush()]:
        sse = dec.decode(line.rstrip("\n"))
        if sse is not None:
            events.append((sse.event, sse.data))
            retry = sse.retry if sse.retry is not None else retry
    return events, retry


def _ours(stream: bytes) -> tuple[list[tuple[str, str]], int | None]:
    dec = SSEDecoder()
    events = [(e.type, e.data) for e in dec.feed(stream)]
    dec.close()
    return events, dec.retry


CASES = [
    ("bom_at_start", b"\xef\xbb\xbfdata: a\n\n", ([("message", "a")], None)),
    ("phantom_event_after_comment", b"id: 1\ndata: a\n\n: ping\n\n", ([("message", "a")], None)),
    ("event_type_reset_when_data_empty", b"event: foo\n\ndata: a\n\n", ([("message", "a")], None)),
    ("retry_only_block_not_dispatched", b"retry: 3000\n\n", ([], 3000)),
    ("retry_negative_ignored", b"retry: -1\ndata: a\n\n", ([("message", "a")], None)),
    ("retry_arabic_indic_digits_ignored", "retry: ١٢\ndata: a\n\n".encode(), ([("message", "a")], None)),
]


@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
def test_ours_right_httpx_sse_wrong(name: str, stream: bytes, expected: object) -> None:
    assert _ours(stream) == expected
    assert _httpx_sse(stream) != expected, f"httpx-sse now handles {name}"


def test_harness_agrees_on_ordinary_stream() -> None:
    # Guards the comparison above: the httpx-sse harness itself decodes a plain stream correctly.
    stream = b"event: p\ndata: a\ndata: b\n\ndata: c\r\n\r\n"
    expected = ([("p", "a\nb"), ("message", "c")], None)
    assert _httpx_sse(stream) == expected
    assert _ours(stream) == expected
