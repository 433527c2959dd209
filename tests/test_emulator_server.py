"""The emulator over real loopback sockets, driven by a raw anyio + h11 client (asyncio and trio).

Every streamed event and chunk is validated against the `openai` SDK's types.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import h11
import openai
import pydantic
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running

pytestmark = pytest.mark.anyio

STREAM_EVENT = pydantic.TypeAdapter(ResponseStreamEvent)
SECRET = "sk-test-SECRET-do-not-echo"

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
TIME_SCHEMA = {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}
R_TOOLS = [
    {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA},
    {"type": "function", "name": "get_time", "parameters": TIME_SCHEMA},
]
C_TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "parameters": TIME_SCHEMA}},
]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- a raw HTTP/1.1 client: anyio socket + h11 ------------------------------------------


@dataclass
class RawResponse:
    """One response as received: HTTP chunks exactly as framed by the server."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False

    def json(self) -> Any:
        return json.loads(self.body)

    def sse(self) -> list[tuple[str | None, str]]:
        """(event name, data) per chunk, asserting one SSE event per HTTP chunk."""
        out: list[tuple[str | None, str]] = []
        for chunk in self.chunks:
            text = chunk.decode()
            assert text.endswith("\n\n") and text.count("\n\n") == 1, chunk
            name, data = None, None
            for line in text[:-2].split("\n"):
                key, _, value = line.partition(": ")
                if key == "event":
                    name = value
                elif key == "data":
                    data = value
            assert data is not None
            out.append((name, data))
        return out

    def events(self) -> list[dict[str, Any]]:
        """Responses events, checking `event:` matches the JSON `type`."""
        out = []
        for name, data in self.sse():
            event = json.loads(data)
            assert name == event["type"]
            out.append(event)
        return out

    def chat_chunks(self) -> tuple[list[dict[str, Any]], bool]:
        """Chat chunks and whether the stream ended with ``data: [DONE]``."""
        frames = self.sse()
        assert all(name is None for name, _ in frames)
        done = bool(frames) and frames[-1][1] == "[DONE]"
        return [json.loads(d) for _, d in (frames[:-1] if done else frames)], done


class RawClient:
    """One keep-alive connection to the emulator."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.conn = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, port: int) -> RawClient:
        return cls(await anyio.connect_tcp("127.0.0.1", port))

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def _receive(self) -> bytes:
        try:
            return await self.stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return b""

    async def request(
        self,
        path: str,
        body: Any = None,
        *,
        method: str = "POST",
        headers: list[tuple[str, str]] | None = None,
        auth: bool = True,
        fault: dict[str, Any] | None = None,
    ) -> RawResponse:
        if self.conn.our_state is h11.DONE:
            self.conn.start_next_cycle()
        raw = (
            body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        )
        hs = [("host", "127.0.0.1"), ("content-type", "application/json")]
        hs.append(("content-length", str(len(raw))))
        if auth:
            hs.append(("authorization", f"Bearer {SECRET}"))
        if fault is not None:
            hs.append(("x-emulator-fault", json.dumps(fault)))
        hs += headers or []
        data = self.conn.send(h11.Request(method=method, target=path, headers=hs))
        data += self.conn.send(h11.Data(data=raw)) + self.conn.send(h11.EndOfMessage())
        await self.stream.send(data)
        resp = RawResponse()
        pending = b""
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError:
                return resp  # connection closed mid-message: complete stays False
            if event is h11.NEED_DATA:
                self.conn.receive_data(await self._receive())
            elif isinstance(event, h11.Response):
                resp.status = event.status_code
                resp.headers = {k.decode(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                resp.body += event.data
                pending += event.data
                if event.chunk_end:
                    resp.chunks.append(pending)
                    pending = b""
            elif isinstance(event, h11.EndOfMessage):
                resp.complete = True
                return resp
            else:
                return resp

    async def server_closed(self) -> bool:
        """True when the server has closed this connection (EOF on read)."""
        with anyio.move_on_after(5):
            return await self._receive() == b""
        return False


async def post(server: RunningEmulator, path: str, body: Any, **kwargs: Any) -> RawResponse:
    client = await RawClient.open(server.port)
    try:
        return await client.request(path, body, **kwargs)
    finally:
        await client.aclose()


def check_headers(resp: RawResponse) -> None:
    assert re.fullmatch(r"req_[0-9a-f]{32}", resp.headers["x-request-id"])
    assert resp.headers["openai-processing-ms"].isdigit()


def validated_events(resp: RawResponse) -> list[dict[str, Any]]:
    events = resp.events()
    for number, event in enumerate(events):
        assert event["sequence_number"] == number
        STREAM_EVENT.validate_python(event)
    return events


def validated_chunks(resp: RawResponse) -> tuple[list[dict[str, Any]], bool]:
    chunks, done = resp.chat_chunks()
    for chunk in chunks:
        if "error" not in chunk:
            ChatCompletionChunk.model_validate(chunk)
    return chunks, done


# --- Responses ------------------------------------------------------------------------


async def test_responses_text_turn_every_event() -> None:
    async with running(EmulatorConfig(seed=7)) as server:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        body = {"model": "gpt-test", "input": "hello emulator world", "stream": True}
        resp = await post(server, "/v1/responses", body)
    assert resp.status == 200 and resp.complete
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert resp.headers["transfer-encoding"] == "chunked"
    check_headers(resp)
    events = validated_events(resp)
    types = [e["type"] for e in events]
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * len(deltas),
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [d["delta"] for d in deltas] == ["You", " said:", " hello", " emulator", " world"]
    assert all(d["obfuscation"] for d in deltas)
    assert events[-4]["text"] == "You said: hello emulator world"
    final = events[-1]["response"]
    Response.model_validate(final)
    assert final["status"] == "completed" and re.fullmatch(r"resp_[0-9a-f]{48}", final["id"])
    assert re.fullmatch(r"msg_[0-9a-f]{48}", final["output"][0]["id"])
    usage = final["usage"]
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert usage["output_tokens_details"]["reasoning_tokens"] == 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0


async def test_responses_single_tool_call() -> None:
    async with running() as server:
        body = {
            "model": "m",
            "input": [
                {
                    "role": "user",
                    "content": [{"type": "input_text", "text": "get_weather in Lisbon"}],
                }
            ],
            "tools": R_TOOLS,
            "stream": True,
        }
        resp = await post(server, "/v1/responses", body)
    events = validated_events(resp)
    types = [e["type"] for e in events]
    n_deltas = types.count("response.function_call_arguments.delta")
    assert n_deltas > 1
    assert types == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * n_deltas,
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    arguments = "".join(e["delta"] for e in events if e["type"].endswith("arguments.delta"))
    assert json.loads(arguments) == {"city": "Lisbon", "unit": "celsius"}
    item = events[-2]["item"]
    assert item["type"] == "function_call" and item["name"] == "get_weather"
    assert item["arguments"] == arguments and re.fullmatch(r"call_[0-9A-Za-z]{24}", item["call_id"])
    assert events[-1]["response"]["output"] == [item]


async def test_responses_parallel_tool_calls() -> None:
    body = {
        "model": "m",
        "input": "get_weather and get_time for Tokyo",
        "tools": R_TOOLS,
        "stream": True,
    }
    async with running() as server:
        resp = await post(server, "/v1/responses", body)
        single = await post(server, "/v1/responses", {**body, "parallel_tool_calls": False})
    events = validated_events(resp)
    done = [e for e in events if e["type"] == "response.output_item.done"]
    assert [(e["output_index"], e["item"]["name"]) for e in done] == [
        (0, "get_weather"),
        (1, "get_time"),
    ]
    assert json.loads(done[1]["item"]["arguments"]) == {"tz": "Tokyo"}
    assert len({e["item"]["call_id"] for e in done}) == 2
    single_done = [e for e in validated_events(single) if e["type"] == "response.output_item.done"]
    assert [e["item"]["name"] for e in single_done] == ["get_weather"]


async def test_responses_follow_up_after_tool_result() -> None:
    async with running() as server:
        first = await post(
            server,
            "/v1/responses",
            {"model": "m", "input": "get_weather for Rome", "tools": R_TOOLS, "stream": True},
        )
        final = first.events()[-1]["response"]
        call = final["output"][0]
        follow = {
            "model": "m",
            "previous_response_id": final["id"],
            "input": [
                {
                    "type": "function_call_output",
                    "call_id": call["call_id"],
                    "output": '{"temp": 21}',
                }
            ],
            "tools": R_TOOLS,
            "stream": True,
        }
        resp = await post(server, "/v1/responses", follow)
        unknown = await post(
            server, "/v1/responses", {**follow, "previous_response_id": "resp_nope"}
        )
    events = validated_events(resp)
    done = next(e for e in events if e["type"] == "response.output_text.done")
    assert done["text"] == 'The get_weather tool returned: {"temp": 21}.'
    completed = events[-1]["response"]
    assert completed["previous_response_id"] == final["id"]
    cached = completed["usage"]["input_tokens_details"]["cached_tokens"]
    assert cached == final["usage"]["total_tokens"] > 0
    assert unknown.status == 400
    assert unknown.json()["error"]["code"] == "previous_response_not_found"
    check_headers(unknown)


async def test_responses_non_stream_and_obfuscation_off() -> None:
    async with running() as server:
        resp = await post(server, "/v1/responses", {"model": "m", "input": "hi", "store": False})
        plain = await post(
            server,
            "/v1/responses",
            {
                "model": "m",
                "input": "hi",
                "stream": True,
                "stream_options": {"include_obfuscation": False},
            },
        )
    assert resp.status == 200 and resp.headers["content-type"] == "application/json"
    assert int(resp.headers["content-length"]) == len(resp.body)
    obj = Response.model_validate(resp.json())
    assert obj.output_text == "You said: hi" and resp.json()["store"] is False
    assert not any("obfuscation" in e for e in validated_events(plain))


# --- Chat Completions ------------------------------------------------------------------


async def test_chat_n2_usage_tools() -> None:
    body = {
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "get_weather and get_time in Paris"}],
        "tools": C_TOOLS,
        "n": 2,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with running() as server:
        resp = await post(server, "/v1/chat/completions", body)
    assert resp.status == 200 and resp.complete
    check_headers(resp)
    chunks, done = validated_chunks(resp)
    assert done
    assert len({(c["id"], c["created"], c["model"]) for c in chunks}) == 1
    assert re.fullmatch(r"chatcmpl-[0-9A-Za-z]{29}", chunks[0]["id"])
    *body_chunks, usage_chunk = chunks
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None and len(c["choices"]) == 1 for c in body_chunks)
    per_choice: dict[int, list[dict[str, Any]]] = {0: [], 1: []}
    for chunk in body_chunks:
        per_choice[chunk["choices"][0]["index"]].append(chunk["choices"][0])
    # interleaved round-robin
    assert [c["choices"][0]["index"] for c in body_chunks[:4]] == [0, 1, 0, 1]
    call_ids = set()
    for choices in per_choice.values():
        assert choices[0]["delta"]["role"] == "assistant"
        assert choices[-1]["delta"] == {} and choices[-1]["finish_reason"] == "tool_calls"
        assert all(c["finish_reason"] is None for c in choices[:-1])
        calls: dict[int, dict[str, str]] = {}
        for choice in choices[1:-1]:
            (fragment,) = choice["delta"]["tool_calls"]
            if fragment["index"] not in calls:
                assert fragment["function"]["arguments"] == ""
                assert fragment["type"] == "function" and fragment["id"].startswith("call_")
                call_ids.add(fragment["id"])
                calls[fragment["index"]] = {"name": fragment["function"]["name"], "arguments": ""}
            else:
                assert set(fragment) == {"index", "function"} and set(fragment["function"]) == {
                    "arguments"
                }
                calls[fragment["index"]]["arguments"] += fragment["function"]["arguments"]
        assert [c["name"] for c in calls.values()] == ["get_weather", "get_time"]
        assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    assert len(call_ids) == 4


async def test_chat_text_n2_and_non_stream() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 2}
    async with running() as server:
        stream = await post(server, "/v1/chat/completions", {**body, "stream": True})
        whole = await post(server, "/v1/chat/completions", body)
    chunks, done = validated_chunks(stream)
    assert done and all("usage" not in c for c in chunks)
    first = chunks[0]["choices"][0]["delta"]
    assert first == {"role": "assistant", "content": "", "refusal": None}
    texts = {0: "", 1: ""}
    for chunk in chunks:
        choice = chunk["choices"][0]
        texts[choice["index"]] += choice["delta"].get("content") or ""
    assert texts == {0: "You said: hi", 1: "You said: hi [choice 1]"}
    completion = ChatCompletion.model_validate(whole.json())
    assert [c.message.content for c in completion.choices] == [texts[0], texts[1]]
    assert completion.usage is not None and completion.usage.prompt_tokens > 0


# --- determinism ----------------------------------------------------------------------


async def _conversation(seed: int) -> list[bytes]:
    bodies = []
    async with running(EmulatorConfig(seed=seed)) as server:
        client = await RawClient.open(server.port)
        first = await client.request(
            "/v1/responses",
            {"model": "m", "input": "get_time in Oslo", "tools": R_TOOLS, "stream": True},
        )
        final = first.events()[-1]["response"]
        follow = {
            "model": "m",
            "previous_response_id": final["id"],
            "input": [
                {
                    "type": "function_call_output",
                    "call_id": final["output"][0]["call_id"],
                    "output": "9am",
                }
            ],
        }
        second = await client.request("/v1/responses", follow)
        chat = await client.request(
            "/v1/chat/completions",
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "n": 2, "stream": True},
        )
        await client.aclose()
        for resp in (first, second, chat):
            bodies.append(resp.body)
            bodies.append(resp.headers["x-request-id"].encode())
    return bodies


async def test_same_seed_same_bytes() -> None:
    one, two, other = await _conversation(3), await _conversation(3), await _conversation(4)
    assert one == two
    assert one[0] != other[0]


# --- auth, validation, routing, keep-alive ---------------------------------------------


async def test_auth_failures_and_azure_api_key() -> None:
    body = {"model": "m", "input": "hi"}
    async with running() as server:
        missing = await post(server, "/v1/responses", body, auth=False)
        empty = await post(
            server, "/v1/responses", body, auth=False, headers=[("authorization", "Bearer")]
        )
        azure = await post(
            server, "/openai/v1/responses", body, auth=False, headers=[("api-key", SECRET)]
        )
        deployment = await post(
            server,
            "/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21",
            {"messages": [{"role": "user", "content": "yo"}]},
            auth=False,
            headers=[("api-key", SECRET)],
        )
        no_version = await post(
            server,
            "/openai/deployments/my-gpt/chat/completions",
            {"messages": [{"role": "user", "content": "yo"}]},
        )
        recorded = list(server.requests)
    for resp in (missing, empty):
        assert resp.status == 401
        check_headers(resp)
        assert resp.json() == {
            "error": {
                "message": resp.json()["error"]["message"],
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }
    assert azure.status == 200 and azure.json()["output"][0]["content"][0]["text"] == "You said: hi"
    assert deployment.status == 200 and deployment.json()["model"] == "my-gpt"
    assert no_version.status == 400
    assert SECRET not in repr(recorded) and SECRET.encode() not in b"".join(
        r.body for r in (missing, empty, azure, deployment)
    )
    assert recorded[2].headers["api-key"] == "<redacted>"
    assert recorded[3].query == "api-version=2024-10-21" and recorded[3].body["messages"]


async def test_bad_requests() -> None:
    async with running() as server:
        bad_json = await post(server, "/v1/responses", b"{not json")
        no_model = await post(
            server, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}]}
        )
        no_input = await post(server, "/v1/responses", {"model": "m"})
        wrong_type = await post(server, "/v1/chat/completions", {"model": "m", "messages": "hi"})
        not_found = await post(server, "/v1/embeddings", {"model": "m"})
        not_allowed = await post(server, "/v1/responses", None, method="GET")
    for resp, status, param in [
        (bad_json, 400, None),
        (no_model, 400, "model"),
        (no_input, 400, "input"),
        (wrong_type, 400, "messages"),
        (not_found, 404, None),
        (not_allowed, 405, None),
    ]:
        assert resp.status == status, resp.body
        check_headers(resp)
        error = resp.json()["error"]
        assert error["param"] == param and error["type"] == "invalid_request_error"
    assert "Invalid URL" in not_found.json()["error"]["message"]


async def test_malformed_http_gets_400() -> None:
    async with running() as server:
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        await stream.send(b"NOT HTTP AT ALL\r\n\r\n")
        data = b""
        with anyio.fail_after(5):
            while True:
                try:
                    data += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    break
        await stream.aclose()
    assert data.startswith(b"HTTP/1.1 400 ")


async def test_keep_alive_two_requests_one_connection() -> None:
    async with running() as server:
        client = await RawClient.open(server.port)
        first = await client.request(
            "/v1/responses", {"model": "m", "input": "one", "stream": True}
        )
        second = await client.request(
            "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "two"}]}
        )
        third = await client.request(
            "/v1/responses", {"model": "m"}, headers=[("connection", "close")]
        )
        assert await client.server_closed()
        await client.aclose()
        assert len(server.requests) == 3
    assert first.complete and second.complete and third.complete
    assert first.events()[-1]["type"] == "response.completed"
    assert second.json()["choices"][0]["message"]["content"] == "You said: two"
    assert third.status == 400


# --- fault knobs ----------------------------------------------------------------------


async def test_drop_after_events() -> None:
    async with running(EmulatorConfig(drop_after_events=3)) as server:
        responses = await post(
            server, "/v1/responses", {"model": "m", "input": "a b c", "stream": True}
        )
        chat = await post(
            server,
            "/v1/chat/completions",
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True},
        )
        whole = await post(server, "/v1/responses", {"model": "m", "input": "a"})
    assert not responses.complete and not chat.complete
    assert [e["type"] for e in validated_events(responses)] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
    ]
    chunks, done = validated_chunks(chat)
    assert len(chunks) == 3 and not done
    assert whole.status == 0 and not whole.complete


async def test_per_request_fault_header() -> None:
    body = {"model": "m", "input": "a b c", "stream": True}
    async with running() as server:
        client = await RawClient.open(server.port)
        faulted = await client.request("/v1/responses", body, fault={"drop_after_events": 2})
        assert await client.server_closed()
        await client.aclose()
        healthy = await post(server, "/v1/responses", body)
        typo = await post(server, "/v1/responses", body, fault={"drop_after": 2})
    assert not faulted.complete and len(faulted.chunks) == 2
    assert healthy.complete and healthy.events()[-1]["type"] == "response.completed"
    assert typo.status == 400 and typo.json()["error"]["param"] == "x-emulator-fault"


async def test_http_status_429_and_500() -> None:
    body = {"model": "m", "input": "x", "stream": True}
    async with running(EmulatorConfig(http_status=429)) as server:
        limited = await post(server, "/v1/responses", body)
        server_error = await post(
            server, "/v1/responses", body, fault={"http_status": 500, "error_code": "boom"}
        )
    assert limited.status == 429
    check_headers(limited)
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["x-ratelimit-remaining-requests"] == "0"
    assert limited.json()["error"]["code"] == "rate_limit_exceeded"
    assert server_error.status == 500 and server_error.json()["error"]["code"] == "boom"
    assert server_error.json()["error"]["type"] == "server_error"


async def test_inject_error_after() -> None:
    fault = {"inject_error_after": 3, "error_code": "server_error"}
    async with running() as server:
        responses = await post(
            server, "/v1/responses", {"model": "m", "input": "a b", "stream": True}, fault=fault
        )
        chat = await post(
            server,
            "/v1/chat/completions",
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True},
            fault=fault,
        )
        whole = await post(server, "/v1/responses", {"model": "m", "input": "a"}, fault=fault)
    events = validated_events(responses)
    assert responses.complete and len(events) == 4
    assert events[-1] == {
        "type": "error",
        "code": "server_error",
        "message": events[-1]["message"],
        "param": None,
        "sequence_number": 3,
    }
    chunks, done = validated_chunks(chat)
    assert chat.complete and not done and len(chunks) == 4
    assert chunks[-1]["error"]["code"] == "server_error"
    assert whole.status == 500


async def test_fail_response_and_incomplete() -> None:
    body = {"model": "m", "input": "one two three four", "stream": True}
    async with running() as server:
        failed = await post(server, "/v1/responses", body, fault={"fail_response": True})
        cut = await post(server, "/v1/responses", body, fault={"incomplete": True})
        chat_cut = await post(
            server,
            "/v1/chat/completions",
            {
                "model": "m",
                "messages": [{"role": "user", "content": "one two three four"}],
                "stream": True,
            },
            fault={"incomplete": True},
        )
        chained = await post(
            server,
            "/v1/responses",
            {
                "model": "m",
                "input": "x",
                "previous_response_id": failed.events()[-1]["response"]["id"],
            },
        )
    failed_events = validated_events(failed)
    assert failed_events[-1]["type"] == "response.failed"
    assert failed_events[-1]["response"]["error"]["code"] == "server_error"
    assert "response.output_text.done" not in [e["type"] for e in failed_events]
    cut_events = validated_events(cut)
    final = cut_events[-1]["response"]
    assert cut_events[-1]["type"] == "response.incomplete"
    assert final["incomplete_details"] == {"reason": "max_output_tokens"}
    assert final["output"][0]["status"] == "incomplete"
    chunks, done = validated_chunks(chat_cut)
    assert done and chunks[-1]["choices"][0]["finish_reason"] == "length"
    assert chained.json()["error"]["code"] == "previous_response_not_found"


async def test_delay_forget_chains_omit_done() -> None:
    async with running(EmulatorConfig(forget_chains=True, omit_done=True)) as server:
        first = await post(server, "/v1/responses", {"model": "m", "input": "x"})
        forgotten = await post(
            server,
            "/v1/responses",
            {"model": "m", "input": "y", "previous_response_id": first.json()["id"]},
        )
        started = anyio.current_time()
        chat = await post(
            server,
            "/v1/chat/completions",
            {"model": "m", "messages": [{"role": "user", "content": "a b c d"}], "stream": True},
            fault={"delay_s": 0.02},
        )
        elapsed = anyio.current_time() - started
    assert (
        forgotten.status == 400
        and forgotten.json()["error"]["code"] == "previous_response_not_found"
    )
    chunks, done = validated_chunks(chat)
    assert chat.complete and not done and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert elapsed >= 0.02 * (len(chat.chunks) - 1) * 0.9  # a lower bound only: never flaky


async def test_client_going_away_mid_stream_is_harmless() -> None:
    async with running(EmulatorConfig(delay_s=0.01)) as server:
        client = await RawClient.open(server.port)
        body = json.dumps({"model": "m", "input": "a b c d e f g", "stream": True}).encode()
        request = (
            b"POST /v1/responses HTTP/1.1\r\nhost: x\r\nauthorization: Bearer k\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        await client.stream.send(request)
        assert (await client.stream.receive()).startswith(b"HTTP/1.1 200 ")
        await client.aclose()  # hang up while the emulator is still streaming
        await anyio.sleep(0.05)
        after = await post(server, "/v1/responses", {"model": "m", "input": "x"})
        assert after.status == 200
        assert server.emulator.internal_errors == []


async def test_expect_100_continue() -> None:
    async with running() as server:
        client = await RawClient.open(server.port)
        body = json.dumps({"model": "m", "input": "x"}).encode()
        head = (
            b"POST /v1/responses HTTP/1.1\r\nhost: x\r\napi-key: k\r\nexpect: 100-continue\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        await client.stream.send(head)
        with anyio.fail_after(5):
            assert (await client.stream.receive()).startswith(b"HTTP/1.1 100 ")
        await client.stream.send(body)
        with anyio.fail_after(5):
            assert (await client.stream.receive()).startswith(b"HTTP/1.1 200 ")
        await client.aclose()


def test_serve_forever_prints_url_and_stops_on_ctrl_c() -> None:
    root = Path(__file__).resolve().parents[1]
    code = (
        "from openai_sansio.emulator import EmulatorConfig, serve_forever\n"
        "serve_forever('127.0.0.1', 0, EmulatorConfig(seed=1))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/v1", line)
        assert match, line
        conn = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=10)
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=json.dumps({"model": "m", "messages": [{"role": "user", "content": "hey"}]}),
            headers={"Authorization": "Bearer k", "Content-Type": "application/json"},
        )
        reply = conn.getresponse()
        assert reply.status == 200
        assert json.loads(reply.read())["choices"][0]["message"]["content"] == "You said: hey"
        conn.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_official_sdk_accumulators_accept_the_streams() -> None:
    """The `openai` SDK's own client and stream accumulators, pointed at the emulator."""
    params = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    async with running() as server:
        http_client = openai.DefaultAsyncHttpxClient(trust_env=False)
        client = openai.AsyncOpenAI(
            base_url=server.base_url, api_key=SECRET, max_retries=0, http_client=http_client
        )
        async with client:
            tools: Any = [{"type": "function", "name": "get_weather", "parameters": params}]
            async with client.responses.stream(
                model="m", input="get_weather in Paris", tools=tools
            ) as stream:
                final = await stream.get_final_response()
            call = final.output[0]
            assert call.type == "function_call" and call.arguments == '{"city":"Paris"}'
            follow = await client.responses.create(
                model="m",
                previous_response_id=final.id,
                input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sun"}],
            )
            assert follow.output_text == "The get_weather tool returned: sun."
            chat_tools: Any = [
                {"type": "function", "function": {"name": "get_weather", "parameters": params}}
            ]
            async with client.chat.completions.stream(
                model="m",
                messages=[{"role": "user", "content": "get_weather Rome"}],
                tools=chat_tools,
                n=2,
                stream_options={"include_usage": True},
            ) as chat:
                completion = await chat.get_final_completion()
            for choice in completion.choices:
                assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
                function = choice.message.tool_calls[0].function
                assert function.arguments == '{"city":"Rome"}'
            assert completion.usage is not None and completion.usage.total_tokens > 0
            with pytest.raises(openai.RateLimitError):
                await client.responses.create(
                    model="m", input="x", extra_headers={"x-emulator-fault": '{"http_status": 429}'}
                )
