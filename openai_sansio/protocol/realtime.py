"""`RealtimeSession`: one Realtime (GA) voice session over WebSocket. Pure.

It turns the caller's commands into client events and the server's events into typed events
plus its own conclusions (`realtime_session_events`), and decides what the seed plugin got
wrong:

- **Interruption** (`interrupt(played_ms=...)`): ``response.cancel`` only when a response is
  active and server VAD will not cancel it by itself; ``conversation.item.truncate`` at the
  played position clamped to the audio actually received for that item, or
  ``conversation.item.delete`` when nothing was heard; later deltas of the cancelled response
  are dropped by ``response_id``; every ``*.done`` is finalised once; a ``response.done``
  without ``response.created`` is tolerated.
- **Tools**: each function call surfaces once (`ToolCall`, arguments parsed or a typed
  problem); outputs go in as ``function_call_output`` items and ONE ``response.create``
  follows the whole batch, after the calls' ``response.done``, never while a response is
  active, and not at all when a server VAD response already consumed the outputs.
- **Errors** classified for Realtime (benign / fatal / recoverable) and tied to the client
  event that caused them through its ``event_id``.
- **Usage** flattened per response and summed per session (`usage`).
- **The 60-minute cap**: `next_deadline()`/`handle_timeout(now)` ask for a rollover at a turn
  boundary before it (`RolloverNeeded`); after ``session_expired`` or a dropped socket
  (`ReconnectNeeded`), `connection_made` restores the configuration and the conversation (text;
  assistant audio as its transcript) on the new session.
- **Bounded outbound audio**: at most `max_buffered_audio_ms` of ``input_audio_buffer.append``
  waits to be sent; beyond that the oldest is dropped and counted (`AudioDropped`).

Verbs: `connection_made(now)`, `connection_lost()`, `receive_message(text)`, `next_event()` /
`events()`, `data_to_send()`, `update_session`, `append_audio`, `commit_audio`, `clear_audio`,
`send_text`, `send_item`, `create_response`, `cancel_response`, `interrupt`,
`submit_tool_output`, `delete_item`, `retrieve_item`, `next_deadline()`, `handle_timeout(now)`.
After each command and each `receive_message`, write `data_to_send()` and drain the events.

The content events' handlers (conversation mirror, per-response text, tool calls surfaced) are
in `realtime_mirror_feed`; `_HANDLERS` at the bottom maps every event type to its handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from ._codec import server_decoder
from ._errors import LocalProtocolError
from ._stream_common import EventQueue
from .events.common import APIError, NeedData
from .realtime_followup import ToolFollowup
from .realtime_mirror import ConversationMirror
from .realtime_mirror_feed import MirrorFeed
from .realtime_outbox import Outbox
from .realtime_requests import ResponseRequests
from .realtime_session_events import (
    AudioDropped,
    ConversationRestored,
    Interruption,
    RealtimeError,
    RealtimeUsage,
    ReconnectNeeded,
    ResponseFinished,
    RolloverNeeded,
)
from .realtime_wire import (
    Bounded,
    SessionFormat,
    classify_realtime_error,
    counter_ids,
    done_key,
    merge,
    outcome_of,
    output_format_of,
    plain,
    vad_of,
)

__all__ = ["MAX_BUFFERED_AUDIO_MS", "ROLLOVER_AFTER_S", "RealtimeSession"]

ROLLOVER_AFTER_S: Final = 55 * 60.0
"""Roll over at 55 minutes: the server ends the session at 60, a turn must have time to end."""
MAX_BUFFERED_AUDIO_MS: Final = 2000.0
"""Outbound audio allowed to wait for the socket; older audio is dropped beyond it."""
_decode: Final = server_decoder("realtime")
_AUDIO_DELTAS: Final = frozenset(
    {
        "response.output_audio.delta",
        "response.output_audio_transcript.delta",
        "response.output_text.delta",
        "response.function_call_arguments.delta",
    }
)
_DONES: Final = frozenset(
    {
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.function_call_arguments.done",
    }
)


class RealtimeSession(MirrorFeed):
    """The Realtime session machine. `session` is the caller's GA ``session`` object (from
    `realtime_config.session_update(...)`'s body, without the event wrapper) sent on every
    connection; `ids` makes client event and item ids (injected: deterministic in tests).
    The handlers of content events (items, deltas, dones) are `MirrorFeed`'s."""

    def __init__(
        self,
        session: Mapping[str, Any] | None = None,
        *,
        ids: Callable[[], str] | None = None,
        rollover_after_s: float = ROLLOVER_AFTER_S,
        max_buffered_audio_ms: float = MAX_BUFFERED_AUDIO_MS,
        followup: Mapping[str, Any] | None = None,
    ) -> None:
        self.desired: dict[str, Any] = {"type": "realtime", **dict(session or {})}
        self._ids = ids or counter_ids("evt_")
        self.rollover_after_s = rollover_after_s
        self.max_buffered_audio_ms = max_buffered_audio_ms
        self.followup = dict(followup or {})
        """``response`` options of the response.create that follows a tool batch."""
        self.connected = False
        self.connected_at: float | None = None
        self.connections = 0
        self.session: dict[str, Any] = {}
        """The effective session the server last reported (``session.created``/``updated``)."""
        self.mirror = ConversationMirror()
        self.active_response: str | None = None
        self.usage = RealtimeUsage()
        self.stale_dropped = 0
        self._format = SessionFormat()
        self._queue = EventQueue(())
        self._outbox = Outbox(self._ids, max_audio_ms=max_buffered_audio_ms)
        self._requests = ResponseRequests(self._outbox)
        self._cancelled: Bounded = Bounded()
        self._finalised: Bounded = Bounded()
        self._oob = self._requests.out_of_band  # out-of-band response ids
        self._unechoed: Bounded = Bounded()  # client item id -> item, sent and not echoed
        self._surfaced: Bounded = Bounded()  # call ids
        self._tools = ToolFollowup()
        self._speech_during: str | None = None  # response active when speech_started arrived
        self._rollover_pending = False
        self._close_expected = False  # a rollover was announced, or the session expired
        self._text: dict[str, list[str]] = {}  # response id -> text / transcript deltas
        self._transcript: dict[str, list[str]] = {}
        self._playing: tuple[str, int, str | None] | None = None  # item, content, response

    # ------------------------------------------------------------------ connection

    def connection_made(self, now: float) -> None:
        """A socket is open. The desired session goes out first; on a later connection the
        conversation is restored (its items recreated with the same ids) before anything the
        caller queued meanwhile. Then call `data_to_send()`."""
        self.connected = True
        self.connected_at = now
        self.connections += 1
        self._rollover_pending = False
        head = [self._outbox.encode("session.update", {"session": self.desired})[1]]
        if self.connections > 1:
            head.extend(self._restore())
        self._outbox.queue_first(head)
        if self.active_response is None:
            self._requests.send_next()  # a response asked for on the lost socket: ask again
        self._maybe_followup()  # a tool batch whose follow-up the lost socket owed

    def _restore(self) -> list[bytes]:
        """The conversation for a new session: the mirror's items, then the items the client
        created that the lost socket took but never echoed (a tool output sent just before the
        drop). The mirror becomes that restored conversation, so a second drop before the
        server echoes it restores it again."""
        restored = self.mirror.restore_items(self._format.rate)
        for item_id, item in list(self._unechoed.items()):
            event_id, body = item
            if item_id not in self.mirror and not self._outbox.queued(event_id):
                restored.append(body)
                del self._unechoed[item_id]
        self.mirror.reset(restored)
        frames: list[bytes] = []
        previous: str | None = None
        for item in restored:
            fields: dict[str, Any] = {"item": item}
            if previous is not None:
                fields["previous_item_id"] = previous
            frames.append(self._outbox.encode("conversation.item.create", fields)[1])
            previous = item["id"]
        self._queue.push(ConversationRestored(len(restored), self.connections))
        return frames

    def connection_lost(self, unsent: Sequence[bytes] = ()) -> None:
        """The socket closed. A response in flight ends ``interrupted``; queued frames other
        than audio wait for the next connection (audio stays bounded). `unsent` are frames
        `data_to_send` returned that never reached the socket: they go out first on the next
        connection, after its setup. Idempotent."""
        if unsent:
            self._outbox.queue_first(list(unsent))
        if not self.connected:
            return
        self.connected = False
        self.connected_at = None
        self._requests.lost(self._tools.is_followup)
        self.session = {}
        if self.active_response is not None:
            self._finish(self.active_response, "interrupted", "connection_lost", None, None, None)
        for response_id in list(self._requests.open_out_of_band):
            self._finish(
                response_id, "interrupted", "connection_lost", None, None, None, out_of_band=True
            )
        self._tools.lost()
        if not self._close_expected:  # an announced rollover or an expiry is no surprise
            self._queue.push(ReconnectNeeded("connection_lost"))
        self._rollover_pending = False
        self._close_expected = False
        self._playing = None  # the audio counts of the old socket are gone with it

    @property
    def wants_write(self) -> bool:
        """Connected with frames queued: `data_to_send()` has something now."""
        return self.connected and len(self._outbox) > 0

    @property
    def dropped_audio_ms(self) -> float:
        """Outbound audio dropped by the bound over the session."""
        return self._outbox.dropped_ms

    @property
    def idle(self) -> bool:
        """Connected, no response active or asked for, no tool batch outstanding: a turn
        boundary (where a rollover may happen and a scripted caller may stop)."""
        return (
            self.connected
            and self.active_response is None
            and not self._requests.pending
            and not self._tools.outstanding
        )

    # ------------------------------------------------------------------ commands

    def update_session(self, **changes: Any) -> str:
        """Change the session (GA ``session`` fields; only these are sent). They are also kept
        for every later connection. Returns the client event id."""
        merge(self.desired, changes)
        return self._send("session.update", session={"type": "realtime", **changes})

    def append_audio(self, audio: bytes) -> None:
        """Queue ``input_audio_buffer.append`` with `audio` already in the session's input
        format (see `audio_path`). Bounded: see `max_buffered_audio_ms`."""
        if not audio:
            return
        if len(audio) > 15 * 1024 * 1024:
            raise LocalProtocolError("one append carries at most 15 MiB", error_hint="append")
        ms = 1000.0 * len(audio) / self._format.input_bytes_per_second
        dropped = self._outbox.audio(audio, ms)
        if dropped:
            total = self._outbox.dropped_ms
            self._queue.push(AudioDropped(dropped_ms=dropped, total_dropped_ms=total))

    def commit_audio(self) -> str:
        return self._send("input_audio_buffer.commit")

    def clear_audio(self) -> str:
        return self._send("input_audio_buffer.clear")

    def send_item(self, item: Mapping[str, Any], *, previous_item_id: str | None = None) -> str:
        """``conversation.item.create`` (an id is given to the item when it has none). Returns
        the item id."""
        body = dict(item)
        body.setdefault("id", self._item_id())
        item_id = str(body["id"])
        extra = {"previous_item_id": previous_item_id} if previous_item_id else {}
        event_id = self._send("conversation.item.create", item=body, **extra)
        self._unechoed.remember(item_id, (event_id, body))
        return item_id

    def send_text(self, text: str, *, respond: bool = True, **response: Any) -> str:
        """A user text message, then (by default) a response. Returns the item id."""
        item_id = self.send_item(
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        )
        if respond:
            self.create_response(**response)
        return item_id

    def create_response(self, **response: Any) -> str:
        """``response.create`` with `response` options (instructions, output_modalities,
        metadata, conversation, input, tools...). A default-conversation response waits while
        another is active (sent after its ``response.done``); an out-of-band one
        (``conversation="none"``) goes at once. Returns the client event id."""
        return self._requests.ask(response, active=self.active_response is not None)

    def cancel_response(self) -> str | None:
        """``response.cancel`` of the active response (nothing when none is active)."""
        if self.active_response is None:
            if self._requests.asked:
                self._requests.cancel_on_created = True
            return None
        response_id = self.active_response
        self._cancelled.remember(response_id)
        return self._send("response.cancel", response_id=response_id)

    def interrupt(
        self,
        *,
        played_ms: float | None = None,
        played_samples: int | None = None,
        server_cancels: bool | None = None,
    ) -> Interruption:
        """The user barged in: stop the response and tell the server what was heard.

        `played_ms` / `played_samples` is how much of the playing item's audio the caller
        actually played; it is clamped to the audio received. `server_cancels` overrides the
        inference that server VAD (``interrupt_response``) already cancels the response
        because it reported ``speech_started`` during it."""
        rate = self._format.rate
        playing = self._playing
        response_id = self.active_response
        cancelled = False
        if response_id is not None:
            if server_cancels is None:
                server_cancels = (
                    self._speech_during == response_id and vad_of(self.session).interrupt_response
                )
            if not server_cancels:
                self._send("response.cancel", response_id=response_id)
                cancelled = True
            self._cancelled.remember(response_id)
        elif self._requests.asked:
            self._requests.cancel_on_created = True
            cancelled = True
        if playing is None:
            return Interruption(item_id=None, cancelled=cancelled, response_id=response_id)
        item_id, content_index, playing_response = playing
        if played_samples is not None:
            played_ms = 1000.0 * played_samples / rate
        heard_ms, received_ms, cut = self.mirror.cut_at(
            item_id,
            content_index,
            played_ms or 0.0,
            streaming=playing_response is not None and playing_response == response_id,
        )
        if cut == "delete":
            self._send("conversation.item.delete", item_id=item_id)
        elif cut == "truncate":
            self._send(
                "conversation.item.truncate",
                item_id=item_id,
                content_index=content_index,
                audio_end_ms=heard_ms,
            )
        self._playing = None
        return Interruption(
            item_id=item_id,
            content_index=content_index,
            played_ms=heard_ms,
            received_ms=received_ms,
            cancelled=cancelled,
            truncated=cut == "truncate",
            deleted=cut == "delete",
            response_id=playing_response,
        )

    def submit_tool_output(self, call_id: str, output: str) -> str:
        """Answer a function call (``function_call_output`` item). When every call of its
        response is answered and that response is done, ONE ``response.create`` follows
        (unless a server VAD response already took the outputs). Returns the item id."""
        item_id = self.send_item(
            {"type": "function_call_output", "call_id": call_id, "output": output}
        )
        self._tools.output(call_id, item_id)
        self._maybe_followup()
        return item_id

    def delete_item(self, item_id: str) -> str:
        return self._send("conversation.item.delete", item_id=item_id)

    def retrieve_item(self, item_id: str) -> str:
        return self._send("conversation.item.retrieve", item_id=item_id)

    # ------------------------------------------------------------------ output

    def data_to_send(self) -> list[bytes]:
        """Frames to write now (nothing while disconnected: they wait, audio bounded)."""
        if not self.connected:
            return []
        return self._outbox.take()

    def next_event(self) -> Any | NeedData:
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        return self._queue.drain()

    # ------------------------------------------------------------------ deadlines

    def next_deadline(self) -> float | None:
        if not self.connected or self.connected_at is None or self._rollover_pending:
            return None
        return self.connected_at + self.rollover_after_s

    def handle_timeout(self, now: float) -> None:
        """Past the rollover time: ask for a new socket at the next turn boundary."""
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return
        self._rollover_pending = True
        self._maybe_rollover()

    def _maybe_rollover(self) -> None:
        if (
            self._rollover_pending
            and self.connected
            and self.active_response is None
            and not self._requests.pending
            and not self._tools.waiting_for_outputs
        ):
            self._close_expected = True
            self._queue.push(RolloverNeeded())

    # ------------------------------------------------------------------ input

    def receive_message(self, text: str | bytes) -> None:
        """Feed one server message. Raises `RemoteProtocolError` for one that is not JSON."""
        event = _decode(text)
        kind = event.type
        handler = _HANDLERS.get(kind)
        if kind in _AUDIO_DELTAS:
            if event.response_id in self._cancelled:
                self.stale_dropped += 1
                if isinstance(event.item_id, str):  # the server's item holds more than ours
                    content = getattr(event, "content_index", 0)
                    self.mirror.mark_stale(
                        event.item_id, content if isinstance(content, int) else 0
                    )
                return
        elif kind in _DONES or kind == "response.done":
            key = done_key(kind, event)
            if key in self._finalised:
                return  # a duplicated done: finalised once
            self._finalised.remember(key)
        self._queue.push(event)  # the wire event first, then what the machine concluded
        if handler is not None:
            handler(self, event)

    # ------------------------------------------------------------------ handlers

    def _on_session(self, event: Any) -> None:
        session = plain(event.session)
        self.session = session if isinstance(session, dict) else {}
        self._format = output_format_of(self.session)

    def _on_speech_started(self, event: Any) -> None:
        self._speech_during = self.active_response

    def _on_response_created(self, event: Any) -> None:
        response = event.response
        if response is None or not isinstance(response.id, str):
            return  # nothing to track without the response's id
        response_id = response.id
        if self._requests.created(response_id, response.conversation_id):
            return  # out of band: not the conversation's active response
        self.active_response = response_id
        self._speech_during = None
        self._tools.response_created()
        if self._requests.cancel_on_created:
            self._requests.cancel_on_created = False
            self._cancelled.remember(response_id)
            self._send("response.cancel", response_id=response_id)

    def _on_response_done(self, event: Any) -> None:
        response = event.response
        if response is None or not isinstance(response.id, str):
            return
        reason, error = outcome_of(response.status_details)
        usage = RealtimeUsage.from_usage(response.usage)
        self.usage = self.usage + usage
        self._finish(
            response.id,
            response.status or "completed",
            reason,
            error,
            usage,
            plain(response.metadata) if response.metadata else None,
            out_of_band=response.id in self._oob,
        )

    def _finish(
        self,
        response_id: str,
        status: str,
        reason: str | None,
        error: APIError | None,
        usage: RealtimeUsage | None,
        metadata: dict[str, str] | None,
        *,
        out_of_band: bool = False,
    ) -> None:
        self._queue.push(
            ResponseFinished(
                response_id=response_id,
                status=status,
                reason=reason,
                error=error,
                usage=usage or RealtimeUsage(),
                out_of_band=out_of_band,
                transcript="".join(self._transcript.pop(response_id, ())),
                text="".join(self._text.pop(response_id, ())),
                metadata=metadata,
            )
        )
        if out_of_band:
            self._requests.finished_out_of_band(response_id)
            return
        if self.active_response == response_id or self.active_response is None:
            if self.active_response is None and self._requests.asked:
                self._requests.done_without_created()
                self._tools.response_created()  # it started (unseen) after what the server held
            self.active_response = None
        self._tools.response_done(response_id)
        if self.connected:
            if self.active_response is None:
                self._requests.send_next()
            self._maybe_followup()
            self._maybe_rollover()

    def _maybe_followup(self) -> None:
        """ONE response.create for a finished batch, when nothing is active."""
        if self.active_response is not None or self._requests.pending:
            return
        if self._tools.due():
            body = {"response": dict(self.followup)} if self.followup else {}
            event_id = self._outbox.send("response.create", body)
            self._tools.sent(event_id)
            self._requests.asked_now(event_id)

    def _on_error(self, event: Any) -> None:
        detail = plain(event.error) if event.error is not None else {}
        client_event = detail.get("event_id") if isinstance(detail, dict) else None
        code = detail.get("code")
        error = classify_realtime_error(
            APIError.build(
                str(detail.get("message") or "the server reported an error"),
                code=code,
                type=detail.get("type"),
                param=detail.get("param"),
                event_id=client_event if isinstance(client_event, str) else None,
                source="stream",
            ),
            vad=vad_of(self.session).enabled,
        )
        client_type = self._outbox.kind_of(client_event) if isinstance(client_event, str) else None
        handled = False
        if client_type == "conversation.item.create":  # refused: the server never held it
            assert isinstance(client_event, str)
            item = (self._outbox.body(client_event) or {}).get("item")
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                self._unechoed.pop(item["id"], None)
        if code == "conversation_already_has_active_response" and client_type == "response.create":
            assert isinstance(client_event, str)
            body = self._outbox.body(client_event) or {}
            options = body.get("response")
            if isinstance(options, dict) and options.get("conversation") == "none":
                # an out-of-band request refused: not the default conversation's; the caller
                # sees the error (nothing is retried on its behalf)
                self._requests.refused_out_of_band(client_event)
                self._queue.push(
                    RealtimeError(
                        error=error, client_event_id=client_event, client_event_type=client_type
                    )
                )
                return
            # a follow-up is owed again if needed; the caller's own request is asked again
            self._requests.refused(client_event, again=not self._tools.refused(client_event))
            handled = True
        elif code == "session_expired":
            handled = True
            self._queue.push(RealtimeError(error=error, handled=True))
            self._queue.push(ReconnectNeeded("session_expired", error))
            self._close_expected = True  # the close that follows is expected
            return
        self._queue.push(
            RealtimeError(
                error=error,
                client_event_id=client_event if isinstance(client_event, str) else None,
                client_event_type=client_type,
                handled=handled,
            )
        )

    # ------------------------------------------------------------------ plumbing

    def _item_id(self) -> str:
        return "item_" + self._ids().replace("evt_", "")

    def _send(self, kind: str, **fields: Any) -> str:
        return self._outbox.send(kind, fields)


_HANDLERS: Final[dict[str, Callable[[RealtimeSession, Any], None]]] = {
    "session.created": RealtimeSession._on_session,
    "session.updated": RealtimeSession._on_session,
    "conversation.item.added": RealtimeSession._on_item,
    "conversation.item.created": RealtimeSession._on_item,
    "conversation.item.done": RealtimeSession._on_item,
    "conversation.item.retrieved": RealtimeSession._on_item,
    "conversation.item.truncated": RealtimeSession._on_truncated,
    "conversation.item.deleted": RealtimeSession._on_deleted,
    "conversation.item.input_audio_transcription.completed": RealtimeSession._on_transcription,
    "input_audio_buffer.speech_started": RealtimeSession._on_speech_started,
    "response.created": RealtimeSession._on_response_created,
    "response.output_audio.delta": RealtimeSession._on_audio_delta,
    "response.output_audio.done": RealtimeSession._on_audio_done,
    "response.output_audio_transcript.delta": RealtimeSession._on_transcript_delta,
    "response.output_text.delta": RealtimeSession._on_text_delta,
    "response.function_call_arguments.done": RealtimeSession._on_arguments_done,
    "response.output_item.done": RealtimeSession._on_output_item_done,
    "response.done": RealtimeSession._on_response_done,
    "error": RealtimeSession._on_error,
}
"""Which handler updates the machine for each server event type (the rest pass through)."""
