"""Realtime (GA) wire events: typed decode, lossless re-encode, SDK conformance (protocol.md 4).

* Every realtime example of ``../shared/fixtures/openapi-event-examples.jsonl`` (groups
  ``realtime-server-events`` / ``realtime-client-events``) decodes to its typed event, re-encodes
  without losing a field, and the ``openai`` SDK (test-only oracle) accepts the re-encoding
  wherever it accepts the original, reading the same values from both.
* The tag sets equal the SDK's ``RealtimeServerEvent`` / ``RealtimeClientEvent`` unions, class
  names follow the wire tags, and every field the SDK knows is a field here (so a new SDK event
  or field fails loudly).
* Audio is ``bytes`` with base64 done by msgspec: a hypothesis round trip through the SDK.
* Forward compatibility: unknown types (beta names, later events) pass through byte-identical;
  unknown fields are ignored; bad JSON and wrong field types are `RemoteProtocolError`.
"""

from __future__ import annotations

import base64
import json
import re
import typing
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol._codec import (
    decode_client_event,
    decode_server_event,
    encode_event,
    known_apis,
    server_decoder,
)
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events import realtime as rt
from openai_sansio.protocol.events.common import UnknownEvent

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EXAMPLES = SHARED / "fixtures" / "openapi-event-examples.jsonl"
MISSING = f"shared fixtures not found at {EXAMPLES} (expected ../shared next to the repo)"
GROUPS = {"realtime-server-events": "server", "realtime-client-events": "client"}

# Spec-example defects, fixed before use (the examples are illustrations, not captures):
# placeholder audio that is not base64, and a base64 string elided with "...". The unfixed
# forms are checked separately: audio that is not base64 is a schema violation.
PLACEHOLDER_AUDIO = {
    "Base64EncodedAudioData": "QmFzZTY0RW5jb2RlZEF1ZGlvRGF0YQ==",
    "Base64EncodedAudioDelta": "QmFzZTY0RW5jb2RlZEF1ZGlvRGVsdGE=",
    "8//2//v/9//q/+//+P/s...": "8//2//v/9//q/+//+P/s",
}
# Examples the SDK itself rejects as published (so the check is "the SDK rejects ours too").
SDK_REJECTS_ORIGINAL = {
    # the SDK's pydantic ResponseCreateEvent has no item_reference in response.input
    ("RealtimeClientEventResponseCreate", 1),
    # an assistant item with content type "text" (the SDK's items say "output_text")
    ("RealtimeServerEventResponseOutputItemDone", 0),
    # beta-style content {"type": "audio", "format": "pcm16"} in an assistant item
    ("RealtimeServerEventConversationItemRetrieved", 0),
}
# Fields of examples this library drops on purpose (not GA fields): path -> reason.
DROPPED = {"$.item.content[0].format": "beta-era part format (GA formats live in the session)"}


def _fix(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _fix(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fix(v) for v in value]
    if isinstance(value, str):
        return PLACEHOLDER_AUDIO.get(value, value)
    return value


def _load() -> list[dict[str, Any]]:
    if not EXAMPLES.is_file():
        return []
    records = [json.loads(line) for line in EXAMPLES.read_text("utf-8").splitlines() if line]
    return [r for r in records if r["group"] in GROUPS]


RECORDS = _load()


def _params() -> list[Any]:
    if not RECORDS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-fixtures")]
    return [pytest.param(r, id=f"{r['schema']}:{r['index']}") for r in RECORDS]


@cache
def _sdk(side: str) -> pydantic.TypeAdapter[Any]:
    from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent

    return pydantic.TypeAdapter(RealtimeServerEvent if side == "server" else RealtimeClientEvent)


def _sdk_members(side: str) -> list[type[pydantic.BaseModel]]:
    from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent

    union = RealtimeServerEvent if side == "server" else RealtimeClientEvent
    return list(typing.get_args(typing.get_args(union)[0]))


def _sdk_tag(model: type[pydantic.BaseModel]) -> str:
    annotation = model.model_fields["type"].annotation
    (tag,) = typing.get_args(annotation)
    return str(tag)


def _decode(side: str, raw: bytes | str) -> Any:
    return (decode_server_event if side == "server" else decode_client_event)(raw, api="realtime")


def _sdk_view(value: Any) -> Any:
    """What the SDK read: its declared fields only (extras it keeps are not compared)."""
    if isinstance(value, pydantic.BaseModel):
        return {k: _sdk_view(getattr(value, k)) for k in type(value).model_fields}
    if isinstance(value, list):
        return [_sdk_view(v) for v in value]
    if isinstance(value, dict):
        return {k: _sdk_view(v) for k, v in value.items()}
    return value


def assert_nothing_lost(original: Any, reencoded: Any, path: str = "$") -> None:
    """Every non-null value of `original` is in `reencoded`, equal (numbers as JSON numbers),
    recursively, except the paths in `DROPPED`."""
    if isinstance(original, dict):
        assert isinstance(reencoded, dict), path
        for key, value in original.items():
            where = f"{path}.{key}"
            if value is None or where in DROPPED:
                continue
            assert key in reencoded, f"{where} lost on re-encode"
            assert_nothing_lost(value, reencoded[key], where)
    elif isinstance(original, list):
        assert isinstance(reencoded, list) and len(reencoded) == len(original), path
        for i, (a, b) in enumerate(zip(original, reencoded, strict=True)):
            assert_nothing_lost(a, b, f"{path}[{i}]")
    elif isinstance(original, bool) or isinstance(reencoded, bool):
        assert original is reencoded, f"{path}: {original!r} became {reencoded!r}"
    elif isinstance(original, (int, float)):
        assert isinstance(reencoded, (int, float)) and original == reencoded, path
    else:
        assert original == reencoded and type(original) is type(reencoded), path


def _camel(tag: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.split(r"[._]", tag))


# --------------------------------------------------------------------------------------------
# Official examples


def test_the_fixture_groups_are_all_there() -> None:
    if not RECORDS:
        pytest.skip(MISSING)
    sides = [GROUPS[r["group"]] for r in RECORDS]
    assert sides.count("server") >= 44
    assert sides.count("client") >= 12


@pytest.mark.parametrize("record", _params())
def test_example_decodes_typed_reencodes_losslessly_and_the_sdk_agrees(
    record: dict[str, Any],
) -> None:
    side = GROUPS[record["group"]]
    example = _fix(record["example"])
    event = _decode(side, json.dumps(example).encode())
    assert isinstance(event, rt.RealtimeEvent), event
    assert event.type == example["type"]

    wire = encode_event(event)
    reencoded = json.loads(wire)
    assert_nothing_lost(example, reencoded)
    if not isinstance(event, (rt.SessionCreated, rt.SessionUpdated, rt.SessionUpdate)):
        assert b":null" not in wire  # unset optionals are omitted, never sent as null
    assert _decode(side, wire) == event  # a fixed point

    adapter = _sdk(side)
    try:
        expected = adapter.validate_python(example)
    except pydantic.ValidationError:
        assert (record["schema"], record["index"]) in SDK_REJECTS_ORIGINAL
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_json(wire)
        return
    assert (record["schema"], record["index"]) not in SDK_REJECTS_ORIGINAL
    got = adapter.validate_json(wire)
    assert type(got) is type(expected)
    assert _sdk_view(got) == _sdk_view(expected)


@pytest.mark.parametrize(
    ("side", "raw"),
    [
        ("client", '{"type":"input_audio_buffer.append","audio":"Base64EncodedAudioData"}'),
        ("server", '{"type":"response.output_audio.delta","delta":"Base64EncodedAudioDelta"}'),
        (
            "server",
            '{"type":"conversation.item.retrieved","item":{"type":"message",'
            '"content":[{"type":"audio","audio":"8//2//v/9//q/+//+P/s..."}]}}',
        ),
    ],
)
def test_audio_that_is_not_base64_is_a_schema_violation(side: str, raw: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        _decode(side, raw)
    assert info.value.error_hint == "schema_violation"


# --------------------------------------------------------------------------------------------
# The classes against the SDK


@pytest.mark.parametrize(
    ("side", "union", "tags"),
    [
        ("server", rt.RealtimeServerEvent, rt.REALTIME_SERVER_EVENT_TYPES),
        ("client", rt.RealtimeClientEvent, rt.REALTIME_CLIENT_EVENT_TYPES),
    ],
)
def test_every_sdk_event_has_a_class_and_no_more(side: str, union: Any, tags: Any) -> None:
    sdk_tags = {_sdk_tag(m) for m in _sdk_members(side)}
    ours = {cls.__struct_config__.tag for cls in typing.get_args(union)}
    assert ours == tags
    assert sdk_tags - ours == set(), "SDK events without a class here"
    assert ours - sdk_tags == set(), "classes here the SDK does not know"
    assert len(ours) == {"server": 46, "client": 11}[side]


@pytest.mark.parametrize("union", [rt.RealtimeServerEvent, rt.RealtimeClientEvent])
def test_class_names_follow_the_wire_tags(union: Any) -> None:
    for cls in typing.get_args(union):
        tag = cls.__struct_config__.tag
        expected = "RealtimeErrorEvent" if tag == "error" else _camel(tag)
        assert cls.__name__ == expected
        assert getattr(rt, expected) is cls
        assert expected in rt.__all__
    assert rt.ResponseOutputAudioDelta.__struct_config__.tag == "response.output_audio.delta"
    assert _camel("conversation.item.input_audio_transcription.completed") == (
        "ConversationItemInputAudioTranscriptionCompleted"
    )


@pytest.mark.parametrize("side", ["server", "client"])
def test_every_sdk_field_is_a_field_here(side: str) -> None:
    union = rt.RealtimeServerEvent if side == "server" else rt.RealtimeClientEvent
    by_tag = {cls.__struct_config__.tag: cls for cls in typing.get_args(union)}
    for model in _sdk_members(side):
        cls = by_tag[_sdk_tag(model)]
        missing = set(model.model_fields) - {"type"} - set(cls.__struct_fields__)
        assert not missing, f"{cls.__name__} lacks {missing}"


def test_the_open_records_cover_every_sdk_shape() -> None:
    from openai.types.realtime import (
        ConversationItem,
        RealtimeResponse,
        ResponseContentPartAddedEvent,
    )

    items = typing.get_args(typing.get_args(ConversationItem)[0])
    assert len(items) == 9
    contents: list[type[pydantic.BaseModel]] = [
        ResponseContentPartAddedEvent.model_fields["part"].annotation  # type: ignore[list-item]
    ]
    for item in items:
        assert set(item.model_fields) <= set(rt.RealtimeItem.__struct_fields__), item
        content = item.model_fields.get("content")
        if content is not None:
            contents.append(typing.get_args(content.annotation)[0])
    assert len(contents) == 4
    for content_model in contents:
        fields = set(content_model.model_fields)
        assert fields <= set(rt.RealtimeContent.__struct_fields__), content_model
    assert set(RealtimeResponse.model_fields) <= set(rt.RealtimeResponse.__struct_fields__)


def test_the_codec_knows_the_realtime_api() -> None:
    assert "realtime" in known_apis()
    raw = b'{"type":"input_audio_buffer.cleared","event_id":"e1"}'
    assert server_decoder("realtime")(raw) == rt.InputAudioBufferCleared(event_id="e1")
    assert decode_client_event(b'{"type":"response.cancel"}', api="realtime") == (
        rt.ResponseCancel()
    )


# --------------------------------------------------------------------------------------------
# Audio: bytes on our side, base64 on the wire, done by msgspec


def test_audio_is_decoded_and_encoded_as_base64_by_msgspec() -> None:
    pcm = bytes(range(256)) * 4
    text = base64.b64encode(pcm).decode()
    raw = json.dumps(
        {"type": "response.output_audio.delta", "event_id": "e", "response_id": "r",
         "item_id": "i", "output_index": 0, "content_index": 0, "delta": text}
    )  # fmt: skip
    event = decode_server_event(raw, api="realtime")
    assert isinstance(event, rt.ResponseOutputAudioDelta)
    assert event.delta == pcm
    assert json.loads(encode_event(event))["delta"] == text
    append = rt.InputAudioBufferAppend(audio=pcm)
    assert encode_event(append) == b'{"type":"input_audio_buffer.append","audio":"%s"}' % (
        text.encode()
    )
    assert rt.InputAudioBufferAppend.__annotations__["audio"] == "bytes"
    assert rt.ResponseOutputAudioDelta.__annotations__["delta"] == "bytes"


def test_the_realtime_modules_never_touch_base64() -> None:
    root = Path(rt.__file__).parent
    for name in ("realtime.py", "realtime_items.py", "realtime_client.py", "../_codec.py"):
        source = (root / name).read_text()
        assert "import base64" not in source and "b64" not in source, name


_ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=24)


@given(audio=st.binary(max_size=4096), event_id=st.none() | _ids)
def test_append_round_trips_through_the_sdk(audio: bytes, event_id: str | None) -> None:
    event = rt.InputAudioBufferAppend(audio=audio, event_id=event_id)
    wire = encode_event(event)
    sdk_event = _sdk("client").validate_json(wire)
    assert sdk_event.audio == base64.b64encode(audio).decode()
    assert sdk_event.event_id == event_id
    assert decode_client_event(wire, api="realtime") == event


@given(
    audio=st.binary(max_size=4096),
    ids=st.tuples(_ids, _ids, _ids),
    indices=st.tuples(st.integers(0, 1000), st.integers(0, 1000)),
)
def test_audio_delta_round_trips_through_the_sdk(
    audio: bytes, ids: tuple[str, str, str], indices: tuple[int, int]
) -> None:
    event = rt.ResponseOutputAudioDelta(
        delta=audio,
        event_id=ids[0],
        response_id=ids[1],
        item_id=ids[2],
        output_index=indices[0],
        content_index=indices[1],
    )
    wire = encode_event(event)
    sdk_event = _sdk("server").validate_json(wire)
    assert type(sdk_event).__name__ == "ResponseAudioDeltaEvent"
    assert sdk_event.delta == base64.b64encode(audio).decode()
    assert decode_server_event(wire, api="realtime") == event


@given(audio=st.binary(max_size=1024), transcript=st.none() | st.text(max_size=40))
def test_item_audio_round_trips_through_the_sdk(audio: bytes, transcript: str | None) -> None:
    part = rt.RealtimeContent(type="input_audio", audio=audio, transcript=transcript)
    event = rt.ConversationItemCreate(
        item=rt.RealtimeItem(type="message", role="user", content=[part])
    )
    wire = encode_event(event)
    sdk_event = _sdk("client").validate_json(wire)
    assert sdk_event.item.content[0].audio == base64.b64encode(audio).decode()
    decoded = decode_client_event(wire, api="realtime")
    assert decoded == event
    assert decoded.item.parts[0].is_audio


# --------------------------------------------------------------------------------------------
# Forward compatibility and failures


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"response.text.delta","event_id":"e","delta":"hi"}',  # beta name
        b'{"type":"response.audio.delta", "delta":"AAAA",  "response_id":"r"}',  # beta name
        b'{"type":"response.audio_transcript.done","transcript":"x"}',  # beta name
        b'{"type":"transcription_session.updated","session":{"input_audio_format":"pcm16"}}',
        b'{"type":"session.output_audio.delta","delta":"AAAA"}',  # translations API
        b'{\n  "delta": "\\u00e9", "type": "response.something_new"\n}',
    ],
)
def test_unknown_server_types_pass_through_byte_identical(raw: bytes) -> None:
    event = decode_server_event(raw, api="realtime")
    assert isinstance(event, UnknownEvent)
    assert event.type == json.loads(raw)["type"]
    assert encode_event(event) == raw


def test_unknown_client_types_pass_through_byte_identical() -> None:
    raw = b'{"type": "transcription_session.update", "session": {}}'
    event = decode_client_event(raw, api="realtime")
    assert isinstance(event, UnknownEvent)
    assert encode_event(event) == raw


def test_beta_shapes_of_known_types_decode_typed() -> None:
    """The flat beta session and beta part spellings never crash a known type."""
    update = decode_client_event(
        b'{"type":"session.update","session":{"modalities":["text"],'
        b'"input_audio_format":"pcm16","turn_detection":null}}',
        api="realtime",
    )
    assert isinstance(update, rt.SessionUpdate)
    assert update.session["input_audio_format"] == "pcm16"
    # a session is plain JSON: null stays null (in session.update it means "turn this off")
    assert b'"turn_detection":null' in encode_event(update)
    created = decode_server_event(
        b'{"type":"conversation.item.created","event_id":"e","previous_item_id":null,'
        b'"item":{"id":"i","object":"realtime.item","type":"message","role":"assistant",'
        b'"status":"completed","content":[{"type":"audio","transcript":"hi"},'
        b'{"type":"text","text":"yo"}]}}',
        api="realtime",
    )
    assert isinstance(created, rt.ConversationItemCreated)
    assert created.item is not None
    audio, text = created.item.parts
    assert audio.is_audio and not audio.is_text and audio.transcript == "hi"
    assert text.is_text and text.text == "yo"


def test_unknown_fields_and_values_are_ignored_at_every_level() -> None:
    raw = json.dumps(
        {
            "type": "response.done",
            "event_id": "e",
            "new_top": {"x": 1},
            "response": {
                "id": "r",
                "status": "some_new_status",
                "new_field": [1, 2],
                "status_details": {"type": "cancelled", "reason": "turn_detected"},
                "output": [
                    {"type": "some_new_item", "id": "n", "whatever": True},
                    {
                        "type": "message",
                        "role": "assistant",
                        "new": 1,
                        "content": [{"type": "output_image", "new": 2}],
                    },
                ],
            },
        }
    )
    event = decode_server_event(raw, api="realtime")
    assert isinstance(event, rt.ResponseDone)
    assert event.response is not None
    assert event.response.status == "some_new_status"
    assert event.response.reason == "turn_detected"
    assert [i.type for i in event.response.items] == ["some_new_item", "message"]
    assert event.response.items[1].parts[0].type == "output_image"


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (b'{"type":"response.done"', "invalid_json"),
        (b'{"type":"response.done"} trailing', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[]", "schema_violation"),
        (b'"response.done"', "schema_violation"),
        (b'{"event_id":"e"}', "schema_violation"),
        (b'{"type":7}', "schema_violation"),
        (b'{"type":"response.output_audio.delta"}', "schema_violation"),  # delta is required
        (b'{"type":"response.output_audio.delta","delta":123}', "schema_violation"),
        (b'{"type":"response.output_audio.delta","delta":"AAA"}', "schema_violation"),
        (b'{"type":"response.output_text.delta","delta":5}', "schema_violation"),
        (b'{"type":"response.output_text.delta","output_index":"0"}', "schema_violation"),
        (b'{"type":"response.done","response":{"output":"x"}}', "schema_violation"),
        (b'{"type":"response.done","response":{"output":[{"id":"no type"}]}}', "schema_violation"),
        (b'{"type":"conversation.item.added","item":[]}', "schema_violation"),
        (b'{"type":"rate_limits.updated","rate_limits":[{"limit":"many"}]}', "schema_violation"),
        (b'{"type":"error","error":"boom"}', "schema_violation"),
        (b'{"type":"error","event_id":5}', "schema_violation"),
    ],
)
def test_bad_server_events_are_remote_protocol_errors(raw: bytes, hint: str) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode_server_event(raw, api="realtime")
    assert info.value.error_hint == hint


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"input_audio_buffer.append"}',
        b'{"type":"input_audio_buffer.append","audio":null}',
        b'{"type":"conversation.item.truncate","item_id":"i","content_index":0}',
        b'{"type":"conversation.item.delete"}',
        b'{"type":"conversation.item.create","item":{"role":"user"}}',
        b'{"type":"session.update"}',
        b'{"type":"response.cancel","response_id":1}',
        b"{not json",
    ],
)
def test_bad_client_events_are_remote_protocol_errors(raw: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_client_event(raw, api="realtime")


# --------------------------------------------------------------------------------------------
# Encoding and helpers


def test_client_events_encode_minimal_json() -> None:
    assert encode_event(rt.InputAudioBufferCommit()) == b'{"type":"input_audio_buffer.commit"}'
    assert encode_event(rt.ResponseCreate(event_id="c1")) == (
        b'{"type":"response.create","event_id":"c1"}'
    )
    truncate = rt.ConversationItemTruncate(item_id="i", content_index=0, audio_end_ms=1500)
    assert json.loads(encode_event(truncate)) == {
        "type": "conversation.item.truncate",
        "item_id": "i",
        "content_index": 0,
        "audio_end_ms": 1500,
    }
    update = rt.SessionUpdate(session={"type": "realtime", "instructions": ""})
    assert json.loads(encode_event(update))["session"] == {"type": "realtime", "instructions": ""}
    output = rt.ConversationItemCreate(
        item=rt.RealtimeItem(type="function_call_output", call_id="c", output='{"ok":true}')
    )
    _sdk("client").validate_json(encode_event(output))
    for event in (update, output, truncate):
        assert decode_client_event(encode_event(event), api="realtime") == event


def test_events_are_frozen_and_typed() -> None:
    event = rt.InputAudioBufferCleared(event_id="e")
    with pytest.raises(AttributeError):
        event.event_id = "x"  # type: ignore[misc]
    assert event.type == "input_audio_buffer.cleared"
    with pytest.raises(TypeError):
        rt.InputAudioBufferAppend()  # type: ignore[call-arg]
    assert isinstance(msgspec.json.encode(rt.RealtimeContent(audio=b"\x00")), bytes)


def test_error_event_names_the_client_event() -> None:
    raw = (
        b'{"type":"error","event_id":"s1","error":{"type":"invalid_request_error",'
        b'"code":"input_audio_buffer_commit_empty","message":"buffer too small",'
        b'"param":null,"event_id":"c9"}}'
    )
    event = decode_server_event(raw, api="realtime")
    assert event == rt.RealtimeErrorEvent(
        event_id="s1",
        error=rt.RealtimeErrorDetail(
            type="invalid_request_error",
            code="input_audio_buffer_commit_empty",
            message="buffer too small",
            event_id="c9",
        ),
    )
    bare = decode_server_event(b'{"type":"error"}', api="realtime")
    assert bare == rt.RealtimeErrorEvent()


def test_dtmf_has_no_event_id_and_rate_limits_may_be_partial() -> None:
    dtmf = decode_server_event(
        b'{"type":"input_audio_buffer.dtmf_event_received","event":"9","received_at":17}',
        api="realtime",
    )
    assert dtmf == rt.InputAudioBufferDtmfEventReceived(event="9", received_at=17)
    assert dtmf.event_id is None
    limits = decode_server_event(
        b'{"type":"rate_limits.updated","event_id":"e","rate_limits":[{"name":"tokens",'
        b'"limit":100,"remaining":50,"reset_seconds":1.5}]}',
        api="realtime",
    )
    assert isinstance(limits, rt.RateLimitsUpdated)
    assert limits.rate_limits == [
        rt.RealtimeRateLimit(name="tokens", limit=100, remaining=50, reset_seconds=1.5)
    ]
    empty = decode_server_event(
        b'{"type":"rate_limits.updated","event_id":"e","rate_limits":[]}', api="realtime"
    )
    assert empty.rate_limits == []


def test_response_helpers_read_missing_parts_as_empty() -> None:
    response = rt.RealtimeResponse(id="r", max_output_tokens="inf")
    assert response.items == [] and response.reason is None
    details = rt.RealtimeStatusDetails(type="cancelled", reason="turn_detected")
    assert rt.RealtimeResponse(status_details=details).reason == "turn_detected"
    assert rt.RealtimeResponse(status_details=rt.RealtimeStatusDetails()).reason is None
    assert rt.RealtimeItem(type="function_call").parts == []
    assert json.loads(encode_event(rt.ResponseDone(response=response))) == {
        "type": "response.done",
        "response": {"id": "r", "max_output_tokens": "inf"},
    }
