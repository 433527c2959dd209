"""`MachineSession`: a machine that speaks JSON messages over a WebSocket re-opened for as long
as the session lives.

`realtime_client.RealtimeConnection` (voice) and `transcription_session.TranscriptionConnection`
(realtime transcription) are this, with a different machine. Per socket (`_serve`): the
machine is told it opened (``connection_made``), then three tasks run until the socket ends or
the session asks to leave it:

- the reader (`_reader`): receive, record, feed the machine (`_feed`), hand its events to the
  caller (`_deliver`), wake the writer;
- the writer (`_writer`): ``data_to_send()`` -> ``ws.send_texts`` in one write; frames it took
  and could not write (the socket broke, or the task was cancelled mid-write because the
  socket is being left) are kept and handed to ``connection_lost(unsent)``, so they go first
  on the next socket (both sessions die with their socket, so nothing can count twice);
- the timer (`_timer`): the machine's ``next_deadline()`` in a task of its own.

Why one timer task rather than a timeout scope around every ``receive``: the voice session
receives ~30 frames per second of audio and its deadline (the rollover age) is fixed per
socket, so a scope per frame is pure overhead; the transcription session's deadline (interim
throttling) moves with the deltas. The timer serves both: it sleeps until the deadline it
armed, or until `_rearm_if_moved` (called after each fed message and command: one
``next_deadline()`` call and a compare) tells it the deadline changed. Handling a deadline may
ask to leave the socket (a rollover); the timer then cancels the reader if it is parked in
``receive`` (so no message is cut in half).

The supervisor (`_supervise`) opens sockets one after the other with backoff; a socket that
dies within a second counts as short-lived (unless its replacement was planned: `_planned`),
and after more than ``reconnect_attempts`` of them in a row the caller gets a
``connection_failed`` `APIError` and the session ends, as it does when a reconnection fails.
After each socket the machine hears ``connection_lost(unsent)`` and its conclusions are
delivered.

Hooks for what differs (subclasses set ``machine``, ``input`` and call ``super().__init__``):
`_feed` (how a message reaches the machine), `_deliver` (its events to the caller; sets
`_leave` when the reader must stop: a reconnect or rollover asked for, a fatal error),
`_wants_write` (whether the writer must wake after a message), `_over` (the session is over:
no more sockets), `_emit_closed` (whether the caller sees `Closed`), `_planned` (a planned
replacement is not short-lived).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import anyio
import anyio.abc

from ._socket_session import SocketSession
from .audio.realtime_path import InputPath
from .errors import APIConnectionError
from .protocol._errors import RemoteProtocolError
from .protocol.events.common import APIError
from .transports._ws_events import Closed, TextMessage
from .transports._ws_report import record_received
from .transports.ws import WebSocketTransport

__all__ = ["MachineSession", "SessionMachine"]


class SessionMachine(Protocol):
    """What `MachineSession` asks of its (pure) machine."""

    def connection_made(self, now: float) -> None: ...
    def connection_lost(self, unsent: Sequence[bytes] = ()) -> None: ...
    def append_audio(self, audio: bytes) -> None: ...
    def data_to_send(self) -> list[bytes]: ...
    def events(self) -> Iterator[Any]: ...
    def next_deadline(self) -> float | None: ...
    def handle_timeout(self, now: float) -> None: ...


class MachineSession(SocketSession):
    """See the module docstring. Entering opens the first socket and raises its errors typed;
    iterating yields what `_deliver` emits; leaving closes the socket (1000) and ends it."""

    machine: SessionMachine
    input: InputPath
    _emit_closed = True
    """Hook: hand the socket's `Closed` to the caller (the realtime session always does)."""

    def __init__(
        self, *, url: str, headers: Any, max_events: int, **reconnect_and_trace: Any
    ) -> None:
        super().__init__(**reconnect_and_trace)
        self._url = url
        self._headers = headers
        self._tx, self._rx = anyio.create_memory_object_stream[Any](max_events)
        self._wake = anyio.Event()  # the writer: frames may be queued
        self._leave = anyio.Event()  # the reader: stop, this socket is done (set per socket)
        self._rearm = anyio.Event()  # the timer: the machine's deadline moved
        self._armed: float | None = None  # the deadline the timer sleeps until
        self._planned = False  # the socket is being replaced on purpose (rollover, expiry)
        self._unsent: list[bytes] = []  # frames the dying socket did not take
        self._reader_scope = anyio.CancelScope()
        self._receiving = False  # the reader is parked in ws.receive()

    # ------------------------------------------------------------------ hooks

    def _feed(self, data: bytes) -> None:
        """Hook: give one received message to the machine (may raise `RemoteProtocolError`)."""
        raise NotImplementedError

    async def _deliver(self) -> None:
        """Hook: hand the machine's events to the caller (with `_emit`)."""
        raise NotImplementedError

    def _wants_write(self) -> bool:
        """Hook: after a message, whether the writer must look at ``data_to_send()``."""
        return True

    def _over(self) -> bool:
        """Hook: the session has ended for good (no socket is opened any more)."""
        return False

    # ------------------------------------------------------------------ commands

    def send_audio(self, pcm: bytes) -> None:
        """Caller PCM16 at `input_rate` / `input_channels`; converted and queued (bounded)."""
        converted = self.input.push(pcm)
        if converted:
            self.machine.append_audio(converted)
            self._wake.set()

    def _app(self, call: str, args: dict[str, Any], result: Any) -> None:
        """After a command: record it for replay (``app`` records; audio appends are in
        ``send``), wake the writer, re-arm the timer if the deadline moved."""
        if self._recorder is not None:
            self._recorder.app(self._now(), call, args, result)
        self._wake.set()
        self._rearm_if_moved()

    # ------------------------------------------------------------------ events

    async def _emit(self, item: Any) -> None:
        """Hand `item` to the caller: without a scheduler pass while the stream has room (the
        common case, about 20x cheaper per audio frame), waiting when it is full; dropped
        once the caller's iteration has ended."""
        try:
            self._tx.send_nowait(item)
        except anyio.WouldBlock:
            await self._tx.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    async def aclose(self) -> None:
        """Close the socket (1000), stop the tasks; the event stream ends. Idempotent."""
        await super().aclose()
        self._tx.close()

    # ------------------------------------------------------------------ sockets

    def _connect(self, options: dict[str, Any]) -> Any:
        return WebSocketTransport.connect(self._url, headers=self._headers, **options)

    async def _supervise(self) -> None:
        first = True
        short_lived = 0  # consecutive sockets that died within a second: back off, then stop
        while not self._closing and not self._over():
            if short_lived > self._reconnect_attempts:
                await self._emit(
                    APIError.build(
                        "the server keeps closing the session right after it opens",
                        code="connection_failed",
                        source="transport",
                    )
                )
                break
            if short_lived:
                base, cap = self._backoff
                await anyio.sleep(
                    min(cap, base * 2 ** (short_lived - 1)) * (0.5 + 0.5 * self._jitter())
                )
            try:
                connector = await self._open()
            except Exception as exc:
                if first:
                    self._first_opened(exc)
                    return
                error = getattr(exc, "error", None)
                if not isinstance(error, APIError):
                    error = APIError.build(str(exc), code="connection_failed", source="transport")
                await self._emit(error)
                break  # the session is over: the caller sees the error, then the end
            first = False
            self._leave = anyio.Event()
            opened_at = anyio.current_time()
            async with connector as ws:
                self._first_opened()
                await self._serve(ws)
            brief = anyio.current_time() - opened_at < 1.0 and not self._planned
            short_lived = short_lived + 1 if brief else 0
            self._planned = False
            if not self._closing:
                self._record_closed(connector.ws)
                unsent, self._unsent = self._unsent, []
                self.machine.connection_lost(unsent)
                await self._deliver()
        self._tx.close()

    async def _serve(self, ws: WebSocketTransport) -> None:
        self._ws = ws
        self.machine.connection_made(anyio.current_time())
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._writer, ws)
                group.start_soon(self._timer)
                self._wake.set()
                with anyio.CancelScope() as self._reader_scope:
                    await self._reader(ws)
                group.cancel_scope.cancel()
        finally:
            self._ws = None

    def _rearm_if_moved(self) -> None:
        """Wake the timer when the machine's deadline is not the one it sleeps until."""
        if self.machine.next_deadline() != self._armed:
            self._rearm.set()

    async def _timer(self) -> None:
        """The machine's deadline, re-armed when it moves (see the module docstring)."""
        machine = self.machine
        while True:
            deadline = self._armed = machine.next_deadline()
            rearm = self._rearm = anyio.Event()
            with anyio.CancelScope(deadline=math.inf if deadline is None else deadline) as scope:
                await rearm.wait()
            if not scope.cancelled_caught:
                continue  # the deadline moved: arm the new one
            machine.handle_timeout(anyio.current_time())
            await self._deliver()
            self._wake.set()
            if self._leave.is_set() and self._receiving:
                self._reader_scope.cancel()  # parked in receive: nothing is cut in half

    async def _reader(self, ws: WebSocketTransport) -> None:
        recorder = self._recorder
        while not self._closing and not self._leave.is_set():
            self._receiving = True
            event = await ws.receive()
            self._receiving = False
            if isinstance(event, TextMessage):
                try:
                    if recorder is not None:
                        record_received(recorder, self._now(), event.data)
                    self._feed(event.data)
                except RemoteProtocolError as exc:
                    await self._emit(APIError.build(str(exc), code="bad_frame", source="transport"))
                    return
                await self._deliver()
                if self._wants_write():
                    self._wake.set()
                self._rearm_if_moved()
            elif isinstance(event, Closed):
                if self._emit_closed:
                    await self._emit(event)
                return

    async def _writer(self, ws: WebSocketTransport) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            frames = self.machine.data_to_send()
            if not frames:
                continue
            try:
                await ws.send_texts(frames)
            except APIConnectionError:
                self._unsent = frames  # the socket is closing: these go first on the next
                return
            except anyio.get_cancelled_exc_class():
                self._unsent = frames  # the socket is being left mid-write: likewise
                raise
