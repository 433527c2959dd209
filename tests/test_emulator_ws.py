"""The emulator's Responses WebSocket mode, driven by a raw anyio + wsproto client (asyncio, trio).

Every frame the emulator sends is validated against the `openai` SDK's server-event union
(`ResponsesServerEvent`), with no undocumented top-level fields.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import anyio
import anyio.abc
import openai
import pydantic
import pytest
from openai.lib.responses_websocket import (
    AsyncResponsesWebSocketSession,
    ResponsesWebSocketLimits,
)
from openai.types.responses import Response
from openai.types.responses.responses_server_event import (
    ResponsesServerEvent,
    ResponseWsError,
    ResponseWsErrorError,
)
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from openai_sansio.emulator import RULES_DOC, EmulatorConfig, running
from openai_sansio.emulator.ws_engine import WsEngine

pytestmark = pytest.mark.anyio

SECRET = "sk-test-SECRET-do-not-echo"
SERVER_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ResponsesServerEvent)
TERMINAL = {"response.completed", "response.incomplete", "response.failed", "error"}
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
TOOLS = [{"type": "function", "name": "get_weather", "parameters": WEATHER}]
# Documented by the API but absent from the SDK's models: delta padding and the spec's
# ``name`` on ``response.function_call_arguments.done``.
EXTRA_FIELDS = {"obfuscation", "name"}


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def check(frame: dict[str, Any]) -> dict[str, Any]:
    """Validate one server frame against the SDK; returns it."""
    model = SERVER_EVENT.validate_python(frame)
    unknown = set(frame) - set(type(model).model_fields) - EXTRA_FIELDS
    assert not unknown, (frame["type"], unknown)
    if frame["type"] == "error":
        ResponseWsError.model_validate(frame)
        assert set(frame["error"]) <= set(ResponseWsErrorError.model_fields)
    if "response" in frame:
        Response.model_validate(frame["response"])
    return frame


def create(text: Any = "hello", **fields: Any) -> dict[str, Any]:
    return {"type": "response.create", "model": "gpt-test", "input": text, **fields}


def fault(**knobs: Any) -> dict[str, str]:
    """``metadata`` carrying per-turn fault knobs."""
    return {"emulator_fault": json.dumps(knobs)}


class WsClient:
    """A raw Responses WebSocket client: one anyio TCP stream + a wsproto client connection."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: deque[Event] = deque()
        self.status = 0
        self.reject_body = b""
        self.close_code: int | None = None

    @classmethod
    async def open(
        cls,
        port: int,
        *,
        auth: bool = True,
        fault: dict[str, Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
        path: str = "/v1/responses",
    ) -> WsClient:
        client = cls(await anyio.connect_tcp("127.0.0.1", port))
        extra = [("authorization", f"Bearer {SECRET}")] if auth else []
        if fault is not None:
            extra.append(("x-emulator-fault", json.dumps(fault)))
        extra += headers or []
        await client.stream.send(
            client.ws.send(Request(host="127.0.0.1", target=path, extra_headers=extra))
        )
        while client.status == 0:
            event = await client._next()
            if isinstance(event, AcceptConnection):
                client.status = 101
            elif isinstance(event, RejectConnection):
                client.status = event.status_code
                done = not event.has_body
                while not done:
                    data = await client._next()
                    assert isinstance(data, RejectData)
                    client.reject_body += data.data
                    done = data.body_finished
            else:
                raise AssertionError(event)
        return client

    async def _next(self) -> Event:
        while not self.events:
            with anyio.fail_after(10):
                try:
                    data: bytes | None = await self.stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    data = None
            self.ws.receive_data(data)
            self.events.extend(self.ws.events())
        return self.events.popleft()

    async def send(self, *frames: dict[str, Any] | str) -> None:
        """Send frames in ONE socket write (so the server receives them together)."""
        data = b"".join(
            self.ws.send(TextMessage(data=f if isinstance(f, str) else json.dumps(f)))
            for f in frames
        )
        await self.stream.send(data)

    async def recv(self) -> dict[str, Any] | None:
        """The next frame (validated), or None once the connection closed (`close_code`)."""
        if self.close_code is not None:
            return None
        event = await self._next()
        if isinstance(event, CloseConnection):
            self.close_code = event.code
            return None
        assert isinstance(event, TextMessage), event
        return check(json.loads(event.data))

    async def until_terminal(self, lane: str | None = None) -> list[dict[str, Any]]:
        """Frames up to and including the next terminal frame of `lane` (all lanes kept)."""
        frames: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            assert frame is not None, f"closed ({self.close_code}) after {frames}"
            frames.append(frame)
            if frame["type"] in TERMINAL and frame.get("stream_id") == lane:
                return frames

    async def turn(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        await self.send(frame)
        return await self.until_terminal(frame.get("stream_id"))

    async def closed(self) -> int | None:
        """Drain until the server closes; the close code (1006 = no close frame)."""
        while await self.recv() is not None:
            pass
        return self.close_code

    async def aclose(self) -> None:
        await self.stream.aclose()


def final(frames: list[dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = frames[-1]["response"]
    return response


def text_of(frames: list[dict[str, Any]]) -> str:
    return "".join(str(f["delta"]) for f in frames if f["type"] == "response.output_text.delta")


def numbered(frames: list[dict[str, Any]]) -> None:
    assert [f["sequence_number"] for f in frames] == list(range(len(frames)))


def not_found(response_id: str, lane: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "error",
        "status": 400,
        "error": {
            "type": "invalid_request_error",
            "code": "previous_response_not_found",
            "message": f"Previous response with id '{response_id}' not found.",
            "param": "previous_response_id",
        },
    }
    if lane is not None:
        frame["stream_id"] = lane
    return frame


# --- turns ------------------------------------------------------------------------------


async def test_text_turn_and_bookkeeping() -> None:
    async with running(EmulatorConfig(seed=3)) as server:
        assert server.ws_url == f"ws://127.0.0.1:{server.port}/v1/responses"
        client = await WsClient.open(server.port)
        assert client.status == 101
        frames = await client.turn(create("hello socket", stream=True, api_key=SECRET))
        await client.aclose()
        recorded = server.ws_frames
    types = [f["type"] for f in frames]
    n = types.count("response.output_text.delta")
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * n,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    numbered(frames)
    assert text_of(frames) == "You said: hello socket"
    assert not any("obfuscation" in f or "stream_id" in f for f in frames)
    assert final(frames)["status"] == "completed" and final(frames)["store"] is True
    assert recorded == [[{**create("hello socket", stream=True), "api_key": "<redacted>"}]]
    upgrade = server.requests[-1]
    assert upgrade.method == "GET" and upgrade.headers["authorization"] == "<redacted>"
    assert SECRET not in repr(server.requests) + repr(server.ws_connections)


async def test_tool_turn_then_follow_up_with_only_new_items() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        first = await client.turn(create("get_weather for Lisbon", tools=TOOLS, store=False))
        call = final(first)["output"][0]
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}
        follow = await client.turn(
            create([output], tools=TOOLS, store=False, previous_response_id=final(first)["id"])
        )
        await client.aclose()
    types = [f["type"] for f in first]
    assert "response.function_call_arguments.done" in types
    assert call["type"] == "function_call" and json.loads(call["arguments"]) == {"city": "Lisbon"}
    numbered(follow)
    assert text_of(follow) == "The get_weather tool returned: sunny."
    usage = final(follow)["usage"]
    assert usage["input_tokens_details"]["cached_tokens"] == final(first)["usage"]["total_tokens"]
    assert final(follow)["previous_response_id"] == final(first)["id"]


async def test_obfuscation_only_when_asked_and_background_refused() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        padded = await client.turn(
            create("a b", stream_options={"include_obfuscation": True}, stream_id="x")
        )
        refused = await client.turn(create("a", background=True))
        await client.aclose()
    deltas = [f for f in padded if f["type"] == "response.output_text.delta"]
    assert deltas and all(f["obfuscation"] and f["stream_id"] == "x" for f in deltas)
    assert refused == [refused[0]] and refused[0]["error"]["param"] == "background"
    assert refused[0]["status"] == 400 and "sequence_number" not in refused[0]


# --- the connection-local cache -----------------------------------------------------------


async def test_store_false_caches_only_the_latest_response_per_lane() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        r1 = final(await client.turn(create("one", store=False)))["id"]
        r2 = final(await client.turn(create("two", store=False, previous_response_id=r1)))["id"]
        r3 = await client.turn(create("three", store=False, previous_response_id=r2))
        stale = await client.turn(create("again", store=False, previous_response_id=r1))
        lane_stale = await client.turn(
            create("x", store=False, previous_response_id=r1, stream_id="s")
        )
        await client.aclose()
        other = await WsClient.open(server.port)
        reconnected = await other.turn(create("y", previous_response_id=final(r3)["id"]))
        await other.aclose()
    assert final(r3)["status"] == "completed"
    assert stale == [not_found(r1)]
    assert lane_stale == [not_found(r1, "s")]
    assert reconnected == [not_found(final(r3)["id"])]


async def test_store_true_survives_reconnect_and_is_shared_with_http() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        r1 = final(await client.turn(create("one")))["id"]
        await client.turn(create("two", previous_response_id=r1))
        older = await client.turn(create("three", previous_response_id=r1))
        await client.aclose()
        other = await WsClient.open(server.port)
        again = await other.turn(create("four", previous_response_id=r1))
        await other.aclose()
    assert final(older)["status"] == "completed"
    assert final(again)["usage"]["input_tokens_details"]["cached_tokens"] > 0


async def test_failed_continuation_evicts_parent_but_fork_does_not() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        r1 = final(await client.turn(create("one", store=False, stream_id="a")))["id"]
        fork = await client.turn(
            create(
                "x",
                store=False,
                stream_id="b",
                previous_response_id=r1,
                metadata=fault(ws_error_status=500),
            )
        )
        still = await client.turn(
            create("two", store=False, stream_id="a", previous_response_id=r1)
        )
        r2 = final(still)["id"]
        failed = await client.turn(
            create(
                "three",
                store=False,
                stream_id="a",
                previous_response_id=r2,
                metadata=fault(fail_response=True),
            )
        )
        evicted = await client.turn(
            create("four", store=False, stream_id="a", previous_response_id=r2)
        )
        await client.aclose()
    assert fork[-1]["status"] == 500 and fork[-1]["stream_id"] == "b"
    assert fork[-1]["error"]["type"] == "server_error"
    assert final(still)["status"] == "completed"
    assert failed[-1]["type"] == "response.failed"
    assert evicted == [not_found(r2, "a")]


async def test_warm_up_then_chain() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        system = {"role": "developer", "content": "Be brief."}
        warm = await client.turn(create([system], store=False, generate=False, tools=TOOLS))
        chained = await client.turn(
            create("hi there", store=False, tools=TOOLS, previous_response_id=final(warm)["id"])
        )
        await client.aclose()
    assert [f["type"] for f in warm] == [
        "response.created",
        "response.in_progress",
        "response.completed",
    ]
    assert final(warm)["output"] == [] and final(warm)["usage"]["output_tokens"] == 0
    assert text_of(chained) == "You said: hi there"
    cached = final(chained)["usage"]["input_tokens_details"]["cached_tokens"]
    assert cached == final(warm)["usage"]["total_tokens"] > 0


# --- lanes ------------------------------------------------------------------------------


async def test_two_lanes_interleave_round_robin() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        await client.send(
            create("say: one two three", stream_id="a"),
            create("say: four five six seven eight", stream_id="b"),
        )
        frames = await client.until_terminal("b")
        await client.aclose()
    lanes = [f["stream_id"] for f in frames]
    a_count = lanes.count("a")
    assert lanes[: 2 * a_count] == ["a", "b"] * a_count
    assert set(lanes[2 * a_count :]) == {"b"}
    for lane in ("a", "b"):
        numbered([f for f in frames if f["stream_id"] == lane])
    a, b = ([f for f in frames if f["stream_id"] == s] for s in ("a", "b"))
    assert text_of(a) == "one two three" and text_of(b) == "four five six seven eight"


async def test_same_lane_runs_fifo() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        await client.send(create("say: first"), create("say: second"))
        first = await client.until_terminal()
        second = await client.until_terminal()
        await client.aclose()
    assert (text_of(first), text_of(second)) == ("first", "second")
    numbered(first)
    numbered(second)


async def test_invalid_stream_id_and_lane_limit() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        bad = []
        for value in ["bad id!", "x" * 257, "", 7]:
            await client.send(create("x", stream_id=value))
            bad.append(await client.recv())
        ok = await client.turn(create("x", stream_id="a" * 256, generate=False))  # lane 1
        await client.send(*(create("x", stream_id=f"lane{i}", generate=False) for i in range(31)))
        frames = []
        while len([f for f in frames if f["type"] == "response.completed"]) < 31:
            frames.append(await client.recv())
        limited = await client.turn(create("x", stream_id="lane33"))
        reused = await client.turn(create("x", stream_id="lane0", generate=False))
        default = await client.turn(create("x", generate=False))
        await client.aclose()
    for frame in bad:
        assert frame is not None and frame["error"]["code"] == "invalid_stream_id"
        assert "stream_id" not in frame and frame["status"] == 400
    assert ok[-1]["type"] == "response.completed"
    assert limited[-1]["error"]["code"] == "websocket_stream_limit_reached"
    assert limited[-1]["stream_id"] == "lane33"
    assert reused[-1]["type"] == default[-1]["type"] == "response.completed"


async def test_connection_age_limit() -> None:
    async with running(EmulatorConfig(ws_max_age_s=0.3)) as server:
        client = await WsClient.open(server.port)
        first = await client.turn(create("x", stream_id="a"))
        await anyio.sleep(0.35)
        await client.send(create("y", stream_id="a"))
        limit = await client.recv()
        code = await client.closed()
        fresh = await WsClient.open(server.port, fault={"ws_max_age_s": 60})
        ok = await fresh.turn(create("z"))
        await fresh.aclose()
    assert first[-1]["type"] == ok[-1]["type"] == "response.completed"
    assert limit is not None and "stream_id" not in limit
    assert limit["error"]["code"] == "websocket_connection_limit_reached"
    assert code == 1000


# --- fault knobs ----------------------------------------------------------------------------


async def test_drop_after_events_tcp_or_close_frame() -> None:
    async with running(EmulatorConfig(drop_after_events=3)) as server:
        abrupt = await WsClient.open(server.port)
        await abrupt.send(create("a b c"))
        abrupt_frames = [await abrupt.recv() for _ in range(3)]
        abrupt_code = await abrupt.closed()
        framed = await WsClient.open(server.port, fault={"ws_close_code": 1011})
        await framed.send(create("a b c"))
        framed_code = await framed.closed()
        turn = await WsClient.open(server.port, fault={"drop_after_events": None})
        whole = await turn.turn(create("x"))
        await turn.send(create("y", metadata=fault(drop_after_events=2, ws_close_code=1011)))
        cut = [await turn.recv(), await turn.recv()]
        turn_code = await turn.closed()
        assert server.emulator.internal_errors == []
    assert [f["type"] for f in abrupt_frames if f] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]
    assert abrupt_code == 1006 and framed_code == 1011 and turn_code == 1011
    assert whole[-1]["type"] == "response.completed" and all(cut)


async def test_error_status_frames_and_handshake_refusal() -> None:
    async with running() as server:
        limited = await WsClient.open(server.port, fault={"ws_error_status": 429})
        rate = await limited.turn(create("x", stream_id="s"))
        after = await limited.turn(create("x", stream_id="s", metadata=fault(ws_error_status=None)))
        await limited.aclose()
        plain = await WsClient.open(server.port)
        boom = await plain.turn(create("x", metadata=fault(http_status=503, error_code="boom")))
        typo = await plain.turn(create("x", metadata=fault(drop_after=1)))
        scoped = await plain.turn(create("x", metadata=fault(ws_max_age_s=1)))
        await plain.aclose()
        refused = await WsClient.open(server.port, fault={"http_status": 429})
        bad_header = await WsClient.open(server.port, fault={"nope": 1})
    assert rate == [rate[0]] and rate[0]["status"] == 429 and rate[0]["stream_id"] == "s"
    assert rate[0]["error"]["code"] == "rate_limit_exceeded"
    assert rate[0]["error"]["headers"]["retry-after"] == "1"
    assert after[-1]["type"] == "response.completed"
    assert boom[-1]["status"] == 503 and boom[-1]["error"]["code"] == "boom"
    assert typo[-1]["error"]["param"] == scoped[-1]["error"]["param"] == "metadata.emulator_fault"
    assert refused.status == 429 and json.loads(refused.reject_body)["error"]["code"]
    assert bad_header.status == 400


async def test_inject_error_fail_incomplete_forget() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        injected = await client.turn(create("a b c", metadata=fault(inject_error_after=3)))
        failed = await client.turn(create("a b c", metadata=fault(fail_response=True)))
        cut = await client.turn(create("a b c d", metadata=fault(incomplete=True)))
        healthy = await client.turn(create("x"))
        await client.aclose()
        forgetful = await WsClient.open(server.port, fault={"forget_chains": True})
        forgotten = await forgetful.turn(create("y", previous_response_id=final(healthy)["id"]))
        await forgetful.aclose()
    assert len(injected) == 4 and injected[-1]["sequence_number"] == 3
    assert injected[-1]["error"]["code"] == "server_error" and "status" not in injected[-1]
    assert failed[-1]["type"] == "response.failed"
    assert final(cut)["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final(healthy)["status"] == "completed"
    assert forgotten == [not_found(final(healthy)["id"])]


async def test_handshake_refusals() -> None:
    async with running() as server:
        anonymous = await WsClient.open(server.port, auth=False)
        api_key = await WsClient.open(server.port, auth=False, headers=[("api-key", "k")])
        chat = await WsClient.open(server.port, path="/v1/chat/completions")
        await api_key.aclose()
    assert anonymous.status == 401
    error = json.loads(anonymous.reject_body)["error"]
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert api_key.status == 101 and chat.status == 405


async def test_bad_frames_keep_the_connection() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        await client.send("{not json", '{"type": "response.cancel"}', create("x", tools="no"))
        errors = [await client.recv() for _ in range(3)]
        ok = await client.turn(create("x"))
        await client.aclose()
        assert server.ws_frames[0][0] == "{not json"
    assert [e["error"].get("param") if e else "closed" for e in errors] == [None, "type", "tools"]
    assert ok[-1]["type"] == "response.completed"


# --- steering -----------------------------------------------------------------------------


async def test_steer_cuts_a_text_answer_and_starts_a_successor() -> None:
    words = "say: " + " ".join(f"w{i}" for i in range(12))
    async with running() as server:
        client = await WsClient.open(server.port)
        await client.send(create(words, stream_id="s", metadata=fault(delay_s=0.1)))
        frames = []
        while not frames or frames[-1]["type"] != "response.output_text.delta":
            frames.append(await client.recv())
        target = frames[0]["response"]["id"]
        steer = {"type": "response.steer", "previous_response_id": target, "input": "say: stop"}
        await client.send(steer)
        frames += await client.until_terminal("s")
        successor = await client.until_terminal("s")
        await client.send(steer, {**steer, "previous_response_id": "resp_nope"})
        late, unknown = await client.recv(), await client.recv()
        await client.aclose()
    accepted = next(f for f in frames if f["type"] == "response.steer.accepted")
    assert accepted["steer"]["previous_response_id"] == target and accepted["stream_id"] == "s"
    body = [f for f in frames if f is not accepted]
    numbered(sorted(frames, key=lambda f: f["sequence_number"]))
    done = next(f for f in body if f["type"] == "response.output_text.done")
    assert done["text"] == text_of(body) and words[5:].startswith(done["text"])
    assert len(done["text"]) < len(words) - 5
    assert frames[-1]["type"] == "response.incomplete"
    assert final(frames)["incomplete_details"] == {"reason": "steered"}
    assert successor[0]["type"] == "response.created"
    assert final(successor)["previous_response_id"] == target
    assert text_of(successor) == "stop" and successor[-1]["stream_id"] == "s"
    assert late is not None and late["error"]["code"] == "response_not_active"
    assert unknown is not None and unknown["type"] == "response.steer.failed"
    assert unknown["error"]["code"] == "response_not_found" and "stream_id" not in unknown


async def test_steer_failures_and_tool_pending() -> None:
    async with running() as server:
        client = await WsClient.open(server.port)
        done = await client.turn(create("x", stream_id="s"))
        target = final(done)["id"]
        steer = {"type": "response.steer", "previous_response_id": target, "input": "later"}
        await client.send(steer, {**steer, "stream_id": "s"}, {"type": "response.steer"})
        inactive, invalid, malformed = [await client.recv() for _ in range(3)]
        await client.send(create("get_weather in Oslo", tools=TOOLS, metadata=fault(delay_s=0.05)))
        created = await client.recv()
        assert created is not None
        tool_id = created["response"]["id"]
        await client.send({**steer, "previous_response_id": tool_id, "input": "say: hurry"})
        frames = await client.until_terminal()
        pending = await client.recv()
        call = final(frames)["output"][0]
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "rain"}
        follow = await client.turn(create([output], tools=TOOLS, previous_response_id=tool_id))
        recall = await client.turn(
            create(
                [{"role": "assistant", "content": "ok"}],
                previous_response_id=final(follow)["id"],
            )
        )
        await client.aclose()
    assert inactive is not None and inactive["error"]["code"] == "response_not_active"
    assert inactive["stream_id"] == "s" and inactive["steer"]["input"] == "later"
    assert invalid is not None and invalid["error"]["code"] == "invalid_input"
    assert malformed is not None and malformed["type"] == "error"
    assert any(f["type"] == "response.steer.accepted" for f in frames)
    assert final(frames)["status"] == "completed"
    assert pending is not None and pending["type"] == "response.steer.pending"
    assert pending["required_input"] == [
        {"type": "function_call_output", "call_id": call["call_id"], "name": "get_weather"}
    ]
    assert text_of(follow) == "The get_weather tool returned: rain."
    assert text_of(recall) == "You said: say: hurry"


# --- the official SDK's own WebSocket client --------------------------------------------------


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the SDK's socket client is asyncio
async def test_official_sdk_session_with_lanes(anyio_backend: str) -> None:
    limits = ResponsesWebSocketLimits(
        max_lanes=4,
        max_events_per_lane=128,
        max_events=512,
        max_bytes_per_lane=1 << 24,
        max_bytes=1 << 25,
    )
    tools: Any = TOOLS
    async with running() as server:
        client = openai.AsyncOpenAI(base_url=server.base_url, api_key=SECRET, max_retries=0)
        async with client, client.responses.connect() as connection:
            async with AsyncResponsesWebSocketSession(connection, limits=limits) as session:
                text, tool = session.lane("text"), session.lane("tool")
                await text.send(
                    {"type": "response.create", "model": "m", "input": "say: alpha beta"}
                )
                await tool.send(
                    {
                        "type": "response.create",
                        "model": "m",
                        "input": "get_weather in Paris",
                        "tools": tools,
                        "store": False,
                    }
                )
                said, called = await text.get_final_response(), await tool.get_final_response()
                call = called.output[0]
                assert call.type == "function_call"
                result = {"type": "function_call_output", "call_id": call.call_id, "output": "ok"}
                await tool.send(
                    {
                        "type": "response.create",
                        "model": "m",
                        "previous_response_id": called.id,
                        "input": [result],
                        "tools": tools,
                        "store": False,
                    }
                )
                follow = await tool.get_final_response()
    assert said.output_text == "alpha beta" and call.arguments == '{"city":"Paris"}'
    assert follow.output_text == "The get_weather tool returned: ok."
    assert [f.get("stream_id") for f in server.ws_frames[0]] == ["text", "tool", "tool"]


# --- determinism and documentation ----------------------------------------------------------


async def test_same_seed_same_frames() -> None:
    async def session() -> list[dict[str, Any]]:
        async with running(EmulatorConfig(seed=11)) as server:
            client = await WsClient.open(server.port)
            await client.send(create("say: a b", stream_id="a"), create("get_weather", tools=TOOLS))
            frames: list[dict[str, Any]] = []
            while sum(f["type"] == "response.completed" for f in frames) < 2:
                frame = await client.recv()
                assert frame is not None
                frames.append(frame)
            await client.aclose()
            return frames

    assert await session() == await session()


def test_rules_doc_and_engine_without_sockets() -> None:
    assert "WebSocket" in RULES_DOC and "emulator_fault" in RULES_DOC
    assert "websocket_connection_limit_reached" in RULES_DOC

    class Store:
        def __init__(self) -> None:
            from openai_sansio.emulator.router import Router

            self.router = Router(EmulatorConfig())

        def next_ids(self, raw: bytes) -> Any:
            return self.router.next_ids(raw)

        def stored(self, response_id: str) -> Any:
            return self.router.stored(response_id)

        def store(self, response_id: str, record: Any) -> None:
            self.router.store(response_id, record)

    engine = WsEngine(Store(), EmulatorConfig(ws_max_age_s=10), opened_at=0.0)
    engine.receive_text(json.dumps(create("say: hi")), now=1.0)
    frames = []
    while (out := engine.next_frame()) is not None:
        assert out.frame is not None and out.close is None
        frames.append(check(out.frame))
    assert text_of(frames) == "hi"
    engine.receive_text(json.dumps(create("x")), now=10.0)
    out = engine.next_frame()
    assert out is not None and out.close is not None and out.close.code == 1000
    assert engine.next_frame() is None
