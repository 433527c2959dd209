"""`RealtimeSession` fed exact GA wire events: interruption, tools, errors, usage, rollover.

Each test builds a machine, opens it, feeds server events as the API sends them and checks
the client events it queues and the events it hands out.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from openai_sansio.protocol.events.common import ToolCall
from openai_sansio.protocol.realtime import RealtimeSession
from openai_sansio.protocol.realtime_session_events import (
    AudioDropped,
    ConversationRestored,
    Interruption,
    RealtimeError,
    ReconnectNeeded,
    ResponseFinished,
    RolloverNeeded,
)

SESSION = {
    "type": "realtime",
    "id": "sess_1",
    "object": "realtime.session",
    "model": "gpt-realtime",
    "output_modalities": ["audio"],
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 200,
                "create_response": True,
                "interrupt_response": True,
            },
        },
        "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
    },
}


class Wire:
    """A machine plus helpers that speak the server's side."""

    def __init__(self, **options: Any) -> None:
        self.machine = RealtimeSession({"instructions": "Be brief."}, **options)
        self.machine.connection_made(0.0)
        self.sent: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.n = 0
        self.flush()
        self.feed({"type": "session.created", "event_id": "e0", "session": SESSION})

    def flush(self) -> list[dict[str, Any]]:
        frames = [json.loads(f) for f in self.machine.data_to_send()]
        self.sent.extend(frames)
        self.events.extend(self.machine.events())
        return frames

    def feed(self, *events: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        for event in events:
            self.n += 1
            self.machine.receive_message(json.dumps({"event_id": f"srv_{self.n}", **event}))
            got = list(self.machine.events())
            out.extend(got)
            self.events.extend(got)
        return out

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def types_sent(self) -> list[str]:
        return [f["type"] for f in self.sent]


def created(rid: str) -> dict[str, Any]:
    return {
        "type": "response.created",
        "response": {
            "id": rid,
            "object": "realtime.response",
            "status": "in_progress",
            "output": [],
            "conversation_id": "conv_1",
        },
    }


def done(
    rid: str, status: str = "completed", reason: str | None = None, **extra: Any
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "id": rid,
        "object": "realtime.response",
        "status": status,
        "output": [],
        "conversation_id": "conv_1",
        **extra,
    }
    if reason is not None:
        response["status_details"] = {"type": status, "reason": reason}
    return {"type": "response.done", "response": response}


def item_added(item_id: str, role: str = "assistant", previous: str | None = None) -> dict:
    return {
        "type": "conversation.item.added",
        "previous_item_id": previous,
        "item": {
            "id": item_id,
            "type": "message",
            "role": role,
            "status": "in_progress",
            "content": [],
        },
    }


def audio(rid: str, item_id: str, samples: int) -> dict[str, Any]:
    pcm = b"\x01\x00" * samples
    return {
        "type": "response.output_audio.delta",
        "response_id": rid,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "delta": base64.b64encode(pcm).decode(),
    }


def transcript(rid: str, item_id: str, delta: str) -> dict[str, Any]:
    return {
        "type": "response.output_audio_transcript.delta",
        "response_id": rid,
        "item_id": item_id,
        "output_index": 0,
        "content_index": 0,
        "delta": delta,
    }


def speaking(
    wire: Wire,
    rid: str = "resp_1",
    item_id: str = "item_a",
    ms: int = 500,
    previous: str | None = None,
) -> None:
    wire.feed(created(rid), item_added(item_id, previous=previous), audio(rid, item_id, 24 * ms))


def test_the_first_frame_is_the_ga_session_update() -> None:
    wire = Wire()
    first = wire.sent[0]
    assert first["type"] == "session.update"
    assert first["session"] == {"type": "realtime", "instructions": "Be brief."}
    assert "event_id" in first


def test_interrupt_truncates_at_the_played_position_clamped_to_audio_received() -> None:
    wire = Wire()
    speaking(wire, ms=500)  # 500 ms received
    result = wire.machine.interrupt(played_ms=300, server_cancels=False)
    frames = wire.flush()
    assert [f["type"] for f in frames] == ["response.cancel", "conversation.item.truncate"]
    assert frames[0]["response_id"] == "resp_1"
    assert frames[1] == {
        "type": "conversation.item.truncate",
        "event_id": frames[1]["event_id"],
        "item_id": "item_a",
        "content_index": 0,
        "audio_end_ms": 300,
    }
    assert result == Interruption(
        item_id="item_a",
        played_ms=300,
        received_ms=500,
        cancelled=True,
        truncated=True,
        response_id="resp_1",
    )


def test_a_played_position_beyond_the_audio_received_is_clamped() -> None:
    wire = Wire()
    speaking(wire, ms=200)
    wire.feed(done("resp_1"))
    result = wire.machine.interrupt(played_ms=900)
    assert result.played_ms == 200 and not result.truncated and not result.cancelled
    assert wire.flush() == []  # everything received was heard: nothing to tell the server


def test_nothing_played_deletes_the_item_instead() -> None:
    wire = Wire()
    speaking(wire, ms=100)
    result = wire.machine.interrupt(played_ms=0, server_cancels=False)
    assert [f["type"] for f in wire.flush()] == ["response.cancel", "conversation.item.delete"]
    assert result.deleted and not result.truncated


def test_server_vad_cancels_by_itself_after_speech_started() -> None:
    wire = Wire()
    speaking(wire)
    wire.feed({"type": "input_audio_buffer.speech_started", "audio_start_ms": 900, "item_id": "u2"})
    result = wire.machine.interrupt(played_ms=250)
    frames = wire.flush()
    assert [f["type"] for f in frames] == ["conversation.item.truncate"]
    assert not result.cancelled and result.truncated


def test_stale_deltas_of_a_cancelled_response_are_dropped_and_dones_finalised_once() -> None:
    wire = Wire()
    speaking(wire)
    wire.machine.interrupt(played_ms=100, server_cancels=False)
    late = wire.feed(audio("resp_1", "item_a", 2400), transcript("resp_1", "item_a", "late"))
    assert late == [] and wire.machine.stale_dropped == 2
    audio_done = {
        "type": "response.output_audio.done",
        "response_id": "resp_1",
        "item_id": "item_a",
        "output_index": 0,
        "content_index": 0,
    }
    assert len(wire.feed(audio_done)) == 1
    assert wire.feed(audio_done) == []  # the duplicate is dropped
    finished = wire.feed(done("resp_1", "cancelled", "client_cancelled"))
    assert any(isinstance(e, ResponseFinished) and e.status == "cancelled" for e in finished)
    assert wire.machine.active_response is None


def test_response_done_without_created_is_tolerated() -> None:
    wire = Wire()
    wire.machine.create_response()
    wire.flush()
    events = wire.feed(done("resp_x", "cancelled", "turn_detected"))
    finished = [e for e in events if isinstance(e, ResponseFinished)]
    assert finished[0].response_id == "resp_x" and finished[0].reason == "turn_detected"
    wire.machine.create_response()
    assert [f["type"] for f in wire.flush()] == ["response.create"]  # nothing stuck in flight


def call_events(rid: str, call_id: str, name: str = "get_weather") -> list[dict[str, Any]]:
    args = '{"city": "Paris"}'
    item = {
        "id": f"fc_{call_id}",
        "type": "function_call",
        "status": "completed",
        "call_id": call_id,
        "name": name,
        "arguments": args,
    }
    return [
        {
            "type": "response.function_call_arguments.done",
            "response_id": rid,
            "item_id": f"fc_{call_id}",
            "output_index": 0,
            "call_id": call_id,
            "name": name,
            "arguments": args,
        },
        {"type": "response.output_item.done", "response_id": rid, "output_index": 0, "item": item},
    ]


def test_each_function_call_surfaces_once_and_one_response_create_follows_the_batch() -> None:
    wire = Wire()
    wire.feed(created("resp_1"), *call_events("resp_1", "c1"), *call_events("resp_1", "c2"))
    calls = wire.of(ToolCall)
    assert [c.call_id for c in calls] == ["c1", "c2"] and calls[0].parsed == {"city": "Paris"}
    wire.machine.submit_tool_output("c1", "18C")
    assert [f["type"] for f in wire.flush()] == ["conversation.item.create"]  # still active
    wire.feed(done("resp_1"))
    assert wire.flush() == []  # c2 not answered yet
    wire.machine.submit_tool_output("c2", "rain")
    frames = wire.flush()
    assert [f["type"] for f in frames] == ["conversation.item.create", "response.create"]
    wire.feed(created("resp_2"))
    wire.feed(done("resp_2"))
    assert wire.flush() == []  # exactly one follow-up


def test_a_server_vad_response_that_took_the_outputs_means_no_follow_up() -> None:
    wire = Wire()
    wire.feed(created("resp_1"), *call_events("resp_1", "c1"))
    out_id = wire.machine.submit_tool_output("c1", "18C")
    wire.flush()
    wire.feed(
        {
            "type": "conversation.item.added",
            "previous_item_id": "fc_c1",
            "item": {
                "id": out_id,
                "type": "function_call_output",
                "call_id": "c1",
                "output": "18C",
            },
        }
    )
    wire.feed(done("resp_1"))
    # the follow-up went out; a VAD response raced it and the server refused ours
    frames = wire.flush()
    assert [f["type"] for f in frames] == ["response.create"]
    wire.feed(created("resp_vad"))
    race = wire.feed(
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "conversation_already_has_active_response",
                "message": "Conversation already has an active response in progress: resp_vad.",
                "event_id": frames[0]["event_id"],
            },
        }
    )
    error = next(e for e in race if isinstance(e, RealtimeError))
    assert error.handled and error.client_event_type == "response.create"
    wire.feed(done("resp_vad"))
    assert wire.flush() == []  # resp_vad consumed the outputs


def test_errors_are_classified_and_tied_to_the_client_event() -> None:
    wire = Wire()
    event_id = wire.machine.delete_item("nope")
    wire.flush()
    got = wire.feed(
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "item_not_found",
                "message": "Item nope not found",
                "event_id": event_id,
            },
        },
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "response_cancel_not_active",
                "message": "Cancellation failed: no active response found",
            },
        },
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "insufficient_quota",
                "message": "q",
            },
        },
    )
    errors = [e for e in got if isinstance(e, RealtimeError)]
    assert [e.error.classification for e in errors] == ["retryable", "benign", "fatal"]
    assert errors[0].client_event_id == event_id
    assert errors[0].client_event_type == "conversation.item.delete"


def test_usage_is_flattened_per_response_and_summed() -> None:
    wire = Wire()
    usage = {
        "total_tokens": 30,
        "input_tokens": 20,
        "output_tokens": 10,
        "input_token_details": {
            "text_tokens": 5,
            "audio_tokens": 15,
            "cached_tokens": 4,
            "cached_tokens_details": {"text_tokens": 1, "audio_tokens": 3},
        },
        "output_token_details": {"text_tokens": 2, "audio_tokens": 8},
    }
    for rid in ("resp_1", "resp_2"):
        wire.feed(created(rid), done(rid, usage=usage))
    finished = wire.of(ResponseFinished)
    assert finished[0].usage.input_audio_tokens == 15
    assert finished[0].usage.cached_audio_tokens == 3
    total = wire.machine.usage
    assert (total.total_tokens, total.output_audio_tokens, total.input_cached_tokens) == (60, 16, 8)


def test_outbound_audio_is_bounded_by_duration_oldest_dropped() -> None:
    machine = RealtimeSession(max_buffered_audio_ms=100)
    for _ in range(5):
        machine.append_audio(b"\x00\x00" * 960)  # 40 ms each at 24 kHz
    drops = [e for e in machine.events() if isinstance(e, AudioDropped)]
    assert drops and machine.dropped_audio_ms == pytest.approx(120.0)  # the newest 80 ms kept
    machine.connection_made(0.0)
    frames = [json.loads(f) for f in machine.data_to_send()]
    assert [f["type"] for f in frames] == ["session.update"] + ["input_audio_buffer.append"] * 2


def test_rollover_waits_for_a_turn_boundary_then_restores_the_conversation() -> None:
    wire = Wire(rollover_after_s=10.0)
    wire.feed(
        {
            "type": "conversation.item.added",
            "previous_item_id": None,
            "item": {
                "id": "u1",
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": "Hello"}],
            },
        }
    )
    speaking(wire, rid="resp_1", item_id="a1", ms=1000, previous="u1")
    wire.feed(transcript("resp_1", "a1", "Hi there friend"))
    wire.machine.handle_timeout(11.0)
    wire.flush()
    assert not wire.of(RolloverNeeded)  # a response is active
    wire.feed(done("resp_1"))
    assert wire.of(RolloverNeeded)
    wire.machine.connection_lost()
    wire.flush()
    assert not wire.of(ReconnectNeeded)  # a planned rollover is no surprise
    wire.machine.connection_made(12.0)
    frames = wire.flush()
    assert [f["type"] for f in frames] == ["session.update"] + ["conversation.item.create"] * 2
    assert frames[1]["item"]["content"] == [{"type": "input_text", "text": "Hello"}]
    assert frames[2]["item"]["content"] == [{"type": "output_text", "text": "Hi there friend"}]
    assert frames[2]["previous_item_id"] == "u1"
    assert wire.of(ConversationRestored)[-1].items == 2


def test_a_dropped_socket_ends_the_active_response_and_asks_for_a_reconnect() -> None:
    wire = Wire()
    speaking(wire)
    wire.machine.connection_lost()
    wire.flush()
    finished = wire.of(ResponseFinished)
    assert finished[-1].status == "interrupted"
    assert wire.of(ReconnectNeeded)[-1].reason == "connection_lost"


def test_a_copied_machine_queues_its_own_events() -> None:
    """`copy.deepcopy` of a machine (a snapshot, e.g. to branch a test) gives an independent
    event queue: events of the copy never land in the original, nor the reverse."""
    machine = RealtimeSession()
    machine.connection_made(0.0)
    machine.data_to_send()
    machine.receive_message(b'{"type":"input_audio_buffer.speech_started","audio_start_ms":1}')
    twin = copy.deepcopy(machine)
    twin.receive_message(b'{"type":"input_audio_buffer.speech_stopped","audio_end_ms":2}')
    assert [e.type for e in machine.events()] == ["input_audio_buffer.speech_started"]
    assert [e.type for e in twin.events()] == [
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
    ]
