"""Realtime transcription sessions (``/v1/realtime?intent=transcription``): the emulator engine.

What: `TranscriptionEngine` is the pure per-connection state machine of a transcription
socket, with the interface `ws.serve_websocket` drives (`receive_text`, `receive_binary`,
`next_frame`). It announces ``session.created`` (``type: "transcription"``), validates
``session.update`` (GA shape; see `transcription_rt_session`), buffers appended audio and
runs the energy VAD of the voice emulator over it (``speech_started`` / ``speech_stopped`` /
``committed``, ``conversation.item.added`` / ``.done``), commits on request when turn
detection is off, and transcribes each committed item deterministically (deltas, logprobs
when included, usage). A beta connection (``OpenAI-Beta`` header) or a beta
``transcription_session.update`` gets ``beta_api_shape_disabled``.

Fault knobs (`faults.EmulatorConfig`): ``drop_after_events`` (cut the socket after N server
events), ``inject_error_after`` (one ``error`` event after N), ``fail_transcription`` (the
Nth committed item of each connection gets ``...transcription.failed``),
``transcription_out_of_order`` (every odd item's transcript waits until the next item's is
out, or `HOLD_S`, so completions arrive out of conversation order).

`ConversationGuard` wraps the voice engine of a ``?model=`` socket: a transcription
``session.update`` there is answered ``invalid_model``, as the real API does.
Next: `server.Emulator` builds one per accepted upgrade (`WsAccept.kind` ``transcription``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Final

import msgspec

from .errors import ApiError
from .faults import EmulatorConfig
from .ids import EPOCH
from .realtime_engine import BETA_MESSAGE
from .realtime_input import InputBuffer
from .realtime_response import ev
from .realtime_session import invalid_value
from .realtime_shared import (
    ConnectionIds,
    OutgoingFaults,
    decode_client_frame,
    error_event,
    heard_speech,
    user_audio_item,
)
from .transcription_rt_session import (
    check_model_query,
    default_transcription_session,
    merge_transcription_update,
    transcript_events,
    view_of,
)
from .validate import field
from .ws_engine import Close, Outgoing, redact_frame

__all__ = ["HOLD_S", "ConversationGuard", "TranscriptionEngine"]

HOLD_S: Final = 1.0
"""Longest wait of a held transcript under ``transcription_out_of_order``."""
_CLIENT_TYPES: Final = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "conversation.item.delete",
    "conversation.item.retrieve",
)
_BETA_TYPES: Final = frozenset({"transcription_session.update"})

Frame = tuple[dict[str, Any], Close | None]


class TranscriptionEngine:
    """The state of one transcription WebSocket connection (see the module docstring)."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        serial: int,
        opened_at: float,
        clock: Callable[[], float],
        recorded: list[Any] | None = None,
        beta: bool = False,
    ) -> None:
        self.config = config
        self._clock = clock
        self._recorded = recorded if recorded is not None else []
        self.ids = ConnectionIds(config.seed, serial)
        self.session = default_transcription_session(self.ids.next("sess"), EPOCH + serial + 1800)
        self._view = view_of(self.session)
        self._input = InputBuffer(self._view)
        self._queue: deque[Frame] = deque()
        self._held: list[tuple[float, list[dict[str, Any]]]] = []  # (release at, events)
        self._items: dict[str, None] = {}
        self._last_item: str | None = None
        self._committed = 0
        self._faults = OutgoingFaults(config, self.ids)
        self._ending = False
        self.closed = False
        if beta:
            self._beta()
            return
        self._queue.append((ev("session.created", session=self.session), None))

    def _beta(self) -> None:
        error = ApiError(400, BETA_MESSAGE, code="beta_api_shape_disabled")
        self._ending = True
        self._queue.append((error_event(error, None), Close(4000, BETA_MESSAGE)))

    # --- input ----------------------------------------------------------------------------

    def receive_text(self, text: str, now: float) -> None:
        """Handle one complete client text message received at time `now`."""
        body = decode_client_frame(text, self._recorded)
        if self._ending:
            return
        event_id = body.get("event_id") if isinstance(body, dict) else None
        try:
            if not isinstance(body, dict):
                raise ApiError(400, "Invalid JSON in WebSocket message.", code="invalid_json")
            kind = field(body, "type", "string", required=True)
            if kind in _BETA_TYPES:
                self._beta()
                return
            if kind not in _CLIENT_TYPES:
                names = ", ".join(f"'{k}'" for k in _CLIENT_TYPES)
                raise invalid_value(
                    "type",
                    f"Invalid value: '{kind}'. A transcription session supports: {names}.",
                )
            getattr(self, "_on_" + str(kind).replace(".", "_"))(body, now)
        except ApiError as error:
            self._queue.append((error_event(error, event_id), None))

    def receive_binary(self) -> None:
        self._recorded.append(b"<binary>")
        error = ApiError(400, "Binary WebSocket messages are not supported.", code="invalid_event")
        self._queue.append((error_event(error, None), None))

    def _on_session_update(self, body: dict[str, Any], now: float) -> None:
        self.session = merge_transcription_update(self.session, body.get("session"))
        self._view = view_of(self.session)
        self._input.reconfigure(self._view)
        self._queue.append((ev("session.updated", session=self.session), None))

    def _on_input_audio_buffer_append(self, body: dict[str, Any], now: float) -> None:
        audio = field(body, "audio", "string", required=True)
        for turn in self._input.append(audio):
            if turn.started:
                item_id = self.ids.next("item")
                self._input.speech_item, self._input.speech_start_ms = item_id, turn.ms
                started = ev(
                    "input_audio_buffer.speech_started", audio_start_ms=turn.ms, item_id=item_id
                )
                self._queue.append((started, None))
            else:
                item_id = self._input.speech_item or self.ids.next("item")
                self._input.speech_item = None
                stopped = ev(
                    "input_audio_buffer.speech_stopped", audio_end_ms=turn.ms, item_id=item_id
                )
                self._queue.append((stopped, None))
                self._commit(item_id, self._input.take_turn(turn.ms), now)

    def _on_input_audio_buffer_commit(self, body: dict[str, Any], now: float) -> None:
        item_id = self._input.speech_item or self.ids.next("item")
        self._commit(item_id, self._input.commit_all(), now)

    def _on_input_audio_buffer_clear(self, body: dict[str, Any], now: float) -> None:
        self._input.drop()
        self._input.reset_detector()
        self._queue.append((ev("input_audio_buffer.cleared"), None))

    def _lookup(self, body: dict[str, Any], action: str) -> str:
        item_id = str(field(body, "item_id", "string", required=True))
        if item_id not in self._items:
            raise ApiError(
                400,
                f"Item with item_id not found: {item_id}",
                param="item_id",
                code=f"item_{action}_invalid_item_id",
            )
        return item_id

    def _on_conversation_item_delete(self, body: dict[str, Any], now: float) -> None:
        item_id = self._lookup(body, "delete")
        del self._items[item_id]
        self._queue.append((ev("conversation.item.deleted", item_id=item_id), None))

    def _on_conversation_item_retrieve(self, body: dict[str, Any], now: float) -> None:
        item_id = self._lookup(body, "retrieve")
        self._queue.append((ev("conversation.item.retrieved", item=user_audio_item(item_id)), None))

    def _commit(self, item_id: str, audio: bytes, now: float) -> None:
        fmt = self._view.input_format
        audio_ms = len(audio) * 1000 // (fmt.rate * fmt.frame_bytes)
        previous = self._last_item
        self._last_item = item_id
        self._items[item_id] = None
        self._committed += 1
        committed = ev("input_audio_buffer.committed", previous_item_id=previous, item_id=item_id)
        self._queue.append((committed, None))
        for kind in ("conversation.item.added", "conversation.item.done"):
            item = ev(kind, previous_item_id=previous, item=user_audio_item(item_id))
            self._queue.append((item, None))
        config = self._view.transcription
        if not config:
            return
        if self.config.fail_transcription == self._committed:
            failed = ev(
                "conversation.item.input_audio_transcription.failed",
                item_id=item_id,
                content_index=0,
                error={
                    "type": "transcription_error",
                    "code": "audio_unintelligible",
                    "message": "The audio could not be transcribed.",
                    "param": None,
                },
            )
            events = [failed]
        else:
            speech = heard_speech(audio, fmt, self._view.turn_detection)
            deltas, done = transcript_events(
                item_id, audio_ms, config, self.session["include"], speech=speech
            )
            events = [*deltas, done]
        held, self._held = self._held, []
        if self.config.transcription_out_of_order and self._committed % 2 == 1:
            self._held = [(now + HOLD_S, events)]
            return
        self._queue.extend((event, None) for event in events)
        for _, later in held:  # the earlier item's transcript after this one's
            self._queue.extend((event, None) for event in later)

    # --- output -----------------------------------------------------------------------------

    def next_frame(self) -> Outgoing | None:
        """The next event to send, a wait for a held transcript, or None when idle."""
        if self.closed:
            return None
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
        if self._held and not self._ending:
            now = self._clock()
            due, events = self._held[0]
            if due <= now:
                self._held = []
                self._queue.extend((event, None) for event in events)
                return self.next_frame()
            return Outgoing(None, max(due - now, 0.0005), None)
        return None

    def _emit(self, event: dict[str, Any], close: Close | None) -> Outgoing:
        outgoing = self._faults.sent(event, close)
        self.closed = outgoing.close is not None
        return outgoing


class ConversationGuard:
    """A voice engine (``?model=`` socket) that answers a transcription ``session.update``
    with ``invalid_model`` instead of applying it; everything else goes to `engine`."""

    def __init__(self, engine: Any, model: str, recorded: list[Any]) -> None:
        self.engine = engine
        self.model = model
        self._recorded = recorded
        self._errors: deque[dict[str, Any]] = deque()
        self._count = 0

    def receive_text(self, text: str, now: float) -> None:
        try:
            body: Any = msgspec.json.decode(text)
        except msgspec.DecodeError:
            body = None
        session = body.get("session") if isinstance(body, dict) else None
        if (
            isinstance(body, dict)
            and body.get("type") == "session.update"
            and isinstance(session, dict)
            and session.get("type") == "transcription"
        ):
            self._recorded.append(redact_frame(body))
            error = check_model_query(self.model)
            assert error is not None
            self._errors.append(error_event(error, body.get("event_id")))
            return
        self.engine.receive_text(text, now)

    def receive_binary(self) -> None:
        self.engine.receive_binary()

    def next_frame(self) -> Outgoing | None:
        if self._errors:
            self._count += 1
            event = self._errors.popleft()
            event["event_id"] = f"event_guard{self._count}"
            return Outgoing(event, 0.0, None)
        frame: Outgoing | None = self.engine.next_frame()
        return frame
