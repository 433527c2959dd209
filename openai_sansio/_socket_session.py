"""`SocketSession`: the lifecycle every WebSocket session client shares.

A session (`conversation.ResponsesConnection`, and through `_machine_session.MachineSession`
`realtime_client.RealtimeConnection` and `transcription_session.TranscriptionConnection`) owns
one task group, entered by ``async with`` and left by `aclose`, in which its supervisor opens
sockets, one after the other, for as long as the session lives. Entering waits for the first
socket and raises its error typed; leaving closes the open socket with a closing handshake
(1000) before the tasks are cancelled, so the server sees a normal close, not a cut.

Subclasses implement `_supervise` (call `_first_opened(error)` once the first attempt is
decided) and `_connect` (the connector of one socket, for `_open`: backoff and the trace hook
are here), may start more tasks in `_start_tasks`, and do their own shutdown in
`_closing_down` before the socket closes; `_record_closed` records a socket's end.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import anyio
import anyio.abc

from .protocol.trace import TraceRecorder
from .transports.reconnect import Opened, open_with_backoff
from .transports.ws import WebSocketTransport, trace_to_recorder

__all__ = ["SocketSession"]


class SocketSession:
    """See the module docstring."""

    def __init__(
        self,
        *,
        trace: TraceRecorder | None = None,
        reconnect_attempts: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
        transport_options: dict[str, Any] | None = None,
    ) -> None:
        self._recorder = trace
        self._reconnect_attempts = reconnect_attempts
        self._backoff = (backoff_base, backoff_cap)
        self._jitter = jitter
        self._transport_options = transport_options or {}
        self._group: anyio.abc.TaskGroup | None = None
        self._ws: WebSocketTransport | None = None
        self._closing = False
        self._opened = anyio.Event()
        self._open_error: BaseException | None = None
        self._t0 = 0.0

    def _now(self) -> float:
        """Seconds since the session started (trace time)."""
        return anyio.current_time() - self._t0

    def _first_opened(self, error: BaseException | None = None) -> None:
        """The supervisor's first attempt is decided (`error` when it failed)."""
        if error is not None and not self._opened.is_set():
            self._open_error = error
        self._opened.set()

    async def _supervise(self) -> None:
        raise NotImplementedError

    def _connect(self, options: dict[str, Any]) -> Any:
        """The connector of one socket (``WebSocketTransport.connect(..., **options)``)."""
        raise NotImplementedError

    async def _open(self) -> Opened:
        """Connect (the handshake included), retrying with backoff (`open_with_backoff`);
        with a trace, the socket's frames are recorded."""

        def connect() -> Any:
            options = dict(self._transport_options)
            if self._recorder is not None:
                options["trace"] = trace_to_recorder(self._recorder, t0=self._t0, inbound=False)
            return self._connect(options)

        base, cap = self._backoff
        return await open_with_backoff(
            connect, attempts=self._reconnect_attempts, base=base, cap=cap, jitter=self._jitter
        )

    def _record_closed(self, ws: WebSocketTransport) -> None:
        """Record the end of `ws` (its close code, if it has one) in the trace."""
        if self._recorder is not None:
            closed = ws.closed
            self._recorder.closed(self._now(), closed.code if closed else None)

    def _start_tasks(self, group: anyio.abc.TaskGroup) -> None:
        """Start tasks that live as long as the session (before the supervisor)."""

    async def _closing_down(self) -> None:
        """The subclass's shutdown, before the socket closes (cancel turns, stop tools)."""

    async def __aenter__(self) -> Self:
        self._t0 = anyio.current_time()
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        self._start_tasks(group)
        group.start_soon(self._supervise)
        await self._opened.wait()
        if self._open_error is not None:
            group.cancel_scope.cancel()
            await group.__aexit__(None, None, None)
            self._group = None
            raise self._open_error
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop: the subclass's shutdown, the closing handshake (1000), then the tasks.
        Idempotent."""
        if self._group is None:
            return
        self._closing = True
        group, self._group = self._group, None
        await self._closing_down()
        ws = self._ws
        if ws is not None:  # the closing handshake first: the server sees 1000, not a cut
            with anyio.CancelScope(shield=True):
                await ws.aclose(1000)
            if self._recorder is not None:  # we closed it, normally
                self._recorder.closed(self._now(), 1000)
        group.cancel_scope.cancel()
        await group.__aexit__(None, None, None)
