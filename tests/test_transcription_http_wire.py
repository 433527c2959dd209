"""HTTP transcription, pure: the multipart request bytes and the response machine.

Golden request bytes; SSE and JSON bodies fed whole, byte by byte and at hypothesis-chosen
splits (same events); the response Content-Type decides how the body is read; a cut stream
is a typed failure; confidence math; every event checked against the `openai` SDK's types
and the spec's examples."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.audio import (
    Transcription,
    TranscriptionStreamEvent,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
    TranscriptionTextSegmentEvent,
)

from openai_sansio.protocol._codec import decode_server_event, encode_event
from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.protocol._multipart import MultipartError, parse_multipart
from openai_sansio.protocol.events.common import NEED_DATA, APIError, UnknownEvent
from openai_sansio.protocol.events.transcription import (
    TranscriptTextDelta,
    TranscriptTextDone,
    TranscriptTextSegment,
)
from openai_sansio.protocol.requests import ClientConfig
from openai_sansio.protocol.transcription_common import (
    confidence_from_logprobs,
    transcription_usage,
)
from openai_sansio.protocol.transcription_http import (
    TranscriptionResponse,
    TranscriptionResult,
    build_transcription_request,
    parse_subtitles,
)

FIXTURES = Path(__file__).resolve().parents[2] / "shared/fixtures/openapi-event-examples.jsonl"
CONFIG = ClientConfig(api_key="sk-test-secret")
SSE_HEAD = [("content-type", "text/event-stream; charset=utf-8"), ("x-request-id", "req_1")]
JSON_HEAD = [("content-type", "application/json")]
_SDK_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(TranscriptionStreamEvent)

DELTA_1 = {
    "type": "transcript.text.delta",
    "delta": "Hé",
    "logprobs": [{"token": "Hé", "logprob": -0.1, "bytes": [72, 195, 169]}],
}
DELTA_2 = {
    "type": "transcript.text.delta",
    "delta": " there",
    "logprobs": [{"token": " there", "logprob": -0.3, "bytes": [32, 116, 104, 101, 114, 101]}],
}
DONE = {
    "type": "transcript.text.done",
    "text": "Hé there",
    "logprobs": DELTA_1["logprobs"] + DELTA_2["logprobs"],  # type: ignore[operator]
    "usage": {
        "type": "tokens",
        "input_tokens": 14,
        "input_token_details": {"text_tokens": 10, "audio_tokens": 4},
        "output_tokens": 2,
        "total_tokens": 16,
    },
}
SSE_BODY = b"".join(
    b"data: " + json.dumps(e, ensure_ascii=False).encode() + b"\n\n"
    for e in (DELTA_1, DELTA_2, DONE)
)
JSON_BODY = json.dumps(
    {"text": "Hé there", "logprobs": DONE["logprobs"], "usage": DONE["usage"]},
    ensure_ascii=False,
).encode()


def run(head: list[tuple[str, str]], chunks: list[bytes], **kw: Any) -> list[Any]:
    machine = TranscriptionResponse(**kw)
    machine.receive_response_head(200, head)
    events: list[Any] = []
    for chunk in chunks:
        machine.receive_data(chunk)
        events += machine.events()
    machine.receive_eof()
    events += machine.events()
    assert machine.next_event() is NEED_DATA
    return events


# ----------------------------------------------------------------------- request bytes


def test_multipart_request_golden_bytes() -> None:
    req = build_transcription_request(
        CONFIG,
        audio=b"RIFF....WAVEdata",
        filename="clip.wav",
        model="gpt-4o-transcribe",
        boundary="b0und",
        language="en",
        prompt="names: Zoë",
        temperature=0.2,
        include_logprobs=True,
        stream=True,
    )
    assert req.method == "POST" and req.url == "https://api.openai.com/v1/audio/transcriptions"
    assert req.header("content-type") == "multipart/form-data; boundary=b0und"
    assert req.header("accept") == "text/event-stream" and req.stream
    assert req.body == (
        b"--b0und\r\n"
        b'Content-Disposition: form-data; name="file"; filename="clip.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n"
        b"RIFF....WAVEdata\r\n"
        b'--b0und\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4o-transcribe\r\n'
        b'--b0und\r\nContent-Disposition: form-data; name="include[]"\r\n\r\nlogprobs\r\n'
        b'--b0und\r\nContent-Disposition: form-data; name="language"\r\n\r\nen\r\n'
        b'--b0und\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nnames: Zo\xc3\xab\r\n'
        b'--b0und\r\nContent-Disposition: form-data; name="stream"\r\n\r\ntrue\r\n'
        b'--b0und\r\nContent-Disposition: form-data; name="temperature"\r\n\r\n0.2\r\n'
        b"--b0und--\r\n"
    )
    assert "sk-test-secret" not in repr(req)


def test_multipart_arrays_objects_and_roundtrip_through_strict_parser() -> None:
    req = build_transcription_request(
        CONFIG,
        audio=b"\x00\x01" * 50,
        filename="a.mp3",
        model="gpt-4o-transcribe-diarize",
        boundary="xyz",
        response_format="diarized_json",
        chunking_strategy={"type": "server_vad", "threshold": 0.5},
        known_speaker_names=["agent", "customer"],
        extra_fields={"note": "x"},
    )
    parts = parse_multipart(req.body, req.header("content-type") or "")
    assert [(p.name, p.data) for p in parts[1:]] == [
        ("model", b"gpt-4o-transcribe-diarize"),
        ("chunking_strategy[type]", b"server_vad"),
        ("chunking_strategy[threshold]", b"0.5"),
        ("known_speaker_names[]", b"agent"),
        ("known_speaker_names[]", b"customer"),
        ("response_format", b"diarized_json"),
        ("note", b"x"),
    ]
    assert parts[0].filename == "a.mp3" and parts[0].content_type == "audio/mpeg"
    assert parts[0].data == b"\x00\x01" * 50


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"audio": b""}, "empty_file"),
        ({"audio": b"x" * (25 * 1024 * 1024 + 1)}, "file_too_large"),
        ({"filename": "notes.txt"}, "unsupported_file_format"),
        ({"include_logprobs": True, "model": "whisper-1"}, "logprobs_unsupported"),
        ({"include_logprobs": True, "response_format": "text"}, "logprobs_unsupported"),
        ({"response_format": "docx"}, "invalid_param"),
        ({"temperature": 1.5}, "invalid_param"),
        ({"timestamp_granularities": ["word"]}, "invalid_param"),
        ({"boundary": "has space"}, "invalid_boundary"),
        ({"audio": b"abc--b0und--xyz"}, "boundary_in_content"),
        ({"filename": 'a".wav'}, "invalid_param"),
    ],
)
def test_request_validation(kwargs: dict[str, Any], hint: str) -> None:
    args: dict[str, Any] = {
        "audio": b"RIFF",
        "filename": "a.wav",
        "model": "gpt-4o-transcribe",
        "boundary": "b0und",
    }
    args.update(kwargs)
    with pytest.raises(LocalProtocolError) as info:
        build_transcription_request(CONFIG, **args)
    assert info.value.error_hint == hint


def test_azure_deployment_and_v1_urls() -> None:
    dated = ClientConfig.azure(
        {},
        azure_endpoint="https://res.openai.azure.com",
        azure_deployment="my stt",
        api_version="2025-03-01-preview",
        api_key="azure-secret",
    )
    req = build_transcription_request(
        dated, audio=b"RIFF", filename="a.wav", model="whisper-1", boundary="b"
    )
    assert req.url == (
        "https://res.openai.azure.com/openai/deployments/my%20stt/audio/transcriptions"
        "?api-version=2025-03-01-preview"
    )
    assert req.header("api-key") == "azure-secret" and "azure-secret" not in repr(req)
    v1 = ClientConfig.azure(
        {}, azure_endpoint="https://res.openai.azure.com", azure_deployment="dep", api_key="k"
    )
    req = build_transcription_request(
        v1, audio=b"RIFF", filename="a.wav", model="x", boundary="b", include_logprobs=True
    )
    assert req.url == "https://res.openai.azure.com/openai/v1/audio/transcriptions"
    assert b'name="model"\r\n\r\ndep\r\n' in req.body  # the deployment names the model


@pytest.mark.parametrize(
    "body",
    [
        b"no boundary here",
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue',  # never closed
        b"--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--\r\n",  # no disposition
        b'--B\r\nContent-Disposition: attachment; name="a"\r\n\r\nv\r\n--B--\r\n',
        b"--B\r\nbroken header\r\n\r\nv\r\n--B--\r\n",
        b'--BX\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--B--\r\n',
    ],
)
def test_strict_multipart_parser_rejects(body: bytes) -> None:
    with pytest.raises(MultipartError):
        parse_multipart(body, "multipart/form-data; boundary=B")


def test_multipart_parser_needs_form_data_with_boundary() -> None:
    with pytest.raises(MultipartError):
        parse_multipart(b"--B--\r\n", "application/json")
    with pytest.raises(MultipartError):
        parse_multipart(b"--B--\r\n", "multipart/form-data")
    assert parse_multipart(b"preamble\r\n--B--\r\n", 'multipart/form-data; boundary="B"') == []


# ------------------------------------------------------------------- response machine


def test_sse_body_events_and_result() -> None:
    events = run(SSE_HEAD, [SSE_BODY])
    assert [type(e) for e in events] == [
        TranscriptTextDelta,
        TranscriptTextDelta,
        TranscriptTextDone,
        TranscriptionResult,
    ]
    result = events[-1]
    assert result.status == "completed" and result.format == "sse"
    assert result.text == "Hé there"
    assert result.confidence == pytest.approx(math.exp(-0.2))
    assert result.usage.kind == "tokens" and result.usage.audio_tokens == 4
    assert result.usage.total_tokens == 16


def test_sse_every_split_gives_the_same_events() -> None:
    whole = run(SSE_HEAD, [SSE_BODY])
    assert run(SSE_HEAD, [SSE_BODY[i : i + 1] for i in range(len(SSE_BODY))]) == whole


@given(st.lists(st.integers(0, len(SSE_BODY)), max_size=8))
def test_sse_hypothesis_splits(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(SSE_BODY)]
    chunks = [SSE_BODY[a:b] for a, b in itertools.pairwise(points)]
    assert run(SSE_HEAD, chunks) == run(SSE_HEAD, [SSE_BODY])


@given(st.lists(st.integers(0, len(JSON_BODY)), max_size=6))
def test_json_body_any_split_same_result(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(JSON_BODY)]
    chunks = [JSON_BODY[a:b] for a, b in itertools.pairwise(points)]
    (result,) = run(JSON_HEAD, chunks)
    assert result == run(JSON_HEAD, [JSON_BODY])[0]
    assert result.format == "json" and result.text == "Hé there"


def test_sse_and_json_bodies_agree() -> None:
    sse = run(SSE_HEAD, [SSE_BODY])[-1]
    plain = run(JSON_HEAD, [JSON_BODY])[-1]
    assert (sse.text, sse.confidence, sse.usage, sse.logprobs) == (
        plain.text,
        plain.confidence,
        plain.usage,
        plain.logprobs,
    )


def test_content_type_decides_not_the_request() -> None:
    # SSE was asked for (whisper-1 ignores it): a JSON answer is read as JSON
    body = b'{"text":"Hello.","usage":{"type":"duration","seconds":3}}'
    (result,) = run(JSON_HEAD, [body], response_format="json")
    assert result.format == "json" and result.text == "Hello." and result.confidence is None
    assert result.usage.kind == "duration" and result.usage.seconds == 3.0
    # plain text asked, SSE answered: read as SSE
    events = run(SSE_HEAD, [SSE_BODY], response_format="text")
    assert events[-1].format == "sse"


def test_cut_stream_is_a_typed_failure_with_partial_text() -> None:
    events = run(SSE_HEAD, [SSE_BODY[: SSE_BODY.index(b"data: {", 10)]])
    delta, error, result = events
    assert isinstance(delta, TranscriptTextDelta)
    assert isinstance(error, APIError) and error.code == "stream_interrupted"
    assert result.status == "interrupted" and result.text == "Hé" and result.error == error
    assert result.confidence == pytest.approx(math.exp(-0.1))


def test_inband_error_ends_the_stream() -> None:
    body = (
        b'data: {"type":"transcript.text.delta","delta":"a"}\n\n'
        b'data: {"type":"error","error":{"type":"server_error","code":"server_error",'
        b'"message":"boom","param":null}}\n\n'
    )
    events = run(SSE_HEAD, [body])
    assert isinstance(events[1], APIError) and events[1].classification == "retryable"
    assert events[2].status == "error" and events[2].error.message == "boom"


def test_unknown_events_pass_through_and_done_marker_is_tolerated() -> None:
    body = b'data: {"type":"transcript.text.future","x":1}\n\ndata: [DONE]\n\n' + SSE_BODY
    events = run(SSE_HEAD, [body, b"data: {}\n\n"])
    assert isinstance(events[0], UnknownEvent) and events[0].type == "transcript.text.future"
    assert events[-1].status == "completed"


@pytest.mark.parametrize(
    ("head", "body"),
    [
        (JSON_HEAD, b'{"text": "unterminated'),
        (JSON_HEAD, b'{"no_text": 1}'),
        (SSE_HEAD, b'data: {"type":"transcript.text.delta"}\n\n'),
        (SSE_HEAD, b"data: not json\n\n"),
        ([("content-type", "audio/mpeg")], b""),
    ],
)
def test_malformed_bodies_raise_remote_protocol_error(
    head: list[tuple[str, str]], body: bytes
) -> None:
    machine = TranscriptionResponse()
    with pytest.raises(RemoteProtocolError):
        machine.receive_response_head(200, head)
        machine.receive_data(body)
        machine.receive_eof()


def test_body_is_bounded_and_calls_are_ordered() -> None:
    machine = TranscriptionResponse(max_body_bytes=10)
    with pytest.raises(LocalProtocolError):
        machine.receive_data(b"x")
    machine.receive_response_head(200, JSON_HEAD)
    with pytest.raises(RemoteProtocolError) as info:
        machine.receive_data(b"x" * 11)
    assert info.value.error_hint == "body_too_large"


def test_error_status_becomes_api_error() -> None:
    machine = TranscriptionResponse()
    machine.receive_response_head(400, [("content-type", "application/json")])
    machine.receive_data(b'{"error":{"message":"bad file","type":"invalid_request_error",')
    machine.receive_data(b'"param":"file","code":"invalid_value"}}')
    machine.receive_eof()
    error, result = machine.events()
    assert error.status == 400 and error.code == "invalid_value"
    assert error.classification == "fatal" and result.status == "error"


def test_text_srt_vtt_and_verbose_json() -> None:
    (text,) = run([("content-type", "text/plain; charset=utf-8")], [b"Hello there.\n"])
    assert text.text == "Hello there." and text.format == "text"
    srt = (
        b"1\n00:00:00,500 --> 00:00:01,250\nHello\nthere.\n\n"
        b"2\n00:00:02,000 --> 00:00:03,000\nBye.\n"
    )
    (sub,) = run([("content-type", "text/plain")], [srt], response_format="srt")
    assert sub.text == "Hello there. Bye." and sub.segments[0].start == 0.5
    assert sub.segments[1].end == 3.0
    vtt = b"WEBVTT\n\n00:01.000 --> 00:02.500 align:start\nHi.\n"
    (cue,) = run([("content-type", "text/vtt")], [vtt])
    assert cue.format == "vtt" and cue.segments[0].end == 2.5 and cue.text == "Hi."
    verbose = {
        "task": "transcribe",
        "language": "english",
        "duration": 2.5,
        "text": "Hi.",
        "segments": [{"id": 0, "start": 0.0, "end": 1.0, "text": " Hi.", "seek": 0}],
        "words": [{"word": "Hi", "start": 0.0, "end": 0.5}],
    }
    (v,) = run(JSON_HEAD, [json.dumps(verbose).encode()])
    assert v.language == "english" and v.duration == 2.5 and v.segments[0].id == "0"
    assert v.raw["words"][0]["word"] == "Hi"
    with pytest.raises(RemoteProtocolError):
        parse_subtitles("1\n00:00 --> nonsense\nx\n")


# -------------------------------------------------------------- confidence and usage


@given(st.lists(st.floats(min_value=-20.0, max_value=0.0), min_size=1, max_size=50))
def test_confidence_is_geometric_mean_of_probabilities(logprobs: list[float]) -> None:
    expected = math.prod(math.exp(lp) for lp in logprobs) ** (1 / len(logprobs))
    entries = [{"token": "t", "logprob": lp} for lp in logprobs]
    got = confidence_from_logprobs(entries)
    assert got is not None and 0.0 <= got <= 1.0
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert confidence_from_logprobs(logprobs) == got  # bare numbers too


def test_confidence_is_none_without_logprobs() -> None:
    assert confidence_from_logprobs(None) is None
    assert confidence_from_logprobs([]) is None
    assert confidence_from_logprobs([{"token": "x"}]) is None
    assert confidence_from_logprobs([{"logprob": -math.inf}]) == 0.0


def test_usage_flattener() -> None:
    tokens = transcription_usage(DONE["usage"])
    assert tokens is not None and (tokens.kind, tokens.input_tokens, tokens.text_tokens) == (
        "tokens",
        14,
        10,
    )
    duration = transcription_usage({"type": "duration", "seconds": 2.5})
    assert duration is not None and duration.kind == "duration" and duration.seconds == 2.5
    assert transcription_usage(None) is None


# ------------------------------------------------------------------------ conformance


def test_events_conform_to_sdk_types_and_reencode() -> None:
    for wire in (DELTA_1, DELTA_2, DONE):
        raw = json.dumps(wire).encode()
        event = decode_server_event(raw, api="transcription-http")
        sdk = _SDK_EVENT.validate_python(msgspec.json.decode(encode_event(event)))
        assert sdk.model_dump(exclude_none=True) == wire
    Transcription.model_validate_json(JSON_BODY)


@pytest.mark.skipif(not FIXTURES.is_file(), reason=f"shared fixtures not found: {FIXTURES}")
def test_spec_fixture_examples_decode_and_reencode() -> None:
    seen = set()
    for line in FIXTURES.read_text().splitlines():
        example = json.loads(line)["example"]
        if not str(example.get("type", "")).startswith("transcript.text."):
            continue
        event = decode_server_event(json.dumps(example), api="transcription-http")
        assert isinstance(event, (TranscriptTextDelta, TranscriptTextDone, TranscriptTextSegment))
        assert msgspec.json.decode(encode_event(event)) == example
        seen.add(event.type)
        adapter = {
            "transcript.text.delta": TranscriptionTextDeltaEvent,
            "transcript.text.done": TranscriptionTextDoneEvent,
            "transcript.text.segment": TranscriptionTextSegmentEvent,
        }[event.type]
        adapter.model_validate(example)
    assert seen == {"transcript.text.delta", "transcript.text.done", "transcript.text.segment"}


@given(
    st.sampled_from([SSE_HEAD, JSON_HEAD, [("content-type", "text/plain")]]),
    st.lists(st.binary(max_size=40), max_size=6),
)
def test_fuzz_any_bytes_accept_or_remote_protocol_error(
    head: list[tuple[str, str]], chunks: list[bytes]
) -> None:
    machine = TranscriptionResponse(response_format="srt")
    machine.receive_response_head(200, head)
    try:
        for chunk in chunks:
            machine.receive_data(chunk)
        machine.receive_eof()
    except RemoteProtocolError:
        return
    events = list(machine.events())
    assert isinstance(events[-1], TranscriptionResult)


def test_logprobs_and_segments_kept_are_bounded() -> None:
    """Empty deltas add no text but their logprobs (and segments) are kept for the result:
    they are bounded like the text, so a hostile stream cannot grow memory without end."""
    lp = {"token": "", "logprob": -0.1, "bytes": []}
    delta = {"type": "transcript.text.delta", "delta": "", "logprobs": [lp, lp, lp]}
    segment = {"type": "transcript.text.segment", "id": "s", "start": 0.0, "end": 1.0,
               "speaker": "A", "text": ""}  # fmt: skip
    for event in (delta, segment):
        machine = TranscriptionResponse(max_text_chars=5)
        machine.receive_response_head(200, [("content-type", "text/event-stream")])
        frame = b"data: " + json.dumps(event).encode() + b"\n\n"
        with pytest.raises(RemoteProtocolError) as info:
            for _ in range(6):
                machine.receive_data(frame)
        assert info.value.error_hint == "text_too_long"
