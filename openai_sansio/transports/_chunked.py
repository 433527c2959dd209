"""Incremental decoder of a ``Transfer-Encoding: chunked`` body (RFC 9112 section 7.1).

Why not leave it to h11: the API flushes every SSE event as its own HTTP chunk, so h11 hands
out one ``Data`` event per event and its pure-Python chunk parsing costs more than SSE
framing and typed decoding together (bench/http_stack.py). This decoder returns the payload of
*all* chunks completed by one socket read as a single ``bytes``, with a few ``find`` calls per
chunk. h11 still parses the response head and the last chunk with its trailers, so it keeps
deciding framing errors at the edges and connection reuse.

Strict where it matters: the size must be hex digits (at most 16), chunk extensions are
skipped but bounded, each chunk's data must be followed by CRLF. Violations raise
`RemoteProtocolError`.
"""

from __future__ import annotations

from typing import Final

from ..protocol._errors import RemoteProtocolError

__all__ = ["ChunkedBody"]

MAX_SIZE_LINE: Final = 4096
"""Bound on a chunk-size line incl. extensions (h11 allows a similar few KiB)."""
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")


class ChunkedBody:
    """Feed body bytes with `feed`; it returns ``(payload, tail)``.

    `payload` is the data of the chunks completed so far, joined. `tail` is ``None`` until the
    last chunk (size 0) starts; then it is every byte from that size line on, which the caller
    hands to h11 to finish the message (trailers included). After that, `feed` must not be
    called again.
    """

    __slots__ = ("_buf", "_left")

    def __init__(self) -> None:
        self._buf = b""
        self._left = -1
        """Bytes of chunk data plus its CRLF still expected; -1 while reading a size line."""

    def feed(self, data: bytes) -> tuple[bytes, bytes | None]:
        buf = self._buf + data if self._buf else data
        out: list[bytes] = []
        pos = 0
        end = len(buf)
        left = self._left
        while pos < end:
            if left < 0:
                eol = buf.find(b"\r\n", pos, pos + MAX_SIZE_LINE)
                if eol < 0:
                    if end - pos >= MAX_SIZE_LINE:
                        raise RemoteProtocolError(
                            "chunk size line too long", error_hint="http_chunk"
                        )
                    break
                line = buf[pos:eol]
                semicolon = line.find(b";")
                digits = (line if semicolon < 0 else line[:semicolon]).rstrip(b" \t")
                if not digits or len(digits) > 16 or not _HEX.issuperset(digits):
                    raise RemoteProtocolError(
                        f"invalid chunk size {bytes(line[:32])!r}", error_hint="http_chunk"
                    )
                size = int(digits, 16)
                if size == 0:
                    self._buf = b""
                    return b"".join(out), buf[pos:]
                pos = eol + 2
                left = size + 2
                continue
            available = end - pos
            if available >= left:
                stop = pos + left
                if left > 2:
                    out.append(buf[pos : stop - 2])
                    if buf[stop - 2 : stop] != b"\r\n":
                        raise RemoteProtocolError(
                            "chunk data not followed by CRLF", error_hint="http_chunk"
                        )
                elif buf[pos:stop] != b"\r\n"[2 - left :]:
                    raise RemoteProtocolError(
                        "chunk data not followed by CRLF", error_hint="http_chunk"
                    )
                pos = stop
                left = -1
            else:
                data_left = left - 2
                if data_left > 0:
                    take = min(available, data_left)
                    out.append(buf[pos : pos + take])
                    if (
                        available > data_left
                        and buf[pos + data_left : end] != b"\r"[: available - data_left]
                    ):
                        raise RemoteProtocolError(
                            "chunk data not followed by CRLF", error_hint="http_chunk"
                        )
                elif buf[pos:end] != b"\r\n"[2 - left : 2 - left + available]:
                    raise RemoteProtocolError(
                        "chunk data not followed by CRLF", error_hint="http_chunk"
                    )
                left -= available
                pos = end
        self._left = left
        self._buf = buf[pos:] if pos < end else b""
        return (out[0] if len(out) == 1 else b"".join(out)), None
