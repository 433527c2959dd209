"""Request builders: config, credentials, URLs, headers and both APIs' JSON bodies.

Bodies are checked three ways: exact golden dicts (every parameter where the API expects it,
in build order), a walk for explicit nulls, and validation against the `openai` SDK's own
create-param TypedDicts (pydantic). Hypothesis drives URL/query round trips and random
parameter combinations.
"""

from __future__ import annotations

import ast
import json
import math
import pickle
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat.completion_create_params import (
    CompletionCreateParamsNonStreaming,
    CompletionCreateParamsStreaming,
)
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)
from openai.types.responses.responses_client_event_param import ResponseCreate

from openai_sansio.protocol._errors import LocalProtocolError
from openai_sansio.protocol.requests import (
    DEFAULT_BASE_URL,
    REDACTED,
    USER_AGENT,
    ClientConfig,
    Credentials,
    DroppedParam,
    GenerationParams,
    HTTPRequest,
    MissingCredentialsError,
    Timeouts,
    ToolSpec,
    assistant_message,
    base_headers,
    build_chat_request,
    build_responses_request,
    chat_assistant,
    chat_developer,
    chat_system,
    chat_tool_call,
    chat_tool_result,
    chat_user,
    developer_message,
    function_call_item,
    function_call_output,
    function_tool,
    is_reasoning_model,
    responses_body,
    responses_ws_url,
    system_message,
    user_message,
)

KEY = "sk-test-SECRET-0123456789"
AD_TOKEN = "eyJ-AD-TOKEN-SECRET"
ENV = {"OPENAI_API_KEY": KEY}
SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
WEATHER = function_tool("get_weather", SCHEMA, description="Weather for a city.", strict=True)
CLOCK = function_tool("get_time", strict=False)


def cfg(**kw: Any) -> ClientConfig:
    return ClientConfig.from_env(ENV, **kw)


def body(req: HTTPRequest) -> dict[str, Any]:
    out = json.loads(req.body)
    assert isinstance(out, dict)
    return out


def nulls(value: Any, path: str = "$") -> list[str]:
    """Paths of every explicit JSON null in `value`."""
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


# -- SDK TypedDict validation -----------------------------------------------------------------

_ADAPTERS: dict[Any, pydantic.TypeAdapter[Any]] = {}


def _materialize(value: Any) -> Any:
    """pydantic validates ``Iterable[...]`` fields lazily; consume them to validate items."""
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, str | bytes | int | float | bool) or value is None:
        return value
    if isinstance(value, Iterable):
        return [_materialize(v) for v in value]
    return value


def sdk_validate(typed_dict: Any, data: Mapping[str, Any]) -> None:
    """Validate `data` against an SDK TypedDict, including unknown top-level keys."""
    adapter = _ADAPTERS.get(typed_dict)
    if adapter is None:
        adapter = _ADAPTERS[typed_dict] = pydantic.TypeAdapter(typed_dict)
    _materialize(adapter.validate_python(dict(data)))
    known = typed_dict.__required_keys__ | typed_dict.__optional_keys__
    assert set(data) <= known, f"keys unknown to the SDK: {set(data) - known}"


def validate_responses(req: HTTPRequest) -> None:
    data = body(req)
    td = ResponseCreateParamsStreaming if req.stream else ResponseCreateParamsNonStreaming
    sdk_validate(td, data)


def validate_chat(req: HTTPRequest) -> None:
    data = body(req)
    td = CompletionCreateParamsStreaming if req.stream else CompletionCreateParamsNonStreaming
    sdk_validate(td, data)


# -- Responses bodies -------------------------------------------------------------------------


def test_responses_every_parameter_lands_where_the_api_expects_it() -> None:
    params = GenerationParams(
        model="gpt-4.1",
        temperature=0.3,
        top_p=0.9,
        max_output_tokens=256,
        tools=[WEATHER, CLOCK],
        tool_choice="get_weather",
        parallel_tool_calls=False,
        json_schema=SCHEMA,
        json_schema_name="city_answer",
        json_schema_strict=True,
        store=False,
        metadata={"session": "s1"},
        instructions="Be brief.",
        user="u-1",
        safety_identifier="hash-1",
        prompt_cache_key="pck",
        service_tier="flex",
        include=["message.output_text.logprobs"],
        include_obfuscation=False,
    )
    req = build_responses_request(
        cfg(), params, [user_message("Weather in Paris?")], previous_response_id="resp_1"
    )
    assert req.method == "POST"
    assert req.url == "https://api.openai.com/v1/responses"
    assert req.stream is True
    assert req.dropped_params == ()
    assert body(req) == {
        "model": "gpt-4.1",
        "input": [{"type": "message", "role": "user", "content": "Weather in Paris?"}],
        "instructions": "Be brief.",
        "previous_response_id": "resp_1",
        "stream": True,
        "stream_options": {"include_obfuscation": False},
        "tools": [
            {
                "type": "function",
                "name": "get_weather",
                "description": "Weather for a city.",
                "parameters": SCHEMA,
                "strict": True,
            },
            {
                "type": "function",
                "name": "get_time",
                "parameters": {
                    "type": "object",
                    "properties": {},
                    "additionalProperties": False,
                    "required": [],
                },
                "strict": False,
            },
        ],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "parallel_tool_calls": False,
        "temperature": 0.3,
        "top_p": 0.9,
        "max_output_tokens": 256,
        "text": {
            "format": {
                "type": "json_schema",
                "name": "city_answer",
                "schema": SCHEMA,
                "strict": True,
            }
        },
        "store": False,
        "metadata": {"session": "s1"},
        "include": ["message.output_text.logprobs"],
        "user": "u-1",
        "safety_identifier": "hash-1",
        "prompt_cache_key": "pck",
        "service_tier": "flex",
    }
    # Insertion order is the build order (deterministic bytes).
    assert list(body(req))[:5] == [
        "model",
        "input",
        "instructions",
        "previous_response_id",
        "stream",
    ]
    validate_responses(req)


def test_responses_minimal_body_and_string_input() -> None:
    req = build_responses_request(cfg(), GenerationParams(model="gpt-4.1"), "hi")
    assert body(req) == {"model": "gpt-4.1", "input": "hi", "stream": True}
    assert req.header("accept") == "text/event-stream"
    validate_responses(req)


def test_responses_non_streaming() -> None:
    params = GenerationParams(model="gpt-4.1", include_obfuscation=True)
    req = build_responses_request(cfg(), params, "hi", stream=False)
    assert body(req) == {"model": "gpt-4.1", "input": "hi"}
    assert req.stream is False
    assert req.header("accept") == "application/json"
    assert [d.name for d in req.dropped_params] == ["include_obfuscation"]
    validate_responses(req)


def test_responses_background_passthrough() -> None:
    req = build_responses_request(
        cfg(), GenerationParams(model="gpt-4.1", store=True), "x", background=True
    )
    assert body(req)["background"] is True
    with pytest.raises(LocalProtocolError):
        build_responses_request(cfg(), GenerationParams(model="m"), "x", background="yes")  # type: ignore[arg-type]


def test_responses_drops_what_the_api_lacks() -> None:
    params = GenerationParams(model="gpt-4.1", seed=7, frequency_penalty=0.5, presence_penalty=-0.5)
    req = build_responses_request(cfg(), params, "hi")
    data = body(req)
    assert "seed" not in data and "frequency_penalty" not in data and "presence_penalty" not in data
    assert {d.name for d in req.dropped_params} == {"seed", "frequency_penalty", "presence_penalty"}
    assert all("Responses" in d.reason for d in req.dropped_params)


def test_responses_input_items_and_helpers_validate() -> None:
    items = [
        system_message("sys"),
        developer_message("dev"),
        user_message("u"),
        assistant_message("a"),
        function_call_item("call_1", "get_weather", {"city": "Paris"}),
        function_call_output("call_1", {"temp_c": 21}),
        function_call_output("call_2", "plain"),
    ]
    req = build_responses_request(cfg(), GenerationParams(model="gpt-4.1", tools=[WEATHER]), items)
    data = body(req)
    assert data["input"][4] == {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
    }
    assert data["input"][5] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": '{"temp_c":21}',
    }
    assert [i["role"] for i in data["input"][:4]] == ["system", "developer", "user", "assistant"]
    validate_responses(req)


def test_responses_websocket_body() -> None:
    params = GenerationParams(model="gpt-4.1", include_obfuscation=False, store=False)
    built = responses_body(params, [user_message("hi")], websocket=True, previous_response_id="r")
    assert "stream" not in built.body
    assert built.body["stream_options"] == {"include_obfuscation": False}
    event = {"type": "response.create", **built.body, "generate": False}
    sdk_validate(ResponseCreate, event)


def test_responses_input_validation() -> None:
    params = GenerationParams(model="gpt-4.1")
    with pytest.raises(LocalProtocolError, match="input item"):
        build_responses_request(cfg(), params, ["not a mapping"])  # type: ignore[list-item]
    with pytest.raises(LocalProtocolError, match="input"):
        build_responses_request(cfg(), params, b"bytes")  # type: ignore[arg-type]
    with pytest.raises(LocalProtocolError, match="previous_response_id"):
        build_responses_request(cfg(), params, "x", previous_response_id="")


# -- Chat bodies ------------------------------------------------------------------------------


def test_chat_every_parameter_lands_where_the_api_expects_it() -> None:
    params = GenerationParams(
        model="gpt-4.1",
        temperature=1.2,
        top_p=0.5,
        frequency_penalty=0.25,
        presence_penalty=-0.25,
        seed=42,
        max_output_tokens=100,
        tools=[WEATHER],
        tool_choice="get_weather",
        parallel_tool_calls=True,
        json_schema=SCHEMA,
        json_schema_strict=False,
        store=True,
        metadata={"k": "v"},
        user="u",
        safety_identifier="sid",
        prompt_cache_key="pck",
        service_tier="priority",
        include_obfuscation=False,
    )
    req = build_chat_request(cfg(), params, [chat_user("hi")], n=2, logprobs=True, top_logprobs=3)
    assert req.url == "https://api.openai.com/v1/chat/completions"
    assert req.dropped_params == ()
    assert body(req) == {
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True, "include_obfuscation": False},
        "n": 2,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather for a city.",
                    "parameters": SCHEMA,
                    "strict": True,
                },
            }
        ],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": True,
        "temperature": 1.2,
        "top_p": 0.5,
        "frequency_penalty": 0.25,
        "presence_penalty": -0.25,
        "seed": 42,
        "max_completion_tokens": 100,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "response", "schema": SCHEMA, "strict": False},
        },
        "logprobs": True,
        "top_logprobs": 3,
        "store": True,
        "metadata": {"k": "v"},
        "user": "u",
        "safety_identifier": "sid",
        "prompt_cache_key": "pck",
        "service_tier": "priority",
    }
    validate_chat(req)


def test_chat_minimal_and_non_streaming() -> None:
    req = build_chat_request(cfg(), GenerationParams(model="gpt-4.1"), [chat_user("hi")])
    assert body(req) == {
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    params = GenerationParams(model="gpt-4.1", include_usage=False, include_obfuscation=True)
    req = build_chat_request(cfg(), params, [chat_user("hi")], stream=False)
    assert body(req) == {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}
    assert [d.name for d in req.dropped_params] == ["include_obfuscation"]
    assert req.header("accept") == "application/json"
    validate_chat(req)
    params = GenerationParams(model="gpt-4.1", include_usage=False)
    req = build_chat_request(cfg(), params, [chat_user("hi")])
    assert body(req)["stream_options"] == {"include_usage": False}


def test_chat_drops_responses_only_params() -> None:
    params = GenerationParams(
        model="gpt-4.1", instructions="x", include=["reasoning.encrypted_content"]
    )
    req = build_chat_request(cfg(), params, [chat_user("hi")])
    assert "instructions" not in body(req) and "include" not in body(req)
    assert {d.name for d in req.dropped_params} == {"instructions", "include"}


def test_chat_message_helpers_validate() -> None:
    msgs = [
        chat_system("s"),
        chat_developer("d"),
        chat_user("u"),
        chat_assistant(tool_calls=[chat_tool_call("call_1", "get_weather", {"city": "Oslo"})]),
        chat_tool_result("call_1", "12C"),
        chat_assistant("It is 12C."),
        chat_assistant("both", [chat_tool_call("c2", "get_weather", "{}")]),
    ]
    assert msgs[3] == {
        "role": "assistant",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
            }
        ],
    }
    assert msgs[4] == {"role": "tool", "tool_call_id": "call_1", "content": "12C"}
    req = build_chat_request(cfg(), GenerationParams(model="gpt-4.1", tools=[WEATHER]), msgs)
    assert nulls(body(req)) == []
    validate_chat(req)


def test_chat_message_validation() -> None:
    params = GenerationParams(model="gpt-4.1")
    with pytest.raises(LocalProtocolError, match="messages"):
        build_chat_request(cfg(), params, [])
    with pytest.raises(LocalProtocolError, match="mapping"):
        build_chat_request(cfg(), params, ["hi"])  # type: ignore[list-item]
    with pytest.raises(LocalProtocolError, match="text or tool_calls"):
        chat_assistant()
    with pytest.raises(LocalProtocolError, match="logprobs=True"):
        build_chat_request(cfg(), params, [chat_user("x")], top_logprobs=2)
    with pytest.raises(LocalProtocolError, match="top_logprobs"):
        build_chat_request(cfg(), params, [chat_user("x")], logprobs=True, top_logprobs=21)
    with pytest.raises(LocalProtocolError, match="n must"):
        build_chat_request(cfg(), params, [chat_user("x")], n=0)
    with pytest.raises(LocalProtocolError, match="call_id"):
        function_call_output("", "x")
    with pytest.raises(LocalProtocolError, match="arguments"):
        function_call_item("c", "f", 3)  # type: ignore[arg-type]


# -- Reasoning models -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("o1", True),
        ("o1-mini", True),
        ("o3-pro", True),
        ("O4-MINI", True),
        ("gpt-5", True),
        ("gpt-5.5-pro", True),
        ("GPT-5-mini", True),
        ("azure/o3", True),
        ("openai/gpt-5-nano", True),
        ("gpt-4o", False),
        ("gpt-4.1-mini", False),
        ("gpt-realtime", False),
        ("my-o3-deployment", False),
    ],
)
def test_is_reasoning_model(model: str, expected: bool) -> None:
    assert is_reasoning_model(model) is expected


SAMPLING = {"temperature": 0.7, "top_p": 0.9, "frequency_penalty": 0.1, "presence_penalty": 0.1}


def test_reasoning_model_responses_rules() -> None:
    params = GenerationParams(
        model="gpt-5-mini",
        reasoning_effort="minimal",
        verbosity="low",
        json_schema=SCHEMA,
        **SAMPLING,
    )
    req = build_responses_request(cfg(), params, "hi")
    data = body(req)
    assert not set(SAMPLING) & set(data)
    assert data["reasoning"] == {"effort": "minimal"}
    assert data["text"] == {
        "format": {"type": "json_schema", "name": "response", "schema": SCHEMA},
        "verbosity": "low",
    }
    reasons = {d.name: d.reason for d in req.dropped_params}
    assert set(reasons) == set(SAMPLING)
    assert reasons["temperature"] == "reasoning model 'gpt-5-mini' rejects temperature"
    validate_responses(req)


def test_reasoning_model_chat_rules() -> None:
    params = GenerationParams(model="o3", reasoning_effort="high", verbosity="medium", **SAMPLING)
    req = build_chat_request(cfg(), params, [chat_user("hi")], logprobs=True, top_logprobs=2)
    data = body(req)
    assert not set(SAMPLING) & set(data)
    assert data["reasoning_effort"] == "high"
    assert data["verbosity"] == "medium"
    assert "logprobs" not in data and "top_logprobs" not in data
    assert {d.name for d in req.dropped_params} == {*SAMPLING, "logprobs", "top_logprobs"}
    validate_chat(req)


def test_reasoning_params_dropped_for_non_reasoning_model() -> None:
    params = GenerationParams(
        model="gpt-4o", reasoning_effort="low", verbosity="low", temperature=0.2
    )
    for req in (
        build_responses_request(cfg(), params, "hi"),
        build_chat_request(cfg(), params, [chat_user("hi")]),
    ):
        data = body(req)
        assert data["temperature"] == 0.2
        assert not {"reasoning", "reasoning_effort", "verbosity", "text"} & set(data)
        assert [d.name for d in req.dropped_params] == ["reasoning_effort", "verbosity"]
        assert "reasoning_model=True" in req.dropped_params[0].reason


def test_reasoning_model_override() -> None:
    forced = GenerationParams(
        model="prod-deployment", reasoning_model=True, reasoning_effort="low", temperature=1.0
    )
    data = body(build_responses_request(cfg(), forced, "x"))
    assert data["reasoning"] == {"effort": "low"} and "temperature" not in data
    assert forced.is_reasoning
    off = GenerationParams(model="gpt-5-chat-latest", reasoning_model=False, temperature=1.0)
    assert body(build_chat_request(cfg(), off, [chat_user("x")]))["temperature"] == 1.0


def test_reasoning_effort_is_an_open_set() -> None:
    params = GenerationParams(model="gpt-5", reasoning_effort="xhigh")
    assert body(build_responses_request(cfg(), params, "x"))["reasoning"] == {"effort": "xhigh"}
    params = GenerationParams(model="gpt-5", reasoning_effort="ultra-new-level")
    assert (
        body(build_chat_request(cfg(), params, [chat_user("x")]))["reasoning_effort"]
        == "ultra-new-level"
    )


# -- Tools and tool_choice --------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "required", "none"])
def test_tool_choice_modes(mode: str) -> None:
    params = GenerationParams(model="gpt-4.1", tools=[WEATHER], tool_choice=mode)
    assert body(build_responses_request(cfg(), params, "x"))["tool_choice"] == mode
    assert body(build_chat_request(cfg(), params, [chat_user("x")]))["tool_choice"] == mode


def test_tool_choice_must_name_a_tool() -> None:
    with pytest.raises(LocalProtocolError, match="get_wether") as info:
        GenerationParams(model="m", tools=[WEATHER], tool_choice="get_wether")
    assert info.value.error_hint == "unknown_tool_choice"
    assert "'get_weather'" in str(info.value)
    with pytest.raises(LocalProtocolError, match="none defined"):
        GenerationParams(model="m", tool_choice="get_weather")
    with pytest.raises(LocalProtocolError, match="required"):
        GenerationParams(model="m", tool_choice="required")


def test_tool_fields_without_tools_are_dropped() -> None:
    params = GenerationParams(model="gpt-4.1", tool_choice="auto", parallel_tool_calls=True)
    req = build_chat_request(cfg(), params, [chat_user("x")])
    assert not {"tools", "tool_choice", "parallel_tool_calls"} & set(body(req))
    assert [d.name for d in req.dropped_params] == ["tool_choice", "parallel_tool_calls"]


def test_tool_spec_shapes_and_validation() -> None:
    bare = function_tool("ping")
    assert bare == ToolSpec(name="ping")
    assert bare.to_chat() == {"type": "function", "function": {"name": "ping"}}
    assert bare.to_responses()["parameters"]["type"] == "object"
    assert "strict" not in bare.to_responses()
    for bad in ("", "a b", "x" * 65, "dots.not.allowed"):
        with pytest.raises(LocalProtocolError, match="tool name"):
            function_tool(bad)
    with pytest.raises(LocalProtocolError, match="duplicate"):
        GenerationParams(model="m", tools=[WEATHER, WEATHER])
    with pytest.raises(LocalProtocolError, match="ToolSpec"):
        GenerationParams(model="m", tools=[{"type": "function"}])  # type: ignore[list-item]
    with pytest.raises(LocalProtocolError, match="strict"):
        function_tool("f", strict="yes")  # type: ignore[arg-type]


def test_responses_tool_without_strict_is_omitted_not_null() -> None:
    """The SDK types say ``strict: Required[Optional[bool]]``; the API documents omission
    (Responses then normalises the schema to strict). We omit rather than send null."""
    tool = function_tool("f", SCHEMA)
    req = build_responses_request(cfg(), GenerationParams(model="gpt-4.1", tools=[tool]), "x")
    assert "strict" not in body(req)["tools"][0]
    assert nulls(body(req)) == []


# -- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("temperature", 2.01, "temperature must be between 0 and 2"),
        ("temperature", -0.1, "temperature"),
        ("temperature", math.nan, "temperature"),
        ("temperature", math.inf, "temperature"),
        ("temperature", True, "must be a number"),
        ("temperature", "0.5", "must be a number"),
        ("top_p", 1.5, "top_p must be between 0 and 1"),
        ("frequency_penalty", 2.5, "frequency_penalty must be between -2 and 2"),
        ("presence_penalty", -2.5, "presence_penalty"),
        ("max_output_tokens", 0, "max_output_tokens must be >= 1"),
        ("max_output_tokens", 1.5, "must be an int"),
        ("seed", True, "seed must be an int"),
        ("model", "", "model"),
        ("include", "reasoning.encrypted_content", "not a single str"),
        ("json_schema_name", "bad name", "json_schema_name"),
        ("json_schema_strict", True, "json_schema is not"),
        ("store", "yes", "store must be a bool"),
        ("include_usage", None, "include_usage"),
        ("extra_body", {1: "x"}, "extra_body"),
        ("tool_choice", "", "tool_choice"),
        ("reasoning_effort", "", "reasoning_effort"),
    ],
)
def test_param_validation(field: str, value: Any, match: str) -> None:
    kwargs: dict[str, Any] = {"model": "gpt-4.1", field: value}
    with pytest.raises(LocalProtocolError, match=match):
        GenerationParams(**kwargs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("temperature", 0),
        ("temperature", 2),
        ("top_p", 0.0),
        ("top_p", 1),
        ("frequency_penalty", -2),
        ("presence_penalty", 2.0),
        ("max_output_tokens", 1),
    ],
)
def test_param_bounds_are_inclusive(field: str, value: Any) -> None:
    GenerationParams(model="gpt-4.1", **{field: value})


def test_metadata_limits() -> None:
    GenerationParams(model="m", metadata={f"k{i}": "v" for i in range(16)})
    GenerationParams(model="m", metadata={"k" * 64: "v" * 512})
    with pytest.raises(LocalProtocolError, match="17 keys"):
        GenerationParams(model="m", metadata={f"k{i}": "v" for i in range(17)})
    with pytest.raises(LocalProtocolError, match="65 characters"):
        GenerationParams(model="m", metadata={"k" * 65: "v"})
    with pytest.raises(LocalProtocolError, match="513 characters"):
        GenerationParams(model="m", metadata={"k": "v" * 513})
    with pytest.raises(LocalProtocolError, match="str"):
        GenerationParams(model="m", metadata={"k": 1})  # type: ignore[dict-item]


def test_params_are_frozen_and_copied() -> None:
    meta = {"a": "1"}
    tools = [WEATHER]
    params = GenerationParams(model="m", metadata=meta, tools=tools)
    meta["b"] = "2"
    tools.append(CLOCK)
    assert dict(params.metadata or {}) == {"a": "1"}
    assert params.tools == (WEATHER,)
    with pytest.raises(AttributeError):
        params.model = "x"  # type: ignore[misc]


# -- extra_body / extra_headers / extra_query -------------------------------------------------


def test_extra_body_merged_last_and_overrides() -> None:
    params = GenerationParams(
        model="gpt-4.1",
        temperature=0.5,
        store=True,
        extra_body={"truncation": "auto", "temperature": 0.1, "store": None},
    )
    data = body(build_responses_request(cfg(), params, "x"))
    assert data["temperature"] == 0.1
    assert "store" not in data
    assert list(data)[-1] == "truncation"
    assert nulls(data) == []


def test_extra_body_must_be_json() -> None:
    params = GenerationParams(model="gpt-4.1", extra_body={"x": object()})
    with pytest.raises(LocalProtocolError, match="JSON"):
        build_responses_request(cfg(), params, "x")


def test_extra_headers_override_case_insensitively_and_come_last() -> None:
    config = cfg(
        organization="org_1",
        project="proj_1",
        extra_headers={"Accept": "application/x-ndjson", "X-Trace": "t1"},
    )
    req = build_responses_request(config, GenerationParams(model="gpt-4.1"), "x")
    assert req.headers == (
        ("host", "api.openai.com"),
        ("content-type", "application/json"),
        ("user-agent", USER_AGENT),
        ("authorization", f"Bearer {KEY}"),
        ("openai-organization", "org_1"),
        ("openai-project", "proj_1"),
        ("accept", "application/x-ndjson"),
        ("x-trace", "t1"),
    )
    assert req.header("ACCEPT") == "application/x-ndjson"
    override = cfg(extra_headers={"Authorization": "Bearer other"})
    req = build_chat_request(override, GenerationParams(model="m"), [chat_user("x")])
    assert [v for k, v in req.headers if k == "authorization"] == ["Bearer other"]


def test_header_values_are_checked_without_leaking() -> None:
    with pytest.raises(LocalProtocolError, match="X-Bad") as info:
        cfg(extra_headers={"X-Bad": "a\r\nInjected: 1"})
    assert "Injected" in str(info.value)  # non-secret values may be shown...
    with pytest.raises(LocalProtocolError) as info:
        cfg(extra_headers={"X-Api-Key": "secret\nvalue"})
    assert "secret" not in str(info.value)  # ...secret ones never
    with pytest.raises(LocalProtocolError, match="header name"):
        cfg(extra_headers={"bad name": "v"})
    with pytest.raises(LocalProtocolError, match="organization"):
        cfg(organization="org\n")


def test_extra_query_merges_with_base_query() -> None:
    config = cfg(
        base_url="https://gw.example.com/v1?tenant=a&keep=1",
        extra_query={"tenant": "b c", "x": "&=?/#+"},
    )
    req = build_responses_request(config, GenerationParams(model="m"), "x")
    assert req.target == "/v1/responses?keep=1&tenant=b%20c&x=%26%3D%3F%2F%23%2B"
    assert parse_qsl(urlsplit(req.url).query) == [("keep", "1"), ("tenant", "b c"), ("x", "&=?/#+")]


def test_base_query_is_kept_byte_for_byte() -> None:
    config = cfg(base_url="https://gw.example.com/v1?sig=a+b%2Fc&flag")
    req = build_chat_request(config, GenerationParams(model="m"), [chat_user("x")])
    assert req.target == "/v1/chat/completions?sig=a+b%2Fc&flag"
    assert REDACTED in repr(req) and "a+b" not in repr(req)


# -- URLs -------------------------------------------------------------------------------------


def test_url_parts_for_the_transport() -> None:
    req = build_responses_request(cfg(), GenerationParams(model="m"), "x")
    assert (req.scheme, req.host, req.port, req.target) == (
        "https",
        "api.openai.com",
        443,
        "/v1/responses",
    )
    local = cfg(base_url="http://127.0.0.1:8123/v1/")
    req = build_chat_request(local, GenerationParams(model="m"), [chat_user("x")])
    assert (req.scheme, req.host, req.port) == ("http", "127.0.0.1", 8123)
    assert req.url == "http://127.0.0.1:8123/v1/chat/completions"
    assert req.header("host") == "127.0.0.1:8123"
    v6 = cfg(base_url="http://[::1]:9000/v1")
    req = build_chat_request(v6, GenerationParams(model="m"), [chat_user("x")])
    assert req.host == "::1" and req.header("host") == "[::1]:9000"
    idn = cfg(base_url="https://bücher.example/v1")
    assert (
        build_chat_request(idn, GenerationParams(model="m"), [chat_user("x")]).host
        == "xn--bcher-kva.example"
    )
    assert cfg(base_url="https://x.example:443/v1").base_url == "https://x.example/v1"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://x/v1", "http"),
        ("https:///v1", "no host"),
        ("https://user:pw@x/v1", "credentials"),
        ("https://x/v1#frag", "fragment"),
        ("https://x:99999/v1", "not a valid URL"),
        ("not a url", "http"),
    ],
)
def test_bad_base_urls(url: str, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        cfg(base_url=url)


def test_responses_ws_url() -> None:
    assert responses_ws_url(cfg()) == "wss://api.openai.com/v1/responses"
    assert (
        responses_ws_url(cfg(base_url="http://localhost:8080/v1"))
        == "ws://localhost:8080/v1/responses"
    )
    az = ClientConfig.azure({}, azure_endpoint="https://res.openai.azure.com", api_key="k")
    assert responses_ws_url(az) == "wss://res.openai.azure.com/openai/v1/responses"
    assert responses_ws_url(cfg(extra_query={"a": "b"})) == "wss://api.openai.com/v1/responses?a=b"


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_PATH_CHARS = "abcXYZ019-._~!$'()*+,;=:@ é/"


@given(
    scheme=st.sampled_from(["http", "https"]),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,8}(\.[a-z]{2,5}){0,2}", fullmatch=True),
    port=st.none() | st.integers(1, 65535),
    path=st.text(st.sampled_from(_PATH_CHARS), max_size=15),
    base_pairs=st.lists(st.tuples(_TEXT, _TEXT), max_size=4),
    extra=st.dictionaries(_TEXT.filter(bool), _TEXT, max_size=4),
    api=st.sampled_from(["responses", "chat"]),
)
def test_url_and_query_round_trip(
    scheme: str,
    host: str,
    port: int | None,
    path: str,
    base_pairs: list[tuple[str, str]],
    extra: dict[str, str],
    api: str,
) -> None:
    query = urlencode(base_pairs, quote_via=quote)
    authority = host if port is None else f"{host}:{port}"
    base = f"{scheme}://{authority}/{quote(path, safe='/')}" + (f"?{query}" if query else "")
    config = cfg(base_url=base, extra_query=extra)
    params = GenerationParams(model="m")
    if api == "responses":
        req = build_responses_request(config, params, "x")
    else:
        req = build_chat_request(config, params, [chat_user("x")])
    parts = urlsplit(req.url)
    default = 443 if scheme == "https" else 80
    assert (parts.scheme, parts.hostname, parts.port or default) == (scheme, host, port or default)
    assert (req.scheme, req.host, req.port) == (scheme, host, port or default)
    assert req.url == f"{scheme}://{req.header('host')}{req.target}"
    suffix = "responses" if api == "responses" else "chat/completions"
    assert unquote(parts.path) == f"/{path}".rstrip("/") + f"/{suffix}"
    expected = [(k, v) for k, v in base_pairs if k not in extra] + list(extra.items())
    got = parse_qsl(parts.query, keep_blank_values=True)
    # An empty base pair "=" parses back as ('', ''); urlencode emits it, so it round-trips.
    assert got == expected
    ws = urlsplit(responses_ws_url(config))
    assert ws.scheme == ("wss" if scheme == "https" else "ws")
    assert parse_qsl(ws.query, keep_blank_values=True) == expected


# -- Config: OpenAI env fallbacks and credentials ---------------------------------------------


def test_from_env_fallbacks() -> None:
    env = {
        "OPENAI_API_KEY": KEY,
        "OPENAI_ORG_ID": "org_env",
        "OPENAI_PROJECT_ID": "proj_env",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
    }
    config = ClientConfig.from_env(env)
    assert config.api_key == KEY
    assert (config.organization, config.project) == ("org_env", "proj_env")
    assert config.base_url == "http://127.0.0.1:9/v1"
    assert config.is_azure is False
    explicit = ClientConfig.from_env(
        env, api_key="sk-arg", organization="org_arg", base_url=DEFAULT_BASE_URL
    )
    assert (explicit.api_key, explicit.organization, explicit.project) == (
        "sk-arg",
        "org_arg",
        "proj_env",
    )
    assert explicit.base_url == DEFAULT_BASE_URL
    assert (
        ClientConfig.from_env({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": ""}).base_url
        == DEFAULT_BASE_URL
    )


def test_missing_key_raises_before_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("network touched")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    for env in ({}, {"OPENAI_API_KEY": ""}):
        with pytest.raises(MissingCredentialsError) as info:
            ClientConfig.from_env(env)
        assert isinstance(info.value, LocalProtocolError)
        assert info.value.error_hint == "missing_credentials"
        assert "api_key" in str(info.value) and "OPENAI_API_KEY" in str(info.value)
    with pytest.raises(MissingCredentialsError):
        ClientConfig()


def test_secret_validation_never_echoes_the_secret() -> None:
    with pytest.raises(LocalProtocolError, match="trailing newline") as info:
        ClientConfig(api_key=KEY + "\n")
    assert KEY not in str(info.value)
    with pytest.raises(LocalProtocolError):
        Credentials("sk-ünicode")


def test_no_secret_in_repr_or_str() -> None:
    config = ClientConfig.from_env(
        ENV,
        extra_headers={"X-Api-Key": "hdr-SECRET", "X-Plain": "visible"},
        extra_query={"subscription-key": "q-SECRET", "mode": "m"},
        base_url="https://gw.example.com/v1?token=url-SECRET",
    )
    req = build_responses_request(config, GenerationParams(model="m"), "x")
    az = ClientConfig.azure(
        {}, azure_endpoint="https://r.example", api_key=KEY, azure_ad_token=AD_TOKEN
    )
    az_req = build_chat_request(az, GenerationParams(model="m"), [chat_user("x")])
    for obj in (config, config.credentials, req, az, az.credentials, az_req):
        for text in (repr(obj), str(obj), f"{obj}"):
            for secret in (KEY, AD_TOKEN, "SECRET"):
                assert secret not in text, (type(obj).__name__, text)
    assert "visible" in repr(config) and REDACTED in repr(config)
    assert repr(config.credentials) == "Credentials(api_key='<redacted>', azure_ad_token=None)"
    assert ("x-api-key", REDACTED) in req.redacted_headers()
    assert ("authorization", REDACTED) in req.redacted_headers()
    assert ("api-key", "k") not in az_req.redacted_headers()
    assert "q-SECRET" not in req.redacted_url() and "mode=m" in req.redacted_url()
    assert "q-SECRET" in req.url  # the real URL is intact


def test_credentials_value_semantics() -> None:
    creds = Credentials(KEY)
    assert creds == Credentials(KEY) and hash(creds) == hash(Credentials(KEY))
    assert creds != Credentials("other")
    assert pickle.loads(pickle.dumps(creds)) == creds
    assert bool(creds) and not Credentials()
    with pytest.raises(AttributeError):
        creds._api_key = "x"  # type: ignore[misc]
    config = ClientConfig(api_key=creds)
    assert config.credentials is creds and config.api_key == KEY
    with pytest.raises(LocalProtocolError, match="not both"):
        ClientConfig(api_key=creds, azure_ad_token="t", is_azure=True)


def test_config_immutable_replace_and_eq() -> None:
    config = cfg(organization="org")
    with pytest.raises(AttributeError):
        config.base_url = "x"  # type: ignore[misc]
    other = config.replace(base_url="http://127.0.0.1:1/v1")
    assert other.base_url == "http://127.0.0.1:1/v1" and other.organization == "org"
    assert config.replace() == config and hash(config.replace()) == hash(config)
    assert config != other
    with pytest.raises(MissingCredentialsError):
        config.replace(api_key=None)


def test_timeouts() -> None:
    t = Timeouts()
    assert (t.connect, t.read, t.write, t.pool) == (15.0, 60.0, 15.0, 15.0)
    assert cfg().timeouts == t
    custom = Timeouts(read=300.0)
    req = build_responses_request(cfg(timeouts=custom), GenerationParams(model="m"), "x")
    assert req.timeouts.read == 300.0
    for bad in (0, -1.0, math.inf, True):
        with pytest.raises(LocalProtocolError):
            Timeouts(read=bad)


def test_base_headers_for_websocket_handshake() -> None:
    assert base_headers(cfg(project="p")) == (
        ("user-agent", USER_AGENT),
        ("authorization", f"Bearer {KEY}"),
        ("openai-project", "p"),
    )


# -- Azure ------------------------------------------------------------------------------------

AZ_ENV = {
    "AZURE_OPENAI_ENDPOINT": "https://myres.openai.azure.com/",
    "AZURE_OPENAI_API_KEY": KEY,
    "AZURE_OPENAI_DEPLOYMENT": "chat-dep",
    "OPENAI_API_VERSION": "2024-10-21",
    "OPENAI_ORG_ID": "org_az",
    "OPENAI_PROJECT_ID": "proj_az",
}


def test_azure_env_fallbacks_and_key_auth() -> None:
    az = ClientConfig.azure(AZ_ENV)
    assert az.is_azure
    assert az.azure_endpoint == "https://myres.openai.azure.com"
    assert (az.azure_deployment, az.api_version) == ("chat-dep", "2024-10-21")
    assert (az.organization, az.project) == ("org_az", "proj_az")
    req = build_chat_request(az, GenerationParams(model="gpt-4.1"), [chat_user("x")])
    assert req.url == (
        "https://myres.openai.azure.com/openai/deployments/chat-dep/chat/completions"
        "?api-version=2024-10-21"
    )
    assert req.header("api-key") == KEY
    assert req.header("authorization") is None
    assert req.header("openai-organization") == "org_az"
    assert body(req)["model"] == "gpt-4.1"  # deployment path: Azure ignores model
    resp = build_responses_request(az, GenerationParams(model="gpt-4.1"), "x")
    assert resp.url == "https://myres.openai.azure.com/openai/responses?api-version=2024-10-21"


def test_azure_ad_token_auth() -> None:
    env = {k: v for k, v in AZ_ENV.items() if k != "AZURE_OPENAI_API_KEY"}
    az = ClientConfig.azure(env, azure_ad_token=AD_TOKEN)
    req = build_responses_request(az, GenerationParams(model="m"), "x")
    assert req.header("authorization") == f"Bearer {AD_TOKEN}"
    assert req.header("api-key") is None
    both = ClientConfig.azure({**AZ_ENV, "AZURE_OPENAI_AD_TOKEN": AD_TOKEN})
    req = build_responses_request(both, GenerationParams(model="m"), "x")
    assert req.header("authorization") == f"Bearer {AD_TOKEN}" and req.header("api-key") is None


def test_azure_v1_paths_put_the_deployment_in_model() -> None:
    az = ClientConfig.azure(
        {}, azure_endpoint="https://r.openai.azure.com", api_key="k", model="gpt-5-mini"
    )
    assert az.azure_deployment == "gpt-5-mini"
    params = GenerationParams(model="gpt-5-mini", reasoning_effort="low")
    req = build_responses_request(az, params, "x")
    assert req.url == "https://r.openai.azure.com/openai/v1/responses"
    assert body(req)["model"] == "gpt-5-mini"
    chat = build_chat_request(az.replace(azure_deployment="prod-5"), params, [chat_user("x")])
    assert chat.url == "https://r.openai.azure.com/openai/v1/chat/completions"
    assert body(chat)["model"] == "prod-5"
    assert body(chat)["reasoning_effort"] == "low"  # reasoning decided on params.model
    validate_chat(chat)


@pytest.mark.parametrize(
    ("version", "responses_url", "chat_url"),
    [
        (None, "/openai/v1/responses", "/openai/v1/chat/completions"),
        ("v1", "/openai/v1/responses", "/openai/v1/chat/completions"),
        (
            "preview",
            "/openai/v1/responses?api-version=preview",
            "/openai/v1/chat/completions?api-version=preview",
        ),
        (
            "2025-04-01-preview",
            "/openai/responses?api-version=2025-04-01-preview",
            "/openai/deployments/d%2F1/chat/completions?api-version=2025-04-01-preview",
        ),
    ],
)
def test_azure_api_versions(version: str | None, responses_url: str, chat_url: str) -> None:
    az = ClientConfig.azure(
        {},
        azure_endpoint="https://r.example",
        api_key="k",
        azure_deployment="d/1",
        api_version=version,
    )
    params = GenerationParams(model="m")
    assert build_responses_request(az, params, "x").target == responses_url
    assert build_chat_request(az, params, [chat_user("x")]).target == chat_url


def test_azure_extra_query_can_override_api_version() -> None:
    az = ClientConfig.azure(AZ_ENV, extra_query={"api-version": "2025-01-01"})
    req = build_chat_request(az, GenerationParams(model="m"), [chat_user("x")])
    assert req.target.endswith("?api-version=2025-01-01")


def test_azure_missing_credentials_and_endpoint() -> None:
    with pytest.raises(MissingCredentialsError, match="AZURE_OPENAI_ENDPOINT") as info:
        ClientConfig.azure({"AZURE_OPENAI_API_KEY": KEY})
    assert "azure_endpoint" in str(info.value)
    no_key = {"AZURE_OPENAI_ENDPOINT": "https://r.example"}
    with pytest.raises(MissingCredentialsError) as info:
        ClientConfig.azure(no_key)
    for word in ("api_key", "azure_ad_token", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"):
        assert word in str(info.value)
    # The OpenAI key does not count for Azure.
    with pytest.raises(MissingCredentialsError):
        ClientConfig.azure({**no_key, "OPENAI_API_KEY": KEY})


def test_azure_base_url_mode() -> None:
    az = ClientConfig.azure(
        {"AZURE_OPENAI_ENDPOINT": "https://ignored.example"},
        base_url="https://r.example/openai/deployments/dep",
        api_key="k",
        api_version="2024-10-21",
    )
    assert az.azure_endpoint is None
    req = build_chat_request(az, GenerationParams(model="m"), [chat_user("x")])
    assert (
        req.url
        == "https://r.example/openai/deployments/dep/chat/completions?api-version=2024-10-21"
    )
    assert req.header("api-key") == "k"
    with pytest.raises(LocalProtocolError, match="mutually exclusive"):
        ClientConfig(azure_endpoint="https://a.example", base_url="https://b.example", api_key="k")


def test_azure_dated_chat_needs_a_deployment() -> None:
    az = ClientConfig(azure_endpoint="https://r.example", api_key="k", api_version="2024-10-21")
    with pytest.raises(LocalProtocolError, match="azure_deployment"):
        build_chat_request(az, GenerationParams(model="m"), [chat_user("x")])
    assert build_responses_request(az, GenerationParams(model="m"), "x").target == (
        "/openai/responses?api-version=2024-10-21"
    )


# -- Property: random parameter sets give null-free, SDK-valid bodies ------------------------

_opt = st.none


@st.composite
def generation_params(draw: st.DrawFn) -> GenerationParams:
    names = draw(st.lists(st.sampled_from(["alpha", "beta", "gamma"]), unique=True, max_size=3))
    tools = [
        function_tool(
            n,
            draw(_opt() | st.just(SCHEMA)),
            description=draw(_opt() | st.text(max_size=8)),
            strict=draw(st.booleans()),
        )
        for n in names
    ]
    modes = ["auto", "none", *(["required", *names] if names else [])]
    floats = lambda lo, hi: _opt() | st.floats(lo, hi)  # noqa: E731
    text = st.text("abcdef-_", min_size=1, max_size=8)
    return GenerationParams(
        model=draw(st.sampled_from(["gpt-4.1", "gpt-4o-mini", "gpt-5-mini", "o3", "o4-mini"])),
        temperature=draw(floats(0, 2)),
        top_p=draw(floats(0, 1)),
        frequency_penalty=draw(floats(-2, 2)),
        presence_penalty=draw(floats(-2, 2)),
        seed=draw(_opt() | st.integers(-(2**31), 2**31)),
        max_output_tokens=draw(_opt() | st.integers(16, 10_000)),
        tools=tools,
        tool_choice=draw(_opt() | st.sampled_from(modes)),
        parallel_tool_calls=draw(_opt() | st.booleans()),
        reasoning_effort=draw(
            _opt() | st.sampled_from(["none", "minimal", "low", "medium", "high", "xhigh"])
        ),
        verbosity=draw(_opt() | st.sampled_from(["low", "medium", "high"])),
        json_schema=draw(_opt() | st.just(SCHEMA)),
        store=draw(_opt() | st.booleans()),
        metadata=draw(_opt() | st.dictionaries(text, text, max_size=3)),
        instructions=draw(_opt() | st.text(max_size=10)),
        user=draw(_opt() | text),
        safety_identifier=draw(_opt() | text),
        prompt_cache_key=draw(_opt() | text),
        service_tier=draw(_opt() | st.sampled_from(["auto", "default", "flex", "priority"])),
        include=draw(
            st.lists(
                st.sampled_from(["reasoning.encrypted_content", "message.output_text.logprobs"]),
                unique=True,
            )
        ),
        include_usage=draw(st.booleans()),
        include_obfuscation=draw(_opt() | st.booleans()),
    )


@given(params=generation_params(), stream=st.booleans(), logprobs=st.booleans())
def test_random_params_give_null_free_sdk_valid_bodies(
    params: GenerationParams, stream: bool, logprobs: bool
) -> None:
    config = cfg()
    items = [user_message("hi"), function_call_output("c1", "ok")]
    resp = build_responses_request(config, params, items, stream=stream)
    chat = build_chat_request(
        config,
        params,
        [chat_user("hi")],
        stream=stream,
        logprobs=logprobs or None,
        top_logprobs=2 if logprobs else None,
    )
    for req in (resp, chat):
        data = body(req)
        assert nulls(data) == []
        assert data["model"] == params.model
        assert ("stream" in data) is stream
        assert req.body == build_again(req, params, stream, logprobs)
        sent = set(data)
        for dropped in req.dropped_params:
            assert isinstance(dropped, DroppedParam) and dropped.reason
            assert dropped.name not in sent or dropped.name == "include"
        if params.is_reasoning:
            assert not {"temperature", "top_p", "frequency_penalty", "presence_penalty"} & sent
    validate_responses(resp)
    validate_chat(chat)


def build_again(req: HTTPRequest, params: GenerationParams, stream: bool, logprobs: bool) -> bytes:
    """Determinism: the same inputs give the same bytes."""
    if req.target.endswith("/responses"):
        items = [user_message("hi"), function_call_output("c1", "ok")]
        return build_responses_request(cfg(), params, items, stream=stream).body
    return build_chat_request(
        cfg(),
        params,
        [chat_user("hi")],
        stream=stream,
        logprobs=logprobs or None,
        top_logprobs=2 if logprobs else None,
    ).body


# -- Purity -----------------------------------------------------------------------------------

FORBIDDEN = {
    "asyncio", "anyio", "trio", "socket", "ssl", "time", "datetime", "random", "secrets",
    "os", "threading", "subprocess",
}  # fmt: skip


@pytest.mark.parametrize(
    "name", ["requests.py", "_request_params.py", "_request_items.py", "_client_config.py"]
)
def test_request_modules_import_nothing_impure(name: str) -> None:
    import openai_sansio.protocol as protocol

    path = Path(protocol.__file__).parent / name
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN


# -- One URL and request assembly for every HTTP API (requests.api_url / post_request) ------


def _builders() -> dict[str, Any]:
    from openai_sansio.protocol.speech_request import build_speech_request
    from openai_sansio.protocol.transcription_request import build_transcription_request

    return {
        "responses": lambda c: build_responses_request(c, GenerationParams(model="m"), "x"),
        "chat/completions": lambda c: build_chat_request(
            c, GenerationParams(model="m"), [chat_user("x")]
        ),
        "audio/speech": lambda c: build_speech_request(c, model="m", input="x", voice="marin"),
        "audio/transcriptions": lambda c: build_transcription_request(
            c, audio=b"RIFF", filename="a.wav", model="m", boundary="b"
        ),
    }


@pytest.mark.parametrize("path", list(_builders()))
def test_every_http_api_shares_the_url_rules(path: str) -> None:
    """OpenAI, Azure v1, Azure dated (deployment path; Responses has none) and a dated
    version without a deployment give the same shapes for every API; so do the headers."""
    build = _builders()[path]
    openai = ClientConfig(api_key="k", base_url="https://o.example/v1", extra_query={"q": "1"})
    req = build(openai)
    assert req.url == f"https://o.example/v1/{path}?q=1"
    names = [k for k, _ in req.headers]
    assert names[:4] == ["host", "content-type", "accept", "user-agent"]
    assert req.header("authorization") == "Bearer k" and req.timeouts == openai.timeouts
    v1 = ClientConfig(azure_endpoint="https://r.example", api_key="k", azure_deployment="d")
    assert build(v1).target == f"/openai/v1/{path}"
    assert build(v1).header("api-key") == "k"
    dated = ClientConfig(azure_endpoint="https://r.example", api_key="k", api_version="2024-10-21")
    if path == "responses":
        assert build(dated).target == "/openai/responses?api-version=2024-10-21"
        return
    with pytest.raises(LocalProtocolError, match="needs azure_deployment") as caught:
        build(dated)
    assert caught.value.error_hint == "invalid_config"
    named = ClientConfig(
        azure_endpoint="https://r.example",
        api_key="k",
        api_version="2024-10-21",
        azure_deployment="d 1",
    )
    assert build(named).target == f"/openai/deployments/d%201/{path}?api-version=2024-10-21"
