"""`client.responses.connect(...)` (`ResponsesConnection`, `Turn`) end to end, on loopback.

- The emulator (asyncio and trio): chaining, prewarm, tool calls, full-history turns, cancel,
  error frames and failed responses, forgotten chains, the connection-age limit, rotation,
  traces that replay, leaving the block with a turn open.
- An independent peer on the ``websockets`` library's asyncio server, answering
  ``response.create`` with hand-written events: refused handshakes, a 503 then success, a
  close mid-turn (not replayed / replayed with ``replay_unsafe``), an oversized frame, the
  closing handshake.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import anyio
import anyio.abc
import msgspec
import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from openai_sansio.client import Client
from openai_sansio.conversation import ResponsesConnection, Turn
from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running
from openai_sansio.errors import APIConnectionError, WebSocketHandshakeError
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.events.responses import ResponseCreated, ResponseOutputTextDelta
from openai_sansio.protocol.requests import function_tool
from openai_sansio.protocol.responses_ws_events import (
    ReconnectNeeded,
    RotateConnection,
    TurnEnded,
    TurnNotReplayed,
    TurnRetried,
    TurnStarted,
)
from openai_sansio.protocol.trace import load_trace, replay

pytestmark = pytest.mark.anyio

KEY = "sk-test-conversation-SECRET-0123"
WEATHER = function_tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    description="Current weather of a city",
)
PARIS = "Use get_weather: what is the weather in Paris?"
ASYNCIO_ONLY = pytest.mark.parametrize("anyio_backend", ["asyncio"])


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fault(**knobs: Any) -> dict[str, str]:
    """``metadata`` faulting one turn on the emulator."""
    return {"emulator_fault": json.dumps(knobs)}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


def kinds(events: list[Any]) -> list[str]:
    return [type(event).__name__ for event in events]


async def drain(turn: Turn) -> list[Any]:
    with anyio.fail_after(10):
        return [event async for event in turn]


def ended(events: list[Any]) -> TurnEnded:
    assert isinstance(events[-1], TurnEnded) and isinstance(events[0], TurnStarted)
    return events[-1]


def client_tasks() -> set[str]:
    """Names of the running tasks of the conversation and its transport."""
    return {
        task.name.rsplit(".", 1)[-1]
        for task in anyio.get_running_tasks()
        if task.name and task.name.startswith(("openai_sansio.conversation", "openai_sansio.trans"))
    }


def created_ids(events: list[Any]) -> list[str]:
    return [e.response.id for e in events if isinstance(e, ResponseCreated)]


def text_of(events: list[Any]) -> str:
    return "".join(e.delta for e in events if isinstance(e, ResponseOutputTextDelta))


@contextlib.asynccontextmanager
async def emulator(**config: Any) -> AsyncIterator[tuple[RunningEmulator, Client]]:
    async with running(EmulatorConfig(seed=7, **config)) as server:
        async with Client(api_key=KEY, base_url=server.base_url) as client:
            yield server, client


def connect(client: Client, **options: Any) -> ResponsesConnection:
    return client.responses.connect(model="gpt-5.5", jitter=lambda: 0.0, **options)


# --------------------------------------------------------------------------- the emulator


async def test_turns_chain_with_only_the_new_item() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        runs = []
        for prompt in ("say: one", "say: two", "hello there"):
            runs.append(await drain(conv.create(input=prompt)))
        assert conv.connections == 1
        assert len(conv.conversation()) == 6
    results = [ended(events).result for events in runs]
    assert [r.text if r else None for r in results] == ["one", "two", "You said: hello there"]
    assert [text_of(events) for events in runs] == ["one", "two", "You said: hello there"]
    starts = [events[0] for events in runs]
    assert [s.chained for s in starts] == [False, True, True]
    assert [s.items_sent for s in starts] == [1, 1, 1]
    assert all(s.bytes_sent > 0 and s.attempt == 1 for s in starts)
    ids = [r.response_id for r in results if r]
    assert [created_ids(events) for events in runs] == [[i] for i in ids]
    [frames] = server.ws_frames
    assert [f.get("previous_response_id") for f in frames] == [None, ids[0], ids[1]]
    assert [f["input"] for f in frames] == [[user("say: one")], [user("say: two")], [user("hello there")]]
    assert starts[1].previous_response_id == ids[0]


async def test_prewarm_sends_generate_false_and_seeds_the_chain() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        warm = await conv.prewarm(instructions="Be brief.", tools=[WEATHER])
        events = await drain(conv.create(input="say: warm"))
    assert warm.status == "completed" and warm.result is not None
    assert warm.result.output == () and warm.result.text == ""
    [frames] = server.ws_frames
    assert frames[0]["generate"] is False
    assert frames[0]["input"] == [{"type": "message", "role": "developer", "content": "Be brief."}]
    assert [tool["name"] for tool in frames[0]["tools"]] == ["get_weather"]
    started = events[0]
    assert started.chained and started.items_sent == 1
    assert started.previous_response_id == warm.result.response_id
    assert frames[1]["previous_response_id"] == warm.result.response_id
    assert "generate" not in frames[1]
    assert ended(events).result.text == "warm"  # type: ignore[union-attr]


@pytest.mark.xfail(
    strict=True,
    reason="prewarm(tools=...) applies the tools to the warm-up frame only: the next turns "
    "send no tools (the API does not inherit them through previous_response_id), so the "
    "module docstring's prewarm-then-tool-call example never calls the tool",
)
async def test_prewarmed_tools_are_offered_on_the_following_turns() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        await conv.prewarm(instructions="Be brief.", tools=[WEATHER])
        events = await drain(conv.create(input=PARIS))
    assert "tools" in server.ws_frames[0][1]
    assert [e.name for e in events if isinstance(e, ToolCall)] == ["get_weather"]


async def test_tool_call_round_trip_continues_the_chain() -> None:
    async with emulator() as (server, client), connect(client, tools=[WEATHER]) as conv:
        asked = await drain(conv.create(input=PARIS))
        [call] = [e for e in asked if isinstance(e, ToolCall)]
        answered = await drain(conv.tool_outputs({call.call_id: "18C, light rain"}))
        assert len(conv.conversation()) == 4
    first = ended(asked).result
    assert first is not None and first.tool_calls == (call,)
    assert (call.name, call.parsed, call.ok) == ("get_weather", {"city": "Paris"}, True)
    second = answered[0]
    assert second.chained and second.items_sent == 1
    assert second.previous_response_id == first.response_id
    reply = ended(answered).result
    assert reply is not None and reply.text == "The get_weather tool returned: 18C, light rain."
    assert not [e for e in answered if isinstance(e, ToolCall)]
    frame = server.ws_frames[0][1]
    assert frame["input"] == [
        {"type": "function_call_output", "call_id": call.call_id, "output": "18C, light rain"}
    ]


async def test_full_history_sends_only_what_the_server_lacks() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        one = ended(await drain(conv.create(history=[user("say: one")]))).result
        assert one is not None
        echoes = list(msgspec.to_builtins(one.output))  # as a caller would keep them (ids...)
        assert echoes[0]["id"].startswith("msg_")
        history = [user("say: one"), *echoes, user("say: two")]
        two = await drain(conv.create(history=history))
        edited = [user("say: uno"), *history[1:], user("say: three")]
        three = await drain(conv.create(history=edited))
    assert two[0].chained and two[0].items_sent == 1
    assert not three[0].chained and three[0].items_sent == 4
    [frames] = server.ws_frames
    assert frames[1]["input"] == [user("say: two")]
    assert frames[1]["previous_response_id"] == one.response_id
    assert "previous_response_id" not in frames[2]
    assert frames[2]["input"][0] == user("say: uno")
    assert "id" not in frames[2]["input"][1]  # the echo went out in its input form
    assert [ended(t).result.text for t in (two, three)] == ["two", "three"]  # type: ignore[union-attr]


async def test_cancel_mid_stream_fences_the_tail_from_the_next_turn() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        slow = conv.create(input="one two three four five six", metadata=fault(delay_s=0.02))
        seen: list[Any] = []
        with anyio.fail_after(10):
            async for event in slow:
                seen.append(event)
                if isinstance(event, ResponseOutputTextDelta):
                    slow.cancel()
        nxt = await drain(conv.create(input="say: after"))
    assert kinds(seen)[-2:] == ["ResponseOutputTextDelta", "TurnEnded"]
    assert seen[-1] == TurnEnded(slow.id, "cancelled")
    assert slow.late_events == []
    [cancelled_id] = created_ids(seen)
    assert created_ids(nxt) and cancelled_id not in created_ids(nxt)
    assert ended(nxt).status == "completed" and text_of(nxt) == "after"
    assert not nxt[0].chained  # store=False: the lane's cache now holds the cancelled response
    assert "previous_response_id" not in server.ws_frames[0][1]


@pytest.mark.parametrize(
    ("knobs", "status", "code"),
    [
        ({"fail_response": True}, "failed", "server_error"),
        ({"fail_response": True, "error_code": "overloaded"}, "failed", "overloaded"),
        ({"inject_error_after": 3, "error_code": "server_error"}, "error", "server_error"),
        ({"ws_error_status": 429}, "error", "rate_limit_exceeded"),
    ],
)
async def test_a_failing_turn_ends_with_its_error_and_the_next_one_works(
    knobs: dict[str, Any], status: str, code: str
) -> None:
    async with emulator() as (_, client), connect(client, store=False) as conv:
        await conv.create(input="say: one").until_done()
        bad = await drain(conv.create(input="say: two", metadata=fault(**knobs)))
        good = await drain(conv.create(input="say: three"))
    end = ended(bad)
    assert (end.status, end.error and end.error.code) == (status, code)
    assert [e.code for e in bad if isinstance(e, APIError)] == [code]
    assert ended(good).status == "completed" and text_of(good) == "three"


async def test_a_forgotten_chain_is_resent_once_with_full_context() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        await conv.create(input="say: one").until_done()
        events = await drain(conv.create(input="say: two", metadata=fault(forget_chains=True)))
    starts = [e for e in events if isinstance(e, TurnStarted)]
    assert [(s.chained, s.attempt) for s in starts] == [(True, 1), (False, 2)]
    assert TurnRetried(starts[0].turn, "previous_response_not_found") in events
    assert ended(events).status == "completed" and text_of(events) == "two"
    resent = server.ws_frames[0][-1]
    assert "previous_response_id" not in resent
    assert [item.get("role") for item in resent["input"]] == ["user", "assistant", "user"]


async def test_connection_age_limit_reconnects_and_resends() -> None:
    async with emulator(ws_max_age_s=0.3) as (server, client):
        async with connect(client, store=False) as conv:
            await conv.create(input="say: one").until_done()
            await anyio.sleep(0.4)
            events = await drain(conv.create(input="say: two"))
            assert conv.connections == 2
            assert any(
                isinstance(n, ReconnectNeeded) and n.reason == "websocket_connection_limit_reached"
                for n in conv.notices
            )
    assert TurnRetried(events[0].turn, "websocket_connection_limit_reached") in events
    assert ended(events).status == "completed" and text_of(events) == "two"
    first, second = server.ws_frames
    assert len(first) == 2 and first[1]["previous_response_id"]
    assert "previous_response_id" not in second[0] and len(second[0]["input"]) == 3


@pytest.mark.parametrize("store", [False, True])
async def test_rotation_at_an_idle_moment_opens_a_new_socket(store: bool) -> None:
    async with emulator() as (server, client):
        conv = connect(client, store=store)
        conv.machine.rotate_after_s = 0.2  # armed when a socket opens (55 min by default)
        async with conv:
            one = ended(await drain(conv.create(input="say: one"))).result
            with anyio.fail_after(5):
                while conv.connections < 2:
                    await anyio.sleep(0.01)
            conv.machine.rotate_after_s = 3600.0
            two = await drain(conv.create(input="say: two"))
            assert RotateConnection() in conv.notices
    assert one is not None and ended(two).status == "completed" and text_of(two) == "two"
    assert two[0].chained is store  # a stored chain survives the socket; a cache does not
    assert [len(frames) for frames in server.ws_frames[:2]] == [1, 1]
    assert server.ws_frames[1][0].get("previous_response_id") == (
        one.response_id if store else None
    )


async def test_trace_replays_without_divergence_and_holds_no_secret() -> None:
    buf = io.BytesIO()
    async with emulator() as (_, client), connect(client, store=False, trace=buf.write) as conv:
        statuses = []
        for prompt, knobs in [
            ("say: one", None),
            ("say: two", {"forget_chains": True}),
            ("say: three", {"fail_response": True}),
            (PARIS, None),
        ]:
            extra = {"metadata": fault(**knobs)} if knobs else {}
            statuses.append((await conv.create(input=prompt, **extra).until_done()).status)
    data = buf.getvalue()
    assert KEY.encode() not in data and b"SECRET" not in data
    header, records = load_trace(io.BytesIO(data))
    assert header is not None and header["api"] == "responses-ws"
    assert [r["call"] for r in records if r["op"] == "app"] == ["create"] * 4
    summary = replay(header, records)
    assert summary.divergences == []
    assert [turn.status for turn in summary.turns] == statuses
    assert statuses == ["completed", "completed", "failed", "completed"]


async def test_leaving_with_a_turn_open_cancels_it_and_stops_every_task() -> None:
    async with emulator() as (_, client):
        async with connect(client) as conv:
            turn = conv.create(input="a b c d e f g h i j", metadata=fault(delay_s=0.05))
            queued = conv.create(input="say: never sent")
            async for event in turn:
                if isinstance(event, ResponseOutputTextDelta):
                    break
            assert client_tasks() == {"_run_reader", "_supervise", "_writer"}
        assert turn.ended == TurnEnded(turn.id, "cancelled")
        assert queued.ended == TurnEnded(queued.id, "cancelled")
        assert kinds(await drain(turn)) == ["TurnEnded"]
        await conv.aclose()  # idempotent
        with pytest.raises(APIConnectionError):
            conv.create(input="too late")
        assert client_tasks() == set()
