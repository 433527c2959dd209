"""The voice and transcription connections use the client's TLS context and plain-ws policy
however they are made: through ``client.realtime.connect`` / ``client.transcription.connect``
or constructed directly. The peer is a loopback TLS listener (a throw-away trustme CA) that
refuses the WebSocket upgrade with 403: reaching that refusal proves the handshake was
verified with the client's context; without it the certificate is untrusted."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import anyio.streams.tls
import pytest
import trustme

from openai_sansio import APIConnectionError, Client
from openai_sansio.errors import WebSocketHandshakeError
from openai_sansio.realtime_client import RealtimeConnection
from openai_sansio.transcription_session import TranscriptionConnection

pytestmark = pytest.mark.anyio

_BODY = b'{"error": {"message": "not here", "code": "forbidden_test"}}'
REFUSAL = (
    b"HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(_BODY)}\r\n\r\n".encode()
    + _BODY
)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def _refuse(stream: anyio.abc.ByteStream) -> None:
    async with stream:
        try:
            buffer = b""
            while b"\r\n\r\n" not in buffer:
                buffer += await stream.receive()
            await stream.send(REFUSAL)
            await stream.receive()  # until the client closes
        except (anyio.EndOfStream, anyio.BrokenResourceError, ssl.SSLError, OSError):
            return


@pytest.fixture
async def wss_url(ca: trustme.CA, anyio_backend: str) -> AsyncIterator[str]:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener = anyio.streams.tls.TLSListener(tcp, server_context, standard_compatible=False)
    async with anyio.create_task_group() as group:
        group.start_soon(listener.serve, _refuse)
        yield f"wss://127.0.0.1:{port}/v1/realtime"
        group.cancel_scope.cancel()


def _direct(kind: str, client: Client, url: str) -> Any:
    if kind == "realtime":
        return RealtimeConnection(client, model="gpt-realtime", url=url, reconnect_attempts=0)
    return TranscriptionConnection(client, url=url, reconnect_attempts=0)


def _resource(kind: str, client: Client, url: str) -> Any:
    if kind == "realtime":
        return client.realtime.connect(model="gpt-realtime", url=url, reconnect_attempts=0)
    return client.transcription.connect(url=url, reconnect_attempts=0)


@pytest.mark.parametrize("make", [_direct, _resource], ids=["constructed", "resource"])
@pytest.mark.parametrize("kind", ["realtime", "transcription"])
async def test_the_clients_tls_context_is_used(
    wss_url: str, ca: trustme.CA, kind: str, make: Any
) -> None:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    async with Client(api_key="sk-tls", env={}, ssl_context=trusting) as client:
        with pytest.raises(WebSocketHandshakeError) as refused:
            async with make(kind, client, wss_url):
                pass
    assert refused.value.status == 403
    async with Client(api_key="sk-tls", env={}) as client:  # the system store: untrusted
        with pytest.raises(APIConnectionError, match="could not connect"):
            async with make(kind, client, wss_url):
                pass
