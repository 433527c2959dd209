"""Server-sent events framing (WHATWG "event stream" parsing), bounded, OpenAI-agnostic.

Bytes in, `ServerSentEvent` records out. Handles CR, LF and CRLF line ends (a CR at the end of
one chunk and the LF at the start of the next are one line break), a leading BOM, comments,
multi-line ``data``, ``event``/``id``/``retry`` fields, dispatch on a blank line, and drops a
half event at EOF. It knows nothing of OpenAI: ``[DONE]`` belongs to the Chat machine.

`data` is kept as UTF-8 *bytes* (joined with ``\\n`` across ``data:`` lines): the JSON decoder
validates the encoding while it parses, which saves a decode/encode round trip per event.

Usage::

    decoder = SSEDecoder()
    for sse in decoder.feed(chunk): ...
    decoder.feed_eof()          # returns nothing; a half event is dropped, as WHATWG says
"""

from __future__ import annotations

import contextlib
import re
from typing import Final

import msgspec

from ._errors import RemoteProtocolError

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "SSEDecoder", "ServerSentEvent"]

DEFAULT_MAX_EVENT_BYTES: Final = 64 * 1024 * 1024
"""Bound on one line and on one event's data (64 MiB).

A ``response.completed`` with a large output, or an image-generation partial image in base64,
can be several megabytes; 64 MiB admits all real traffic while stopping a peer that never
sends a line end from exhausting memory."""

_LINE_SPLIT: Final = re.compile(rb"\r\n|\r|\n")
_BOM: Final = b"\xef\xbb\xbf"


class ServerSentEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event: `event` name (``None`` when the stream sent no ``event:``)."""

    data: bytes
    event: str | None = None
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental, bounded WHATWG event-stream decoder.

    Call `feed` with each chunk as it arrives (any split is fine), then `feed_eof` once.
    `last_event_id` keeps the last ``id`` seen, as a reconnecting client would send it.
    """

    __slots__ = (
        "_at_start",
        "_closed",
        "_data",
        "_data_size",
        "_event",
        "_id_set",
        "_partial",
        "_partial_size",
        "_retry",
        "_skip_lf",
        "last_event_id",
        "max_event_bytes",
    )

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self.last_event_id: str | None = None
        self._partial: list[bytes] = []
        self._partial_size = 0
        self._skip_lf = False
        self._at_start = True
        self._closed = False
        self._data: list[bytes] = []
        self._data_size = 0
        self._event: str | None = None
        self._id_set = False
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume one chunk; return the events it completed (possibly none).

        Raises `RemoteProtocolError` when a line or an event exceeds `max_event_bytes`.
        """
        if self._closed:
            raise RemoteProtocolError("data after end of stream", error_hint="sse_after_eof")
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return []
        has_cr = b"\r" in chunk
        if not has_cr and b"\n" not in chunk:
            self._partial.append(chunk)
            self._partial_size += len(chunk)
            if self._partial_size > self.max_event_bytes:
                raise RemoteProtocolError(
                    f"SSE line longer than {self.max_event_bytes} bytes",
                    error_hint="sse_line_too_long",
                )
            return []
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
            self._partial.clear()
            self._partial_size = 0
            has_cr = b"\r" in chunk
        if has_cr:
            lines = _LINE_SPLIT.split(chunk)
            if chunk[-1:] == b"\r":
                self._skip_lf = True
        else:
            lines = chunk.split(b"\n")
        rest = lines.pop()
        limit = self.max_event_bytes  # every complete line too, or split input would differ
        if len(chunk) > limit and max(map(len, lines), default=0) > limit:
            raise RemoteProtocolError(
                f"SSE line longer than {self.max_event_bytes} bytes",
                error_hint="sse_line_too_long",
            )
        if rest:
            if len(rest) > self.max_event_bytes:
                raise RemoteProtocolError(
                    f"SSE line longer than {self.max_event_bytes} bytes",
                    error_hint="sse_line_too_long",
                )
            self._partial.append(rest)
            self._partial_size = len(rest)
        if self._at_start and lines:
            self._at_start = False
            if lines[0].startswith(_BOM):
                lines[0] = lines[0][3:]
        return self._lines(lines)

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data or self._event is not None or self._id_set or self._retry is not None:
                    out.append(self._dispatch())
                    data = self._data
                continue
            if line[:5] == b"data:":
                value = line[6:] if line[5:6] == b" " else line[5:]
                self._data_size += len(value) + 1  # + the joining "\n"; one too many
                if self._data_size > self.max_event_bytes + 1:
                    raise RemoteProtocolError(
                        f"SSE event larger than {self.max_event_bytes} bytes",
                        error_hint="sse_event_too_large",
                    )
                data.append(value)
                continue
            if line[:1] == b":":
                continue  # comment / keep-alive
            colon = line.find(b":")
            if colon == -1:
                name, value = line, b""
            else:
                name = line[:colon]
                value = (
                    line[colon + 2 :] if line[colon + 1 : colon + 2] == b" " else line[colon + 1 :]
                )
            if name == b"event":
                self._event = value.decode("utf-8", "replace") or None  # "" = default type
            elif name == b"data":  # "data" with no colon: an empty data line
                self._data_size += 1
                if self._data_size > self.max_event_bytes + 1:
                    raise RemoteProtocolError(
                        f"SSE event larger than {self.max_event_bytes} bytes",
                        error_hint="sse_event_too_large",
                    )
                data.append(b"")
            elif name == b"id":
                if b"\x00" not in value:
                    self.last_event_id = value.decode("utf-8", "replace")
                    self._id_set = True
            elif name == b"retry" and value.isdigit():
                # more digits than int() converts (sys.int_max_str_digits): ignored, as the SDK does
                with contextlib.suppress(ValueError):
                    self._retry = int(value)
            # any other field name is ignored, as WHATWG says
        return out

    def _dispatch(self) -> ServerSentEvent:
        data = self._data
        payload = data[0] if len(data) == 1 else b"\n".join(data)
        event = ServerSentEvent(
            payload, self._event, self.last_event_id if self._id_set else None, self._retry
        )
        self._data = []
        self._data_size = 0
        self._event = None
        self._id_set = False
        self._retry = None
        return event

    def feed_eof(self) -> None:
        """End of stream: a half event (no terminating blank line) is dropped. Idempotent."""
        self._closed = True
        self._partial.clear()
        self._partial_size = 0
        self._data = []
        self._data_size = 0
        self._event = None
        self._id_set = False
        self._retry = None
