"""`TranscriptionSession`: one realtime transcription session (GA) over WebSocket. Pure.

It turns the caller's audio and commands into client events and the server's events into
typed wire events plus its own conclusions (`transcription_events`):

- **Configuration**: the ``session.update`` with ``session.type: "transcription"`` goes out
  first on every connection (GA only; never the beta ``transcription_session.update``).
- **Interim text** per ``item_id`` (`InterimTranscript`): deltas joined, or for whole-text
  models (``whisper-1``) replaced; optionally throttled to one event per
  `interim_interval_s` of the ``now`` passed in (the latest text is kept and handed out by
  `handle_timeout`, or dropped when the final arrives).
- **Finals in conversation order**: items are placed by ``previous_item_id``
  (``input_audio_buffer.committed``, ``conversation.item.added``); a `FinalTranscript` or
  `TranscriptFailed` is released only once every earlier item is final or failed, so
  completions arriving out of order are reported in order; each item ends exactly once.
- **Confidence** as the geometric mean of the token probabilities (``None`` without
  logprobs); **usage** per item, flattened, and summed (`usage`).
- **Errors** classified (benign: an empty commit; fatal: auth, quota, the beta shape, an
  invalid model; else recoverable) and tied to the client event through its ``event_id``.
- **The end of the audio**: `finish()` sends an end marker, a ``session.update`` without
  changes (the server answers updates in order, so its ``session.updated`` comes after
  everything the audio before it caused). With client commits it commits the audio appended
  since the last commit first; under server VAD it commits only if, once the marker is
  answered, the server reports speech in progress (``speech_started`` not committed yet):
  trailing silence is never committed as an extra item. `finished` is true once the marker is
  answered and every committed item is reported.
- **Reconnection**: `connection_lost()` reports every committed item still waiting, and the
  utterance in progress (or audio sent and never committed), as `TranscriptFailed` with
  reason ``connection_lost`` (never silently lost); `connection_made(now)` then configures a
  fresh session and the ordering resumes after the failed items. Frames the dead socket never
  took go out again after the configuration, except a commit whose audio died with the
  socket (its utterance is already reported); an end marker the dead socket took is sent
  again, so `finished` never turns true on the old session's behalf.
- **Bounded**: outbound audio (oldest dropped and counted, `AudioDropped`), items waiting for
  an earlier one (`max_pending_items`: the oldest is failed ``evicted``), interim text per
  item, remembered ids.

Verbs: `connection_made(now)`, `connection_lost(unsent)`, `receive_message(text, now)`,
`next_event()` / `events()`, `data_to_send()`, `append_audio(bytes)`, `flush()` (commit),
`clear()`, `update(**changes)`, `finish()` (then wait for `finished`), `next_deadline()` /
`handle_timeout(now)`. After each command and each `receive_message`, write `data_to_send()`
and drain the events.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

import msgspec

from ._codec import server_decoder
from ._errors import LocalProtocolError
from ._stream_common import EventQueue
from .events.common import APIError, NeedData
from .realtime_outbox import Outbox
from .realtime_wire import Bounded, classify_realtime_error, counter_ids, merge, plain
from .transcription_common import confidence_from_logprobs, transcription_usage
from .transcription_config import whole_text_deltas
from .transcription_events import (
    AudioDropped,
    FinalTranscript,
    InterimTranscript,
    SpeechStarted,
    SpeechStopped,
    TranscriptFailed,
    TranscriptionError,
    UsageTotals,
)

__all__ = ["MAX_BUFFERED_AUDIO_MS", "MAX_INTERIM_CHARS", "TranscriptionSession"]

MAX_BUFFERED_AUDIO_MS: Final = 2000.0
"""Outbound audio allowed to wait for the socket; older audio is dropped beyond it."""
MAX_PENDING_ITEMS: Final = 128
"""Items waiting for an earlier one's transcript before the oldest is given up."""
MAX_INTERIM_CHARS: Final = 64 * 1024
"""Interim text kept per item (a final replaces it anyway)."""
_MAX_LOGPROBS: Final = 16384
_decode: Final = server_decoder("realtime")
_BYTES_PER_SECOND: Final = {"audio/pcm": 48000, "audio/pcmu": 8000, "audio/pcma": 8000}
_APPEND: Final = "input_audio_buffer.append"
_BENIGN: Final = frozenset({"input_audio_buffer_commit_empty"})
_FATAL: Final = frozenset({"invalid_model", "model_not_found", "beta_api_shape_disabled"})


class _Item:
    """One committed item: its interim text and, once ended, the event that reports it."""

    __slots__ = ("due", "ended", "last_interim", "logprobs", "previous", "sent_text", "text")

    def __init__(self, previous: str | None) -> None:
        self.previous = previous
        self.text = ""
        self.sent_text = ""  # the interim text last handed out
        self.logprobs: list[Any] = []
        self.ended: FinalTranscript | TranscriptFailed | None = None
        self.last_interim: float | None = None
        self.due: float | None = None  # a throttled interim waits until then


class TranscriptionSession:
    """The transcription session machine (see the module docstring).

    `session` is the GA ``session`` object (`transcription_config.session_object`), sent on
    every connection; `ids` makes client event ids (injected: deterministic in tests);
    `interim_interval_s` throttles interim events per item (0: every delta)."""

    def __init__(
        self,
        session: Mapping[str, Any] | None = None,
        *,
        ids: Callable[[], str] | None = None,
        max_buffered_audio_ms: float = MAX_BUFFERED_AUDIO_MS,
        interim_interval_s: float = 0.0,
        max_pending_items: int = MAX_PENDING_ITEMS,
    ) -> None:
        self.desired: dict[str, Any] = {"type": "transcription"}
        merge(self.desired, dict(session or {}))
        self.desired["type"] = "transcription"
        self.interim_interval_s = interim_interval_s
        self.max_pending_items = max_pending_items
        self.connected = False
        self.connections = 0
        self.session: dict[str, Any] = {}
        """The effective session the server last reported (``session.created``/``updated``)."""
        self.usage = UsageTotals()
        self._ids = ids or counter_ids("evt_")
        self._queue = EventQueue(())
        self._outbox = Outbox(self._ids, max_audio_ms=max_buffered_audio_ms)
        self._items: OrderedDict[str, _Item] = OrderedDict()  # conversation order, unreleased
        self._ended: Bounded = Bounded()  # item ids already reported: late events dropped
        self._speaking: str | None = None  # speech_started and not committed yet
        self._sent_audio_ms = 0.0  # audio the socket took since the last commit
        self._last_item: str | None = None  # the newest item placed (this connection)
        self._uncommitted_ms = 0.0  # audio appended since the last commit or clear
        self._updates_queued: deque[str] = deque()  # session.update ids not written yet
        self._updates_sent: deque[str] = deque()  # written on this socket, not answered
        self._finishing = False
        self._marker: str | None = None  # the end marker, until answered
        self._end_commit = False  # the marker's answer already led to a commit

    # ------------------------------------------------------------------ connection

    def connection_made(self, now: float) -> None:
        """A socket is open: the ``session.update`` goes out first (before anything queued
        while disconnected). Then call `data_to_send()`."""
        self.connected = True
        self.connections += 1
        event_id, frame = self._outbox.encode("session.update", {"session": self.desired})
        self._outbox.queue_first([frame])
        self._updates_queued.appendleft(event_id)

    def connection_lost(self, unsent: Sequence[bytes] = ()) -> None:
        """The socket closed. Every item still waiting for its transcript, the utterance in
        progress and audio sent but never committed are reported `TranscriptFailed`
        (``connection_lost``), in order. `unsent`: frames `data_to_send` returned that never
        reached the socket; they go out first on the next connection (less a commit whose
        audio died with the socket). Idempotent."""
        if not self.connected:
            if unsent:
                self._outbox.queue_first(list(unsent))
            return
        self.connected = False
        bodies = [_body(frame) for frame in unsent]
        unsent_ms = sum(
            _b64_len(body.get("audio")) for body in bodies if body.get("type") == _APPEND
        ) * (1000.0 / self._bytes_per_second())
        lost_audio = self._sent_audio_ms - unsent_ms > 1e-9 and self._client_commits()
        if lost_audio or self._speaking is not None:
            unsent = _without_orphan_commit(unsent, bodies)
        if unsent:
            self._outbox.queue_first(list(unsent))
        again = [
            b["event_id"]
            for b in bodies
            if b.get("type") == "session.update" and isinstance(b.get("event_id"), str)
        ]
        self._updates_queued.extendleft(reversed(again))
        lost = set(self._updates_sent) - set(again)
        self._updates_sent.clear()
        if self._marker is not None and self._marker in lost:
            self._marker = self._send_update({})  # answered on the next socket, after its config
            self._end_commit = False
        self.session = {}
        for item_id, item in self._items.items():
            if item.ended is None:
                item.ended = TranscriptFailed(
                    item_id=item_id, reason="connection_lost", text=item.text
                )
        self._release()
        if self._speaking is not None and self._speaking not in self._ended:
            # (the utterance VAD was hearing; not if its transcript already came)
            self._ended.remember(self._speaking)
            self._queue.push(TranscriptFailed(item_id=self._speaking, reason="connection_lost"))
        elif lost_audio:
            self._queue.push(TranscriptFailed(item_id=None, reason="connection_lost"))
        self._speaking = None
        self._sent_audio_ms = unsent_ms  # the first frames of the next socket
        self._last_item = None

    # ------------------------------------------------------------------ commands

    def append_audio(self, audio: bytes) -> None:
        """Queue ``input_audio_buffer.append`` with `audio` already in the session's input
        format. Bounded: beyond `max_buffered_audio_ms` waiting, the oldest is dropped."""
        if not audio:
            return
        if len(audio) > 15 * 1024 * 1024:
            raise LocalProtocolError("one append carries at most 15 MiB", error_hint="append")
        ms = 1000.0 * len(audio) / self._bytes_per_second()
        self._uncommitted_ms += ms
        dropped = self._outbox.audio(audio, ms)
        if dropped:
            total = self._outbox.dropped_ms
            self._queue.push(AudioDropped(dropped_ms=dropped, total_dropped_ms=total))

    def flush(self) -> str:
        """End the utterance: ``input_audio_buffer.commit`` (the item's transcript follows).
        Returns the client event id."""
        self._uncommitted_ms = 0.0
        return self._outbox.send("input_audio_buffer.commit")

    def clear(self) -> str:
        """Drop the audio buffered on the server (``input_audio_buffer.clear``)."""
        self._uncommitted_ms = 0.0
        return self._outbox.send("input_audio_buffer.clear")

    def finish(self) -> str | None:
        """No more audio: with client commits, commit what was appended since the last
        commit; then queue the end marker (see the module docstring). Returns the commit's
        event id (``None``: nothing to commit now; under server VAD the commit, if any, is
        decided when the marker is answered). Call `data_to_send()`, then keep receiving
        until `finished`. Idempotent."""
        if self._finishing:
            return None
        self._finishing = True
        commit = None
        if self._client_commits() and self._uncommitted_ms > 0:
            commit = self.flush()
        self._marker = self._send_update({})
        return commit

    @property
    def finished(self) -> bool:
        """`finish()` was called, its marker answered, and every item reported."""
        return self._finishing and self._marker is None and not self._items

    def update(self, **changes: Any) -> str:
        """Change the session (GA ``session`` fields, e.g. ``audio={"input": {...}}``); kept
        for every later connection. Returns the client event id."""
        changes.pop("type", None)
        merge(self.desired, changes)
        return self._send_update(changes)

    def _send_update(self, changes: Mapping[str, Any]) -> str:
        event_id = self._outbox.send(
            "session.update", {"session": {"type": "transcription", **changes}}
        )
        self._updates_queued.append(event_id)
        return event_id

    @property
    def dropped_audio_ms(self) -> float:
        return self._outbox.dropped_ms

    @property
    def pending_items(self) -> list[str]:
        """Committed items whose transcript was not reported yet, in conversation order."""
        return list(self._items)

    @property
    def model(self) -> str | None:
        value = _dig(self.session or self.desired, "audio", "input", "transcription", "model")
        return value if isinstance(value, str) else None

    # ------------------------------------------------------------------ output

    def data_to_send(self) -> list[bytes]:
        """Frames to write now (nothing while disconnected: they wait, audio bounded)."""
        if not self.connected:
            return []
        self._sent_audio_ms += self._outbox.audio_ms
        self._updates_sent.extend(self._updates_queued)
        self._updates_queued.clear()
        return self._outbox.take()

    def next_event(self) -> Any | NeedData:
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        return self._queue.drain()

    def next_deadline(self) -> float | None:
        """When a throttled interim is due (``None``: nothing waits)."""
        dues = [item.due for item in self._items.values() if item.due is not None]
        return min(dues) if dues else None

    def handle_timeout(self, now: float) -> None:
        """Hand out the throttled interims that are due."""
        for item_id, item in self._items.items():
            if item.due is not None and item.due <= now and item.ended is None:
                self._interim(item_id, item, now, force=True)

    # ------------------------------------------------------------------ input

    def receive_message(self, text: str | bytes, now: float | None = None) -> None:
        """Feed one server message (`now` only matters for interim throttling). Raises
        `RemoteProtocolError` for one that is not JSON or a known event with a broken body."""
        event = _decode(text)
        self._queue.push(event)  # the wire event first, then what the machine concluded
        handler = _HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event, now)

    # ------------------------------------------------------------------ handlers

    def _on_session(self, event: Any, now: float | None) -> None:
        session = plain(event.session)
        self.session = session if isinstance(session, dict) else {}
        if event.type == "session.updated" and self._updates_sent:
            self._answered(self._updates_sent.popleft())

    def _answered(self, event_id: str) -> None:
        """The ``session.update`` `event_id` was answered (updated, or refused)."""
        if event_id != self._marker:
            return
        self._marker = None
        if self._speaking is not None and not self._end_commit and not self._client_commits():
            # server VAD heard speech that has not ended: commit it, then mark again
            self._end_commit = True
            self._outbox.send("input_audio_buffer.commit")
            self._marker = self._send_update({})

    def _on_speech_started(self, event: Any, now: float | None) -> None:
        if isinstance(event.item_id, str):
            self._speaking = event.item_id
        self._queue.push(SpeechStarted(item_id=event.item_id, audio_start_ms=event.audio_start_ms))

    def _on_speech_stopped(self, event: Any, now: float | None) -> None:
        self._queue.push(SpeechStopped(item_id=event.item_id, audio_end_ms=event.audio_end_ms))

    def _on_committed(self, event: Any, now: float | None) -> None:
        self._sent_audio_ms = 0.0
        if isinstance(event.item_id, str):
            if event.item_id == self._speaking:
                self._speaking = None
            self._place(event.item_id, event.previous_item_id)

    def _on_cleared(self, event: Any, now: float | None) -> None:
        self._sent_audio_ms = 0.0
        self._speaking = None

    def _on_item(self, event: Any, now: float | None) -> None:
        item = event.item
        item_id = getattr(item, "id", None) if item is not None else None
        if isinstance(item_id, str) and getattr(item, "role", "user") in (None, "user"):
            self._place(item_id, event.previous_item_id)

    def _on_deleted(self, event: Any, now: float | None) -> None:
        item = self._items.get(event.item_id) if isinstance(event.item_id, str) else None
        if item is not None and item.ended is None:
            item.ended = TranscriptFailed(item_id=event.item_id, reason="deleted", text=item.text)
            self._release()

    def _on_delta(self, event: Any, now: float | None) -> None:
        item_id = event.item_id
        if not isinstance(item_id, str) or item_id in self._ended:
            return  # late: the item already ended
        item = self._items.get(item_id) or self._place(item_id, None)
        if item.ended is not None:
            return
        delta = event.delta if isinstance(event.delta, str) else ""
        if whole_text_deltas(self.model):
            item.text = delta[:MAX_INTERIM_CHARS]
        elif len(item.text) < MAX_INTERIM_CHARS:
            item.text = (item.text + delta)[:MAX_INTERIM_CHARS]
        if event.logprobs:
            if whole_text_deltas(self.model):
                item.logprobs = list(event.logprobs)
            elif len(item.logprobs) < _MAX_LOGPROBS:
                item.logprobs.extend(event.logprobs)
        self._interim(item_id, item, now, delta=delta)

    def _interim(
        self, item_id: str, item: _Item, now: float | None, *, delta: str = "", force: bool = False
    ) -> None:
        interval = self.interim_interval_s
        last = item.last_interim
        if (
            interval > 0
            and now is not None
            and not force
            and last is not None
            and now - last < interval
        ):
            item.due = last + interval
            return
        if item.text == item.sent_text and force:
            item.due = None
            return
        item.due = None
        if now is not None:
            item.last_interim = now
        item.sent_text = item.text
        self._queue.push(InterimTranscript(item_id=item_id, text=item.text, delta=delta))

    def _on_completed(self, event: Any, now: float | None) -> None:
        item_id = event.item_id
        if not isinstance(item_id, str) or item_id in self._ended:
            return  # a duplicated completion, or one for an item already given up
        item = self._items.get(item_id) or self._place(item_id, None)
        if item.ended is not None:
            return
        logprobs = event.logprobs if event.logprobs else item.logprobs
        languages = tuple(
            code for code in (_code(entry) for entry in (event.languages or ())) if code is not None
        )
        usage = transcription_usage(plain(event.usage)) if event.usage is not None else None
        item.ended = FinalTranscript(
            item_id=item_id,
            text=event.transcript if isinstance(event.transcript, str) else item.text,
            confidence=confidence_from_logprobs(logprobs),
            usage=usage,
            language=languages[0] if languages else None,
            languages=languages,
            previous_item_id=item.previous,
        )
        item.due = None
        self._release()

    def _on_failed(self, event: Any, now: float | None) -> None:
        item_id = event.item_id
        if not isinstance(item_id, str) or item_id in self._ended:
            return
        item = self._items.get(item_id) or self._place(item_id, None)
        if item.ended is not None:
            return
        detail = plain(event.error) if event.error is not None else {}
        detail = detail if isinstance(detail, dict) else {}
        error = APIError.build(
            str(detail.get("message") or "the transcription failed"),
            code=detail.get("code"),
            type=detail.get("type"),
            param=detail.get("param"),
            source="stream",
        )
        item.ended = TranscriptFailed(item_id=item_id, reason="failed", error=error, text=item.text)
        item.due = None
        self._release()

    def _on_error(self, event: Any, now: float | None) -> None:
        detail = plain(event.error) if event.error is not None else {}
        detail = detail if isinstance(detail, dict) else {}
        client_event = detail.get("event_id")
        client_event = client_event if isinstance(client_event, str) else None
        error = classify_realtime_error(
            APIError.build(
                str(detail.get("message") or "the server reported an error"),
                code=detail.get("code"),
                type=detail.get("type"),
                param=detail.get("param"),
                event_id=client_event,
                source="stream",
            ),
            vad=True,
        )
        if error.code in _BENIGN:
            error = _classified(error, "benign")
        elif error.code in _FATAL:
            error = _classified(error, "fatal")
        kind = self._outbox.kind_of(client_event) if client_event is not None else None
        self._queue.push(
            TranscriptionError(error=error, client_event_id=client_event, client_event_type=kind)
        )
        if client_event is not None and client_event in self._updates_sent:
            self._updates_sent.remove(client_event)
            self._answered(client_event)

    # ------------------------------------------------------------------ ordering

    def _place(self, item_id: str, previous: Any) -> _Item:
        """Put `item_id` in conversation order: right after `previous` when that one still
        waits, else after everything waiting (on one socket items are committed in order; a
        fresh session's first item has no previous). Known items stay where they are."""
        known = self._items.get(item_id)
        if known is not None or item_id in self._ended:
            return known or _Item(None)  # an ended item's late echo: a throwaway
        previous = previous if isinstance(previous, str) else None
        item = _Item(previous)
        if previous is not None and previous in self._items:
            entries = list(self._items.items())
            at = next(i for i, (key, _) in enumerate(entries) if key == previous) + 1
            entries.insert(at, (item_id, item))
            self._items = OrderedDict(entries)
        else:
            self._items[item_id] = item
        self._last_item = item_id
        if len(self._items) > self.max_pending_items:
            oldest_id, oldest = next(iter(self._items.items()))
            if oldest.ended is None:
                oldest.ended = TranscriptFailed(
                    item_id=oldest_id, reason="evicted", text=oldest.text
                )
            self._release()
        return item

    def _release(self) -> None:
        """Report, in order, every item at the head that has ended."""
        while self._items:
            item_id, item = next(iter(self._items.items()))
            ended = item.ended
            if ended is None:
                return
            del self._items[item_id]
            self._ended.remember(item_id)
            if isinstance(ended, FinalTranscript):
                self.usage = self.usage.add(ended.usage)
            self._queue.push(ended)

    # ------------------------------------------------------------------ plumbing

    def _bytes_per_second(self) -> int:
        fmt = _dig(self.desired, "audio", "input", "format", "type")
        return _BYTES_PER_SECOND.get(fmt if isinstance(fmt, str) else "", 48000)

    def _client_commits(self) -> bool:
        """No server VAD in the session asked for (what the server applies before any
        later command: the configuration goes first on every socket)."""
        audio_input = _dig(self.desired, "audio", "input")
        return isinstance(audio_input, dict) and audio_input.get("turn_detection", {}) is None


def _body(frame: bytes) -> dict[str, Any]:
    """A client frame this machine encoded, decoded again (only after a lost socket)."""
    try:
        body = msgspec.json.decode(frame)
    except msgspec.DecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def _b64_len(data: Any) -> int:
    """Bytes of a base64 string (without decoding it)."""
    if not isinstance(data, str):
        return 0
    return len(data) * 3 // 4 - (len(data) - len(data.rstrip("=")))


def _without_orphan_commit(frames: Sequence[bytes], bodies: list[dict[str, Any]]) -> list[bytes]:
    """`frames` less their first commit when no audio precedes it: its audio died with the
    socket and its utterance is reported failed (sent again it would commit an empty buffer
    of the fresh session)."""
    for index, body in enumerate(bodies):
        kind = body.get("type")
        if kind == _APPEND:
            break
        if kind == "input_audio_buffer.commit":
            return [*frames[:index], *frames[index + 1 :]]
    return list(frames)


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _code(entry: Any) -> str | None:
    entry = plain(entry)
    if isinstance(entry, str):
        return entry
    code = entry.get("code") if isinstance(entry, dict) else None
    return code if isinstance(code, str) else None


def _classified(error: APIError, kind: Any) -> APIError:
    return msgspec.structs.replace(error, classification=kind)


_Handler = Callable[[TranscriptionSession, Any, "float | None"], None]
_HANDLERS: Final[dict[str, _Handler]] = {
    "session.created": TranscriptionSession._on_session,
    "session.updated": TranscriptionSession._on_session,
    "input_audio_buffer.speech_started": TranscriptionSession._on_speech_started,
    "input_audio_buffer.speech_stopped": TranscriptionSession._on_speech_stopped,
    "input_audio_buffer.committed": TranscriptionSession._on_committed,
    "input_audio_buffer.cleared": TranscriptionSession._on_cleared,
    "conversation.item.added": TranscriptionSession._on_item,
    "conversation.item.created": TranscriptionSession._on_item,
    "conversation.item.done": TranscriptionSession._on_item,
    "conversation.item.deleted": TranscriptionSession._on_deleted,
    "conversation.item.input_audio_transcription.delta": TranscriptionSession._on_delta,
    "conversation.item.input_audio_transcription.completed": TranscriptionSession._on_completed,
    "conversation.item.input_audio_transcription.failed": TranscriptionSession._on_failed,
    "error": TranscriptionSession._on_error,
}
"""Which handler updates the machine for each server event type (the rest pass through)."""
