"""anyio WebSocket client: TCP, TLS (verification on), handshake, reader task, keep-alive.

Thin by design (DESIGN section 5): it opens the connection, moves bytes, arms the deadlines
`_ws_glue.WebSocketClient` asks for (``anyio.current_time()`` is its ``now``) and maps
exceptions. What the messages mean is the protocol machines' business::

    async with WebSocketTransport.connect_config(config) as ws:      # Responses WS mode
        await ws.send_text(frame)                # bytes from machine.data_to_send()
        event = await ws.receive()               # TextMessage | BinaryMessage | Closed
        if isinstance(event, TextMessage):
            machine.receive_message(event.data)
        elif isinstance(event, Closed):          # event.code, .retryable, .error
            machine.connection_lost()

``WebSocketTransport.connect(url, headers=base_headers(config), ...)`` opens any URL (the
Realtime API next). The connection owns one task group with one reader task, which answers
pings while the application is busy, sends keep-alive pings, enforces the idle timeout and
puts each socket read's events, as one batch, on a bounded memory stream (`max_queue`
batches): when the application stops receiving, the reader stops reading and TCP pushes back
(the keep-alive clocks are paused meanwhile: the server is not blamed for our stall).

- Timeouts: ``connect_timeout`` (TCP + TLS), ``handshake_timeout`` (request written, 101
  read), ``write_timeout`` (each send), ``close_timeout`` (the server's close reply),
  ``idle_timeout`` (no byte from the server, i.e. the read timeout; keep-alive pongs count,
  so a healthy idle connection never trips it), ``ping_interval`` / ``ping_timeout``.
  Connect and handshake timeouts raise `APITimeoutError` (``connect``), a write timeout
  ``write``; ping and idle timeouts end the connection with ``Closed(1011)``.
- Plain ``ws://`` is refused for non-loopback hosts unless ``allow_insecure=True``
  (`InsecureTransportError`, raised by `connect` itself, before any connection attempt).
- A refused upgrade raises `WebSocketHandshakeError` (status, headers, body, typed APIError).
- ``connected_at`` (anyio clock) lets the caller rotate before the server's 60-minute limit.
- ``trace=hook`` gets ``hook(op, fields)`` for ``request`` (headers redacted), ``response``,
  ``send``, ``recv``, ``closed``; `trace_to_recorder` writes them to a `TraceRecorder`.
"""

from __future__ import annotations

import functools
import math
import os
import ssl
from collections import deque
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

import anyio
import anyio.abc
import anyio.streams.tls

from ..errors import APIConnectionError, APITimeoutError, InsecureTransportError
from ..protocol._errors import LocalProtocolError, RemoteProtocolError
from ..protocol.requests import ClientConfig, base_headers, responses_ws_url
from ..protocol.trace import redact_url
from ._ws_events import BinaryMessage, Closed, TextMessage, WSEvent, backoff_delays
from ._ws_glue import DEFAULT_MAX_MESSAGE_SIZE, WebSocketClient, WSState
from ._ws_handshake import HandshakeAccepted
from ._ws_report import handshake_error, redact_headers, trace_to_recorder
from .http import TraceHook, _is_loopback

__all__ = [
    "BinaryMessage",
    "Closed",
    "TextMessage",
    "WSEvent",
    "WebSocketTransport",
    "backoff_delays",
    "trace_to_recorder",
]

READ_SIZE: Final = 65536
"""Bytes asked of the socket per read: a burst of small event frames arrives in one call."""
_STREAM_ERRORS: Final = (
    anyio.EndOfStream,
    anyio.BrokenResourceError,
    anyio.ClosedResourceError,
    OSError,  # includes ssl.SSLError
)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


async def _close_quietly(stream: anyio.abc.AsyncResource) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await stream.aclose()
        except (*_STREAM_ERRORS, RemoteProtocolError):
            pass


class WebSocketTransport:
    """One open client WebSocket. Get it from `connect` / `connect_config` (``async with``).

    `send_text` writes a text message; `receive` returns the next `TextMessage`,
    `BinaryMessage` or, last (and then again on every call), `Closed`; ``async for event in
    ws`` does the same and stops after `Closed`. `aclose` runs the closing handshake.
    """

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        client: WebSocketClient,
        accepted: HandshakeAccepted,
        opener: _Connect,
    ) -> None:
        self._stream = stream
        self._client = client
        self.url = redact_url(opener.url)
        """The URL, credential-like query parameters redacted."""
        self.response_headers = accepted.headers
        self.subprotocol = accepted.subprotocol
        self.connected_at = anyio.current_time()
        """When the handshake completed (anyio clock): rotate before the server's limit."""
        self.write_timeout = opener.write_timeout
        self.close_timeout = opener.close_timeout
        self._trace = opener.trace
        self._tx, self._rx = anyio.create_memory_object_stream[list[WSEvent]](opener.max_queue)
        self._pending: deque[WSEvent] = deque()
        self._closed: Closed | None = None
        self._exhausted = False
        self._write_lock = anyio.Lock(fast_acquire=True)  # no yield when free: one per frame
        self._reader_scope = anyio.CancelScope()

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        subprotocols: Sequence[str] = (),
        ssl_context: ssl.SSLContext | None = None,
        allow_insecure: bool = False,
        connect_timeout: float = 15.0,
        handshake_timeout: float = 15.0,
        write_timeout: float | None = 15.0,
        close_timeout: float = 5.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        idle_timeout: float | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_queue: int = 16,
        trace: TraceHook | None = None,
    ) -> _Connect:
        """``async with WebSocketTransport.connect(url, headers=...) as ws:`` (see module).

        `headers` go with the upgrade request (``base_headers(config)``: user agent, auth,
        organization, project); `subprotocols` serve browser-style Realtime auth. Raises
        here: `InsecureTransportError`, `LocalProtocolError` (bad URL, reserved header);
        on entering: `APITimeoutError`, `APIConnectionError`, `WebSocketHandshakeError`,
        `RemoteProtocolError` (the server does not speak WebSocket).
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname
        try:
            explicit_port = parts.port
        except ValueError:
            host = None
        if scheme not in ("ws", "wss") or not host:
            raise LocalProtocolError(f"not a ws:// or wss:// URL: {redact_url(url)!r}")
        if scheme == "ws" and not allow_insecure and not _is_loopback(host):
            raise InsecureTransportError(
                f"refusing plain ws:// to non-loopback host {host!r}; use wss:// "
                "or pass allow_insecure=True"
            )
        tls = scheme == "wss"
        port = explicit_port or (443 if tls else 80)
        name = f"[{host}]" if ":" in host else host
        headers = list(headers)
        client = WebSocketClient(
            host=name if port == (443 if tls else 80) else f"{name}:{port}",
            target=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
            headers=headers,
            key=os.urandom(16),
            mask_key=functools.partial(os.urandom, 4),
            subprotocols=subprotocols,
            max_message_size=max_message_size,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            idle_timeout=idle_timeout,
        )
        trace_headers = [("host", client.host), *headers]
        if subprotocols:
            trace_headers.append(("sec-websocket-protocol", ", ".join(subprotocols)))
        return _Connect(
            cls,
            client,
            url=url,
            tls=tls,
            host=host,
            port=port,
            ssl_context=ssl_context,
            connect_timeout=connect_timeout,
            handshake_timeout=handshake_timeout,
            write_timeout=write_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
            trace=trace,
            secrets=(headers, tuple(subprotocols)),
            trace_headers=redact_headers(trace_headers),
        )

    @classmethod
    def connect_config(
        cls, config: ClientConfig, *, url: str | None = None, **options: Any
    ) -> _Connect:
        """`connect` for `config`: the Responses WebSocket URL (or `url`), `base_headers`,
        `config.timeouts` (connect; write; ``read`` as the idle timeout), then `options`."""
        timeouts = config.timeouts
        defaults: dict[str, Any] = {
            "connect_timeout": timeouts.connect,
            "handshake_timeout": timeouts.connect,
            "write_timeout": timeouts.write,
            "idle_timeout": timeouts.read,
        }
        return cls.connect(
            url or responses_ws_url(config),
            headers=base_headers(config),
            **{**defaults, **options},
        )

    # ------------------------------------------------------------------ running

    async def _start(self) -> anyio.abc.TaskGroup:
        events = self._client.start(anyio.current_time())  # frames that came with the 101
        await self._flush_quietly()
        if events:
            self._record(events)
            self._tx.send_nowait(events)
        group = anyio.create_task_group()
        await group.__aenter__()
        group.start_soon(self._run_reader)
        return group

    async def _run_reader(self) -> None:
        with self._reader_scope:
            await self._reader()

    async def _reader(self) -> None:
        """Read, feed the glue, write its control frames, queue its events; until Closed."""
        client = self._client
        stream = self._stream
        tx = self._tx
        try:
            while client.state is WSState.OPEN or client.state is WSState.CLOSING:
                deadline = client.next_deadline()
                data: bytes | None = None
                try:
                    with anyio.CancelScope(deadline=math.inf if deadline is None else deadline):
                        data = await stream.receive(READ_SIZE)
                except _STREAM_ERRORS:
                    data = b""
                now = anyio.current_time()
                if data is None:
                    events = client.handle_timeout(now)
                else:
                    events = client.receive_data(data, now)
                await self._flush_quietly()
                if events:
                    self._record(events)
                    try:
                        tx.send_nowait(events)
                    except anyio.WouldBlock:
                        await tx.send(events)
                        client.reader_resumed(anyio.current_time())
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # aclose() closed the event stream: nobody listens any more
        finally:
            tx.close()
            await _close_quietly(stream)

    def _record(self, events: list[WSEvent]) -> None:
        trace = self._trace
        if trace is None:
            return
        for event in events:
            if isinstance(event, TextMessage):
                trace("recv", {"data": event.data})
            elif isinstance(event, BinaryMessage):
                trace("recv", {"data": event.data, "binary": True})
            else:
                trace("closed", {"code": event.code, "reason": event.reason, "by": event.by})

    async def _write(self) -> None:
        async with self._write_lock:
            out = self._client.data_to_send()
            if not out:
                return
            payload = out[0] if len(out) == 1 else b"".join(out)
            try:
                if self.write_timeout is None:
                    await self._stream.send(payload)
                else:
                    with anyio.fail_after(self.write_timeout):
                        await self._stream.send(payload)
            except BaseException:
                # a frame may be half written, so the connection is unusable: close it; the
                # reader then reads EOF and reports Closed(1006)
                await _close_quietly(self._stream)
                raise

    async def _flush_quietly(self) -> None:
        if not self._client.wants_write:
            return
        try:
            await self._write()
        except (TimeoutError, *_STREAM_ERRORS):
            pass

    # ------------------------------------------------------------------ public API

    @property
    def closed(self) -> Closed | None:
        """The `Closed` event once `receive` returned it, else ``None``."""
        return self._closed

    def age(self) -> float:
        """Seconds since the handshake completed (anyio clock)."""
        return anyio.current_time() - self.connected_at

    async def send_text(self, data: str | bytes) -> None:
        """Send one text message (str, or UTF-8 bytes such as a machine's JSON frames).

        Raises `APIConnectionError` when the connection is closed or breaks,
        `APITimeoutError` (``write``), `LocalProtocolError` over `max_message_size`.
        """
        client = self._client
        if client.state is not WSState.OPEN:
            raise APIConnectionError(f"the WebSocket is {client.state.value}; cannot send")
        client.send_text(data)
        if self._trace is not None:
            self._trace("send", {"data": data.encode() if isinstance(data, str) else data})
        try:
            await self._write()
        except TimeoutError:
            raise APITimeoutError("write") from None
        except _STREAM_ERRORS as exc:
            raise APIConnectionError(f"the WebSocket broke while sending: {exc}") from None

    async def send_texts(self, messages: Sequence[str | bytes]) -> None:
        """Send several text messages in one write (one syscall, one timeout scope): what a
        machine's ``data_to_send()`` returned. Raises as `send_text`; after an error none of
        `messages` can be known to have arrived."""
        client = self._client
        if client.state is not WSState.OPEN:
            raise APIConnectionError(f"the WebSocket is {client.state.value}; cannot send")
        trace = self._trace
        for data in messages:
            client.send_text(data)
            if trace is not None:
                trace("send", {"data": data.encode() if isinstance(data, str) else data})
        try:
            await self._write()
        except TimeoutError:
            raise APITimeoutError("write") from None
        except _STREAM_ERRORS as exc:
            raise APIConnectionError(f"the WebSocket broke while sending: {exc}") from None

    async def receive(self) -> WSEvent:
        """The next event: `TextMessage`, `BinaryMessage`, or `Closed` (last, then again on
        every call). Never raises for connection problems: they arrive as `Closed`."""
        pending = self._pending
        if not pending:
            if self._closed is not None:
                return self._closed
            try:
                pending.extend(await self._rx.receive())
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                self._closed = Closed(code=1006, reason="connection lost", by="client")
                return self._closed
        event = pending.popleft()
        if isinstance(event, Closed):
            self._closed = event
        return event

    def __aiter__(self) -> WebSocketTransport:
        return self

    async def __anext__(self) -> WSEvent:
        if self._exhausted:
            raise StopAsyncIteration
        event = await self.receive()
        self._exhausted = isinstance(event, Closed)
        return event

    async def aclose(self, code: int = 1000, reason: str = "") -> None:
        """Close: send a close frame, drop the messages still coming, wait up to
        `close_timeout` for the server's reply, then drop the TCP connection. Idempotent."""
        with anyio.CancelScope(shield=True):
            if self._client.state is WSState.OPEN:
                self._client.close(code, reason)
                await self._flush_quietly()
            with anyio.move_on_after(self.close_timeout):
                while self._closed is None:
                    await self.receive()
            self._reader_scope.cancel()
            await _close_quietly(self._stream)
            self._tx.close()
            self._rx.close()
            if self._closed is None:
                self._closed = Closed(code=1006, reason="no close reply in time", by="client")


class _Connect:
    """What `WebSocketTransport.connect` returns: ``async with`` opens (TCP, TLS, handshake,
    reader task started) and closes. Single use. The transport's task group is entered in
    `__aenter__` and exited in `__aexit__`, in the task running the ``async with``."""

    def __init__(
        self,
        transport_class: type[WebSocketTransport],
        client: WebSocketClient,
        *,
        url: str,
        tls: bool,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        connect_timeout: float,
        handshake_timeout: float,
        write_timeout: float | None,
        close_timeout: float,
        max_queue: int,
        trace: TraceHook | None,
        secrets: tuple[list[tuple[str, str]], tuple[str, ...]],
        trace_headers: list[tuple[str, str]],
    ) -> None:
        self._class = transport_class
        self._client = client
        self.url = url
        self._tls = tls
        self._host = host
        self._port = port
        self._ssl_context = ssl_context
        self._connect_timeout = connect_timeout
        self._handshake_timeout = handshake_timeout
        self.write_timeout = write_timeout
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        self.trace = trace
        self._secrets = secrets
        self._trace_headers = trace_headers
        self._used = False
        self._transport: WebSocketTransport | None = None
        self._group: anyio.abc.TaskGroup | None = None

    async def _tcp_tls(self) -> anyio.abc.ByteStream:
        tcp: anyio.abc.ByteStream | None = None
        try:
            with anyio.fail_after(self._connect_timeout):
                stream: anyio.abc.ByteStream = await anyio.connect_tcp(self._host, self._port)
                if not self._tls:
                    return stream
                tcp = stream
                stream = await anyio.streams.tls.TLSStream.wrap(
                    tcp,
                    hostname=self._host,
                    ssl_context=self._ssl_context or _default_ssl_context(),
                    standard_compatible=False,
                )
                return stream
        except BaseException as exc:
            if tcp is not None:  # the TLS handshake failed (bad certificate, timeout, ...)
                await _close_quietly(tcp)
            if isinstance(exc, TimeoutError):
                raise APITimeoutError("connect") from None
            if isinstance(exc, OSError | anyio.BrokenResourceError):
                host = self._client.host
                raise APIConnectionError(f"could not connect to {host}: {exc}") from None
            raise

    async def _handshake(self, stream: anyio.abc.ByteStream) -> HandshakeAccepted:
        client = self._client
        trace = self.trace
        if trace is not None:
            url = redact_url(self.url)
            trace(
                "request",
                {"method": "GET", "url": url, "headers": self._trace_headers, "body": b""},
            )
        try:
            with anyio.fail_after(self._handshake_timeout):
                await stream.send(client.handshake_request())
                answer = None
                while answer is None:
                    try:
                        data = await stream.receive(READ_SIZE)
                    except _STREAM_ERRORS:
                        data = b""
                    answer = client.receive_handshake(data)
        except TimeoutError:
            raise APITimeoutError("connect") from None
        except _STREAM_ERRORS as exc:
            raise APIConnectionError(f"connection failed during the handshake: {exc}") from None
        if trace is not None:
            status = 101 if isinstance(answer, HandshakeAccepted) else answer.status
            trace("response", {"status": status, "headers": redact_headers(answer.headers)})
        if not isinstance(answer, HandshakeAccepted):
            raise handshake_error(answer, *self._secrets)
        return answer

    async def __aenter__(self) -> WebSocketTransport:
        if self._used:
            raise LocalProtocolError("connect() objects are single use; call connect() again")
        self._used = True
        stream = await self._tcp_tls()
        try:
            accepted = await self._handshake(stream)
        except BaseException:
            await _close_quietly(stream)
            raise
        transport = self._class(stream, self._client, accepted, self)
        try:
            self._group = await transport._start()
        except BaseException:
            await transport.aclose()
            raise
        self._transport = transport
        return transport

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        transport, group = self._transport, self._group
        self._transport = self._group = None
        if transport is None or group is None:
            return None
        try:
            await transport.aclose()
        finally:
            group.cancel_scope.cancel()  # stops the reader (normally done after aclose)
        if exc is None or isinstance(exc, anyio.get_cancelled_exc_class()):
            return await group.__aexit__(exc_type, exc, tb)
        # The body's own error is not the task group's: it propagates as it is, not wrapped
        # in an exception group.
        await group.__aexit__(None, None, None)
        return None
