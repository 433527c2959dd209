"""`client.responses.connect(...)` against an independent peer: the ``websockets`` library's
asyncio server on loopback, answering ``response.create`` with hand-written events.

Refused handshakes (401: no retry, no key in the error; 503: retried with backoff), a close
mid-turn (not replayed, or replayed with ``replay_unsafe=True``), an oversized frame (1009), a
frame that is not an event, the closing handshake when leaving the block.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import anyio
import pytest
from test_conversation import KEY, connect, drain, ended, kinds, text_of
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from openai_sansio.client import Client
from openai_sansio.conversation import ResponsesConnection
from openai_sansio.errors import WebSocketHandshakeError
from openai_sansio.protocol.events.common import APIError
from openai_sansio.protocol.events.responses import ResponseOutputTextDelta
from openai_sansio.protocol.responses_ws_events import (
    TurnEnded,
    TurnNotReplayed,
    TurnRetried,
    TurnStarted,
)
from openai_sansio.transports.ws import Closed

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the websockets server runs on asyncio


Script = Callable[["Peer", int, ServerConnection], Awaitable[None]]


class Peer:
    """``websockets``' asyncio server on 127.0.0.1 (``async with`` -> its ws:// URL).
    `script(peer, n, ws)` serves the n-th accepted connection (from 1); `refuse(n)` is the
    HTTP status refusing the n-th handshake (None accepts it)."""

    def __init__(self, script: Script, refuse: Callable[[int], int | None] | None = None) -> None:
        self.script = script
        self.refuse = refuse or (lambda n: None)
        self.handshakes = 0
        self.frames: list[list[dict[str, Any]]] = []
        self.closes: list[int | None] = []

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        status = self.refuse(self.handshakes)
        if status is None:
            return None
        code, message = ("invalid_api_key", f"Incorrect API key provided: {KEY}.")
        if status != 401:
            code, message = ("server_error", "The service is unavailable.")
        body = {"error": {"message": message, "type": "server_error", "param": None, "code": code}}
        headers = Headers({"content-type": "application/json", "x-request-id": "req_1"})
        return Response(status, "Refused", headers, json.dumps(body).encode())

    async def _handle(self, ws: ServerConnection) -> None:
        self.frames.append([])
        number = len(self.frames)
        try:
            await self.script(self, number, ws)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            self.closes.append(ws.close_code)

    async def receive(self, number: int, ws: ServerConnection) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await ws.recv())
        self.frames[number - 1].append(frame)
        return frame

    async def __aenter__(self) -> str:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            compression=None,
            max_size=None,
        )
        server: Server = await self._server.__aenter__()
        return f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/responses"

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._server.__aexit__(et, e, tb)


def started_frames(rid: str, delta: str) -> list[str]:
    base = {"id": rid, "object": "response", "model": "m", "output": [], "status": "in_progress"}
    return [
        json.dumps({"type": "response.created", "sequence_number": 0, "response": base}),
        json.dumps(
            {
                "type": "response.output_text.delta",
                "sequence_number": 1,
                "item_id": f"msg_{rid}",
                "output_index": 0,
                "content_index": 0,
                "delta": delta,
            }
        ),
    ]


async def answer(ws: ServerConnection, rid: str, text: str) -> None:
    """One whole text response: created, one delta, completed."""
    for frame in started_frames(rid, text):
        await ws.send(frame)
    message = {
        "type": "message",
        "id": f"msg_{rid}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    done = {"id": rid, "object": "response", "model": "m", "output": [message]}
    await ws.send(
        json.dumps(
            {
                "type": "response.completed",
                "sequence_number": 2,
                "response": {**done, "status": "completed"},
            }
        )
    )


async def answer_all(peer: Peer, number: int, ws: ServerConnection) -> None:
    """Answer every create: ``resp_<connection>_<k>``, text ``reply <connection>.<k>``."""
    k = 0
    while True:
        await peer.receive(number, ws)
        k += 1
        await answer(ws, f"resp_{number}_{k}", f"reply {number}.{k}")


def cut_second_create(ending: Callable[[ServerConnection], Awaitable[None]]) -> Script:
    """Connection 1 answers its first create, starts the second, then `ending(ws)`; the later
    connections answer everything."""

    async def script(peer: Peer, number: int, ws: ServerConnection) -> None:
        if number > 1:
            return await answer_all(peer, number, ws)
        await peer.receive(number, ws)
        await answer(ws, "resp_1_1", "reply 1.1")
        await peer.receive(number, ws)
        for frame in started_frames("resp_1_2", "par"):
            await ws.send(frame)
        await ending(ws)

    return script


@contextlib.asynccontextmanager
async def peer_conversation(peer: Peer, **options: Any) -> AsyncIterator[ResponsesConnection]:
    async with peer as url, Client(api_key=KEY, base_url="http://127.0.0.1:9/v1") as client:
        async with connect(client, wss_url=url, store=False, **options) as conv:
            yield conv


async def test_a_refused_handshake_raises_without_the_key() -> None:
    peer = Peer(answer_all, refuse=lambda n: 401)
    with pytest.raises(WebSocketHandshakeError) as info:
        async with peer_conversation(peer):
            pytest.fail("the handshake must be refused")
    error = info.value
    assert (error.status, error.code, peer.handshakes) == (401, "invalid_api_key", 1)
    assert "check the API key" in str(error)
    for text in (str(error), repr(error), repr(error.error), error.body.decode()):
        assert KEY not in text


async def test_a_503_handshake_is_retried_with_backoff() -> None:
    peer = Peer(answer_all, refuse=lambda n: 503 if n == 1 else None)
    start = anyio.current_time()
    async with peer_conversation(peer) as conv:
        assert anyio.current_time() - start >= 0.125  # base 0.25, equal jitter at 0
        events = await drain(conv.create(input="hi"))
        assert conv.connections == 1
    assert peer.handshakes == 2 and ended(events).status == "completed"
    assert text_of(events) == "reply 1.1"

    always = Peer(answer_all, refuse=lambda n: 503)
    with pytest.raises(WebSocketHandshakeError) as info:
        async with peer_conversation(always, reconnect_attempts=2):
            pass
    assert info.value.status == 503 and always.handshakes == 3


@pytest.mark.parametrize("replay_unsafe", [False, True])
async def test_a_close_mid_turn(replay_unsafe: bool) -> None:
    peer = Peer(cut_second_create(lambda ws: ws.close(1011, "internal error")))
    async with peer_conversation(peer, replay_unsafe=replay_unsafe) as conv:
        await conv.create(input="one").until_done()
        cut = await drain(conv.create(input="two"))
        after = await drain(conv.create(input="three"))
        assert conv.connections == 2
    turn = cut[0].turn
    assert text_of(after) == ("reply 2.2" if replay_unsafe else "reply 2.1")
    if replay_unsafe:  # resent with full context on a new socket
        assert TurnRetried(turn, "connection_lost", replayed_unsafe=True) in cut
        assert [e.attempt for e in cut if isinstance(e, TurnStarted)] == [1, 2]
        assert ended(cut).status == "completed" and text_of(cut) == "parreply 2.1"
        assert [f["content"] for f in peer.frames[1][0]["input"][::2]] == ["one", "two"]
    else:
        assert TurnNotReplayed(turn, "connection_lost") in cut
        assert [e.code for e in cut if isinstance(e, APIError)] == ["connection_lost"]
        assert ended(cut).status == "interrupted"
        assert [f["content"] for f in peer.frames[1][0]["input"][::2]] == ["one", "three"]
    assert "previous_response_id" not in peer.frames[1][0]
    assert peer.frames[0][1]["previous_response_id"] == "resp_1_1"
    assert peer.closes[0] == 1011


async def test_a_refused_reconnect_ends_the_waiting_turn_with_its_error() -> None:
    peer = Peer(
        cut_second_create(lambda ws: ws.close(1011)), refuse=lambda n: 401 if n > 1 else None
    )
    async with peer_conversation(peer) as conv:
        await conv.create(input="one").until_done()
        await conv.create(input="two").until_done()
        events = await drain(conv.create(input="three"))
        assert conv.connections == 1 and peer.handshakes == 2  # a 401 is not retried
    assert kinds(events) == ["APIError", "TurnEnded"]  # never sent: no TurnStarted
    end = events[-1]
    assert end.status == "interrupted" and end.error is not None
    assert (end.error.code, end.error.status) == ("invalid_api_key", 401)
    assert KEY not in end.error.message


async def test_an_oversized_frame_closes_1009_and_the_next_turn_reconnects() -> None:
    async def huge(ws: ServerConnection) -> None:
        await ws.send(json.dumps({"type": "response.output_text.delta", "delta": "x" * 10_000}))
        await ws.wait_closed()

    peer = Peer(cut_second_create(huge))
    async with peer_conversation(peer, transport_options={"max_message_size": 4096}) as conv:
        await conv.create(input="one").until_done()
        cut = await drain(conv.create(input="two"))
        after = await drain(conv.create(input="three"))
        assert [n.code for n in conv.notices if isinstance(n, Closed)] == [1009]
    assert ended(cut).status == "interrupted"
    assert TurnNotReplayed(cut[0].turn, "connection_lost") in cut
    assert ended(after).status == "completed" and text_of(after) == "reply 2.1"
    assert peer.closes[0] == 1009


async def test_a_frame_that_is_not_an_event_drops_the_socket() -> None:
    async def garbage(ws: ServerConnection) -> None:
        await ws.send("this is not JSON")
        await ws.wait_closed()

    peer = Peer(cut_second_create(garbage))
    async with peer_conversation(peer) as conv:
        await conv.create(input="one").until_done()
        cut = await drain(conv.create(input="two"))
        assert [n.code for n in conv.notices if isinstance(n, APIError)] == ["bad_frame"]
    assert ended(cut).status == "interrupted"
    assert peer.closes == [1000]


async def test_leaving_the_block_mid_turn_closes_1000() -> None:
    peer = Peer(cut_second_create(lambda ws: ws.wait_closed()))
    async with peer_conversation(peer) as conv:
        await conv.create(input="one").until_done()
        turn = conv.create(input="two")
        async for event in turn:
            if isinstance(event, ResponseOutputTextDelta):
                break
    assert turn.ended == TurnEnded(turn.id, "cancelled") and conv.connections == 1
    assert peer.closes == [1000]
