"""`Outbox`: the client events a Realtime session has queued, and what it remembers of them.

- Every client event gets an ``event_id`` from the injected factory and is remembered
  (bounded) by id: the server echoes that id in ``error.event_id``, which is how an error is
  tied to the command that caused it (`kind_of`) and how a refused ``response.create`` is
  sent again (`resend`).
- ``input_audio_buffer.append`` frames carry their duration; at most `max_audio_ms` of them
  wait for the socket, the oldest dropped beyond that (a slow or absent socket never grows
  memory). Other events are never dropped.
- Frames keep their event id while queued, so after a drop the session can tell a command
  that reached the dead socket (`queued` is false) from one still waiting to be written.
Pure; used by `RealtimeSession`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from ._errors import LocalProtocolError
from .events.realtime import InputAudioBufferAppend
from .realtime_wire import Bounded

__all__ = ["Outbox"]

_json: Final = msgspec.json.Encoder()


class Outbox:
    """Queued frames (with audio durations) and a bounded memory of sent event ids."""

    def __init__(self, ids: Callable[[], str], *, max_audio_ms: float) -> None:
        self.ids = ids
        self.max_audio_ms = max_audio_ms
        self.audio_ms = 0.0
        self.dropped_ms = 0.0
        self._frames: deque[tuple[bytes, float, str | None]] = deque()
        self._taken: deque[tuple[bytes, float, str | None]] = deque()  # the last `take`
        self._sent = Bounded()  # event id -> its fields as sent (type included), newest kept

    def __len__(self) -> int:
        return len(self._frames)

    def encode(self, kind: str, fields: Mapping[str, Any] | None = None) -> tuple[str, bytes]:
        """A new client event: its id and its JSON (remembered, not queued)."""
        event_id = self.ids()
        body = {"type": kind, "event_id": event_id, **(fields or {})}
        try:
            frame = _json.encode(body)
        except (UnicodeEncodeError, TypeError, msgspec.EncodeError) as exc:
            raise LocalProtocolError(
                f"{kind}: cannot be sent as JSON ({exc})", error_hint="encode"
            ) from None
        self._sent.remember(event_id, body)
        return event_id, frame

    def send(self, kind: str, fields: Mapping[str, Any] | None = None) -> str:
        """Encode and queue a client event; returns its id."""
        event_id, frame = self.encode(kind, fields)
        self._frames.append((frame, 0.0, event_id))
        return event_id

    def queue(self, frame: bytes, event_id: str | None = None) -> None:
        self._frames.append((frame, 0.0, event_id))

    def queue_first(self, frames: list[bytes]) -> None:
        """Put `frames` ahead of everything queued (a new connection's setup, or frames the
        last `take` returned that never reached the socket: those keep their event ids)."""
        ids = {id(f): i for f, _, i in self._taken}
        self._frames.extendleft((f, 0.0, ids.get(id(f))) for f in reversed(frames))

    def queued(self, event_id: str) -> bool:
        """Whether the client event `event_id` still waits to be written."""
        return any(i == event_id for _, _, i in self._frames)

    def frame_of(self, event_id: str) -> bytes | None:
        """The client event `event_id` encoded again, same id (``None`` once forgotten)."""
        body = self._sent.get(event_id)
        return _json.encode(body) if body is not None else None

    def audio(self, audio: bytes, ms: float) -> float:
        """Queue an append of `ms` of audio; returns how many ms of older audio it dropped."""
        self._frames.append((_json.encode(InputAudioBufferAppend(audio=audio)), ms, None))
        self.audio_ms += ms
        if self.audio_ms <= self.max_audio_ms:
            return 0.0
        dropped = 0.0
        kept: deque[tuple[bytes, float, str | None]] = deque()
        for entry in self._frames:
            length = entry[1]
            if length and self.audio_ms - dropped > self.max_audio_ms:
                dropped += length
                continue
            kept.append(entry)
        self._frames = kept
        self.audio_ms -= dropped
        self.dropped_ms += dropped
        return dropped

    def take(self) -> list[bytes]:
        """Everything queued, in order (the queue empties)."""
        taken, self._frames = self._frames, deque()
        self._taken = taken
        self.audio_ms = 0.0
        return [frame for frame, _, _ in taken]

    def body(self, event_id: str) -> dict[str, Any] | None:
        """The fields of the client event `event_id` as sent (``None`` once forgotten)."""
        body: dict[str, Any] | None = self._sent.get(event_id)
        return body

    def kind_of(self, event_id: str) -> str | None:
        """The type of the client event `event_id` (``None`` once forgotten)."""
        body = self._sent.get(event_id)
        return str(body["type"]) if body is not None else None

    def resend(self, event_id: str) -> tuple[str, bytes]:
        """The event `event_id` again, under a new id."""
        body = dict(self._sent.get(event_id) or {"type": "response.create"})
        body["event_id"] = new = self.ids()
        self._sent.remember(new, body)
        return new, _json.encode(body)
