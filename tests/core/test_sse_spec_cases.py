"""The decoder against the WHATWG event-stream rules, fed whole, byte by byte and in random splits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.sse import SSEDecodeError, SSEDecoder, SSEEvent

E = SSEEvent

# (name, stream bytes, expected events as (type, data, last_event_id, retry), final last id, final retry)
CASES: list[tuple[str, bytes, list[tuple[str, str, str, int | None]], str, int | None]] = [
    ("simple", b"data: hi\n\n", [("message", "hi", "", None)], "", None),
    ("two data lines joined with LF", b"data: a\ndata: b\n\n", [("message", "a\nb", "", None)], "", None),
    ("CRLF line ends", b"data: a\r\ndata: b\r\n\r\n", [("message", "a\nb", "", None)], "", None),
    ("CR line ends", b"data: a\rdata: b\r\r", [("message", "a\nb", "", None)], "", None),
    ("mixed line ends", b"data: a\r\ndata: b\rdata: c\n\r\n", [("message", "a\nb\nc", "", None)], "", None),
    ("BOM stripped at start", b"\xef\xbb\xbfdata: x\n\n", [("message", "x", "", None)], "", None),
    (
        "second BOM is part of field name",
        b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n",
        [("message", "y", "", None)],
        "",
        None,
    ),
    (
        "BOM only at stream start, not after",
        b"data: a\n\n\xef\xbb\xbfdata: b\n\n",
        [("message", "a", "", None)],
        "",
        None,
    ),
    ("only one leading space removed", b"data:  two\n\n", [("message", " two", "", None)], "", None),
    ("no space after colon", b"data:x\n\n", [("message", "x", "", None)], "", None),
    ("tab is not the space", b"data:\tx\n\n", [("message", "\tx", "", None)], "", None),
    ("data without colon is empty data", b"data\n\n", [("message", "", "", None)], "", None),
    ("empty data line dispatches empty", b"data:\n\n", [("message", "", "", None)], "", None),
    ("two empty data lines", b"data\ndata\n\n", [("message", "\n", "", None)], "", None),
    ("trailing LF removed only once", b"data: a\ndata:\n\n", [("message", "a\n", "", None)], "", None),
    ("block without data not dispatched", b"event: x\n\n", [], "", None),
    ("event type", b"event: add\ndata: 1\n\n", [("add", "1", "", None)], "", None),
    (
        "event type resets after block",
        b"event: add\ndata: 1\n\ndata: 2\n\n",
        [("add", "1", "", None), ("message", "2", "", None)],
        "",
        None,
    ),
    (
        "event type resets after undispatched block",
        b"event: add\n\ndata: 2\n\n",
        [("message", "2", "", None)],
        "",
        None,
    ),
    ("empty event type is message", b"event:\ndata: 1\n\n", [("message", "1", "", None)], "", None),
    ("event field without colon", b"event\ndata: 1\n\n", [("message", "1", "", None)], "", None),
    (
        "id persists",
        b"id: 1\ndata: a\n\ndata: b\n\n",
        [("message", "a", "1", None), ("message", "b", "1", None)],
        "1",
        None,
    ),
    (
        "empty id resets",
        b"id: 1\ndata: a\n\nid\ndata: b\n\n",
        [("message", "a", "1", None), ("message", "b", "", None)],
        "",
        None,
    ),
    (
        "id with NUL ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [("message", "a", "1", None), ("message", "b", "1", None)],
        "1",
        None,
    ),
    ("id updated by undispatched block", b"id: 7\n\ndata: b\n\n", [("message", "b", "7", None)], "7", None),
    ("id set after data in same block", b"data: a\nid: 9\n\n", [("message", "a", "9", None)], "9", None),
    ("id with spaces kept", b"id:  a b \ndata: x\n\n", [("message", "x", " a b ", None)], " a b ", None),
    (
        "unterminated final block not dispatched",
        b"data: a\n\ndata: b\n",
        [("message", "a", "", None)],
        "",
        None,
    ),
    (
        "unterminated block's id never used",
        b"id: 1\ndata: a\n\nid: 2\ndata: b\n",
        [("message", "a", "1", None)],
        "1",
        None,
    ),
    ("unterminated final line", b"data: a\n\ndata: b", [("message", "a", "", None)], "", None),
    ("retry digits", b"retry: 3000\ndata: a\n\n", [("message", "a", "", 3000)], "", 3000),
    ("retry leading zero", b"retry: 03000\n\n", [], "", 3000),
    ("retry negative ignored", b"retry: -1\n\n", [], "", None),
    ("retry plus ignored", b"retry: +5\n\n", [], "", None),
    ("retry two spaces ignored", b"retry:  10\n\n", [], "", None),
    ("retry trailing space ignored", b"retry: 10 \n\n", [], "", None),
    ("retry underscore ignored", b"retry: 1_000\n\n", [], "", None),
    ("retry arabic-indic digits ignored", "retry: \u0661\u0662\n\n".encode(), [], "", None),
    ("retry empty ignored", b"retry:\n\n", [], "", None),
    ("retry float ignored", b"retry: 1.5\n\n", [], "", None),
    ("retry in undispatched block applies", b"retry: 500\nevent: x\n\n", [], "", 500),
    ("retry applies before block end", b"retry: 700\ndata: x", [], "", 700),
    (
        "retry only reported on its block",
        b"retry: 9\ndata: a\n\ndata: b\n\n",
        [("message", "a", "", 9), ("message", "b", "", None)],
        "",
        9,
    ),
    ("comment ignored", b": hello\ndata: a\n\n", [("message", "a", "", None)], "", None),
    ("comment with NUL ignored", b": a\x00b\ndata: a\n\n", [("message", "a", "", None)], "", None),
    ("comment-only block not dispatched", b": keepalive\n\n", [], "", None),
    ("unknown field ignored", b"foo: bar\ndata: a\n\n", [("message", "a", "", None)], "", None),
    (
        "field names are case sensitive",
        b"Data: a\nDATA: b\ndata: c\n\n",
        [("message", "c", "", None)],
        "",
        None,
    ),
    ("Event case sensitive", b"Event: x\ndata: c\n\n", [("message", "c", "", None)], "", None),
    ("colon in value kept", b"data: a:b: c\n\n", [("message", "a:b: c", "", None)], "", None),
    ("space before colon is part of name", b"data : a\ndata: b\n\n", [("message", "b", "", None)], "", None),
    (
        "U+2028 is not a line end",
        "data: a\u2028b\n\n".encode(),
        [("message", "a\u2028b", "", None)],
        "",
        None,
    ),
    ("NEL is not a line end", "data: a\u0085b\n\n".encode(), [("message", "a\u0085b", "", None)], "", None),
    ("form feed is not a line end", b"data: a\x0cb\n\n", [("message", "a\x0cb", "", None)], "", None),
    ("invalid utf-8 replaced", b"data: a\xffb\n\n", [("message", "a\ufffdb", "", None)], "", None),
    ("truncated sequence replaced", b"data: a\xe2\x82\n\n", [("message", "a\ufffd", "", None)], "", None),
    ("valid multibyte", "data: 转写 ✓ 🎧\n\n".encode(), [("message", "转写 ✓ 🎧", "", None)], "", None),
    ("NUL in data kept", b"data: a\x00b\n\n", [("message", "a\x00b", "", None)], "", None),
    ("leading blank lines dispatch nothing", b"\n\n\ndata: a\n\n", [("message", "a", "", None)], "", None),
    (
        "CR CR is two line ends",
        b"data: a\r\rdata: b\r\r",
        [("message", "a", "", None), ("message", "b", "", None)],
        "",
        None,
    ),
    (
        "LF CR is two line ends",
        b"data: a\n\rdata: b\n\n",
        [("message", "a", "", None), ("message", "b", "", None)],
        "",
        None,
    ),
    (
        "json data",
        b'id: 0-1\nevent: task_progress\ndata: {"id":"t1","progress":42.5}\n\n',
        [("task_progress", '{"id":"t1","progress":42.5}', "0-1", None)],
        "0-1",
        None,
    ),
    (
        "event with id and retry",
        b"retry: 1000\nid: x\nevent: e\ndata: d\n\n",
        [("e", "d", "x", 1000)],
        "x",
        1000,
    ),
    (
        "id only in middle of stream",
        b"data: a\n\nid: 5\n\ndata: b\n\n",
        [("message", "a", "", None), ("message", "b", "5", None)],
        "5",
        None,
    ),
    ("data line with only colon and space", b"data: \n\n", [("message", "", "", None)], "", None),
    ("colon only line is a comment", b":\ndata: a\n\n", [("message", "a", "", None)], "", None),
    ("BOM then CRLF", b"\xef\xbb\xbf\r\ndata: a\r\n\r\n", [("message", "a", "", None)], "", None),
    ("non-BOM start kept", b"\xef\xbbdata: a\n\ndata: b\n\n", [("message", "b", "", None)], "", None),
    ("id non-ascii", "id: ид\ndata: a\n\n".encode(), [("message", "a", "ид", None)], "ид", None),
    ("event name with spaces", b"event:  x y\ndata: a\n\n", [(" x y", "a", "", None)], "", None),
    (
        "many events",
        b"".join(b"data: %d\n\n" % i for i in range(1000)),
        [("message", str(i), "", None) for i in range(1000)],
        "",
        None,
    ),
    (
        "big line",
        b"data: " + b"x" * (512 * 1024) + b"\n\n",
        [("message", "x" * (512 * 1024), "", None)],
        "",
        None,
    ),
    ("retry then invalid retry keeps the valid one", b"retry: 100\n\nretry: x\n\n", [], "", 100),
    (
        "id: with NUL-free after NUL one",
        b"id: a\x00\nid: b\ndata: c\n\n",
        [("message", "c", "b", None)],
        "b",
        None,
    ),
    ("empty stream", b"", [], "", None),
    ("only BOM", b"\xef\xbb\xbf", [], "", None),
    (
        "seed-000 heartbeat",
        b'event: heartbeat\ndata: {"timestamp": 1}\n\n',
        [("heartbeat", '{"timestamp": 1}', "", None)],
        "",
        None,
    ),
    (
        "seed-004 keepalive comment then message",
        b": keepalive\n\nevent: text\ndata: {}\n\n",
        [("text", "{}", "", None)],
        "",
        None,
    ),
    (
        "data split over many fields and comments",
        b"data: a\n: c\ndata: b\nfoo\ndata: c\n\n",
        [("message", "a\nb\nc", "", None)],
        "",
        None,
    ),
]


def _splits(data: bytes, rng: random.Random) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        step = rng.randint(1, 9)
        out.append(data[i : i + step])
        i += step
    return out


def _run(chunks: list[bytes]) -> tuple[list[tuple[str, str, str, int | None]], str, int | None]:
    dec = SSEDecoder()
    events: list[SSEEvent] = []
    for c in chunks:
        events.extend(dec.feed(c))
    dec.close()
    return [(e.type, e.data, e.last_event_id, e.retry) for e in events], dec.last_event_id, dec.retry


def test_corpus_is_large() -> None:
    assert len(CASES) >= 78


@pytest.mark.parametrize(("name", "stream", "events", "last_id", "retry"), CASES, ids=[c[0] for c in CASES])
def test_case(name: str, stream: bytes, events: list[object], last_id: str, retry: int | None) -> None:
    expected = (events, last_id, retry)
    assert _run([stream]) == expected, "whole"
    if len(stream) < 20_000:
        assert _run([stream[i : i + 1] for i in range(len(stream))]) == expected, "byte by byte"
    rng = random.Random(name)
    for _ in range(3):
        assert _run(_splits(stream, rng)) == expected, "random split"


def test_cr_lf_split_across_chunks_is_one_line_end() -> None:
    assert _run([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]) == ([("message", "a\nb", "", None)], "", None)


def test_bom_split_across_chunks() -> None:
    assert _run([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == ([("message", "x", "", None)], "", None)


def test_utf8_sequence_split_across_chunks() -> None:
    raw = "data: 🎧\n\n".encode()
    assert _run([raw[:7], raw[7:8], raw[8:]]) == ([("message", "🎧", "", None)], "", None)


def test_line_cap_raises_clear_error() -> None:
    dec = SSEDecoder(max_line_bytes=100)
    with pytest.raises(SSEDecodeError, match=r"line of .* exceeds the limit of 100 bytes"):
        dec.feed(b"data: " + b"x" * 200 + b"\n")
    dec2 = SSEDecoder(max_line_bytes=100)
    with pytest.raises(SSEDecodeError, match="limit of 100 bytes"):
        dec2.feed(b"data: " + b"x" * 200)  # no line end yet: the cap still holds


def test_event_cap_raises_clear_error() -> None:
    dec = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(SSEDecodeError, match=r"event data .* limit of 1000 bytes"):
        dec.feed(b"data: " + b"x" * 600 + b"\n" + b"data: " + b"y" * 600 + b"\n")


def test_bytes_received_counts_everything() -> None:
    dec = SSEDecoder()
    dec.feed(b"data: a\n")
    dec.feed(b"\n: c\n")
    assert dec.bytes_received == 13


_ALPHABET = [
    b"data",
    b"event",
    b"id",
    b"retry",
    b":",
    b" ",
    b"x",
    b"1",
    b"\r",
    b"\n",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xe2\x82",
    b"\xac",
    b"\x00",
    "é".encode(),
]


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_ALPHABET), max_size=60),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_any_split_gives_same_events(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks, prev = [], 0
    for p in points:
        chunks.append(stream[prev:p])
        prev = p
    chunks.append(stream[prev:])
    assert _run(chunks) == _run([stream])
