"""`RealtimeSession` against a fake Realtime (GA) server, driven by hypothesis.

`FakeServer` is a small pure model of the server side of a voice session: one conversation per
socket (items ordered, created/deleted/truncated by client events), one active
default-conversation response at a time (``conversation_already_has_active_response``
otherwise), out-of-band responses beside it, server VAD (speech started/stopped, committed
user audio, transcription, an automatic response, ``interrupt_response`` cancelling the active
one), responses that speak (transcript + audio in lockstep), write text or call
``get_weather``, cancels (``response_cancel_not_active`` when too late), truncation checked
against the audio it generated, repeated ``*.done`` frames, ``response.done`` without
``response.created``, injected errors, ``session_expired``. Client frames reach it at once;
its frames reach the machine only when a rule delivers them, so every race of the real API
(a server VAD response started while the follow-up is in flight, deltas in flight after a
cancel) happens.

The state machine interleaves the caller (audio appends, text, ``create_response``, cancels,
``interrupt`` at random played positions, tool outputs), the server (VAD turns, streaming,
errors) and the network (drops, reconnects, rollover past 55 minutes) and checks:

- a truncate never names more audio than the client received for that item;
- no delta of a response the caller cancelled reaches it, and no ``*.done`` twice;
- each function call surfaces once; every tool batch gets its answer, and exactly one
  ``response.create`` per batch: a follow-up is only sent when a batch is complete (its
  ``response.done`` received, every output held by the server) and not already answered by
  a response the machine knew of; no ``response.create`` while a response the machine knows
  is active;
- after a rollover or a reconnect, the conversation restored on the new socket equals the old
  one (same ids, same order; text exact; assistant audio as a prefix of its transcript);
- every response the server started (as far as the machine could know) ends with exactly one
  `ResponseFinished`, and the machine ends idle (teardown drives everything to the end).
"""

from __future__ import annotations

import base64
import json
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pydantic
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent

from openai_sansio.protocol.events.common import ToolCall
from openai_sansio.protocol.realtime import RealtimeSession
from openai_sansio.protocol.realtime_session_events import (
    ConversationRestored,
    Interruption,
    RealtimeError,
    ReconnectNeeded,
    ResponseFinished,
    RolloverNeeded,
)

RATE = 24000  # audio/pcm both ways
ROLLOVER_S = 55 * 60.0
WORDS = ("sun", "rain", "wind", "snow", "fog", "hail", "mist", "heat")
STEPS = ("audio", "text", "call", "bad_call", "more", "more", "more", "end")
"""What a response does next (see `FakeServer.step`)."""
FOLLOWUP = {"metadata": {"origin": "followup"}}
_SERVER_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)
_CLIENT_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)
DELTAS = (
    "response.output_audio.delta",
    "response.output_audio_transcript.delta",
    "response.output_text.delta",
    "response.function_call_arguments.delta",
)
ITEM_DONES = (
    "response.output_audio.done",
    "response.output_audio_transcript.done",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.function_call_arguments.done",
)
INJECTED = (
    ("server_error", "server_error", "retryable"),
    ("rate_limit_exceeded", "invalid_request_error", "retryable"),
    ("invalid_api_key", "invalid_request_error", "fatal"),
    ("insufficient_quota", "insufficient_quota", "fatal"),
)


def pcm(ms: int) -> str:
    return base64.b64encode(b"\x01\x00" * (ms * RATE // 1000)).decode()


# ----------------------------------------------------------------------------- the fake server


@dataclass
class Item:
    id: str
    type: str  # message | function_call | function_call_output
    role: str | None = None
    kind: str = ""  # input_text | input_audio | output_audio | output_text
    text: str = ""  # input/output text, transcription, transcript
    call_id: str | None = None
    arguments: str = ""
    output: str = ""
    status: str = "completed"
    audio_ms: int = 0  # assistant audio generated

    def wire(self) -> dict[str, Any]:
        base: dict[str, Any] = {"id": self.id, "object": "realtime.item", "type": self.type}
        if self.type == "function_call":
            return {
                **base,
                "status": self.status,
                "call_id": self.call_id,
                "name": "get_weather",
                "arguments": self.arguments,
            }
        if self.type == "function_call_output":
            return {**base, "call_id": self.call_id, "output": self.output}
        if self.kind == "input_audio":
            part: dict[str, Any] = {"type": "input_audio", "transcript": self.text or None}
        elif self.kind == "output_audio":
            part = {"type": "output_audio", "transcript": self.text}
        else:
            part = {"type": self.kind, "text": self.text}
        content = [] if self.status == "in_progress" and self.role == "assistant" else [part]
        return {**base, "role": self.role, "status": self.status, "content": content}


@dataclass
class Response:
    rid: str
    oob: bool
    origin: str
    open: Item | None = None
    chunks: int = 0  # chunks streamed of the open item
    output: list[Item] = field(default_factory=list)
    done: bool = False
    calls: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """The calls of one response the caller was given (`ToolCall`)."""

    rid: str
    calls: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Start:
    """A default response starting at the server, and what the server held then."""

    rid: str
    outputs: frozenset[str]  # call ids with an output in the conversation
    over: frozenset[str]  # responses already finished on that socket
    socket: int


class FakeServer:
    """One socket's worth of server (`counter` and `generated` are shared by all of them)."""

    def __init__(
        self,
        rng: random.Random,
        counter: list[int],
        generated: dict[str, str],
        *,
        vad_interrupt: bool,
        vad_create: bool,
    ) -> None:
        self.rng = rng
        self.counter = counter
        self.generated: dict[str, str] = generated  # item id -> every word generated for it
        self.vad_interrupt = vad_interrupt
        self.vad_create = vad_create
        self.out: deque[dict[str, Any]] = deque()
        self.order: list[str] = []
        self.items: dict[str, Item] = {}
        self.active: Response | None = None
        self.oob: list[Response] = []
        self.buffered_ms = 0
        self.closed = False
        self.responses: dict[str, Response] = {}
        self.outputs: dict[str, str] = {}  # call id -> output item id, in this conversation
        self.created_frames: dict[str, dict[str, Any]] = {}  # rid -> its response.created
        self.create_outcome: dict[str, str] = {}  # event id of a create -> rid or "error"
        self.on_start: Any = None  # called with each default response as it starts

    # plumbing

    def new_id(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}_{self.counter[0]}"

    def emit(self, frame: dict[str, Any]) -> dict[str, Any]:
        frame = {"type": frame["type"], "event_id": self.new_id("event"), **frame}
        self.out.append(frame)
        return frame

    def error(self, code: str, message: str, event_id: str | None, type_: str = "") -> None:
        error = {
            "type": type_ or "invalid_request_error",
            "code": code,
            "message": message,
            "param": None,
            "event_id": event_id,
        }
        self.emit({"type": "error", "error": error})

    def last(self) -> str | None:
        return self.order[-1] if self.order else None

    def insert(self, item: Item, previous: str | None) -> str | None:
        """Add an item after `previous` (None: at the end); returns the item before it."""
        if previous is None:
            self.order.append(item.id)
        elif previous == "root":
            self.order.insert(0, item.id)
        else:
            self.order.insert(self.order.index(previous) + 1, item.id)
        self.items[item.id] = item
        at = self.order.index(item.id)
        return self.order[at - 1] if at else None

    def echo(self, item: Item, previous: str | None, done: bool = True) -> None:
        self.emit(
            {"type": "conversation.item.added", "previous_item_id": previous, "item": item.wire()}
        )
        if done:
            self.emit(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": previous,
                    "item": item.wire(),
                }
            )

    def previous_of(self, item_id: str) -> str | None:
        at = self.order.index(item_id)
        return self.order[at - 1] if at else None

    # client events

    def receive(self, frame: dict[str, Any]) -> None:
        if self.closed:
            return  # the socket is going away: lost
        kind = frame["type"]
        event_id = frame.get("event_id")
        if kind == "session.update":
            self.emit({"type": "session.updated", "session": session_object(frame["session"])})
        elif kind == "input_audio_buffer.append":
            self.buffered_ms += len(base64.b64decode(frame["audio"])) * 1000 // (2 * RATE)
        elif kind == "input_audio_buffer.commit":
            if self.buffered_ms < 100:
                self.error(
                    "input_audio_buffer_commit_empty",
                    "Error committing input audio buffer: buffer too small.",
                    event_id,
                )
            else:
                self.commit()
        elif kind == "conversation.item.create":
            self.item_create(frame, event_id)
        elif kind == "conversation.item.truncate":
            self.truncate(frame, event_id)
        elif kind == "conversation.item.delete":
            item_id = frame["item_id"]
            if item_id not in self.items:
                self.error("item_delete_invalid_item_id", f"Item {item_id} not found", event_id)
            else:
                self.order.remove(item_id)
                del self.items[item_id]
                self.emit({"type": "conversation.item.deleted", "item_id": item_id})
        elif kind == "response.create":
            self.response_create(frame, event_id)
        elif kind == "response.cancel":
            active = self.active
            if active is None or active.rid != frame.get("response_id"):
                self.error(
                    "response_cancel_not_active",
                    "Cancellation failed: no active response found",
                    event_id,
                )
            else:
                self.finish(active, "cancelled", "client_cancelled")
        else:
            raise AssertionError(f"the fake server does not take {kind}")

    def item_create(self, frame: dict[str, Any], event_id: str | None) -> None:
        body = frame["item"]
        previous = frame.get("previous_item_id")
        if previous is not None and previous != "root" and previous not in self.items:
            self.error("invalid_value", f"Previous item {previous} not found", event_id)
            return
        item_id = body.get("id") or self.new_id("item_srv")
        if item_id in self.items:
            self.error("invalid_value", f"Item with id '{item_id}' already exists.", event_id)
            return
        if body["type"] == "message":
            part = body["content"][0]
            item = Item(item_id, "message", body["role"], part["type"], part["text"])
        elif body["type"] == "function_call":
            item = Item(
                item_id, "function_call", call_id=body["call_id"], arguments=body["arguments"]
            )
        else:
            item = Item(
                item_id, "function_call_output", call_id=body["call_id"], output=body["output"]
            )
            self.outputs[body["call_id"]] = item_id
        self.echo(item, self.insert(item, previous))

    def truncate(self, frame: dict[str, Any], event_id: str | None) -> None:
        item = self.items.get(frame["item_id"])
        end = frame["audio_end_ms"]
        if item is None or item.role != "assistant" or item.kind != "output_audio":
            self.error(
                "invalid_value", "Only model output audio messages can be truncated", event_id
            )
            return
        if end > item.audio_ms:
            self.error("invalid_value", "audio_end_ms is longer than the audio", event_id)
            return
        words = item.text.split()  # the server cuts its transcript by time, like its audio
        item.text = " ".join(words[: len(words) * end // max(1, item.audio_ms)])
        item.audio_ms = end
        self.emit(
            {
                "type": "conversation.item.truncated",
                "item_id": item.id,
                "content_index": 0,
                "audio_end_ms": end,
            }
        )

    # responses

    def response_create(self, frame: dict[str, Any], event_id: str | None) -> None:
        options = frame.get("response") or {}
        origin = (options.get("metadata") or {}).get("origin", "caller")
        if options.get("conversation") == "none":
            self.start(origin, oob=True, metadata=options.get("metadata"))
            return
        if self.active is not None:
            message = f"Conversation already has an active response in progress: {self.active.rid}."
            self.error("conversation_already_has_active_response", message, event_id)
            if event_id:
                self.create_outcome[event_id] = "error"
            return
        response = self.start(origin, oob=False, metadata=options.get("metadata"))
        if event_id:
            self.create_outcome[event_id] = response.rid

    def start(self, origin: str, *, oob: bool, metadata: dict[str, str] | None = None) -> Response:
        response = Response(self.new_id("resp"), oob, origin)
        self.responses[response.rid] = response
        if oob:
            self.oob.append(response)
        else:
            self.active = response
            if self.on_start is not None:
                self.on_start(response)
        body = {
            "id": response.rid,
            "object": "realtime.response",
            "status": "in_progress",
            "output": [],
            "conversation_id": None if oob else "conv_1",
            "output_modalities": ["text"] if oob else ["audio"],
            "metadata": metadata,
        }
        self.created_frames[response.rid] = self.emit(
            {"type": "response.created", "response": body}
        )
        return response

    def step(self, response: Response, choice: str, repeat: bool = False) -> None:
        """One step of a response as `choice` says: open an item (``audio``, ``text``,
        ``call``, ``bad_call``), stream a chunk of the open one (``more``), close it or end
        the response (``end``). An out-of-band response writes one text item. `repeat`: the
        dones of an item that closes now are sent twice."""
        if response.oob:
            choice = "text" if not response.output and response.open is None else choice
        if response.open is None:
            if choice == "end" or (response.output and response.oob):
                self.finish(response, "completed", None, repeat)
            elif choice in ("call", "bad_call"):
                self.call(response, bad=choice == "bad_call")
            else:
                self.open_item(response, "output_text" if choice == "text" else "output_audio")
            return
        if choice == "end" or response.chunks >= 4:
            self.close_item(response, "completed", repeat)
            return
        item = response.open
        word = self.rng.choice(WORDS) + " "
        item.text += word
        self.generated[item.id] = item.text
        response.chunks += 1
        if item.kind == "output_audio":
            ms = self.rng.choice((40, 100, 160))
            item.audio_ms += ms
            transcript = self.part_event(
                response, item, "response.output_audio_transcript.delta", delta=word
            )
            self.emit(transcript)
            self.emit(self.part_event(response, item, "response.output_audio.delta", delta=pcm(ms)))
        else:
            self.emit(self.part_event(response, item, "response.output_text.delta", delta=word))

    def open_item(self, response: Response, kind: str) -> None:
        item = Item(self.new_id("item_srv"), "message", "assistant", kind, status="in_progress")
        response.open = item
        response.chunks = 0
        added = {
            "type": "response.output_item.added",
            "response_id": response.rid,
            "output_index": len(response.output),
            "item": item.wire(),
        }
        self.emit(added)
        if not response.oob:
            self.echo(item, self.insert(item, None), done=False)
        audio = kind == "output_audio"
        part = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        self.emit(self.part_event(response, item, "response.content_part.added", part=part))

    def part_event(self, response: Response, item: Item, type_: str, **fields: Any) -> dict:
        return {
            "type": type_,
            "response_id": response.rid,
            "item_id": item.id,
            "output_index": len(response.output),
            "content_index": 0,
            **fields,
        }

    def close_item(self, response: Response, status: str, dup: bool = False) -> None:
        item = response.open
        assert item is not None
        item.status = status
        if item.kind == "output_audio":
            frames = [
                self.part_event(response, item, "response.output_audio.done"),
                self.part_event(
                    response, item, "response.output_audio_transcript.done", transcript=item.text
                ),
                self.part_event(
                    response,
                    item,
                    "response.content_part.done",
                    part={"type": "audio", "transcript": item.text},
                ),
            ]
        else:
            frames = [
                self.part_event(response, item, "response.output_text.done", text=item.text),
                self.part_event(
                    response,
                    item,
                    "response.content_part.done",
                    part={"type": "text", "text": item.text},
                ),
            ]
        frames.append(
            {
                "type": "response.output_item.done",
                "response_id": response.rid,
                "output_index": len(response.output),
                "item": item.wire(),
            }
        )
        for frame in frames:
            self.emit(frame)
            if dup:
                self.emit(frame)  # the server repeats a done
        if not response.oob and item.id in self.items:
            self.emit(
                {
                    "type": "conversation.item.done",
                    "previous_item_id": self.previous_of(item.id),
                    "item": item.wire(),
                }
            )
        response.output.append(item)
        response.open = None

    def call(self, response: Response, *, bad: bool = False) -> None:
        call_id = self.new_id("call")
        item = Item(self.new_id("item_fc"), "function_call", call_id=call_id, status="in_progress")
        index = len(response.output)
        self.emit(
            {
                "type": "response.output_item.added",
                "response_id": response.rid,
                "output_index": index,
                "item": item.wire(),
            }
        )
        previous = self.insert(item, None)
        self.echo(item, previous, done=False)
        arguments = json.dumps({"city": self.rng.choice(("Paris", "Lyon", "Nice"))})
        if bad:
            arguments = arguments[:-3]  # not JSON: the caller gets a typed problem
        head = {
            "response_id": response.rid,
            "item_id": item.id,
            "output_index": index,
            "call_id": call_id,
        }
        self.emit(
            {"type": "response.function_call_arguments.delta", **head, "delta": arguments[:5]}
        )
        self.emit(
            {"type": "response.function_call_arguments.delta", **head, "delta": arguments[5:]}
        )
        self.emit(
            {
                "type": "response.function_call_arguments.done",
                **head,
                "name": "get_weather",
                "arguments": arguments,
            }
        )
        item.arguments = arguments
        item.status = "completed"
        self.emit(
            {
                "type": "response.output_item.done",
                "response_id": response.rid,
                "output_index": index,
                "item": item.wire(),
            }
        )
        self.emit(
            {"type": "conversation.item.done", "previous_item_id": previous, "item": item.wire()}
        )
        response.output.append(item)
        response.calls.append(call_id)

    def finish(
        self, response: Response, status: str, reason: str | None, repeat: bool = False
    ) -> None:
        if response.open is not None:
            self.close_item(response, "incomplete" if status != "completed" else status, repeat)
        response.done = True
        details = None if reason is None else {"type": status, "reason": reason}
        inp, out = self.rng.randint(1, 50), self.rng.randint(1, 50)
        body = {
            "id": response.rid,
            "object": "realtime.response",
            "status": status,
            "status_details": details,
            "output": [i.wire() for i in response.output],
            "conversation_id": None if response.oob else "conv_1",
            "usage": {"total_tokens": inp + out, "input_tokens": inp, "output_tokens": out},
        }
        frame = self.emit({"type": "response.done", "response": body})
        if self.rng.random() < 0.2:  # a repeated done: finalised once
            self.emit(dict(frame))
        if response.oob:
            self.oob.remove(response)
        elif self.active is response:
            self.active = None

    # server VAD

    def commit(self) -> str:
        item = Item(self.new_id("item_user"), "message", "user", "input_audio")
        previous = self.last()
        self.emit(
            {
                "type": "input_audio_buffer.committed",
                "item_id": item.id,
                "previous_item_id": previous,
            }
        )
        self.echo(item, self.insert(item, None))
        self.buffered_ms = 0
        return item.id

    def user_turn(self, skip_created: bool) -> None:
        """The user speaks: speech_started (cancelling the active response when
        interrupt_response is on; with `skip_created` its response.created, if still
        unsent, is never sent), stopped, committed, and maybe an automatic response."""
        user_id_hint = self.new_id("vad")
        self.emit(
            {
                "type": "input_audio_buffer.speech_started",
                "audio_start_ms": 1000,
                "item_id": user_id_hint,
            }
        )
        active = self.active
        if active is not None and self.vad_interrupt:
            created = self.created_frames.get(active.rid)
            if (
                skip_created
                and created is not None
                and len(self.out) > 1
                and self.out[-2] is created
            ):
                self.out.remove(created)  # never sent: its response.done comes alone
            self.finish(active, "cancelled", "turn_detected")
        self.emit(
            {
                "type": "input_audio_buffer.speech_stopped",
                "audio_end_ms": 1800,
                "item_id": user_id_hint,
            }
        )
        self.buffered_ms = 1000
        self.commit()
        if self.vad_create and self.active is None:
            self.start("vad", oob=False)

    def transcribe(self, item_id: str) -> None:
        item = self.items[item_id]
        item.text = " ".join(self.rng.sample(WORDS, 2))
        self.emit(
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "item_id": item_id,
                "content_index": 0,
                "transcript": item.text,
                "usage": {
                    "type": "tokens",
                    "total_tokens": 3,
                    "input_tokens": 2,
                    "output_tokens": 1,
                },
            }
        )


def session_object(session: dict[str, Any]) -> dict[str, Any]:
    audio_input = (session.get("audio") or {}).get("input") or {}
    detection = audio_input.get("turn_detection", {"type": "server_vad"})
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": "sess_1",
        "model": "gpt-realtime",
        "output_modalities": ["audio"],
        "audio": {
            "input": {"format": {"type": "audio/pcm", "rate": RATE}, "turn_detection": detection},
            "output": {"format": {"type": "audio/pcm", "rate": RATE}, "voice": "marin"},
        },
    }


# ----------------------------------------------------------------------------- the reference


@dataclass
class Ref:
    """An item of the conversation as the client could know it (from delivered frames)."""

    id: str
    type: str
    role: str | None
    kind: str
    text: str = ""
    call_id: str | None = None
    arguments: str = ""
    output: str = ""
    complete: bool = False
    done_arguments: str | None = None  # from response.function_call_arguments.done


def _kind(item: dict[str, Any]) -> tuple[str, str]:
    content = item.get("content") or []
    if not content:
        return ("output_audio" if item.get("role") == "assistant" else ""), ""
    part = content[0]
    return part["type"], part.get("text") or part.get("transcript") or ""


def is_subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


class SessionMachine(RuleBasedStateMachine):
    """The caller, the network and the fake server around one `RealtimeSession`."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = [0]
        self.ids = iter(range(1, 10**9))
        self.machine = RealtimeSession()
        self.now = 0.0
        self.server: FakeServer | None = None
        self.rng = random.Random(0)
        self.vad_interrupt = True
        self.vad_create = True
        # what the client could know
        self.ref: dict[str, Ref] = {}
        self.order: list[str] = []
        self.received: dict[str, int] = {}  # assistant item -> audio samples delivered
        self.audio_socket: dict[str, int] = {}  # assistant item -> connection its audio came on
        self.generated: dict[str, str] = {}  # assistant item -> every word the server made
        self.created_seen: set[str] = set()
        self.done_seen: set[str] = set()
        self.finished: dict[str, int] = {}
        self.cancelled: set[str] = set()
        self.surfaced: set[str] = set()
        self.dones_seen: set[tuple[Any, ...]] = set()
        self.pending_calls: list[str] = []
        self.call_response: dict[str, str] = {}  # call id -> response id (server truth)
        self.batches: dict[str, Batch] = {}
        self.starts: list[Start] = []
        self.socket_of: dict[str, int] = {}  # response id -> the connection it ran on
        self.submitted: dict[str, str] = {}  # call id -> output item id
        self.sent_items: dict[str, dict[str, Any]] = {}  # items the client created, by id
        self.acked: set[str] = set()  # output item ids echoed to the client
        self.caller_tags: dict[str, str] = {}  # caller create tag -> "waiting" | "sent"
        self.create_tags: dict[str, str] = {}  # event id -> caller create tag
        self.in_flight: set[str] = set()  # event ids of creates without a delivered outcome
        self.restore_pending: set[str] = set()
        self.rollover_due = False
        self.expired = False
        self.connections = 0

    # ------------------------------------------------------------------ plumbing

    @initialize(
        seed=st.integers(0, 2**16),
        vad_interrupt=st.booleans(),
        vad_create=st.booleans(),
    )
    def setup(self, seed: int, vad_interrupt: bool, vad_create: bool) -> None:
        self.rng = random.Random(seed)
        self.vad_interrupt = vad_interrupt
        self.vad_create = vad_create
        detection = {
            "type": "server_vad",
            "interrupt_response": vad_interrupt,
            "create_response": vad_create,
        }
        self.machine = RealtimeSession(
            {
                "model": "gpt-realtime",
                "instructions": "Be brief.",
                "audio": {"input": {"turn_detection": detection}},
            },
            ids=lambda: f"evt_{next(self.ids)}",
            followup=FOLLOWUP,
        )
        self._connect()

    def _connect(self) -> None:
        self.server = FakeServer(
            self.rng,
            self.counter,
            self.generated,
            vad_interrupt=self.vad_interrupt,
            vad_create=self.vad_create,
        )
        self.server.on_start = self._answered
        self.server.emit({"type": "session.created", "session": session_object({})})
        self.connections += 1
        self.in_flight.clear()
        self.machine.connection_made(self.now)
        self.rollover_due = False
        self._flush(restoring=self.connections > 1)

    def _flush(self, restoring: bool = False) -> None:
        """Check what the machine concluded (its events), then hand what it sent to the
        server; a due rollover or expiry is acted on last."""
        events = list(self.machine.events())
        frames = [json.loads(f) for f in self.machine.data_to_send()]
        events += list(self.machine.events())
        restored = next((e.items for e in events if isinstance(e, ConversationRestored)), None)
        if restoring:
            assert restored is not None and frames[0]["type"] == "session.update"
            self._check_restore(frames[1 : 1 + restored])
        self._on_events(events)  # what the machine concluded, then what it did about it
        for frame in frames:
            _CLIENT_EVENT.validate_python(frame)
            self._on_client_frame(frame)
            if self.server is not None and self.machine.connected:
                self.server.receive(frame)
        if self.expired:  # the server closes after session_expired
            self.expired = False
            self._drop()
        if self.rollover_due and self.machine.connected:
            self.rollover_due = False  # (a transport may take its time to roll over)
            self._rollover()

    def _on_client_frame(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        server = self.server
        assert server is not None
        if kind == "conversation.item.truncate":
            item_id = frame["item_id"]
            received_ms = self.received.get(item_id, 0) * 1000 // RATE
            assert frame["audio_end_ms"] <= received_ms, (frame, received_ms)
        elif kind == "response.cancel":
            self.cancelled.add(frame["response_id"])
        elif kind == "conversation.item.create":
            item = frame["item"]
            self.sent_items.setdefault(item["id"], item)
            if item["type"] == "function_call_output":
                self.submitted.setdefault(item["call_id"], item["id"])
        elif kind == "response.create":
            options = frame.get("response") or {}
            if options.get("conversation") == "none":
                return
            tag = (options.get("metadata") or {}).get("tag")
            if tag is not None:
                self.caller_tags[tag] = "sent"
                self.create_tags[frame["event_id"]] = tag
            self.in_flight.add(frame["event_id"])
            self._check_create(frame, options)

    def _check_create(self, frame: dict[str, Any], options: dict[str, Any]) -> None:
        server = self.server
        assert server is not None
        known = server.active
        if known is not None and not server.closed:
            assert not (known.rid in self.created_seen and known.rid not in self.done_seen), (
                f"response.create while {known.rid} is active and known",
                frame,
            )
        if (options.get("metadata") or {}).get("origin") == "followup":
            due = [b for b in self.batches.values() if self._due(b)]
            assert due, ("a follow-up without an unanswered complete batch", frame, self.batches)

    def _due(self, batch: Batch) -> bool:
        """Complete (its done received, every output held by this server) and not answered
        by a response the client knew of."""
        server = self.server
        assert server is not None
        if batch.rid not in self.finished:  # its response.done (or its socket's loss)
            return False
        if any(server.outputs.get(c) is None for c in batch.calls):
            return False
        return not any(s.rid in self.created_seen for s in self._answering(batch))

    def _answering(self, batch: Batch) -> list[Start]:
        """The default responses that started once the server held every output of
        `batch` (after its response was over): each of them read the outputs."""
        return [
            s
            for s in self.starts
            if batch.calls <= s.outputs
            and (batch.rid in s.over or s.socket > self.socket_of[batch.rid])
        ]

    def _on_events(self, events: list[Any]) -> None:
        for event in events:
            kind = getattr(event, "type", None)
            if isinstance(kind, str):
                rid = getattr(event, "response_id", None)
                if kind in DELTAS:
                    assert rid not in self.cancelled, f"{kind} of cancelled {rid}"
                if kind in ITEM_DONES:
                    key = (
                        kind,
                        rid,
                        getattr(event, "item_id", None),
                        getattr(event, "content_index", None),
                    )
                    if kind == "response.output_item.done":
                        key = (kind, rid, event.item.id, None)
                    assert key not in self.dones_seen, f"{key} twice"
                    self.dones_seen.add(key)
            elif isinstance(event, ToolCall):
                assert event.call_id not in self.surfaced, f"{event.call_id} surfaced twice"
                self.surfaced.add(event.call_id)
                self.pending_calls.append(event.call_id)
                rid = self.call_response[event.call_id]
                self.batches.setdefault(rid, Batch(rid)).calls.add(event.call_id)
            elif isinstance(event, ResponseFinished):
                self.finished[event.response_id] = self.finished.get(event.response_id, 0) + 1
                assert self.finished[event.response_id] == 1, f"{event.response_id} finished twice"
            elif isinstance(event, RealtimeError):
                code = event.error.code
                expected = {c: k for c, _, k in INJECTED}.get(code or "")
                if expected is not None:
                    assert event.error.classification == expected, event
                if code == "response_cancel_not_active":
                    assert event.error.classification == "benign"
            elif isinstance(event, RolloverNeeded):
                self.rollover_due = True
            elif isinstance(event, ReconnectNeeded) and event.reason == "session_expired":
                self.expired = True

    def _deliver(self, frame: dict[str, Any]) -> None:
        """One server frame reaches the machine; what the client may know is updated."""
        _SERVER_EVENT.validate_python(frame)
        kind = frame["type"]
        if kind in ("conversation.item.added", "conversation.item.done"):
            self._ref_item(frame["item"], frame["previous_item_id"])
        elif kind == "conversation.item.deleted":
            if frame["item_id"] in self.ref:
                del self.ref[frame["item_id"]]
                self.order.remove(frame["item_id"])
        elif kind == "conversation.item.input_audio_transcription.completed":
            if frame["item_id"] in self.ref:
                self.ref[frame["item_id"]].text = frame["transcript"]
        elif kind == "response.output_audio.delta":
            samples = len(base64.b64decode(frame["delta"])) // 2
            if frame["response_id"] in self.cancelled:
                samples = 0  # stale: the machine drops it, nobody plays it
            self.received[frame["item_id"]] = self.received.get(frame["item_id"], 0) + samples
            self.audio_socket[frame["item_id"]] = self.connections
        elif kind == "response.created":
            self.created_seen.add(frame["response"]["id"])
            self._outcome(frame["response"]["id"])
        elif kind == "response.done":
            self.done_seen.add(frame["response"]["id"])
            self._outcome(frame["response"]["id"])
        elif kind == "error" and frame["error"]["event_id"] in self.in_flight:
            event_id = frame["error"]["event_id"]
            self.in_flight.discard(event_id)
            if event_id in self.create_tags:  # refused: the machine sends it again later
                self.caller_tags[self.create_tags[event_id]] = "waiting"
        elif kind == "response.function_call_arguments.done":
            self.call_response[frame["call_id"]] = frame["response_id"]
            known = self.ref.get(frame["item_id"])
            if known is not None:  # the client knows them (golden: recover_call_arguments)
                known.done_arguments = frame["arguments"]
        elif kind == "response.output_item.done" and frame["item"]["type"] == "function_call":
            self.call_response[frame["item"]["call_id"]] = frame["response_id"]
            if frame["item"]["id"] in self.ref:
                self._ref_item(frame["item"], None)
        self.machine.receive_message(json.dumps(frame))

    def _outcome(self, rid: str) -> None:
        server = self.server
        assert server is not None
        for event_id, outcome in server.create_outcome.items():
            if outcome == rid:
                self.in_flight.discard(event_id)

    def _ref_item(self, item: dict[str, Any], previous: str | None) -> None:
        item_id = item["id"]
        kind, text = _kind(item)
        known = self.ref.get(item_id)
        if known is None:
            known = Ref(item_id, item["type"], item.get("role"), kind)
            self.ref[item_id] = known
            if previous in self.order:
                self.order.insert(self.order.index(previous) + 1, item_id)
            else:
                self.order.append(item_id)
        self.restore_pending.discard(item_id)
        if item["type"] == "function_call":
            known.call_id = item["call_id"]
            known.arguments = item["arguments"]
            known.complete = item.get("status") == "completed"
        elif item["type"] == "function_call_output":
            known.call_id = item["call_id"]
            known.output = item["output"]
            self.acked.add(item_id)
        else:
            known.kind = kind or known.kind
            if text:
                known.text = text

    def _check_restore(self, frames: list[dict[str, Any]]) -> None:
        """The restored conversation equals what the client knew: same ids in the same order
        (nothing invented), every text item, transcribed utterance, call and output; assistant
        output as a prefix of what the server generated."""
        ids = [f["item"]["id"] for f in frames]
        unechoed = [i for i in self.sent_items if i not in self.ref]  # may follow, if sent again
        assert is_subsequence(ids, self.order + unechoed), (ids, self.order, unechoed)
        for item_id in set(ids) & set(unechoed):
            sent = self.sent_items[item_id]
            got = next(f["item"] for f in frames if f["item"]["id"] == item_id)
            assert {k: v for k, v in got.items() if k != "object"} == sent, (got, sent)
        for n, frame in enumerate(frames):
            assert frame.get("previous_item_id") == (ids[n - 1] if n else None), frame
        by_id = {f["item"]["id"]: f["item"] for f in frames}
        for item_id in self.order:
            ref = self.ref[item_id]
            got = by_id.get(item_id)
            required = (
                (ref.type == "message" and ref.role == "user" and bool(ref.text))
                or (ref.type == "function_call" and ref.complete)
                or ref.type == "function_call_output"
            )
            assert got is not None or not required, (item_id, ref, ids)
            if got is None:
                continue
            if ref.type == "function_call":
                assert got["call_id"] == ref.call_id
                assert got["arguments"] in (ref.arguments, ref.done_arguments), (got, ref)
            elif ref.type == "function_call_output":
                assert (got["call_id"], got["output"]) == (ref.call_id, ref.output)
            elif ref.role == "assistant":
                text = got["content"][0]["text"]
                truth = self.generated.get(item_id, ref.text).split()
                assert truth[: len(text.split())] == text.split(), (item_id, text, truth)
            else:
                assert got["content"] == [{"type": "input_text", "text": ref.text}], (got, ref)
        self.restore_pending = set(ids)

    def _drop(self) -> None:
        self.machine.connection_lost()
        self.server = None
        self._on_events(list(self.machine.events()))

    def _rollover(self) -> None:
        """A planned rollover: a new socket, then the old one closed."""
        self.machine.connection_lost()
        self.server = None
        self._on_events(list(self.machine.events()))
        self._connect()

    # ------------------------------------------------------------------ preconditions

    def _connected(self) -> bool:
        return self.server is not None and self.machine.connected

    # ------------------------------------------------------------------ caller rules

    @precondition(lambda self: self.server is not None)
    @rule(
        action=st.sampled_from(
            ["text", "silent_text", "create", "oob", "audio", "commit", "cancel"]
        ),
        ms=st.sampled_from([40, 120]),
    )
    def caller(self, action: str, ms: int) -> None:
        """What the caller does: a text turn (with or without a response), a response.create
        (out of band when enabled), microphone audio, a manual commit, a cancel."""
        tag = f"c{len(self.caller_tags)}"
        if action == "text":
            self.caller_tags[tag] = "waiting"
            self.machine.send_text("weather?", metadata={"origin": "caller", "tag": tag})
        elif action == "silent_text":
            self.machine.send_text("thanks", respond=False)
        elif action == "oob":
            self.machine.create_response(conversation="none", output_modalities=["text"])
        elif action == "create":
            self.caller_tags[tag] = "waiting"
            self.machine.create_response(metadata={"origin": "caller", "tag": tag})
        elif action == "audio":
            self.machine.append_audio(b"\x00\x00" * (ms * RATE // 1000))
        elif action == "commit":
            self.machine.commit_audio()
        else:
            active = self.machine.active_response
            self.machine.cancel_response()
            if active is not None:
                self.cancelled.add(active)
        self._flush()

    @precondition(lambda self: self.server is not None)
    @rule(played=st.integers(0, 1200), samples=st.booleans())
    def interrupt(self, played: int, samples: bool) -> None:
        """The user barges in after `played` ms of the playing item."""
        active = self.machine.active_response
        if samples:
            result = self.machine.interrupt(played_samples=played * RATE // 1000)
        else:
            result = self.machine.interrupt(played_ms=played)
        assert isinstance(result, Interruption)
        if active is not None:
            self.cancelled.add(active)
        current = self.audio_socket.get(result.item_id or "") == self.connections
        if result.item_id is not None:
            received_ms = self.received.get(result.item_id, 0) * 1000 // RATE
            assert result.received_ms == received_ms, (result, received_ms)
            assert result.played_ms == min(played, received_ms)
        self._flush()
        if result.item_id and self.server and current:
            item = self.server.items.get(result.item_id)  # cut to what the client received
            if item is not None and item.kind == "output_audio":
                received_ms = self.received.get(result.item_id, 0) * 1000 // RATE
                assert item.audio_ms <= received_ms, (
                    "the server keeps audio the client never received",
                    result,
                    item.audio_ms,
                )

    @precondition(lambda self: self.pending_calls and self.server is not None)
    @rule(pick=st.integers(0, 10), all_of_them=st.booleans())
    def submit_tool_output(self, pick: int, all_of_them: bool) -> None:
        calls = list(self.pending_calls)
        if not all_of_them:
            calls = [calls[pick % len(calls)]]
        for call_id in calls:
            self.pending_calls.remove(call_id)
            self.machine.submit_tool_output(call_id, '{"temp": 18}')
        self._flush()

    # ------------------------------------------------------------------ server rules

    @precondition(lambda self: self._connected() and self.server.out)
    @rule(n=st.sampled_from([1, 3, 8, 1000]), error=st.sampled_from([None, None, 0, 1, 2, 3]))
    def deliver(self, n: int, error: int | None = None) -> None:
        """The next `n` server frames reach the machine (after an injected error, maybe)."""
        server = self.server
        assert server is not None
        if error is not None:
            code, type_, _ = INJECTED[error]
            server.error(code, "injected", None, type_)
        for _ in range(n):
            if not server.out or self.server is not server:
                break
            self._deliver(server.out.popleft())
            self._flush()

    @precondition(lambda self: self._connected() and not self.server.closed)
    @rule(
        steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=8),
        pick=st.integers(0, 3),
        repeat=st.booleans(),
        then_deliver=st.sampled_from([0, 2, 8, 1000]),
    )
    def server_streams(self, steps: list[str], pick: int, repeat: bool, then_deliver: int) -> None:
        """The running responses make progress (and some frames are delivered)."""
        server = self.server
        assert server is not None
        for choice in steps:
            running = ([server.active] if server.active else []) + list(server.oob)
            if not running:
                break
            server.step(running[pick % len(running)], choice, repeat)
        if server.out and then_deliver:
            self.deliver(then_deliver)

    @precondition(lambda self: self._connected() and not self.server.closed)
    @rule(skip_created=st.booleans(), transcribe=st.booleans())
    def user_speaks(self, skip_created: bool, transcribe: bool) -> None:
        """A server VAD turn (cancelling the active response when interrupt_response is on;
        sometimes its response.created was never sent); maybe transcribed at once."""
        server = self.server
        assert server is not None
        server.user_turn(skip_created)
        if transcribe:
            item = next(i for i in reversed(server.items.values()) if i.kind == "input_audio")
            server.transcribe(item.id)

    def _answered(self, response: Response) -> None:
        """Server truth, kept for `_answering`: what the server held when a default
        response started."""
        server = self.server
        assert server is not None
        self.socket_of[response.rid] = self.connections
        over = frozenset(r.rid for r in server.responses.values() if r.done)
        self.starts.append(Start(response.rid, frozenset(server.outputs), over, self.connections))

    # ------------------------------------------------------------------ network rules

    @precondition(lambda self: self._connected())
    @rule(expire=st.booleans(), reconnect=st.booleans())
    def drop(self, expire: bool, reconnect: bool) -> None:
        """The socket drops (or the server ends the session); maybe a new one opens at once."""
        self._lose(expire)
        if reconnect and self.server is None:
            self.reconnect(0.5)

    def _lose(self, expire: bool) -> None:
        server = self.server
        assert server is not None
        if expire:
            while server.out:
                self._deliver(server.out.popleft())
                self._flush()
                if self.server is not server:
                    return
            server.error(
                "session_expired", "Your session hit the maximum duration of 60 minutes.", None
            )
            server.closed = True
            self._deliver(server.out.popleft())  # the socket closes on ReconnectNeeded
            self._flush()
            assert self.server is None, "session_expired did not ask for a new socket"
            return
        self._drop()

    @precondition(lambda self: self.server is None or not self.machine.connected)
    @rule(dt=st.sampled_from([0.5, 30.0]))
    def reconnect(self, dt: float) -> None:
        self.now += dt
        self._connect()

    @precondition(lambda self: self._connected())
    @rule(dt=st.sampled_from([1.0, 600.0, ROLLOVER_S + 1]))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        self.machine.handle_timeout(self.now)
        self._flush()

    # ------------------------------------------------------------------ invariants

    @invariant()
    def each_response_finished_at_most_once(self) -> None:
        assert all(count == 1 for count in self.finished.values())

    def teardown(self) -> None:
        """Drive everything to the end: every response the client heard of ends exactly
        once, every tool batch is answered, the machine is idle."""
        for _ in range(5000):
            if not self._connected():
                if self.server is not None:
                    self._drop()
                self.now += 1
                self._connect()
                continue
            server = self.server
            assert server is not None
            if server.out:
                self._deliver(server.out.popleft())
                self._flush()
                continue
            if server.active is not None or server.oob:
                running = ([server.active] if server.active else []) + list(server.oob)
                server.step(running[0], "end")
                continue
            if self.pending_calls:
                self.submit_tool_output(0, True)
                continue
            break
        else:
            raise AssertionError("the session never settled")
        heard_of = self.created_seen | self.done_seen
        assert {r for r in heard_of if self.finished.get(r) != 1} == set(), (
            heard_of,
            self.finished,
        )
        for batch in self.batches.values():
            if batch.calls and batch.calls <= set(self.submitted):
                assert self._answering(batch), ("a tool batch never answered", batch)
        assert self.machine.idle, "the machine never became idle"


SessionMachine.TestCase.settings = settings(stateful_step_count=100, deadline=None)
test_realtime_session_against_a_fake_server = SessionMachine.TestCase
"""The ``ci`` profile (100 examples of up to 100 steps) runs it in about 6 s."""
