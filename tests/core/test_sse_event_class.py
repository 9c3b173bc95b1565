"""SSEDecoder(event_class=...): events come out as the caller's subclass, on every path."""

from __future__ import annotations

import pytest

from monitor.core.sse import SSEDecoder, SSEEvent


class Tagged(SSEEvent):
    __slots__ = ()

    @property
    def kind(self) -> str:
        return "tagged"


def test_fast_and_generic_paths_both_build_the_subclass() -> None:
    dec = SSEDecoder(event_class=Tagged)
    # The first block is a common one (fast path); the second has two data lines and a retry
    # (generic path).
    events = dec.feed(b"id: 1\nevent: a\ndata: x\n\nretry: 5\ndata: y\ndata: z\n\n")
    assert [type(e) for e in events] == [Tagged, Tagged]
    assert [(e.type, e.data, e.last_event_id, e.retry) for e in events] == [
        ("a", "x", "1", None),
        ("message", "y\nz", "1", 5),
    ]
    assert events[0].kind == "tagged"


def test_default_is_plain_sse_event() -> None:
    assert type(SSEDecoder().feed(b"data: x\n\n")[0]) is SSEEvent


@pytest.mark.parametrize("cls", [int, tuple, "SSEEvent"])
def test_a_class_the_decoder_cannot_fill_is_refused(cls: object) -> None:
    with pytest.raises(TypeError, match="must be SSEEvent or a subclass"):
        SSEDecoder(event_class=cls)  # type: ignore[arg-type]
