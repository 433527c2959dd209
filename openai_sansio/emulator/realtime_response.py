"""One Realtime response of the emulator: the scripted events, paced in audio time (pure).

What: `ResponseRun` streams one response as server events (without ``event_id``, which the
engine stamps): ``response.created``, ``rate_limits.updated``, then per output item
``response.output_item.added`` (+ ``conversation.item.added`` for the default conversation),
content parts with interleaved ``response.output_audio_transcript.delta`` /
``response.output_audio.delta`` (100 ms chunks of `realtime_audio.synthesize()`), or
``response.output_text.*``, or ``response.function_call_arguments.*``, the ``*.done`` events and
finally ``response.done`` with usage. What to say is decided (`rules.decide()`) when the output
starts, from the conversation at that moment. Each event has an audio-time position `t_ms`
(the engine turns it into a wall-clock due time with the real-time factor). State (what was
sent) is updated only by `emitted()`, so `cancel()` closes exactly what the client saw:
``*.done`` events with the partial content, items ``incomplete``, ``response.done``
``cancelled``. `truncate()` cuts the item being streamed (its remaining audio is not sent).
Why: cancel, truncate and VAD interruptions arrive between any two events; keeping the run a
pull-based object makes every interleaving exact.
Next: `realtime_engine.RealtimeEngine` creates runs, calls `peek()` / `pop()` when it may
send, and `cancel()` / `truncate()` on client events.
"""

from __future__ import annotations

import base64
import copy
import math
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from ..audio.formats import AudioFormat
from .realtime_audio import CHAR_MS, CHUNK_MS, samples_per_char, synthesize
from .realtime_items import Conversation, StoredItem, input_usage, rule_items
from .realtime_session import format_object
from .rules import Decision, Tool, ToolChoice, count_tokens, decide, split_chunks, split_words

__all__ = ["ResponseRun", "RunSettings", "rate_limits_event"]

_HOLD = "hold"


def ev(kind: str, **fields: Any) -> dict[str, Any]:
    """A server event skeleton: ``type`` and an ``event_id`` placeholder first."""
    return {"type": kind, "event_id": "", **fields}


def rate_limits_event(tokens_used: int) -> dict[str, Any]:
    """``rate_limits.updated`` (requests and tokens; deterministic numbers)."""
    return ev(
        "rate_limits.updated",
        rate_limits=[
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {
                "name": "tokens",
                "limit": 40000,
                "remaining": max(0, 40000 - tokens_used),
                "reset_seconds": round(tokens_used * 0.0015, 3),
            },
        ],
    )


@dataclass
class RunSettings:
    """Everything a response needs besides the conversation (session defaults + overrides)."""

    response_id: str
    conversation_id: str | None
    modalities: list[str]
    instructions: str
    tools: list[dict[str, Any]]
    tool_choice: Any
    parallel: bool
    max_output_tokens: int | str
    metadata: dict[str, str] | None
    output_format: AudioFormat
    voice: Any
    speed: float
    context: list[StoredItem] | None = None
    """Explicit ``input`` items (None = the default conversation)."""
    fault: str | None = None
    """``failed`` or ``incomplete`` (fault knobs), else None."""
    error_code: str | None = None


def _tools(settings: RunSettings) -> tuple[list[Tool], ToolChoice]:
    tools = [
        Tool(str(t["name"]), t.get("parameters"))
        for t in settings.tools
        if t.get("type", "function") == "function" and isinstance(t.get("name"), str)
    ]
    choice = settings.tool_choice
    if isinstance(choice, dict):
        if choice.get("type") == "function":
            return tools, ToolChoice("named", str(choice.get("name")))
        return tools, ToolChoice("auto")
    if choice in ("none", "required"):
        return tools, ToolChoice(choice)
    return tools, ToolChoice("auto")


class ResponseRun:
    """The events of one response, pulled one at a time (see the module docstring)."""

    def __init__(
        self,
        settings: RunSettings,
        conversation: Conversation,
        new_id: Callable[[str], str],
        *,
        started_at: float,
        hold_until: float | None = None,
    ) -> None:
        self.settings = settings
        self.response_id = settings.response_id
        self.started_at = started_at
        self.hold_until = hold_until
        """While set, the output waits after ``rate_limits.updated`` (the race fault knob)."""
        self._conversation = conversation
        self._new_id = new_id
        self._gen = self._events()
        self._cached: tuple[dict[str, Any], int] | str | None = None
        self.emitted_count = 0
        self.t_ms = 0
        self.done = False
        self.status = "in_progress"
        self.has_calls = False
        self._created_sent = False
        self._output: list[dict[str, Any]] = []
        self._open: dict[str, Any] | None = None
        """The output item being streamed (its in-progress wire object), once added."""
        self._open_index = -1
        self._part_open = False
        self._item_done_sent = False
        self._audio = bytearray()
        self._planned: dict[str, bytes] = {}
        self._cuts: dict[str, int] = {}
        self._sent_text = ""
        self._out_text_tokens = 0
        self._out_audio_bytes = 0
        self._input: dict[str, int] = {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0}

    @property
    def in_conversation(self) -> bool:
        return self.settings.conversation_id is not None

    @property
    def open_item_id(self) -> str | None:
        return None if self._open is None else str(self._open["id"])

    # --- pulling ---------------------------------------------------------------------------

    def peek(self, now: float) -> tuple[dict[str, Any], int] | None:
        """The next event and its audio-time position, or None (finished, or held)."""
        while True:
            if self._cached is None:
                self._cached = next(self._gen, None)
                if self._cached is None:
                    return None
            if self._cached == _HOLD:
                if self.hold_until is not None and now < self.hold_until:
                    return None
                self.hold_until = None
                self._cached = None
                continue
            assert not isinstance(self._cached, str)
            event = self._cached[0]
            if event["type"] == "response.output_audio.delta" and self._beyond_cut(event):
                self._cached = None  # truncated while waiting: skip this chunk
                continue
            return self._cached

    def pop(self) -> dict[str, Any]:
        """Hand out the peeked event (call `peek` first) and account for it as sent."""
        assert isinstance(self._cached, tuple)
        event, t_ms = self._cached
        self._cached = None
        self.t_ms = t_ms
        self.emitted(event)
        return event

    def release(self) -> None:
        """End the hold of the race fault knob now."""
        self.hold_until = None

    # --- the script ------------------------------------------------------------------------

    def response_object(
        self, status: str, details: dict[str, Any] | None = None, usage: Any = None
    ) -> dict[str, Any]:
        s = self.settings
        return {
            "object": "realtime.response",
            "id": self.response_id,
            "status": status,
            "status_details": details,
            "output": copy.deepcopy(self._output),
            "conversation_id": s.conversation_id,
            "output_modalities": list(s.modalities),
            "max_output_tokens": s.max_output_tokens,
            "audio": {"output": {"format": format_object(s.output_format), "voice": s.voice}},
            "usage": usage,
            "metadata": s.metadata,
        }

    def _context(self) -> list[StoredItem]:
        if self.settings.context is not None:
            return self.settings.context
        return self._conversation.items()

    def _decide(self) -> Decision:
        context = self._context()
        tools, choice = _tools(self.settings)
        self._input = input_usage(context, self.settings.instructions, self.settings.tools)
        return decide(rule_items(context), tools, choice, parallel=self.settings.parallel)

    def _limit(self, text: str) -> tuple[str, str | None]:
        """The text actually produced, and the final status override (fault / max tokens)."""
        pieces = split_words(text)
        fault = self.settings.fault
        if fault is not None:
            return "".join(pieces[: len(pieces) // 2]), fault
        limit = self.settings.max_output_tokens
        if isinstance(limit, int) and count_tokens(text) > limit:
            kept: list[str] = []
            for piece in pieces:
                if count_tokens("".join([*kept, piece])) > limit:
                    break
                kept.append(piece)
            return "".join(kept), "incomplete"
        return text, None

    def _events(self) -> Generator[tuple[dict[str, Any], int] | str, None, None]:
        yield ev("response.created", response=self.response_object("in_progress")), 0
        yield rate_limits_event(0), 0
        yield _HOLD
        decision = self._decide()
        ending: str | None = None
        t = 0
        if decision.calls:
            for index, call in enumerate(decision.calls):
                args = call.arguments
                if self.settings.fault is not None:
                    args, ending = args[: len(args) // 2], self.settings.fault
                yield from self._call_events(index, call.name, args, t)
                t += len(args) * CHAR_MS
                if ending is not None:
                    break
        else:
            text, ending = self._limit(decision.text)
            yield from self._message_events(text, t, complete=ending is None)
            t += self._message_ms(text)
        yield self._done_event(ending or "completed"), t

    def _message_ms(self, text: str) -> int:
        if "audio" not in self.settings.modalities:
            return len(text) * CHAR_MS
        fmt = self.settings.output_format
        size = samples_per_char(fmt, self.settings.speed) * len(text)
        return size * 1000 // fmt.rate

    def _base(self, item_id: str, index: int) -> dict[str, Any]:
        return {"response_id": self.response_id, "item_id": item_id, "output_index": index}

    def _item_events(self, stage: str, item: dict[str, Any], index: int, t: int) -> Iterator[Any]:
        """``response.output_item.<stage>`` and, in the conversation, ``conversation.item.<stage>``
        (its ``previous_item_id`` is filled in by `emitted`)."""
        rid = self.response_id
        item = copy.deepcopy(item)
        yield ev(f"response.output_item.{stage}", response_id=rid, output_index=index, item=item), t
        if self.in_conversation:
            yield ev(f"conversation.item.{stage}", previous_item_id=None, item=dict(item)), t

    def _call_events(self, index: int, name: str, args: str, t0: int) -> Iterator[Any]:
        self.has_calls = True
        item_id = self._new_id("item")
        call_id = self._new_id("call")
        item = {
            "id": item_id,
            "type": "function_call",
            "object": "realtime.item",
            "status": "in_progress",
            "name": name,
            "call_id": call_id,
            "arguments": "",
        }
        yield from self._item_events("added", item, index, t0)
        base = self._base(item_id, index)
        offset = 0
        for piece in split_chunks(args) if args else []:
            yield (
                ev("response.function_call_arguments.delta", **base, call_id=call_id, delta=piece),
                t0 + offset * CHAR_MS,
            )
            offset += len(piece)
        t = t0 + len(args) * CHAR_MS
        complete = self.settings.fault is None
        if complete:
            yield (
                ev(
                    "response.function_call_arguments.done",
                    **base,
                    call_id=call_id,
                    name=name,
                    arguments=args,
                ),
                t,
            )
        done = dict(item, status="completed" if complete else "incomplete", arguments=args)
        yield from self._item_events("done", done, index, t)

    def _message_events(self, text: str, t0: int, *, complete: bool) -> Iterator[Any]:
        item_id = self._new_id("item")
        item = {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        yield from self._item_events("added", item, 0, t0)
        base = self._base(item_id, 0)
        audio = "audio" in self.settings.modalities
        part = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        yield ev("response.content_part.added", **base, content_index=0, part=part), t0
        if audio:
            yield from self._audio_deltas(item_id, text, t0)
        else:
            offset = 0
            for piece in split_words(text) if text else []:
                yield (
                    ev("response.output_text.delta", **base, content_index=0, delta=piece),
                    t0 + offset * CHAR_MS,
                )
                offset += len(piece)
        yield from self._finish_message(self._message_ms(text) + t0, complete)

    def _audio_deltas(self, item_id: str, text: str, t0: int) -> Iterator[Any]:
        s = self.settings
        fmt = s.output_format
        audio = synthesize(text, fmt, s.speed)
        self._planned[item_id] = audio
        per_char = self._char_bytes()
        chunk = fmt.bytes_for_ms(CHUNK_MS)
        pieces = split_words(text) if text else []
        starts: list[int] = []
        offset = 0
        for piece in pieces:
            starts.append(offset * per_char)
            offset += len(piece)
        base = self._base(item_id, 0)
        word = 0
        for index, start in enumerate(range(0, len(audio), chunk)):
            if self._cuts.get(item_id, len(audio)) <= start:
                return
            t = t0 + index * CHUNK_MS
            while word < len(pieces) and starts[word] < start + chunk:
                yield (
                    ev(
                        "response.output_audio_transcript.delta",
                        **base,
                        content_index=0,
                        delta=pieces[word],
                    ),
                    t,
                )
                word += 1
            data = base64.b64encode(audio[start : start + chunk]).decode("ascii")
            yield ev("response.output_audio.delta", **base, content_index=0, delta=data), t
        for piece in pieces[word:]:
            yield (
                ev("response.output_audio_transcript.delta", **base, content_index=0, delta=piece),
                t0,
            )

    def _finish_message(self, t: int, complete: bool) -> Iterator[Any]:
        """The closing events of the open message, from what was actually sent."""
        events, _ = self._close_open(completed=complete)
        for event in events:
            yield event, t

    # --- accounting and closing ------------------------------------------------------------

    def _beyond_cut(self, event: dict[str, Any]) -> bool:
        cut = self._cuts.get(str(event["item_id"]))
        return cut is not None and len(self._audio) >= cut

    def _char_bytes(self) -> int:
        fmt = self.settings.output_format
        return samples_per_char(fmt, self.settings.speed) * fmt.frame_bytes

    def _final_text(self) -> str:
        if self._open is None or self.open_item_id not in self._cuts:
            return self._sent_text
        return self._sent_text[: self._cuts[str(self.open_item_id)] // self._char_bytes()]

    def _close_open(self, *, completed: bool) -> tuple[list[dict[str, Any]], int]:
        """``*.done`` events closing the open item as sent so far; its output index."""
        item, index = self._open, self._open_index
        if item is None:
            return [], -1
        base = self._base(str(item["id"]), index)
        events: list[dict[str, Any]] = []
        cut = str(item["id"]) in self._cuts
        status = "completed" if completed and not cut else "incomplete"
        done = dict(item, status=status)
        if item["type"] == "message":
            text = self._final_text()
            content: list[dict[str, Any]] = []
            if self._part_open and "audio" in self.settings.modalities:
                events.append(ev("response.output_audio.done", **base, content_index=0))
                events.append(
                    ev(
                        "response.output_audio_transcript.done",
                        **base,
                        content_index=0,
                        transcript=text,
                    )
                )
                events.append(
                    ev(
                        "response.content_part.done",
                        **base,
                        content_index=0,
                        part={"type": "audio", "transcript": text},
                    )
                )
                content = [{"type": "output_audio", "transcript": text}]
            elif self._part_open:
                events.append(ev("response.output_text.done", **base, content_index=0, text=text))
                events.append(
                    ev(
                        "response.content_part.done",
                        **base,
                        content_index=0,
                        part={"type": "text", "text": text},
                    )
                )
                content = [{"type": "output_text", "text": text}]
            done["content"] = content
        else:
            done["arguments"] = self._sent_text
        if self._item_done_sent:
            events = []  # only the conversation side is still open
        else:
            events.append(
                ev(
                    "response.output_item.done",
                    response_id=self.response_id,
                    output_index=index,
                    item=copy.deepcopy(done),
                )
            )
        if self.in_conversation:
            events.append(
                ev("conversation.item.done", previous_item_id=None, item=copy.deepcopy(done))
            )
        return events, index

    def _usage(self) -> dict[str, Any]:
        inp = self._input
        fmt = self.settings.output_format
        audio_tokens = math.ceil(self._out_audio_bytes * 1000 / fmt.rate / fmt.frame_bytes / 50)
        text_tokens = self._out_text_tokens
        input_tokens = inp["text_tokens"] + inp["audio_tokens"] + inp["image_tokens"]
        output_tokens = text_tokens + audio_tokens
        return {
            "total_tokens": input_tokens + output_tokens,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "input_token_details": {
                "text_tokens": inp["text_tokens"],
                "audio_tokens": inp["audio_tokens"],
                "image_tokens": inp["image_tokens"],
                "cached_tokens": 0,
                "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
            },
            "output_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
        }

    def _done_event(self, status: str, reason: str | None = None) -> dict[str, Any]:
        details: dict[str, Any] | None = None
        if status == "incomplete":
            details = {"type": "incomplete", "reason": reason or "max_output_tokens"}
        elif status == "cancelled":
            details = {"type": "cancelled", "reason": reason}
        elif status == "failed":
            code = self.settings.error_code or "server_error"
            details = {
                "type": "failed",
                "error": {
                    "type": "server_error",
                    "code": code,
                    "message": "The response failed (emulated).",
                },
            }
        return ev("response.done", response=None, _status=status, _details=details)

    def cancel(self, reason: str) -> list[dict[str, Any]]:
        """Stop now: the events that close what was sent, ending ``response.done`` cancelled."""
        self._gen.close()
        self._cached = None
        events: list[dict[str, Any]] = []
        if not self._created_sent:
            events.append(ev("response.created", response=self.response_object("in_progress")))
        closing, _ = self._close_open(completed=False)
        events += closing
        events.append(self._done_event("cancelled", reason))
        out = []
        for event in events:
            self.emitted(event)
            out.append(event)
        return out

    def planned_bytes(self, item_id: str) -> int | None:
        """Size of the whole audio of `item_id` if it is this run's open audio item."""
        planned = self._planned.get(item_id)
        return None if planned is None or item_id != self.open_item_id else len(planned)

    def truncate(self, item_id: str, nbytes: int) -> int | None:
        """Cut the audio of the item being streamed at `nbytes`; its planned size, or None
        when `item_id` is not this run's open audio item."""
        planned = self._planned.get(item_id)
        if planned is None or item_id != self.open_item_id:
            return None
        self._cuts[item_id] = min(nbytes, len(planned))
        return len(planned)

    def emitted(self, event: dict[str, Any]) -> None:
        """Account for an event handed to the client (and fill in what depends on state)."""
        kind = event["type"]
        self.emitted_count += 1
        conv = self._conversation
        if kind == "response.created":
            self._created_sent = True
        elif kind == "response.output_item.added":
            self._open, self._open_index = copy.deepcopy(event["item"]), event["output_index"]
            self._part_open, self._sent_text, self._audio = False, "", bytearray()
            self._item_done_sent = False
        elif kind == "conversation.item.added" and self._open is not None:
            event["previous_item_id"] = conv.last_id()
            conv.insert(StoredItem(copy.deepcopy(event["item"])))
        elif kind == "response.content_part.added":
            self._part_open = True
        elif kind in (
            "response.output_audio_transcript.delta",
            "response.output_text.delta",
            "response.function_call_arguments.delta",
        ):
            self._sent_text += event["delta"]
            self._out_text_tokens += count_tokens(event["delta"])
        elif kind == "response.output_audio.delta":
            chunk = base64.b64decode(event["delta"])
            self._audio += chunk
            self._out_audio_bytes += len(chunk)
        elif kind == "response.output_item.done":
            self._output.append(copy.deepcopy(event["item"]))
            self._item_done_sent = True
            if not self.in_conversation:
                self._open = None
        elif kind == "conversation.item.done":
            self._store_done(event)
        elif kind == "response.done":
            self._finish(event)

    def _store_done(self, event: dict[str, Any]) -> None:
        item = event["item"]
        stored = self._conversation.get(str(item["id"]))
        if stored is not None:
            event["previous_item_id"] = self._conversation.previous_id(stored.id)
            stored.item = copy.deepcopy(item)
            if item["type"] == "message" and "audio" in self.settings.modalities:
                cut = self._cuts.get(stored.id, len(self._audio))
                stored.audio = bytes(self._audio[:cut])
                stored.fmt = self.settings.output_format
                stored.char_bytes = self._char_bytes()
        self._open = None

    def _finish(self, event: dict[str, Any]) -> None:
        status = event.pop("_status")
        details = event.pop("_details")
        self.status = status
        self.done = True
        event["response"] = self.response_object(status, details, self._usage())
