"""Fuzz target: the Realtime session machine (`openai_sansio.protocol.realtime.RealtimeSession`).

Input layout: byte 0 picks the machine's settings (`CONFIGS`: the desired session, the
mirror's bound, the tool follow-up, the outbound audio bound, the rollover age). The rest is a
sequence of operations. Each starts with one byte: ``byte % 16`` is the operation (`OPS`),
``byte // 16`` its variant (0..15); the operation then reads the arguments it needs (missing
bytes read as zero):

* ``feed`` (4 of 16): a realistic server event built by a template (`TEMPLATES`; one byte
  picks it, one byte picks the response / item / call id and content index from small pools,
  one byte a size or a choice) and, for variants 10..15, damaged (a field dropped, nulled or
  of the wrong type, in the event or in its ``response`` / ``item`` / ``session`` object);
* ``raw``: two bytes of length, then that many bytes fed as they are (variant odd: as text);
* ``append_audio`` (two bytes: the length), ``send_text`` (a length byte, then UTF-8 text),
  ``create_response`` (variant: the options, some out of band), ``cancel_response``,
  ``interrupt`` (two bytes: the played position; variant: ms or samples, ``server_cancels``),
  ``submit_tool_output`` (a byte picks a surfaced call, or an unknown one), ``connection_lost``
  (variant 2: after the next operation, whose frames the dying socket did not take go back
  through ``connection_lost(unsent)``; variant 1: again when closed) or ``connection_made``,
  a rollover
  (``connection_lost`` then ``connection_made``), ``handle_timeout`` (two bytes: seconds to
  advance the clock), ``commit_audio`` / ``clear_audio`` / ``update_session`` /
  ``delete_item`` / ``retrieve_item`` (variant).

Server messages are only fed while connected (a closed socket delivers nothing). After every
operation the harness takes `data_to_send()` and drains `events()`. Invariants:

* `receive_message` returns or raises `RemoteProtocolError`; the commands return or raise
  `LocalProtocolError`; `connection_made` / `connection_lost` / `handle_timeout` /
  `data_to_send` / `events` never raise; nothing else escapes;
* every frame of `data_to_send()` is a JSON object that decodes as a typed Realtime client
  event (``decode_client_event(..., api="realtime")``); nothing is handed out while
  disconnected (`tests/test_fuzz_realtime_mirror.py` also validates each frame against the
  openai SDK's ``RealtimeClientEvent``: too slow for this loop);
* a ``conversation.item.truncate`` never cuts past the audio handed out for that item and
  content index (``response.output_audio.delta`` events, at the output rate and sample width
  in force when each arrived: pcm 16-bit at its rate, default 24 kHz; G.711 8-bit at 8 kHz);
* no ``response.output_audio.delta`` of a response the client cancelled (`interrupt`,
  `cancel_response`, or a ``response.cancel`` it sent) is handed out after the cancel;
* a ``ToolCall``'s ``call_id`` surfaces once (within the machine's memory of `REMEMBERED`
  call ids);
* a ``response.create`` for the default conversation is never handed out while the machine
  has a response active, and none the caller asked for is still held back on a new socket
  (nothing there would release it);
* `interrupt`'s report agrees with what it sent (played <= received, the truncate or delete);
* memory stays bounded: ``len(machine.mirror) <= machine.mirror.max_items``, and the text
  and transcripts kept per unfinished response are kept for at most `REMEMBERED` responses.

With ``FUZZ_SKIP_KNOWN=1`` in the environment, failures that `known_bug` recognises (reported,
with strict-xfail reproducers in the mirror test) end the input quietly, so a long run finds
new failures instead of the known ones again.

Run: ``python fuzz/fuzz_realtime_session.py fuzz/corpus/realtime_session`` (an empty or
missing corpus directory is seeded first; see `seeds`).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from fractions import Fraction
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_realtime_session.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import LocalProtocolError, RemoteProtocolError, ToolCall
    from openai_sansio.protocol._codec import decode_client_event
    from openai_sansio.protocol.events.common import UnknownEvent
    from openai_sansio.protocol.events.realtime import (
        ConversationItemTruncate,
        RealtimeEvent,
        ResponseCancel,
        ResponseCreate,
        ResponseOutputAudioDelta,
        SessionCreated,
        SessionUpdated,
    )
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
    from openai_sansio.protocol.realtime_wire import REMEMBERED

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    example_rows,
    op,
    raw,
    seed_corpus_dirs,
    tpl,
)

ALLOWED = (
    RealtimeEvent,
    UnknownEvent,
    ToolCall,
    ResponseFinished,
    RealtimeError,
    AudioDropped,
    RolloverNeeded,
    ReconnectNeeded,
    ConversationRestored,
)
SKIP_KNOWN = os.environ.get("FUZZ_SKIP_KNOWN") == "1"

# --------------------------------------------------------------------------------------------
# Settings (byte 0). The desired sessions are valid GA ``session`` objects (they go out in
# ``session.update`` and must pass the SDK's validation in the mirror test).

_VAD = {"type": "server_vad", "create_response": True, "interrupt_response": True}
_PCM = {"type": "audio/pcm", "rate": 24000}
CONFIGS: tuple[dict[str, Any], ...] = (
    {},  # the defaults
    {
        "session": {
            "instructions": "Be brief.",
            "audio": {
                "input": {"format": _PCM, "turn_detection": _VAD},
                "output": {"format": _PCM},
            },
        },
        "max_items": 3,
        "followup": {"instructions": "Use the tool result."},
    },
    {
        "session": {
            "audio": {
                "input": {"turn_detection": {"type": "semantic_vad", "interrupt_response": False}}
            }
        },
        "max_buffered_audio_ms": 100.0,
        "rollover_after_s": 30.0,
    },
    {"session": {"audio": {"input": {"turn_detection": None}}}, "max_items": 1},
    {
        "session": {
            "output_modalities": ["audio"],
            "audio": {
                "input": {"format": {"type": "audio/pcmu"}},
                "output": {"format": {"type": "audio/pcma"}, "voice": "marin"},
            },
        },
        "rollover_after_s": 5.0,
    },
    {"max_items": 2},
    {},
    {},  # the defaults weigh most
)

# --------------------------------------------------------------------------------------------
# Server event templates. Ids come from small pools so that events refer to each other.

RESPONSE_IDS = ("resp_A", "resp_B", "resp_C")
ITEM_IDS = ("item_1", "item_2", "item_3", "item_4")
CALL_IDS = ("call_1", "call_2", "call_3")
_FORMATS: tuple[Any, ...] = (
    {"type": "audio/pcm", "rate": 24000},
    {"type": "audio/pcmu"},
    {"type": "audio/pcma"},
    {"type": "audio/pcm", "rate": 16000},
    {"type": "audio/pcm"},
    {"type": "audio/pcm", "rate": 8000},
    None,
    {"type": "audio/wav"},
    {"type": "audio/pcm", "rate": 10**400},  # a server gone mad: past any float
)
"""Session audio formats a server may report (output always; input too when ``a`` >= 128)."""
_TURN_DETECTION: tuple[Any, ...] = (
    {"type": "server_vad", "threshold": 0.5, "create_response": True, "interrupt_response": True},
    {"type": "server_vad", "interrupt_response": False},
    {"type": "semantic_vad", "eagerness": "auto"},
    None,
)
_ARGUMENTS = ('{"location": "Paris"}', "{", "", "[]", '{"a": {"b": [1, 2]}}', "null", "{}")
_ERROR_CODES = (
    "conversation_already_has_active_response",
    "response_cancel_not_active",
    "session_expired",
    "invalid_api_key",
    "input_audio_buffer_commit_empty",
    "invalid_value",
    None,
)
_STATUSES = ("completed", "cancelled", "failed", "incomplete", "in_progress", None)
_REASONS = ("turn_detected", "client_cancelled", "max_output_tokens", None)


class Picks:
    """What a template reads: ids from the pools, a content index, a size/choice byte, and
    the harness's memory (recent client event ids, submitted output item ids)."""

    def __init__(self, a: int, b: int, harness: Harness) -> None:
        self.response = RESPONSE_IDS[a % 3]
        self.item = ITEM_IDS[(a >> 2) % 4]
        self.call = CALL_IDS[(a >> 4) % 3]
        self.content = (a >> 6) & 1
        self.a = a
        self.b = b
        self.harness = harness

    def choice(self, options: tuple[Any, ...], shift: int = 0) -> Any:
        return options[(self.b >> shift) % len(options)]


def _session(p: Picks) -> dict[str, Any]:
    fmt = p.choice(_FORMATS)
    pcm = {"type": "audio/pcm", "rate": 24000}
    audio: dict[str, Any] = {"input": {"format": fmt if fmt and p.a >= 128 else pcm}}
    if fmt is not None:
        audio["output"] = {"format": fmt, "voice": "marin"}
    detection = p.choice(_TURN_DETECTION, 3)
    if (p.b >> 5) & 3 != 3:
        audio["input"]["turn_detection"] = detection
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": "sess_1",
        "model": "gpt-realtime",
        "output_modalities": ["audio"],
        "audio": audio,
    }


def _assistant_item(p: Picks, status: str = "in_progress") -> dict[str, Any]:
    content = [] if status == "in_progress" else [{"type": "output_audio", "transcript": "Hi."}]
    return {
        "id": p.item,
        "object": "realtime.item",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def _call_item(p: Picks) -> dict[str, Any]:
    return {
        "id": p.item,
        "object": "realtime.item",
        "type": "function_call",
        "status": p.choice(("completed", "completed", None, "incomplete", "in_progress"), 3),
        "call_id": p.call,
        "name": "get_weather",
        "arguments": p.choice(_ARGUMENTS),
    }


def _response(p: Picks, status: str | None) -> dict[str, Any]:
    out_of_band = (p.b >> 7) & 1
    return {
        "object": "realtime.response",
        "id": p.response,
        "status": status,
        "status_details": None,
        "output": [],
        "conversation_id": None if out_of_band else "conv_1",
        "output_modalities": ["audio"],
        "max_output_tokens": "inf",
        "metadata": {"topic": "weather"} if (p.b >> 6) & 1 else None,
    }


def _done(p: Picks) -> dict[str, Any]:
    status = p.choice(_STATUSES)
    response = _response(p, status)
    reason = p.choice(_REASONS, 3)
    if status == "failed":
        response["status_details"] = {
            "type": "failed",
            "error": {"type": "server_error", "code": "server_error", "message": "boom"},
        }
    elif reason is not None:
        response["status_details"] = {"type": status, "reason": reason}
    if (p.b >> 5) & 1:
        response["output"] = [_call_item(p)]
    response["usage"] = {
        "total_tokens": 30,
        "input_tokens": 10,
        "output_tokens": 20,
        "input_token_details": {"text_tokens": 4, "audio_tokens": 6, "cached_tokens": 0},
        "output_token_details": {"text_tokens": 5, "audio_tokens": 15},
    }
    return {"type": "response.done", "response": response}


def _part(p: Picks, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "response_id": p.response,
        "item_id": p.item,
        "output_index": 0,
        "content_index": p.content,
        "part": {"type": "audio", "transcript": ""},
    }


def _delta(p: Picks, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "response_id": p.response,
        "item_id": p.item,
        "output_index": 0,
        "content_index": p.content,
        **fields,
    }


def _audio_delta(p: Picks) -> dict[str, Any]:
    size = (p.b * 97) % 9601  # up to 200 ms of pcm at 24 kHz; odd sizes too
    audio = base64.b64encode(bytes(size)).decode()
    return _delta(p, "response.output_audio.delta", delta=audio)


def _error(p: Picks) -> dict[str, Any]:
    sent = p.harness.client_event_ids
    pick = p.b % 8
    event_id = (
        sent[-1 - pick % len(sent)] if sent and pick < 6 else ("evt_x" if pick == 6 else None)
    )
    return {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "code": p.choice(_ERROR_CODES, 3),
            "message": "something went wrong",
            "param": None,
            "event_id": event_id,
        },
    }


def _output_ack(p: Picks, kind: str) -> dict[str, Any]:
    """The server's echo of a function_call_output item the client submitted."""
    outputs = p.harness.output_items
    item_id = outputs[-1 - p.b % len(outputs)] if outputs else p.item
    return {
        "type": kind,
        "previous_item_id": None,
        "item": {
            "id": item_id,
            "object": "realtime.item",
            "type": "function_call_output",
            "status": "completed",
            "call_id": p.call,
            "output": '{"temperature": 21}',
        },
    }


TEMPLATES: tuple[tuple[str, Callable[[Picks], dict[str, Any]]], ...] = (
    ("session.created", lambda p: {"type": "session.created", "session": _session(p)}),
    ("session.updated", lambda p: {"type": "session.updated", "session": _session(p)}),
    (
        "response.created",
        lambda p: {"type": "response.created", "response": _response(p, "in_progress")},
    ),
    ("response.done", _done),
    (
        "response.output_item.added",
        lambda p: {
            "type": "response.output_item.added",
            "response_id": p.response,
            "output_index": 0,
            "item": _assistant_item(p),
        },
    ),
    (
        "conversation.item.added",
        lambda p: {
            "type": "conversation.item.added",
            "previous_item_id": p.choice((None, *ITEM_IDS, "root")),
            "item": _assistant_item(p),
        },
    ),
    (
        "conversation.item.done",
        lambda p: {
            "type": "conversation.item.done",
            "previous_item_id": p.choice((None, *ITEM_IDS)),
            "item": _assistant_item(p, "completed"),
        },
    ),
    ("response.content_part.added", lambda p: _part(p, "response.content_part.added")),
    ("response.content_part.done", lambda p: _part(p, "response.content_part.done")),
    ("response.output_audio.delta", _audio_delta),
    ("response.output_audio.delta/2", _audio_delta),
    ("response.output_audio.delta/3", _audio_delta),
    ("response.output_audio.done", lambda p: _delta(p, "response.output_audio.done")),
    (
        "response.output_audio_transcript.delta",
        lambda p: _delta(
            p,
            "response.output_audio_transcript.delta",
            delta=p.choice(("Hel", "lo ", "", "\u00e9\U0001f389")),
        ),
    ),
    (
        "response.output_audio_transcript.done",
        lambda p: _delta(p, "response.output_audio_transcript.done", transcript="Hello there."),
    ),
    (
        "response.output_text.delta",
        lambda p: _delta(p, "response.output_text.delta", delta=p.choice(("Sure", ", ", ""))),
    ),
    (
        "response.output_text.done",
        lambda p: _delta(p, "response.output_text.done", text="Sure, done."),
    ),
    (
        "response.function_call_arguments.delta",
        lambda p: {
            "type": "response.function_call_arguments.delta",
            "response_id": p.response,
            "item_id": p.item,
            "output_index": 0,
            "call_id": p.call,
            "delta": '{"location": ',
        },
    ),
    (
        "response.function_call_arguments.done",
        lambda p: {
            "type": "response.function_call_arguments.done",
            "response_id": p.response,
            "item_id": p.item,
            "output_index": 0,
            "call_id": p.call,
            "name": "get_weather",
            "arguments": p.choice(_ARGUMENTS),
        },
    ),
    (
        "response.output_item.done/function_call",
        lambda p: {
            "type": "response.output_item.done",
            "response_id": p.response,
            "output_index": 0,
            "item": _call_item(p),
        },
    ),
    (
        "response.output_item.done/message",
        lambda p: {
            "type": "response.output_item.done",
            "response_id": p.response,
            "output_index": 0,
            "item": _assistant_item(p, "completed"),
        },
    ),
    ("error", _error),
    (
        "input_audio_buffer.speech_started",
        lambda p: {
            "type": "input_audio_buffer.speech_started",
            "audio_start_ms": 1000,
            "item_id": p.item,
        },
    ),
    (
        "input_audio_buffer.speech_stopped",
        lambda p: {
            "type": "input_audio_buffer.speech_stopped",
            "audio_end_ms": 2000,
            "item_id": p.item,
        },
    ),
    (
        "input_audio_buffer.committed",
        lambda p: {
            "type": "input_audio_buffer.committed",
            "previous_item_id": p.choice((None, *ITEM_IDS)),
            "item_id": p.item,
        },
    ),
    (
        "conversation.item.truncated",
        lambda p: {
            "type": "conversation.item.truncated",
            "item_id": p.item,
            "content_index": p.content,
            "audio_end_ms": p.b * 10,
        },
    ),
    (
        "conversation.item.deleted",
        lambda p: {"type": "conversation.item.deleted", "item_id": p.item},
    ),
    (
        "conversation.item.input_audio_transcription.completed",
        lambda p: {
            "type": "conversation.item.input_audio_transcription.completed",
            "item_id": p.item,
            "content_index": 0,
            "transcript": "What's the weather?",
        },
    ),
    ("conversation.item.added/output", lambda p: _output_ack(p, "conversation.item.added")),
    ("conversation.item.created/output", lambda p: _output_ack(p, "conversation.item.created")),
    (
        "conversation.item.retrieved",
        lambda p: {
            "type": "conversation.item.retrieved",
            "item": {
                "id": p.item,
                "type": "message",
                "role": "user",
                "status": "completed",
                "content": [{"type": "input_text", "text": "hi"}],
            },
        },
    ),
    (
        "rate_limits.updated",
        lambda p: {
            "type": "rate_limits.updated",
            "rate_limits": [
                {"name": "tokens", "limit": 5000, "remaining": 4000, "reset_seconds": 1}
            ],
        },
    ),
    (
        "output_audio_buffer.cleared",
        lambda p: {"type": "output_audio_buffer.cleared", "response_id": p.response},
    ),
    (  # a beta name: an unknown type now
        "response.audio.delta",
        lambda p: {"type": "response.audio.delta", "response_id": p.response, "delta": "AAAA"},
    ),
)
"""Server events by template byte, named (a name says which one a seed means)."""
T = {name: index for index, (name, _) in enumerate(TEMPLATES)}

_DAMAGE: tuple[Any, ...] = (None, 0, "x", [], {}, True, -1)


def damage(event: dict[str, Any], variant: int, how: int) -> dict[str, Any]:
    """Variants 10..15 break the event: drop / null / retype a field, at the top or inside the
    ``response`` / ``item`` / ``session`` / ``error`` / ``part`` object."""
    if variant < 10:
        return event
    target = event
    if variant >= 13:
        nested = [k for k in ("response", "item", "session", "error", "part") if k in event]
        if nested and isinstance(event[nested[0]], dict):
            target = event[nested[0]] = dict(event[nested[0]])
    keys = sorted(k for k in target if not (target is event and k == "type"))
    if not keys:
        return event
    key = keys[how % len(keys)]
    if variant in (10, 13):
        del target[key]
    elif variant in (11, 14):
        target[key] = None
    else:
        target[key] = _DAMAGE[(how >> 4) % len(_DAMAGE)]
    return event


# --------------------------------------------------------------------------------------------
# Operations.

RESPONSE_OPTIONS: tuple[dict[str, Any], ...] = (
    {},
    {"instructions": "Answer in French."},
    {"output_modalities": ["text"]},
    {"conversation": "none", "output_modalities": ["text"], "metadata": {"purpose": "summary"}},
    {"conversation": "none", "input": []},
    {"conversation": "auto", "metadata": {"turn": "2"}},
    {"max_output_tokens": 64},
    {"tool_choice": "none"},
)
SESSION_CHANGES: tuple[dict[str, Any], ...] = (
    {"instructions": "Be terse."},
    {"audio": {"input": {"turn_detection": None}}},
    {"audio": {"input": {"turn_detection": _VAD}}},
    {"output_modalities": ["text"]},
)


FEED, RAW, APPEND, SEND_TEXT, CREATE, CANCEL, INTERRUPT, SUBMIT = 0, 4, 5, 6, 7, 8, 9, 10
TOGGLE, ROLLOVER, TIMEOUT, AUDIO_OR_SESSION, ITEM = 11, 12, 13, 14, 15
"""Operation numbers (``byte % 16``); 0..3 all feed a template."""


class Reader:
    """The input, read front to back; past the end every read gives zeros."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def __bool__(self) -> bool:
        return self.at < len(self.data)

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def u16(self) -> int:
        return self.byte() | self.byte() << 8

    def take(self, n: int) -> bytes:
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def _rate_and_width(session: Any) -> tuple[int, int]:
    """The output format of an effective session, as the GA docs define it."""
    fmt: Any = session
    for key in ("audio", "output", "format"):
        fmt = fmt.get(key) if isinstance(fmt, dict) else None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "audio/pcm":
        rate = fmt.get("rate")
        # a rate outside 8-192 kHz is the server's nonsense: 24 kHz, the only GA pcm rate
        sane = isinstance(rate, int) and 8000 <= rate <= 192000
        return (rate if sane else 24000), 2
    if kind in ("audio/pcmu", "audio/pcma"):
        return 8000, 1
    return 24000, 2


def _is_default_create(event: Any) -> bool:
    """A decoded ``response.create`` for the default conversation (not out of band)."""
    if not isinstance(event, ResponseCreate):
        return False
    return not (isinstance(event.response, dict) and event.response.get("conversation") == "none")


class Harness:
    """One machine, what the harness saw of it, and the checks after each operation."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.machine = RealtimeSession(
            config.get("session"),
            followup=config.get("followup"),
            max_buffered_audio_ms=config.get("max_buffered_audio_ms", 2000.0),
            rollover_after_s=config.get("rollover_after_s", 55 * 60.0),
        )
        if "max_items" in config:
            self.machine.mirror.max_items = config["max_items"]
        self.now = 0.0
        self.connected = False
        self.frames: list[bytes] = []  # everything handed out, for the SDK check
        self.client_event_ids: list[str] = []
        self.output_items: list[str] = []
        self.surfaced: OrderedDict[str, None] = OrderedDict()  # call ids, in surfacing order
        self.calls: list[str] = []  # call ids to answer
        self.cancelled: OrderedDict[str, None] = OrderedDict()  # response ids, by the client
        self.rate, self.width = 24000, 2
        self.received: dict[tuple[Any, Any], Fraction] = {}  # (item, content) -> ms handed out
        self.formats: dict[tuple[Any, Any], set[tuple[int, int]]] = {}  # ... -> formats seen
        self.report: Interruption | None = None  # what the last interrupt() said it did
        self.dying = 0  # 1: the socket dies with the frames of this operation unwritten
        self.new_socket = False  # the last operation opened a socket

    # -------------------------------------------------------------- operations

    def connect(self) -> None:
        self.machine.connection_made(self.now)
        self.connected = self.new_socket = True

    def lose(self, unsent: list[bytes] | None = None) -> None:
        self.machine.connection_lost(unsent or ())
        self.connected = False

    def feed(self, message: bytes | str) -> None:
        if not self.connected:
            return  # a closed socket delivers nothing
        with suppress(RemoteProtocolError):
            self.machine.receive_message(message)

    def command(self, run: Callable[[], Any]) -> Any:
        try:
            return run()
        except LocalProtocolError:
            return None

    def cancel_response(self) -> None:
        active = self.machine.active_response
        if self.command(self.machine.cancel_response) is not None:
            assert active is not None, "response.cancel with no response active"
            self.cancel(active)

    def interrupt(self, variant: int, value: int) -> None:
        active = self.machine.active_response
        server_cancels = (None, None, True, False)[variant & 3]
        if variant & 4:
            report = self.command(
                lambda: self.machine.interrupt(played_samples=value, server_cancels=server_cancels)
            )
        else:
            played_ms = value / (1 + (variant >> 3))
            report = self.command(
                lambda: self.machine.interrupt(played_ms=played_ms, server_cancels=server_cancels)
            )
        if active is not None:
            self.cancel(active)  # by the client, or by server VAD on its behalf
        self.report = report

    def cancel(self, response_id: str) -> None:
        self.cancelled[response_id] = None  # first-in first-out, as the machine's memory
        if len(self.cancelled) > REMEMBERED:  # the machine forgets as much, no more
            self.cancelled.popitem(last=False)

    def submit(self, pick: int) -> None:
        call_id = self.calls[pick % len(self.calls)] if self.calls and pick < 200 else "call_x"
        item_id = self.command(lambda: self.machine.submit_tool_output(call_id, '{"ok": true}'))
        if isinstance(item_id, str):
            self.output_items.append(item_id)

    # -------------------------------------------------------------- checks

    def after(self) -> None:
        """Take the frames and events of the last operation and check them."""
        frames = self.machine.data_to_send()
        if not self.connected:
            assert frames == [], "frames handed out while disconnected"
        sent = [self.check_frame(frame) for frame in frames]
        if self.report is not None:
            self.check_interruption(self.report, frames)
            self.report = None
        if self.new_socket:
            self.new_socket = False
            # A new socket has no response active: a response.create the caller asked for
            # that the machine still holds back, with none going out ahead of it (queued or
            # unsent while the socket was down), waits for a response.done that never comes.
            ahead = any(_is_default_create(e) for e in sent)
            assert ahead or not self.machine._requests.waiting, (
                "a response.create stranded by a reconnect"
            )
        if self.dying:
            self.dying -= 1
            if not self.dying and self.connected:  # they go out first on the next socket
                self.lose(frames)
        for event in self.machine.events():
            self.check_event(event)
        assert len(self.machine.mirror) <= self.machine.mirror.max_items, "mirror over its bound"
        kept = max(len(self.machine._text), len(self.machine._transcript))
        assert kept <= REMEMBERED, f"text kept for {kept} responses: unbounded"

    def check_frame(self, frame: bytes) -> Any:
        """Check one frame handed out; the client event it decodes to."""
        assert isinstance(frame, bytes), f"frame is {type(frame).__name__}"
        try:
            event = decode_client_event(frame, api="realtime")
        except RemoteProtocolError as exc:
            raise AssertionError(f"frame does not decode as a client event: {exc}") from None
        assert not isinstance(event, UnknownEvent), f"unknown client event {event.type!r}"
        self.frames.append(frame)
        if event.event_id is not None:
            self.client_event_ids.append(event.event_id)
            del self.client_event_ids[:-16]
        if isinstance(event, ConversationItemTruncate):
            key = (event.item_id, event.content_index)
            received = self.received.get(key, Fraction(0))
            end = event.audio_end_ms
            changed = self.formats.get(key, set()) - {(self.rate, self.width)}
            assert 0 <= end <= received, (
                f"truncate at {end} ms, {float(received)} ms handed out"
                + (" (after an output format change)" if changed else "")
            )
        elif isinstance(event, ResponseCancel):
            if event.response_id is not None:
                self.cancel(event.response_id)
        elif _is_default_create(event):
            active = self.machine.active_response
            assert active is None, f"response.create while {active!r} is active"
        return event

    def check_event(self, event: Any) -> None:
        assert isinstance(event, ALLOWED), f"undocumented event {type(event).__name__}"
        if isinstance(event, SessionCreated | SessionUpdated):
            self.rate, self.width = _rate_and_width(event.session)
        elif isinstance(event, ResponseOutputAudioDelta):
            assert event.response_id not in self.cancelled, (
                f"audio of cancelled response {event.response_id!r} handed out"
            )
            # the machine files audio without a content index under 0, as the API numbers it
            key = (event.item_id, event.content_index or 0)
            ms = Fraction(len(event.delta) // self.width * 1000, self.rate)
            self.received[key] = self.received.get(key, Fraction(0)) + ms
            self.formats.setdefault(key, set()).add((self.rate, self.width))
        elif isinstance(event, ToolCall):
            call_id = event.call_id
            assert call_id not in self.surfaced, f"call {call_id!r} surfaced twice"
            self.surfaced[call_id] = None
            if len(self.surfaced) > REMEMBERED:  # the machine forgets as much, no more
                self.surfaced.popitem(last=False)
            self.calls.append(call_id)

    def check_interruption(self, report: Interruption, frames: list[bytes]) -> None:
        assert report.played_ms <= report.received_ms, "played more than received"
        assert not (report.truncated and report.deleted), "both truncated and deleted"
        if not self.connected:
            return  # the frames wait for the next connection
        sent = [json.loads(f) for f in frames]
        if report.truncated:
            assert any(
                f["type"] == "conversation.item.truncate" and f["audio_end_ms"] == report.played_ms
                for f in sent
            ), "truncated without a truncate at the played position"
        if report.deleted:
            assert any(f["type"] == "conversation.item.delete" for f in sent), "deleted, not sent"


def _operate(h: Harness, r: Reader) -> None:
    op = r.byte()
    kind, variant = op % 16, op // 16
    machine = h.machine
    if kind < RAW:  # a realistic server event, maybe damaged
        _, template = TEMPLATES[r.byte() % len(TEMPLATES)]
        picks = Picks(r.byte(), r.byte(), h)
        event = damage(template(picks), variant, r.byte() if variant >= 10 else 0)
        text = json.dumps(event, ensure_ascii=(variant & 1) == 0)
        h.feed(text if variant & 2 else text.encode())
    elif kind == RAW:  # raw bytes from the input
        message = r.take(r.u16())
        h.feed(message.decode("utf-8", "replace") if variant & 1 else message)
    elif kind == APPEND:
        size = r.u16() * (16 if variant == 15 else 1)
        h.command(lambda: machine.append_audio(bytes(size)))
    elif kind == SEND_TEXT:
        text = r.take(r.byte()).decode("utf-8", "replace")
        options = RESPONSE_OPTIONS[variant >> 1] if variant & 1 else {}
        h.command(lambda: machine.send_text(text, respond=variant != 0, **options))
    elif kind == CREATE:
        h.command(lambda: machine.create_response(**RESPONSE_OPTIONS[variant % 8]))
    elif kind == CANCEL:
        h.cancel_response()
    elif kind == INTERRUPT:
        h.interrupt(variant, r.u16())
    elif kind == SUBMIT:
        h.submit(r.byte())
    elif kind == TOGGLE:  # the socket closes (now or after the next operation), or opens
        if h.connected and variant & 2:
            h.dying = 2
        elif h.connected or variant & 1:
            h.lose()  # when closed already: connection_lost() is idempotent
        else:
            h.connect()
    elif kind == ROLLOVER:  # a rollover: the old socket closes, the new one is open
        if h.connected:
            h.lose()
        h.connect()
    elif kind == TIMEOUT:
        h.now += r.u16() * (60.0 if variant & 1 else 1.0)
        machine.handle_timeout(h.now)
    elif kind == AUDIO_OR_SESSION:
        if variant < 4:
            h.command(machine.commit_audio if variant & 1 else machine.clear_audio)
        else:
            h.command(lambda: machine.update_session(**SESSION_CHANGES[variant % 4]))
    else:
        item_id = ITEM_IDS[variant % 4]
        h.command(lambda: (machine.delete_item if variant & 4 else machine.retrieve_item)(item_id))
    h.after()


def run(data: bytes) -> Harness | None:
    """Run one input; the harness (with every frame handed out) for the mirror test."""
    if not data:
        return None
    config = CONFIGS[data[0] % len(CONFIGS)]
    harness = Harness(config)
    harness.connect()
    harness.after()
    reader = Reader(data)
    reader.at = 1
    while reader:
        _operate(harness, reader)
    return harness


# --------------------------------------------------------------------------------------------
# Failures already reported (see the mirror test's xfail reproducers).

KNOWN_BUGS: tuple[tuple[str, type[BaseException], str], ...] = ()
"""Failures the machine is known to have (name, exception type, where): none today. An
entry lets long runs (``FUZZ_SKIP_KNOWN=1``) look past it; each needs a reproducer test."""
"""(name, exception type, the machine's function it escaped from, or a piece of the
assertion's text): the failures reported so far, each with a strict-xfail reproducer in
``tests/test_fuzz_realtime_mirror.py``. Remove an entry with its fix."""


def known_bug(exc: BaseException) -> str | None:
    """The name of the known failure `exc` is, or None."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].name if frames else ""
    for name, kind, marker in KNOWN_BUGS:
        if isinstance(exc, kind) and (marker == where or marker in str(exc)):
            return name
    return None


def TestOneInput(data: bytes) -> None:
    try:
        run(data)
    except Exception as exc:
        if SKIP_KNOWN and known_bug(exc) is not None:
            return
        raise


# --------------------------------------------------------------------------------------------
# Seeds: realistic sessions, from the official examples where the fixtures are present.


def _realtime_examples(shared: Path) -> dict[str, dict[str, Any]]:
    rows = example_rows(shared) or []
    return {
        r["example"]["type"]: r["example"]
        for r in rows
        if r["group"] == "realtime-server-events" and isinstance(r["example"].get("type"), str)
    }


def _ours(event: dict[str, Any], **ids: str) -> dict[str, Any]:
    """An official example re-pointed at the ids of one turn (``response_id``, ``item_id``,
    ``call_id``; and the ``response`` / ``item`` objects' ids)."""
    out: dict[str, Any] = json.loads(json.dumps(event))
    for key, value in ids.items():
        if key in out:
            out[key] = value
    if isinstance(out.get("response"), dict) and "response_id" in ids:
        out["response"]["id"] = ids["response_id"]
    if isinstance(out.get("item"), dict) and "item_id" in ids:
        out["item"]["id"] = ids["item_id"]
    return out


def _pcm_delta(ms: int, **ids: str) -> dict[str, Any]:
    audio = base64.b64encode(b"\x01\x00" * (24 * ms)).decode()
    return {
        "type": "response.output_audio.delta",
        "output_index": 0,
        "content_index": 0,
        "delta": audio,
        **ids,
    }


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    ex = _realtime_examples(shared)
    turn = {"response_id": "resp_A", "item_id": "item_1"}
    setup = raw(ex["session.created"]) if "session.created" in ex else tpl(T["session.created"])
    ms60 = (60).to_bytes(2, "little")

    # a text turn
    text = [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    turn_events = b"".join(raw(_ours(ex[t], **turn)) for t in text if t in ex)
    yield bytes([0]) + setup + op(SEND_TEXT, 1, bytes([2]) + b"hi") + turn_events

    # an audio turn: 100 ms in five deltas, interrupted at 60 ms (with and without server VAD),
    # or before anything was heard and with audio still arriving, or cancelled
    audio = b"".join(raw(_ours(ex[t], **turn)) for t in text[:4] if t in ex)
    audio += b"".join(raw(_pcm_delta(20, **turn)) for _ in range(5))
    for config in (0, 1, 2):
        yield bytes([config]) + setup + audio + op(INTERRUPT, 3, ms60)
        yield bytes([config]) + setup + audio + op(INTERRUPT, 0, ms60)
    yield bytes([0]) + setup + audio + op(INTERRUPT, 3, b"\0\0") + raw(_pcm_delta(20, **turn))
    yield (
        bytes([0])
        + setup
        + audio
        + op(CANCEL)
        + raw(_pcm_delta(20, **turn))
        + tpl(T["response.done"], 0, 1)
    )

    # a function-call turn, its output, the follow-up response
    call = {"response_id": "resp_B", "item_id": "item_2", "call_id": "call_1"}
    calls = [
        "response.created",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.done",
    ]
    body = b"".join(raw(_ours(ex[t], **call)) for t in calls if t in ex)
    yield (
        bytes([1])
        + setup
        + body
        + op(SUBMIT, 0, b"\0")
        + tpl(T["conversation.item.created/output"])
        + tpl(T["response.created"])
        + tpl(T["response.done"])
    )

    # errors: a racing response.create refused, a session expiry and the recovery
    error = T["error"]
    yield (
        bytes([0])
        + setup
        + op(CREATE)
        + tpl(T["response.created"], 1)
        + op(CREATE)
        + tpl(error, 0, 0)
        + tpl(T["response.done"], 1)
    )
    if "error" in ex:
        yield bytes([0]) + setup + raw(ex["error"])
    yield bytes([5]) + setup + tpl(error, 0, 2 << 3) + op(TOGGLE) + op(TOGGLE) + tpl(0)

    # the same shapes from the templates alone (no fixtures needed)
    delta = T["response.output_audio.delta"]
    yield (
        bytes([0])
        + tpl(T["session.created"])
        + tpl(T["response.created"])
        + tpl(delta, 0, 50)
        + tpl(delta, 0, 99)
        + op(INTERRUPT, 3, b"\x10\x00")
    )
    yield (
        bytes([1])
        + tpl(T["response.created"], 1)
        + tpl(T["response.function_call_arguments.done"], 1)
        + tpl(T["response.output_item.done/function_call"], 1)
        + tpl(T["response.done"], 1, 32)
        + op(SUBMIT, 0, b"\0")
    )
    yield (
        bytes([2])
        + tpl(T["session.created"], 0, 1)
        + tpl(T["response.created"], 2)
        + tpl(delta, 2, 40)
        + tpl(T["input_audio_buffer.speech_started"])
        + op(INTERRUPT, 0, b"\x20\x00")
    )
    yield (
        bytes([4])
        + op(APPEND, 0, b"\xff\x0f")
        + op(TIMEOUT, 1, b"\x10\x00")
        + op(SEND_TEXT, 0, b"\x02ok")
    )
    yield (
        bytes([3])
        + tpl(T["response.output_audio_transcript.delta"])
        + tpl(T["response.output_text.delta"])
        + op(TOGGLE)
        + op(TOGGLE)
        + tpl(T["response.created"])
        + op(CANCEL)
    )
    for index in range(len(TEMPLATES)):  # each template, whole and damaged
        yield bytes([0]) + tpl(T["response.created"]) + tpl(index, 0, 7) + tpl(index, 0, 7, 13, 1)
    for example in ex.values():  # every official server event as it is
        yield bytes([0]) + raw(example) + raw(example, as_text=True)


if __name__ == "__main__":
    # a file on the command line is an input to replay, not a corpus directory to seed
    seed_corpus_dirs([a for i, a in enumerate(sys.argv) if not i or not Path(a).is_file()], seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
