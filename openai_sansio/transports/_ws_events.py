"""What a WebSocket connection yields, and the reconnect policy helpers (pure).

`WebSocketClient.receive_data` (and `WebSocketTransport.receive`) produce exactly these:
`TextMessage` (feed ``.data`` to the protocol machine's ``receive_message``), `BinaryMessage`
(the OpenAI APIs send none: flagged, never fatal) and `Closed` (call the machine's
``connection_lost()``; `Closed.retryable` says whether a reconnect may help, and
`backoff_delays` says when).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

import msgspec

from ..protocol._errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "RETRYABLE_CLOSE_CODES",
    "BinaryMessage",
    "Closed",
    "TextMessage",
    "WSEvent",
    "backoff_delays",
]

RETRYABLE_CLOSE_CODES: Final = frozenset({1001, 1005, 1006, 1011, 1012, 1013, 1015})
"""Close codes after which reconnecting may help (the SDK's ``websocket_reconnection.py``)."""


class TextMessage(msgspec.Struct, frozen=True, gc=False):
    """One complete text message (fragments joined) as UTF-8 bytes, already validated.

    Next: ``machine.receive_message(event.data)``.
    """

    data: bytes


class BinaryMessage(msgspec.Struct, frozen=True, gc=False):
    """A binary message. The OpenAI APIs send none; it is flagged, not failed (protocol.md
    0.3): the caller decides to ignore it."""

    data: bytes


class Closed(msgspec.Struct, frozen=True, kw_only=True):
    """The connection is closed; nothing follows. Next: the machine's ``connection_lost()``.

    `code` is the server's close code (``by="server"``), the one we sent (``by="client"``:
    `close()`, a protocol violation, a keep-alive or idle timeout), or 1006 when the TCP
    connection ended without a close frame. `error` is set when the server broke the
    protocol (bad framing 1002, invalid UTF-8 1007, a message over the bound 1009, a cut
    frame 1006): the event is classified as a `RemoteProtocolError`.
    """

    code: int
    reason: str = ""
    by: Literal["server", "client"] = "server"
    error: RemoteProtocolError | None = None

    @property
    def retryable(self) -> bool:
        """Whether a reconnect may help (`RETRYABLE_CLOSE_CODES`). Server state (the
        Responses connection cache, a Realtime conversation) is lost either way."""
        return self.code in RETRYABLE_CLOSE_CODES


WSEvent = TextMessage | BinaryMessage | Closed


def backoff_delays(
    base: float, cap: float, attempts: int, jitter: Callable[[], float]
) -> list[float]:
    """Seconds to wait before each of `attempts` reconnects: exponential, capped, jittered.

    Attempt ``i`` waits ``c * (0.5 + 0.5 * jitter())`` with ``c = min(cap, base * 2**i)``
    ("equal jitter"): never less than half the ceiling (no hot loop), spread enough to avoid
    reconnect storms. `jitter` returns a float in [0, 1]: the caller passes
    ``random.random``, tests a constant. Pure: no clock, no random source of its own.
    """
    if not (base > 0 and cap >= base and attempts >= 0):
        raise LocalProtocolError("backoff needs base > 0, cap >= base and attempts >= 0")
    delays: list[float] = []
    ceiling = base
    for _ in range(attempts):
        r = jitter()
        if not 0.0 <= r <= 1.0:
            raise LocalProtocolError(f"jitter() must return a value in [0, 1], got {r!r}")
        delays.append(ceiling * (0.5 + 0.5 * r))
        ceiling = min(cap, ceiling * 2)
    return delays
