"""Opening a WebSocket with retries: what the Responses and Realtime sessions share.

`open_with_backoff(connect, ...)` calls `connect()` (a fresh `WebSocketTransport.connect(...)`
each attempt: connectors are single use) until a handshake succeeds, waiting
``backoff_delays(...)`` between attempts (jitter injected) and at least the server's
``retry-after`` after a 429/503 (capped). Refusals that retrying cannot fix (401, 403, 400,
...) raise at once; when every attempt failed the last error is raised. The result is an
`Opened`: ``async with opened as ws`` yields the transport and closes it on exit (in the task
that opened it, as the transport's task group requires).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import anyio

from ..errors import APIConnectionError, WebSocketHandshakeError
from ..protocol._errors import RemoteProtocolError
from ._ws_events import backoff_delays
from .ws import WebSocketTransport

__all__ = ["RETRYABLE_STATUS", "Opened", "open_with_backoff"]

RETRYABLE_STATUS: Final = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class Opened:
    """An entered connector: ``async with`` yields its transport and exits the connector."""

    def __init__(self, connector: Any, ws: WebSocketTransport) -> None:
        self._connector = connector
        self.ws = ws

    async def __aenter__(self) -> WebSocketTransport:
        return self.ws

    async def __aexit__(self, *exc: Any) -> None:
        await self._connector.__aexit__(*exc)


async def open_with_backoff(
    connect: Callable[[], Any],
    *,
    attempts: int,
    base: float,
    cap: float,
    jitter: Callable[[], float],
) -> Opened:
    """Open a socket, retrying up to `attempts` times (see the module docstring)."""
    delays = [0.0, *backoff_delays(base, cap, attempts, jitter)]
    last: BaseException | None = None
    for delay in delays:
        asked = last.error.retry_after if isinstance(last, WebSocketHandshakeError) else None
        await anyio.sleep(max(delay, min(asked or 0.0, cap)))
        connector = connect()
        try:
            ws = await connector.__aenter__()
        except WebSocketHandshakeError as exc:
            if exc.status not in RETRYABLE_STATUS:
                raise
            last = exc
        except (APIConnectionError, RemoteProtocolError) as exc:  # timeouts included
            last = exc
        else:
            return Opened(connector, ws)
    assert last is not None
    raise last
