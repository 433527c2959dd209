"""h11 client glue without any I/O: request bytes out, response head / body chunks in.

Kept free of anyio so it is tested like protocol code. One `H11Exchange` drives one
request/response cycle on an `h11.Connection(h11.CLIENT)`; when the response is complete and
both sides are DONE, `finish()` starts the next cycle so the connection can be reused.

h11 parses every response head, every non-chunked body and the end of every chunked body (the
last chunk and its trailers). The chunks in between go through `ChunkedBody`, which hands out
one ``bytes`` per socket read instead of one h11 event per chunk: the API sends one chunk per
SSE event, and h11's per-chunk cost dominated the whole client stack (see bench/http_stack.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import h11
import msgspec

from ..protocol._errors import RemoteProtocolError
from ._chunked import ChunkedBody

__all__ = ["BODY_END", "H11Exchange", "ResponseHead"]

MAX_HEADER_BYTES: Final = 64 * 1024
"""Bound on a response head (h11's ``max_incomplete_event_size``); OpenAI heads are ~1 KiB."""


class ResponseHead(msgspec.Struct, frozen=True, gc=False):
    """Status line and headers of a response (header names lower-case)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        """The first value of header `name` (lower-case), or ``None``."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


class _BodyEnd:
    __slots__ = ()

    def __repr__(self) -> str:
        return "BODY_END"


BODY_END: Final = _BodyEnd()
"""Marks the end of the response body in `H11Exchange.receive` output."""


class H11Exchange:
    """One request/response on an h11 client connection.

    Call `request_bytes` once to get the bytes to write, then `receive` with every chunk
    read from the socket; it returns a `ResponseHead`, body chunks (`bytes`) and finally
    `BODY_END`. `receive(b"")` signals EOF. `reusable` says whether the connection may carry
    another request after `finish()`.
    """

    def __init__(self, connection: h11.Connection | None = None) -> None:
        self.connection = connection or h11.Connection(
            h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES
        )
        self.head: ResponseHead | None = None
        self.complete = False
        self._method = b""
        self._head_buffer = b""
        self._chunked: ChunkedBody | None = None

    def request_bytes(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> bytes:
        """Serialise the request with a ``content-length`` body."""
        conn = self.connection
        self._method = method.upper().encode()
        all_headers = [(name, value) for name, value in headers]
        if not any(name.lower() == "content-length" for name, _ in all_headers):
            all_headers.append(("content-length", str(len(body))))
        out = conn.send(h11.Request(method=method, target=target, headers=all_headers)) or b""
        if body:
            out += conn.send(h11.Data(data=body)) or b""
        out += conn.send(h11.EndOfMessage()) or b""
        return out

    def receive(self, data: bytes) -> list[ResponseHead | bytes | _BodyEnd]:
        """Feed bytes read from the socket (``b""`` = EOF); return what they completed.

        Raises `RemoteProtocolError` for malformed HTTP or an EOF in the middle of a response.
        """
        chunked = self._chunked
        if chunked is not None:
            if not data:
                raise RemoteProtocolError(
                    "peer closed connection without sending complete message body "
                    "(incomplete chunked read)",
                    error_hint="http",
                )
            payload, tail = chunked.feed(data)
            out: list[ResponseHead | bytes | _BodyEnd] = [payload] if payload else []
            if tail is not None:
                self._chunked = None
                out.extend(self._h11(tail))
            return out
        if self.head is None and data:
            return self._receive_head(data)
        return self._h11(data)

    def _receive_head(self, data: bytes) -> list[ResponseHead | bytes | _BodyEnd]:
        """Give h11 exactly the head bytes, so the body of a chunked response can bypass it."""
        buffer = self._head_buffer + data
        out: list[ResponseHead | bytes | _BodyEnd] = []
        while self.head is None:
            crlf = buffer.find(b"\r\n\r\n")
            lf = buffer.find(b"\n\n")
            ends = [i + 4 for i in (crlf,) if i >= 0] + [i + 2 for i in (lf,) if i >= 0]
            if not ends:
                if len(buffer) > MAX_HEADER_BYTES:
                    return out + self._h11(buffer)  # h11 reports the oversized head
                self._head_buffer = buffer
                return out
            end = min(ends)
            out.extend(self._h11(buffer[:end]))
            buffer = buffer[end:]
        self._head_buffer = b""
        head = self.head
        if (
            head.status >= 200
            and head.status not in (204, 304)
            and self._method != b"HEAD"
            and self.connection.their_state is h11.SEND_BODY
            and (head.header("transfer-encoding") or "").lower() == "chunked"
        ):
            self._chunked = ChunkedBody()
            return out + (self.receive(buffer) if buffer else [])
        return out + (self._h11(buffer) if buffer else [])

    def _h11(self, data: bytes) -> list[ResponseHead | bytes | _BodyEnd]:
        conn = self.connection
        try:
            conn.receive_data(data)
            out: list[ResponseHead | bytes | _BodyEnd] = []
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return out
                if isinstance(event, h11.Data):
                    out.append(bytes(event.data))
                elif isinstance(event, h11.Response):
                    self.head = ResponseHead(
                        event.status_code,
                        event.reason.decode("latin-1"),
                        [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers],
                    )
                    out.append(self.head)
                elif isinstance(event, h11.EndOfMessage):
                    self.complete = True
                    out.append(BODY_END)
                    return out
                elif isinstance(event, h11.ConnectionClosed):
                    return out
                # InformationalResponse (1xx) carries nothing we need
        except h11.RemoteProtocolError as exc:
            raise RemoteProtocolError(f"invalid HTTP response: {exc}", error_hint="http") from None

    @property
    def reusable(self) -> bool:
        """True when the response completed and both sides may start another cycle."""
        conn = self.connection
        return self.complete and conn.our_state is h11.DONE and conn.their_state is h11.DONE

    def finish(self) -> bool:
        """Start the next cycle when `reusable`; returns whether the connection is reusable."""
        if self.reusable:
            self.connection.start_next_cycle()
            return True
        return False
