"""WebSocket modes over a real socket: wsproto frames in, engine decisions out.

What: `serve_websocket()` runs one accepted connection (after the server sent the 101):
a reader task feeds wsproto with the socket's bytes, answers pings and the client's close,
and hands each complete text message to the engine (`WsEngine` for ``/v1/responses``,
`realtime_engine.RealtimeEngine` for ``/v1/realtime``); the writer (this task) sends what the
engine hands out, one JSON text frame per event (no SSE framing), sleeping where a fault knob
asks, and ends the connection with a close frame or a bare TCP close when told to. An
`Outgoing` with neither frame nor close is a wait: the writer sleeps at most its ``delay_s``
and asks again earlier if a client frame arrives (paced realtime responses).
Why: anyio only, so the same code serves asyncio and trio; all protocol decisions stay in the
pure engine. The reader processes everything one socket read delivered before the writer
runs again, so requests sent together (e.g. creates on two lanes) interleave the same way
every time.
Next: `server.Emulator` calls it after answering the upgrade with 101.
"""

from __future__ import annotations

from typing import Protocol

import anyio
import anyio.abc
import msgspec
from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, TextMessage

from .ws_engine import Close, Outgoing

__all__ = ["Engine", "serve_websocket"]

_RECEIVE_SIZE = 65536
_GONE = (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream)


class Engine(Protocol):
    """What `serve_websocket` drives: a pure per-connection state machine."""

    def receive_text(self, text: str, now: float) -> None: ...

    def receive_binary(self) -> None: ...

    def next_frame(self) -> Outgoing | None: ...


async def serve_websocket(stream: anyio.abc.ByteStream, trailing: bytes, engine: Engine) -> None:
    """Serve one upgraded connection until either side ends it.

    `trailing` is what the client sent after its upgrade request (already read by h11).
    Returns when the client closed, the socket broke, or the engine asked for a close.
    """
    session = _Session(stream, engine)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(session.read, trailing)
        await session.write()
        tasks.cancel_scope.cancel()


class _Session:
    def __init__(self, stream: anyio.abc.ByteStream, engine: Engine) -> None:
        self._stream = stream
        self._engine = engine
        self._ws = Connection(ConnectionType.SERVER)
        self._send_lock = anyio.Lock()
        self._wake = anyio.Event()
        self._ended = False
        self._parts: list[str] = []
        self._binary = False

    async def read(self, trailing: bytes) -> None:
        """Feed received bytes to wsproto and the engine until the connection ends."""
        data: bytes | None = trailing
        while not self._ended:
            if data:
                self._ws.receive_data(data)
            elif data is None:
                self._ws.receive_data(None)  # EOF: wsproto reports an abnormal close
            await self._dispatch()
            self._wake.set()
            if data is None:
                self._ended = True
                return
            try:
                data = await self._stream.receive(_RECEIVE_SIZE)
            except _GONE:
                data = None

    async def _dispatch(self) -> None:
        for event in self._ws.events():
            if isinstance(event, TextMessage | BytesMessage):
                self._message(event)
            elif isinstance(event, Ping):
                await self._send(self._ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                if self._ws.state is ConnectionState.REMOTE_CLOSING:
                    await self._send(self._ws.send(event.response()))
                self._ended = True

    def _message(self, event: TextMessage | BytesMessage) -> None:
        if isinstance(event, TextMessage):
            self._parts.append(event.data)
        elif isinstance(event, BytesMessage):
            self._binary = True
        if not event.message_finished:
            return
        if self._binary:
            self._engine.receive_binary()
        else:
            self._engine.receive_text("".join(self._parts), anyio.current_time())
        self._parts, self._binary = [], False

    async def write(self) -> None:
        """Send the engine's frames until it closes the connection or the client went away."""
        while not self._ended:
            out = self._engine.next_frame()
            if out is None:
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            if out.frame is None and out.close is None:  # a wait: until due or a client frame
                with anyio.move_on_after(out.delay_s):
                    await self._wake.wait()
                if self._wake.is_set():
                    self._wake = anyio.Event()
                continue
            if out.delay_s:
                await anyio.sleep(out.delay_s)
            if out.frame is not None and self._ws.state is ConnectionState.OPEN:
                text = msgspec.json.encode(out.frame).decode()
                await self._send(self._ws.send(TextMessage(data=text)))
            if out.close is not None:
                await self._close(out.close)
                return

    async def _close(self, close: Close) -> None:
        self._ended = True
        if close.code is not None and self._ws.state is ConnectionState.OPEN:
            await self._send(self._ws.send(CloseConnection(code=close.code, reason=close.reason)))
        await self._stream.aclose()

    async def _send(self, data: bytes) -> None:
        async with self._send_lock:
            try:
                await self._stream.send(data)
            except _GONE:
                self._ended = True
                self._wake.set()
