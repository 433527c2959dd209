"""WebSocket client glue without any I/O: handshake, frames in, frames out, keep-alive clock.

Kept free of anyio (and of clocks and entropy: the handshake key and the mask keys are
injected, time is an argument) so it is tested like protocol code. `ws.py` drives one
`WebSocketClient` per connection::

    ws = WebSocketClient(host=..., target=..., headers=base_headers(config), key=os.urandom(16),
                         mask_key=lambda: os.urandom(4))
    write(ws.handshake_request())
    while (answer := ws.receive_handshake(read())) is None: ...   # read() == b"" at EOF
    # HandshakeRejected -> an HTTP error (status, headers, body); HandshakeAccepted -> open:
    events = ws.start(now)
    events = ws.receive_data(read(), now)      # -> TextMessage | BinaryMessage | Closed
    ws.send_text(json_bytes); write(ws.data_to_send())
    # arm ws.next_deadline(); when it passes: ws.handle_timeout(now) (pings, ping/idle timeout)

Who parses which frame. The API sends one unfragmented text frame per JSON event, thousands
per turn, and wsproto costs ~8 µs per small frame where a plain websockets client plus
``json.loads`` costs ~5 µs (bench/ws_frames.py). So this module reads every frame header
itself and handles the one hot shape directly: FIN + TEXT, no RSV bits, unmasked, minimal
length encoding, no fragmented message in progress, within the size bound. Every other frame
(control frames, fragments, binary, anything malformed) is forwarded byte-exactly, whole
frames only, to a `wsproto.connection.Connection`, which validates it and reports pings,
closes, fragments and protocol errors; wsproto's buffer is therefore empty whenever a hot
frame is handled here, and the two parsers cannot disagree about frame boundaries.

Outgoing frames (text, ping, pong, close) are built here with the RFC 6455 layout and masked
by `_mask.mask` (numpy), never by wsproto's pure-Python masker: no global is patched and the
mask keys stay injectable, so outgoing bytes are deterministic in tests.

Bounds: a message is at most `max_message_size` bytes (default 64 MiB: a Responses
``response.completed`` or a Realtime ``session.updated`` can be megabytes, and the SDK
imposes no limit at all). The bound is checked on each frame header, before any payload is
buffered; exceeding it closes with 1009 and a `Closed` event carrying a `RemoteProtocolError`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from typing import Final, Literal

from wsproto import events as wse
from wsproto.connection import Connection, ConnectionState, ConnectionType

from ..protocol._errors import LocalProtocolError, RemoteProtocolError
from ._mask import mask
from ._ws_events import (
    RETRYABLE_CLOSE_CODES,
    BinaryMessage,
    Closed,
    TextMessage,
    WSEvent,
    backoff_delays,
)
from ._ws_handshake import Handshake, HandshakeAccepted, HandshakeRejected

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "RETRYABLE_CLOSE_CODES",
    "BinaryMessage",
    "Closed",
    "HandshakeAccepted",
    "HandshakeRejected",
    "TextMessage",
    "WSEvent",
    "WSState",
    "WebSocketClient",
    "backoff_delays",
]

DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024
"""Largest inbound (and outbound) message: 64 MiB. Responses ``response.completed`` frames
carry the whole response and can be megabytes; the only documented API limit is 15 MiB per
``input_audio_buffer.append``."""
_LOCAL_ONLY_CODES: Final = frozenset({1005, 1006, 1015})
_U16: Final = struct.Struct("!H")
_U64: Final = struct.Struct("!Q")
_HEAD16: Final = struct.Struct("!BBH").pack
_HEAD64: Final = struct.Struct("!BBQ").pack
_TEXT: Final = 0x81  # FIN + opcode 1
_CLOSE: Final = 0x88
_PING: Final = 0x89
_PONG: Final = 0x8A


class WSState(Enum):
    """CONNECTING -> OPEN -> (CLOSING after our close()) -> CLOSED; or -> REJECTED."""

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"
    REJECTED = "rejected"


_OPEN: Final = WSState.OPEN
_CLOSING: Final = WSState.CLOSING
_CLOSED: Final = WSState.CLOSED


def _utf8_ok(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class WebSocketClient:
    """One client WebSocket connection, sans I/O. See the module docstring for the loop.

    `key` is the 16 random bytes of ``Sec-WebSocket-Key``; `mask_key()` returns 4 fresh
    random bytes per frame (RFC 6455 requires unpredictable keys: the transport passes
    ``os.urandom``). Keep-alive: a ping every `ping_interval` seconds, answered within
    `ping_timeout`, else close 1011; `idle_timeout`: close 1011 after that long without a
    byte from the server. ``None`` disables each.
    """

    def __init__(
        self,
        *,
        host: str,
        target: str = "/",
        headers: Iterable[tuple[str, str]] = (),
        key: bytes,
        mask_key: Callable[[], bytes],
        subprotocols: Sequence[str] = (),
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        ping_interval: float | None = None,
        ping_timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        if max_message_size < 1:
            raise LocalProtocolError("max_message_size must be positive")
        self._handshake = Handshake(
            host=host, target=target, headers=headers, key=key, subprotocols=subprotocols
        )
        self.max_message_size = max_message_size
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.idle_timeout = idle_timeout
        self._mask_key = mask_key
        self._state = WSState.CONNECTING
        self._ws = Connection(ConnectionType.CLIENT)
        self._outbox: list[bytes] = []
        # inbound framing
        self._buf = b""  # bytes of an incomplete frame header
        self._parts: list[bytes] = []  # payload pieces of an incomplete hot frame
        self._missing = 0  # bytes still needed to finish that hot frame
        self._slow = 0  # bytes of the current frame still to forward to wsproto
        self._fragmented = False  # a fragmented message is in progress (wsproto's)
        self._frag_size = 0
        self._frag_text: list[str] = []  # wsproto's decoded pieces of a fragmented message
        self._frag_bytes: list[bytes] = []
        # keep-alive clock
        self._last_recv = 0.0
        self._next_ping: float | None = None
        self._ping_payload: bytes | None = None
        self._ping_sent = 0.0
        self._pings = 0

    @property
    def state(self) -> WSState:
        return self._state

    @property
    def host(self) -> str:
        """The ``Host`` header value (``name[:port]``)."""
        return self._handshake.host

    # ------------------------------------------------------------------ handshake

    def handshake_request(self) -> bytes:
        """The upgrade request to write first. Next: `receive_handshake` with every read."""
        return self._handshake.request()

    def receive_handshake(self, data: bytes) -> HandshakeAccepted | HandshakeRejected | None:
        """Feed bytes read during the handshake (``b""`` = EOF); ``None`` = need more.

        `HandshakeAccepted` -> call `start(now)`. `HandshakeRejected` -> the connection is
        done; report the HTTP error. Raises `RemoteProtocolError` (hint ``ws_handshake``) for
        malformed HTTP or a 101 that does not prove the server speaks WebSocket.
        """
        if self._state is not WSState.CONNECTING:
            raise LocalProtocolError("receive_handshake() outside the handshake")
        try:
            answer = self._handshake.receive(data)
        except RemoteProtocolError:
            self._state = _CLOSED
            raise
        if isinstance(answer, HandshakeAccepted):
            self._state = _OPEN
        elif answer is not None:
            self._state = WSState.REJECTED
        return answer

    def start(self, now: float) -> list[WSEvent]:
        """Start the keep-alive clock after `HandshakeAccepted`; returns the events of any
        frames that arrived with the 101 response."""
        if self._state is not _OPEN:
            raise LocalProtocolError("start() needs an accepted handshake")
        self._last_recv = now
        if self.ping_interval is not None:
            self._next_ping = now + self.ping_interval
        trailing, self._handshake.trailing = self._handshake.trailing, b""
        return self.receive_data(trailing, now) if trailing else []

    # ------------------------------------------------------------------ inbound

    def receive_data(self, data: bytes, now: float) -> list[WSEvent]:
        """Feed bytes read from the socket (``b""`` = EOF); returns the completed events.

        Never raises for bad input: a peer protocol violation becomes a `Closed` event with
        `Closed.error` set (and a close frame in `data_to_send`). After `Closed`, input is
        ignored. Then: write `data_to_send()` (pongs, close replies).
        """
        state = self._state
        out: list[WSEvent] = []
        if state is not _OPEN and state is not _CLOSING:
            if state is _CLOSED:
                return out
            raise LocalProtocolError("receive_data() before the handshake completed")
        if not data:
            self._eof(out)
            return out
        self._last_recv = now
        missing = self._missing
        if missing:
            if len(data) < missing:
                self._parts.append(data)
                self._missing = missing - len(data)
                return out
            self._parts.append(data[:missing])
            payload = b"".join(self._parts)
            self._parts = []
            self._missing = 0
            if not (payload.isascii() or _utf8_ok(payload)):
                self._fail(1007, "invalid UTF-8 in a text message", out)
                return out
            if state is _OPEN:
                out.append(TextMessage(payload))
            data = data[missing:]
        slow = self._slow
        if slow and data:
            self._ws.receive_data(data[:slow])
            self._slow = max(0, slow - len(data))
            if not self._drain(out):
                return out
            data = data[slow:]
        if data:
            if self._buf:
                data = self._buf + data
                self._buf = b""
            self._parse(data, out)
        return out

    def _parse(self, buf: bytes, out: list[WSEvent]) -> None:
        """Split `buf` (starting at a frame boundary) into frames; see the module docstring."""
        pos = 0
        end = len(buf)
        limit = self.max_message_size
        deliver = self._state is _OPEN
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            hot = b0 == _TEXT and b1 < 0x80 and not self._fragmented
            n = b1 & 0x7F
            if n < 126:
                head = 2
            elif n == 126:
                if end - pos < 4:
                    break
                n = _U16.unpack_from(buf, pos + 2)[0]
                head = 4
                hot = hot and n > 125
            else:
                if end - pos < 10:
                    break
                n = _U64.unpack_from(buf, pos + 2)[0]
                head = 10
                hot = hot and 0xFFFF < n < 1 << 63
            if hot and n <= limit:
                start = pos + head
                stop = start + n
                if stop > end:
                    self._parts = [buf[start:]]
                    self._missing = stop - end
                    return
                payload = buf[start:stop]
                pos = stop
                if not (payload.isascii() or _utf8_ok(payload)):
                    self._fail(1007, "invalid UTF-8 in a text message", out)
                    return
                if deliver:
                    out.append(TextMessage(payload))
                continue
            pos = self._forward(buf, pos, b0, b1, n, head, out)
            if pos < 0:
                return
        self._buf = buf[pos:]

    def _forward(
        self, buf: bytes, pos: int, b0: int, b1: int, n: int, head: int, out: list[WSEvent]
    ) -> int:
        """Hand one whole frame (as much of it as is here) to wsproto; returns the new
        position in `buf`, or -1 when the connection failed or closed."""
        opcode = b0 & 0x0F
        if opcode <= 2:  # continuation, text, binary: count against the message bound
            size = n + self._frag_size if opcode == 0 else n
            if size > self.max_message_size:
                self._fail(
                    1009,
                    f"message over the {self.max_message_size}-byte limit",
                    out,
                    hint="ws_message_too_big",
                )
                return -1
            fin = b0 & 0x80
            self._fragmented = not fin
            self._frag_size = 0 if fin else size
        total = head + (4 if b1 & 0x80 else 0) + n
        take = min(total, len(buf) - pos)
        self._slow = total - take
        self._ws.receive_data(buf[pos : pos + take])
        return pos + take if self._drain(out) else -1

    def _drain(self, out: list[WSEvent]) -> bool:
        """Turn wsproto's events into ours; False once the connection closed or failed."""
        ws = self._ws
        for event in ws.events():
            if isinstance(event, wse.TextMessage):
                self._frag_text.append(event.data)
                if event.message_finished:
                    text = "".join(self._frag_text)
                    self._frag_text = []
                    if self._state is _OPEN:
                        out.append(TextMessage(text.encode()))
            elif isinstance(event, wse.BytesMessage):
                self._frag_bytes.append(bytes(event.data))
                if event.message_finished:
                    data = b"".join(self._frag_bytes)
                    self._frag_bytes = []
                    if self._state is _OPEN:
                        out.append(BinaryMessage(data))
            elif isinstance(event, wse.Ping):
                if self._state is _OPEN:
                    self._outbox.append(self._control(_PONG, bytes(event.payload)))
            elif isinstance(event, wse.Pong):
                if event.payload == self._ping_payload:
                    self._ping_payload = None
            elif isinstance(event, wse.CloseConnection):
                if ws.state is ConnectionState.REMOTE_CLOSING:  # a real close frame
                    self._close_received(int(event.code), event.reason or "", out)
                else:  # wsproto's ParseFailed
                    reason = event.reason or "protocol error"
                    self._fail(int(event.code), reason, out)
                return False
        return True

    def _close_received(self, code: int, reason: str, out: list[WSEvent]) -> None:
        if self._state is _OPEN:
            self._outbox.append(self._close_frame(code, reason))  # echo it (RFC 6455 5.5.1)
            out.append(Closed(code=code, reason=reason, by="server"))
        else:
            out.append(Closed(code=code, reason=reason, by="client"))
        self._state = _CLOSED

    def _fail(
        self,
        code: int,
        reason: str,
        out: list[WSEvent],
        *,
        hint: str = "ws_protocol_error",
        remote: bool = True,
    ) -> None:
        """Fail the connection (RFC 6455 7.1.7): send a close frame, stop reading."""
        if self._state is _OPEN:
            self._outbox.append(self._close_frame(code, reason))
        self._state = _CLOSED
        error = RemoteProtocolError(f"WebSocket: {reason}", error_hint=hint) if remote else None
        out.append(Closed(code=code, reason=reason, by="client", error=error))

    def _eof(self, out: list[WSEvent]) -> None:
        partial = bool(self._buf or self._missing or self._slow or self._fragmented)
        error = None
        if partial and self._state is _OPEN:
            error = RemoteProtocolError(
                "WebSocket: the connection closed in the middle of a message",
                error_hint="ws_truncated",
            )
        by: Literal["server", "client"] = "server" if self._state is _OPEN else "client"
        self._state = _CLOSED
        out.append(
            Closed(code=1006, reason="connection closed without a close frame", by=by, error=error)
        )

    # ------------------------------------------------------------------ keep-alive

    def next_deadline(self) -> float | None:
        """When `handle_timeout` must run next (a ping is due, or a ping or idle timeout
        expires); ``None`` when nothing is armed or the connection is not open."""
        if self._state is not _OPEN:
            return None
        deadline: float | None = None
        if self._ping_payload is not None:
            if self.ping_timeout is not None:
                deadline = self._ping_sent + self.ping_timeout
        elif self._next_ping is not None:
            deadline = self._next_ping
        if self.idle_timeout is not None:
            idle = self._last_recv + self.idle_timeout
            deadline = idle if deadline is None else min(deadline, idle)
        return deadline

    def handle_timeout(self, now: float) -> list[WSEvent]:
        """Send the due ping, or fail the connection (close 1011) when the server stayed
        silent past `idle_timeout` or left a ping unanswered past `ping_timeout`."""
        out: list[WSEvent] = []
        if self._state is not _OPEN:
            return out
        if self.idle_timeout is not None and now >= self._last_recv + self.idle_timeout:
            self._fail(
                1011, f"idle timeout ({self.idle_timeout:g} s without data)", out, remote=False
            )
        elif self._ping_payload is not None:
            if self.ping_timeout is not None and now >= self._ping_sent + self.ping_timeout:
                self._fail(1011, "keepalive ping timeout", out, remote=False)
        elif self._next_ping is not None and now >= self._next_ping:
            self._pings += 1
            payload = struct.pack("!I", self._pings)
            self._outbox.append(self._control(_PING, payload))
            self._ping_payload = payload
            self._ping_sent = now
            self._next_ping = now + (self.ping_interval or 0.0)
        return out

    def reader_resumed(self, now: float) -> None:
        """The application kept the reader from reading (full event queue) until `now`:
        restart the idle and ping-answer clocks so the server is not blamed for it."""
        self._last_recv = max(self._last_recv, now)
        if self._ping_payload is not None:
            self._ping_sent = max(self._ping_sent, now)

    # ------------------------------------------------------------------ outbound

    def send_text(self, data: str | bytes) -> None:
        """Queue one text message (`data` as str, or bytes that are UTF-8, e.g. JSON from
        msgspec). Next: write `data_to_send()`. Raises `LocalProtocolError` when not open or
        over `max_message_size`."""
        if self._state is not _OPEN:
            raise LocalProtocolError(f"cannot send on a {self._state.value} WebSocket")
        if isinstance(data, str):
            try:
                payload = data.encode()
            except UnicodeEncodeError:
                raise LocalProtocolError("text message is not valid Unicode") from None
        else:
            payload = data
        n = len(payload)
        if n > self.max_message_size:
            raise LocalProtocolError(
                f"message of {n} bytes over the {self.max_message_size}-byte limit"
            )
        key = self._new_mask_key()
        if n < 126:
            head = bytes((_TEXT, 0x80 | n)) + key
        elif n < 65536:
            head = _HEAD16(_TEXT, 0xFE, n) + key
        else:
            head = _HEAD64(_TEXT, 0xFF, n) + key
        self._outbox.append(mask(payload, key, head))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake; the `Closed` event comes with the server's reply
        (or EOF). Idempotent. Next: write `data_to_send()`, keep reading until `Closed`."""
        if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
            raise LocalProtocolError(f"close code {code} cannot be sent")
        if self._state is _OPEN:
            self._outbox.append(self._close_frame(code, reason))
            self._state = _CLOSING
        elif self._state is WSState.CONNECTING:
            self._state = _CLOSED

    @property
    def wants_write(self) -> bool:
        """Whether `data_to_send` has bytes (pongs, pings, close frames, messages)."""
        return bool(self._outbox)

    def data_to_send(self) -> list[bytes]:
        """Drain the bytes to write, in order (text frames, pings, pongs, close)."""
        out, self._outbox = self._outbox, []
        return out

    def _new_mask_key(self) -> bytes:
        key = self._mask_key()
        if len(key) != 4:
            raise LocalProtocolError("mask_key() must return 4 bytes")
        return key

    def _control(self, first: int, payload: bytes) -> bytes:
        key = self._new_mask_key()
        return mask(payload, key, bytes((first, 0x80 | len(payload))) + key)

    def _close_frame(self, code: int, reason: str) -> bytes:
        if code in _LOCAL_ONLY_CODES:
            return self._control(_CLOSE, b"")
        raw = reason.encode()[:123].decode("utf-8", "ignore").encode()
        return self._control(_CLOSE, _U16.pack(code) + raw)
