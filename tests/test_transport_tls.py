"""TLS: verification is on by default, a caller-supplied context is honoured, and keep-alive
works over TLS. The server is a loopback anyio TLS listener with a certificate from a
throw-away CA (trustme); nothing leaves the machine."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import anyio.streams.tls
import pytest
import trustme
from _wire import sse, text_turn

from openai_sansio import APIConnectionError, Client

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _response() -> bytes:
    body = b""
    for event in text_turn("resp_tls", ["secure", " hello"]):
        piece = sse(event)
        body += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return head + body + b"0\r\n\r\n"


async def _serve(stream: anyio.abc.ByteStream) -> None:
    async with stream:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    buffer += await stream.receive()
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                while len(rest) < length:
                    rest += await stream.receive()
                buffer = rest[length:]
                await stream.send(_response())
        except (anyio.EndOfStream, anyio.BrokenResourceError, ssl.SSLError, OSError):
            return


@pytest.fixture
async def tls_server(ca: trustme.CA, anyio_backend: str) -> AsyncIterator[str]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener = anyio.streams.tls.TLSListener(tcp, server_context, standard_compatible=False)
    async with anyio.create_task_group() as group:

        async def handle(stream: Any) -> None:
            await _serve(stream)

        group.start_soon(listener.serve, handle)
        yield f"https://127.0.0.1:{port}/v1"
        group.cancel_scope.cancel()


async def test_default_context_rejects_an_untrusted_certificate(tls_server: str) -> None:
    async with Client(api_key="sk-tls", base_url=tls_server, env={}) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.responses.create(model="m", input="hi")
    assert "sk-tls" not in str(info.value)


async def test_trusted_context_streams_and_reuses_the_tls_connection(
    tls_server: str, ca: trustme.CA
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with Client(api_key="sk-tls", base_url=tls_server, env={}, ssl_context=context) as client:
        for _ in range(2):
            result = await client.responses.create(model="m", input="hi")
            assert result.status == "completed" and result.text == "secure hello"
        assert client.transport.connections_opened == 1
