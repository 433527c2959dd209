"""Events of the `TranscriptionSession` machine: what it concluded, next to the wire events.

The wire events of a realtime transcription session pass through typed (``events.realtime``:
``conversation.item.input_audio_transcription.*``, ``input_audio_buffer.*``, ``session.*``,
``error``). These say what the machine made of them:

- `InterimTranscript`: the text of an item so far (deltas joined; for ``whisper-1``, whose
  deltas carry the whole text, the latest one), keyed by ``item_id``. Never after that item's
  final.
- `FinalTranscript` / `TranscriptFailed`: exactly one per committed item, released in
  conversation order (``previous_item_id``), never before every earlier item ended.
- `SpeechStarted` / `SpeechStopped`: the server's VAD boundaries (audio milliseconds).
- `TranscriptionError`: an ``error`` event, classified and tied to the client event.
- `AudioDropped` (shared with the voice machine): outbound audio dropped by the bound.

Next: the caller drains them with ``TranscriptionSession.events()``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from .events.common import APIError
from .realtime_session_events import AudioDropped
from .transcription_common import TranscriptionUsage

__all__ = [
    "AudioDropped",
    "FinalTranscript",
    "InterimTranscript",
    "SpeechStarted",
    "SpeechStopped",
    "TranscriptFailed",
    "TranscriptionError",
    "UsageTotals",
]


class InterimTranscript(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The provisional text of item `item_id` so far (`delta`: what this event added; for
    whole-text models the whole text). Replace, never append, what you showed for the item."""

    item_id: str
    text: str
    delta: str = ""


class FinalTranscript(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Item `item_id` is transcribed (``...completed``): `text` is authoritative.

    `confidence` is the geometric mean of the token probabilities, ``None`` when the server
    sent no logprobs (absent is not zero); `usage` is this item's, flattened (``None`` when the
    server sent none); `languages` the detected language codes (first one in `language`);
    `previous_item_id` where the item sits in the conversation."""

    item_id: str
    text: str
    confidence: float | None = None
    usage: TranscriptionUsage | None = None
    language: str | None = None
    languages: tuple[str, ...] = ()
    previous_item_id: str | None = None


class TranscriptFailed(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Item `item_id` will have no transcript. `reason`: ``"failed"`` (the server's
    ``...failed``, `error` set), ``"connection_lost"`` (the socket died before its
    completion; `item_id` is ``None`` for audio sent but never committed), ``"deleted"``,
    ``"evicted"`` (too many items waited for an earlier one). `text` is the interim text the
    caller saw, if any."""

    item_id: str | None
    reason: Literal["failed", "connection_lost", "deleted", "evicted"] | str
    error: APIError | None = None
    text: str = ""


class SpeechStarted(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Server VAD heard speech start at `audio_start_ms` (item `item_id` will hold it)."""

    item_id: str | None
    audio_start_ms: int | None = None


class SpeechStopped(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Server VAD heard speech stop at `audio_end_ms`; a commit of `item_id` follows."""

    item_id: str | None
    audio_end_ms: int | None = None


class TranscriptionError(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An ``error`` event, classified for a transcription session (``benign``: an empty commit;
    ``fatal``: auth, quota, the retired beta shape, an invalid model: stop; the rest
    recoverable, the session stays open) and tied to the client event that caused it."""

    error: APIError
    client_event_id: str | None = None
    client_event_type: str | None = None


class UsageTotals(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Usage summed over a session's final transcripts (token- and duration-billed)."""

    transcripts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    audio_tokens: int = 0
    text_tokens: int = 0
    seconds: float = 0.0

    def add(self, usage: TranscriptionUsage | None) -> UsageTotals:
        """These totals plus one transcript's usage (``None``: counted, nothing billed)."""
        if usage is None:
            return msgspec.structs.replace(self, transcripts=self.transcripts + 1)
        return UsageTotals(
            transcripts=self.transcripts + 1,
            input_tokens=self.input_tokens + usage.input_tokens,
            output_tokens=self.output_tokens + usage.output_tokens,
            total_tokens=self.total_tokens + usage.total_tokens,
            audio_tokens=self.audio_tokens + usage.audio_tokens,
            text_tokens=self.text_tokens + usage.text_tokens,
            seconds=self.seconds + (usage.seconds or 0.0),
        )
