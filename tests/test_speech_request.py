"""`build_speech_request` (body, headers, Azure URLs, validation) and conformance of the speech
wire: request bodies against the `openai` SDK's ``SpeechCreateParams``, the spec's example
events through the codec, and the emulator's SSE events against the spec's schemas."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest
from openai.types.audio.speech_create_params import SpeechCreateParams

from openai_sansio.emulator import EmulatorConfig
from openai_sansio.emulator.router import Router
from openai_sansio.emulator.speech import synthesize
from openai_sansio.protocol._codec import decode_server_event, encode_event
from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.protocol.events.common import UnknownEvent
from openai_sansio.protocol.events.speech import SpeechAudioDelta, SpeechAudioDone
from openai_sansio.protocol.requests import ClientConfig
from openai_sansio.protocol.speech import build_speech_request

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES = SHARED / "fixtures" / "openapi-event-examples.jsonl"
OPENAPI = SHARED / "openapi" / "openapi.json"
needs_shared = pytest.mark.skipif(
    not (FIXTURES.is_file() and OPENAPI.is_file()), reason="../shared fixtures not found"
)
_SDK_PARAMS = pydantic.TypeAdapter(SpeechCreateParams)
CONFIG = ClientConfig(api_key="sk-test")


def body(**kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"model": "gpt-4o-mini-tts", "input": "Hi.", "voice": "marin"}
    options.update(kwargs)
    return dict(json.loads(build_speech_request(CONFIG, **options).body))


def test_minimal_request_golden() -> None:
    request = build_speech_request(CONFIG, model="gpt-4o-mini-tts", input="Hi.", voice="marin")
    assert (request.method, request.url) == ("POST", "https://api.openai.com/v1/audio/speech")
    assert request.body == (
        b'{"model":"gpt-4o-mini-tts","input":"Hi.","voice":"marin","response_format":"pcm"}'
    )
    assert request.header("accept") == "application/octet-stream" and not request.stream
    assert "sk-test" not in repr(request)


def test_every_option_is_sent_and_matches_the_sdk_params() -> None:
    sent = body(
        voice={"id": "voice_123"},
        instructions="Cheerful.",
        speed=1.25,
        response_format="wav",
        stream_format="sse",
        language="fr",
    )
    assert sent == {
        "model": "gpt-4o-mini-tts",
        "input": "Hi.",
        "voice": {"id": "voice_123"},
        "instructions": "Cheerful.",
        "response_format": "wav",
        "speed": 1.25,
        "stream_format": "sse",
        "language": "fr",
    }
    without_hint = {k: v for k, v in sent.items() if k != "language"}  # not in the schema
    _SDK_PARAMS.validate_python(without_hint)
    _SDK_PARAMS.validate_python(body())
    assert None not in body(instructions=None, speed=None).values()
    sse = build_speech_request(
        CONFIG, model="gpt-4o-mini-tts", input="x", voice="ash", stream_format="sse"
    )
    assert sse.header("accept") == "text/event-stream" and sse.stream


@pytest.mark.parametrize(
    "bad",
    [
        {"input": ""},
        {"input": "x" * 4097},
        {"voice": ""},
        {"voice": {"id": "v", "name": "n"}},
        {"voice": 3},
        {"speed": 0.2},
        {"speed": 4.5},
        {"speed": True},
        {"speed": float("nan")},
        {"response_format": "ogg"},
        {"stream_format": "chunks"},
        {"model": "tts-1", "stream_format": "sse"},
        {"model": "tts-1-hd", "instructions": "Calm."},
        {"model": ""},
        {"language": ""},
        {"instructions": "x" * 4097},
    ],
)
def test_invalid_requests_are_refused_before_sending(bad: dict[str, Any]) -> None:
    with pytest.raises(LocalProtocolError):
        body(**bad)


def test_4096_characters_are_accepted() -> None:
    assert len(body(input="x" * 4096)["input"]) == 4096


def test_azure_urls_mirror_chat() -> None:
    dated = ClientConfig.azure(
        {},
        azure_endpoint="https://res.openai.azure.com",
        azure_deployment="my tts",
        api_version="2025-03-01-preview",
        api_key="k",
    )
    request = build_speech_request(dated, model="gpt-4o-mini-tts", input="Hi", voice="alloy")
    assert request.url == (
        "https://res.openai.azure.com/openai/deployments/my%20tts/audio/speech"
        "?api-version=2025-03-01-preview"
    )
    assert (
        request.header("api-key") == "k" and json.loads(request.body)["model"] == "gpt-4o-mini-tts"
    )
    v1 = ClientConfig.azure(
        {}, azure_endpoint="https://res.openai.azure.com", azure_deployment="dep", api_key="k"
    )
    request = build_speech_request(v1, model="gpt-4o-mini-tts", input="Hi", voice="alloy")
    assert request.url == "https://res.openai.azure.com/openai/v1/audio/speech"
    assert json.loads(request.body)["model"] == "dep"
    no_dep = ClientConfig.azure(
        {}, azure_endpoint="https://r.example", api_version="2025-03-01-preview", api_key="k"
    )
    with pytest.raises(LocalProtocolError):
        build_speech_request(no_dep, model="tts-1", input="Hi", voice="alloy")


def _examples() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in FIXTURES.read_text().splitlines() if line.strip()]
    return [r["example"] for r in rows if r["schema"].startswith("SpeechAudio")]


@needs_shared
def test_spec_examples_decode_and_reencode() -> None:
    examples = _examples()
    assert {e["type"] for e in examples} == {"speech.audio.delta", "speech.audio.done"}
    for example in examples:
        if example["type"] == "speech.audio.done":
            event = decode_server_event(json.dumps(example), api="speech")
            assert isinstance(event, SpeechAudioDone)
            assert json.loads(encode_event(event)) == example
        else:
            # the spec's example audio is a placeholder that is not base64: a real stream with
            # it would be broken, so it is refused; with real base64 it round-trips exactly
            assert example["audio"] == "base64-encoded-audio-data"
            with pytest.raises(RemoteProtocolError) as info:
                decode_server_event(json.dumps(example), api="speech")
            assert info.value.error_hint == "schema_violation"
            real = {**example, "audio": base64.b64encode(b"\x01\x02\x03").decode()}
            event = decode_server_event(json.dumps(real), api="speech")
            assert isinstance(event, SpeechAudioDelta) and event.data == b"\x01\x02\x03"
            assert json.loads(encode_event(event)) == real
    unknown = decode_server_event(b'{"type":"speech.audio.new","x":1}', api="speech")
    assert isinstance(unknown, UnknownEvent) and unknown.type == "speech.audio.new"


def _check(schema: dict[str, Any], value: Any, schemas: dict[str, Any]) -> None:
    """The subset of JSON Schema the speech event schemas use (type, enum, required)."""
    if "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict)
        for name in schema.get("required", []):
            assert name in value, name
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                _check(sub, value[name], schemas)
    elif kind == "string":
        assert isinstance(value, str)
    elif kind == "integer":
        assert isinstance(value, int)
    if "enum" in schema:
        assert value in schema["enum"]


@needs_shared
def test_emulator_sse_events_match_the_spec_schemas() -> None:
    schemas = json.loads(OPENAPI.read_text())["components"]["schemas"]
    router = Router(EmulatorConfig())
    payload = {"model": "gpt-4o-mini-tts", "input": "Hi you", "voice": "marin"}
    reply = router.handle(
        "POST",
        "/v1/audio/speech",
        [("authorization", "Bearer k"), ("content-type", "application/json")],
        msgspec.json.encode({**payload, "response_format": "pcm", "stream_format": "sse"}),
    )
    assert reply.status == 200 and reply.frames is not None
    events = [json.loads(f[len(b"data: ") :]) for f in reply.frames]
    audio = b""
    for event in events:
        name = (
            "SpeechAudioDeltaEvent" if event["type"].endswith("delta") else "SpeechAudioDoneEvent"
        )
        _check(schemas[name], event, schemas)
        decoded = decode_server_event(json.dumps(event), api="speech")
        if isinstance(decoded, SpeechAudioDelta):
            audio += decoded.data or b""
    assert events[-1]["type"] == "speech.audio.done"
    assert audio == synthesize("Hi you")


def _speech_reply(config: EmulatorConfig, target: str = "/v1/audio/speech", **extra: Any) -> Any:
    payload = {"model": "gpt-4o-mini-tts", "input": "Hi you", "voice": "marin", **extra}
    return Router(config).handle(
        "POST",
        target,
        [("authorization", "Bearer k"), ("content-type", "application/json")],
        msgspec.json.encode({"response_format": "pcm", **payload}),
    )


@pytest.mark.parametrize(
    ("latency", "rtf", "first", "gap", "size"),
    [
        (0.25, 0.0, 0.25, 0.0, 4801),  # latency alone: the default odd chunks, unpaced
        (0.0, 0.5, 0.0, 0.05, 4801),  # pacing alone: 100 ms chunks, nothing before the first
        (0.4, 2.0, 0.4, 0.2, 4801),  # both, each its own knob
    ],
)
def test_emulator_speech_latency_and_pacing_are_independent(
    latency: float, rtf: float, first: float, gap: float, size: int
) -> None:
    reply = _speech_reply(EmulatorConfig(speech_latency_s=latency, speech_rtf=rtf))
    assert (reply.first_delay_s, reply.delay_s) == (first, gap)
    assert reply.frames[0] != b"" and len(reply.frames[0]) == size
    assert b"".join(reply.frames) == synthesize("Hi you")


def test_emulator_speech_refusals_come_from_the_shared_router_checks() -> None:
    assert _speech_reply(EmulatorConfig(), "/v1/audio/speech/").status == 200
    azure = "/openai/deployments/tts/audio/speech"
    assert _speech_reply(EmulatorConfig(), azure + "?api-version=2025-03-01-preview").status == 200
    assert _speech_reply(EmulatorConfig(), azure).status == 400  # api-version required
    assert _speech_reply(EmulatorConfig(http_status=503)).status == 503
    unauthorized = Router(EmulatorConfig()).handle("POST", "/v1/audio/speech", [], b"{}")
    assert unauthorized.status == 401 and b"Authorization: Bearer" in unauthorized.body
    bad_json = Router(EmulatorConfig()).handle(
        "POST", "/v1/audio/speech", [("authorization", "Bearer k")], b"{"
    )
    assert bad_json.status == 400 and b"could not parse the JSON body" in bad_json.body
