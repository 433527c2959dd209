"""The async Client against the built-in emulator, on asyncio and trio: real loopback HTTP,
every fault knob, and the events the client hands out checked against the `openai` SDK."""

from __future__ import annotations

import json
from typing import Any

import anyio
import msgspec
import pydantic
import pytest
from openai.types.chat import ChatCompletionChunk as SDKChunk
from openai.types.responses import ResponseStreamEvent

from openai_sansio import APIStatusError, Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.protocol.events.chat import ChatCompletionChunk
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.events.responses import ResponsesEvent
from openai_sansio.protocol.requests import function_call_output, function_tool

pytestmark = pytest.mark.anyio

KEY = "sk-emulator-test-key"
WEATHER = function_tool(
    "get_weather",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
_SDK_EVENT = pydantic.TypeAdapter(ResponseStreamEvent)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fault(**knobs: Any) -> dict[str, str]:
    return {"x-emulator-fault": json.dumps(knobs)}


async def test_tool_turn_then_chained_follow_up() -> None:
    async with running(EmulatorConfig(seed=7)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            events: list[Any] = []
            async with client.responses.stream(
                model="gpt-5.5", input="Use get_weather for Paris", tools=[WEATHER]
            ) as stream:
                async for event in stream:
                    events.append(event)
            first = stream.result
            calls = [e for e in events if isinstance(e, ToolCall)]
            assert len(calls) == 1 and calls == list(first.tool_calls)
            assert calls[0].name == "get_weather" and calls[0].parsed == {"city": "Paris"}
            # the ToolCall comes right after its output_item.done
            done_at = next(
                i for i, e in enumerate(events) if type(e).__name__ == "ResponseOutputItemDone"
            )
            assert events[done_at + 1] is calls[0]
            for event in events:
                if isinstance(event, ResponsesEvent):
                    _SDK_EVENT.validate_python(msgspec.to_builtins(event))
            second = await client.responses.create(
                model="gpt-5.5",
                input=[function_call_output(calls[0].call_id, '{"temp": 18}')],
                previous_response_id=first.response_id,
            )
            assert second.status == "completed"
            assert second.text == 'The get_weather tool returned: {"temp": 18}.'
            assert second.usage is not None and second.usage.cached_tokens > 0
            assert client.transport.connections_opened == 1
        sent = server.requests[1].body
        assert sent["previous_response_id"] == first.response_id


async def test_chat_two_choices_with_usage() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            chunks: list[ChatCompletionChunk] = []
            async with client.chat.stream(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}], n=2
            ) as stream:
                async for event in stream:
                    if isinstance(event, ChatCompletionChunk):
                        chunks.append(event)
            result = stream.result
    for chunk in chunks:
        SDKChunk.model_validate(msgspec.to_builtins(chunk))
    assert [c.index for c in result.choices] == [0, 1]
    assert result.choices[0].content == "You said: hello"
    assert result.choices[1].content == "You said: hello [choice 1]"
    assert result.usage is not None and result.usage.total_tokens > 0
    assert result.done_marker


async def test_dropped_connection_is_an_interrupted_turn() -> None:
    async with (
        running() as server,
        Client(
            api_key=KEY, base_url=server.base_url, env={}, extra_headers=fault(drop_after_events=5)
        ) as client,
        client.responses.stream(
            model="m", input="Use get_weather in Lima", tools=[WEATHER]
        ) as stream,
    ):
        events = [e async for e in stream]
    assert stream.result.status == "interrupted"
    assert not stream.result.tool_calls  # never surfaced half a call
    assert [e.code for e in events if isinstance(e, APIError)] == ["stream_interrupted"]


async def test_http_429_raises_typed_status_error() -> None:
    async with running(EmulatorConfig(http_status=429, error_code="rate_limit_exceeded")) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            with pytest.raises(APIStatusError) as info:
                await client.chat.create(model="m", messages=[{"role": "user", "content": "x"}])
    error = info.value.error
    assert error.status == 429 and error.code == "rate_limit_exceeded"
    assert error.retry_after == 1.0 and error.request_id and error.request_id.startswith("req_")
    assert error.classification == "retryable"


async def test_mid_stream_error_event_and_failed_and_incomplete() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            client.config = client.config.replace(extra_headers=fault(inject_error_after=3))
            errored = await client.responses.create(model="m", input="hello there")
            assert errored.status == "error" and errored.error is not None
            assert errored.error.source == "stream"

            client.config = client.config.replace(extra_headers=fault(fail_response=True))
            failed = await client.responses.create(model="m", input="hello there")
            assert failed.status == "failed" and failed.error is not None
            assert (failed.error.code, failed.error.source) == ("server_error", "response")

            client.config = client.config.replace(extra_headers=fault(incomplete=True))
            cut = await client.responses.create(model="m", input="hello there friend")
            assert cut.status == "incomplete" and cut.incomplete_reason == "max_output_tokens"

            client.config = client.config.replace(extra_headers=fault(inject_error_after=2))
            chat = await client.chat.create(model="m", messages=[{"role": "user", "content": "x"}])
            assert chat.status == "error" and chat.error is not None


async def test_forgotten_chain_is_a_typed_400() -> None:
    async with running(EmulatorConfig(forget_chains=True)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            first = await client.responses.create(model="m", input="hi")
            with pytest.raises(APIStatusError) as info:
                await client.responses.create(
                    model="m", input="again", previous_response_id=first.response_id
                )
    assert info.value.status == 400 and info.value.code == "previous_response_not_found"


async def test_missing_done_marker_is_accepted_and_flagged() -> None:
    async with running(EmulatorConfig(omit_done=True)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            result = await client.chat.create(
                model="m", messages=[{"role": "user", "content": "x"}]
            )
    assert result.status == "completed" and not result.done_marker


async def test_cancel_scope_while_streaming_leaves_the_client_usable() -> None:
    async with running(EmulatorConfig(delay_s=0.05)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            with anyio.move_on_after(0.12):
                await client.responses.create(model="m", input="a long answer please")
            client.config = client.config.replace(extra_headers={})
            async with running() as fast:
                client.config = client.config.replace(base_url=fast.base_url)
                result = await client.responses.create(model="m", input="hi")
    assert result.text == "You said: hi"


async def test_each_stream_records_its_own_trace_and_it_replays() -> None:
    """``trace=`` on `responses.stream` and `chat.stream`: each exchange is recorded on its
    own (request, head, every chunk as split, end), redacted, and replays with no divergence
    to the same result."""
    from openai_sansio.protocol.trace import load_trace, replay

    responses_lines: list[bytes] = []
    chat_lines: list[bytes] = []
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            async with client.responses.stream(
                model="gpt-5.5", input="Say hello", trace=responses_lines.append
            ) as stream:
                result = await stream.until_done()
            chat = await client.chat.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "Say hello"}],
                trace=chat_lines.append,
            )
    expected = [
        (responses_lines, "responses", result.text),
        (chat_lines, "chat", chat.choices[0].content),
    ]
    for lines, api, text in expected:
        header, records = load_trace(lines)
        assert header is not None and header["api"] == api
        ops = [r["op"] for r in records]
        assert ops[:2] == ["request", "response"] and ops[-1] == "eof"
        assert set(ops[2:-1]) == {"recv_bytes"}
        assert records[0]["headers"]["authorization"] == "<redacted>"
        assert KEY.encode() not in b"".join(lines)
        summary = replay(header, records)
        assert summary.divergences == [] and summary.turns[0].text == text
