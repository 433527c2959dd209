"""`EventStream` and `HTTPResponse.drain` against a hand-written HTTP/1.1 peer on loopback
(asyncio and trio): the peer sends a stream's terminal event, waits, then ends the body, as
a server under load may. The tail is drained so the keep-alive connection serves the next
request (SSE transcription, Chat), and the drain is bounded in time and bytes: a body that
stays open costs a new connection, not a wait."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
import pytest
from _wire import chat_sse

from openai_sansio import Client
from openai_sansio.protocol.requests import chat_user
from openai_sansio.protocol.transcription_http import TranscriptionResult
from openai_sansio.transports.http import HTTPResponse, HTTPTransport

pytestmark = pytest.mark.anyio

AUDIO = b"RIFF" + bytes(60)  # any bytes named .wav: the peer does not look at them


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _transcription_sse() -> list[bytes]:
    events = [
        {"type": "transcript.text.delta", "delta": "Hello"},
        {"type": "transcript.text.delta", "delta": " there."},
        {"type": "transcript.text.done", "text": "Hello there."},
    ]
    return [b"data: " + json.dumps(e).encode() + b"\n\n" for e in events]


def _chat_sse() -> list[bytes]:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}],
    }
    done = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    return [chat_sse(chunk), chat_sse(done), chat_sse("[DONE]")]


@dataclass
class Peer:
    """Answers every request with `body` (chunked SSE), then, `tail_after` seconds later,
    `tail` (more body bytes) and the end of the body, or nothing when `end` is false."""

    body: list[bytes]
    tail_after: float = 0.05
    tail: list[bytes] = field(default_factory=list)
    end: bool = True
    connections: int = 0
    url: str = ""

    async def serve(self, stream: anyio.abc.ByteStream) -> None:
        self.connections += 1
        buffer = b""
        async with stream:
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
                    await stream.send(
                        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                        b"transfer-encoding: chunked\r\n\r\n" + b"".join(map(_chunk, self.body))
                    )
                    await anyio.sleep(self.tail_after)
                    if not self.end:
                        await anyio.sleep_forever()
                    await stream.send(b"".join(map(_chunk, self.tail)) + b"0\r\n\r\n")
            except (anyio.EndOfStream, anyio.BrokenResourceError, OSError):
                return


@pytest.fixture
async def serve(anyio_backend: str) -> AsyncIterator[Callable[[Peer], Any]]:
    async with anyio.create_task_group() as group:

        async def start(peer: Peer) -> Peer:
            listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
            port = listener.extra(anyio.abc.SocketAttribute.local_port)
            peer.url = f"http://127.0.0.1:{port}/v1"
            group.start_soon(listener.serve, peer.serve)
            return peer

        yield start
        group.cancel_scope.cancel()


async def test_an_sse_transcription_drains_its_tail_and_reuses_the_connection(
    serve: Callable[[Peer], Any],
) -> None:
    peer = await serve(Peer(_transcription_sse()))
    async with Client(api_key="sk-test", base_url=peer.url, env={}) as client:
        for _ in range(3):
            async with client.transcription.stream(AUDIO, filename="a.wav") as events:
                seen = [event async for event in events]
            assert isinstance(seen[-1], TranscriptionResult)
            assert seen[-1].text == "Hello there." and seen[-1].status == "completed"
        opened = client.transport.connections_opened
    assert (opened, peer.connections) == (1, 1)


async def test_the_drained_tail_is_recorded_and_chat_reuses_the_connection(
    serve: Callable[[Peer], Any],
) -> None:
    peer = await serve(Peer(_chat_sse(), tail=[b": bye\n\n"]))  # a comment after [DONE]
    lines: list[bytes] = []
    async with Client(api_key="sk-test", base_url=peer.url, env={}) as client:
        messages = [chat_user("Hi")]
        first = await client.chat.create(model="gpt-4o-mini", messages=messages, trace=lines.append)
        second = await client.chat.create(model="gpt-4o-mini", messages=messages)
        opened = client.transport.connections_opened
    assert first.text == second.text == "Hi" and opened == 1
    records = [json.loads(line) for line in lines[1:]]
    assert [r["op"] for r in records][-2:] == ["recv_bytes", "eof"]  # the comment, the end


async def _post(transport: HTTPTransport, peer: Peer) -> HTTPResponse:
    port = int(peer.url.rsplit(":", 1)[1].split("/")[0])
    return await transport.send(
        method="POST",
        scheme="http",
        host="127.0.0.1",
        port=port,
        target="/v1/chat/completions",
        headers=[("host", "127.0.0.1"), ("content-length", "0")],
        body=b"",
    )


async def test_a_body_left_open_costs_a_connection_not_a_wait(
    serve: Callable[[Peer], Any],
) -> None:
    peer = await serve(Peer(_chat_sse(), end=False))
    async with HTTPTransport() as transport:
        for _ in range(2):
            response = await _post(transport, peer)
            with anyio.fail_after(2.0):
                assert await response.drain(max_seconds=0.1) is False
            await response.aclose()
        assert transport.connections_opened == 2


async def test_the_drain_stops_at_its_byte_bound(serve: Callable[[Peer], Any]) -> None:
    peer = await serve(Peer([], tail_after=0.0, tail=[b"x" * 100] * 50))
    seen: list[bytes] = []
    async with HTTPTransport() as transport:
        response = await _post(transport, peer)
        ended = await response.drain(max_bytes=250, max_seconds=30.0, on_chunk=seen.append)
        await response.aclose()
    assert ended is False and 250 <= sum(map(len, seen)) < 250 + 5000
