"""Schema-driven conformance: every event schema of the official OpenAPI document, generated.

For each member of the spec's event unions (`UNIONS`: Responses SSE stream events, Responses
WebSocket server and client events, Realtime GA server and client events, speech and
transcription stream events) hypothesis draws documents valid against the member's schema
(`_openapi_schemas.to_json_schema` + `_schema_strategies.from_schema`; every document is also
checked by the independent ``jsonschema`` validator) and each one must:

1. decode with our codec (``decode_server_event``/``decode_client_event``) to the class whose
   wire tag is the document's ``type``: never `UnknownEvent`, never an error;
2. re-encode without losing a field (`assert_same_json`, one direction): every non-null value
   of the document is in ``encode_event(event)`` with an equal value, recursively; and the
   re-encoding decodes to the same event (a fixed point);
3. agree with the ``openai`` SDK (the differential): the SDK model of the same ``type`` parses
   the document, and its dump and our re-encoding are equal in both directions.

Equality, precisely: a ``null`` and an absent key are the same (the encoder omits unset
optionals because the API rejects explicit nulls; the SDK is dumped with ``exclude_unset`` so
its defaults invent nothing); numbers compare as IEEE doubles (``1 == 1.0``; integers are
generated within +-2**53, the I-JSON range); booleans are not numbers; base64 fields are
generated canonical (standard alphabet, padded), so our ``bytes`` round trip must give back the
same string; everything else compares with ``==`` and the same JSON type.

Exceptions are explicit and few. `KNOWN_BUGS`: a field our codec drops or a shape it rejects;
each names its strict-xfail test below, which encodes the correct behaviour and starts failing
(XPASS) the day the bug is fixed, forcing the entry out. `SPEC_VS_SDK`: places where the spec
is looser than the SDK's models; generation follows the SDK there, with the evidence. Both are
pinned by tests, and so is the list of fields the spec requires but never declares.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
import pydantic
import pytest
from _openapi_schemas import (
    EventSchema,
    Schema,
    edit_schema,
    load_spec,
    to_json_schema,
    union_members,
)
from _schema_strategies import from_schema
from hypothesis import HealthCheck, given, settings

from openai_sansio.protocol._codec import decode_client_event, decode_server_event, encode_event
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.events.common import UnknownEvent, WireEvent

SPEC = load_spec()
MISSING = "../shared/openapi/openapi.json not found next to the repo"


@dataclass(frozen=True)
class Api:
    """One event union of the spec: who sends it, our codec's api name, the SDK union."""

    direction: str  # "server" or "client"
    api: str
    sdk: str | None  # "module:Name" of the SDK union, None when the SDK has no model


UNIONS: dict[str, Api] = {
    "ResponseStreamEvent": Api("server", "responses", "openai.types.responses:ResponseStreamEvent"),
    "ResponsesServerEvent": Api(
        "server",
        "responses",
        "openai.types.responses.responses_server_event:ResponsesServerEvent",
    ),
    "ResponsesClientEvent": Api(
        "client",
        "responses",
        "openai.types.responses.responses_client_event:ResponsesClientEvent",
    ),
    "RealtimeServerEvent": Api("server", "realtime", "openai.types.realtime:RealtimeServerEvent"),
    "RealtimeClientEvent": Api("client", "realtime", "openai.types.realtime:RealtimeClientEvent"),
    "CreateTranscriptionResponseStreamEvent": Api(
        "server", "transcription-http", "openai.types.audio:TranscriptionStreamEvent"
    ),
    # openai 3.54.0 has no model for ``speech.audio.*`` (grep the package): checks 1-2 only.
    "CreateSpeechResponseStreamEvent": Api("server", "speech", None),
}
"""The spec's event unions this library implements. Beta Realtime (``RealtimeBeta*``) and the
Realtime translation API are not implemented and are left out on purpose. The spec has no
``response.steer`` (client) nor ``response.steer.*`` (server) schema at all; those events are
checked against the SDK's models in ``test_codec_conformance.py``."""

MEMBERS: list[EventSchema] = (
    [m for union in UNIONS for m in union_members(SPEC, union)] if SPEC is not None else []
)

# Examples per member under the ``ci`` profile (100 examples): enough to meet every optional
# field and union branch of the small events. The lifecycle events carry a whole `Response`
# (a ~135 kB schema after inlining) and cost ~15 ms each, so they get fewer.
EXAMPLES = 20
HEAVY_EXAMPLES = 12
HEAVY = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.completed",
        "response.failed",
        "response.incomplete",
        "response.create",
        "session.created",
        "session.updated",
        "session.update",
    }
)
MIN_EXAMPLES = 5
"""Each member must really have produced at least this many documents (a member whose schema
became unsatisfiable would otherwise pass vacuously)."""


# --------------------------------------------------------------------------------------------
# Exceptions, each with its reason. Paths are dotted property names from the event; ``[]``
# steps into array items; a step applies to every ``anyOf`` branch that has the property.


@dataclass(frozen=True)
class Edit:
    """One change to a generated schema: `path` from the event, `what` is ``"drop"`` (never
    generate this property), ``"drop-branch:<type>"`` (never generate the union branch whose
    ``type`` is ``<type>``) or ``"require-enum:<a>,<b>"`` (make the property required with
    these values); `why` says why."""

    tags: frozenset[str]
    path: str
    what: str
    why: str


_LIFECYCLE = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.queued",
        "response.completed",
        "response.failed",
        "response.incomplete",
    }
)

KNOWN_BUGS: tuple[Edit, ...] = ()
"""Our codec's bugs found by generation; `why` is the name of the strict-xfail test that shows
the correct behaviour. Pinned by `test_known_bugs_each_have_a_strict_xfail_test`."""

SPEC_VS_SDK: tuple[Edit, ...] = (
    Edit(
        frozenset({"conversation.created"}),
        "conversation.object",
        "require-enum:realtime.conversation",
        "spec RealtimeServerEventConversationCreated.conversation.object is a free string; "
        "SDK ConversationCreatedEvent.Conversation.object is Literal['realtime.conversation']",
    ),
    Edit(
        frozenset({"session.created", "session.updated"}),
        "session.audio.input.turn_detection.type",
        "require-enum:server_vad,semantic_vad",
        "spec RealtimeTranscriptionSessionCreateResponse turn_detection.type is an optional "
        "free string; the SDK's turn detection models require type, "
        "Literal['server_vad'] / Literal['semantic_vad']",
    ),
)
"""Where the spec admits documents the SDK rejects; generation follows the SDK."""

UNDECLARED_REQUIRED = frozenset(
    {
        "local_shell_call_output.call_id",
        "mcp_approval_response.request_id",
        "response.audio.done.response_id",
        "response.audio.transcript.delta.response_id",
        "response.audio.transcript.done.response_id",
    }
)
"""Names the spec lists under ``required`` but never declares (so they cannot be generated);
the SDK has none of these fields either. A new one fails `test_spec_quirks_are_pinned`."""


@cache
def converted(union: str, name: str) -> tuple[Schema, int]:
    """The member's generator schema with `KNOWN_BUGS` and `SPEC_VS_SDK` applied, and how many
    places those edits changed (so an edit that no longer matches anything is caught)."""
    assert SPEC is not None
    member = next(m for m in union_members(SPEC, union) if m.name == name)
    schema = to_json_schema(SPEC, member.schema)
    changed = 0
    for edit in (*KNOWN_BUGS, *SPEC_VS_SDK):
        if member.tag in edit.tags:
            changed += edit_schema(schema, edit.path, edit.what)
    return schema, changed


# --------------------------------------------------------------------------------------------
# The comparison and the SDK oracle.


def assert_same_json(original: Any, produced: Any, path: str = "$", *, both: bool = False) -> None:
    """Every non-null value of `original` is in `produced`, equal (see the module docstring);
    with `both`, also the other way round (nothing invented)."""
    if isinstance(original, dict):
        assert isinstance(produced, dict), f"{path}: object became {produced!r:.80}"
        for key, value in original.items():
            if value is None:
                continue
            assert key in produced, f"{path}.{key} lost"
            assert_same_json(value, produced[key], f"{path}.{key}", both=both)
        if both:
            for key, value in produced.items():
                if value is not None:
                    assert original.get(key) is not None, f"{path}.{key} invented: {value!r:.80}"
    elif isinstance(original, list):
        assert isinstance(produced, list), f"{path}: array became {produced!r:.80}"
        assert len(produced) == len(original), f"{path}: array length changed"
        for i, (a, b) in enumerate(zip(original, produced, strict=True)):
            assert_same_json(a, b, f"{path}[{i}]", both=both)
    elif isinstance(original, bool) or isinstance(produced, bool):
        assert original is produced, f"{path}: {original!r} became {produced!r}"
    elif isinstance(original, (int, float)):
        assert isinstance(produced, (int, float)), f"{path}: number became {produced!r:.80}"
        assert float(original) == float(produced), f"{path}: {original!r} became {produced!r}"
    else:
        assert type(original) is type(produced), f"{path}: {original!r:.80} -> {produced!r:.80}"
        assert original == produced, f"{path}: {original!r:.80} became {produced!r:.80}"


def test_assert_same_json_is_strict() -> None:
    assert_same_json({"a": 1, "b": None, "c": [1.0, {"d": "x"}]}, {"a": 1.0, "c": [1, {"d": "x"}]})
    assert_same_json({"a": 1, "n": None}, {"a": 1.0, "z": None}, both=True)
    for original, produced, both in [
        ({"a": 1}, {}, False),
        ({"a": [1, 2]}, {"a": [1]}, False),
        ({"a": "1"}, {"a": 1}, False),
        ({"a": True}, {"a": 1}, False),
        ({"a": 0}, {"a": False}, False),
        ({"a": 2**53 + 1}, {"a": 2**53 + 2}, False),
        ({"a": 0.1}, {"a": 0.1000001}, False),
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": {}}, {"a": {"b": "x"}}, True),
    ]:
        with pytest.raises(AssertionError):
            assert_same_json(original, produced, both=both)


@cache
def sdk_models(union: str) -> dict[str, pydantic.TypeAdapter[Any]]:
    """The SDK's model per wire tag, from its union. Picked by tag, because the SDK's unions
    carry their discriminator in SDK-private metadata that a bare `TypeAdapter` ignores (it
    would try every member and could return the wrong one)."""
    target = UNIONS[union].sdk
    if target is None:
        return {}
    module, _, attr = target.partition(":")
    alias = getattr(__import__(module, fromlist=[attr]), attr)
    if typing.get_origin(alias) is typing.Annotated:
        alias = typing.get_args(alias)[0]
    models: dict[str, pydantic.TypeAdapter[Any]] = {}
    for cls in typing.get_args(alias):
        for tag in typing.get_args(cls.model_fields["type"].annotation):
            models[tag] = pydantic.TypeAdapter(cls)
    return models


def sdk_dump(union: str, document: dict[str, Any]) -> Any:
    """The SDK's reading of `document` as plain JSON (``exclude_unset``: only what was sent)."""
    adapter = sdk_models(union)[document["type"]]
    model = adapter.validate_python(document)
    return adapter.dump_python(
        model, mode="json", by_alias=True, exclude_unset=True, warnings=False
    )


# --------------------------------------------------------------------------------------------
# The property: every member, every generated document.


def _decoder(union: str) -> Callable[[bytes], Any]:
    spec = UNIONS[union]
    decode = decode_server_event if spec.direction == "server" else decode_client_event
    return lambda raw: decode(raw, api=spec.api)


def _params() -> list[Any]:
    if not MEMBERS:
        return [pytest.param(None, marks=pytest.mark.skip(reason=MISSING), id="no-spec")]
    return [pytest.param(m, id=f"{m.union}:{m.tag}") for m in MEMBERS]


@pytest.mark.parametrize("member", _params())
def test_generated_event_conforms(member: EventSchema) -> None:
    schema, _ = converted(member.union, member.name)
    validator = jsonschema.Draft202012Validator(schema)
    decode = _decoder(member.union)
    sdk = sdk_models(member.union)
    scale = settings.default.max_examples / 100
    budget = HEAVY_EXAMPLES if member.tag in HEAVY else EXAMPLES
    seen: list[int] = []

    @settings(
        max_examples=max(MIN_EXAMPLES, round(budget * scale)),
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(from_schema(schema))
    def check(document: dict[str, Any]) -> None:
        seen.append(1)
        validator.validate(document)  # the generator's own correctness, independently
        assert document["type"] == member.tag
        raw = json.dumps(document).encode()

        event = decode(raw)
        assert not isinstance(event, UnknownEvent), f"{member.tag} decoded as UnknownEvent"
        assert isinstance(event, WireEvent)
        assert type(event).__struct_config__.tag == member.tag, type(event).__name__

        reencoded = encode_event(event)
        assert_same_json(document, json.loads(reencoded))
        assert decode(reencoded) == event, "the re-encoding is not a fixed point"

        if sdk:
            assert_same_json(sdk_dump(member.union, document), json.loads(reencoded), both=True)

    check()
    assert len(seen) >= MIN_EXAMPLES, f"{member.name}: only {len(seen)} documents generated"


# --------------------------------------------------------------------------------------------
# Coverage: the spec's event inventory is exactly what this file exercises.


def _skip_without_spec() -> dict[str, Any]:
    if SPEC is None:
        pytest.skip(MISSING)
    return SPEC


def test_every_spec_event_is_known_to_our_codec_and_the_sdk() -> None:
    """A spec update that adds an event fails here until the codec (and the SDK) handle it."""
    _skip_without_spec()
    assert len(MEMBERS) >= 170, len(MEMBERS)
    for member in MEMBERS:
        spec = UNIONS[member.union]
        document = json.dumps({"type": member.tag}).encode()
        try:
            event = _decoder(member.union)(document)
        except RemoteProtocolError as exc:  # a known tag, body incomplete: known is enough here
            assert exc.error_hint == "schema_violation", exc
        else:
            assert not isinstance(event, UnknownEvent), f"{member.union}: {member.tag} unknown"
        if spec.sdk is not None:
            assert member.tag in sdk_models(member.union), f"SDK lacks {member.tag}"


def test_every_union_of_the_spec_is_covered() -> None:
    """Each union has the members the spec lists (pinned counts), and every member's schema
    stays satisfiable after conversion (a ``false`` schema would generate nothing)."""
    spec = _skip_without_spec()
    counts = {union: len(union_members(spec, union)) for union in UNIONS}
    assert counts == {
        "ResponseStreamEvent": 58,
        "ResponsesServerEvent": 58,
        "ResponsesClientEvent": 1,
        "RealtimeServerEvent": 46,
        "RealtimeClientEvent": 11,
        "CreateTranscriptionResponseStreamEvent": 3,
        "CreateSpeechResponseStreamEvent": 2,
    }
    for member in MEMBERS:
        schema, _ = converted(member.union, member.name)
        assert isinstance(schema, dict), f"{member.name} became unsatisfiable"


def test_spec_quirks_are_pinned() -> None:
    spec = _skip_without_spec()
    undeclared: set[str] = set()
    for union in UNIONS:
        for member in union_members(spec, union):
            to_json_schema(spec, member.schema, undeclared=undeclared)
    assert undeclared == UNDECLARED_REQUIRED


def test_every_edit_still_matches_something() -> None:
    """An edit whose path no longer exists (spec renamed it) must be removed, not linger."""
    spec = _skip_without_spec()
    for edit in (*KNOWN_BUGS, *SPEC_VS_SDK):
        hits = 0
        for member in MEMBERS:
            if member.tag in edit.tags:
                schema = to_json_schema(spec, member.schema)
                hits += edit_schema(schema, edit.path, edit.what)
        assert hits, f"edit {edit.path} ({edit.what}) matches nothing"


def test_known_bugs_each_have_a_strict_xfail_test() -> None:
    for edit in KNOWN_BUGS:
        test = globals().get(edit.why)
        assert callable(test), f"{edit.why} is not a test of this module"
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "xfail"]
        assert marks and marks[0].kwargs.get("strict") is True, f"{edit.why} is not strict xfail"


def test_base64_fields_round_trip_as_the_same_string() -> None:
    """Audio travels as ``bytes`` inside our events; the padded standard-alphabet string the
    generator draws must come back byte for byte (the canonical-base64 rule above)."""
    document = {
        "type": "response.output_audio.delta",
        "event_id": "e",
        "response_id": "r",
        "item_id": "i",
        "output_index": 0,
        "content_index": 0,
        "delta": "AAEC/w==",
    }
    event = decode_server_event(json.dumps(document), api="realtime")
    assert event.delta == b"\x00\x01\x02\xff"
    assert json.loads(encode_event(event))["delta"] == "AAEC/w=="


def test_numbers_compare_as_doubles() -> None:
    """An integer sent for a ``number`` field may come back as ``1.0``; a double must come
    back bit-exact (msgspec writes the shortest repr that round-trips)."""
    document = {
        "type": "transcript.text.segment",
        "id": "s",
        "start": 1,
        "end": 0.30000000000000004,
    }
    document.update(speaker="A", text="hi")
    event = decode_server_event(json.dumps(document), api="transcription-http")
    produced = json.loads(encode_event(event))
    assert_same_json(document, produced)
    assert produced["start"] == 1.0 and produced["end"] == 0.1 + 0.2


# --------------------------------------------------------------------------------------------
# Bugs generation found (fixed): OutputItem.arguments took only strings (a tool_search_call's
# are any JSON value), ErrorDetail dropped `headers`, ResponseCreate dropped `moderation` and
# `prompt_cache_options`. Kept as regressions.


def test_regression_ws_error_headers_are_kept() -> None:
    document = {
        "type": "error",
        "status": 429,
        "error": {
            "type": "rate_limit_error",
            "code": "rate_limit_exceeded",
            "message": "slow down",
            "param": None,
            "headers": {"retry-after": "2"},
        },
    }
    event = decode_server_event(json.dumps(document), api="responses")
    assert_same_json(document, json.loads(encode_event(event)))


def test_regression_response_create_keeps_moderation_and_prompt_cache_options() -> None:
    document = {
        "type": "response.create",
        "model": "gpt-5.5",
        "input": "hi",
        "moderation": {"model": "omni-moderation-latest"},
        "prompt_cache_options": {"ttl": "30m", "mode": "explicit"},
    }
    event = decode_client_event(json.dumps(document), api="responses")
    assert_same_json(document, json.loads(encode_event(event)))


def test_regression_tool_search_call_item_with_object_arguments_decodes() -> None:
    document = {
        "type": "response.output_item.done",
        "output_index": 0,
        "sequence_number": 3,
        "item": {
            "type": "tool_search_call",
            "id": "ts_1",
            "call_id": "call_1",
            "status": "completed",
            "arguments": {"query": "weather"},
            "execution": "server",
        },
    }
    event = decode_server_event(json.dumps(document), api="responses")
    assert_same_json(document, json.loads(encode_event(event)))
