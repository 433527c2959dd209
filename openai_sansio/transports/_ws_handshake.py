"""The WebSocket opening handshake (RFC 6455 section 4) on h11, without any I/O.

h11 writes the ``GET`` upgrade request and parses the answer: a ``101`` is checked here (the
``Sec-WebSocket-Accept`` token, ``Upgrade``/``Connection``, no extension or subprotocol we
did not offer) and becomes `HandshakeAccepted`; any other status becomes `HandshakeRejected`
with its headers and (bounded) body, because the API refuses upgrades with a plain HTTP error
and an OpenAI JSON body (401, 403, 429 with ``retry-after``) that the caller must see.

Not wsproto's ``H11Handshake``: that one draws its key from ``os.urandom`` itself (so the
request bytes cannot be pinned in tests), keeps no bound on an error body, and hides the bytes
that follow the 101 in a private attribute. Used through `_ws_glue.WebSocketClient`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

import h11
import msgspec

from ..protocol._errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "MAX_HANDSHAKE_HEAD",
    "MAX_REJECT_BODY",
    "Handshake",
    "HandshakeAccepted",
    "HandshakeRejected",
    "accept_token",
]

MAX_HANDSHAKE_HEAD: Final = 64 * 1024
"""Bound on the handshake response head (h11 ``max_incomplete_event_size``); real ones ~1 KiB."""
MAX_REJECT_BODY: Final = 64 * 1024
"""Bytes kept of a refused handshake's body: OpenAI error JSON is < 1 KiB; a proxy's HTML
error page is cut here (`HandshakeRejected.truncated`)."""

_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_RESERVED: Final = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "content-length",
        "transfer-encoding",
    }
)


class HandshakeAccepted(msgspec.Struct, frozen=True):
    """The server switched protocols (headers lower-case). Next: `WebSocketClient.start`."""

    headers: list[tuple[str, str]]
    subprotocol: str | None = None


class HandshakeRejected(msgspec.Struct, frozen=True):
    """The server answered the upgrade with an HTTP status (401, 403, 429, ...) and `body`
    (at most `MAX_REJECT_BODY` bytes; `truncated` when cut or ended early). Next: close the
    socket and report it (``api_error_from_http(status, headers, body)``)."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    truncated: bool = False


def accept_token(key: str) -> str:
    """``Sec-WebSocket-Accept`` for a ``Sec-WebSocket-Key`` (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def _text_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


class Handshake:
    """One client opening handshake: `request()` once, then `receive()` every read.

    `key` is the 16 random bytes of ``Sec-WebSocket-Key`` (injected: no entropy here).
    `headers` must not contain the names the handshake sets itself (``host``, ``upgrade``,
    ``sec-websocket-*``, ...): `LocalProtocolError`. After `HandshakeAccepted`, `trailing`
    holds the bytes that arrived after the 101 (the first frames).
    """

    def __init__(
        self,
        *,
        host: str,
        target: str,
        headers: Iterable[tuple[str, str]],
        key: bytes,
        subprotocols: Sequence[str] = (),
    ) -> None:
        if len(key) != 16:
            raise LocalProtocolError("the Sec-WebSocket-Key needs 16 random bytes")
        self.headers: list[tuple[str, str]] = []
        for name, value in headers:
            if name.lower() in _RESERVED:
                raise LocalProtocolError(f"header {name!r} is set by the WebSocket handshake")
            self.headers.append((name, value))
        self.host = host
        self.target = target
        self.subprotocols = tuple(subprotocols)
        self.key = base64.b64encode(key).decode("ascii")
        self.trailing = b""
        self.done = False
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HANDSHAKE_HEAD)
        self._requested = False
        self._reject: tuple[int, str, list[tuple[str, str]]] | None = None
        self._body: list[bytes] = []
        self._body_size = 0

    def request(self) -> bytes:
        """The upgrade request to write. Next: `receive` with every read."""
        if self._requested:
            raise LocalProtocolError("the handshake request was already produced")
        self._requested = True
        headers = [
            ("Host", self.host),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", self.key),
            ("Sec-WebSocket-Version", "13"),
        ]
        if self.subprotocols:
            headers.append(("Sec-WebSocket-Protocol", ", ".join(self.subprotocols)))
        headers.extend(self.headers)
        try:
            request = h11.Request(method="GET", target=self.target, headers=headers)
            return (self._h11.send(request) or b"") + (self._h11.send(h11.EndOfMessage()) or b"")
        except h11.LocalProtocolError as exc:
            raise LocalProtocolError(f"invalid handshake request: {exc}") from None

    def receive(self, data: bytes) -> HandshakeAccepted | HandshakeRejected | None:
        """Feed bytes read from the socket (``b""`` = EOF); ``None`` = need more.

        Raises `RemoteProtocolError` (hint ``ws_handshake``) for malformed HTTP, a 101 that
        does not prove the server speaks WebSocket, an extension or subprotocol we did not
        offer, or EOF before any answer.
        """
        if self.done or not self._requested:
            raise LocalProtocolError("receive() outside the handshake")
        if not data and self._reject is None:
            raise self._error("the server closed the connection during the WebSocket handshake")
        conn = self._h11
        try:
            conn.receive_data(data)
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED:
                    return None
                if isinstance(event, h11.InformationalResponse):
                    if event.status_code == 101:
                        return self._accept(_text_headers(event.headers))
                elif isinstance(event, h11.Response):
                    reason = event.reason.decode("latin-1")
                    self._reject = (event.status_code, reason, _text_headers(event.headers))
                elif isinstance(event, h11.Data):
                    room = MAX_REJECT_BODY - self._body_size
                    self._body.append(bytes(event.data[:room]))
                    self._body_size += min(room, len(event.data))
                    if len(event.data) > room:
                        return self._rejected(truncated=True)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    return self._rejected(truncated=False)
        except h11.RemoteProtocolError as exc:
            if self._reject is not None:  # the error body was cut short: keep what came
                return self._rejected(truncated=True)
            raise self._error(f"invalid handshake response: {exc}") from None

    def _error(self, message: str) -> RemoteProtocolError:
        self.done = True
        return RemoteProtocolError(message, error_hint="ws_handshake")

    def _rejected(self, *, truncated: bool) -> HandshakeRejected:
        assert self._reject is not None
        status, reason, headers = self._reject
        self.done = True
        return HandshakeRejected(status, reason, headers, b"".join(self._body), truncated)

    def _accept(self, headers: list[tuple[str, str]]) -> HandshakeAccepted:
        values: dict[str, list[str]] = {}
        for name, value in headers:
            values.setdefault(name, []).append(value)
        tokens = {t.strip().lower() for v in values.get("connection", []) for t in v.split(",")}
        if "upgrade" not in tokens:
            raise self._error("101 response without 'Connection: Upgrade'")
        if [v.strip().lower() for v in values.get("upgrade", [])] != ["websocket"]:
            raise self._error("101 response without 'Upgrade: websocket'")
        if values.get("sec-websocket-accept") != [accept_token(self.key)]:
            raise self._error("101 response with a wrong Sec-WebSocket-Accept")
        if any(v.strip() for v in values.get("sec-websocket-extensions", [])):
            raise self._error("the server enabled an extension that was not offered")
        protocols = values.get("sec-websocket-protocol", [])
        subprotocol = protocols[0].strip() if protocols else None
        if len(protocols) > 1 or (subprotocol is not None and subprotocol not in self.subprotocols):
            raise self._error("the server chose a subprotocol that was not offered")
        self.trailing = self._h11.trailing_data[0]
        self.done = True
        return HandshakeAccepted(headers, subprotocol)
