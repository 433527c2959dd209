"""Text-to-speech wire events: what ``POST /v1/audio/speech`` streams with
``stream_format: "sse"`` (spec schemas ``SpeechAudioDeltaEvent`` / ``SpeechAudioDoneEvent``).

What: `SpeechAudioDelta` (tag ``speech.audio.delta``) carries one chunk of audio, base64 on
the wire and decoded to ``bytes`` here (by msgspec, in C); `SpeechAudioDone` (tag
``speech.audio.done``) ends the stream with token usage.
Why ``audio`` is optional: the spec names the field ``audio``, some OpenAI-compatible servers
send ``delta`` instead; both decode and `SpeechAudioDelta.data` returns whichever came. A
delta with neither is refused by `protocol.speech.SpeechStream` (audio is the whole point).
Next: a ``type`` outside `SPEECH_SERVER_EVENT_TYPES` decodes as `UnknownEvent`; decode with
``decode_server_event(data, api="speech")`` or let `SpeechStream` do it.
"""

from __future__ import annotations

from typing import Final

import msgspec

from .common import WireEvent

__all__ = [
    "SPEECH_SERVER_EVENT_TYPES",
    "SpeechAudioDelta",
    "SpeechAudioDone",
    "SpeechServerEvent",
    "SpeechUsage",
]


class SpeechUsage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """``usage`` of ``speech.audio.done``: tokens of the input text and of the audio made."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


class SpeechAudioDelta(WireEvent, tag="speech.audio.delta", frozen=True):
    """``speech.audio.delta``: one chunk of audio (PCM for ``response_format: "pcm"``)."""

    audio: bytes | None = None
    delta: bytes | None = None

    @property
    def data(self) -> bytes | None:
        """The audio bytes, from ``audio`` (the spec's field) or else ``delta``."""
        return self.audio if self.audio is not None else self.delta


class SpeechAudioDone(WireEvent, tag="speech.audio.done", frozen=True):
    """``speech.audio.done``: all audio was sent; `usage` counts the request's tokens."""

    usage: SpeechUsage | None = None


SpeechServerEvent = SpeechAudioDelta | SpeechAudioDone

SPEECH_SERVER_EVENT_TYPES: Final[frozenset[str]] = frozenset(
    {"speech.audio.delta", "speech.audio.done"}
)
