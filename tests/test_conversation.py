"""`client.responses.connect(...)` (`ResponsesConnection`, `Turn`) against the emulator, on
loopback, under asyncio and trio.

Chaining, prewarm, tool calls, full-history turns, cancel, error frames and failed responses,
forgotten chains, the connection-age limit, rotation, traces that replay, leaving the block
with a turn open; and handshakes cut short by a TCP proxy. The independent
``websockets`` peer is in ``test_conversation_peer.py``, the ``chat --ws`` CLI in
``test_cli_ws.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import msgspec
import pytest

from openai_sansio.client import Client
from openai_sansio.conversation import ResponsesConnection, Turn
from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running
from openai_sansio.errors import APIConnectionError
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.events.responses import ResponseCreated, ResponseOutputTextDelta
from openai_sansio.protocol.requests import function_tool
from openai_sansio.protocol.responses_ws_events import (
    ReconnectNeeded,
    RotateConnection,
    TurnEnded,
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
    assert [f["input"] for f in frames] == [
        [user("say: one")],
        [user("say: two")],
        [user("hello there")],
    ]
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


async def test_steer_continues_the_turn_in_its_successor() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        turn = conv.create(input="a b c d e f g h i j k l", metadata=fault(delay_s=0.03))
        events: list[Any] = []
        with anyio.fail_after(10):
            async for event in turn:
                events.append(event)
                if isinstance(event, ResponseOutputTextDelta) and event.delta == " b":
                    turn.steer("say: steered")
        assert len(conv.conversation()) == 4  # input, partial output, steer, final output
    assert "ResponseSteerAccepted" in kinds(events) and "ResponseIncomplete" in kinds(events)
    first, second = created_ids(events)
    result = ended(events).result
    assert result is not None and (result.response_id, result.text) == (second, "steered")
    steer = server.ws_frames[0][1]
    assert steer == {
        "type": "response.steer",
        "previous_response_id": first,
        "input": "say: steered",
    }


async def test_lanes_run_side_by_side_and_chain_separately() -> None:
    async with emulator() as (server, client), connect(client, store=False) as conv:
        a, b = conv.create(input="say: a1", lane="a"), conv.create(input="say: b1", lane="b")
        first = [await drain(a), await drain(b)]
        a2 = await drain(conv.create(input="say: a2", lane="a"))
        assert [len(conv.conversation(lane)) for lane in ("a", "b", None)] == [4, 2, 0]
    assert [text_of(events) for events in [*first, a2]] == ["a1", "b1", "a2"]
    assert a2[0].chained and a2[0].previous_response_id == created_ids(first[0])[0]
    frames = server.ws_frames[0]
    assert [f.get("stream_id") for f in frames] == ["a", "b", "a"]


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
    async with emulator(ws_max_age_s=0.5) as (server, client):
        async with connect(client, store=False) as conv:
            await conv.create(input="say: one").until_done()
            await anyio.sleep(0.6)
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
    options: dict[str, Any] = {"store": False, "tools": [WEATHER], "trace": buf.write}
    async with emulator() as (_, client), connect(client, **options) as conv:
        slow = conv.create(input="a b c d e f", metadata=fault(delay_s=0.01))
        async for event in slow:
            if isinstance(event, ResponseOutputTextDelta):
                slow.cancel()
        turns = [slow]
        for prompt, knobs in [
            ("say: two", {"forget_chains": True}),
            ("say: three", {"fail_response": True}),
            (PARIS, {}),
        ]:
            turns.append(conv.create(input=prompt, metadata=fault(**knobs)))
            await turns[-1].until_done()
        [call] = turns[-1].ended.result.tool_calls  # type: ignore[union-attr]
        turns.append(conv.tool_outputs({call.call_id: "sunny"}))
        await turns[-1].until_done()
    statuses = [turn.ended.status for turn in turns if turn.ended]
    assert statuses == ["cancelled", "completed", "failed", "completed", "completed"]
    data = buf.getvalue()
    assert KEY.encode() not in data and b"SECRET" not in data
    header, records = load_trace(io.BytesIO(data))
    assert header is not None and header["api"] == "responses-ws"
    calls = [r["call"] for r in records if r["op"] == "app"]
    assert calls == ["create", "cancel", "create", "create", "create", "create"]
    summary = replay(header, records)
    assert summary.divergences == []
    assert [turn.status for turn in summary.turns] == statuses


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


class Proxy:
    """A loopback TCP proxy to ``127.0.0.1:port`` for its first `forward` connections; the later
    ones are closed at once (the peer "closed the connection during the WebSocket handshake")."""

    def __init__(self, port: int = 0, *, forward: int = 1) -> None:
        self.port, self.forward, self.accepted = port, forward, 0

    async def _serve(self, client: anyio.abc.SocketStream) -> None:
        self.accepted += 1
        if self.accepted > self.forward:
            await client.aclose()
            return
        async with client, await anyio.connect_tcp("127.0.0.1", self.port) as upstream:
            async with anyio.create_task_group() as group:
                group.start_soon(self._pipe, client, upstream, group.cancel_scope)
                await self._pipe(upstream, client, group.cancel_scope)

    @staticmethod
    async def _pipe(
        src: anyio.abc.SocketStream, dst: anyio.abc.SocketStream, scope: anyio.CancelScope
    ) -> None:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            async for chunk in src:
                await dst.send(chunk)
        scope.cancel()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with anyio.create_task_group() as group:
            group.start_soon(listener.serve, self._serve)
            yield f"ws://127.0.0.1:{port}/v1/responses"
            group.cancel_scope.cancel()


async def test_a_reconnect_cut_during_the_handshake_ends_the_waiting_turn() -> None:
    async with emulator() as (server, client):
        async with Proxy(server.port, forward=1).running() as url:
            async with connect(client, wss_url=url, reconnect_attempts=1) as conv:
                await conv.create(input="say: x", metadata=fault(drop_after_events=2)).until_done()
                turn = conv.create(input="say: y")  # the next socket is cut in its handshake
                end = await turn.until_done()
    assert end.status == "interrupted" and conv.connections == 1


def test_a_first_handshake_cut_short_raises_a_typed_error() -> None:
    async def scenario() -> BaseException | None:
        async with (
            Proxy(forward=0).running() as url,
            Client(api_key=KEY, base_url="http://127.0.0.1:9/v1") as client,
        ):
            try:
                async with connect(client, wss_url=url, reconnect_attempts=0):
                    return None
            except Exception as exc:  # a crashed supervisor would raise CancelledError instead
                return exc

    error = anyio.run(scenario, backend="asyncio")  # its own loop: a regression corrupts it
    assert isinstance(error, RemoteProtocolError | APIConnectionError)
