"""`TranscriptionSession` (realtime transcription, GA) golden wire tests: exact frames in and out.

Each test builds a machine, feeds the exact server frames of the scenario and checks the exact
client frames it sends and the events it hands out. Every server frame used here validates
against the ``openai`` SDK's ``RealtimeServerEvent`` union, every client frame against
``RealtimeClientEvent`` (and its session against ``RealtimeTranscriptionSessionCreateRequest``);
the spec's examples (``openapi-event-examples.jsonl``) go through the machine too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from openai.types.realtime.realtime_transcription_session_create_request import (
    RealtimeTranscriptionSessionCreateRequest,
)

from openai_sansio.protocol._client_config import ClientConfig
from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.protocol.events.common import UnknownEvent
from openai_sansio.protocol.realtime_config import OFF, SemanticVAD, ServerVAD
from openai_sansio.protocol.realtime_wire import counter_ids
from openai_sansio.protocol.transcription import TranscriptionSession
from openai_sansio.protocol.transcription_config import (
    TranscriptionConfig,
    session_object,
    transcription_url,
    whole_text_deltas,
)
from openai_sansio.protocol.transcription_events import (
    AudioDropped,
    FinalTranscript,
    InterimTranscript,
    SpeechStarted,
    SpeechStopped,
    TranscriptFailed,
    TranscriptionError,
)

_SERVER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)
_CLIENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)
APPEND = "input_audio_buffer.append"
FIXTURES = Path(__file__).resolve().parents[2] / "shared/fixtures/openapi-event-examples.jsonl"

SESSION = {
    "type": "transcription",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
        }
    },
    "include": ["item.input_audio_transcription.logprobs"],
}
FIRST_UPDATE = (
    b'{"type":"session.update","event_id":"evt_1","session":{"type":"transcription",'
    b'"audio":{"input":{"format":{"type":"audio/pcm","rate":24000},'
    b'"transcription":{"model":"gpt-4o-transcribe","language":"en"}}},'
    b'"include":["item.input_audio_transcription.logprobs"]}}'
)


def machine(session: dict[str, Any] | None = None, **options: Any) -> TranscriptionSession:
    m = TranscriptionSession(session or SESSION, ids=counter_ids("evt_"), **options)
    m.connection_made(0.0)
    return m


def sent(m: TranscriptionSession) -> list[bytes]:
    frames = m.data_to_send()
    for frame in frames:
        _CLIENT.validate_python(json.loads(frame))
    return frames


def feed(m: TranscriptionSession, *events: dict[str, Any], now: float | None = None) -> list[Any]:
    """Feed server frames (each validated against the SDK first); the conclusions."""
    out: list[Any] = []
    for n, event in enumerate(events):
        event = {"event_id": f"event_{n}", **event}
        _SERVER.validate_python(event)
        m.receive_message(json.dumps(event), now)
        out.extend(e for e in m.events() if not hasattr(e, "type") or isinstance(e, UnknownEvent))
    return out


def committed(item: str, previous: str | None) -> dict[str, Any]:
    return {"type": "input_audio_buffer.committed", "item_id": item, "previous_item_id": previous}


def delta(item: str, text: str, logprob: float | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "conversation.item.input_audio_transcription.delta",
        "item_id": item,
        "content_index": 0,
        "delta": text,
    }
    if logprob is not None:
        event["logprobs"] = [{"token": text, "logprob": logprob, "bytes": list(text.encode())}]
    return event


TOKENS = {"type": "tokens", "input_tokens": 13, "output_tokens": 9, "total_tokens": 22,
          "input_token_details": {"text_tokens": 0, "audio_tokens": 13}}  # fmt: skip


def completed(
    item: str, text: str, logprobs: list[float] | None = None, usage: Any = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": item,
        "content_index": 0,
        "transcript": text,
        "usage": usage or TOKENS,
    }
    if logprobs is not None:
        event["logprobs"] = [{"token": "t", "logprob": lp, "bytes": [116]} for lp in logprobs]
    return event


def failed(item: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.input_audio_transcription.failed",
        "item_id": item,
        "content_index": 0,
        "error": {"type": "transcription_error", "code": "audio_unintelligible",
                  "message": "The audio could not be transcribed.", "param": None},
    }  # fmt: skip


# ------------------------------------------------------------------ configuration


def test_first_frame_is_the_ga_transcription_session_update() -> None:
    m = machine()
    frames = sent(m)
    assert frames == [FIRST_UPDATE]
    body = json.loads(frames[0])
    RealtimeTranscriptionSessionCreateRequest.model_validate(body["session"])
    assert b"transcription_session.update" not in frames[0]


def test_config_renders_every_option() -> None:
    config = TranscriptionConfig(
        input_format="pcmu",
        model="gpt-4o-mini-transcribe",
        language="de",
        prompt="names: Ada",
        turn_detection=ServerVAD(threshold=0.6, silence_duration_ms=400),
        noise_reduction="far_field",
    )
    session = session_object(config)
    assert session == {
        "type": "transcription",
        "audio": {
            "input": {
                "format": {"type": "audio/pcmu"},
                "transcription": {
                    "model": "gpt-4o-mini-transcribe",
                    "language": "de",
                    "prompt": "names: Ada",
                },
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.6,
                    "silence_duration_ms": 400,
                },
                "noise_reduction": {"type": "far_field"},
            }
        },
        "include": ["item.input_audio_transcription.logprobs"],
    }
    RealtimeTranscriptionSessionCreateRequest.model_validate(session)
    manual = session_object(
        TranscriptionConfig(turn_detection=OFF, noise_reduction=OFF, include_logprobs=False)
    )
    assert manual["audio"]["input"]["turn_detection"] is None
    assert manual["audio"]["input"]["noise_reduction"] is None
    assert "include" not in manual
    whisper = TranscriptionConfig(model="gpt-realtime-whisper", delay="low")
    assert whisper.client_commits
    assert session_object(whisper)["audio"]["input"]["turn_detection"] is None
    assert session_object(whisper)["audio"]["input"]["transcription"]["delay"] == "low"


@pytest.mark.parametrize(
    "options",
    [
        {"model": "gpt-realtime-whisper", "turn_detection": ServerVAD()},
        {"model": "gpt-live-transcribe", "turn_detection": SemanticVAD()},
        {"turn_detection": ServerVAD(create_response=True)},
        {"turn_detection": "server_vad"},
        {"input_format": "mp3"},
        {"noise_reduction": 3},
        {"delay": "soon"},
    ],
)
def test_config_refuses_what_the_server_would(options: dict[str, Any]) -> None:
    with pytest.raises(LocalProtocolError):
        TranscriptionConfig(**options)


def test_url_has_the_intent_and_no_model() -> None:
    url = transcription_url(ClientConfig(api_key="sk-x"))
    assert url == "wss://api.openai.com/v1/realtime?intent=transcription"
    azure = ClientConfig(api_key="k", azure_endpoint="https://res.openai.azure.com")
    assert transcription_url(azure) == (
        "wss://res.openai.azure.com/openai/v1/realtime?intent=transcription"
    )
    assert whole_text_deltas("whisper-1") and not whole_text_deltas("gpt-4o-transcribe")


def test_update_is_kept_for_later_connections() -> None:
    m = machine()
    sent(m)
    assert m.update(audio={"input": {"transcription": {"language": "fr"}}}) == "evt_2"
    (frame,) = sent(m)
    assert json.loads(frame)["session"] == {
        "type": "transcription",
        "audio": {"input": {"transcription": {"language": "fr"}}},
    }
    m.connection_lost()
    m.connection_made(1.0)
    (again,) = sent(m)
    assert json.loads(again)["session"]["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-transcribe",
        "language": "fr",
    }


# ------------------------------------------------------------------ audio and commits


def test_append_flush_clear_frames() -> None:
    m = machine()
    sent(m)
    m.append_audio(b"\x01\x00\x02\x00")
    assert m.flush() == "evt_2"
    assert m.clear() == "evt_3"
    assert sent(m) == [
        b'{"type":"input_audio_buffer.append","audio":"AQACAA=="}',
        b'{"type":"input_audio_buffer.commit","event_id":"evt_2"}',
        b'{"type":"input_audio_buffer.clear","event_id":"evt_3"}',
    ]
    with pytest.raises(LocalProtocolError):
        m.append_audio(bytes(15 * 1024 * 1024 + 2))


def test_outbound_audio_is_bounded() -> None:
    m = TranscriptionSession(SESSION, max_buffered_audio_ms=100.0)
    m.append_audio(bytes(4800))  # 100 ms at 24 kHz: kept while disconnected
    m.append_audio(bytes(4800))
    assert list(m.events()) == [AudioDropped(dropped_ms=100.0, total_dropped_ms=100.0)]
    m.connection_made(0.0)
    frames = m.data_to_send()
    assert [json.loads(f)["type"] for f in frames] == [
        "session.update",
        "input_audio_buffer.append",
    ]
    assert m.dropped_audio_ms == 100.0


def test_pcmu_audio_is_counted_at_8_khz() -> None:
    session = session_object(TranscriptionConfig(input_format="pcmu"))
    m = TranscriptionSession(session, max_buffered_audio_ms=100.0)
    m.append_audio(bytes(800))  # 100 ms of G.711
    m.append_audio(bytes(80))
    assert list(m.events()) == [AudioDropped(dropped_ms=100.0, total_dropped_ms=100.0)]


# ------------------------------------------------------------------ a VAD turn


def test_vad_turn_interim_and_final_with_confidence_and_usage() -> None:
    m = machine()
    sent(m)
    events = feed(
        m,
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 1000, "item_id": "a"},
        {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 2000, "item_id": "a"},
        committed("a", None),
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": {
                "id": "a",
                "type": "message",
                "role": "user",
                "content": [{"type": "input_audio", "transcript": None}],
            },
        },
        delta("a", "Hey", -0.1),
        delta("a", " you", -0.3),
        completed("a", "Hey you.", [-0.1, -0.3]),
    )
    assert events == [
        SpeechStarted(item_id="a", audio_start_ms=1000),
        SpeechStopped(item_id="a", audio_end_ms=2000),
        InterimTranscript(item_id="a", text="Hey", delta="Hey"),
        InterimTranscript(item_id="a", text="Hey you", delta=" you"),
        FinalTranscript(
            item_id="a",
            text="Hey you.",
            confidence=math.exp(-0.2),
            usage=events[-1].usage,
            previous_item_id=None,
        ),
    ]
    final = events[-1]
    assert final.usage.kind == "tokens" and final.usage.total_tokens == 22
    assert final.usage.audio_tokens == 13
    assert m.usage.transcripts == 1 and m.usage.total_tokens == 22
    assert m.pending_items == []


def test_no_logprobs_means_no_confidence_and_duration_usage() -> None:
    m = machine()
    duration = {"type": "duration", "seconds": 1.5}
    events = feed(m, committed("a", None), completed("a", "hi", usage=duration))
    (final,) = events
    assert final.confidence is None
    assert final.usage.kind == "duration" and final.usage.seconds == 1.5
    assert m.usage.seconds == 1.5


def test_confidence_from_the_deltas_when_completed_has_none() -> None:
    m = machine()
    events = feed(m, committed("a", None), delta("a", "x", -0.5), completed("a", "x"))
    assert events[-1].confidence == pytest.approx(math.exp(-0.5))


def test_languages_reported() -> None:
    m = machine()
    done = {**completed("a", "hallo"), "languages": [{"code": "de"}, {"code": "en"}]}
    (final,) = feed(m, committed("a", None), done)
    assert (final.language, final.languages) == ("de", ("de", "en"))


def test_whisper_deltas_replace_the_text() -> None:
    session = session_object(TranscriptionConfig(model="whisper-1"))
    m = machine(session)
    events = feed(m, committed("a", None), delta("a", "Hello"), delta("a", "Hello there"))
    assert [e.text for e in events] == ["Hello", "Hello there"]


def test_interims_throttled_by_now() -> None:
    m = machine(interim_interval_s=0.5)
    feed(m, committed("a", None))
    first = feed(m, delta("a", "one"), now=10.0)
    held = feed(m, delta("a", " two"), now=10.1)
    assert [e.text for e in first] == ["one"] and held == []
    assert m.next_deadline() == 10.5
    m.handle_timeout(10.2)
    assert list(m.events()) == []
    m.handle_timeout(10.5)
    assert list(m.events()) == [InterimTranscript(item_id="a", text="one two")]
    assert m.next_deadline() is None
    assert feed(m, delta("a", " three"), now=10.6) == []  # held, then the final wins
    (final,) = feed(m, completed("a", "one two three"), now=10.7)
    assert isinstance(final, FinalTranscript) and m.next_deadline() is None


def test_late_and_duplicated_events_after_the_final_are_dropped() -> None:
    m = machine()
    feed(m, committed("a", None), completed("a", "done"))
    assert feed(m, delta("a", "late"), completed("a", "again"), failed("a")) == []


# ------------------------------------------------------------------ ordering


def test_out_of_order_completions_are_reported_in_conversation_order() -> None:
    m = machine()
    feed(m, committed("a", None), committed("b", "a"), committed("c", "b"))
    assert feed(m, completed("c", "three")) == []
    assert feed(m, completed("b", "two")) == []
    events = feed(m, completed("a", "one"))
    assert [(e.item_id, e.text) for e in events] == [("a", "one"), ("b", "two"), ("c", "three")]
    assert [e.previous_item_id for e in events] == [None, "a", "b"]


def test_interims_are_not_held_back_by_order() -> None:
    m = machine()
    feed(m, committed("a", None), committed("b", "a"))
    assert feed(m, delta("b", "two")) == [InterimTranscript(item_id="b", text="two", delta="two")]


def test_a_failure_releases_the_items_behind_it() -> None:
    m = machine()
    feed(m, committed("a", None), committed("b", "a"), delta("a", "partial"))
    assert feed(m, completed("b", "two")) == []
    events = feed(m, failed("a"))
    assert isinstance(events[0], TranscriptFailed)
    assert (events[0].item_id, events[0].reason, events[0].text) == ("a", "failed", "partial")
    assert events[0].error is not None and events[0].error.code == "audio_unintelligible"
    assert isinstance(events[1], FinalTranscript) and events[1].item_id == "b"


def test_item_added_places_an_item_after_its_previous() -> None:
    m = machine()
    item = {"type": "message", "role": "user", "content": [{"type": "input_audio"}]}
    feed(
        m,
        committed("a", None),
        committed("c", "a"),
        {"type": "conversation.item.added", "previous_item_id": "a", "item": {**item, "id": "b"}},
    )
    assert m.pending_items == ["a", "b", "c"]
    events = feed(m, completed("c", "3"), completed("b", "2"), completed("a", "1"))
    assert [e.item_id for e in events] == ["a", "b", "c"]


def test_deleted_item_is_reported_failed() -> None:
    m = machine()
    feed(m, committed("a", None), committed("b", "a"), completed("b", "two"))
    events = feed(m, {"type": "conversation.item.deleted", "item_id": "a"})
    assert [(type(e).__name__, e.item_id) for e in events] == [
        ("TranscriptFailed", "a"),
        ("FinalTranscript", "b"),
    ]


def test_pending_items_are_bounded() -> None:
    m = machine(max_pending_items=2)
    events = feed(m, committed("a", None), committed("b", "a"), committed("c", "b"))
    assert events == [TranscriptFailed(item_id="a", reason="evicted")]
    assert m.pending_items == ["b", "c"]


@given(st.permutations(range(6)), st.sets(st.integers(0, 5), max_size=2))
def test_any_completion_order_is_reported_in_conversation_order(
    order: list[int], failing: set[int]
) -> None:
    m = machine()
    ids = [f"item_{n}" for n in range(6)]
    feed(m, *(committed(item, ids[n - 1] if n else None) for n, item in enumerate(ids)))
    reported: list[Any] = []
    for n in order:
        frame = failed(ids[n]) if n in failing else completed(ids[n], f"text {n}")
        reported += feed(m, frame)
    assert [e.item_id for e in reported] == ids
    for n, event in enumerate(reported):
        assert isinstance(event, TranscriptFailed if n in failing else FinalTranscript)
    assert m.pending_items == []


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("code", "kind", "classification"),
    [
        ("input_audio_buffer_commit_empty", "input_audio_buffer.commit", "benign"),
        ("invalid_model", "session.update", "fatal"),
        ("beta_api_shape_disabled", None, "fatal"),
        ("invalid_api_key", None, "fatal"),
        ("insufficient_quota", None, "fatal"),
        ("invalid_value", "session.update", "retryable"),
        ("server_error", None, "retryable"),
    ],
)
def test_errors_are_classified_and_tied_to_the_client_event(
    code: str, kind: str | None, classification: str
) -> None:
    m = machine()
    sent(m)
    commit = m.flush()
    client_event = {"input_audio_buffer.commit": commit, "session.update": "evt_1"}.get(kind or "")
    error = {"type": "invalid_request_error", "code": code, "message": "no"}
    if client_event is not None:
        error["event_id"] = client_event
    (event,) = feed(m, {"type": "error", "error": error})
    assert isinstance(event, TranscriptionError)
    assert event.error.classification == classification
    assert (event.client_event_id, event.client_event_type) == (client_event, kind)


# ------------------------------------------------------------------ reconnection


def test_connection_lost_fails_unfinished_items_and_ordering_resumes() -> None:
    m = machine()
    sent(m)
    feed(
        m,
        committed("a", None),
        committed("b", "a"),
        completed("b", "two"),
        delta("a", "on"),
        {"type": "input_audio_buffer.speech_started", "audio_start_ms": 5000, "item_id": "c"},
    )
    m.append_audio(bytes(480))  # queued, not sent: goes to the next socket
    m.connection_lost()
    m.connection_lost()  # idempotent
    events = list(m.events())
    assert events == [
        TranscriptFailed(item_id="a", reason="connection_lost", text="on"),
        FinalTranscript(item_id="b", text="two", usage=events[1].usage, previous_item_id="a"),
        TranscriptFailed(item_id="c", reason="connection_lost"),
    ]
    assert m.data_to_send() == []
    m.connection_made(1.0)
    frames = sent(m)
    assert [json.loads(f)["type"] for f in frames] == [
        "session.update",
        "input_audio_buffer.append",
    ]
    assert json.loads(frames[0])["session"] == SESSION
    (final,) = feed(m, committed("d", None), completed("d", "four"))
    assert final.item_id == "d"
    assert feed(m, completed("a", "stale")) == []  # the old socket's item stays failed


def test_client_commit_audio_lost_with_the_socket_is_reported() -> None:
    session = session_object(TranscriptionConfig(turn_detection=OFF))
    m = machine(session)
    m.append_audio(bytes(4800))
    sent(m)
    m.connection_lost()
    assert list(m.events()) == [TranscriptFailed(item_id=None, reason="connection_lost")]
    m.connection_made(1.0)
    sent(m)
    m.append_audio(bytes(4800))
    sent(m)
    feed(m, committed("x", None))
    m.connection_lost()
    assert list(m.events()) == [TranscriptFailed(item_id="x", reason="connection_lost")]


def test_unsent_frames_go_first_on_the_next_socket() -> None:
    m = machine()
    sent(m)
    m.flush()
    frames = m.data_to_send()
    m.connection_lost(frames)
    m.connection_made(1.0)
    assert [json.loads(f)["type"] for f in m.data_to_send()] == [
        "session.update",
        "input_audio_buffer.commit",
    ]


# ------------------------------------------------------------------ wire robustness


def test_unknown_events_pass_through_and_bad_json_raises() -> None:
    m = machine()
    m.receive_message(b'{"type":"transcription.future","x":1}')
    (event,) = m.events()
    assert isinstance(event, UnknownEvent) and event.type == "transcription.future"
    with pytest.raises(RemoteProtocolError):
        m.receive_message(b"{not json")


TRANSCRIPTION_TYPES = (
    "session.",
    "input_audio_buffer.",
    "conversation.item.input_audio_transcription.",
    "conversation.item.added",
    "conversation.item.deleted",
    "error",
)


@pytest.mark.skipif(not FIXTURES.is_file(), reason=f"shared fixtures not found: {FIXTURES}")
def test_every_spec_example_goes_through_the_machine() -> None:
    m = machine()
    seen = 0
    for line in FIXTURES.read_text().splitlines():
        record = json.loads(line)
        kind = record["example"].get("type", "")
        if record["group"] != "realtime-server-events" or not kind.startswith(TRANSCRIPTION_TYPES):
            continue
        m.receive_message(json.dumps(record["example"]))
        seen += 1
    events = list(m.events())
    assert seen >= 12 and len(events) >= seen
    kinds = {type(e).__name__ for e in events}
    assert {"SpeechStarted", "SpeechStopped", "TranscriptionError"} <= kinds
    # items the examples announce but never transcribe hold the completed one back until the
    # socket goes: then they fail and it is released, in order
    m.connection_lost()
    events = list(m.events())
    assert any(isinstance(e, TranscriptFailed) for e in events)
    assert any(isinstance(e, FinalTranscript) and e.text == "Hey, can you hear me?" for e in events)


def test_events_are_frozen_structs() -> None:
    event = InterimTranscript(item_id="a", text="x")
    with pytest.raises(AttributeError):
        event.text = "y"  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(event)) == {
        "item_id": "a",
        "text": "x",
        "delta": "",
    }
