"""Codec conformance: wire JSON <-> typed events (DESIGN.md 3.3, 3.4, 8; protocol.md 0.4).

* Every official example in ``../shared/fixtures/openapi-event-examples.jsonl`` of the groups
  ``responses-streaming``, ``chat-streaming``, ``responses-websocket-client-events`` and the
  ``extra`` schema ``ResponseWsError`` decodes to its typed event (never `UnknownEvent`) and
  re-encodes without losing a field.
* "Without losing a field" means: every key whose value in the original is not ``null`` is in
  the re-encoding with an equal value, recursively. A key whose original value is ``null`` may
  be absent: the encoder omits unset optionals, because the API rejects explicit nulls in what
  a client sends (DESIGN.md 3.3), and ``null`` and absent mean the same to every reader.
  Numbers compare as JSON numbers (``1`` and ``1.0`` are equal; booleans are not numbers).
* The ``openai`` SDK (test-only oracle) accepts the re-encoding wherever it accepts the original.
* Forward compatibility: unknown ``type`` -> `UnknownEvent` with the exact bytes; unknown
  fields and unknown enum values are ignored; a known type with a broken body, bad JSON, a
  non-object, a missing or non-string ``type`` -> `RemoteProtocolError`; a bad ``api`` name is
  the caller's bug -> `ValueError`.
* `parse_arguments` and `classify_error`, the two pure helpers the machines lean on.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest

from openai_sansio.protocol._codec import (
    decode_client_event,
    decode_server_event,
    encode_event,
    known_apis,
)
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events.chat import ChatCompletionChunk, ChatStreamErrorObject
from openai_sansio.protocol.events.common import (
    APIError,
    ArgumentsProblem,
    ToolCall,
    UnknownEvent,
    WireEvent,
    classify_error,
    parse_arguments,
)
from openai_sansio.protocol.events.responses import (
    RESPONSES_SERVER_EVENT_TYPES,
    ErrorEvent,
    ResponseCreate,
    ResponseOutputItemAdded,
    ResponseOutputTextDelta,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = SHARED / "fixtures" / "openapi-event-examples.jsonl"
MISSING = f"shared fixtures not found at {EXAMPLES} (expected ../shared next to the repo)"


# --------------------------------------------------------------------------------------------
# The fixtures and how each group is decoded and checked.

# (decoder, api, SDK type to validate against)
_ROUTES: dict[str, tuple[str, str, str]] = {
    "responses-streaming": ("server", "responses", "stream"),
    "chat-streaming": ("server", "chat", "chat"),
    "responses-websocket-client-events": ("client", "responses", "client"),
    "extra/ResponseWsError": ("server", "responses", "ws"),
}


def _route(record: dict[str, Any]) -> tuple[str, str, str] | None:
    return _ROUTES.get(record["group"]) or _ROUTES.get(f"{record['group']}/{record['schema']}")


def _load() -> list[dict[str, Any]]:
    if not EXAMPLES.is_file():
        return []
    records = [json.loads(line) for line in EXAMPLES.read_text("utf-8").splitlines() if line]
    return [r for r in records if _route(r) is not None]


RECORDS = _load()


def _params() -> list[Any]:
    if not RECORDS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-fixtures")]
    return [pytest.param(r, id=f"{r['group']}:{r['schema']}:{r['index']}") for r in RECORDS]


def _decode(record: dict[str, Any], raw: bytes | str) -> Any:
    route = _route(record)
    assert route is not None
    which, api, _ = route
    decode = decode_server_event if which == "server" else decode_client_event
    return decode(raw, api=api)


@cache
def _sdk_adapter(kind: str) -> pydantic.TypeAdapter[Any]:
    if kind == "stream":
        from openai.types.responses import ResponseStreamEvent

        return pydantic.TypeAdapter(ResponseStreamEvent)
    if kind == "ws":
        from openai.types.responses.responses_server_event import ResponsesServerEvent

        return pydantic.TypeAdapter(ResponsesServerEvent)
    if kind == "client":
        from openai.types.responses.responses_client_event import ResponsesClientEvent

        return pydantic.TypeAdapter(ResponsesClientEvent)
    from openai.types.chat import ChatCompletionChunk as SDKChunk

    return pydantic.TypeAdapter(SDKChunk)


def _sdk_accepts(kind: str, document: Any) -> bool:
    try:
        _sdk_adapter(kind).validate_python(document)
    except pydantic.ValidationError:
        return False
    return True


def assert_nothing_lost(original: Any, reencoded: Any, path: str = "$") -> None:
    """Every non-null value of `original` is in `reencoded`, equal, recursively."""
    if isinstance(original, dict):
        assert isinstance(reencoded, dict), f"{path}: object became {type(reencoded).__name__}"
        for key, value in original.items():
            if value is None:
                continue  # null may be omitted: the encoder leaves unset optionals out
            assert key in reencoded, f"{path}.{key} lost on re-encode"
            assert_nothing_lost(value, reencoded[key], f"{path}.{key}")
    elif isinstance(original, list):
        assert isinstance(reencoded, list), f"{path}: array became {type(reencoded).__name__}"
        assert len(reencoded) == len(original), f"{path}: array length changed"
        for i, (a, b) in enumerate(zip(original, reencoded, strict=True)):
            assert_nothing_lost(a, b, f"{path}[{i}]")
    elif isinstance(original, bool) or isinstance(reencoded, bool):
        assert original is reencoded, f"{path}: {original!r} became {reencoded!r}"
    elif isinstance(original, (int, float)):
        assert isinstance(reencoded, (int, float)), f"{path}: number became {reencoded!r}"
        assert original == reencoded, f"{path}: {original!r} became {reencoded!r}"
    else:
        assert original == reencoded, f"{path}: {original!r} became {reencoded!r}"
        assert type(original) is type(reencoded), f"{path}: type changed"


def test_assert_nothing_lost_is_strict() -> None:
    """The comparison itself must catch loss, change and type confusion."""
    assert_nothing_lost(
        {"a": 1, "b": None, "c": [1.0, {"d": "x"}]}, {"a": 1.0, "c": [1, {"d": "x"}]}
    )
    for original, reencoded in [
        ({"a": 1}, {}),
        ({"a": {"b": 1}}, {"a": {}}),
        ({"a": [1, 2]}, {"a": [1]}),
        ({"a": "1"}, {"a": 1}),
        ({"a": True}, {"a": 1}),
        ({"a": 0}, {"a": False}),
        ({"a": [{"b": "x"}]}, {"a": [{"b": "y"}]}),
    ]:
        with pytest.raises(AssertionError):
            assert_nothing_lost(original, reencoded)


def test_the_fixture_groups_are_all_there() -> None:
    if not RECORDS:
        pytest.skip(MISSING)
    groups: dict[str, int] = {}
    for r in RECORDS:
        groups[r["group"]] = groups.get(r["group"], 0) + 1
    assert groups["responses-streaming"] >= 40
    assert groups["chat-streaming"] >= 3
    assert groups["responses-websocket-client-events"] >= 1
    assert any(r["schema"] == "ResponseWsError" for r in RECORDS)


# --------------------------------------------------------------------------------------------
# Official examples: typed, lossless, and accepted by the SDK after the round trip.


@pytest.mark.parametrize("record", _params())
def test_example_decodes_to_its_typed_event(record: dict[str, Any]) -> None:
    example = record["example"]
    event = _decode(record, json.dumps(example).encode())
    assert not isinstance(event, UnknownEvent)
    if record["group"] == "chat-streaming":
        assert isinstance(event, ChatCompletionChunk)
        assert example["object"] == "chat.completion.chunk"
        assert event.id == example["id"]
    else:
        assert isinstance(event, WireEvent)
        assert event.type == example["type"]
        assert type(event).__struct_config__.tag == example["type"]


@pytest.mark.parametrize("record", _params())
def test_example_decodes_the_same_from_text_and_bytes(record: dict[str, Any]) -> None:
    text = json.dumps(record["example"])  # WebSocket frames arrive as text, SSE data as bytes
    assert _decode(record, text) == _decode(record, text.encode())


@pytest.mark.parametrize("record", _params())
def test_example_reencodes_without_losing_a_field(record: dict[str, Any]) -> None:
    example = record["example"]
    event = _decode(record, json.dumps(example).encode())
    reencoded = json.loads(encode_event(event))
    assert_nothing_lost(example, reencoded)
    # and the re-encoding is a fixed point: decoding it again gives the same event
    assert _decode(record, encode_event(event)) == event


@pytest.mark.parametrize("record", _params())
def test_sdk_accepts_the_reencoding_wherever_it_accepts_the_original(
    record: dict[str, Any],
) -> None:
    route = _route(record)
    assert route is not None
    kind = route[2]
    example = record["example"]
    if not _sdk_accepts(kind, example):
        pytest.skip("the SDK itself rejects this published example (examples and SDK disagree)")
    event = _decode(record, json.dumps(example).encode())
    _sdk_adapter(kind).validate_python(json.loads(encode_event(event)))


def test_sdk_check_is_not_vacuous() -> None:
    """Most official examples are valid for the SDK, so the check above really runs."""
    if not RECORDS:
        pytest.skip(MISSING)
    accepted = 0
    for record in RECORDS:
        route = _route(record)
        assert route is not None
        accepted += _sdk_accepts(route[2], record["example"])
    assert accepted >= 40, accepted


# Tags the official examples do not cover, written after the SDK's pydantic models
# (openai 3.54.0) and checked against them below, so they are what the SDK would accept.
SDK_SHAPED: list[tuple[str, dict[str, Any]]] = [
    ("stream", {"type": "response.audio.delta", "delta": "AAAA", "sequence_number": 3}),
    ("stream", {"type": "response.audio.done", "sequence_number": 4}),
    ("stream", {"type": "response.audio.transcript.delta", "delta": "hi", "sequence_number": 5}),
    ("stream", {"type": "response.audio.transcript.done", "sequence_number": 6}),
    (
        "stream",
        {
            "type": "response.compaction.compacting",
            "item_id": "cmp_1",
            "output_index": 0,
            "sequence_number": 7,
        },
    ),
    (
        "stream",
        {
            "type": "response.function_call_arguments.delta",
            "delta": '{"city": "Pa',
            "item_id": "fc_1",
            "output_index": 1,
            "sequence_number": 8,
            "obfuscation": "xY3",
        },
    ),
    (
        "stream",
        {
            "type": "response.shell_call_command.added",
            "command": "ls",
            "command_index": 0,
            "output_index": 2,
            "sequence_number": 9,
        },
    ),
    (
        "stream",
        {
            "type": "response.shell_call_command.delta",
            "command_index": 0,
            "delta": " -la",
            "output_index": 2,
            "sequence_number": 10,
            "obfuscation": "q",
        },
    ),
    (
        "stream",
        {
            "type": "response.shell_call_command.done",
            "command": "ls -la",
            "command_index": 0,
            "output_index": 2,
            "sequence_number": 11,
        },
    ),
    (
        "stream",
        {
            "type": "response.shell_call_output_content.delta",
            "command_index": 0,
            "delta": {"stdout": "total 0\n", "stderr": ""},
            "item_id": "sh_1",
            "output_index": 2,
            "sequence_number": 12,
        },
    ),
    (
        "stream",
        {
            "type": "response.shell_call_output_content.done",
            "command_index": 0,
            "item_id": "sh_1",
            "output": [
                {"outcome": {"type": "exit", "exit_code": 0}, "stderr": "", "stdout": "total 0\n"}
            ],
            "output_index": 2,
            "sequence_number": 13,
        },
    ),
    (
        "ws",
        {
            "type": "response.steer.accepted",
            "sequence_number": 14,
            "steer": {"id": "steer_1", "previous_response_id": "resp_1"},
            "stream_id": "lane_a",
        },
    ),
    (
        "ws",
        {
            "type": "response.steer.pending",
            "reason": "waiting_for_required_input",
            "required_input": [
                {"type": "function_call_output", "call_id": "call_1", "name": "get_weather"}
            ],
            "sequence_number": 15,
            "steer": {"id": "steer_1", "previous_response_id": "resp_1"},
        },
    ),
    (
        "ws",
        {
            "type": "response.steer.failed",
            "error": {
                "code": "response_not_active",
                "message": "The response is no longer accepting steering input.",
                "type": "invalid_request_error",
            },
            "sequence_number": 16,
            "steer": {"input": "also in French", "previous_response_id": "resp_1"},
        },
    ),
]


@pytest.mark.parametrize(("kind", "example"), SDK_SHAPED, ids=[e["type"] for _, e in SDK_SHAPED])
def test_sdk_shaped_event_round_trips(kind: str, example: dict[str, Any]) -> None:
    assert _sdk_accepts(kind, example), "the hand-written example must match the SDK"
    event = decode_server_event(json.dumps(example), api="responses")
    assert isinstance(event, WireEvent)
    assert event.type == example["type"]
    reencoded = json.loads(encode_event(event))
    assert_nothing_lost(example, reencoded)
    _sdk_adapter(kind).validate_python(reencoded)


def test_every_typed_responses_tag_is_exercised() -> None:
    """Official examples plus the SDK-shaped ones cover every tag the codec types."""
    if not RECORDS:
        pytest.skip(MISSING)
    covered = {r["example"].get("type") for r in RECORDS} | {e["type"] for _, e in SDK_SHAPED}
    assert covered >= RESPONSES_SERVER_EVENT_TYPES, sorted(RESPONSES_SERVER_EVENT_TYPES - covered)


# --------------------------------------------------------------------------------------------
# Forward compatibility (protocol.md 0.4).

_DELTA = {
    "type": "response.output_text.delta",
    "item_id": "msg_1",
    "output_index": 0,
    "content_index": 0,
    "delta": "Hi",
    "sequence_number": 4,
}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"response.brand_new.event","payload":{"x":[1,2,3]}}',
        b'{ "payload" : [ 1 , 2 ] ,\n  "type" : "response.brand_new.event" }',  # odd spacing
        '{"type":"response.brand_new.event","text":"caf\u00e9 \U0001f389"}'.encode(),
        b'{"type":"response.brand_new.event","escaped":"caf\\u00e9"}',
        b'{"type":"","x":1}',
        b'{"type":"response.output_text.delta.v2","delta":5}',  # near a known tag
    ],
)
def test_unknown_type_is_kept_byte_for_byte(raw: bytes) -> None:
    event = decode_server_event(raw, api="responses")
    assert type(event) is UnknownEvent
    assert event.type == json.loads(raw)["type"]
    assert event.raw == raw
    assert encode_event(event) == raw
    assert event.data() == json.loads(raw)


def test_unknown_type_from_text_keeps_its_utf8_bytes() -> None:
    text = '{"type":"response.brand_new.event","text":"é"}'
    event = decode_server_event(text, api="responses")
    assert type(event) is UnknownEvent
    assert event.raw == text.encode("utf-8")
    assert encode_event(event) == text.encode("utf-8")


def test_unknown_client_event_type_is_kept() -> None:
    raw = b'{"type":"response.pause","stream_id":"a"}'
    event = decode_client_event(raw, api="responses")
    assert event == UnknownEvent("response.pause", raw)
    assert encode_event(event) == raw


def test_unknown_fields_are_ignored_at_every_level() -> None:
    doc = dict(_DELTA, brand_new_field={"a": 1}, obfuscation="pad", stream_id="lane")
    event = decode_server_event(json.dumps(doc), api="responses")
    assert isinstance(event, ResponseOutputTextDelta)
    assert event.delta == "Hi"
    assert event.obfuscation == "pad"
    assert event.stream_id == "lane"
    assert "brand_new_field" not in json.loads(encode_event(event))

    item = {
        "type": "response.output_item.added",
        "output_index": 0,
        "sequence_number": 1,
        "item": {"type": "hologram_call", "id": "h_1", "status": "warming_up", "beam": 3},
    }
    added = decode_server_event(json.dumps(item), api="responses")
    assert isinstance(added, ResponseOutputItemAdded)
    assert added.item.type == "hologram_call"  # a new item type decodes
    assert added.item.status == "warming_up"  # and so does a new status value


def test_unknown_enum_values_pass_through() -> None:
    doc = {
        "type": "response.completed",
        "sequence_number": 9,
        "response": {"id": "resp_1", "status": "hibernating", "output": [], "service_tier": "x"},
    }
    event = decode_server_event(json.dumps(doc), api="responses")
    assert event.response.status == "hibernating"
    assert json.loads(encode_event(event)) == doc


@pytest.mark.parametrize(
    ("api", "doc", "why"),
    [
        ("responses", {k: v for k, v in _DELTA.items() if k != "delta"}, "missing delta"),
        ("responses", dict(_DELTA, output_index="0"), "output_index is a string"),
        ("responses", dict(_DELTA, delta=None), "delta is null"),
        (
            "responses",
            {"type": "response.completed", "response": "resp_1"},
            "response not an object",
        ),
        ("responses", {"type": "response.created"}, "missing response"),
        ("responses", {"type": "error", "code": 5}, "code is a number"),
        ("chat", {"id": "c", "choices": [{"delta": {}}]}, "choice without index"),
        ("chat", {"id": "c", "choices": {}}, "choices not an array"),
        ("chat", {"choices": []}, "chunk without id"),
        ("chat", {"error": "boom"}, "error not an object"),
    ],
)
def test_known_shape_with_a_broken_body_is_a_remote_error(
    api: str, doc: dict[str, Any], why: str
) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_event(json.dumps(doc), api=api)
    assert info.value.error_hint == "schema_violation", why


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ({"type": "response.create", "model": 5}, "model is a number"),
        ({"type": "response.steer"}, "steer without input"),
    ],
)
def test_known_client_event_with_a_broken_body_is_a_remote_error(
    doc: dict[str, Any], why: str
) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_client_event(json.dumps(doc), api="responses")


_BAD_DOCUMENTS = [
    pytest.param(b"", "invalid_json", id="empty"),
    pytest.param(b"   ", "invalid_json", id="whitespace"),
    pytest.param(b'{"type":', "invalid_json", id="truncated"),
    pytest.param(b'{"type":"x"} trailing', "invalid_json", id="trailing-garbage"),
    pytest.param(b"{'type': 'x'}", "invalid_json", id="single-quotes"),
    pytest.param(b"\xff\xfe", "invalid_json", id="not-utf8"),
    pytest.param(b'{"type":"response.created\xff"}', "invalid_json", id="bad-utf8-in-type"),
    pytest.param(b"[]", "schema_violation", id="array"),
    pytest.param(b'"response.created"', "schema_violation", id="string"),
    pytest.param(b"42", "schema_violation", id="number"),
    pytest.param(b"null", "schema_violation", id="null"),
    pytest.param(b"true", "schema_violation", id="bool"),
    pytest.param(b"{}", "schema_violation", id="missing-type"),
    pytest.param(b'{"type":5}', "schema_violation", id="numeric-type"),
    pytest.param(b'{"type":null}', "schema_violation", id="null-type"),
    pytest.param(b'{"type":["error"]}', "schema_violation", id="array-type"),
]


@pytest.mark.parametrize(("raw", "hint"), _BAD_DOCUMENTS)
def test_bad_documents_are_remote_errors_for_responses(raw: bytes, hint: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_event(raw, api="responses")
    assert info.value.error_hint == hint
    with pytest.raises(RemoteProtocolError):
        decode_client_event(raw, api="responses")


@pytest.mark.parametrize(("raw", "hint"), _BAD_DOCUMENTS)
def test_bad_documents_are_remote_errors_for_chat(raw: bytes, hint: str) -> None:
    # Chat chunks have no `type`: a document may fail on a missing `id` before msgspec reaches
    # the bad part, so only "it is the peer's fault" is pinned here, not which hint.
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_event(raw, api="chat")
    assert info.value.error_hint in ("invalid_json", "schema_violation")


def test_bad_utf8_inside_a_typed_field_is_a_remote_error() -> None:
    # msgspec checks UTF-8 in the strings it decodes and raises UnicodeDecodeError: the codec
    # must turn that into a RemoteProtocolError, never let it escape.
    server = (
        b'{"type":"response.output_text.delta","item_id":"i","output_index":0,'
        b'"content_index":0,"delta":"\xc3"}'
    )
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_event(server, api="responses")
    assert info.value.error_hint == "invalid_json"
    with pytest.raises(RemoteProtocolError) as info:
        decode_client_event(b'{"type":"response.create","model":"\xff"}', api="responses")
    assert info.value.error_hint == "invalid_json"


def test_bad_utf8_in_a_field_nobody_reads_is_kept_raw() -> None:
    # Unknown types are not parsed beyond `type`, so their bytes pass through untouched.
    raw = b'{"type":"response.brand_new.event","blob":"\xff"}'
    assert decode_server_event(raw, api="responses") == UnknownEvent(
        "response.brand_new.event", raw
    )


def test_bad_utf8_inside_a_chat_chunk_is_a_remote_error() -> None:
    for raw in (
        b'{"id":"c\xff","choices":[]}',
        b'{"error":{"message":"\xe2\x82"}}',
    ):
        with pytest.raises(RemoteProtocolError) as info:
            decode_server_event(raw, api="chat")
        assert info.value.error_hint in ("invalid_json", "schema_violation")


def test_text_with_a_lone_surrogate_is_a_remote_error() -> None:
    # A str that cannot be UTF-8 (only a caller could build it; wsproto never does).
    for api in ("responses", "chat"):
        with pytest.raises(RemoteProtocolError):
            decode_server_event('{"type":"x","id":"\ud800"}', api=api)


def test_unknown_api_is_a_value_error() -> None:
    assert set(known_apis()) >= {"responses", "chat"}
    with pytest.raises(ValueError, match="unknown api"):
        decode_server_event(b'{"type":"x"}', api="realtime-beta")
    with pytest.raises(ValueError):
        decode_server_event(b'{"type":"x"}', api="Responses")
    with pytest.raises(ValueError):
        decode_client_event(b'{"type":"response.create"}', api="chat")  # chat has no client events
    with pytest.raises(ValueError):
        decode_client_event(b'{"type":"response.create"}', api="nope")


# --------------------------------------------------------------------------------------------
# Chat specifics and the WebSocket error.


def test_chat_error_object_mid_stream() -> None:
    raw = (
        b'{"error":{"message":"The server had an error","type":"server_error",'
        b'"param":null,"code":null}}'
    )
    event = decode_server_event(raw, api="chat")
    assert isinstance(event, ChatStreamErrorObject)
    assert event.error.message == "The server had an error"
    assert event.error.type == "server_error"
    assert event.error.code is None
    assert json.loads(encode_event(event)) == {
        "error": {"message": "The server had an error", "type": "server_error"}
    }


def test_chat_usage_chunk_with_no_choices() -> None:
    doc = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
    }
    event = decode_server_event(json.dumps(doc), api="chat")
    assert isinstance(event, ChatCompletionChunk)
    assert event.choices == []
    assert event.usage is not None and event.usage.total_tokens == 8
    assert_nothing_lost(doc, json.loads(encode_event(event)))


def test_chat_chunk_with_text_and_tool_call_in_one_delta() -> None:
    doc = {
        "id": "c",
        "object": "chat.completion.chunk",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": "Let me check.",
                    "tool_calls": [
                        {
                            "index": 2,
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "f", "arguments": '{"a"'},
                        }
                    ],
                },
            }
        ],
    }
    event = decode_server_event(json.dumps(doc), api="chat")
    delta = event.choices[0].delta
    assert delta.content == "Let me check."
    assert delta.tool_calls is not None and delta.tool_calls[0].index == 2
    assert_nothing_lost(doc, json.loads(encode_event(event)))


def test_websocket_error_reads_both_shapes() -> None:
    ws = decode_server_event(
        b'{"type":"error","status":429,"error":{"type":"rate_limit_error",'
        b'"code":"rate_limit_exceeded","message":"slow down","param":null}}',
        api="responses",
    )
    assert isinstance(ws, ErrorEvent)
    assert ws.status == 429
    assert ws.detail().code == "rate_limit_exceeded"
    assert ws.detail().type == "rate_limit_error"
    sse = decode_server_event(
        b'{"type":"error","code":"server_error","message":"boom","param":null,"sequence_number":3}',
        api="responses",
    )
    assert isinstance(sse, ErrorEvent)
    assert sse.detail().code == "server_error"
    assert sse.detail().message == "boom"


def test_client_event_encodes_without_nulls() -> None:
    event = ResponseCreate(model="gpt-5.5", input="hi", store=False)
    assert json.loads(encode_event(event)) == {
        "type": "response.create",
        "model": "gpt-5.5",
        "input": "hi",
        "store": False,
    }
    assert decode_client_event(encode_event(event), api="responses") == event


# --------------------------------------------------------------------------------------------
# parse_arguments: never silently {} for something that is not an object.


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ('{"city": "Paris", "days": 3}', {"city": "Paris", "days": 3}),
        ("{}", {}),
        ('  {"a": [1, {"b": null}]}\n', {"a": [1, {"b": None}]}),
        ('{"emoji": "\\ud83c\\udf89"}', {"emoji": "🎉"}),
    ],
)
def test_parse_arguments_valid_object(arguments: str, expected: dict[str, Any]) -> None:
    assert parse_arguments(arguments) == (expected, None)


@pytest.mark.parametrize("arguments", ["", " ", "\n\t  \r\n"])
def test_parse_arguments_empty_or_whitespace_is_an_empty_object(arguments: str) -> None:
    assert parse_arguments(arguments) == ({}, None)


def test_parse_arguments_invalid_json_reports_the_position() -> None:
    value, problem = parse_arguments('{"a": tru}')
    assert value is None
    assert isinstance(problem, ArgumentsProblem)
    assert problem.kind == "invalid_json"
    assert problem.position is not None and 6 <= problem.position <= 10  # at/after "tru"
    assert problem.message


@pytest.mark.parametrize("arguments", ['{"a": 1} x', '{"a": tru}', '{"a" 1}', "{,}", "nope"])
def test_parse_arguments_position_is_the_byte_offset_msgspec_reported(arguments: str) -> None:
    _, problem = parse_arguments(arguments)
    assert problem is not None and problem.kind == "invalid_json"
    assert problem.position is not None
    assert f"(byte {problem.position})" in problem.message
    assert 0 <= problem.position <= len(arguments.encode())


@pytest.mark.parametrize("arguments", ['{"a": 1', '{"a": "unterminated', '{"a": [1, 2', "{"])
def test_parse_arguments_truncated_json(arguments: str) -> None:
    value, problem = parse_arguments(arguments)
    assert value is None
    assert problem is not None and problem.kind == "invalid_json"


@pytest.mark.parametrize(
    ("arguments", "kind_name"),
    [
        ("[1, 2]", "list"),
        ('"text"', "str"),
        ("42", "int"),
        ("1.5", "float"),
        ("null", "NoneType"),
        ("true", "bool"),
    ],
)
def test_parse_arguments_non_object_json(arguments: str, kind_name: str) -> None:
    value, problem = parse_arguments(arguments)
    assert value is None
    assert problem is not None
    assert problem.kind == "not_an_object"
    assert kind_name in problem.message
    assert problem.position is None


def test_parse_arguments_never_raises_on_a_lone_surrogate() -> None:
    value, problem = parse_arguments('{"a": "\ud800"}')
    assert value is None
    assert problem is not None and problem.kind == "invalid_json"


def test_tool_call_assemble_uses_parse_arguments() -> None:
    good = ToolCall.assemble(call_id="call_1", name="f", arguments='{"x": 1}')
    assert good.ok and good.parsed == {"x": 1} and good.problem is None
    bad = ToolCall.assemble(call_id="call_2", name="f", arguments='{"x": ')
    assert not bad.ok and bad.parsed is None
    assert bad.problem is not None and bad.problem.kind == "invalid_json"
    assert bad.arguments == '{"x": '  # the exact string is kept


# --------------------------------------------------------------------------------------------
# classify_error: code first, then HTTP status, then error type; default retryable.

CLASSIFY_TABLE = [
    # (code, status, type) -> class
    (("response_cancel_not_active", None, None), "benign"),
    (("input_audio_buffer_commit_empty", None, None), "benign"),
    (("cancelled", None, None), "benign"),
    (("invalid_api_key", None, None), "fatal"),
    (("insufficient_quota", None, None), "fatal"),
    (("billing_hard_limit_reached", None, None), "fatal"),
    (("model_not_found", None, None), "fatal"),
    (("context_length_exceeded", None, None), "fatal"),
    (("invalid_value", None, None), "fatal"),
    (("beta_api_shape_disabled", None, None), "fatal"),
    (("server_error", None, None), "retryable"),
    (("rate_limit_exceeded", None, None), "retryable"),
    (("overloaded", None, None), "retryable"),
    (("timeout", None, None), "retryable"),
    # the code wins over the status and the type
    (("rate_limit_exceeded", 400, "invalid_request_error"), "retryable"),
    (("invalid_api_key", 500, None), "fatal"),
    (("response_cancel_not_active", 400, "invalid_request_error"), "benign"),
    # unknown code: the status decides
    (("brand_new_code", 500, None), "retryable"),
    (("brand_new_code", 503, None), "retryable"),
    ((None, 408, None), "retryable"),
    ((None, 409, None), "retryable"),
    ((None, 429, None), "retryable"),
    ((None, 400, None), "fatal"),
    ((None, 401, None), "fatal"),
    ((None, 403, None), "fatal"),
    ((None, 404, None), "fatal"),
    ((None, 422, None), "fatal"),
    # the status wins over the type
    ((None, 503, "invalid_request_error"), "retryable"),
    # no code, no status: the type decides
    ((None, None, "authentication_error"), "fatal"),
    ((None, None, "permission_error"), "fatal"),
    ((None, None, "invalid_request_error"), "fatal"),
    ((None, None, "server_error"), "retryable"),
    (("brand_new_code", None, "brand_new_type"), "retryable"),
    # nothing to go on
    ((None, None, None), "retryable"),
    ((None, 200, None), "retryable"),
]


@pytest.mark.parametrize(
    ("args", "expected"), CLASSIFY_TABLE, ids=[str(a) for a, _ in CLASSIFY_TABLE]
)
def test_classify_error(args: tuple[str | None, int | None, str | None], expected: str) -> None:
    assert classify_error(*args) == expected


def test_api_error_build_classifies() -> None:
    err = APIError.build("slow down", code="rate_limit_exceeded", status=429, source="http")
    assert err.classification == "retryable"
    assert err.source == "http"
    assert APIError.build("no key", status=401).classification == "fatal"
    assert APIError.build("fine", code="response_cancel_not_active").classification == "benign"


def test_events_are_frozen() -> None:
    event = decode_server_event(json.dumps(_DELTA), api="responses")
    with pytest.raises(AttributeError):
        event.delta = "changed"  # type: ignore[misc]
    assert msgspec.json.decode(encode_event(event)) == _DELTA
