"""Realtime transcription sessions: configuration and the GA ``session.update``. Pure.

A transcription session is opened at ``/v1/realtime?intent=transcription`` (no ``model`` in the
URL: a model there selects a conversation session and the transcription ``session.update`` is
refused with ``invalid_model``) and configured by ONE event, the GA shape::

    {"type": "session.update", "session": {"type": "transcription",
      "audio": {"input": {"format": {...}, "transcription": {"model": ..., "language": ...,
                "prompt": ...}, "turn_detection": {...} | null, "noise_reduction": {...}}},
      "include": ["item.input_audio_transcription.logprobs"]}}

never the retired beta ``transcription_session.update`` (rejected with
``beta_api_shape_disabled``).

`TranscriptionConfig` describes it, validated when constructed; `session_object(config)`
renders the ``session`` object the machine sends first on every connection.
`whole_text_deltas(model)` says whether the model's deltas carry the whole text so far
(``whisper-1``) rather than increments. `transcription_url` is `realtime_url` with the
transcription intent.

Next: ``TranscriptionSession(session_object(config))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ._client_config import ClientConfig
from ._realtime_connect import realtime_url
from ._realtime_types import (
    OFF,
    AudioFormat,
    InputTranscription,
    NoiseReduction,
    Off,
    SemanticVAD,
    ServerVAD,
    TranscriptionDelay,
    _fail,
    audio_format_object,
    normalize_audio_format,
)
from ._request_params import _check_str

__all__ = [
    "LOGPROBS_INCLUDE",
    "NO_VAD_MODELS",
    "TranscriptionConfig",
    "session_object",
    "transcription_url",
    "whole_text_deltas",
]

LOGPROBS_INCLUDE: Final = "item.input_audio_transcription.logprobs"
NO_VAD_MODELS: Final = frozenset({"gpt-realtime-whisper", "gpt-live-transcribe"})
"""Models that require ``turn_detection: null`` (the client commits; `delay` tunes latency)."""
_WHOLE_TEXT: Final = frozenset({"whisper-1"})


def whole_text_deltas(model: str | None) -> bool:
    """Whether `model`'s ``...transcription.delta`` carries the whole text so far (replace,
    do not append): ``whisper-1``; the gpt-4o-transcribe family sends increments."""
    return model in _WHOLE_TEXT


@dataclass(frozen=True, slots=True, kw_only=True)
class TranscriptionConfig:
    """A realtime transcription session.

    - `input_format`: ``pcm`` (24 kHz s16le mono), ``pcmu`` or ``pcma`` (G.711, 8 kHz).
    - `model`, `language` (ISO-639-1), `prompt`, `languages`, `keywords`, `delay`: the
      ``transcription`` object (`delay` for ``gpt-realtime-whisper``).
    - `turn_detection`: `ServerVAD`, `SemanticVAD`, or `OFF` (no VAD: the client commits with
      ``flush()``). ``None`` = the model's default: `OFF` for the models in `NO_VAD_MODELS`
      (which refuse VAD), else the server's (server VAD). ``create_response`` /
      ``interrupt_response`` mean nothing here (no responses) and are refused.
    - `noise_reduction`: `NoiseReduction`, ``"near_field"`` / ``"far_field"``, `OFF`, or
      ``None`` (not sent).
    - `include_logprobs`: ask for token logprobs (confidence of each final transcript).
    """

    input_format: AudioFormat | str = "pcm"
    model: str = "gpt-4o-transcribe"
    language: str | None = None
    prompt: str | None = None
    languages: tuple[str, ...] | None = None
    keywords: tuple[str, ...] | None = None
    delay: TranscriptionDelay | None = None
    turn_detection: ServerVAD | SemanticVAD | Off | None = None
    noise_reduction: NoiseReduction | str | Off | None = None
    include_logprobs: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_format", normalize_audio_format(self.input_format))
        _check_str("TranscriptionConfig.model", self.model)
        td = self.turn_detection
        if td is not None and td is not OFF and not isinstance(td, ServerVAD | SemanticVAD):
            raise _fail(
                "turn_detection must be ServerVAD(...), SemanticVAD(...) or OFF (client "
                f"commits), got {td!r}"
            )
        if isinstance(td, ServerVAD | SemanticVAD):
            if td.create_response is not None or td.interrupt_response is not None:
                raise _fail(
                    "a transcription session has no responses: leave create_response and "
                    "interrupt_response unset"
                )
            if self.model in NO_VAD_MODELS:
                raise _fail(
                    f"{self.model} requires turn_detection OFF (no server VAD: commit with flush())"
                )
        noise = self.noise_reduction
        if isinstance(noise, str):
            object.__setattr__(self, "noise_reduction", NoiseReduction(type=noise))  # type: ignore[arg-type]
        elif noise is not None and noise is not OFF and not isinstance(noise, NoiseReduction):
            raise _fail(f"noise_reduction must be NoiseReduction(...) or OFF, got {noise!r}")
        if not isinstance(self.include_logprobs, bool):
            raise _fail("include_logprobs must be a bool")
        self.transcription()  # the transcription fields are checked there

    def transcription(self) -> InputTranscription:
        return InputTranscription(
            model=self.model,
            language=self.language,
            prompt=self.prompt,
            languages=self.languages,
            keywords=self.keywords,
            delay=self.delay,
        )

    @property
    def client_commits(self) -> bool:
        """No server VAD: the caller ends each utterance with ``flush()``."""
        return self.turn_detection is OFF or (
            self.turn_detection is None and self.model in NO_VAD_MODELS
        )


def session_object(config: TranscriptionConfig) -> dict[str, Any]:
    """The GA ``session`` object of ``session.update`` (``type: "transcription"``)."""
    audio_input: dict[str, Any] = {
        "format": audio_format_object(str(config.input_format)),
        "transcription": config.transcription().to_json(),
    }
    td = config.turn_detection
    if config.client_commits:
        audio_input["turn_detection"] = None
    elif isinstance(td, ServerVAD | SemanticVAD):
        audio_input["turn_detection"] = td.to_json()
    noise = config.noise_reduction
    if noise is OFF:
        audio_input["noise_reduction"] = None
    elif isinstance(noise, NoiseReduction):
        audio_input["noise_reduction"] = noise.to_json()
    session: dict[str, Any] = {"type": "transcription", "audio": {"input": audio_input}}
    if config.include_logprobs:
        session["include"] = [LOGPROBS_INCLUDE]
    return session


def transcription_url(client_config: ClientConfig, *, url: str | None = None) -> str:
    """``wss://.../v1/realtime?intent=transcription`` (Azure: its GA v1 path) for
    `client_config`; never a ``model`` query."""
    return realtime_url(client_config, intent="transcription", url=url)
