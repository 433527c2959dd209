"""Golden wire tests of `RealtimeSession` (Realtime GA voice sessions), driven by traces.

Each scenario is written once, as a script of trace records (DESIGN section 7): the socket
opening (``request``), the caller's commands (``app``: a `RealtimeSession` method, its
arguments and, when it matters, what it returns), the exact frames the machine must send
(``send``), the exact server frames it receives (``recv``), ``closed`` and ``timeout``. A
``recv`` frame is expected to reach the caller as a wire event unless the scenario marks it
stale (`Scenario.stale`: a delta of a cancelled response, a duplicated ``*.done``); what the
machine concludes (`ResponseFinished`, `ToolCall`, `RealtimeError`, ...) is listed with
`Scenario.expect`. ``tests/data/realtime/<scenario>.jsonl`` holds the rendered trace;
`test_trace_file_is_current` keeps it from drifting (regenerate with
``python tests/data/realtime/make_traces.py``) and `test_golden` drives a fresh machine FROM
the file (event ids from a deterministic counter named in the header): it runs the ``app``
records, feeds the ``recv`` records and compares every frame the machine sends, in position,
with the ``send`` records, then the machine's events with the scenario's list.

Every server frame validates against the ``openai`` SDK's ``RealtimeServerEvent`` union (no
undocumented top-level field; sessions, responses and items against their own models), every
client frame the machine sends against ``RealtimeClientEvent`` (and carries no ``null``).

A scenario that shows a machine bug encodes the CORRECT behaviour and carries ``bug=...``:
its golden test is a strict xfail until the machine is fixed.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pydantic
import pytest
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from openai.types.realtime.conversation_item import ConversationItem
from openai.types.realtime.realtime_response import RealtimeResponse
from openai.types.realtime.realtime_session_create_response import (
    RealtimeSessionCreateResponse,
)

from openai_sansio.protocol.events.common import ToolCall
from openai_sansio.protocol.realtime import RealtimeSession
from openai_sansio.protocol.realtime_session_events import (
    AudioDropped,
    ConversationRestored,
    RealtimeError,
    RealtimeUsage,
    ReconnectNeeded,
    ResponseFinished,
    RolloverNeeded,
)

TRACE_DIR = Path(__file__).parent / "data" / "realtime"
MODEL = "gpt-realtime"
URL = f"wss://api.openai.com/v1/realtime?model={MODEL}"
STARTED = "2026-11-23T00:00:00Z"
ROLLOVER_S = 55 * 60.0

_SERVER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)
_CLIENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)
_ITEM: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ConversationItem)

PCM = {"type": "audio/pcm", "rate": 24000}
PCMU = {"type": "audio/pcmu"}
VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 200,
    "idle_timeout_ms": None,
    "create_response": True,
    "interrupt_response": True,
}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}

# ----------------------------------------------------------------------------- the session

VOICE_SESSION: dict[str, Any] = {
    "model": MODEL,
    "output_modalities": ["audio"],
    "instructions": "Be brief.",
    "audio": {
        "input": {"format": PCM, "turn_detection": {"type": "server_vad"}},
        "output": {"format": PCM, "voice": "marin"},
    },
}
"""What the caller asks for (server VAD on): the machine's ``session`` argument."""

PUSH_TO_TALK: dict[str, Any] = {
    "model": MODEL,
    "output_modalities": ["audio"],
    "instructions": "Be brief.",
    "audio": {
        "input": {"format": PCM, "turn_detection": None},
        "output": {"format": PCM, "voice": "marin"},
    },
}
"""No turn detection: the client commits and interrupts by itself."""

TOOLS_SESSION: dict[str, Any] = {**VOICE_SESSION, "tools": [WEATHER_TOOL], "tool_choice": "auto"}


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        if key != "format" and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def effective_session(desired: dict[str, Any] | None = None, sid: str = "sess_1") -> dict:
    """The full session object a GA server reports: its defaults, then `desired` applied
    (``session.created`` carries the defaults, ``session.updated`` the caller's changes)."""
    base: dict[str, Any] = {
        "type": "realtime",
        "object": "realtime.session",
        "id": sid,
        "model": MODEL,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "expires_at": 1_763_859_600,
        "include": None,
        "audio": {
            "input": {
                "format": PCM,
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(VAD),
            },
            "output": {"format": PCM, "voice": "marin", "speed": 1.0},
        },
    }
    return _merge(base, dict(desired or {}))  # a partial turn_detection takes the defaults


# ----------------------------------------------------------------------------- server frames


def pcm_b64(ms: float, *, rate: int = 24000, width: int = 2) -> str:
    """`ms` of audio: 16-bit pcm (`width` 2) or G.711 (one byte per sample)."""
    sample = b"\x01\x00" if width == 2 else b"\x7f"
    return base64.b64encode(sample * round(ms * rate / 1000)).decode()


def user_audio(item_id: str, transcript: str | None = None, status: str = "completed") -> dict:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "user",
        "status": status,
        "content": [{"type": "input_audio", "transcript": transcript}],
    }


def user_text(item_id: str, text: str, role: str = "user") -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": role,
        "status": "completed",
        "content": [{"type": "input_text", "text": text}],
    }


def assistant_audio(item_id: str, status: str = "in_progress", transcript: str | None = None):
    content = [] if transcript is None else [{"type": "output_audio", "transcript": transcript}]
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def assistant_text(item_id: str, status: str = "in_progress", text: str | None = None):
    content = [] if text is None else [{"type": "output_text", "text": text}]
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "message",
        "role": "assistant",
        "status": status,
        "content": content,
    }


def call_item(item_id: str, call_id: str, arguments: str, status: str = "completed") -> dict:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call",
        "status": status,
        "call_id": call_id,
        "name": "get_weather",
        "arguments": arguments,
    }


def output_item(item_id: str, call_id: str, output: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": "realtime.item",
        "type": "function_call_output",
        "status": "completed",
        "call_id": call_id,
        "output": output,
    }


def added(item: dict[str, Any], previous: str | None) -> dict[str, Any]:
    return {"type": "conversation.item.added", "previous_item_id": previous, "item": item}


def item_done(item: dict[str, Any], previous: str | None) -> dict[str, Any]:
    return {"type": "conversation.item.done", "previous_item_id": previous, "item": item}


def usage(inp: int, out: int, *, audio_in: int = 0, cached: int = 0) -> dict[str, Any]:
    return {
        "total_tokens": inp + out,
        "input_tokens": inp,
        "output_tokens": out,
        "input_token_details": {
            "text_tokens": inp - audio_in,
            "audio_tokens": audio_in,
            "image_tokens": 0,
            "cached_tokens": cached,
            "cached_tokens_details": {"text_tokens": cached, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {"text_tokens": out // 4, "audio_tokens": out - out // 4},
    }


def response_obj(
    rid: str,
    status: str,
    *,
    output: list[dict[str, Any]] | None = None,
    conversation: str | None = "conv_1",
    modalities: tuple[str, ...] = ("audio",),
    metadata: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "realtime.response",
        "status": status,
        "status_details": details,
        "output": list(output or []),
        "conversation_id": conversation,
        "output_modalities": list(modalities),
        "max_output_tokens": "inf",
        "audio": {"output": {"format": PCM, "voice": "marin"}},
        "usage": usage,
        "metadata": metadata,
    }


class Resp:
    """The frames of one response `rid` (its items' ids are the caller's to choose)."""

    def __init__(
        self,
        rid: str,
        *,
        conversation: str | None = "conv_1",
        modalities: tuple[str, ...] = ("audio",),
        metadata: dict[str, str] | None = None,
        rate: int = 24000,
        width: int = 2,
    ) -> None:
        self.rid = rid
        self.conversation = conversation
        self.modalities = modalities
        self.metadata = metadata
        self.rate = rate
        self.width = width

    def _ev(self, type_: str, item_id: str, index: int = 0, **fields: Any) -> dict[str, Any]:
        return {
            "type": type_,
            "response_id": self.rid,
            "item_id": item_id,
            "output_index": index,
            **fields,
        }

    def created(self) -> dict[str, Any]:
        response = response_obj(
            self.rid,
            "in_progress",
            conversation=self.conversation,
            modalities=self.modalities,
            metadata=self.metadata,
        )
        return {"type": "response.created", "response": response}

    def item_added(self, item: dict[str, Any], index: int = 0) -> dict[str, Any]:
        return {
            "type": "response.output_item.added",
            "response_id": self.rid,
            "output_index": index,
            "item": item,
        }

    def item_done(self, item: dict[str, Any], index: int = 0) -> dict[str, Any]:
        return {
            "type": "response.output_item.done",
            "response_id": self.rid,
            "output_index": index,
            "item": item,
        }

    def part_added(self, item_id: str, kind: str = "audio", index: int = 0) -> dict[str, Any]:
        part = (
            {"type": "audio", "transcript": ""} if kind == "audio" else {"type": "text", "text": ""}
        )
        return self._ev("response.content_part.added", item_id, index, content_index=0, part=part)

    def part_done(self, item_id: str, said: str, kind: str = "audio", index: int = 0) -> dict:
        part = (
            {"type": "audio", "transcript": said}
            if kind == "audio"
            else {"type": "text", "text": said}
        )
        return self._ev("response.content_part.done", item_id, index, content_index=0, part=part)

    def audio(self, item_id: str, ms: float, index: int = 0) -> dict[str, Any]:
        delta = pcm_b64(ms, rate=self.rate, width=self.width)
        return self._ev("response.output_audio.delta", item_id, index, content_index=0, delta=delta)

    def audio_done(self, item_id: str, index: int = 0) -> dict[str, Any]:
        return self._ev("response.output_audio.done", item_id, index, content_index=0)

    def transcript(self, item_id: str, delta: str, index: int = 0) -> dict[str, Any]:
        return self._ev(
            "response.output_audio_transcript.delta", item_id, index, content_index=0, delta=delta
        )

    def transcript_done(self, item_id: str, said: str, index: int = 0) -> dict[str, Any]:
        return self._ev(
            "response.output_audio_transcript.done",
            item_id,
            index,
            content_index=0,
            transcript=said,
        )

    def text(self, item_id: str, delta: str, index: int = 0) -> dict[str, Any]:
        return self._ev("response.output_text.delta", item_id, index, content_index=0, delta=delta)

    def text_done(self, item_id: str, said: str, index: int = 0) -> dict[str, Any]:
        return self._ev("response.output_text.done", item_id, index, content_index=0, text=said)

    def args_delta(self, item_id: str, call_id: str, delta: str, index: int = 0) -> dict:
        return self._ev(
            "response.function_call_arguments.delta", item_id, index, call_id=call_id, delta=delta
        )

    def args_done(self, item_id: str, call_id: str, arguments: str, index: int = 0) -> dict:
        return self._ev(
            "response.function_call_arguments.done",
            item_id,
            index,
            call_id=call_id,
            name="get_weather",
            arguments=arguments,
        )

    def done(
        self,
        status: str = "completed",
        *,
        output: list[dict[str, Any]] | None = None,
        reason: str | None = None,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        details = None
        if reason is not None or error is not None:
            details = {"type": status, "reason": reason}
            if error is not None:
                details["error"] = error
        response = response_obj(
            self.rid,
            status,
            output=output,
            conversation=self.conversation,
            modalities=self.modalities,
            metadata=self.metadata,
            details=details,
            usage=usage,
        )
        return {"type": "response.done", "response": response}

    # whole stretches of a response

    def speak_start(self, item_id: str, previous: str | None, index: int = 0) -> list[dict]:
        """output_item.added + conversation.item.added + content_part.added of an audio item."""
        return [
            self.item_added(assistant_audio(item_id), index),
            added(assistant_audio(item_id), previous),
            self.part_added(item_id, "audio", index),
        ]

    def speak_end(self, item_id: str, said: str, previous: str | None, status: str = "completed"):
        """Every done of an audio item (the item and its conversation.item.done)."""
        final = assistant_audio(item_id, status, said)
        return [
            self.audio_done(item_id),
            self.transcript_done(item_id, said),
            self.part_done(item_id, said),
            self.item_done(final),
            item_done(final, previous),
        ]

    def call(self, item_id: str, call_id: str, arguments: str, previous: str | None, index=0):
        """A whole function call item: added, argument deltas, done, item done."""
        half = len(arguments) // 2
        return [
            self.item_added(call_item(item_id, call_id, "", "in_progress"), index),
            added(call_item(item_id, call_id, "", "in_progress"), previous),
            self.args_delta(item_id, call_id, arguments[:half], index),
            self.args_delta(item_id, call_id, arguments[half:], index),
            self.args_done(item_id, call_id, arguments, index),
            self.item_done(call_item(item_id, call_id, arguments), index),
            item_done(call_item(item_id, call_id, arguments), previous),
        ]


def session_created(sid: str = "sess_1") -> dict[str, Any]:
    return {"type": "session.created", "session": effective_session(None, sid)}


def session_updated(desired: dict[str, Any], sid: str = "sess_1") -> dict[str, Any]:
    return {"type": "session.updated", "session": effective_session(desired, sid)}


BUSY = (
    "Conversation already has an active response in progress: resp_vad. Wait until the "
    "response is finished before creating a new one."
)
EMPTY_COMMIT = (
    "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
    "audio, but buffer only has 0.00ms of audio."
)


def error_frame(code: str, message: str, event_id: str | None = None, **extra: Any) -> dict:
    error = {
        "type": extra.pop("type_", "invalid_request_error"),
        "code": code,
        "message": message,
        "param": extra.pop("param", None),
        "event_id": event_id,
    }
    return {"type": "error", "error": error}


def speech(kind: str, item_id: str, ms: int) -> dict[str, Any]:
    if kind == "started":
        return {
            "type": "input_audio_buffer.speech_started",
            "audio_start_ms": ms,
            "item_id": item_id,
        }
    return {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": ms, "item_id": item_id}


def committed(item_id: str, previous: str | None) -> dict[str, Any]:
    return {
        "type": "input_audio_buffer.committed",
        "item_id": item_id,
        "previous_item_id": previous,
    }


def transcribed(item_id: str, transcript: str) -> dict[str, Any]:
    return {
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": item_id,
        "content_index": 0,
        "transcript": transcript,
        "usage": {"type": "tokens", "total_tokens": 12, "input_tokens": 10, "output_tokens": 2},
    }


def user_turn(item_id: str, previous: str | None, at_ms: int) -> list[dict[str, Any]]:
    """A server VAD turn: speech started/stopped, committed, the user audio item."""
    return [
        speech("started", item_id, at_ms),
        speech("stopped", item_id, at_ms + 800),
        committed(item_id, previous),
        added(user_audio(item_id, status="in_progress"), previous),
        item_done(user_audio(item_id), previous),
    ]


def _walk_items(frame: dict[str, Any]) -> list[dict[str, Any]]:
    items = [frame["item"]] if isinstance(frame.get("item"), dict) else []
    response = frame.get("response")
    if isinstance(response, dict):
        items.extend(response.get("output") or [])
    return items


def validate_server_frame(frame: dict[str, Any]) -> None:
    """A server frame: SDK-valid, no undocumented top-level field, nested objects too."""
    model = _SERVER.validate_python(frame)
    unknown = set(frame) - set(type(model).model_fields)
    assert not unknown, (frame["type"], unknown)
    assert frame["event_id"].startswith("event_")
    if "session" in frame:
        RealtimeSessionCreateResponse.model_validate(frame["session"])
        assert set(frame["session"]) <= set(RealtimeSessionCreateResponse.model_fields)
    if "response" in frame:
        RealtimeResponse.model_validate(frame["response"])
        assert set(frame["response"]) <= set(RealtimeResponse.model_fields)
    for item in _walk_items(frame):
        _ITEM.validate_python(item)


# ----------------------------------------------------------------------------- client frames


def _nulls(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_nulls(v) for v in value.values())
    if isinstance(value, list):
        return any(_nulls(v) for v in value)
    return False


BETA_SESSION_KEYS = frozenset(
    {
        "modalities",
        "voice",
        "input_audio_format",
        "output_audio_format",
        "input_audio_transcription",
        "input_audio_noise_reduction",
        "turn_detection",
        "temperature",
        "max_response_output_tokens",
    }
)


def validate_client_frame(frame: dict[str, Any]) -> None:
    """A frame the machine sent: SDK-valid, no nulls except the ones that clear a setting
    (``turn_detection``/``noise_reduction``/``transcription`` are cleared with null), and a
    ``session.update`` in the GA shape (``session.type``, none of the beta keys)."""
    _CLIENT.validate_python(frame)
    checked = json.loads(json.dumps(frame))
    if frame["type"] == "session.update":
        session = frame["session"]
        assert session.get("type") == "realtime", frame
        assert not set(session) & BETA_SESSION_KEYS, frame
        for key in ("turn_detection", "noise_reduction", "transcription"):
            checked["session"].get("audio", {}).get("input", {}).pop(key, None)
    assert not _nulls(checked), frame


def session_update(event_id: str, session: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "session.update",
        "event_id": event_id,
        "session": {"type": "realtime", **session},
    }


def item_create(event_id: str, item: dict[str, Any], previous: str | None = None) -> dict:
    frame: dict[str, Any] = {"type": "conversation.item.create", "event_id": event_id, "item": item}
    if previous is not None:
        frame["previous_item_id"] = previous
    return frame


def response_create(event_id: str, **response: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "response.create", "event_id": event_id}
    if response:
        frame["response"] = response
    return frame


def cancel(event_id: str, response_id: str) -> dict[str, Any]:
    return {"type": "response.cancel", "event_id": event_id, "response_id": response_id}


def truncate(event_id: str, item_id: str, audio_end_ms: int) -> dict[str, Any]:
    return {
        "type": "conversation.item.truncate",
        "event_id": event_id,
        "item_id": item_id,
        "content_index": 0,
        "audio_end_ms": audio_end_ms,
    }


def delete(event_id: str, item_id: str) -> dict[str, Any]:
    return {"type": "conversation.item.delete", "event_id": event_id, "item_id": item_id}


def append(audio: bytes) -> dict[str, Any]:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(audio).decode()}


def text_msg(text: str, role: str = "user") -> dict[str, Any]:
    return {"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}


def restored_text(item_id: str, text: str, role: str = "user") -> dict[str, Any]:
    kind = "output_text" if role == "assistant" else "input_text"
    return {
        "type": "message",
        "id": item_id,
        "role": role,
        "content": [{"type": kind, "text": text}],
    }


def b(data: bytes) -> dict[str, str]:
    """A bytes argument of an ``app`` record."""
    return {"$b64": base64.b64encode(data).decode()}


# ----------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    description: str
    session: dict[str, Any] = field(default_factory=lambda: dict(VOICE_SESSION))
    machine: dict[str, Any] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    check: Callable[[RealtimeSession], None] | None = None
    bug: str | None = None
    """A machine bug this scenario shows (its golden test is a strict xfail)."""
    t: float = 0.0
    _ids: int = 0
    _server: int = 0

    # ids the machine will use, in the order it takes them from its factory
    def eid(self) -> str:
        self._ids += 1
        return f"evt_{self._ids}"

    def iid(self) -> str:
        self._ids += 1
        return f"item_{self._ids}"

    def _add(self, record: dict[str, Any]) -> Scenario:
        self.records.append({"t": round(self.t, 6), **record})
        self.t = round(self.t + 0.01, 6)
        return self

    def at(self, t: float) -> Scenario:
        self.t = t
        return self

    def connect(self) -> Scenario:
        """The socket opens: no OpenAI-Beta header (GA)."""
        return self._add(
            {
                "op": "request",
                "method": "GET",
                "url": URL,
                "headers": {"authorization": "<redacted>"},
            }
        )

    def app(self, call: str, returns: Any = None, **args: Any) -> Scenario:
        record: dict[str, Any] = {"op": "app", "call": call, "args": args}
        if returns is not None:
            record["returns"] = returns
        return self._add(record)

    def send(self, *frames: dict[str, Any]) -> Scenario:
        for frame in frames:
            self._add({"op": "send", "msg": frame})
        return self

    def _recv(self, frame: dict[str, Any]) -> None:
        self._server += 1
        self._add(
            {
                "op": "recv",
                "msg": {"type": frame["type"], "event_id": f"event_{self._server}", **frame},
            }
        )

    def recv(self, *frames: dict[str, Any]) -> Scenario:
        """Server frames that reach the caller as wire events."""
        for frame in frames:
            self._recv(frame)
            self.events.append(ev(frame["type"]))
        return self

    def stale(self, *frames: dict[str, Any]) -> Scenario:
        """Server frames the machine must drop (never reach the caller)."""
        for frame in frames:
            self._recv(frame)
        return self

    def closed(self, code: int = 1006) -> Scenario:
        return self._add({"op": "closed", "code": code})

    def timeout(self) -> Scenario:
        return self._add({"op": "timeout"})

    def expect(self, *events: tuple[Any, ...]) -> Scenario:
        self.events.extend(events)
        return self

    def opened(self, desired: dict[str, Any] | None = None) -> Scenario:
        """connect + the session.update the machine sends first + session.created/updated."""
        desired = self.session if desired is None else desired
        self.connect().send(session_update(self.eid(), desired))
        return self.recv(session_created(), session_updated(desired))

    def trace(self) -> list[dict[str, Any]]:
        header = {
            "v": 1,
            "kind": "header",
            "api": "realtime",
            "config": {"session": self.session, "machine": self.machine, "ids": "evt_"},
            "started": STARTED,
            "scenario": self.name,
            "description": self.description,
        }
        return [header, *self.records]


# Summaries of what the machine hands out (what the scenarios list).


def ev(type_: str) -> tuple[Any, ...]:
    return ("ev", type_)


def finished(
    rid: str,
    status: str = "completed",
    reason: str | None = None,
    *,
    transcript: str = "",
    text: str = "",
    oob: bool = False,
    error: str | None = None,
    tokens: int = 0,
    metadata: dict[str, str] | None = None,
) -> tuple[Any, ...]:
    return ("finished", rid, status, reason, transcript, text, oob, error, tokens, metadata)


def err(
    code: str,
    classification: str,
    event_id: str | None = None,
    event_type: str | None = None,
    *,
    handled: bool = False,
) -> tuple[Any, ...]:
    return ("error", code, classification, event_id, event_type, handled)


def call(call_id: str, arguments: str, parsed: Any, problem: str | None = None):
    return ("call", call_id, "get_weather", arguments, parsed, problem)


def reconnect(reason: str, code: str | None = None) -> tuple[Any, ...]:
    return ("reconnect", reason, code)


def restored(items: int, connection: int) -> tuple[Any, ...]:
    return ("restored", items, connection)


ROLLOVER = ("rollover", "session_age")


def summarize(event: Any) -> tuple[Any, ...]:
    if isinstance(event, ResponseFinished):
        return finished(
            event.response_id,
            event.status,
            event.reason,
            transcript=event.transcript,
            text=event.text,
            oob=event.out_of_band,
            error=event.error.code if event.error else None,
            tokens=event.usage.total_tokens,
            metadata=event.metadata,
        )
    if isinstance(event, ToolCall):
        return (
            "call",
            event.call_id,
            event.name,
            event.arguments,
            event.parsed,
            event.problem.kind if event.problem else None,
        )
    if isinstance(event, RealtimeError):
        return err(
            event.error.code or "",
            event.error.classification or "",
            event.client_event_id,
            event.client_event_type,
            handled=event.handled,
        )
    if isinstance(event, AudioDropped):
        return ("audio_dropped", event.dropped_ms, event.total_dropped_ms)
    if isinstance(event, RolloverNeeded):
        return ("rollover", event.reason)
    if isinstance(event, ReconnectNeeded):
        return reconnect(event.reason, event.error.code if event.error else None)
    if isinstance(event, ConversationRestored):
        return restored(event.items, event.connection)
    kind = getattr(event, "type", None)
    if isinstance(kind, str):
        return ev(kind)
    raise AssertionError(f"unexpected machine event {event!r}")


# ----------------------------------------------------------------------------- the driver


def load_trace(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def machine_from_header(header: dict[str, Any]) -> RealtimeSession:
    assert header["v"] == 1 and header["kind"] == "header" and header["api"] == "realtime"
    config = header["config"]
    numbers = itertools.count(1)
    prefix = config["ids"]
    return RealtimeSession(
        config["session"], ids=lambda: f"{prefix}{next(numbers)}", **config["machine"]
    )


def _arg(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$b64"}:
        return base64.b64decode(value["$b64"])
    return value


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value) if isinstance(value, msgspec.Struct) else value


@dataclass
class Run:
    machine: RealtimeSession
    events: list[Any]
    sent: list[dict[str, Any]]


def drive(records: list[dict[str, Any]]) -> Run:
    """Drive a fresh machine from trace records; every frame it sends must be the next
    ``send`` record, before any other record."""
    machine = machine_from_header(records[0])
    events: list[Any] = []
    sent: list[dict[str, Any]] = []
    pending: deque[dict[str, Any]] = deque()

    def settle() -> None:
        events.extend(machine.events())
        for raw in machine.data_to_send():
            frame = json.loads(raw)
            validate_client_frame(frame)
            pending.append(frame)
            sent.append(frame)
        events.extend(machine.events())

    for number, record in enumerate(records[1:], 2):
        op = record["op"]
        if op == "send":
            assert pending, f"line {number}: the trace expects {record['msg']}, nothing was sent"
            got = pending.popleft()
            assert got == record["msg"], f"line {number}: sent {got}"
            continue
        assert not pending, f"line {number}: unexpected frame(s) sent: {list(pending)}"
        if op == "request":
            assert not any(k.lower() == "openai-beta" for k in record["headers"])
            machine.connection_made(record["t"])
        elif op == "app":
            args = {key: _arg(value) for key, value in record["args"].items()}
            result = getattr(machine, record["call"])(**args)
            if "returns" in record:
                assert _plain(result) == record["returns"], f"line {number}: returned {result!r}"
        elif op == "recv":
            machine.receive_message(json.dumps(record["msg"]))
        elif op == "closed":
            machine.connection_lost()
        elif op == "timeout":
            machine.handle_timeout(record["t"])
        else:
            raise AssertionError(f"line {number}: unknown op {op!r}")
        settle()
    assert not pending, f"unexpected frame(s) sent at the end: {list(pending)}"
    return Run(machine, events, sent)


def interruption(
    item_id: str | None,
    *,
    played: int = 0,
    received: int = 0,
    cancelled: bool = False,
    truncated: bool = False,
    deleted: bool = False,
    response_id: str | None = None,
) -> dict[str, Any]:
    """What `interrupt()` returns, as builtins."""
    return {
        "item_id": item_id,
        "content_index": 0,
        "played_ms": played,
        "received_ms": received,
        "cancelled": cancelled,
        "truncated": truncated,
        "deleted": deleted,
        "response_id": response_id,
    }


# ----------------------------------------------------------------------------- the scenarios


def scenario_session_update_first() -> Scenario:
    s = Scenario(
        "session_update_first",
        "the first frame on a socket is session.update in the GA shape (session.type "
        "'realtime', audio.input/output format objects, no beta keys, no OpenAI-Beta header); "
        "what the caller queued before the socket opened follows it; update_session sends only "
        "the changed fields",
    )
    item, e_item, e_create = s.iid(), s.eid(), s.eid()
    s.app("send_text", returns=item, text="Hi there")  # no socket yet: nothing is sent
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(e_item, {**text_msg("Hi there"), "id": item}),
        response_create(e_create),
    )
    s.recv(session_created(), session_updated(s.session))
    s.recv(added(user_text(item, "Hi there"), None), item_done(user_text(item, "Hi there"), None))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", item))
    s.recv(r.transcript("a1", "Hello!"), r.audio("a1", 200))
    final = assistant_audio("a1", "completed", "Hello!")
    s.recv(*r.speak_end("a1", "Hello!", item), r.done(output=[final], usage=usage(40, 20)))
    s.expect(finished("resp_1", transcript="Hello!", tokens=60))
    e_update = s.eid()
    s.app("update_session", returns=e_update, instructions="Be very brief.")
    s.send(session_update(e_update, {"instructions": "Be very brief."}))
    s.recv(session_updated({**s.session, "instructions": "Be very brief."}))

    def check(m: RealtimeSession) -> None:
        assert m.desired["instructions"] == "Be very brief."
        assert m.idle and m.session["instructions"] == "Be very brief."

    s.check = check
    return s


def scenario_mirror_order() -> Scenario:
    s = Scenario(
        "mirror_order",
        "the conversation mirror is ordered by previous_item_id, not by arrival: an item that "
        "arrives before its predecessor, a client insert mid-conversation, a deletion; the "
        "restore on the next socket shows the order (same ids, previous_item_id chained)",
    )
    s.opened()
    s.recv(added(user_text("u1", "What is the capital of France?"), None))
    s.recv(added(assistant_text("a1", "completed", "Paris."), "u1"))
    s.recv(added(assistant_text("a2", "completed", "About two million."), "u2"))  # early
    s.recv(added(user_text("u2", "How many people live there?"), "a1"))
    ctx, e = s.iid(), s.eid()
    note = text_msg("The user is in Lyon.", "system")
    s.app("send_item", returns=ctx, item=note, previous_item_id="u1")
    s.send(item_create(e, {**note, "id": ctx}, previous="u1"))
    s.recv(added(user_text(ctx, "The user is in Lyon.", "system"), "u1"))
    e_del = s.eid()
    s.app("delete_item", returns=e_del, item_id="a1")
    s.send(delete(e_del, "a1"))
    s.recv({"type": "conversation.item.deleted", "item_id": "a1"})
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "What is the capital of France?")),
        item_create(s.eid(), restored_text(ctx, "The user is in Lyon.", "system"), "u1"),
        item_create(s.eid(), restored_text("u2", "How many people live there?"), ctx),
        item_create(s.eid(), restored_text("a2", "About two million.", "assistant"), "u2"),
    )
    s.expect(restored(4, 2))
    return s


def scenario_mirror_root_insert() -> Scenario:
    s = Scenario(
        "mirror_root_insert",
        "an item created with previous_item_id 'root' goes first; the server's echo says "
        "previous_item_id null (nothing precedes it), which the mirror must read as 'first', "
        "not 'unknown, append': the restore order shows it",
    )
    s.opened()
    s.recv(added(user_text("u1", "Hello"), None))
    s.recv(added(assistant_text("a1", "completed", "Hi!"), "u1"))
    sys_id, e = s.iid(), s.eid()
    note = text_msg("Always answer in French.", "system")
    s.app("send_item", returns=sys_id, item=note, previous_item_id="root")
    s.send(item_create(e, {**note, "id": sys_id}, previous="root"))
    s.recv(added(user_text(sys_id, "Always answer in French.", "system"), None))
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text(sys_id, "Always answer in French.", "system")),
        item_create(s.eid(), restored_text("u1", "Hello"), sys_id),
        item_create(s.eid(), restored_text("a1", "Hi!", "assistant"), "u1"),
    )
    s.expect(restored(3, 2))
    return s


PCMU_SESSION: dict[str, Any] = {
    **VOICE_SESSION,
    "audio": {
        "input": {"format": PCMU, "turn_detection": {"type": "server_vad"}},
        "output": {"format": PCMU, "voice": "marin"},
    },
}


def scenario_audio_samples() -> Scenario:
    s = Scenario(
        "audio_samples",
        "audio received is counted per (item, content index) in samples of the session's "
        "output format (G.711: 8 kHz, one byte per sample, read from session.updated); an "
        "interruption's played samples and ms use that rate",
        session=PCMU_SESSION,
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000))
    r1 = Resp("resp_1", rate=8000, width=1)
    s.recv(r1.created(), *r1.speak_start("a1", "u1"))
    s.recv(r1.transcript("a1", "Sure, "), r1.audio("a1", 300), r1.audio("a1", 200))
    s.recv(r1.transcript("a1", "here it is."))
    final = assistant_audio("a1", "completed", "Sure, here it is.")
    s.recv(*r1.speak_end("a1", "Sure, here it is.", "u1"), r1.done(output=[final]))
    s.expect(finished("resp_1", transcript="Sure, here it is."))
    s.recv(*user_turn("u2", "a1", 4000))
    r2 = Resp("resp_2", rate=8000, width=1)
    s.recv(r2.created(), *r2.speak_start("a2", "u2"), r2.audio("a2", 120))
    s.recv(speech("started", "u3", 6000))
    s.app(
        "interrupt",
        returns=interruption("a2", played=60, received=120, truncated=True, response_id="resp_2"),
        played_samples=480,
    )
    s.send(truncate(s.eid(), "a2", 60))

    def check(m: RealtimeSession) -> None:
        first, second = m.mirror.get("a1"), m.mirror.get("a2")
        assert first is not None and second is not None
        assert first.audio_samples == {0: 4000} and second.audio_samples == {0: 960}

    s.check = check
    return s


def _story(s: Scenario) -> tuple[str, Resp]:
    """Push-to-talk: the user types, the model starts telling a story (500 ms received)."""
    s.opened()
    item, e_item, e_create = s.iid(), s.eid(), s.eid()
    s.app("send_text", returns=item, text="Tell me a story.")
    s.send(
        item_create(e_item, {**text_msg("Tell me a story."), "id": item}), response_create(e_create)
    )
    s.recv(added(user_text(item, "Tell me a story."), None))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", item))
    s.recv(r.transcript("a1", "Once upon "), r.audio("a1", 300))
    s.recv(r.transcript("a1", "a time "), r.audio("a1", 200))
    return item, r


def scenario_interrupt_cancel_truncate() -> Scenario:
    s = Scenario(
        "interrupt_cancel_truncate",
        "without server VAD, interrupt() sends response.cancel (a response is active) then "
        "conversation.item.truncate at the played position; the deltas still in flight are "
        "dropped, every done settles the response",
        session=PUSH_TO_TALK,
    )
    item, r = _story(s)
    result = interruption(
        "a1", played=320, received=500, cancelled=True, truncated=True, response_id="resp_1"
    )
    e_cancel, e_truncate = s.eid(), s.eid()
    s.app("interrupt", returns=result, played_ms=320)
    s.send(cancel(e_cancel, "resp_1"), truncate(e_truncate, "a1", 320))
    s.stale(r.audio("a1", 200), r.transcript("a1", "there was "))
    said = "Once upon a time there was"
    s.recv(*r.speak_end("a1", said, item, status="incomplete"))
    final = assistant_audio("a1", "incomplete", said)
    s.recv(r.done("cancelled", reason="client_cancelled", output=[final]))
    s.expect(finished("resp_1", "cancelled", "client_cancelled", transcript="Once upon a time "))
    s.recv(
        {
            "type": "conversation.item.truncated",
            "item_id": "a1",
            "content_index": 0,
            "audio_end_ms": 320,
        }
    )

    def check(m: RealtimeSession) -> None:
        a1 = m.mirror.get("a1")
        assert a1 is not None and a1.audio_samples == {0: 12000} and a1.truncated_ms == 320
        assert m.stale_dropped == 2 and m.active_response is None and m.idle

    s.check = check
    return s


def scenario_interrupt_server_vad() -> Scenario:
    s = Scenario(
        "interrupt_server_vad",
        "server VAD with interrupt_response reported speech_started during the response: it "
        "cancels by itself, so interrupt() sends only the truncate (no response.cancel)",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", "u1"))
    s.recv(r.transcript("a1", "The weather today "), r.audio("a1", 400))
    s.recv(speech("started", "u2", 3000))
    result = interruption("a1", played=250, received=400, truncated=True, response_id="resp_1")
    e = s.eid()
    s.app("interrupt", returns=result, played_ms=250)
    s.send(truncate(e, "a1", 250))
    s.stale(r.audio("a1", 100))
    said = "The weather today is"
    s.recv(*r.speak_end("a1", said, "u1", status="incomplete"))
    final = assistant_audio("a1", "incomplete", said)
    s.recv(r.done("cancelled", reason="turn_detected", output=[final]))
    s.expect(finished("resp_1", "cancelled", "turn_detected", transcript="The weather today "))
    s.recv(
        {
            "type": "conversation.item.truncated",
            "item_id": "a1",
            "content_index": 0,
            "audio_end_ms": 250,
        }
    )
    s.recv(speech("stopped", "u2", 3800))

    def check(m: RealtimeSession) -> None:
        assert m.active_response is None and m.stale_dropped == 1

    s.check = check
    return s


def scenario_interrupt_nothing_played() -> Scenario:
    s = Scenario(
        "interrupt_nothing_played",
        "nothing of the item was played: it is deleted (conversation.item.delete), not "
        "truncated at 0; the response is cancelled first",
        session=PUSH_TO_TALK,
    )
    item, r = _story(s)
    result = interruption(
        "a1", played=0, received=500, cancelled=True, deleted=True, response_id="resp_1"
    )
    e_cancel, e_delete = s.eid(), s.eid()
    s.app("interrupt", returns=result, played_ms=0)
    s.send(cancel(e_cancel, "resp_1"), delete(e_delete, "a1"))
    said = "Once upon a time"
    s.recv(*r.speak_end("a1", said, item, status="incomplete"))
    final = assistant_audio("a1", "incomplete", said)
    s.recv(r.done("cancelled", reason="client_cancelled", output=[final]))
    s.expect(finished("resp_1", "cancelled", "client_cancelled", transcript="Once upon a time "))
    s.recv({"type": "conversation.item.deleted", "item_id": "a1"})

    def check(m: RealtimeSession) -> None:
        assert "a1" not in m.mirror and item in m.mirror

    s.check = check
    return s


def scenario_interrupt_played_beyond_received() -> Scenario:
    s = Scenario(
        "interrupt_played_beyond_received",
        "after the response is done: a barge-in truncates at the played position without a "
        "cancel; a played position beyond the audio received is clamped to it, and when "
        "everything received was heard nothing is sent",
        session=PUSH_TO_TALK,
    )
    s.opened()
    r1 = Resp("resp_1")
    for n, (r, item_id, ms) in enumerate(((r1, "a1", 300), (Resp("resp_2"), "a2", 200)), 1):
        e = s.eid()
        s.app("create_response", returns=e)
        s.send(response_create(e))
        previous = None if n == 1 else "a1"
        s.recv(r.created(), *r.speak_start(item_id, previous), r.audio(item_id, ms))
        s.recv(r.transcript(item_id, "Done."), *r.speak_end(item_id, "Done.", previous))
        s.recv(r.done(output=[assistant_audio(item_id, "completed", "Done.")]))
        s.expect(finished(r.rid, transcript="Done."))
        if n == 1:
            result = interruption(
                "a1", played=150, received=300, truncated=True, response_id="resp_1"
            )
            e = s.eid()
            s.app("interrupt", returns=result, played_ms=150)
            s.send(truncate(e, "a1", 150))
        else:
            result = interruption("a2", played=200, received=200, response_id="resp_2")
            s.app("interrupt", returns=result, played_ms=900)  # nothing to tell the server
    return s


def scenario_interrupt_all_received_played_while_active() -> Scenario:
    s = Scenario(
        "interrupt_all_received_played_while_active",
        "the response is still active and the caller played everything received (playback "
        "starved): the server has generated more than the client got, so the item is "
        "truncated at the audio received (clamped), not left whole",
        session=PUSH_TO_TALK,
    )
    item, r = _story(s)
    result = interruption(
        "a1", played=500, received=500, cancelled=True, truncated=True, response_id="resp_1"
    )
    e_cancel, e_truncate = s.eid(), s.eid()
    s.app("interrupt", returns=result, played_ms=800)
    s.send(cancel(e_cancel, "resp_1"), truncate(e_truncate, "a1", 500))
    s.stale(r.audio("a1", 300))
    said = "Once upon a time there was"
    s.recv(*r.speak_end("a1", said, item, status="incomplete"))
    s.recv(
        r.done(
            "cancelled",
            reason="client_cancelled",
            output=[assistant_audio("a1", "incomplete", said)],
        )
    )
    s.expect(finished("resp_1", "cancelled", "client_cancelled", transcript="Once upon a time "))
    return s


def scenario_cancel_before_created() -> Scenario:
    s = Scenario(
        "cancel_before_created",
        "interrupt() while the response.create is in flight (no response.created yet): nothing "
        "to cancel yet; the response.cancel goes out when response.created arrives, and that "
        "response's deltas are dropped; the next response.create is not held back",
        session=PUSH_TO_TALK,
    )
    s.opened()
    e = s.eid()
    s.app("create_response", returns=e)
    s.send(response_create(e))
    s.app("interrupt", returns=interruption(None, cancelled=True), played_ms=0)
    r = Resp("resp_1")
    s.recv(r.created())
    s.send(cancel(s.eid(), "resp_1"))
    s.recv(r.item_added(assistant_audio("a1")), added(assistant_audio("a1"), None))
    s.stale(r.audio("a1", 100), r.transcript("a1", "Well"))
    s.recv(r.done("cancelled", reason="client_cancelled"))
    s.expect(finished("resp_1", "cancelled", "client_cancelled"))
    e2 = s.eid()
    s.app("create_response", returns=e2)
    s.send(response_create(e2))
    r2 = Resp("resp_2")
    s.recv(r2.created(), r2.done())
    s.expect(finished("resp_2"))
    return s


def scenario_stale_deltas_dropped() -> Scenario:
    s = Scenario(
        "stale_deltas_dropped",
        "after a cancel every delta of that response (audio, transcript, text, function "
        "arguments) is dropped by response_id while its dones still settle it; deltas of the "
        "next response pass",
        session=PUSH_TO_TALK,
    )
    item, r = _story(s)
    e = s.eid()
    s.app("cancel_response", returns=e)
    s.send(cancel(e, "resp_1"))
    s.stale(r.audio("a1", 200), r.transcript("a1", "there "))
    s.recv(r.item_added(call_item("fc1", "call_1", "", "in_progress"), 1))
    s.stale(r.args_delta("fc1", "call_1", '{"ci', 1))
    s.recv(*r.speak_end("a1", "Once upon a time there", item, status="incomplete"))
    s.recv(r.done("cancelled", reason="client_cancelled"))
    s.expect(finished("resp_1", "cancelled", "client_cancelled", transcript="Once upon a time "))
    e2 = s.eid()
    s.app("create_response", returns=e2, output_modalities=["text"])
    s.send(response_create(e2, output_modalities=["text"]))
    r2 = Resp("resp_2", modalities=("text",))
    s.recv(r2.created(), r2.item_added(assistant_text("t2")), r2.part_added("t2", "text"))
    s.recv(r2.text("t2", "The end"))
    e3 = s.eid()
    s.app("cancel_response", returns=e3)
    s.send(cancel(e3, "resp_2"))
    s.stale(r2.text("t2", " of the story."))
    s.recv(r2.done("cancelled", reason="client_cancelled"))
    s.expect(finished("resp_2", "cancelled", "client_cancelled", text="The end"))
    e4 = s.eid()
    s.app("create_response", returns=e4)
    s.send(response_create(e4))
    r3 = Resp("resp_3")
    s.recv(
        r3.created(), *r3.speak_start("a3", "a1"), r3.transcript("a3", "Bye."), r3.audio("a3", 100)
    )
    s.recv(r3.done())
    s.expect(finished("resp_3", transcript="Bye."))

    def check(m: RealtimeSession) -> None:
        assert m.stale_dropped == 4

    s.check = check
    return s


def scenario_duplicated_dones() -> Scenario:
    s = Scenario(
        "duplicated_dones",
        "every *.done of a response item (audio, transcript, content part, output item, "
        "arguments) reaches the caller once even when the server repeats it",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", "u1"), r.transcript("a1", "Hi."), r.audio("a1", 100))
    said = "Hi."
    final = assistant_audio("a1", "completed", said)
    for frame in (
        r.audio_done("a1"),
        r.transcript_done("a1", said),
        r.part_done("a1", said),
        r.item_done(final),
    ):
        s.recv(frame).stale(frame)
    s.recv(item_done(final, "u1"))
    s.recv(r.done(output=[final]))
    s.expect(finished("resp_1", transcript="Hi."))
    return s


def scenario_duplicated_response_done() -> Scenario:
    s = Scenario(
        "duplicated_response_done",
        "a repeated response.done is finalised once too: one ResponseFinished, usage counted "
        "once, and it does not stand for the response.created of a create in flight (the "
        "caller's next create still waits for it)",
        session=PUSH_TO_TALK,
    )
    s.opened()
    r1 = Resp("resp_1")
    e1 = s.eid()
    s.app("create_response", returns=e1)
    s.send(response_create(e1))
    s.recv(r1.created(), r1.done(usage=usage(20, 10)))
    s.expect(finished("resp_1", tokens=30))
    e2 = s.eid()
    s.app("create_response", returns=e2)
    s.send(response_create(e2))
    s.stale(r1.done(usage=usage(20, 10)))
    e3 = s.eid()
    s.app("create_response", returns=e3)  # resp_2 not created yet: waits
    r2 = Resp("resp_2")
    s.recv(r2.created(), r2.done(usage=usage(5, 5)))
    s.expect(finished("resp_2", tokens=10))
    s.send(response_create(e3))

    def check(m: RealtimeSession) -> None:
        assert m.usage.total_tokens == 40

    s.check = check
    return s


def scenario_done_without_created() -> Scenario:
    s = Scenario(
        "done_without_created",
        "a response.done whose response.created never came (the server cancelled it during "
        "an interruption) ends that response and frees the create in flight",
    )
    s.opened()
    e = s.eid()
    s.app("create_response", returns=e)
    s.send(response_create(e))
    s.recv(speech("started", "u1", 500))
    s.recv(Resp("resp_1").done("cancelled", reason="turn_detected"))
    s.expect(finished("resp_1", "cancelled", "turn_detected"))
    s.recv(speech("stopped", "u1", 1500), committed("u1", None))
    s.recv(added(user_audio("u1", status="in_progress"), None), item_done(user_audio("u1"), None))
    r2 = Resp("resp_2")
    s.recv(
        r2.created(), *r2.speak_start("a2", "u1"), r2.transcript("a2", "Yes?"), r2.audio("a2", 100)
    )
    s.recv(r2.done(output=[assistant_audio("a2", "completed", "Yes?")]))
    s.expect(finished("resp_2", transcript="Yes?"))
    e2 = s.eid()
    s.app("create_response", returns=e2)  # nothing stuck in flight
    s.send(response_create(e2))
    return s


PARIS = '{"city":"Paris"}'


def _asks_weather(s: Scenario, r: Resp) -> None:
    """A server VAD turn whose response calls get_weather (call_1, item fc1) and ends."""
    s.recv(*user_turn("u1", None, 1000), r.created())
    frames = r.call("fc1", "call_1", PARIS, "u1")
    s.recv(*frames[:5]).expect(call("call_1", PARIS, {"city": "Paris"})).recv(*frames[5:])
    s.recv(r.done(output=[call_item("fc1", "call_1", PARIS)]))
    s.expect(finished(r.rid))


def _output(s: Scenario, call_id: str, output: str) -> tuple[str, dict[str, Any]]:
    item_id, e = s.iid(), s.eid()
    s.app("submit_tool_output", returns=item_id, call_id=call_id, output=output)
    frame = item_create(
        e, {"type": "function_call_output", "call_id": call_id, "output": output, "id": item_id}
    )
    return item_id, frame


def scenario_function_calls_once() -> Scenario:
    s = Scenario(
        "function_calls_once",
        "each function call surfaces once (at its arguments' done; not again at "
        "output_item.done, conversation.item.done, a repeated done or response.done), with "
        "its arguments parsed; arguments that are not JSON surface as a typed problem",
        session=TOOLS_SESSION,
    )
    s.opened()
    r = Resp("resp_1")
    s.recv(*user_turn("u1", None, 1000), r.created())
    first = r.call("fc1", "call_1", PARIS, "u1")
    s.recv(*first[:5]).expect(call("call_1", PARIS, {"city": "Paris"})).recv(*first[5:])
    s.stale(first[4])  # the arguments' done again
    bad = '{"city": "Par'
    second = r.call("fc2", "call_2", bad, "fc1", index=1)
    s.recv(*second[:5]).expect(call("call_2", bad, None, "invalid_json")).recv(*second[5:])
    calls = [call_item("fc1", "call_1", PARIS), call_item("fc2", "call_2", bad)]
    s.recv(r.done(output=calls))
    s.expect(finished("resp_1"))
    return s


def scenario_tool_outputs_one_followup() -> Scenario:
    s = Scenario(
        "tool_outputs_one_followup",
        "two calls in one response: an output submitted while the response is active goes "
        "in as an item only; after response.done and the last output, exactly ONE "
        "response.create follows (with the machine's follow-up options), never one per output",
        session=TOOLS_SESSION,
        machine={"followup": {"metadata": {"source": "tools"}}},
    )
    s.opened()
    r = Resp("resp_1")
    s.recv(*user_turn("u1", None, 1000), r.created())
    first = r.call("fc1", "call_1", PARIS, "u1")
    s.recv(*first[:5]).expect(call("call_1", PARIS, {"city": "Paris"})).recv(*first[5:])
    lyon = '{"city":"Lyon"}'
    second = r.call("fc2", "call_2", lyon, "fc1", index=1)
    s.recv(*second[:5]).expect(call("call_2", lyon, {"city": "Lyon"})).recv(*second[5:])
    o1, frame = _output(s, "call_1", "18C sunny")
    s.send(frame)  # the response is still active: no response.create
    s.recv(added(output_item(o1, "call_1", "18C sunny"), "fc2"))
    s.recv(r.done(output=[call_item("fc1", "call_1", PARIS), call_item("fc2", "call_2", lyon)]))
    s.expect(finished("resp_1"))  # call_2 unanswered: still nothing
    o2, frame = _output(s, "call_2", "15C rain")
    s.send(frame, response_create(s.eid(), metadata={"source": "tools"}))
    s.recv(added(output_item(o2, "call_2", "15C rain"), o1))
    r2 = Resp("resp_2", metadata={"source": "tools"})
    s.recv(r2.created(), *r2.speak_start("a2", o2), r2.transcript("a2", "Sunny in Paris."))
    s.recv(
        r2.audio("a2", 100), r2.done(output=[assistant_audio("a2", "completed", "Sunny in Paris.")])
    )
    s.expect(finished("resp_2", transcript="Sunny in Paris.", metadata={"source": "tools"}))

    def check(m: RealtimeSession) -> None:
        assert m.idle

    s.check = check
    return s


def scenario_vad_race_outputs_consumed() -> Scenario:
    s = Scenario(
        "vad_race_outputs_consumed",
        "the follow-up races a server VAD response that started after the server held the "
        "output: conversation_already_has_active_response for the follow-up is handled (tied "
        "to its event_id) and no second follow-up is sent, that response read the outputs",
        session=TOOLS_SESSION,
    )
    s.opened()
    _asks_weather(s, Resp("resp_1"))
    o1, frame = _output(s, "call_1", "18C")
    e = s.eid()
    s.send(frame, response_create(e))
    s.recv(
        added(output_item(o1, "call_1", "18C"), "fc1"),
        item_done(output_item(o1, "call_1", "18C"), "fc1"),
    )
    rv = Resp("resp_vad")
    s.recv(*user_turn("u2", o1, 5000), rv.created())
    s.recv(error_frame("conversation_already_has_active_response", BUSY, e))
    s.expect(
        err(
            "conversation_already_has_active_response",
            "retryable",
            e,
            "response.create",
            handled=True,
        )
    )
    s.recv(*rv.speak_start("av", "u2"), rv.transcript("av", "It is 18C."), rv.audio("av", 100))
    s.recv(rv.done(output=[assistant_audio("av", "completed", "It is 18C.")]))
    s.expect(finished("resp_vad", transcript="It is 18C."))

    def check(m: RealtimeSession) -> None:
        assert m.idle

    s.check = check
    return s


def scenario_vad_race_outputs_not_consumed() -> Scenario:
    s = Scenario(
        "vad_race_outputs_not_consumed",
        "the server VAD response started before the server held the output (its "
        "conversation.item.added came after response.created): the refused follow-up is owed "
        "again and goes out, once, after that response's done",
        session=TOOLS_SESSION,
    )
    s.opened()
    _asks_weather(s, Resp("resp_1"))
    o1, frame = _output(s, "call_1", "18C")
    e = s.eid()
    s.send(frame, response_create(e))
    rv = Resp("resp_vad")
    s.recv(*user_turn("u2", "fc1", 5000), rv.created())
    s.recv(added(output_item(o1, "call_1", "18C"), "u2"))
    s.recv(error_frame("conversation_already_has_active_response", BUSY, e))
    s.expect(
        err(
            "conversation_already_has_active_response",
            "retryable",
            e,
            "response.create",
            handled=True,
        )
    )
    s.recv(*rv.speak_start("av", o1), rv.transcript("av", "One moment."), rv.audio("av", 100))
    s.recv(rv.done(output=[assistant_audio("av", "completed", "One moment.")]))
    s.expect(finished("resp_vad", transcript="One moment."))
    s.send(response_create(s.eid()))
    r3 = Resp("resp_3")
    s.recv(
        r3.created(),
        *r3.speak_start("a3", "av"),
        r3.transcript("a3", "It is 18C."),
        r3.audio("a3", 100),
    )
    s.recv(r3.done(output=[assistant_audio("a3", "completed", "It is 18C.")]))
    s.expect(finished("resp_3", transcript="It is 18C."))

    def check(m: RealtimeSession) -> None:
        assert m.idle

    s.check = check
    return s


IMAGE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAA"
    "BQABpfZFQAAAAABJRU5ErkJggg=="
)


def scenario_user_text_and_image() -> Scenario:
    s = Scenario(
        "user_text_and_image",
        "user input as text and an image (input_image data URI with detail) in one message, "
        "then a response; send_text without respond adds only the item",
    )
    s.opened()
    message = {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "What is in this picture?"},
            {"type": "input_image", "image_url": IMAGE, "detail": "low"},
        ],
    }
    item, e = s.iid(), s.eid()
    s.app("send_item", returns=item, item=message)
    s.send(item_create(e, {**message, "id": item}))
    echoed = {**message, "id": item, "object": "realtime.item", "status": "completed"}
    s.recv(added(echoed, None), item_done(echoed, None))
    e2 = s.eid()
    s.app("create_response", returns=e2)
    s.send(response_create(e2))
    r = Resp("resp_1")
    s.recv(
        r.created(),
        *r.speak_start("a1", item),
        r.transcript("a1", "A red dot."),
        r.audio("a1", 100),
    )
    s.recv(r.done(output=[assistant_audio("a1", "completed", "A red dot.")]))
    s.expect(finished("resp_1", transcript="A red dot."))
    item2, e3 = s.iid(), s.eid()
    s.app("send_text", returns=item2, text="Thanks.", respond=False)
    s.send(item_create(e3, {**text_msg("Thanks."), "id": item2}))
    s.recv(added(user_text(item2, "Thanks."), "a1"))

    def check(m: RealtimeSession) -> None:
        assert [i.id for i in m.mirror.items()] == [item, "a1", item2]
        assert m.idle

    s.check = check
    return s


def scenario_per_response_options() -> Scenario:
    s = Scenario(
        "per_response_options",
        "response.create carries the caller's per-response options (instructions, "
        "output_modalities, max_output_tokens, tool_choice, metadata, audio.output voice); a "
        "text response's text and the echoed metadata reach ResponseFinished",
        session=TOOLS_SESSION,
    )
    s.opened()
    options = {
        "instructions": "Answer in French.",
        "output_modalities": ["text"],
        "max_output_tokens": 200,
        "tool_choice": "none",
        "metadata": {"turn": "7"},
    }
    e = s.eid()
    s.app("create_response", returns=e, **options)
    s.send(response_create(e, **options))
    r = Resp("resp_1", modalities=("text",), metadata={"turn": "7"})
    s.recv(r.created(), r.item_added(assistant_text("t1")), added(assistant_text("t1"), None))
    s.recv(r.part_added("t1", "text"), r.text("t1", "Bon"), r.text("t1", "jour"))
    s.recv(r.text_done("t1", "Bonjour"), r.part_done("t1", "Bonjour", "text"))
    final = assistant_text("t1", "completed", "Bonjour")
    s.recv(r.item_done(final), item_done(final, None), r.done(output=[final]))
    s.expect(finished("resp_1", text="Bonjour", metadata={"turn": "7"}))
    voice = {"audio": {"output": {"voice": "cedar"}}, "instructions": "Whisper."}
    e2 = s.eid()
    s.app("create_response", returns=e2, **voice)
    s.send(response_create(e2, **voice))

    def check(m: RealtimeSession) -> None:
        item = m.mirror.get("t1")
        assert item is not None and item.text == "Bonjour"

    s.check = check
    return s


def _oob_frames(s: Scenario) -> tuple[Resp, Resp]:
    """A default response speaking while an out-of-band text response runs beside it."""
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Is it going to rain?"))
    r1 = Resp("resp_1")
    s.recv(
        r1.created(),
        *r1.speak_start("a1", "u1"),
        r1.transcript("a1", "Let me "),
        r1.audio("a1", 100),
    )
    options = {
        "conversation": "none",
        "output_modalities": ["text"],
        "instructions": "Classify the topic in one word.",
        "metadata": {"purpose": "classify"},
        "input": [text_msg("Is it going to rain?")],
    }
    e = s.eid()
    s.app("create_response", returns=e, **options)
    s.send(response_create(e, **options))  # at once, beside the active response
    ro = Resp("resp_oob", conversation=None, modalities=("text",), metadata={"purpose": "classify"})
    s.recv(ro.created(), ro.item_added(assistant_text("o1")), ro.part_added("o1", "text"))
    s.recv(r1.transcript("a1", "check."), r1.audio("a1", 100), ro.text("o1", "weather"))
    final = assistant_text("o1", "completed", "weather")
    s.recv(
        ro.text_done("o1", "weather"), ro.part_done("o1", "weather", "text"), ro.item_done(final)
    )
    s.recv(ro.done(output=[final]))
    s.expect(finished("resp_oob", text="weather", oob=True, metadata={"purpose": "classify"}))
    said = "Let me check."
    s.recv(
        *r1.speak_end("a1", said, "u1"), r1.done(output=[assistant_audio("a1", "completed", said)])
    )
    s.expect(finished("resp_1", transcript=said))
    return r1, ro


def scenario_out_of_band() -> Scenario:
    s = Scenario(
        "out_of_band",
        "an out-of-band response (conversation 'none', conversation_id null) goes out at once "
        "while a default response is active, runs beside it and ends out_of_band without "
        "ending the default one",
    )
    _oob_frames(s)
    e = s.eid()
    s.app("create_response", returns=e)
    s.send(response_create(e))

    def check(m: RealtimeSession) -> None:
        assert m.active_response is None

    s.check = check
    return s


def scenario_out_of_band_not_in_conversation() -> Scenario:
    s = Scenario(
        "out_of_band_not_in_conversation",
        "an out-of-band response's items are not in the conversation: the mirror keeps them "
        "out, so a restore on a new socket does not invent them",
    )
    _oob_frames(s)
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Is it going to rain?")),
        item_create(s.eid(), restored_text("a1", "Let me check.", "assistant"), "u1"),
    )
    s.expect(restored(2, 2))
    return s


def scenario_errors_classified() -> Scenario:
    s = Scenario(
        "errors_classified",
        "errors are classified for Realtime and tied to the client event that caused them "
        "(error.event_id): a cancel racing the end of a response and an empty commit under "
        "server VAD are benign; auth, quota and the retired beta shape are fatal; the rest "
        "(an unknown item, a server error, an empty commit without VAD) recoverable",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", "u1"), r.transcript("a1", "Done."), r.audio("a1", 100))
    e_cancel = s.eid()
    s.app("cancel_response", returns=e_cancel)
    s.send(cancel(e_cancel, "resp_1"))
    said = "Done."
    s.recv(
        *r.speak_end("a1", said, "u1"), r.done(output=[assistant_audio("a1", "completed", said)])
    )
    s.expect(finished("resp_1", transcript=said))
    s.recv(
        error_frame(
            "response_cancel_not_active", "Cancellation failed: no active response found", e_cancel
        )
    )
    s.expect(err("response_cancel_not_active", "benign", e_cancel, "response.cancel"))
    e_commit = s.eid()
    s.app("commit_audio", returns=e_commit)
    s.send({"type": "input_audio_buffer.commit", "event_id": e_commit})
    s.recv(error_frame("input_audio_buffer_commit_empty", EMPTY_COMMIT, e_commit))
    s.expect(
        err("input_audio_buffer_commit_empty", "benign", e_commit, "input_audio_buffer.commit")
    )
    e_delete = s.eid()
    s.app("delete_item", returns=e_delete, item_id="item_missing")
    s.send(delete(e_delete, "item_missing"))
    s.recv(
        error_frame(
            "item_delete_invalid_item_id",
            "Item with item_id not found: item_missing",
            e_delete,
            param="item_id",
        )
    )
    s.expect(err("item_delete_invalid_item_id", "retryable", e_delete, "conversation.item.delete"))
    s.recv(error_frame("server_error", "The server had an error.", type_="server_error"))
    s.expect(err("server_error", "retryable"))
    s.recv(error_frame("invalid_api_key", "Incorrect API key provided."))
    s.expect(err("invalid_api_key", "fatal"))
    s.recv(
        error_frame(
            "insufficient_quota", "You exceeded your current quota.", type_="insufficient_quota"
        )
    )
    s.expect(err("insufficient_quota", "fatal"))
    beta = "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
    s.recv(error_frame("beta_api_shape_disabled", beta))
    s.expect(err("beta_api_shape_disabled", "fatal"))
    no_vad = {"audio": {"input": {"turn_detection": None}}}
    e_update = s.eid()
    s.app("update_session", returns=e_update, **no_vad)
    s.send(session_update(e_update, no_vad))
    s.recv(session_updated(_merge(s.session, no_vad)))
    e_commit2 = s.eid()
    s.app("commit_audio", returns=e_commit2)
    s.send({"type": "input_audio_buffer.commit", "event_id": e_commit2})
    s.recv(error_frame("input_audio_buffer_commit_empty", EMPTY_COMMIT, e_commit2))
    s.expect(
        err("input_audio_buffer_commit_empty", "retryable", e_commit2, "input_audio_buffer.commit")
    )
    return s


def scenario_usage_summed() -> Scenario:
    s = Scenario(
        "usage_summed",
        "each response.done's usage is flattened (text/audio/image/cached input tokens, "
        "text/audio output tokens) and summed over the session; a response without usage "
        "counts zero",
        session=PUSH_TO_TALK,
    )
    s.opened()
    for rid, used in (
        ("resp_1", usage(120, 40, audio_in=100, cached=64)),
        ("resp_2", None),
        ("resp_3", usage(300, 80, audio_in=250, cached=128)),
    ):
        e = s.eid()
        s.app("create_response", returns=e)
        s.send(response_create(e))
        r = Resp(rid)
        s.recv(r.created(), r.done(usage=used))
        s.expect(finished(rid, tokens=used["total_tokens"] if used else 0))

    def check(m: RealtimeSession) -> None:
        assert m.usage == RealtimeUsage(
            total_tokens=540,
            input_tokens=420,
            output_tokens=120,
            input_text_tokens=70,
            input_audio_tokens=350,
            input_image_tokens=0,
            input_cached_tokens=192,
            cached_text_tokens=192,
            cached_audio_tokens=0,
            cached_image_tokens=0,
            output_text_tokens=30,
            output_audio_tokens=90,
        )

    s.check = check
    return s


def scenario_rollover() -> Scenario:
    s = Scenario(
        "rollover",
        "past the rollover age (55 min) the machine waits for a turn boundary (the active "
        "response's done), then asks for a new socket; the planned close is no surprise; on "
        "the new socket the desired session (with later updates) goes first, then the "
        "conversation (text; user audio as its transcription; assistant audio as its "
        "transcript) with the same ids, chained by previous_item_id",
    )
    s.opened()
    u, e_item, e_create = s.iid(), s.eid(), s.eid()
    s.app("send_text", returns=u, text="Hello")
    s.send(item_create(e_item, {**text_msg("Hello"), "id": u}), response_create(e_create))
    s.recv(added(user_text(u, "Hello"), None))
    r1 = Resp("resp_1")
    s.recv(
        r1.created(),
        *r1.speak_start("a1", u),
        r1.transcript("a1", "Hi there friend."),
        r1.audio("a1", 300),
    )
    said = "Hi there friend."
    s.recv(*r1.speak_end("a1", said, u), r1.done(output=[assistant_audio("a1", "completed", said)]))
    s.expect(finished("resp_1", transcript=said))
    s.app("next_deadline", returns=ROLLOVER_S)
    e_update = s.eid()
    s.app("update_session", returns=e_update, instructions="Be very brief.")
    s.send(session_update(e_update, {"instructions": "Be very brief."}))
    desired = {**s.session, "instructions": "Be very brief."}
    s.recv(session_updated(desired))
    s.recv(*user_turn("u2", "a1", 60_000), transcribed("u2", "What time is it?"))
    r2 = Resp("resp_2")
    s.recv(
        r2.created(), *r2.speak_start("a2", "u2"), r2.transcript("a2", "Noon."), r2.audio("a2", 200)
    )
    s.at(ROLLOVER_S).timeout()  # a response is active: not now
    s.recv(
        *r2.speak_end("a2", "Noon.", "u2"),
        r2.done(output=[assistant_audio("a2", "completed", "Noon.")]),
    )
    s.expect(finished("resp_2", transcript="Noon."), ROLLOVER)
    s.closed(1000)
    s.at(ROLLOVER_S + 1).connect()
    s.send(
        session_update(s.eid(), desired),
        item_create(s.eid(), restored_text(u, "Hello")),
        item_create(s.eid(), restored_text("a1", said, "assistant"), u),
        item_create(s.eid(), restored_text("u2", "What time is it?"), "a1"),
        item_create(s.eid(), restored_text("a2", "Noon.", "assistant"), "u2"),
    )
    s.expect(restored(4, 2))
    s.recv(session_created("sess_2"), session_updated(desired, "sess_2"))
    s.recv(added(user_text(u, "Hello"), None), added(assistant_text("a1", "completed", said), u))
    s.recv(
        added(user_text("u2", "What time is it?"), "a1"),
        added(assistant_text("a2", "completed", "Noon."), "u2"),
    )
    s.app("next_deadline", returns=2 * ROLLOVER_S + 1)

    def check(m: RealtimeSession) -> None:
        assert [i.id for i in m.mirror.items()] == [u, "a1", "u2", "a2"]
        assert m.idle and m.connections == 2

    s.check = check
    return s


def _paris(s: Scenario) -> str:
    """A conversation with a transcribed user turn, an interrupted (truncated) answer, a tool
    call with its output and the follow-up answer."""
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Tell me about Paris."))
    r1 = Resp("resp_1")
    s.recv(r1.created(), *r1.speak_start("a1", "u1"))
    said = "Paris is the capital of France and its largest city."
    for words, ms in (
        ("Paris is the capital ", 100),
        ("of France and ", 100),
        ("its largest city.", 100),
    ):
        s.recv(r1.transcript("a1", words), r1.audio("a1", ms))
    s.recv(speech("started", "u2", 4000))
    e = s.eid()
    s.app(
        "interrupt",
        returns=interruption("a1", played=200, received=300, truncated=True, response_id="resp_1"),
        played_ms=200,
    )
    s.send(truncate(e, "a1", 200))
    s.recv(*r1.speak_end("a1", said, "u1", status="incomplete"))
    s.recv(
        r1.done(
            "cancelled", reason="turn_detected", output=[assistant_audio("a1", "incomplete", said)]
        )
    )
    s.expect(finished("resp_1", "cancelled", "turn_detected", transcript=said))
    s.recv(
        {
            "type": "conversation.item.truncated",
            "item_id": "a1",
            "content_index": 0,
            "audio_end_ms": 200,
        }
    )
    s.recv(speech("stopped", "u2", 4800), committed("u2", "a1"))
    s.recv(added(user_audio("u2", status="in_progress"), "a1"), item_done(user_audio("u2"), "a1"))
    s.recv(transcribed("u2", "What is the weather there?"))
    r2 = Resp("resp_2")
    s.recv(r2.created())
    frames = r2.call("fc1", "call_1", PARIS, "u2")
    s.recv(*frames[:5]).expect(call("call_1", PARIS, {"city": "Paris"})).recv(*frames[5:])
    s.recv(r2.done(output=[call_item("fc1", "call_1", PARIS)]))
    s.expect(finished("resp_2"))
    o1, frame = _output(s, "call_1", "18C sunny")
    s.send(frame, response_create(s.eid()))
    s.recv(added(output_item(o1, "call_1", "18C sunny"), "fc1"))
    r3 = Resp("resp_3")
    s.recv(
        r3.created(),
        *r3.speak_start("a3", o1),
        r3.transcript("a3", "It is sunny."),
        r3.audio("a3", 300),
    )
    s.recv(
        *r3.speak_end("a3", "It is sunny.", o1),
        r3.done(output=[assistant_audio("a3", "completed", "It is sunny.")]),
    )
    s.expect(finished("resp_3", transcript="It is sunny."))
    return o1


def _paris_restored(s: Scenario, o1: str) -> None:
    s.send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Tell me about Paris.")),
        item_create(
            s.eid(), restored_text("a1", "Paris is the capital of France and", "assistant"), "u1"
        ),
        item_create(s.eid(), restored_text("u2", "What is the weather there?"), "a1"),
        item_create(
            s.eid(),
            {
                "type": "function_call",
                "id": "fc1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": PARIS,
            },
            "u2",
        ),
        item_create(
            s.eid(),
            {"type": "function_call_output", "id": o1, "call_id": "call_1", "output": "18C sunny"},
            "fc1",
        ),
        item_create(s.eid(), restored_text("a3", "It is sunny.", "assistant"), o1),
    )
    s.expect(restored(6, 2))


def scenario_recover_session_expired() -> Scenario:
    s = Scenario(
        "recover_session_expired",
        "session_expired asks for a new socket (the 1001 close that follows is expected); the "
        "new session gets the configuration and the conversation with the same ids: user audio "
        "as its transcription, assistant audio as its transcript cut to what was heard "
        "(truncated at 200 of 300 ms), the function call and its output",
        session=TOOLS_SESSION,
    )
    o1 = _paris(s)
    expired = "Your session hit the maximum duration of 60 minutes."
    s.recv(error_frame("session_expired", expired))
    s.expect(
        err("session_expired", "retryable", handled=True),
        reconnect("session_expired", "session_expired"),
    )
    s.closed(1001)
    s.connect()
    _paris_restored(s, o1)
    return s


def scenario_recover_dropped_socket() -> Scenario:
    s = Scenario(
        "recover_dropped_socket",
        "a dropped socket ends the active response 'interrupted' and asks for a reconnect; what "
        "the caller queued meanwhile (text, audio) waits; on the new socket: session.update, "
        "the conversation restored (the interrupted answer as the transcript received), then "
        "the queued frames",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Can you help me?"))
    r1 = Resp("resp_1")
    s.recv(
        r1.created(),
        *r1.speak_start("a1", "u1"),
        r1.transcript("a1", "Let me think"),
        r1.audio("a1", 200),
    )
    s.closed()
    s.expect(
        finished("resp_1", "interrupted", "connection_lost", transcript="Let me think"),
        reconnect("connection_lost"),
    )
    u2, e_item, e_create = s.iid(), s.eid(), s.eid()
    s.app("send_text", returns=u2, text="Are you still there?")
    chunk = b"\x02\x00" * 480  # 20 ms
    s.app("append_audio", audio=b(chunk))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Can you help me?")),
        item_create(s.eid(), restored_text("a1", "Let me think", "assistant"), "u1"),
        item_create(e_item, {**text_msg("Are you still there?"), "id": u2}),
        response_create(e_create),
        append(chunk),
    )
    s.expect(restored(2, 2))
    s.recv(session_created("sess_2"), session_updated(s.session, "sess_2"))
    s.recv(added(user_text("u1", "Can you help me?"), None))
    s.recv(added(assistant_text("a1", "completed", "Let me think"), "u1"))
    s.recv(added(user_text(u2, "Are you still there?"), "a1"))
    r2 = Resp("resp_2")
    s.recv(
        r2.created(), *r2.speak_start("a2", u2), r2.transcript("a2", "Yes."), r2.audio("a2", 100)
    )
    s.recv(r2.done(output=[assistant_audio("a2", "completed", "Yes.")]))
    s.expect(finished("resp_2", transcript="Yes."))

    def check(m: RealtimeSession) -> None:
        assert [i.id for i in m.mirror.items()] == ["u1", "a1", u2, "a2"]

    s.check = check
    return s


def scenario_recover_waiting_create() -> Scenario:
    s = Scenario(
        "recover_waiting_create",
        "a response.create the caller queued behind the active response is not lost with the "
        "socket: it goes out on the new one, after the restore",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Hello"))
    r1 = Resp("resp_1")
    s.recv(
        r1.created(), *r1.speak_start("a1", "u1"), r1.transcript("a1", "Hi"), r1.audio("a1", 100)
    )
    e = s.eid()
    s.app("create_response", returns=e, instructions="Summarize.")  # waits for resp_1
    s.closed()
    s.expect(
        finished("resp_1", "interrupted", "connection_lost", transcript="Hi"),
        reconnect("connection_lost"),
    )
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Hello")),
        item_create(s.eid(), restored_text("a1", "Hi", "assistant"), "u1"),
        response_create(e, instructions="Summarize."),
    )
    s.expect(restored(2, 2))
    return s


def scenario_recover_twice() -> Scenario:
    s = Scenario(
        "recover_twice",
        "the socket drops again before the new session echoed the restored items: the next "
        "socket restores the same conversation again (nothing is lost with the mirror)",
    )
    s.opened()
    s.recv(
        added(user_text("u1", "Remember: blue."), None),
        added(assistant_text("a1", "completed", "Noted."), "u1"),
    )
    for connection in (2, 3):
        s.closed().expect(reconnect("connection_lost"))
        s.connect().send(
            session_update(s.eid(), s.session),
            item_create(s.eid(), restored_text("u1", "Remember: blue.")),
            item_create(s.eid(), restored_text("a1", "Noted.", "assistant"), "u1"),
        )
        s.expect(restored(2, connection))
    return s


def _weather_answered(s: Scenario) -> str:
    s.opened()
    s.recv(transcribed("u1", "Weather in Paris?"))  # before the item: ignored
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Weather in Paris?"))
    r = Resp("resp_1")
    s.recv(r.created())
    frames = r.call("fc1", "call_1", PARIS, "u1")
    s.recv(*frames[:5]).expect(call("call_1", PARIS, {"city": "Paris"})).recv(*frames[5:])
    s.recv(r.done(output=[call_item("fc1", "call_1", PARIS)]))
    s.expect(finished("resp_1"))
    o1, frame = _output(s, "call_1", "18C")
    s.send(frame, response_create(s.eid()))
    return o1


def scenario_recover_followup_in_flight() -> Scenario:
    s = Scenario(
        "recover_followup_in_flight",
        "the tool follow-up was sent but the socket dropped before its response.created: the "
        "outputs are restored with the conversation and ONE follow-up goes out on the new "
        "socket",
        session=TOOLS_SESSION,
    )
    o1 = _weather_answered(s)
    s.recv(added(output_item(o1, "call_1", "18C"), "fc1"))
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Weather in Paris?")),
        item_create(
            s.eid(),
            {
                "type": "function_call",
                "id": "fc1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": PARIS,
            },
            "u1",
        ),
        item_create(
            s.eid(),
            {"type": "function_call_output", "id": o1, "call_id": "call_1", "output": "18C"},
            "fc1",
        ),
        response_create(s.eid()),
    )
    s.expect(restored(3, 2))
    return s


def scenario_recover_unacked_output() -> Scenario:
    s = Scenario(
        "recover_unacked_output",
        "a tool output sent just before the socket dropped, never echoed by the server, is "
        "part of the conversation the client built: it is created again on the new socket "
        "(same id) before the follow-up",
        session=TOOLS_SESSION,
    )
    o1 = _weather_answered(s)
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Weather in Paris?")),
        item_create(
            s.eid(),
            {
                "type": "function_call",
                "id": "fc1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": PARIS,
            },
            "u1",
        ),
        item_create(
            s.eid(),
            {"type": "function_call_output", "id": o1, "call_id": "call_1", "output": "18C"},
            "fc1",
        ),
        response_create(s.eid()),
    )
    s.expect(restored(3, 2))
    return s


def scenario_update_session_kept_on_reconnect() -> Scenario:
    s = Scenario(
        "update_session_kept_on_reconnect",
        "update_session changes only the fields given, nested ones too (clearing "
        "audio.input.turn_detection keeps the formats and the voice), on the server and in the "
        "session sent on every later socket",
    )
    s.opened()
    no_vad = {"audio": {"input": {"turn_detection": None}}}
    e = s.eid()
    s.app("update_session", returns=e, **no_vad)
    s.send(session_update(e, no_vad))
    desired = _merge(s.session, no_vad)
    s.recv(session_updated(desired))
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(session_update(s.eid(), desired))
    s.expect(restored(0, 2))
    return s


def scenario_recover_cut_to_received_transcript() -> Scenario:
    s = Scenario(
        "recover_cut_to_received_transcript",
        "an interrupted answer whose dones carry the whole generated transcript (more than the "
        "client received before the cancel): the restored text is the transcript received, cut "
        "by the fraction heard of the audio received (100 of 200 ms: 3 of 6 words)",
        session=PUSH_TO_TALK,
    )
    s.opened()
    item, e_item, e_create = s.iid(), s.eid(), s.eid()
    s.app("send_text", returns=item, text="Tell me about Paris.")
    s.send(
        item_create(e_item, {**text_msg("Tell me about Paris."), "id": item}),
        response_create(e_create),
    )
    s.recv(added(user_text(item, "Tell me about Paris."), None))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", item))
    s.recv(r.transcript("a1", "Paris is the capital "), r.audio("a1", 100))
    s.recv(r.transcript("a1", "of France "), r.audio("a1", 100))
    e_cancel, e_truncate = s.eid(), s.eid()
    result = interruption(
        "a1", played=100, received=200, cancelled=True, truncated=True, response_id="resp_1"
    )
    s.app("interrupt", returns=result, played_ms=100)
    s.send(cancel(e_cancel, "resp_1"), truncate(e_truncate, "a1", 100))
    s.stale(r.transcript("a1", "and its largest city."), r.audio("a1", 100))
    said = "Paris is the capital of France and its largest city."
    s.recv(*r.speak_end("a1", said, item, status="incomplete"))
    s.recv(
        r.done(
            "cancelled",
            reason="client_cancelled",
            output=[assistant_audio("a1", "incomplete", said)],
        )
    )
    s.expect(
        finished(
            "resp_1", "cancelled", "client_cancelled", transcript="Paris is the capital of France "
        )
    )
    s.recv(
        {
            "type": "conversation.item.truncated",
            "item_id": "a1",
            "content_index": 0,
            "audio_end_ms": 100,
        }
    )
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text(item, "Tell me about Paris.")),
        item_create(s.eid(), restored_text("a1", "Paris is the", "assistant"), item),
    )
    s.expect(restored(2, 2))
    return s


def scenario_audio_bound() -> Scenario:
    s = Scenario(
        "audio_bound",
        "outbound audio waiting for a socket is bounded by duration (100 ms here): the oldest "
        "appends are dropped and counted (AudioDropped); the newest go out after the "
        "session.update (and the restore) when a socket opens; a connected socket drains it",
        machine={"max_buffered_audio_ms": 100.0},
    )
    chunks = [bytes([n, 0]) * 960 for n in range(1, 10)]  # 40 ms each at 24 kHz
    s.app("append_audio", audio=b(chunks[0]))
    s.app("append_audio", audio=b(chunks[1]))
    for n, chunk in enumerate(chunks[2:5], 1):
        s.app("append_audio", audio=b(chunk)).expect(("audio_dropped", 40.0, 40.0 * n))
    s.connect().send(session_update(s.eid(), s.session), append(chunks[3]), append(chunks[4]))
    s.recv(session_created(), session_updated(s.session))
    for chunk in chunks[5:7]:
        s.app("append_audio", audio=b(chunk)).send(append(chunk))
    s.closed().expect(reconnect("connection_lost"))
    s.app("append_audio", audio=b(chunks[7]))
    s.app("append_audio", audio=b(chunks[8]))
    s.app("append_audio", audio=b(chunks[0])).expect(("audio_dropped", 40.0, 160.0))
    s.connect().send(session_update(s.eid(), s.session), append(chunks[8]), append(chunks[0]))
    s.expect(restored(0, 2))

    def check(m: RealtimeSession) -> None:
        assert m.dropped_audio_ms == 160.0

    s.check = check
    return s


def scenario_recover_call_arguments() -> Scenario:
    s = Scenario(
        "recover_call_arguments",
        "the socket drops after a call's arguments were done (the call surfaced) but before "
        "its output_item.done: the restored function_call carries those arguments, then the "
        "output the caller submitted meanwhile and ONE follow-up",
        session=TOOLS_SESSION,
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Weather in Paris?"))
    r = Resp("resp_1")
    s.recv(r.created())
    frames = r.call("fc1", "call_1", PARIS, "u1")
    s.recv(*frames[:5]).expect(call("call_1", PARIS, {"city": "Paris"}))
    s.closed()
    s.expect(finished("resp_1", "interrupted", "connection_lost"), reconnect("connection_lost"))
    _, frame = _output(s, "call_1", "18C")
    e_follow = s.eid()
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Weather in Paris?")),
        item_create(
            s.eid(),
            {
                "type": "function_call",
                "id": "fc1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": PARIS,
            },
            "u1",
        ),
        frame,
        response_create(e_follow),
    )
    s.expect(restored(2, 2))
    return s


def scenario_followup_done_without_created() -> Scenario:
    s = Scenario(
        "followup_done_without_created",
        "the tool follow-up's response is cancelled by the user's speech before its "
        "response.created was sent (response.done alone): like a created+cancelled follow-up, "
        "the batch is over and the machine is idle",
        session=TOOLS_SESSION,
    )
    s.opened()
    _asks_weather(s, Resp("resp_1"))
    o1, frame = _output(s, "call_1", "18C")
    s.send(frame, response_create(s.eid()))
    s.recv(added(output_item(o1, "call_1", "18C"), "fc1"))
    s.recv(speech("started", "u2", 5000))
    s.recv(Resp("resp_2").done("cancelled", reason="turn_detected"))
    s.expect(finished("resp_2", "cancelled", "turn_detected"))

    def check(m: RealtimeSession) -> None:
        assert m.idle

    s.check = check
    return s


def scenario_interrupt_after_reconnect() -> Scenario:
    s = Scenario(
        "interrupt_after_reconnect",
        "after a reconnect the old assistant item lives on as restored text: a barge-in while "
        "its audio still plays can neither truncate it nor delete it (the user heard it); "
        "nothing is sent",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000), transcribed("u1", "Hello"))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", "u1"), r.transcript("a1", "Hi there."))
    s.recv(r.audio("a1", 400), *r.speak_end("a1", "Hi there.", "u1"))
    s.recv(r.done(output=[assistant_audio("a1", "completed", "Hi there.")]))
    s.expect(finished("resp_1", transcript="Hi there."))
    s.closed().expect(reconnect("connection_lost"))
    s.connect().send(
        session_update(s.eid(), s.session),
        item_create(s.eid(), restored_text("u1", "Hello")),
        item_create(s.eid(), restored_text("a1", "Hi there.", "assistant"), "u1"),
    )
    s.expect(restored(2, 2))
    s.app("interrupt", returns=interruption(None), played_ms=200)
    return s


def scenario_rollover_pending_then_dropped() -> Scenario:
    s = Scenario(
        "rollover_pending_then_dropped",
        "the rollover age passed during a response (RolloverNeeded not yet asked for), then "
        "the socket drops: that is an unplanned loss, the caller is asked to reconnect",
    )
    s.opened()
    s.recv(*user_turn("u1", None, 1000))
    r = Resp("resp_1")
    s.recv(r.created(), *r.speak_start("a1", "u1"), r.transcript("a1", "Well"), r.audio("a1", 100))
    s.at(ROLLOVER_S).timeout()
    s.closed()
    s.expect(finished("resp_1", "interrupted", "connection_lost", transcript="Well"))
    s.expect(reconnect("connection_lost"))
    return s


def scenario_out_of_band_lost_with_socket() -> Scenario:
    s = Scenario(
        "out_of_band_lost_with_socket",
        "an out-of-band response in flight when the socket drops ends 'interrupted' like the "
        "default one: every response the caller heard of ends with a ResponseFinished",
    )
    s.opened()
    options = {"conversation": "none", "output_modalities": ["text"]}
    e = s.eid()
    s.app("create_response", returns=e, **options)
    s.send(response_create(e, **options))
    ro = Resp("resp_oob", conversation=None, modalities=("text",))
    s.recv(ro.created(), ro.item_added(assistant_text("o1")), ro.text("o1", "weath"))
    s.closed()
    s.expect(finished("resp_oob", "interrupted", "connection_lost", text="weath", oob=True))
    s.expect(reconnect("connection_lost"))
    return s


def scenario_interrupt_after_cancel_response() -> Scenario:
    s = Scenario(
        "interrupt_after_cancel_response",
        "cancel_response() dropped the audio still in flight (stale), so the server's item "
        "holds more than the client received: a later barge-in that heard everything received "
        "still truncates the item there",
        session=PUSH_TO_TALK,
    )
    item, r = _story(s)
    e = s.eid()
    s.app("cancel_response", returns=e)
    s.send(cancel(e, "resp_1"))
    s.stale(r.audio("a1", 300), r.transcript("a1", "there was "))
    said = "Once upon a time there was"
    s.recv(*r.speak_end("a1", said, item, status="incomplete"))
    final = assistant_audio("a1", "incomplete", said)
    s.recv(r.done("cancelled", reason="client_cancelled", output=[final]))
    s.expect(finished("resp_1", "cancelled", "client_cancelled", transcript="Once upon a time "))
    result = interruption("a1", played=500, received=500, truncated=True, response_id="resp_1")
    e_truncate = s.eid()
    s.app("interrupt", returns=result, played_ms=500)
    s.send(truncate(e_truncate, "a1", 500))
    return s


SCENARIOS: list[Scenario] = [
    scenario_session_update_first(),
    scenario_mirror_order(),
    scenario_mirror_root_insert(),
    scenario_audio_samples(),
    scenario_interrupt_cancel_truncate(),
    scenario_interrupt_server_vad(),
    scenario_interrupt_nothing_played(),
    scenario_interrupt_played_beyond_received(),
    scenario_interrupt_all_received_played_while_active(),
    scenario_cancel_before_created(),
    scenario_stale_deltas_dropped(),
    scenario_duplicated_dones(),
    scenario_duplicated_response_done(),
    scenario_done_without_created(),
    scenario_function_calls_once(),
    scenario_tool_outputs_one_followup(),
    scenario_vad_race_outputs_consumed(),
    scenario_vad_race_outputs_not_consumed(),
    scenario_user_text_and_image(),
    scenario_per_response_options(),
    scenario_out_of_band(),
    scenario_out_of_band_not_in_conversation(),
    scenario_errors_classified(),
    scenario_usage_summed(),
    scenario_rollover(),
    scenario_recover_session_expired(),
    scenario_recover_dropped_socket(),
    scenario_recover_waiting_create(),
    scenario_recover_twice(),
    scenario_recover_followup_in_flight(),
    scenario_recover_unacked_output(),
    scenario_update_session_kept_on_reconnect(),
    scenario_recover_cut_to_received_transcript(),
    scenario_audio_bound(),
    scenario_recover_call_arguments(),
    scenario_followup_done_without_created(),
    scenario_interrupt_after_reconnect(),
    scenario_rollover_pending_then_dropped(),
    scenario_out_of_band_lost_with_socket(),
    scenario_interrupt_after_cancel_response(),
]
BY_NAME = {s.name: s for s in SCENARIOS}


def render(scenario: Scenario) -> str:
    """The trace file's exact text."""
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in scenario.trace())


def trace_path(scenario: Scenario) -> Path:
    return TRACE_DIR / f"{scenario.name}.jsonl"


# ----------------------------------------------------------------------------- the tests

_ids = [s.name for s in SCENARIOS]


def _name(scenario: Scenario) -> str:
    return scenario.name


def _known_bug(scenario: Scenario) -> Any:
    if scenario.bug is None:
        return scenario
    return pytest.param(scenario, marks=pytest.mark.xfail(strict=True, reason=scenario.bug))


def test_scenario_names_are_unique() -> None:
    assert len(BY_NAME) == len(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_trace_file_is_current(scenario: Scenario) -> None:
    path = trace_path(scenario)
    assert path.exists(), f"missing {path}: run python tests/data/realtime/make_traces.py"
    assert path.read_text() == render(scenario), (
        f"{path} is out of date: run python tests/data/realtime/make_traces.py"
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_server_frames_validate_against_the_sdk(scenario: Scenario) -> None:
    frames = [r["msg"] for r in scenario.records if r["op"] == "recv"]
    assert frames
    for frame in frames:
        validate_server_frame(frame)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_expected_client_frames_validate_against_the_sdk(scenario: Scenario) -> None:
    """The trace's ``send`` records are valid client events (also where the machine is
    known to diverge from them)."""
    for record in scenario.records:
        if record["op"] == "send":
            validate_client_frame(record["msg"])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=_ids)
def test_session_update_is_first_on_every_socket(scenario: Scenario) -> None:
    """After every ``request`` (a socket opening) the first frame is the GA session.update."""
    records = scenario.records
    for n, record in enumerate(records):
        if record["op"] != "request":
            continue
        assert "openai-beta" not in {k.lower() for k in record["headers"]}
        first = next((r for r in records[n + 1 :] if r["op"] == "send"), None)
        if first is not None:
            assert first["msg"]["type"] == "session.update", first
            assert first["msg"]["session"]["type"] == "realtime", first


@pytest.mark.parametrize("scenario", [_known_bug(s) for s in SCENARIOS], ids=_ids)
def test_golden(scenario: Scenario) -> None:
    run = drive(load_trace(trace_path(scenario)))
    assert [summarize(e) for e in run.events] == scenario.events
    if scenario.check is not None:
        scenario.check(run.machine)


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.bug is None], ids=_name)
def test_every_response_started_ends_once(scenario: Scenario) -> None:
    """Every response the server created (or ended without creating) ends with exactly one
    `ResponseFinished`, unless the trace stops while it is still running."""
    run = drive(load_trace(trace_path(scenario)))
    ended = [e.response_id for e in run.events if isinstance(e, ResponseFinished)]
    assert len(ended) == len(set(ended)), ended
    started = {
        r["msg"]["response"]["id"]
        for r in scenario.records
        if r["op"] == "recv" and r["msg"]["type"] in ("response.created", "response.done")
    }
    running = {run.machine.active_response} - {None}
    assert set(ended) | running == started
