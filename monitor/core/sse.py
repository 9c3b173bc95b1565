"""A spec-exact, incremental Server-Sent Events decoder.

Follows the WHATWG HTML "server-sent events" parsing rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):

* the stream is UTF-8 whatever the ``charset`` says; invalid bytes become U+FFFD, also when a
  sequence is split across chunks;
* one BOM is stripped, only at the very start of the stream (also when split across chunks);
* lines end with CRLF, LF or CR, and a CR at the end of one chunk followed by LF at the start of
  the next is ONE line end;
* ``field: value`` loses exactly one leading space; a line without a colon is a field with an
  empty value; a line starting with a colon is a comment;
* ``data`` lines are joined with LF; a blank line dispatches the block unless its data buffer is
  empty (the last event id is still updated); the event type resets after every block;
* ``id`` containing NUL is ignored, an empty ``id`` resets the last event id;
* ``retry`` is applied only when it is all ASCII digits, at once (also in a block that is never
  dispatched);
* an unterminated final block is never dispatched and its id never used.

Why our own: httpx-sse 0.4.3 gets 9 of 78 spec cases wrong (BOM, phantom events, charset,
retry), see docs/client.md. Speed: the decoder works on bytes, finds line ends with
``bytes.find`` over whole buffered chunks, and decodes each line once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SSEDecodeError", "SSEDecoder", "SSEEvent"]

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class SSEEvent:
    """One dispatched event.

    Attributes:
        type: Event type; ``"message"`` when the block had no (or an empty) ``event`` field.
        data: The data lines joined with LF.
        last_event_id: The last event id string in force at dispatch (``""`` if none).
        retry: The reconnection time (ms) set by a valid ``retry`` line inside this block, else None.
    """

    type: str
    data: str
    last_event_id: str
    retry: int | None = None


class SSEDecodeError(ValueError):
    """A line or an event exceeded the configured caps.

    After this error the decoder's state is undefined; the caller drops the connection (the
    engine reconnects with the last good event id).
    """


def _decode(raw: bytes) -> str:
    # Whole lines are decoded at once, so a multi-byte sequence is never split here; "replace"
    # turns invalid sequences into U+FFFD as the spec requires.
    return raw.decode("utf-8", "replace")


class SSEDecoder:
    """Incremental decoder: feed bytes in any split, get the same events.

    Args:
        max_line_bytes: Longest accepted line (bytes, without its line end).
        max_event_bytes: Largest accepted data buffer of one block (bytes of data line values).
    """

    __slots__ = (
        "_block_retry",
        "_buf",
        "_bytes",
        "_closed",
        "_data",
        "_data_size",
        "_event",
        "_last_id",
        "_max_event",
        "_max_line",
        "_parts",
        "_parts_len",
        "_pending_id",
        "_retry",
        "_skip_lf",
        "_started",
    )

    def __init__(self, *, max_line_bytes: int = 1 << 20, max_event_bytes: int = 8 << 20) -> None:
        """Create a decoder at the start of a stream."""
        self._max_line = max_line_bytes
        self._max_event = max_event_bytes
        self._buf = b""
        self._parts: list[bytes] = []
        self._parts_len = 0
        self._started = False  # BOM handled?
        self._skip_lf = False  # previous chunk ended in CR: a leading LF belongs to it
        self._data: list[str] = []
        self._data_size = 0
        self._event = ""
        self._last_id = ""
        self._pending_id = ""  # the id buffer of the block being read (spec: "last event ID buffer")
        self._retry: int | None = None
        self._block_retry: int | None = None
        self._bytes = 0
        self._closed = False

    @property
    def last_event_id(self) -> str:
        """The last event id string, updated at every block end (dispatched or not)."""
        return self._last_id

    @property
    def retry(self) -> int | None:
        """The latest valid ``retry`` value (ms), applied as soon as its line is read."""
        return self._retry

    @property
    def bytes_received(self) -> int:
        """Bytes fed so far."""
        return self._bytes

    def close(self) -> None:
        """End of stream: discard any partial line and undispatched block (never dispatched)."""
        self._buf = b""
        self._parts = []
        self._parts_len = 0
        self._data = []
        self._data_size = 0
        self._event = ""
        self._pending_id = self._last_id
        self._block_retry = None
        self._closed = True

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode the next chunk of the stream.

        Args:
            chunk: Raw bytes as they arrived.

        Returns:
            The events completed by this chunk, in order.

        Raises:
            SSEDecodeError: A line or an event is larger than the caps.
        """
        if not chunk:
            return []
        self._bytes += len(chunk)
        if self._started and not self._skip_lf and b"\n" not in chunk and b"\r" not in chunk:
            # Middle of a long line: collect the pieces and join once at its end, so a line that
            # arrives in many small reads costs linear, not quadratic, time.
            self._parts.append(chunk)
            self._parts_len += len(chunk)
            if self._parts_len + len(self._buf) > self._max_line:
                raise SSEDecodeError(
                    f"SSE line of more than {self._parts_len + len(self._buf)} bytes exceeds the limit of "
                    f"{self._max_line} bytes"
                )
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts = []
            self._parts_len = 0
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._buf = buf  # maybe a BOM split across chunks: wait for more
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if self._skip_lf:
            if not buf:
                self._buf = b""
                return []
            self._skip_lf = False
            if buf[0] == 0x0A:
                buf = buf[1:]
        out: list[SSEEvent] = []
        pos = 0
        n = len(buf)
        find = buf.find
        while pos < n:
            lf = find(b"\n", pos)
            cr = find(b"\r", pos, lf if lf >= 0 else n)
            if cr >= 0:
                end = cr
                if cr + 1 < n:
                    nxt = cr + 2 if buf[cr + 1] == 0x0A else cr + 1
                else:
                    nxt = n
                    self._skip_lf = True  # CR at the end: an LF opening the next chunk is part of it
            elif lf >= 0:
                end, nxt = lf, lf + 1
            else:
                break
            if end - pos > self._max_line:
                raise SSEDecodeError(
                    f"SSE line of {end - pos} bytes exceeds the limit of {self._max_line} bytes"
                )
            if end == pos:
                self._dispatch(out)
            else:
                self._line(buf[pos:end], out)
            pos = nxt
        rest = buf[pos:]
        if len(rest) > self._max_line:
            raise SSEDecodeError(
                f"SSE line of more than {len(rest)} bytes exceeds the limit of {self._max_line} bytes"
            )
        self._buf = rest
        return out

    def _line(self, raw: bytes, out: list[SSEEvent]) -> None:
        # Fast path for the common field names; the generic path handles the rest exactly.
        if raw[:5] == b"data:":
            value = raw[6:] if raw[5:6] == b" " else raw[5:]
            self._add_data(value)
            return
        if raw[0] == 0x3A:  # ":" comment
            return
        colon = raw.find(b":")
        if colon < 0:
            name, value = raw, b""
        else:
            name = raw[:colon]
            value = raw[colon + 2 :] if raw[colon + 1 : colon + 2] == b" " else raw[colon + 1 :]
        if name == b"data":
            self._add_data(value)
        elif name == b"event":
            self._event = _decode(value)
        elif name == b"id":
            if b"\x00" not in value:
                self._pending_id = _decode(value)
        elif name == b"retry":
            if value and value.isdigit():  # bytes.isdigit is ASCII-only, as the spec requires
                self._retry = self._block_retry = int(value)
        # other field names are ignored

    def _add_data(self, value: bytes) -> None:
        self._data_size += len(value) + 1
        if self._data_size > self._max_event:
            raise SSEDecodeError(
                f"SSE event data of more than {self._data_size} bytes exceeds the limit of "
                f"{self._max_event} bytes"
            )
        self._data.append(_decode(value))

    def _dispatch(self, out: list[SSEEvent]) -> None:
        self._last_id = self._pending_id
        data = self._data
        retry = self._block_retry
        self._block_retry = None
        if not data:
            self._event = ""
            return
        self._data = []
        self._data_size = 0
        event_type = self._event or "message"
        self._event = ""
        out.append(SSEEvent(event_type, "\n".join(data), self._last_id, retry))
