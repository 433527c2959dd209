"""anyio + h11 HTTP/1.1 client: TCP, TLS (verification on), keep-alive pool, timeouts.

Thin by design (DESIGN section 5): it opens connections, moves bytes, applies the timeouts
and maps exceptions. What the bytes mean is the protocol machines' business.

- `HTTPTransport.send(request)` writes a request and returns an `HTTPResponse` as soon as
  the head arrived; read the body with `receive_some()` (``None`` at the end) and always
  `aclose()` it (or use ``async with``). A fully read body puts the connection back in the
  pool, so the next request skips the TCP and TLS handshakes; an abandoned one closes it.
- Timeouts: ``connect`` (TCP + TLS), ``write`` (sending the request), ``read`` (waiting for
  each piece of the response: also an idle timeout for stalled streams), ``pool`` (waiting
  for a free connection slot). Each raises `APITimeoutError` naming which one.
- Plain ``http://`` is allowed only to loopback addresses unless ``allow_insecure_http``.
"""

from __future__ import annotations

import ipaddress
import select
import ssl
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final

import anyio
import anyio.abc
import anyio.streams.tls
import h11

from ..errors import APIConnectionError, APITimeoutError, InsecureTransportError
from ._h11_glue import BODY_END, H11Exchange, ResponseHead

__all__ = ["HTTPResponse", "HTTPTransport", "TraceHook"]

READ_SIZE: Final = 65536
"""Bytes asked of the socket per read: one TLS record is at most 16 KiB, so 64 KiB lets a
burst of small SSE events arrive in one call."""

DRAIN_SECONDS: Final = 1.0
DRAIN_BYTES: Final = 64 * 1024
"""`HTTPResponse.drain` defaults: after a stream's end event the API ends the body at once
(a ``[DONE]`` line, the chunk terminator), so a normal stream drains without a wait; these
only bound a peer that does not."""

TraceHook = Callable[[str, dict[str, Any]], None]
"""Called as ``hook(op, fields)`` for ``request``, ``response``, ``recv_bytes`` and ``eof``;
the hook adds the time (`anyio.current_time`) and writes the record."""


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Connection:
    __slots__ = ("exchange_conn", "key", "stream")

    def __init__(self, key: tuple[str, str, int], stream: anyio.abc.ByteStream) -> None:
        self.key = key
        self.stream = stream
        self.exchange_conn = h11.Connection(h11.CLIENT)

    def looks_dropped(self) -> bool:
        """An idle keep-alive connection that is readable was closed by the server (or sent
        junk): either way it must not carry a request. Checked without blocking."""
        raw = self.stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
        if raw is None:
            return False
        try:
            readable, _, _ = select.select([raw], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)


class HTTPResponse:
    """A response whose head has arrived; the body is read on demand (pull = backpressure)."""

    def __init__(
        self,
        transport: HTTPTransport,
        connection: _Connection,
        exchange: H11Exchange,
        head: ResponseHead,
        pending: list[bytes],
        done: bool,
    ) -> None:
        self._transport = transport
        self._connection: _Connection | None = connection
        self._exchange = exchange
        self.head = head
        self.status = head.status
        self.headers = head.headers
        self._pending = deque(pending)
        self._done = done
        self.truncated = False
        """True when the connection closed before the end of the body."""

    def header(self, name: str) -> str | None:
        """First value of the lower-case header `name`."""
        return self.head.header(name)

    async def receive_some(self) -> bytes | None:
        """The next body chunk as it arrived (any size), or ``None`` at the end of the body.

        A connection closed or reset mid-body also ends the body (``None``, with `truncated`
        set): feed that to the machine as EOF. Raises `APITimeoutError` (``read``) when
        nothing arrives within the read timeout, `RemoteProtocolError` for malformed HTTP.
        """
        if self._pending:
            return self._pending.popleft()
        if self._done:
            return None
        connection = self._connection
        if connection is None:
            return None
        transport = self._transport
        while True:
            try:
                with anyio.fail_after(transport.read_timeout):
                    data = await connection.stream.receive(READ_SIZE)
            except TimeoutError:
                await self.aclose()
                raise APITimeoutError("read") from None
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                data = b""
            except OSError:
                data = b""  # reset by peer: the body ends here, truncated
            if not data:
                # The peer closed before the end of the body. That is not an exception here:
                # the body simply ends, and the protocol machine decides what a stream cut
                # short means (an ``interrupted`` result with a typed error event).
                self.truncated = True
                transport._trace("eof", {})
                await self.aclose()
                return None
            try:
                parts = self._exchange.receive(data)
            except Exception:
                await self.aclose()
                raise
            tracing = transport.trace is not None
            for part in parts:
                if part is BODY_END:
                    self._done = True
                elif isinstance(part, bytes) and part:
                    if tracing:
                        transport._trace("recv_bytes", {"data": part})
                    self._pending.append(part)
            if self._pending:
                return self._pending.popleft()
            if self._done:
                transport._trace("eof", {})
                await self._release()
                return None

    async def read_all(self, limit: int = 4 * 1024 * 1024) -> bytes:
        """The rest of the body (used for error bodies), at most `limit` bytes."""
        chunks: list[bytes] = []
        size = 0
        while (chunk := await self.receive_some()) is not None:
            size += len(chunk)
            if size > limit:
                await self.aclose()
                raise APIConnectionError(f"response body larger than {limit} bytes")
            chunks.append(chunk)
        if self.truncated:
            raise APIConnectionError("the connection closed in the middle of the body")
        return b"".join(chunks)

    async def drain(
        self,
        max_bytes: int = DRAIN_BYTES,
        max_seconds: float = DRAIN_SECONDS,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> bool:
        """Read what is left of the body after the machine's end event (a trailing
        ``[DONE]``, the last chunk terminator) so that `aclose` can put the connection back
        in the pool; `on_chunk` sees each chunk (a trace records the tail). Bounded: at most
        `max_bytes` within `max_seconds`, so a peer that keeps the body open after the end
        costs a new connection, never a wait. True when the body ended (its end, or the peer
        closed: `truncated`), False when a bound cut the drain short.

        Next: `aclose()` (the connection is reused when the body was read to its end).
        """
        left = max_bytes
        with anyio.move_on_after(max_seconds):
            while left > 0:
                rest = await self.receive_some()
                if rest is None:
                    return True
                left -= len(rest)
                if on_chunk is not None:
                    on_chunk(rest)
        return False

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await self._transport._release(connection, self._exchange.finish())

    async def aclose(self) -> None:
        """Release the connection: back to the pool when the body was read to the end,
        closed otherwise (an abandoned stream cannot be reused). Idempotent."""
        connection, self._connection = self._connection, None
        if connection is not None:
            reusable = self._done and not self._pending and self._exchange.finish()
            await self._transport._release(connection, reusable)

    async def __aenter__(self) -> HTTPResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class HTTPTransport:
    """A pool of keep-alive HTTP/1.1 connections. Use as ``async with`` or call `aclose`."""

    def __init__(
        self,
        *,
        connect_timeout: float = 15.0,
        read_timeout: float = 60.0,
        write_timeout: float = 15.0,
        pool_timeout: float = 15.0,
        max_connections: int = 16,
        allow_insecure_http: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        trace: TraceHook | None = None,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self.pool_timeout = pool_timeout
        self.allow_insecure_http = allow_insecure_http
        self._ssl_context = ssl_context
        self._limiter = anyio.CapacityLimiter(max_connections)
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tokens: dict[int, object] = {}
        self.trace = trace
        self.connections_opened = 0
        self._closed = False

    def _trace(self, op: str, fields: dict[str, Any]) -> None:
        if self.trace is not None:
            self.trace(op, fields)

    def _ssl(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    async def _connect(self, key: tuple[str, str, int]) -> _Connection:
        scheme, host, port = key
        tcp: anyio.abc.ByteStream | None = None
        try:
            with anyio.fail_after(self.connect_timeout):
                tcp = await anyio.connect_tcp(host.strip("[]"), port)
                stream: anyio.abc.ByteStream = tcp
                if scheme == "https":
                    stream = await anyio.streams.tls.TLSStream.wrap(
                        tcp, hostname=host, ssl_context=self._ssl(), standard_compatible=False
                    )
        except BaseException as exc:
            if tcp is not None:  # the TLS handshake failed: do not leak the TCP socket
                with anyio.CancelScope(shield=True):
                    await tcp.aclose()
            if isinstance(exc, TimeoutError):
                raise APITimeoutError("connect") from None
            if isinstance(exc, (OSError, anyio.BrokenResourceError, ssl.SSLError)):
                raise APIConnectionError(f"could not connect to {host}:{port}: {exc}") from None
            raise
        self.connections_opened += 1
        return _Connection(key, stream)

    async def _acquire(self, key: tuple[str, str, int]) -> _Connection:
        token = object()
        try:
            with anyio.fail_after(self.pool_timeout):
                await self._limiter.acquire_on_behalf_of(token)
        except TimeoutError:
            raise APITimeoutError("pool") from None
        try:
            idle = self._idle.get(key, [])
            while idle:
                connection = idle.pop()
                if connection.looks_dropped():
                    await connection.stream.aclose()
                    continue
                self._tokens[id(connection)] = token
                return connection
            connection = await self._connect(key)
        except BaseException:
            self._limiter.release_on_behalf_of(token)
            raise
        self._tokens[id(connection)] = token
        return connection

    async def _release(self, connection: _Connection, reusable: bool) -> None:
        token = self._tokens.pop(id(connection), None)
        if token is not None:
            self._limiter.release_on_behalf_of(token)
        if reusable and not self._closed:
            self._idle.setdefault(connection.key, []).append(connection)
        else:
            with anyio.CancelScope(shield=True):
                await connection.stream.aclose()

    async def send(
        self,
        *,
        method: str,
        scheme: str,
        host: str,
        port: int,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        trace_headers: list[tuple[str, str]] | None = None,
        url: str = "",
    ) -> HTTPResponse:
        """Send one request and wait for the response head (read timeout applies).

        `trace_headers` are the headers to record (already redacted by the caller).
        Raises `InsecureTransportError`, `APITimeoutError` or `APIConnectionError`.
        """
        if self._closed:
            raise APIConnectionError("the transport is closed")
        if scheme == "http" and not self.allow_insecure_http and not _is_loopback(host):
            raise InsecureTransportError(
                f"refusing plain http:// to non-loopback host {host!r}; use https:// "
                "or pass allow_insecure_http=True"
            )
        key = (scheme, host, port)
        connection = await self._acquire(key)
        exchange = H11Exchange(connection.exchange_conn)
        try:
            payload = exchange.request_bytes(method, target, headers, body)
            self._trace(
                "request",
                {"method": method, "url": url, "headers": trace_headers or [], "body": body},
            )
            try:
                with anyio.fail_after(self.write_timeout):
                    await connection.stream.send(payload)
            except TimeoutError:
                raise APITimeoutError("write") from None
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                raise APIConnectionError(f"connection failed while sending: {exc}") from None
            pending: list[bytes] = []
            done = False
            head: ResponseHead | None = None
            while head is None:
                try:
                    with anyio.fail_after(self.read_timeout):
                        data = await connection.stream.receive(READ_SIZE)
                except TimeoutError:
                    raise APITimeoutError("read") from None
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    data = b""
                except OSError as exc:
                    raise APIConnectionError(f"connection failed while reading: {exc}") from None
                parts = exchange.receive(data)
                if not data and head is None and not parts:
                    raise APIConnectionError("the connection closed before a response arrived")
                for part in parts:
                    if isinstance(part, ResponseHead):
                        head = part
                    elif part is BODY_END:
                        done = True
                    elif isinstance(part, bytes) and part:
                        pending.append(part)
        except BaseException:
            await self._release(connection, False)
            raise
        self._trace("response", {"status": head.status, "headers": head.headers})
        for chunk in pending:
            self._trace("recv_bytes", {"data": chunk})
        response = HTTPResponse(self, connection, exchange, head, pending, done)
        if done and not pending:
            self._trace("eof", {})
            await response._release()
        return response

    async def aclose(self) -> None:
        """Close every idle connection; responses still open close when they are released."""
        self._closed = True
        idle, self._idle = self._idle, {}
        with anyio.CancelScope(shield=True):
            for connections in idle.values():
                for connection in connections:
                    await connection.stream.aclose()

    async def __aenter__(self) -> HTTPTransport:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
