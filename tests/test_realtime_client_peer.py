"""`client.realtime.connect(...)` against an independent peer: a ``websockets`` server on loopback.

asyncio only (the ``websockets`` server is asyncio). The peer shares no code with the library
or its emulator: it speaks a small, hand-written subset of the GA Realtime protocol and
records what it received, so these tests check the wire from the outside:

- a refused handshake (401) raises `WebSocketHandshakeError` from ``async with``, without the
  key; a 503 is retried;
- the handshake is GA (no ``OpenAI-Beta``, ``?model=``), the first frame is
  ``session.update`` with ``session.type == "realtime"``, leaving closes with 1000;
- a server that closes 1011 mid-response: reconnect, restore, next turn;
- frames queued as the socket dies go out after the reconnect; a truncate when everything
  received was played while the response still streamed.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import anyio
import numpy as np
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from openai_sansio.client import Client
from openai_sansio.errors import WebSocketHandshakeError
from openai_sansio.protocol.realtime_config import RealtimeConfig
from openai_sansio.protocol.realtime_session_events import (
    ConversationRestored,
    Interruption,
    ReconnectNeeded,
    ResponseFinished,
)
from openai_sansio.realtime_client import AudioFrame, RealtimeConnection
from openai_sansio.transports.ws import Closed

pytestmark = pytest.mark.anyio

SECRET = "sk-test-peer-SECRET-9876543210"
MODEL = "gpt-realtime"
CHUNK = base64.b64encode(
    (3000 * np.sin(np.arange(2400) * 2 * np.pi / 48)).astype("<i2").tobytes()
).decode()  # 100 ms of 24 kHz PCM16

Handler = Callable[[ServerConnection, int, list[dict[str, Any]]], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Peer:
    """A ``websockets`` server on 127.0.0.1; `handler(ws, n, frames)` serves connection `n`."""

    def __init__(self, handler: Handler | None = None, **options: Any) -> None:
        self.handler = handler or serve_turns()
        self.options = {"max_size": None, "compression": None, **options}
        self.requests: list[Request] = []
        self.frames: list[list[dict[str, Any]]] = []
        self.closes: list[int | None] = []

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        self.requests.append(ws.request)
        frames: list[dict[str, Any]] = []
        self.frames.append(frames)
        try:
            await self.handler(ws, len(self.frames) - 1, frames)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            self.closes.append(ws.close_code)

    async def __aenter__(self) -> str:
        self._server = serve(self._handle, "127.0.0.1", 0, **self.options)
        server = await self._server.__aenter__()
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._server.__aexit__(et, e, tb)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 3.0) -> None:
        with anyio.fail_after(timeout):
            while not predicate():
                await anyio.sleep(0.005)


# ------------------------------------------------------------------ the peer's protocol

_serial = iter(range(1, 1_000_000))


def event(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "event_id": f"event_{next(_serial)}", **fields})


SESSION = {
    "type": "realtime",
    "object": "realtime.session",
    "id": "sess_peer",
    "model": MODEL,
    "output_modalities": ["audio"],
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "turn_detection": {"type": "server_vad", "interrupt_response": True},
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
    },
}


def response_object(response_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": response_id,
        "object": "realtime.response",
        "status": status,
        "output": [],
        "conversation_id": "conv_peer",
        **extra,
    }


def assistant(item_id: str, status: str, transcript: str | None = None) -> dict[str, Any]:
    content = [] if transcript is None else [{"type": "output_audio", "transcript": transcript}]
    return {
        "id": item_id,
        "type": "message",
        "object": "realtime.item",
        "role": "assistant",
        "status": status,
        "content": content,
    }


class Conversation:
    """The peer's side of one connection: items in order, the ids it handed out."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.last: str | None = None
        self.responses = 0

    async def start(self, ws: ServerConnection, rid: str, iid: str) -> None:
        await ws.send(event("response.created", response=response_object(rid, "in_progress")))
        item = assistant(iid, "in_progress")
        await ws.send(
            event("response.output_item.added", response_id=rid, output_index=0, item=item)
        )
        await ws.send(event("conversation.item.added", previous_item_id=self.last, item=item))
        self.last = iid

    async def audio(self, ws: ServerConnection, rid: str, iid: str, words: list[str]) -> None:
        where = {"response_id": rid, "item_id": iid, "output_index": 0, "content_index": 0}
        for word in words:
            await ws.send(event("response.output_audio_transcript.delta", delta=word, **where))
            await ws.send(event("response.output_audio.delta", delta=CHUNK, **where))

    async def finish(
        self, ws: ServerConnection, rid: str, iid: str, transcript: str, status: str
    ) -> None:
        where = {"response_id": rid, "item_id": iid, "output_index": 0, "content_index": 0}
        await ws.send(event("response.output_audio.done", **where))
        await ws.send(
            event("response.output_audio_transcript.done", transcript=transcript, **where)
        )
        done_item = assistant(
            iid, "completed" if status == "completed" else "incomplete", transcript
        )
        await ws.send(
            event("response.output_item.done", response_id=rid, output_index=0, item=done_item)
        )
        usage = {"total_tokens": 7, "input_tokens": 4, "output_tokens": 3}
        await ws.send(event("response.done", response=response_object(rid, status, usage=usage)))

    async def on_item(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        item = {**frame["item"], "object": "realtime.item", "status": "completed"}
        previous = frame.get("previous_item_id", self.last)
        await ws.send(event("conversation.item.added", previous_item_id=previous, item=item))
        await ws.send(event("conversation.item.done", previous_item_id=previous, item=item))
        self.last = item["id"]


def serve_turns(
    *, drop_first_with: int | None = None, words: tuple[str, ...] = ("Fine", " thanks.")
) -> Handler:
    """Each response.create is answered with `words` (100 ms of audio per word); with
    `drop_first_with`, connection 0 closes with that code after the first word."""

    async def handler(ws: ServerConnection, n: int, frames: list[dict[str, Any]]) -> None:
        conv = Conversation(n)
        await ws.send(event("session.created", session=SESSION))
        async for raw in ws:
            frame = json.loads(raw)
            frames.append(frame)
            kind = frame["type"]
            if kind == "session.update":
                await ws.send(event("session.updated", session=SESSION))
            elif kind == "conversation.item.create":
                await conv.on_item(ws, frame)
            elif kind == "response.create":
                conv.responses += 1
                rid, iid = f"resp_{n}_{conv.responses}", f"item_a{n}_{conv.responses}"
                await conv.start(ws, rid, iid)
                if drop_first_with is not None and n == 0:
                    await conv.audio(ws, rid, iid, list(words[:1]))
                    await ws.close(drop_first_with, "internal error")
                    return
                await conv.audio(ws, rid, iid, list(words))
                await conv.finish(ws, rid, iid, "".join(words), "completed")

    return handler


def connect(client: Client, **options: Any) -> RealtimeConnection:
    options.setdefault("jitter", lambda: 0.0)
    options.setdefault("backoff_base", 0.01)
    return client.realtime.connect(model=MODEL, **options)


async def read_until(
    session: RealtimeConnection, done: Callable[[Any], bool], timeout: float = 3.0
) -> list[Any]:
    events: list[Any] = []
    with anyio.fail_after(timeout):
        async for item in session:
            events.append(item)
            if done(item):
                return events
    raise AssertionError("the session ended first")


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


# ------------------------------------------------------------------ handshake


OPENAI_401 = json.dumps(
    {
        "error": {
            "message": f"Incorrect API key provided: {SECRET}. You can find your API key at ...",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
).encode()


def refuse(status: int, reason: str, body: bytes, times: int | None = None) -> Any:
    count = [0]

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        count[0] += 1
        if times is not None and count[0] > times:
            return None
        headers = Headers({"content-type": "application/json", "x-request-id": "req_rt"})
        return Response(status, reason, headers, body)

    process_request.count = count  # type: ignore[attr-defined]
    return process_request


async def test_rejected_handshake_raises_without_the_key() -> None:
    process = refuse(401, "Unauthorized", OPENAI_401)
    async with Peer(process_request=process) as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            with pytest.raises(WebSocketHandshakeError) as info:
                async with connect(client):
                    pytest.fail("the handshake must not succeed")
    error = info.value
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert "check the API key" in str(error)
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET.encode() not in error.body
    assert error.error.classification == "fatal"
    assert process.count[0] == 1  # a 401 is not retried


async def test_a_503_handshake_is_retried() -> None:
    body = b'{"error":{"message":"overloaded","type":"server_error","code":null}}'
    process = refuse(503, "Service Unavailable", body, times=2)
    peer = Peer(process_request=process)
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            async with connect(client, reconnect_attempts=3) as session:
                session.send_text("hello")
                events = await read_until(session, lambda e: isinstance(e, ResponseFinished))
    assert process.count[0] == 3
    assert of(events, ResponseFinished)[0].transcript == "Fine thanks."


async def test_ga_handshake_and_session_update_first() -> None:
    peer = Peer()
    config = RealtimeConfig(instructions="Be brief.", voice="cedar")
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            async with connect(client, config=config) as session:
                await peer.wait_for(lambda: bool(peer.frames and peer.frames[0]))
                session.send_text("hello")
                events = await read_until(session, lambda e: isinstance(e, ResponseFinished))
        await peer.wait_for(lambda: bool(peer.closes))

    (request,) = peer.requests
    assert request.path == f"/v1/realtime?model={MODEL}"
    names = {name.lower() for name in request.headers}
    assert "openai-beta" not in names
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert not any(
        p.startswith("openai-beta") for p in request.headers.get_all("sec-websocket-protocol")
    )
    first = peer.frames[0][0]
    assert first["type"] == "session.update"
    assert first["session"]["type"] == "realtime"
    assert first["session"]["instructions"] == "Be brief."
    assert first["session"]["audio"]["output"]["voice"] == "cedar"
    assert [f["type"] for f in peer.frames[0][1:]] == [
        "conversation.item.create",
        "response.create",
    ]
    frames = of(events, AudioFrame)  # 200 ms in 20 ms frames, then the empty `last` marker
    assert [len(f.pcm) for f in frames] == [960] * 10 + [0] and frames[-1].last
    assert peer.closes == [1000]


# ------------------------------------------------------------------ a server failure


async def test_server_closes_1011_mid_response_then_restores() -> None:
    peer = Peer(serve_turns(drop_first_with=1011))
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            async with connect(client) as session:
                user_item = session.send_text("hi there")
                events = await read_until(session, lambda e: isinstance(e, ConversationRestored))
                session.send_text("again")
                after = await read_until(
                    session, lambda e: isinstance(e, ResponseFinished) and e.status == "completed"
                )

    (closed,) = of(events, Closed)
    assert (closed.code, closed.by, closed.retryable) == (1011, "server", True)
    (lost,) = of(events, ResponseFinished)
    assert (lost.status, lost.reason, lost.transcript) == ("interrupted", "connection_lost", "Fine")
    assert of(events, ReconnectNeeded)[0].reason == "connection_lost"
    assert of(events, ConversationRestored)[0].items == 2
    second = peer.frames[1]
    assert second[0]["type"] == "session.update" and second[0]["session"]["type"] == "realtime"
    restored = [f["item"] for f in second[1:3]]
    assert restored == [
        {
            "type": "message",
            "id": user_item,
            "role": "user",
            "content": [{"type": "input_text", "text": "hi there"}],
        },
        {
            "type": "message",
            "id": "item_a0_1",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Fine"}],
        },
    ]
    assert second[2]["previous_item_id"] == user_item
    assert [f["type"] for f in second[3:]] == ["conversation.item.create", "response.create"]
    assert of(after, ResponseFinished)[-1].transcript == "Fine thanks."
    assert len(peer.requests) == 2


async def test_frames_queued_as_the_socket_dies_go_out_after_reconnect() -> None:
    closed = anyio.Event()

    async def handler(ws: ServerConnection, n: int, frames: list[dict[str, Any]]) -> None:
        if n > 0:
            await serve_turns()(ws, n, frames)
            return
        await ws.send(event("session.created", session=SESSION))
        frames.append(json.loads(await ws.recv()))
        await ws.send(event("session.updated", session=SESSION))
        await ws.send(event("rate_limits.updated", rate_limits=[]))
        await ws.close(1011, "internal error")
        closed.set()

    peer = Peer(handler)
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            # max_events=1: the session's reader is still busy handing events to us when
            # the transport has already seen the close
            async with connect(client, max_events=1) as session:
                with anyio.fail_after(3):
                    await closed.wait()
                await anyio.sleep(0.05)
                session.send_text("are you there?")
                await read_until(session, lambda e: isinstance(e, ConversationRestored))
                with anyio.move_on_after(0.5):  # the reply, if the message went out
                    await read_until(session, lambda e: isinstance(e, ResponseFinished))
    texts = [
        f["item"]["content"][0]["text"]
        for frames in peer.frames
        for f in frames
        if f["type"] == "conversation.item.create"
    ]
    assert texts == ["are you there?"]


async def test_truncate_when_all_received_was_played_but_audio_was_in_flight() -> None:
    cancelled = anyio.Event()

    async def handler(ws: ServerConnection, n: int, frames: list[dict[str, Any]]) -> None:
        conv = Conversation(n)
        await ws.send(event("session.created", session=SESSION))
        async for raw in ws:
            frame = json.loads(raw)
            frames.append(frame)
            if frame["type"] == "conversation.item.create":
                await conv.on_item(ws, frame)
            elif frame["type"] == "response.create":
                await conv.start(ws, "resp_1", "item_a")
                await conv.audio(ws, "resp_1", "item_a", ["One", " two"])
            elif frame["type"] == "response.cancel":
                # this chunk was on the wire when the cancel arrived
                await conv.audio(ws, "resp_1", "item_a", [" three"])
                await conv.finish(ws, "resp_1", "item_a", "One two three", "cancelled")
                cancelled.set()

    peer = Peer(handler)
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            async with connect(client) as session:
                session.send_text("talk to me")
                frames = 0
                result: Interruption | None = None
                with anyio.fail_after(3):
                    async for item in session:
                        frames += isinstance(item, AudioFrame)
                        if frames == 10:  # 200 ms received, 200 ms played
                            result = session.interrupt(played_ms=200)
                            break
                with anyio.fail_after(3):
                    await cancelled.wait()
                await anyio.sleep(0.05)
    assert result is not None and result.cancelled and result.received_ms == 200
    truncates = [f for f in peer.frames[0] if f["type"] == "conversation.item.truncate"]
    assert [(f["item_id"], f["audio_end_ms"]) for f in truncates] == [("item_a", 200)]


async def test_leaving_closes_1000_mid_response() -> None:
    async def endless(ws: ServerConnection, n: int, frames: list[dict[str, Any]]) -> None:
        conv = Conversation(n)
        await ws.send(event("session.created", session=SESSION))
        async for raw in ws:
            frame = json.loads(raw)
            frames.append(frame)
            if frame["type"] == "response.create":
                await conv.start(ws, "resp_1", "item_a")
                for _ in range(1000):
                    await conv.audio(ws, "resp_1", "item_a", [" la"])
                    await asyncio.sleep(0.005)

    peer = Peer(endless)
    async with peer as base:
        async with Client(api_key=SECRET, base_url=base) as client:
            async with connect(client) as session:
                session.send_text("sing")
                await read_until(session, lambda e: isinstance(e, AudioFrame))
        await peer.wait_for(lambda: bool(peer.closes))
    assert peer.closes == [1000]
    assert len(peer.requests) == 1  # and no reconnect after our own close
