"""The fast decoder against a slow, line-by-line transcription of the WHATWG rules.

The production decoder has a regex fast path for whole common blocks and holds back the complete
lines of an unfinished block; these tests check that neither is observable: same events, same
last event id and the same ``retry`` after EVERY chunk as the naive reference.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.sse import SSEDecoder, SSEEvent

Result = tuple[list[tuple[str, str, str, int | None]], str, int | None]


def _reference(stream: bytes, final: bool) -> Result:
    """Spec algorithm over the terminated lines of ``stream`` (the rest is an unfinished line)."""
    if stream.startswith(b"\xef\xbb\xbf"):
        stream = stream[3:]
    text = stream.decode("utf-8", "replace")
    lines = re.split(r"\r\n|\r|\n", text)
    lines.pop()  # the unterminated remainder (maybe empty) is never processed
    events: list[tuple[str, str, str, int | None]] = []
    data: list[str] = []
    ev_type = ""
    id_buf = last_id = ""
    retry: int | None = None
    block_retry: int | None = None
    for line in lines:
        if not line:
            last_id = id_buf
            if data:
                events.append((ev_type or "message", "\n".join(data), last_id, block_retry))
            data, ev_type, block_retry = [], "", None
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            ev_type = value
        elif name == "id" and "\x00" not in value:
            id_buf = value
        elif name == "retry" and value and all("0" <= c <= "9" for c in value):
            retry = block_retry = int(value)
    del final  # close() discards the pending block either way; kept for readability at call sites
    return events, last_id, retry


_ALPHABET = [
    b"data: ",
    b"data:",
    b"data",
    b"event: t",
    b"event:",
    b"id: 7",
    b"id:",
    b"id: \x00",
    b"retry: 12",
    b"retry:x",
    b": c",
    b"x",
    b" ",
    b"\n",
    b"\n\n",
    b"\r",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xe2\x82",
    b"\xac",
    b'{"a": 1}',
]


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_ALPHABET), max_size=80),
    cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=15),
)
def test_matches_reference_after_every_chunk(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {len(stream)})
    dec = SSEDecoder()
    got: list[tuple[str, str, str, int | None]] = []
    prev = 0
    for p in points:
        got.extend((e.type, e.data, e.last_event_id, e.retry) for e in dec.feed(stream[prev:p]))
        prev = p
        ref_events, _, ref_retry = _reference(stream[:p], final=False)
        assert got == ref_events, f"events after {p} bytes"
        assert dec.retry == ref_retry, f"retry after {p} bytes"
    dec.close()
    assert (got, dec.last_event_id, dec.retry) == _reference(stream, final=True)


def test_retry_in_held_back_block_is_applied_at_once() -> None:
    dec = SSEDecoder()
    assert dec.feed(b"data: a\n\nid: 5\nretry: 250\n") != []
    assert dec.retry == 250  # the block is unfinished, but retry applies immediately
    assert dec.last_event_id == ""  # its id only counts at the blank line


def test_held_back_block_completes_in_next_chunk() -> None:
    dec = SSEDecoder()
    first = dec.feed(b"id: 1\ndata: a\n\nid: 2\nevent: p\n")
    second = dec.feed(b"data: b\n\n")
    assert [(e.type, e.data, e.last_event_id) for e in first] == [("message", "a", "1")]
    assert [(e.type, e.data, e.last_event_id) for e in second] == [("p", "b", "2")]


def test_unfinished_held_back_block_is_never_dispatched() -> None:
    dec = SSEDecoder()
    dec.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n")
    dec.close()
    assert dec.last_event_id == "1"


def test_tcp_sized_chunks_of_a_long_stream() -> None:
    body = b"".join(
        b'id: %d\nevent: task_progress\ndata: {"seq": %d}\n\n: ka\n\n' % (i, i) for i in range(3000)
    )
    dec = SSEDecoder()
    events = []
    for i in range(0, len(body), 1448):
        events.extend(dec.feed(body[i : i + 1448]))
    assert [e.last_event_id for e in events] == [str(i) for i in range(3000)]
    assert all(e.type == "task_progress" and e.data == f'{{"seq": {e.last_event_id}}}' for e in events)


def test_a_run_of_blank_lines_is_one_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    # A gzip "newline bomb" (16 MiB of LF from 16 KB on the wire) cost 27 s of CPU when every blank
    # line was dispatched on its own (docs/reliability.md); the second and later blank lines of a
    # run change nothing, so a run is one dispatch. The events and ids stay the reference's.
    calls = 0
    dispatch = SSEDecoder._dispatch

    def counting(self: SSEDecoder, out: list[SSEEvent]) -> None:
        nonlocal calls
        calls += 1
        dispatch(self, out)

    monkeypatch.setattr(SSEDecoder, "_dispatch", counting)
    stream = b"id: 1\nevent: t\ndata: a\n" + b"\n" * 65_536 + b"id: 2\ndata: b\n\n" + b"\r\n" * 1000
    dec = SSEDecoder()
    events = [(e.type, e.data, e.last_event_id, e.retry) for e in dec.feed(stream)]
    assert calls <= 3
    assert (events, dec.last_event_id, dec.retry) == _reference(stream, final=False)
    assert events == [("t", "a", "1", None), ("message", "b", "2", None)]
