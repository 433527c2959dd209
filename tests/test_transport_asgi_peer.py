"""The HTTP transport and the async Client against an independent server: an ASGI app under
hypercorn on loopback, on asyncio and on trio.

The app streams exact wire bytes (one HTTP chunk per SSE event, as the API flushes), answers
errors with OpenAI's JSON body, stalls, or breaks the connection mid-body on request.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from _wire import chat_sse, sse, text_turn

from openai_sansio import APIConnectionError, APIStatusError, APITimeoutError, Client
from openai_sansio.errors import InsecureTransportError
from openai_sansio.protocol.chat import ChatEnd
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.requests import ClientConfig, Timeouts
from openai_sansio.protocol.responses import ResponseEnd
from openai_sansio.protocol.trace import TraceRecorder, load_trace, replay

pytestmark = pytest.mark.anyio

API_KEY = "sk-test-secret-value-1234"
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _chat_body() -> list[bytes]:
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    chunks: list[dict[str, Any]] = [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "lo"}}]},
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": "f", "arguments": '{"a":'},
                            }
                        ]
                    },
                }
            ],
        },
        {
            **base,
            "choices": [
                {
                    "index": 0,
                    "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
                }
            ],
        },
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
        {
            **base,
            "choices": [],
            "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        },
    ]
    return [chat_sse(c) for c in chunks] + [chat_sse("[DONE]")]


class PeerApp:
    """A tiny ASGI app standing in for the API; records what it received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append({"path": scope["path"], "headers": headers, "body": json.loads(body)})
        mode = headers.get("x-test-mode", "")
        if mode == "429":
            payload = json.dumps(
                {
                    "error": {
                        "message": "Rate limit reached",
                        "type": "requests",
                        "param": None,
                        "code": "rate_limit_exceeded",
                    }
                }
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"x-request-id", b"req_429"),
                        (b"retry-after", b"3"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return
        if scope["path"].endswith("/chat/completions"):
            pieces = _chat_body()
        else:
            pieces = [sse(e) for e in text_turn("resp_peer", ["Hello", ",", " world"])]
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream"), (b"x-request-id", b"req_ok")],
            }
        )
        for number, piece in enumerate(pieces):
            if mode == "stall" and number == 2:
                await anyio.sleep(1.5)
            if mode == "break" and number == 3:
                raise RuntimeError("peer breaks the connection mid-body")
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def peer(anyio_backend: str) -> AsyncIterator[tuple[str, PeerApp]]:
    from hypercorn.config import Config

    app = PeerApp()
    config = Config()
    port = _free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    config.keep_alive_timeout = 30
    stop = anyio.Event()
    if anyio_backend == "trio":
        from hypercorn.trio import serve
    else:
        from hypercorn.asyncio import serve  # type: ignore[assignment]
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
        for _ in range(200):
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.01)
                continue
            await stream.aclose()
            break
        yield f"http://127.0.0.1:{port}/v1", app
        stop.set()


def _client(base_url: str, **kwargs: Any) -> Client:
    return Client(api_key=API_KEY, base_url=base_url, env={}, **kwargs)


async def test_responses_stream_against_independent_peer(peer: tuple[str, PeerApp]) -> None:
    base_url, app = peer
    async with _client(base_url) as client:
        seen: list[str] = []
        async with client.responses.stream(model="gpt-test", input="hi") as stream:
            assert stream.status == 200
            assert stream.request_id == "req_ok"
            async for event in stream:
                seen.append(type(event).__name__)
        result = stream.result
    assert result.status == "completed"
    assert result.text == "Hello, world"
    assert result.usage is not None and result.usage.cached_tokens == 2
    assert seen[0] == "ResponseCreated" and seen[-1] == "ResponseEnd"
    assert seen.count("ResponseOutputTextDelta") == 3
    sent = app.requests[0]
    assert sent["path"] == "/v1/responses"
    assert sent["body"]["stream"] is True and sent["body"]["input"] == "hi"
    assert sent["headers"]["authorization"] == f"Bearer {API_KEY}"


async def test_chat_stream_against_independent_peer(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    async with _client(base_url) as client:
        events = []
        async with client.chat.stream(
            model="m", messages=[{"role": "user", "content": "hi"}]
        ) as stream:
            async for event in stream:
                events.append(event)
    end = events[-1]
    assert isinstance(end, ChatEnd)
    assert end.result.text == "Hello" and end.result.done_marker
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.call_id, c.name, c.parsed) for c in calls] == [("call_1", "f", {"a": 1})]
    assert end.result.usage is not None and end.result.usage.total_tokens == 7


async def test_keep_alive_reuses_one_connection(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    async with _client(base_url) as client:
        for _ in range(3):
            result = await client.responses.create(model="gpt-test", input="hi")
            assert result.status == "completed"
        assert client.transport.connections_opened == 1


async def test_http_error_is_typed(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    async with _client(base_url, extra_headers={"x-test-mode": "429"}) as client:
        with pytest.raises(APIStatusError) as info:
            await client.responses.create(model="gpt-test", input="hi")
    error = info.value.error
    assert (error.status, error.code, error.request_id, error.retry_after) == (
        429,
        "rate_limit_exceeded",
        "req_429",
        3.0,
    )
    assert error.classification == "retryable"
    assert API_KEY not in str(info.value)


async def test_read_timeout_on_a_stalled_stream(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    config = ClientConfig.from_env(
        {},
        api_key=API_KEY,
        base_url=base_url,
        extra_headers={"x-test-mode": "stall"},
        timeouts=Timeouts(connect=5.0, read=0.3, write=5.0, pool=5.0),
    )
    async with Client(config=config) as client:
        with pytest.raises(APITimeoutError) as info:
            await client.responses.create(model="gpt-test", input="hi")
    assert info.value.kind == "read"


async def test_connection_broken_mid_body_is_an_interrupted_result(
    peer: tuple[str, PeerApp],
) -> None:
    base_url, _ = peer
    async with _client(base_url, extra_headers={"x-test-mode": "break"}) as client:
        async with client.responses.stream(model="gpt-test", input="hi") as stream:
            events = [event async for event in stream]
        errors = [e for e in events if isinstance(e, APIError)]
        assert [e.code for e in errors] == ["stream_interrupted"]
        assert errors[0].classification == "retryable"
        assert stream.result.status == "interrupted"
        # the pool recovers: a fresh connection serves the next request
        client.config = ClientConfig.from_env({}, api_key=API_KEY, base_url=base_url)
        assert (await client.responses.create(model="gpt-test", input="hi")).status == "completed"


async def test_leaving_early_closes_the_connection(peer: tuple[str, PeerApp]) -> None:
    """The body is still arriving (the peer stalls after two events): leaving the block must
    close that connection, so nothing of this response can reach the next request."""
    base_url, _ = peer
    async with _client(base_url, extra_headers={"x-test-mode": "stall"}) as client:
        async with client.responses.stream(model="gpt-test", input="hi") as stream:
            first = await stream.__anext__()
        assert type(first).__name__ == "ResponseCreated"
        client.config = ClientConfig.from_env({}, api_key=API_KEY, base_url=base_url)
        result = await client.responses.create(model="gpt-test", input="hi")
        assert result.text == "Hello, world"
        assert client.transport.connections_opened == 2


async def test_trace_records_replays_and_redacts(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    lines: list[bytes] = []
    recorder = TraceRecorder(lines.append, api="responses", started="2026-11-23T00:00:00Z")
    async with _client(base_url, trace=recorder) as client:
        live = await client.responses.create(model="gpt-test", input="hi")
        chat = await client.chat.create(model="m", messages=[{"role": "user", "content": "x"}])
    raw = b"".join(lines)
    assert API_KEY.encode() not in raw
    assert b"<redacted>" in raw
    header, records = load_trace(raw.splitlines())
    summary = replay(header, records)
    assert [t.status for t in summary.turns] == ["completed", "completed"]
    assert summary.turns[0].text == live.text
    assert summary.turns[1].tool_calls == [
        {"call_id": c.call_id, "name": c.name, "arguments": c.arguments} for c in chat.tool_calls
    ]
    assert summary.sent[0]["input"] == "hi"


async def test_connect_refused_is_a_connection_error(anyio_backend: str) -> None:
    port = _free_port()
    async with _client(f"http://127.0.0.1:{port}/v1") as client:
        with pytest.raises(APIConnectionError):
            await client.responses.create(model="gpt-test", input="hi")


async def test_plain_http_to_a_remote_host_is_refused_before_connecting(
    anyio_backend: str,
) -> None:
    async with _client("http://api.example.invalid/v1") as client:
        with pytest.raises(InsecureTransportError):
            await client.responses.create(model="gpt-test", input="hi")
        assert client.transport.connections_opened == 0


async def test_mid_stream_error_event_is_an_event_not_an_exception(anyio_backend: str) -> None:
    """No server needed: the machine alone decides (the transport only moves bytes)."""
    from openai_sansio.protocol.responses import ResponseStream

    machine = ResponseStream()
    machine.receive_data(
        sse(
            {
                "type": "error",
                "code": "server_error",
                "message": "boom",
                "param": None,
                "sequence_number": 0,
            }
        )
    )
    events = list(machine.events())
    assert isinstance(events[1], APIError) and events[1].classification == "retryable"
    assert isinstance(events[-1], ResponseEnd) and events[-1].status == "error"


async def test_pool_timeout_when_every_connection_is_busy(peer: tuple[str, PeerApp]) -> None:
    base_url, _ = peer
    config = ClientConfig.from_env(
        {},
        api_key=API_KEY,
        base_url=base_url,
        extra_headers={"x-test-mode": "stall"},
        timeouts=Timeouts(connect=5.0, read=5.0, write=5.0, pool=0.2),
    )
    async with Client(config=config, max_connections=1) as client:
        async with client.responses.stream(model="gpt-test", input="hi") as busy:
            await busy.__anext__()  # holds the only connection
            with pytest.raises(APITimeoutError) as info:
                await client.responses.create(model="gpt-test", input="again")
    assert info.value.kind == "pool"
