"""HTTP/1.1 plumbing of the emulator: anyio TCP listener + h11 server connections.

What: `Emulator` serves a listener (keep-alive, one h11 connection per socket, chunked bodies
with one HTTP chunk per SSE event, Content-Length for JSON) and delegates every decision to
`router.Router`; a ``GET`` asking for ``Upgrade: websocket`` is answered by
`Router.handle_upgrade` and, once accepted (101 sent through h11), the socket and the bytes
h11 read past the request (``trailing_data``) go to `ws.serve_websocket` on the same port.
`running()` starts one on loopback for a test and `serve_forever()` runs one for the
``openai-sansio emulator`` command.
Why: anyio only (no asyncio imports), so the same emulator serves asyncio and trio tests.
Next: ``async with running(config) as server:`` then point a client at ``server.base_url``
and inspect ``server.requests`` afterwards.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import h11
from anyio.abc import SocketAttribute

from .errors import ApiError
from .faults import EmulatorConfig, validated
from .realtime_engine import RealtimeEngine
from .router import RecordedRequest, RecordedWebSocket, Reply, Router, WsAccept
from .transcription_rt import ConversationGuard, TranscriptionEngine
from .ws import Engine, serve_websocket
from .ws_engine import WsEngine

__all__ = ["Emulator", "RunningEmulator", "running", "serve_forever"]

MAX_BODY_BYTES = 64 * 1024 * 1024
"""Largest request body accepted (413 beyond): room for base64 images and long contexts."""

MAX_HEADER_BYTES = 64 * 1024
"""h11's bound on the request line plus headers (its default of 16 KiB is tight for Azure)."""

_RECEIVE_SIZE = 65536


class _PayloadTooLarge(Exception):
    pass


class Emulator:
    """A loopback OpenAI emulator: scripted, deterministic (seeded), with fault knobs.

    Create it with an `EmulatorConfig`, then `await serve(listener)` (or use `running()`).
    `requests` lists what it received (WebSocket upgrades included), `ws_connections` every
    accepted WebSocket with its received frames; `internal_errors` collects emulator bugs
    (answered 500, or the WebSocket closed).
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = validated(config or EmulatorConfig())
        self._router = Router(self.config)
        self.internal_errors: list[BaseException] = []

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (method, path, query, redacted headers, parsed JSON body)."""
        return self._router.requests

    @property
    def ws_connections(self) -> list[RecordedWebSocket]:
        """Every accepted Responses WebSocket (upgrade headers redacted, received frames)."""
        return self._router.websockets

    @property
    def ws_frames(self) -> list[list[Any]]:
        """The frames each accepted WebSocket received (one list per connection, in order)."""
        return [ws.frames for ws in self._router.websockets]

    @property
    def realtime_connections(self) -> list[RecordedWebSocket]:
        """Every accepted ``/v1/realtime`` WebSocket (upgrade headers redacted, frames)."""
        return self._router.realtime_sockets

    @property
    def realtime_frames(self) -> list[list[Any]]:
        """The client events each realtime connection received (secrets redacted, in order)."""
        return [ws.frames for ws in self._router.realtime_sockets]

    async def serve(self, listener: anyio.abc.Listener[Any]) -> None:
        """Accept connections on `listener` until cancelled; closes the listener on exit."""
        async with listener:
            await listener.serve(self.handle_connection)

    async def handle_connection(self, stream: anyio.abc.ByteStream) -> None:
        """Serve HTTP/1.1 requests on one connection until either side closes it."""
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        async with stream:
            try:
                await self._serve_connection(conn, stream)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream):
                return  # the client went away; nothing left to do on this connection
            except Exception as exc:  # an emulator bug: keep serving other connections
                self.internal_errors.append(exc)

    async def _serve_connection(self, conn: h11.Connection, stream: anyio.abc.ByteStream) -> None:
        while True:
            try:
                received = await _read_request(conn, stream)
            except h11.RemoteProtocolError as exc:
                reply = self._router.error_reply(
                    ApiError(exc.error_status_hint, f"Malformed HTTP request: {exc}"), close=True
                )
                await _send_reply(conn, stream, reply)
                return
            except _PayloadTooLarge:
                reply = self._router.error_reply(
                    ApiError(413, f"Request body larger than {MAX_BODY_BYTES} bytes."), close=True
                )
                await _send_reply(conn, stream, reply)
                return
            if received is None:
                return
            request, body = received
            method = request.method.decode("ascii", "replace")
            target = request.target.decode("ascii", "replace")
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers]
            try:
                if _wants_websocket(method, headers):
                    answer = self._router.handle_upgrade(method, target, headers)
                    if isinstance(answer, WsAccept):
                        await self._serve_websocket(conn, stream, answer)
                        return
                    reply = answer
                else:
                    reply = self._router.handle(method, target, headers, body)
            except Exception as exc:  # an emulator bug: answer 500, keep serving others
                self.internal_errors.append(exc)
                reply = self._router.error_reply(
                    ApiError(500, "Emulator internal error.", type="server_error"), close=True
                )
            if not await _send_reply(conn, stream, reply):
                return
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _serve_websocket(
        self, conn: h11.Connection, stream: anyio.abc.ByteStream, accept: WsAccept
    ) -> None:
        head = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in accept.headers]
        await _send(conn, stream, h11.InformationalResponse(status_code=101, headers=head))
        trailing, _ = conn.trailing_data
        opened = anyio.current_time()
        engine: Engine
        if accept.kind == "transcription":
            engine = TranscriptionEngine(
                accept.config,
                serial=accept.serial,
                opened_at=opened,
                clock=anyio.current_time,
                recorded=accept.recorded.frames,
                beta=accept.beta,
            )
        elif accept.kind == "realtime":
            voice = RealtimeEngine(
                accept.config,
                serial=accept.serial,
                model=accept.model,
                opened_at=opened,
                clock=anyio.current_time,
                recorded=accept.recorded.frames,
                beta=accept.beta,
            )
            engine = ConversationGuard(voice, accept.model, accept.recorded.frames)
        else:
            engine = WsEngine(self._router, accept.config, opened, accept.recorded.frames)
        await serve_websocket(stream, trailing, engine)


def _wants_websocket(method: str, headers: list[tuple[str, str]]) -> bool:
    """A ``GET`` with ``Upgrade: websocket`` (and ``Connection: upgrade``)."""
    upgrade = ",".join(v for k, v in headers if k.lower() == "upgrade").lower()
    connection = ",".join(v for k, v in headers if k.lower() == "connection").lower()
    tokens = {t.strip() for t in connection.split(",")}
    return method == "GET" and "websocket" in upgrade and "upgrade" in tokens


async def _read_request(
    conn: h11.Connection, stream: anyio.abc.ByteStream
) -> tuple[h11.Request, bytes] | None:
    """The next request and its whole body, or None when the client closed the connection."""
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            if conn.they_are_waiting_for_100_continue:
                await _send(conn, stream, h11.InformationalResponse(status_code=100, headers=[]))
            try:
                data = await stream.receive(_RECEIVE_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                data = b""
            conn.receive_data(data)
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_BODY_BYTES:
                raise _PayloadTooLarge
        elif isinstance(event, h11.EndOfMessage):
            assert request is not None  # h11 guarantees Request before EndOfMessage
            return request, bytes(body)
        else:  # ConnectionClosed or PAUSED
            return None


async def _send_reply(conn: h11.Connection, stream: anyio.abc.ByteStream, reply: Reply) -> bool:
    """Transmit `reply`; False when the connection must now be closed (drop or close)."""
    if reply.frames is None and reply.drop_after is not None:
        return False  # non-streamed drop: close without answering
    if conn.our_state not in (h11.SEND_RESPONSE, h11.IDLE):
        return False
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers]
    if reply.frames is None:
        if reply.delay_s:
            await anyio.sleep(reply.delay_s)
        await _send(conn, stream, h11.Response(status_code=reply.status, headers=headers))
        await _send(conn, stream, h11.Data(data=reply.body))
        await _send(conn, stream, h11.EndOfMessage())
        return True
    await _send(conn, stream, h11.Response(status_code=reply.status, headers=headers))
    for index, frame in enumerate(reply.frames):
        if reply.drop_after is not None and index >= reply.drop_after:
            return False
        gap = reply.delay_s if index else reply.first_delay_s
        if gap:
            await anyio.sleep(gap)
        await _send(conn, stream, h11.Data(data=frame))
    if reply.drop_after is not None:
        return False  # every frame sent, but still no terminating chunk
    await _send(conn, stream, h11.EndOfMessage())
    return True


async def _send(conn: h11.Connection, stream: anyio.abc.ByteStream, event: Any) -> None:
    data = conn.send(event)
    if data:
        await stream.send(data)


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


class RunningEmulator:
    """An emulator serving on a loopback port for the duration of an ``async with`` block.

    Attributes once entered: `base_url` (``http://127.0.0.1:<port>/v1``), `port`, `host`,
    `requests` (see `Emulator.requests`) and `emulator` itself.
    """

    def __init__(self, config: EmulatorConfig | None, host: str, port: int) -> None:
        self.emulator = Emulator(config)
        self.host = host
        self._requested_port = port
        self.port = 0
        self._task_group: anyio.abc.TaskGroup | None = None

    @property
    def base_url(self) -> str:
        """Base URL for a client, including the ``/v1`` prefix."""
        return _url(self.host, self.port)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        return self.emulator.requests

    @property
    def ws_url(self) -> str:
        """The Responses WebSocket URL (``ws://127.0.0.1:<port>/v1/responses``)."""
        return "ws" + self.base_url[len("http") :] + "/responses"

    @property
    def ws_connections(self) -> list[RecordedWebSocket]:
        """See `Emulator.ws_connections`."""
        return self.emulator.ws_connections

    @property
    def ws_frames(self) -> list[list[Any]]:
        """See `Emulator.ws_frames`."""
        return self.emulator.ws_frames

    @property
    def realtime_url(self) -> str:
        """The Realtime WebSocket URL (``ws://127.0.0.1:<port>/v1/realtime``); add ``?model=``."""
        return "ws" + self.base_url[len("http") :] + "/realtime"

    @property
    def realtime_connections(self) -> list[RecordedWebSocket]:
        """See `Emulator.realtime_connections`."""
        return self.emulator.realtime_connections

    @property
    def realtime_frames(self) -> list[list[Any]]:
        """See `Emulator.realtime_frames`."""
        return self.emulator.realtime_frames

    async def __aenter__(self) -> RunningEmulator:
        listener = await anyio.create_tcp_listener(
            local_host=self.host, local_port=self._requested_port
        )
        self.port = listener.extra(SocketAttribute.local_port)
        self._task_group = anyio.create_task_group()
        await self._task_group.__aenter__()
        self._task_group.start_soon(self.emulator.serve, listener)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._task_group is not None
        self._task_group.cancel_scope.cancel()
        # The block's own exception (a failed assert, an outer cancellation) is not handed to
        # the task group, so it propagates as is instead of wrapped in an ExceptionGroup.
        await self._task_group.__aexit__(None, None, None)
        return None


def running(
    config: EmulatorConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Serve an emulator on `host`:`port` (0 = any free port) inside ``async with``.

    Usable from anyio code on asyncio and trio. On exit the listener and every open
    connection are closed.
    """
    return RunningEmulator(config, host, port)


def serve_forever(host: str, port: int, config: EmulatorConfig) -> None:
    """Run an emulator until interrupted (Ctrl-C); prints its base URL once listening.

    Blocking (``anyio.run`` on asyncio); this is what ``openai-sansio emulator --port N`` runs.
    """

    async def main() -> None:
        emulator = Emulator(config)
        listener = await anyio.create_tcp_listener(local_host=host, local_port=port)
        actual = listener.extra(SocketAttribute.local_port)
        print(f"openai-sansio emulator listening on {_url(host, actual)}", flush=True)
        await emulator.serve(listener)

    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(main)
