"""Realtime API (GA) over WebSocket: the per-connection state machine of the emulator (pure).

What: `RealtimeEngine` takes the client's text frames (`receive_text`, with the time) and hands
out the server events to send, one at a time (`next_frame`, reading the injected clock): the
session (``session.created`` first, ``session.update`` -> ``session.updated``), the input audio
buffer with server VAD in audio time (`realtime_audio.TurnDetector`) and manual commits, input
transcription, the default conversation (`realtime_items.Conversation`: create, retrieve,
truncate, delete), and responses (`realtime_response.ResponseRun`: at most one writing to the
default conversation, any number out of band). Replies to client events go out first, in
order; response events stream when due (audio time x the real-time factor
``realtime_rtf``), so a cancel, a truncate or a VAD interruption received mid-response acts
between two events. Fault knobs: session age, dropped socket, injected error, failed or
incomplete responses, error answers to ``response.create``, and the VAD race after tool calls.
Why: every protocol decision in one pure object keeps the socket code (`ws.py`) generic and
makes every interleaving reproducible.
Next: `server.Emulator` builds one per accepted ``/v1/realtime`` upgrade and runs it with
`ws.serve_websocket`; the rules are in `realtime_doc.REALTIME_RULES_DOC`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .faults import EmulatorConfig
from .ids import EPOCH
from .realtime_audio import synthesize
from .realtime_input import InputBuffer, transcription_events
from .realtime_items import Conversation, StoredItem, item_not_found, parse_client_item, wire_item
from .realtime_request import parse_options, run_settings
from .realtime_response import ResponseRun, RunSettings, ev
from .realtime_session import (
    SessionView,
    default_session,
    invalid_value,
    merge_update,
    public_session,
)
from .realtime_shared import (
    ConnectionIds,
    OutgoingFaults,
    decode_client_frame,
    error_event,
    user_audio_item,
)
from .validate import describe, field
from .ws_engine import Close, Outgoing

__all__ = ["BETA_MESSAGE", "EXPIRED_MESSAGE", "RACE_HOLD_S", "RealtimeEngine"]

EXPIRED_MESSAGE = "Your session hit the maximum duration of 60 minutes."
BETA_MESSAGE = (
    "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API."
)
RACE_HOLD_S = 2.0
"""Longest wait of the race knob's automatic response for the client's ``response.create``."""
RACE_UTTERANCE = "mm-hmm"
"""What the race knob's simulated user says (synthetic speech in the input format)."""

_CLIENT_TYPES = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "output_audio_buffer.clear",
    "conversation.item.create",
    "conversation.item.retrieve",
    "conversation.item.truncate",
    "conversation.item.delete",
    "response.create",
    "response.cancel",
)


class RealtimeEngine:
    """The state of one Realtime WebSocket connection (see the module docstring).

    `serial` numbers the emulator's realtime connections (ids derive from the seed and it);
    `clock` returns the time on the clock of `opened_at` and of ``now`` in `receive_text`;
    `recorded` receives every client frame (parsed JSON with secrets redacted, or the text);
    `beta` (an ``OpenAI-Beta`` header on the upgrade) answers ``beta_api_shape_disabled`` and
    closes with code 4000.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        serial: int,
        model: str,
        opened_at: float,
        clock: Callable[[], float],
        recorded: list[Any] | None = None,
        beta: bool = False,
    ) -> None:
        self.config = config
        self._clock = clock
        self._recorded = recorded if recorded is not None else []
        self.ids = ConnectionIds(config.seed, serial)
        max_age = config.realtime_max_age_s
        self._expires_at = None if max_age is None else opened_at + max_age
        self.session = default_session(self.ids.next("sess"), model, EPOCH + serial + 3600)
        self._view = SessionView.of(self.session)
        self.conversation_id = self.ids.next("conv")
        self.conversation = Conversation()
        self._queue: deque[tuple[dict[str, Any], Close | None]] = deque()
        self._runs: list[ResponseRun] = []
        self._active: ResponseRun | None = None
        self._input = InputBuffer(self._view)
        self._voice_locked = False
        self._faults = OutgoingFaults(config, self.ids)
        self._ending = False
        self.closed = False
        """True once a close was handed out: nothing more will be sent."""
        if beta:
            error = ApiError(400, BETA_MESSAGE, code="beta_api_shape_disabled")
            self._end(error_event(error, None), Close(4000, BETA_MESSAGE))
            return
        self._queue.append((ev("session.created", session=public_session(self.session)), None))

    # --- input ----------------------------------------------------------------------------

    def receive_text(self, text: str, now: float) -> None:
        """Handle one complete client text message received at time `now`."""
        body = decode_client_frame(text, self._recorded)
        if self._ending or self._expire(now):
            return
        client_event_id = body.get("event_id") if isinstance(body, dict) else None
        try:
            kind = self._event_type(body)
            handler = getattr(self, "_on_" + kind.replace(".", "_"))
            handler(body, now)
        except ApiError as error:
            self._queue.append((error_event(error, client_event_id), None))

    def receive_binary(self) -> None:
        """A binary message: not part of the protocol; answered with an ``error`` event."""
        self._recorded.append(b"<binary>")
        error = ApiError(
            400,
            "Binary WebSocket messages are not supported; send JSON text.",
            code="invalid_event",
        )
        self._queue.append((error_event(error, None), None))

    def _event_type(self, body: Any) -> str:
        if not isinstance(body, dict):
            message = (
                "Invalid JSON in WebSocket message: send one JSON object per text frame."
                if body is None
                else f"Invalid event: expected an object, but got {describe(body)}."
            )
            raise ApiError(400, message, code="invalid_json" if body is None else "invalid_event")
        kind = field(body, "type", "string", required=True)
        if kind not in _CLIENT_TYPES:
            names = ", ".join(f"'{k}'" for k in _CLIENT_TYPES)
            raise invalid_value("type", f"Invalid value: '{kind}'. Supported values are: {names}.")
        return str(kind)

    # --- session and input audio ------------------------------------------------------------

    def _on_session_update(self, body: dict[str, Any], now: float) -> None:
        self.session = merge_update(
            self.session, body.get("session"), voice_locked=self._voice_locked
        )
        self._view = SessionView.of(self.session)
        self._input.reconfigure(self._view)
        self._queue.append((ev("session.updated", session=public_session(self.session)), None))

    def _on_input_audio_buffer_append(self, body: dict[str, Any], now: float) -> None:
        audio = field(body, "audio", "string", required=True)
        for turn in self._input.append(audio):
            if turn.started:
                self._speech_started(turn.ms)
            else:
                self._speech_stopped(turn.ms, now)

    def _speech_started(self, ms: int) -> None:
        item_id = self.ids.next("item")
        self._input.speech_item, self._input.speech_start_ms = item_id, ms
        started = ev("input_audio_buffer.speech_started", audio_start_ms=ms, item_id=item_id)
        self._queue.append((started, None))
        td = self._view.turn_detection or {}
        if td.get("interrupt_response") is not False and self._active is not None:
            self._cancel(self._active, "turn_detected")

    def _speech_stopped(self, ms: int, now: float) -> None:
        item_id = self._input.speech_item or self.ids.next("item")
        self._input.speech_item = None
        stopped = ev("input_audio_buffer.speech_stopped", audio_end_ms=ms, item_id=item_id)
        self._queue.append((stopped, None))
        self._commit(item_id, self._input.take_turn(ms))
        td = self._view.turn_detection or {}
        if td.get("create_response") is not False and self._active is None:
            self._start(self._settings({}, in_conversation=True), now)

    def _on_input_audio_buffer_commit(self, body: dict[str, Any], now: float) -> None:
        item_id = self._input.speech_item or self.ids.next("item")
        self._commit(item_id, self._input.commit_all())

    def _on_input_audio_buffer_clear(self, body: dict[str, Any], now: float) -> None:
        self._input.drop()
        self._input.reset_detector()
        self._queue.append((ev("input_audio_buffer.cleared"), None))

    def _on_output_audio_buffer_clear(self, body: dict[str, Any], now: float) -> None:
        raise ApiError(
            400,
            "output_audio_buffer.clear is only supported for WebRTC and SIP connections; over "
            "WebSocket send response.cancel and stop local playback.",
            param="type",
            code="invalid_value",
        )

    def _commit(self, item_id: str, audio: bytes) -> None:
        fmt = self._view.input_format
        stored = StoredItem(user_audio_item(item_id), audio, fmt)
        previous = self.conversation.insert(stored)
        committed = ev("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        self._queue.append((committed, None))
        self._item_events(stored, previous)
        self._transcribe(stored)

    def _item_events(self, stored: StoredItem, previous: str | None) -> None:
        for kind in ("conversation.item.added", "conversation.item.done"):
            event = ev(kind, previous_item_id=previous, item=wire_item(stored))
            self._queue.append((event, None))

    def _transcribe(self, stored: StoredItem) -> None:
        config = self._view.transcription
        if config:
            include = self.session.get("include")
            for event in transcription_events(stored, config, include, self._view.turn_detection):
                self._queue.append((event, None))

    # --- conversation items -----------------------------------------------------------------

    def _on_conversation_item_create(self, body: dict[str, Any], now: float) -> None:
        stored = parse_client_item(
            body.get("item"), "item", lambda: self.ids.next("item"), self._view.input_format
        )
        if stored.id in self.conversation:
            raise invalid_value("item.id", f"Item with id '{stored.id}' already exists.")
        previous = field(body, "previous_item_id", "string")
        if previous is not None and previous != "root" and previous not in self.conversation:
            raise invalid_value(
                "previous_item_id", f"Previous item with id '{previous}' not found."
            )
        self._item_events(stored, self.conversation.insert(stored, previous))

    def _lookup(self, body: dict[str, Any], action: str) -> StoredItem:
        item_id = field(body, "item_id", "string", required=True)
        stored = self.conversation.get(item_id)
        if stored is None:
            raise item_not_found(action, item_id)
        return stored

    def _on_conversation_item_retrieve(self, body: dict[str, Any], now: float) -> None:
        stored = self._lookup(body, "retrieve")
        retrieved = ev("conversation.item.retrieved", item=wire_item(stored, with_audio=True))
        self._queue.append((retrieved, None))

    def _on_conversation_item_delete(self, body: dict[str, Any], now: float) -> None:
        stored = self._lookup(body, "delete")
        self.conversation.delete(stored.id)
        self._queue.append((ev("conversation.item.deleted", item_id=stored.id), None))

    def _on_conversation_item_truncate(self, body: dict[str, Any], now: float) -> None:
        stored = self._lookup(body, "truncate")
        index = field(body, "content_index", "integer", required=True)
        end_ms = field(body, "audio_end_ms", "integer", required=True)
        item = stored.item
        if item.get("type") != "message" or item.get("role") != "assistant":
            raise invalid_value("item_id", "Only model output audio messages can be truncated")
        if index != 0:
            raise invalid_value("content_index", f"Invalid content_index: {index}; expected 0.")
        if end_ms < 0:
            raise invalid_value("audio_end_ms", "audio_end_ms must not be negative.")
        run = next((r for r in self._runs if r.open_item_id == stored.id), None)
        planned = None if run is None else run.planned_bytes(stored.id)
        fmt = self._view.output_format if run is None else run.settings.output_format
        if planned is None and (stored.audio is None or stored.fmt is None):
            raise invalid_value("item_id", "Only model output audio messages can be truncated")
        if planned is None:
            assert stored.fmt is not None and stored.audio is not None
            fmt = stored.fmt
        total_ms = (
            (planned if planned is not None else len(stored.audio or b""))
            * 1000
            // (fmt.rate * fmt.frame_bytes)
        )
        if end_ms > total_ms:
            raise invalid_value(
                "audio_end_ms",
                f"Audio content of {total_ms}ms is already shorter than {end_ms}ms",
            )
        nbytes = fmt.bytes_for_ms(end_ms)
        if run is not None and planned is not None:
            run.truncate(stored.id, nbytes)
        else:
            _truncate_stored(stored, nbytes)
        truncated = ev(
            "conversation.item.truncated",
            item_id=stored.id,
            content_index=index,
            audio_end_ms=end_ms,
        )
        self._queue.append((truncated, None))

    # --- responses --------------------------------------------------------------------------

    def _on_response_create(self, body: dict[str, Any], now: float) -> None:
        options, in_conversation = parse_options(body.get("response"))
        settings = self._settings(options, in_conversation=in_conversation)
        if in_conversation and self._active is not None:
            active = self._active
            active.release()
            raise ApiError(
                400,
                "Conversation already has an active response in progress: "
                f"{active.response_id}. Wait until the response is finished before creating a "
                "new one.",
                code="conversation_already_has_active_response",
            )
        self._start(settings, now)

    def _settings(self, options: dict[str, Any], *, in_conversation: bool) -> RunSettings:
        return run_settings(
            options,
            session=self.session,
            config=self.config,
            conversation=self.conversation,
            new_id=self.ids.next,
            conversation_id=self.conversation_id if in_conversation else None,
        )

    def _start(self, settings: RunSettings, now: float, hold_until: float | None = None) -> None:
        run = ResponseRun(
            settings, self.conversation, self.ids.next, started_at=now, hold_until=hold_until
        )
        self._runs.append(run)
        if run.in_conversation:
            self._active = run
        for _ in range(2):  # response.created and rate_limits.updated answer at once
            if run.peek(now) is not None:
                self._queue.append((run.pop(), None))

    def _on_response_cancel(self, body: dict[str, Any], now: float) -> None:
        response_id = field(body, "response_id", "string")
        if response_id is None:
            run = self._active
        else:
            run = next((r for r in self._runs if r.response_id == response_id), None)
        if run is None:
            raise ApiError(
                400,
                "Cancellation failed: no active response found",
                code="response_cancel_not_active",
            )
        self._cancel(run, "client_cancelled")

    def _cancel(self, run: ResponseRun, reason: str) -> None:
        for event in run.cancel(reason):
            self._queue.append((event, None))
        self._finished(run)

    def _finished(self, run: ResponseRun) -> None:
        self._runs.remove(run)
        if self._active is run:
            self._active = None

    def _race(self, now: float) -> None:
        """The race fault knob: a simulated user turn right after a tool-call response."""
        fmt = self._view.input_format
        audio = synthesize(RACE_UTTERANCE, fmt)
        item_id = self.ids.next("item")
        start = math.floor(self._input.end_ms)
        end = start + len(audio) * 1000 // (fmt.rate * fmt.frame_bytes)
        self._queue.append(
            (ev("input_audio_buffer.speech_started", audio_start_ms=start, item_id=item_id), None)
        )
        self._queue.append(
            (ev("input_audio_buffer.speech_stopped", audio_end_ms=end, item_id=item_id), None)
        )
        self._commit(item_id, audio)
        self._start(self._settings({}, in_conversation=True), now, hold_until=now + RACE_HOLD_S)

    # --- output -----------------------------------------------------------------------------

    def _expire(self, now: float) -> bool:
        if self._expires_at is None or now < self._expires_at or self._ending:
            return self._ending
        error = ApiError(400, EXPIRED_MESSAGE, code="session_expired")
        self._queue.clear()
        self._end(error_event(error, None), Close(1001, EXPIRED_MESSAGE))
        return True

    def _end(self, event: dict[str, Any], close: Close) -> None:
        self._ending = True
        self._queue.append((event, close))

    def next_frame(self) -> Outgoing | None:
        """The next event to send, a wait (`Outgoing` without frame or close: sleep at most
        ``delay_s`` unless a client frame arrives), or None when idle."""
        if self.closed:
            return None
        now = self._clock()
        self._expire(now)
        cut = self._faults.cut()
        if cut is not None:
            self.closed = True
            return cut
        injected = self._faults.injected()
        if injected is not None:
            self._queue.appendleft((injected, None))
        if self._queue:
            event, close = self._queue.popleft()
            return self._emit(event, close)
        if self._ending:
            return None
        return self._next_run_event(now)

    def _next_run_event(self, now: float) -> Outgoing | None:
        best: tuple[float, ResponseRun] | None = None
        wake = self._expires_at
        rtf, delay = self.config.realtime_rtf, self.config.delay_s
        for run in self._runs:
            peeked = run.peek(now)
            if peeked is None:
                if run.hold_until is not None:
                    wake = run.hold_until if wake is None else min(wake, run.hold_until)
                continue
            due = run.started_at + rtf * peeked[1] / 1000 + delay * run.emitted_count
            if best is None or due < best[0]:
                best = (due, run)
        if best is not None and best[0] <= now:
            run = best[1]
            event = run.pop()
            if run.done:
                self._finished(run)
                if self.config.realtime_vad_race and run.has_calls and run.status == "completed":
                    self._race(now)
            return self._emit(event, None)
        if best is not None:
            wake = best[0] if wake is None else min(wake, best[0])
        if wake is None:
            return None
        return Outgoing(None, max(wake - now, 0.0005), None)

    def _emit(self, event: dict[str, Any], close: Close | None) -> Outgoing:
        if event["type"] == "response.output_audio.delta":
            self._voice_locked = True
        outgoing = self._faults.sent(event, close)
        self.closed = outgoing.close is not None
        return outgoing


def _truncate_stored(stored: StoredItem, nbytes: int) -> None:
    """Cut a finished assistant audio item and its transcript (characters fully played)."""
    assert stored.audio is not None
    stored.audio = stored.audio[:nbytes]
    keep = nbytes // stored.char_bytes if stored.char_bytes else None
    for part in stored.item.get("content") or []:
        if part.get("type") == "output_audio" and keep is not None:
            part["transcript"] = str(part.get("transcript") or "")[:keep]
