"""Pure tests of the emulator's script, rule, ids, faults and router (no sockets)."""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

from openai_sansio.emulator import (
    RULES_DOC,
    EmulatorConfig,
    chat_script,
    responses_script,
    rules,
)
from openai_sansio.emulator.errors import ApiError
from openai_sansio.emulator.faults import validated, with_fault_header
from openai_sansio.emulator.ids import EPOCH, IdSource
from openai_sansio.emulator.router import REDACTED, Router
from openai_sansio.emulator.rules import (
    Call,
    CallOutput,
    Message,
    Tool,
    ToolChoice,
    decide,
    schema_arguments,
)

STREAM_EVENT = pydantic.TypeAdapter(ResponseStreamEvent)

WEATHER = Tool(
    "get_weather",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "units": {"enum": ["c", "f"]}},
        "required": ["city"],
    },
)
TIME = Tool("get_time", {"type": "object", "properties": {"tz": {"type": "string"}}})
R_TOOLS = [
    {"type": "function", "name": "get_weather", "parameters": WEATHER.parameters},
    {"type": "function", "name": "get_time", "parameters": TIME.parameters},
]
C_TOOLS = [
    {"type": "function", "function": {"name": t["name"], "parameters": t["parameters"]}}
    for t in R_TOOLS
]
AUTO = ToolChoice("auto")


def user(text: str) -> list[rules.Item]:
    return [Message("user", text)]


# --- the rule ---------------------------------------------------------------------------


def test_text_answer_echoes_user_text() -> None:
    assert decide(user("hello"), [], AUTO, parallel=True).text == "You said: hello"


def test_tool_named_in_text_is_called_case_insensitively() -> None:
    decision = decide(user("Please GET_WEATHER for Paris"), [WEATHER, TIME], AUTO, parallel=True)
    assert [c.name for c in decision.calls] == ["get_weather"]
    assert json.loads(decision.calls[0].arguments) == {"city": "Paris", "units": "c"}


def test_no_tool_named_means_text_unless_required() -> None:
    assert not decide(user("hi"), [WEATHER], AUTO, parallel=True).calls
    forced = decide(user("hi"), [WEATHER, TIME], ToolChoice("required"), parallel=True)
    assert [c.name for c in forced.calls] == ["get_weather"]


def test_tool_choice_none_and_named() -> None:
    assert not decide(user("get_weather"), [WEATHER], ToolChoice("none"), parallel=True).calls
    named = decide(
        user("get_weather now"), [WEATHER, TIME], ToolChoice("named", "get_time"), parallel=True
    )
    assert [c.name for c in named.calls] == ["get_time"]


def test_parallel_calls_follow_order_of_appearance() -> None:
    text = "first get_time then get_weather in Oslo"
    both = decide(user(text), [WEATHER, TIME], AUTO, parallel=True)
    assert [c.name for c in both.calls] == ["get_time", "get_weather"]
    one = decide(user(text), [WEATHER, TIME], AUTO, parallel=False)
    assert [c.name for c in one.calls] == ["get_time"]


def test_after_tool_result_answers_with_the_output() -> None:
    items: list[rules.Item] = [
        *user("get_weather"),
        Call("call_1", "get_weather", "{}"),
        CallOutput("call_1", "x" * 300),
    ]
    decision = decide(items, [WEATHER], AUTO, parallel=True)
    assert not decision.calls
    assert decision.text == f"The get_weather tool returned: {'x' * 200}."


def test_several_tool_results_and_unknown_call_id() -> None:
    items: list[rules.Item] = [
        Call("a", "get_weather", "{}"),
        Call("b", "get_time", "{}"),
        CallOutput("a", "sunny"),
        CallOutput("b", "noon"),
        CallOutput("zzz", "?"),
    ]
    text = decide(items, [], AUTO, parallel=True).text
    assert text == (
        "The get_weather tool returned: sunny. The get_time tool returned: noon. "
        "The unknown tool returned: ?."
    )


def test_say_prefix_and_no_user_message() -> None:
    assert decide(user("say:  exact get_weather"), [WEATHER], AUTO, parallel=True).text == (
        "exact get_weather"
    )
    assert decide([Message("system", "be nice")], [], AUTO, parallel=True).text.startswith("Hello")
    assert decide([], [], AUTO, parallel=True).text.startswith("Hello")


def test_last_item_assistant_means_text() -> None:
    items: list[rules.Item] = [*user("get_weather"), Message("assistant", "ok")]
    assert decide(items, [WEATHER], AUTO, parallel=True).text == "You said: get_weather"


def test_schema_arguments_cover_every_kind() -> None:
    schema = {
        "type": "object",
        "$defs": {"Loc": {"type": "object", "properties": {"lat": {"type": "number"}}}},
        "properties": {
            "s": {"type": "string"},
            "i": {"type": "integer"},
            "b": {"type": "boolean"},
            "a": {"type": "array", "items": {"type": "string"}},
            "e": {"enum": ["x", "y"]},
            "c": {"const": 7},
            "n": {"type": ["null", "integer"]},
            "o": {"type": "object", "properties": {"deep": {"type": "string"}}},
            "r": {"$ref": "#/$defs/Loc"},
            "u": {"anyOf": [{"type": "null"}, {"type": "boolean"}]},
            "z": {"type": "null"},
        },
        "required": ["s", "extra"],
    }
    assert schema_arguments(schema, "Word") == {
        "s": "Word",
        "i": 42,
        "b": True,
        "a": [],
        "e": "x",
        "c": 7,
        "n": 42,
        "o": {"deep": "Word"},
        "r": {"lat": 42},
        "u": True,
        "z": None,
        "extra": "Word",
    }
    assert schema_arguments({"properties": {"city": {"type": "string"}}}, None) == {"city": "city"}
    assert schema_arguments(None, "w") == {}
    recursive = {"$ref": "#", "type": "object", "properties": {"me": {"$ref": "#"}}}
    assert isinstance(schema_arguments(recursive, "w"), dict)


@given(st.text())
def test_split_words_joins_back(text: str) -> None:
    assert "".join(rules.split_words(text)) == text


@given(st.text(), st.integers(min_value=1, max_value=10))
def test_split_chunks_joins_back(text: str, size: int) -> None:
    assert "".join(rules.split_chunks(text, size)) == text


def test_count_tokens() -> None:
    assert rules.count_tokens("Hello, world!") == 4
    assert rules.count_tokens("") == 0


def test_rules_doc_states_the_rule() -> None:
    for phrase in (
        "The <tool name> tool returned:",
        "You said:",
        "tool_choice",
        "parallel_tool_calls",
        "say:",
        "x-emulator-fault",
        "previous_response_not_found",
    ):
        assert phrase in RULES_DOC


# --- ids and faults ---------------------------------------------------------------------


def test_ids_are_deterministic_and_well_formed() -> None:
    a, b = IdSource(1, 3, b"body"), IdSource(1, 3, b"body")
    assert a.response_id() == b.response_id()
    assert a.response_id() != IdSource(2, 3, b"body").response_id()
    assert a.response_id() != IdSource(1, 4, b"body").response_id()
    assert re.fullmatch(r"resp_[0-9a-f]{48}", a.response_id())
    assert re.fullmatch(r"msg_[0-9a-f]{48}", a.message_id(0))
    assert re.fullmatch(r"fc_[0-9a-f]{48}", a.function_call_id(0))
    assert re.fullmatch(r"call_[0-9A-Za-z]{24}", a.call_id("x"))
    assert re.fullmatch(r"chatcmpl-[0-9A-Za-z]{29}", a.chat_id())
    assert a.created == EPOCH + 3
    assert (len("abc") + len(a.obfuscation("1", "abc"))) % 16 == 0


def test_fault_header_parsing() -> None:
    base = EmulatorConfig(seed=5)
    assert with_fault_header(base, None) is base
    faulted = with_fault_header(base, '{"drop_after_events": 2, "delay_s": 0}')
    assert faulted.drop_after_events == 2 and faulted.seed == 5
    for bad in ("nope", "[1]", '{"seed": 1}', '{"drop_afte": 1}', '{"http_status": "x"}'):
        with pytest.raises(ApiError) as info:
            with_fault_header(base, bad)
        assert info.value.status == 400 and info.value.param == "x-emulator-fault"
    with pytest.raises(ApiError):
        with_fault_header(base, '{"http_status": 200}')


def test_config_validation() -> None:
    assert validated(EmulatorConfig(seed=3)).seed == 3
    with pytest.raises(ValueError):
        validated(EmulatorConfig(drop_after_events=-1))


# --- scripts, validated against the SDK types -----------------------------------------


def r_script(body: dict[str, Any], config: EmulatorConfig | None = None, prior: Any = None) -> Any:
    req = responses_script.parse_request(body)
    return responses_script.script(req, prior, IdSource(0, 1, b"x"), config or EmulatorConfig())


def c_script(body: dict[str, Any], config: EmulatorConfig | None = None) -> Any:
    req = chat_script.parse_request(body)
    return chat_script.script(req, IdSource(0, 1, b"x"), config or EmulatorConfig())


@pytest.mark.parametrize(
    "config",
    [
        EmulatorConfig(),
        EmulatorConfig(fail_response=True),
        EmulatorConfig(incomplete=True),
        EmulatorConfig(inject_error_after=4, error_code="server_error"),
    ],
)
@pytest.mark.parametrize("text", ["hello there", "get_weather and get_time for Rome"])
def test_responses_script_validates(config: EmulatorConfig, text: str) -> None:
    body = {"model": "m", "input": text, "tools": R_TOOLS, "stream": True}
    result = r_script(body, config)
    for number, event in enumerate(result.events):
        assert event["sequence_number"] == number
        STREAM_EVENT.validate_python(event)
    Response.model_validate(result.final)
    last = result.events[-1]["type"]
    if config.fail_response:
        assert last == "response.failed" and result.record is None
        assert result.final["error"]["code"] == "server_error"
    elif config.incomplete:
        assert last == "response.incomplete"
        assert result.final["incomplete_details"] == {"reason": "max_output_tokens"}
    elif config.inject_error_after is not None:
        assert last == "error" and len(result.events) == 5 and result.record is None
    else:
        assert last == "response.completed" and result.record is not None


def test_responses_max_output_tokens_truncates() -> None:
    result = r_script({"model": "m", "input": "word " * 40, "max_output_tokens": 16})
    assert result.final["status"] == "incomplete"
    assert rules.count_tokens(result.final["output"][0]["content"][0]["text"]) <= 16


def test_responses_chain_counts_cached_tokens() -> None:
    first = r_script({"model": "m", "input": "hello"})
    second = r_script(
        {"model": "m", "input": "again", "previous_response_id": "x"}, prior=first.record
    )
    usage = second.final["usage"]
    total = first.final["usage"]["total_tokens"]
    assert usage["input_tokens_details"]["cached_tokens"] == total > 0
    assert usage["input_tokens"] > usage["input_tokens_details"]["cached_tokens"]
    assert second.record.items[:2] == first.record.items


def test_a_continuation_counts_its_instructions_once() -> None:
    """Instructions are per request: a chained turn does not inherit (and double-count) the
    earlier request's, so longer instructions add the same tokens to every turn."""

    def turns(instructions: str) -> tuple[int, int]:
        first = r_script({"model": "m", "input": "hello", "instructions": instructions})
        body = {"model": "m", "input": "again", "instructions": instructions}
        second = r_script({**body, "previous_response_id": "x"}, prior=first.record)
        return first.final["usage"]["input_tokens"], second.final["usage"]["input_tokens"]

    short, long = turns("Be brief."), turns("Be brief. " * 20)
    extra = long[0] - short[0]
    assert extra > 0
    assert long[1] - short[1] == extra


def test_responses_no_obfuscation_when_disabled() -> None:
    body = {"model": "m", "input": "hi", "stream": True}
    body["stream_options"] = {"include_obfuscation": False}
    assert not any("obfuscation" in e for e in r_script(body).events)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([], None),
        ({"input": "x"}, "model"),
        ({"model": 3, "input": "x"}, "model"),
        ({"model": "m"}, "input"),
        ({"model": "m", "input": 5}, "input"),
        ({"model": "m", "input": [3]}, "input[0]"),
        ({"model": "m", "input": [{"content": "x"}]}, "input[0].role"),
        ({"model": "m", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"model": "m", "input": [{"type": "function_call_output"}]}, "input[0].call_id"),
        ({"model": "m", "input": "x", "stream_options": {}}, "stream_options"),
        ({"model": "m", "input": "x", "tools": [{"type": "function"}]}, "tools[0].name"),
        ({"model": "m", "input": "x", "tool_choice": "sometimes"}, "tool_choice"),
        (
            {"model": "m", "input": "x", "tool_choice": {"type": "function", "name": "nope"}},
            "tool_choice",
        ),
        ({"model": "m", "input": "x", "max_output_tokens": 3}, "max_output_tokens"),
        ({"model": "m", "input": "x", "stream": "yes"}, "stream"),
    ],
)
def test_responses_validation_errors(body: Any, param: str | None) -> None:
    with pytest.raises(ApiError) as info:
        responses_script.parse_request(body)
    assert info.value.status == 400 and info.value.param == param


def test_chat_script_n2_tools_usage_validates() -> None:
    body = {
        "model": "m",
        "messages": [{"role": "user", "content": "get_weather and get_time for Rome"}],
        "tools": C_TOOLS,
        "n": 2,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    result = c_script(body)
    for chunk in result.chunks:
        ChatCompletionChunk.model_validate(chunk)
    ChatCompletion.model_validate(result.final)
    assert result.done
    assert result.chunks[-1]["choices"] == [] and result.chunks[-1]["usage"]["total_tokens"] > 0
    finals = [
        c["choices"][0] for c in result.chunks if c["choices"] and c["choices"][0]["finish_reason"]
    ]
    assert sorted((f["index"], f["finish_reason"]) for f in finals) == [
        (0, "tool_calls"),
        (1, "tool_calls"),
    ]


def test_chat_script_faults_and_limits() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "one two three four"}]}
    assert c_script(body, EmulatorConfig(incomplete=True)).final["choices"][0]["finish_reason"] == (
        "length"
    )
    limited = c_script({**body, "max_tokens": 3}).final["choices"][0]
    assert limited["finish_reason"] == "length" and limited["message"]["content"] == "You said:"
    errored = c_script({**body, "stream": True}, EmulatorConfig(inject_error_after=2))
    assert not errored.done and "error" in errored.chunks[-1] and len(errored.chunks) == 3
    assert not c_script({**body, "stream": True}, EmulatorConfig(omit_done=True)).done


def test_chat_follow_up_after_tool_message() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "get_weather"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_9",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_9", "content": "rainy"},
        ],
        "tools": C_TOOLS,
    }
    message = c_script(body).final["choices"][0]["message"]
    assert message["content"] == "The get_weather tool returned: rainy."
    legacy = {"model": "m", "messages": [{"role": "function", "name": "f", "content": "1"}]}
    assert c_script(legacy).final["choices"][0]["message"]["content"] == "The f tool returned: 1."


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": ["x"]}, "messages[0]"),
        ({"model": "m", "messages": [{"role": "bot"}]}, "messages[0].role"),
        (
            {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
        ),
        ({"model": "m", "messages": [{"role": "user", "content": 1}]}, "messages[0].content"),
        ({"model": "m", "messages": [{"role": "user", "content": [1]}]}, "messages[0].content[0]"),
        ({"model": "m", "messages": [{"role": "user"}], "n": 0}, "n"),
        (
            {"model": "m", "messages": [{"role": "user"}], "tools": [{"type": "function"}]},
            "tools[0].function",
        ),
        ({"model": "m", "messages": [{"role": "user"}], "max_tokens": 0}, "max_tokens"),
    ],
)
def test_chat_validation_errors(body: Any, param: str) -> None:
    with pytest.raises(ApiError) as info:
        chat_script.parse_request(body)
    assert info.value.status == 400 and info.value.param == param


# --- router (no sockets) ----------------------------------------------------------------

AUTH = [("authorization", "Bearer sk-secret-value")]


def route(
    router: Router,
    path: str,
    body: Any,
    headers: list[tuple[str, str]] | None = None,
    method: str = "POST",
) -> Any:
    raw = body if isinstance(body, bytes) else msgspec.json.encode(body)
    return router.handle(method, path, AUTH if headers is None else headers, raw)


def error_of(reply: Any) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(reply.body)["error"]
    assert set(payload) == {"message", "type", "param", "code"}
    return payload


def test_router_refusals() -> None:
    router = Router(EmulatorConfig())
    ok = {"model": "m", "input": "x"}
    assert route(router, "/v1/nope", ok).status == 404
    not_allowed = route(router, "/v1/responses", b"", method="GET")
    assert not_allowed.status == 405 and ("allow", "POST") in not_allowed.headers
    unauth = route(router, "/v1/responses", ok, headers=[("authorization", "Bearer  ")])
    assert unauth.status == 401 and error_of(unauth)["code"] == "invalid_api_key"
    assert route(router, "/v1/responses", b"{nope").status == 400
    assert route(router, "/openai/responses", ok, headers=[("api-key", "k")]).status == 400
    assert (
        route(
            router,
            "/openai/responses?api-version=2025-04-01-preview",
            ok,
            headers=[("api-key", "k")],
        ).status
        == 200
    )
    assert all(dict(r.headers)["x-request-id"].startswith("req_") for r in [unauth, not_allowed])
    assert "sk-secret-value" not in repr(router.requests)
    assert router.requests[0].headers["authorization"] == REDACTED


def test_router_forgets_chains_and_store_false() -> None:
    router = Router(EmulatorConfig())
    first = json.loads(route(router, "/v1/responses", {"model": "m", "input": "x"}).body)
    follow = {"model": "m", "input": "y", "previous_response_id": first["id"]}
    assert route(router, "/v1/responses", follow).status == 200
    forget = route(
        router,
        "/v1/responses",
        follow,
        headers=[*AUTH, ("x-emulator-fault", '{"forget_chains": true}')],
    )
    assert error_of(forget)["code"] == "previous_response_not_found"
    unstored = json.loads(
        route(router, "/v1/responses", {"model": "m", "input": "x", "store": False}).body
    )
    assert unstored["store"] is False
    missing = route(router, "/v1/responses", {**follow, "previous_response_id": unstored["id"]})
    assert missing.status == 400 and error_of(missing)["param"] == "previous_response_id"
