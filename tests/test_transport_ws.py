"""The anyio WebSocket transport against independent servers on loopback.

- asyncio: a server built on the ``websockets`` library (its asyncio server), which shares
  no code with ours: echo, rejected handshakes, server close codes, oversized frames, idle
  timeout, TLS (trustme CA), traces, ``connect_config``.
- asyncio and trio: a small wsproto-based server running on anyio (keep-alive pings, a
  server that ignores pings, the client's closing handshake).
Nothing leaves the machine.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import pytest
import trustme
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from wsproto import ConnectionType, WSConnection
from wsproto import events as wse

from openai_sansio.errors import (
    APIConnectionError,
    APITimeoutError,
    InsecureTransportError,
    WebSocketHandshakeError,
)
from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.protocol.requests import ClientConfig
from openai_sansio.protocol.trace import TraceRecorder
from openai_sansio.transports.ws import (
    Closed,
    TextMessage,
    WebSocketTransport,
    trace_to_recorder,
)

pytestmark = pytest.mark.anyio
SECRET = "sk-test-0123456789abcdef"
AUTH = [("authorization", f"Bearer {SECRET}")]

Handler = Callable[[ServerConnection], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class WebsocketsServer:
    """``websockets``' asyncio server on 127.0.0.1 (``async with`` -> base URL)."""

    def __init__(self, handler: Handler, **options: Any) -> None:
        self.handler = handler
        self.options = {"max_size": None, "compression": None, **options}
        self.closes: list[int | None] = []
        self.requests: list[Request] = []

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.requests.append(ws.request)
        try:
            await self.handler(ws)
        finally:
            await ws.wait_closed()
            self.closes.append(ws.close_code)

    async def __aenter__(self) -> str:
        self._server = serve(self._handle, "127.0.0.1", 0, **self.options)
        server = await self._server.__aenter__()
        port = server.sockets[0].getsockname()[1]
        scheme = "wss" if self.options.get("ssl") else "ws"
        return f"{scheme}://127.0.0.1:{port}"

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._server.__aexit__(et, e, tb)


async def echo(ws: ServerConnection) -> None:
    try:
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass


async def test_echo_small_and_several_mib() -> None:
    async with WebsocketsServer(echo) as base:
        async with WebSocketTransport.connect(f"{base}/v1/responses", headers=AUTH) as ws:
            await ws.send_text('{"type":"response.create"}')
            assert await ws.receive() == TextMessage(b'{"type":"response.create"}')
            big = json.dumps({"type": "x", "delta": "é" * (3 << 20)})
            await ws.send_text(big)
            event = await ws.receive()
            assert isinstance(event, TextMessage) and event.data == big.encode()
            for i in range(50):
                await ws.send_text(b'{"n":%d}' % i)
            got = [await ws.receive() for _ in range(50)]
            assert got == [TextMessage(b'{"n":%d}' % i) for i in range(50)]
            assert ws.age() >= 0 and ws.connected_at <= anyio.current_time()
        assert ws.closed == Closed(code=1000, by="client")


OPENAI_401 = json.dumps(
    {
        "error": {
            "message": f"Incorrect API key provided: {SECRET}. Find your key at ...",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
).encode()


def refuse(status: int, reason: str, body: bytes, **extra: str) -> Any:
    def process_request(connection: ServerConnection, request: Request) -> Response:
        headers = Headers({"content-type": "application/json", "x-request-id": "req_42", **extra})
        return Response(status, reason, headers, body)

    return process_request


async def test_rejected_handshake_is_a_typed_error_without_the_key() -> None:
    server = WebsocketsServer(echo, process_request=refuse(401, "Unauthorized", OPENAI_401))
    async with server as base:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with WebSocketTransport.connect(f"{base}/v1/responses", headers=AUTH):
                pytest.fail("the handshake must not succeed")
    error = info.value
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert error.error.request_id == "req_42"
    assert error.error.classification == "fatal"
    assert "Incorrect API key provided" in error.error.message
    assert "check the API key" in str(error)
    assert SECRET not in str(error) and SECRET.encode() not in error.body
    assert ("x-request-id", "req_42") in error.headers


async def test_rejected_429_carries_retry_after() -> None:
    body = b'{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}}'
    process = refuse(429, "Too Many Requests", body, **{"retry-after": "7"})
    async with WebsocketsServer(echo, process_request=process) as base:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with WebSocketTransport.connect(base):
                pass
    assert info.value.error.retry_after == 7.0
    assert info.value.error.classification == "retryable"
    assert "check the API key" not in str(info.value)


async def test_server_closes_1011_mid_conversation() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        await ws.send('{"type":"response.created"}')
        await ws.close(1011, "internal error")

    async with WebsocketsServer(handler) as base:
        async with WebSocketTransport.connect(base) as ws:
            await ws.send_text("{}")
            assert await ws.receive() == TextMessage(b'{"type":"response.created"}')
            closed = await ws.receive()
            assert closed == Closed(code=1011, reason="internal error", by="server")
            assert closed.retryable  # type: ignore[union-attr]
            assert await ws.receive() is closed  # and again, forever
            with pytest.raises(APIConnectionError):
                await ws.send_text("{}")


async def test_oversized_inbound_frame_closes_1009() -> None:
    async def handler(ws: ServerConnection) -> None:
        await ws.send("x" * 2000)
        await ws.wait_closed()

    server = WebsocketsServer(handler)
    async with server as base:
        async with WebSocketTransport.connect(base, max_message_size=1000) as ws:
            closed = await ws.receive()
            assert isinstance(closed, Closed)
            assert (closed.code, closed.by) == (1009, "client")
            assert isinstance(closed.error, RemoteProtocolError)
        with anyio.fail_after(5):
            while not server.closes:
                await anyio.sleep(0.01)
    assert server.closes == [1009]


async def test_idle_timeout_closes_1011_when_the_server_is_silent() -> None:
    async def silent(ws: ServerConnection) -> None:
        await ws.wait_closed()

    server = WebsocketsServer(silent, ping_interval=None)
    async with server as base:
        start = anyio.current_time()
        async with WebSocketTransport.connect(base, ping_interval=None, idle_timeout=0.3) as ws:
            closed = await ws.receive()
        assert isinstance(closed, Closed)
        assert (closed.code, closed.by, closed.error) == (1011, "client", None)
        assert "idle" in closed.reason
        assert 0.25 <= anyio.current_time() - start < 5
        with anyio.fail_after(5):
            while not server.closes:
                await anyio.sleep(0.01)
    assert server.closes == [1011]


async def test_keepalive_pings_are_answered_by_websockets() -> None:
    async with WebsocketsServer(echo, ping_interval=None) as base:
        async with WebSocketTransport.connect(
            base, ping_interval=0.05, ping_timeout=0.5, idle_timeout=0.3
        ) as ws:
            await anyio.sleep(0.6)  # idle longer than idle_timeout: pongs keep it alive
            await ws.send_text("still here")
            assert await ws.receive() == TextMessage(b"still here")


async def test_server_pings_are_answered_automatically() -> None:
    server = WebsocketsServer(echo, ping_interval=0.05, ping_timeout=0.2)
    async with server as base:
        async with WebSocketTransport.connect(base, ping_interval=None) as ws:
            await anyio.sleep(0.5)  # websockets closes 1011 if a ping goes unanswered
            await ws.send_text("pong me")
            assert await ws.receive() == TextMessage(b"pong me")
    assert server.closes == [1000]


async def test_realtime_style_subprotocol_auth_is_negotiated_and_redacted() -> None:
    records: list[tuple[str, dict[str, Any]]] = []
    protocols = ["realtime", f"openai-insecure-api-key.{SECRET}"]
    async with WebsocketsServer(echo, subprotocols=["realtime"]) as base:
        async with WebSocketTransport.connect(
            base, subprotocols=protocols, trace=lambda op, f: records.append((op, f))
        ) as ws:
            assert ws.subprotocol == "realtime"
    assert ("sec-websocket-protocol", "<redacted>") in records[0][1]["headers"]
    assert SECRET not in repr(records)
    body = json.dumps({"error": {"message": f"bad key {SECRET}", "code": "invalid_api_key"}})
    process = refuse(403, "Forbidden", body.encode())
    async with WebsocketsServer(echo, process_request=process) as base:
        with pytest.raises(WebSocketHandshakeError) as info:
            async with WebSocketTransport.connect(base, subprotocols=protocols):
                pass
    assert info.value.status == 403
    assert SECRET not in str(info.value) and SECRET.encode() not in info.value.body
    assert "check the API key" in str(info.value)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def test_tls_verification_on_by_default_and_trusted_context_works(ca: trustme.CA) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    async with WebsocketsServer(echo, ssl=server_context) as base:
        assert base.startswith("wss://")
        with pytest.raises(APIConnectionError, match="could not connect"):
            async with WebSocketTransport.connect(base):
                pass
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        async with WebSocketTransport.connect(base, ssl_context=client_context) as ws:
            await ws.send_text("secure")
            assert await ws.receive() == TextMessage(b"secure")


async def test_plain_ws_to_a_remote_host_is_refused_before_connecting() -> None:
    with pytest.raises(InsecureTransportError):
        WebSocketTransport.connect("ws://api.openai.com/v1/responses")
    with pytest.raises(InsecureTransportError):
        WebSocketTransport.connect("ws://10.0.0.1:8080/")
    WebSocketTransport.connect("ws://api.openai.com/v1/responses", allow_insecure=True)
    WebSocketTransport.connect("ws://localhost:1/")  # loopback: allowed (not opened here)
    for bad in ("https://127.0.0.1/", "ws://127.0.0.1:notaport/", "wss:///path"):
        with pytest.raises(LocalProtocolError):
            WebSocketTransport.connect(bad)
    with pytest.raises(LocalProtocolError, match="Host"):
        WebSocketTransport.connect("ws://127.0.0.1/", headers=[("Host", "evil")])


async def test_trace_records_with_secrets_redacted() -> None:
    records: list[tuple[str, dict[str, Any]]] = []
    lines: list[bytes] = []
    recorder = TraceRecorder(lines.append, api="responses-ws", started="2026-01-01T00:00:00Z")
    to_recorder = trace_to_recorder(recorder)

    def hook(op: str, fields: dict[str, Any]) -> None:
        records.append((op, fields))
        to_recorder(op, fields)

    headers = [*AUTH, ("openai-project", "proj_1")]
    async with WebsocketsServer(echo) as base:
        url = f"{base}/v1/responses?api-key={SECRET}"
        async with WebSocketTransport.connect(url, headers=headers, trace=hook) as ws:
            await ws.send_text('{"type":"response.create"}')
            await ws.receive()
    assert [op for op, _ in records] == ["request", "response", "send", "recv", "closed"]
    request = records[0][1]
    assert ("authorization", "<redacted>") in request["headers"]
    assert ("openai-project", "proj_1") in request["headers"]
    assert records[3][1] == {"data": b'{"type":"response.create"}'}
    assert records[4][1]["code"] == 1000
    assert SECRET not in repr(records)
    text = b"".join(lines).decode()
    assert SECRET not in text
    ops = [json.loads(line)["op"] for line in lines[1:]]
    assert ops == ["request", "response", "send", "recv", "closed"]
    assert json.loads(lines[3])["msg"] == {"type": "response.create"}


async def test_connect_config_request_path_and_headers() -> None:
    server = WebsocketsServer(echo)
    async with server as base:
        config = ClientConfig(api_key=SECRET, base_url=base.replace("ws://", "http://") + "/v1")
        async with WebSocketTransport.connect_config(config, ping_interval=None):
            pass
    request = server.requests[0]
    assert request.path == "/v1/responses"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert "openai-sansio" in request.headers["User-Agent"].lower()


async def test_connect_and_handshake_failures() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as group:

        async def mute(stream: anyio.abc.SocketStream) -> None:
            async with stream:
                await anyio.sleep(10)

        group.start_soon(listener.serve, mute)
        with pytest.raises(APITimeoutError):
            async with WebSocketTransport.connect(f"ws://127.0.0.1:{port}/", handshake_timeout=0.2):
                pass
        group.cancel_scope.cancel()
    with pytest.raises(APIConnectionError):
        async with WebSocketTransport.connect(f"ws://127.0.0.1:{port}/"):
            pass


# ------------------------------------------------------------------ wsproto peer, both loops


@dataclass
class PeerLog:
    pings: int = 0
    closes: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


async def _wsproto_peer(stream: anyio.abc.ByteStream, log: PeerLog, answer_pings: bool) -> None:
    conn = WSConnection(ConnectionType.SERVER)
    parts: list[str] = []
    async with stream:
        try:
            while True:
                conn.receive_data(await stream.receive())
                out = b""
                for event in conn.events():
                    if isinstance(event, wse.Request):
                        out += conn.send(wse.AcceptConnection())
                    elif isinstance(event, wse.Ping):
                        log.pings += 1
                        if answer_pings:
                            out += conn.send(event.response())
                    elif isinstance(event, wse.TextMessage):
                        parts.append(event.data)
                        if event.message_finished:
                            text = "".join(parts)
                            parts.clear()
                            log.messages.append(text)
                            out += conn.send(wse.TextMessage(data=text))
                    elif isinstance(event, wse.CloseConnection):
                        log.closes.append(event.code)
                        await stream.send(out + conn.send(event.response()))
                        return
                if out:
                    await stream.send(out)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            return


class WsprotoServer:
    def __init__(self, *, answer_pings: bool = True) -> None:
        self.log = PeerLog()
        self.answer_pings = answer_pings

    async def __aenter__(self) -> str:
        self._listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        port = self._listener.extra(anyio.abc.SocketAttribute.local_port)
        self._group = anyio.create_task_group()
        await self._group.__aenter__()

        async def handle(stream: anyio.abc.SocketStream) -> None:
            await _wsproto_peer(stream, self.log, self.answer_pings)

        self._group.start_soon(self._listener.serve, handle)
        return f"ws://127.0.0.1:{port}"

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._group.cancel_scope.cancel()
        await self._group.__aexit__(et, e, tb)
        await self._listener.aclose()


both_loops = pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])


@both_loops
async def test_wsproto_peer_echo_pings_and_client_close() -> None:
    server = WsprotoServer()
    async with server as base:
        async with WebSocketTransport.connect(base, ping_interval=0.05, ping_timeout=1.0) as ws:
            await ws.send_text("a" * 100_000)
            assert await ws.receive() == TextMessage(b"a" * 100_000)
            await anyio.sleep(0.3)
            await ws.send_text("after pings")
            assert await ws.receive() == TextMessage(b"after pings")
        assert ws.closed == Closed(code=1000, by="client")
    assert server.log.pings >= 3
    assert server.log.closes == [1000]


@both_loops
async def test_unanswered_ping_closes_1011() -> None:
    server = WsprotoServer(answer_pings=False)
    async with server as base:
        async with WebSocketTransport.connect(base, ping_interval=0.05, ping_timeout=0.2) as ws:
            closed = await ws.receive()
            assert closed == Closed(code=1011, reason="keepalive ping timeout", by="client")
    assert server.log.pings == 1
    assert server.log.closes == [1011]


@both_loops
async def test_async_for_and_aclose_with_unread_messages() -> None:
    async with WsprotoServer() as base:
        async with WebSocketTransport.connect(base, max_queue=1) as ws:
            for i in range(200):  # far more than the queue holds: the reader blocks
                await ws.send_text(f"{i}")
            first = await ws.receive()
            assert first == TextMessage(b"0")
            await ws.aclose()
            events = [event async for event in ws]
            assert events == [Closed(code=1000, by="client")]


@both_loops
async def test_body_exception_still_closes_cleanly() -> None:
    server = WsprotoServer()
    async with server as base:
        with pytest.raises(KeyError):
            async with WebSocketTransport.connect(base) as ws:
                await ws.send_text("x")
                raise KeyError("boom")
    assert server.log.closes == [1000]
