"""Server events of ``POST /v1/audio/transcriptions`` with ``stream=true`` (SSE, data only).

The SDK union `TranscriptionStreamEvent` has three members, mirrored here one to one:

- `TranscriptTextDelta` (``transcript.text.delta``): more text; ``logprobs`` when
  ``include[]=logprobs`` was sent; ``segment_id`` for the diarizing model;
- `TranscriptTextSegment` (``transcript.text.segment``): a finished diarized segment;
- `TranscriptTextDone` (``transcript.text.done``): the whole text (authoritative over the
  deltas), logprobs, detected languages, token usage.

Decode them with ``decode_server_event(data, api="transcription-http")``; any other ``type``
becomes an `UnknownEvent`. Unknown fields are ignored, unset optionals are not re-encoded.
The same `TranscriptLogprob` / `TranscriptUsageWire` shapes appear in the plain JSON body.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from .common import WireEvent
from .realtime_items import union_tags

__all__ = [
    "TRANSCRIPTION_HTTP_EVENT_TYPES",
    "TranscriptLanguage",
    "TranscriptLogprob",
    "TranscriptTextDelta",
    "TranscriptTextDone",
    "TranscriptTextSegment",
    "TranscriptTokenDetails",
    "TranscriptUsageWire",
    "TranscriptionHTTPServerEvent",
]

_OPTS: dict[str, Any] = {"frozen": True, "kw_only": True, "omit_defaults": True, "gc": False}


class TranscriptLogprob(msgspec.Struct, **_OPTS):
    """One token's log probability: ``{"token", "logprob", "bytes"}`` (all optional)."""

    token: str | None = None
    logprob: float | None = None
    bytes: list[int | float] | None = None


class TranscriptLanguage(msgspec.Struct, **_OPTS):
    """A detected language (``{"code": "en"}``), as ``gpt-transcribe`` reports them."""

    code: str


class TranscriptTokenDetails(msgspec.Struct, **_OPTS):
    """``usage.input_token_details``: audio and text tokens billed."""

    audio_tokens: int | None = None
    text_tokens: int | None = None


class TranscriptUsageWire(msgspec.Struct, **_OPTS):
    """``usage`` as sent: ``type`` ``"tokens"`` (token counts) or ``"duration"``
    (``seconds``). Flatten with `transcription_common.transcription_usage`."""

    type: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    input_token_details: TranscriptTokenDetails | None = None
    seconds: float | None = None


class TranscriptTextDelta(WireEvent, tag="transcript.text.delta", frozen=True):
    """``transcript.text.delta``: text to append to the interim transcript."""

    delta: str
    logprobs: list[TranscriptLogprob] | None = None
    segment_id: str | None = None


class TranscriptTextSegment(WireEvent, tag="transcript.text.segment", frozen=True):
    """``transcript.text.segment``: one diarized segment (seconds from the start)."""

    id: str
    start: float
    end: float
    speaker: str
    text: str


class TranscriptTextDone(WireEvent, tag="transcript.text.done", frozen=True):
    """``transcript.text.done``: the final text; the end of the stream."""

    text: str
    logprobs: list[TranscriptLogprob] | None = None
    languages: list[TranscriptLanguage] | None = None
    usage: TranscriptUsageWire | None = None


TranscriptionHTTPServerEvent = TranscriptTextDelta | TranscriptTextSegment | TranscriptTextDone
"""The tagged union the codec decodes ``api="transcription-http"`` events into."""

TRANSCRIPTION_HTTP_EVENT_TYPES: Final[frozenset[str]] = union_tags(TranscriptionHTTPServerEvent)
"""The wire tags of `TranscriptionHTTPServerEvent`; any other ``type`` is an `UnknownEvent`."""
