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
  dispatched); a value above :data:`MAX_RETRY_MS` (115 days, ten digits) reads as that cap;
* an unterminated final block is never dispatched and its id never used.

Why our own: httpx-sse 0.4.3 gets 9 of 78 spec cases wrong (BOM, phantom events, charset,
retry), see docs/client.md. Speed: the decoder works on bytes, finds line ends with
``bytes.find`` over whole buffered chunks, and decodes each line once.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["MAX_RETRY_MS", "SSEDecodeError", "SSEDecoder", "SSEEvent"]

#: The largest ``retry`` value kept (ms, ten digits); a larger one, of any length, reads as this.
MAX_RETRY_MS = 9_999_999_999
_RETRY_DIGITS = len(str(MAX_RETRY_MS))

_BOM = b"\xef\xbb\xbf"


class SSEEvent(NamedTuple):
    """One dispatched event.

    A named tuple: the decoder builds each one with a single C call (``tuple.__new__``), where a
    frozen dataclass needed five (0.12 us against 0.3 us per event, the largest per-event cost
    left at TCP-sized reads).

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


_LINE_END = re.compile(rb"\r\n|\r|\n")
_MAX_DEFER = 4096  # longest run of complete lines held back waiting for their blank line

# A common whole block: optional "id", optional "event", one "data" line, blank line (groups:
# id flag, id value, event flag, event, data); otherwise one non-blank line with its LF, or a whole
# run of blank lines (group 6). Every line start matches one of the alternatives, so findall covers
# the text contiguously. An id with NUL fails the first alternative and goes through the generic
# path (which ignores it). A run of blank lines is one token because the second and later blank
# lines of a run change nothing (the first one dispatched or dropped the block and reset the event
# type, the retry and the last event id from the id buffer, which a blank line leaves alone): a
# gzip "newline bomb" (16 MiB of LF from 16 KB on the wire) then costs a few tokens per read.
_TOKENS = re.compile(
    r"(?:(id:) ?([^\n\x00]*)\n)?(?:(event:) ?([^\n]*)\n)?data: ?([^\n]*)\n\n|([^\n]+\n|\n+)"
).findall

_new = tuple.__new__


class SSEDecoder:
    """Incremental decoder: feed bytes in any split, get the same events.

    Args:
        max_line_bytes: Longest accepted line (bytes, without its line end).
        max_event_bytes: Largest accepted data buffer of one block (bytes of data line values).
        event_class: What to build events as: :class:`SSEEvent` or a subclass of it (the
            client's ``IncomingEvent``), so that no second object is made per event.
    """

    __slots__ = (
        "_block_retry",
        "_buf",
        "_bytes",
        "_closed",
        "_cls",
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

    def __init__(
        self,
        *,
        max_line_bytes: int = 1 << 20,
        max_event_bytes: int = 8 << 20,
        event_class: type[SSEEvent] = SSEEvent,
    ) -> None:
        """Create a decoder at the start of a stream."""
        if not (isinstance(event_class, type) and issubclass(event_class, SSEEvent)):
            raise TypeError(f"{event_class!r} must be SSEEvent or a subclass of it")
        self._cls = event_class
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

        The steps: hold back a piece of a long line (:meth:`_hold_piece`), settle the stream's
        start (:meth:`_settle_start`: BOM, an LF pairing a CR that ended the previous chunk), cut
        off the complete lines (here), then decode them into events (:meth:`_events`). The cut
        stays inline: a read costs one method call beyond this one (a second measured ~1% at
        TCP-sized reads), and every per-line and per-event step stays inline in :meth:`_events`.

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
            self._hold_piece(chunk)
            return []
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts = []
            self._parts_len = 0
        buf = self._buf + chunk if self._buf else chunk
        if not self._started or self._skip_lf:
            settled = self._settle_start(buf)
            if settled is None:
                return []
            buf = settled
        # One scan for CR per read spares three later ones: most streams use LF only, and at
        # TCP-sized reads the fixed cost per read is what counts.
        cr = b"\r" in buf
        last = max(buf.rfind(b"\n"), buf.rfind(b"\r")) if cr else buf.rfind(b"\n")
        if last < 0:
            if len(buf) > self._max_line:
                raise self._line_error(len(buf))
            self._buf = buf
            return []
        if len(buf) - last - 1 > self._max_line:
            raise self._line_error(len(buf) - last - 1)
        # Small reads (TCP segments) usually end inside a block. Its complete lines are kept as
        # bytes until the block's blank line arrives, so the block goes through the fast path in
        # one piece. Only safe when deferring is unobservable: no retry line (applied at once), no
        # CR (CR-LF pairing), and a short tail (no quadratic re-buffering of a huge block).
        cut = buf.rfind(b"\n\n", 0, last + 1) + 2
        if (
            cut > 1
            and last + 1 - cut <= _MAX_DEFER
            and cut <= last
            and (not cr or b"\r" not in buf[cut:])
            and b"retry" not in (tail := buf[cut:])
        ):
            complete = buf[:cut]
            self._buf = tail
        else:
            complete = buf[: last + 1]
            self._buf = rest = buf[last + 1 :]
            if buf[last] == 0x0D and not rest:
                self._skip_lf = True  # CR at the end: an LF opening the next chunk belongs to it
        if len(complete) > self._max_line:
            longest = max(map(len, _LINE_END.split(complete)))
            if longest > self._max_line:
                raise self._line_error(longest, exact=True)
        return self._events(complete, cr)

    def _hold_piece(self, chunk: bytes) -> None:
        # Middle of a long line: collect the pieces and join once at its end, so a line that
        # arrives in many small reads costs linear, not quadratic, time.
        self._parts.append(chunk)
        self._parts_len += len(chunk)
        if self._parts_len + len(self._buf) > self._max_line:
            raise self._line_error(self._parts_len + len(self._buf))

    def _line_error(self, size: int, *, exact: bool = False) -> SSEDecodeError:
        # ``size`` is what was seen of a line so far, or (exact) the whole line's length.
        seen = "" if exact else "more than "
        return SSEDecodeError(f"SSE line of {seen}{size} bytes exceeds the limit of {self._max_line} bytes")

    def _settle_start(self, buf: bytes) -> bytes | None:
        # Strip one BOM at the very start and an LF that completes a CR ending the previous chunk;
        # None: nothing to decode yet (the bytes so far are kept).
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._buf = buf  # maybe a BOM split across chunks: wait for more
                return None
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if self._skip_lf:
            if not buf:
                self._buf = b""
                return None
            self._skip_lf = False
            if buf[0] == 0x0A:
                buf = buf[1:]
        return buf

    def _events(self, complete: bytes, cr: bool) -> list[SSEEvent]:
        # Decode complete lines and turn them into events: the hot loop.
        text = complete.decode("utf-8", "replace")
        if cr and "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        out: list[SSEEvent] = []
        append = out.append
        big = len(complete) > self._max_event
        new = _new
        cls = self._cls
        # One C-level pass cuts the text into common whole blocks (optional id, optional event,
        # one data line, blank line) and single other lines; Python then does a few operations per
        # event instead of per line.
        # The hot loop keeps the id state in locals and writes it back around every call into the
        # generic path (which reads and writes the attributes) and at the end.
        pending = self._pending_id
        last_id = self._last_id
        clean = not (big or self._data or self._event or self._block_retry is not None)
        for id_flag, id_value, ev_flag, ev_type, data, line in _TOKENS(text):
            if line or not clean:
                self._pending_id = pending
                self._last_id = last_id
                if line:
                    if line[0] == "\n":  # one blank line or a run of them: dispatch once
                        self._dispatch(out)
                    else:
                        self._text_line(line[:-1])
                else:
                    # A block already in progress (or a possibly oversized one): apply its lines
                    # one by one.
                    if id_flag:
                        self._pending_id = id_value
                    if ev_flag:
                        self._event = ev_type
                    self._add_text_data(data)
                    self._dispatch(out)
                pending = self._pending_id
                last_id = self._last_id
                clean = not (big or self._data or self._event or self._block_retry is not None)
                continue
            if id_flag:
                pending = id_value
            last_id = pending
            append(new(cls, (ev_type or "message", data, last_id, None)))
        self._pending_id = pending
        self._last_id = last_id
        return out

    def _text_line(self, line: str) -> None:
        # Generic field handling for one decoded, non-empty line.
        if line[0] == ":":  # comment
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._add_text_data(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self._pending_id = value
        elif name == "retry":
            if value and value.isascii() and value.isdigit():
                # More digits than any sane delay: the cap, not int()'s ValueError (4,301+
                # digits) nor a number no float holds; the policy clamps it further.
                ms = int(value) if len(value) <= _RETRY_DIGITS else MAX_RETRY_MS
                self._retry = self._block_retry = min(ms, MAX_RETRY_MS)
        # other field names are ignored

    def _add_text_data(self, value: str) -> None:
        self._data_size += len(value.encode()) + 1
        if self._data_size > self._max_event:
            raise SSEDecodeError(
                f"SSE event data of more than {self._data_size} bytes exceeds the limit of "
                f"{self._max_event} bytes"
            )
        self._data.append(value)

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
        out.append(self._cls(event_type, "\n".join(data), self._last_id, retry))
