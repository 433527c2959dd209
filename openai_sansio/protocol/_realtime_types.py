"""The value types of a GA Realtime session configuration, validated when constructed.

Every class here is a frozen, keyword-only dataclass whose fields default to ``None`` =
"not set: leave the server's value". The one special value is `OFF`: it is sent as an
explicit JSON ``null``, which the GA API reads as "turn this off" (manual turns for
``turn_detection``, no noise reduction, no input transcription, no tracing). Keeping
``None`` (omit) and `OFF` (send ``null``) apart is the whole point: an omitted field is left
unchanged by ``session.update``, a ``null`` field is switched off.

Public names are re-exported by `openai_sansio.protocol.realtime_config`; import them there.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, TypeAlias

from ._errors import LocalProtocolError
from ._request_params import _check_bool, _check_int, _check_range, _check_str

__all__ = [
    "OFF",
    "PCM_SAMPLE_RATE",
    "AudioFormat",
    "CustomVoice",
    "Eagerness",
    "InputTranscription",
    "NoiseReduction",
    "Off",
    "RetentionRatio",
    "SemanticVAD",
    "ServerVAD",
    "Tracing",
    "TranscriptionDelay",
    "audio_format_object",
    "normalize_audio_format",
]


class Off(enum.Enum):
    """The type of `OFF`: "send an explicit ``null``" (switch the feature off)."""

    OFF = "off"

    def __repr__(self) -> str:
        return "OFF"


OFF: Final = Off.OFF
"""Sent as JSON ``null``: manual turns (``turn_detection``), no noise reduction, no input
transcription, no tracing. ``None`` instead means "not set": the field is omitted."""

PCM_SAMPLE_RATE: Final = 24000
"""The only sample rate GA ``audio/pcm`` accepts (16-bit little-endian mono)."""

AudioFormat: TypeAlias = Literal[
    "pcm",
    "pcmu",
    "pcma",
    "audio/pcm",
    "audio/pcmu",
    "audio/pcma",
    "pcm16",
    "g711_ulaw",
    "g711_alaw",
]
"""``pcm`` (24 kHz s16le mono), ``pcmu`` (G.711 μ-law) or ``pcma`` (G.711 A-law), 8 kHz for
both G.711. The MIME names (``audio/pcm``) and the retired beta names (``pcm16``,
``g711_ulaw``, ``g711_alaw``) are accepted too and normalised to the short form."""

Eagerness: TypeAlias = Literal["low", "medium", "high", "auto"]
TranscriptionDelay: TypeAlias = Literal["minimal", "low", "medium", "high", "xhigh"]

_FORMATS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pcm": "pcm",
        "audio/pcm": "pcm",
        "pcm16": "pcm",
        "pcmu": "pcmu",
        "audio/pcmu": "pcmu",
        "g711_ulaw": "pcmu",
        "pcma": "pcma",
        "audio/pcma": "pcma",
        "g711_alaw": "pcma",
    }
)
_EAGERNESS: Final = frozenset({"low", "medium", "high", "auto"})
_DELAYS: Final = frozenset({"minimal", "low", "medium", "high", "xhigh"})
_NOISE_TYPES: Final = frozenset({"near_field", "far_field"})
IDLE_TIMEOUT_MIN_MS: Final = 5000
IDLE_TIMEOUT_MAX_MS: Final = 30000


def _fail(message: str, hint: str = "invalid_param") -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def normalize_audio_format(value: object, what: str = "audio format") -> str:
    """``"pcm"``, ``"pcmu"`` or ``"pcma"`` for any accepted spelling (see `AudioFormat`)."""
    if not isinstance(value, str) or value.lower() not in _FORMATS:
        raise _fail(
            f"{what} must be 'pcm' (24 kHz s16le mono), 'pcmu' or 'pcma', got {value!r}",
            "invalid_audio_format",
        )
    return _FORMATS[value.lower()]


def audio_format_object(value: AudioFormat | str) -> dict[str, Any]:
    """The GA format object: ``{"type":"audio/pcm","rate":24000}``, ``{"type":"audio/pcmu"}``
    or ``{"type":"audio/pcma"}``."""
    fmt = normalize_audio_format(value)
    if fmt == "pcm":
        return {"type": "audio/pcm", "rate": PCM_SAMPLE_RATE}
    return {"type": f"audio/{fmt}"}


def json_copy(value: Any, what: str, *, keep_off: bool = False) -> Any:
    """A deep copy of caller JSON as plain dicts/lists (Mappings and sequences converted).

    `OFF` becomes ``None`` (an explicit null) unless `keep_off`. Rejects non-str keys and
    values JSON cannot hold, so a bad value fails here rather than at encoding time.
    """
    if value is OFF:
        return OFF if keep_off else None
    if value is None:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"{what} contains a non-finite number {value!r}")
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(f"{what} has a non-str key {key!r}")
            out[key] = json_copy(item, what, keep_off=keep_off)
        return out
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [json_copy(item, what, keep_off=keep_off) for item in value]
    raise _fail(f"{what} contains {type(value).__name__}, which JSON cannot represent")


def frozen_json(value: object, what: str, *, keep_off: bool = False) -> Mapping[str, Any] | None:
    """Validate a JSON object given by the caller and keep a private, read-only copy."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail(f"{what} must be a mapping with str keys, got {type(value).__name__}")
    copied: dict[str, Any] = json_copy(value, what, keep_off=keep_off)
    return MappingProxyType(copied)


def check_str_seq(name: str, value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise _fail(f"{name} must be a sequence of str (not a single str)")
    items = tuple(value)
    if not all(isinstance(v, str) and v for v in items):
        raise _fail(f"{name} must contain non-empty str values only")
    return items


def check_choice(name: str, value: object, allowed: frozenset[str]) -> None:
    if value is not None and value not in allowed:
        options = ", ".join(repr(a) for a in sorted(allowed))
        raise _fail(f"{name} must be one of {options}, got {value!r}")


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerVAD:
    """Server voice activity detection (``{"type":"server_vad",...}``): turns end on silence.

    `threshold` 0-1 (server default 0.5; higher needs louder speech), `prefix_padding_ms`
    audio kept before detected speech (300), `silence_duration_ms` of silence that ends the
    turn (documented 500, observed 200: read the effective value from ``session.created``),
    `idle_timeout_ms` 5000-30000 (then ``input_audio_buffer.timeout_triggered`` and a
    response; server VAD only). `create_response` / `interrupt_response` (both default
    true) make the server start a response when the turn ends and cancel the active one when
    the user starts speaking.
    """

    threshold: float | None = None
    prefix_padding_ms: int | None = None
    silence_duration_ms: int | None = None
    idle_timeout_ms: int | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None

    def __post_init__(self) -> None:
        _check_range("ServerVAD.threshold", self.threshold, 0.0, 1.0)
        _check_int("ServerVAD.prefix_padding_ms", self.prefix_padding_ms, 0)
        _check_int("ServerVAD.silence_duration_ms", self.silence_duration_ms, 0)
        _check_int(
            "ServerVAD.idle_timeout_ms",
            self.idle_timeout_ms,
            IDLE_TIMEOUT_MIN_MS,
            IDLE_TIMEOUT_MAX_MS,
        )
        _check_bool("ServerVAD.create_response", self.create_response)
        _check_bool("ServerVAD.interrupt_response", self.interrupt_response)

    def to_json(self) -> dict[str, Any]:
        """The ``turn_detection`` object; unset fields are omitted (server defaults)."""
        out: dict[str, Any] = {"type": "server_vad"}
        _put(out, "threshold", self.threshold)
        _put(out, "prefix_padding_ms", self.prefix_padding_ms)
        _put(out, "silence_duration_ms", self.silence_duration_ms)
        _put(out, "idle_timeout_ms", self.idle_timeout_ms)
        _put(out, "create_response", self.create_response)
        _put(out, "interrupt_response", self.interrupt_response)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class SemanticVAD:
    """Semantic turn detection (``{"type":"semantic_vad",...}``): a model judges turn ends.

    `eagerness` ``low``/``medium``/``high`` wait at most 8 s / 4 s / 2 s; ``auto`` (the
    default) equals ``medium``. `create_response` / `interrupt_response` as in `ServerVAD`.
    """

    eagerness: Eagerness | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None

    def __post_init__(self) -> None:
        check_choice("SemanticVAD.eagerness", self.eagerness, _EAGERNESS)
        _check_bool("SemanticVAD.create_response", self.create_response)
        _check_bool("SemanticVAD.interrupt_response", self.interrupt_response)

    def to_json(self) -> dict[str, Any]:
        """The ``turn_detection`` object; unset fields are omitted (server defaults)."""
        out: dict[str, Any] = {"type": "semantic_vad"}
        _put(out, "eagerness", self.eagerness)
        _put(out, "create_response", self.create_response)
        _put(out, "interrupt_response", self.interrupt_response)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class InputTranscription:
    """Asynchronous transcription of the user's audio (``audio.input.transcription``).

    `model` e.g. ``gpt-4o-transcribe``, ``gpt-4o-mini-transcribe``, ``whisper-1`` (an open
    set), `language` ISO-639-1 (``"en"``), `prompt` guidance text. Model-specific extras:
    `languages` and `keywords` (``gpt-transcribe``, ``gpt-live-transcribe``), `delay`
    (``gpt-realtime-whisper`` only, which also takes no `prompt`). The server checks those
    pairings; they are not enforced here because the model list keeps moving.
    """

    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    languages: Sequence[str] | None = None
    keywords: Sequence[str] | None = None
    delay: TranscriptionDelay | None = None

    def __post_init__(self) -> None:
        _check_str("InputTranscription.model", self.model)
        _check_str("InputTranscription.language", self.language)
        _check_str("InputTranscription.prompt", self.prompt, empty_ok=True)
        languages = check_str_seq("InputTranscription.languages", self.languages)
        if languages == ():
            raise _fail("InputTranscription.languages needs at least one language (or None)")
        object.__setattr__(self, "languages", languages)
        keywords = check_str_seq("InputTranscription.keywords", self.keywords)
        object.__setattr__(self, "keywords", keywords)
        check_choice("InputTranscription.delay", self.delay, _DELAYS)

    def to_json(self) -> dict[str, Any]:
        """The ``transcription`` object; unset fields are omitted."""
        out: dict[str, Any] = {}
        _put(out, "model", self.model)
        _put(out, "language", self.language)
        _put(out, "prompt", self.prompt)
        if self.languages is not None:
            out["languages"] = list(self.languages)
        if self.keywords is not None:
            out["keywords"] = list(self.keywords)
        _put(out, "delay", self.delay)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseReduction:
    """Input noise reduction: ``near_field`` (headset) or ``far_field`` (laptop, room mic).

    `strength` (server default 1.0 when first enabled; higher suppresses more) is in the SDK
    but not in the published OpenAPI document; leave it ``None`` unless you need it.
    """

    type: Literal["near_field", "far_field"] | None = None
    strength: float | None = None

    def __post_init__(self) -> None:
        check_choice("NoiseReduction.type", self.type, _NOISE_TYPES)
        if self.strength is not None:
            _check_range("NoiseReduction.strength", self.strength, 0.0, math.inf)

    def to_json(self) -> dict[str, Any]:
        """The ``noise_reduction`` object."""
        out: dict[str, Any] = {}
        _put(out, "type", self.type)
        _put(out, "strength", self.strength)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomVoice:
    """A custom voice by id (``{"id":"voice_1234"}``); built-in voices are plain strings."""

    id: str

    def __post_init__(self) -> None:
        _check_str("CustomVoice.id", self.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRatio:
    """Truncation that keeps `retention_ratio` (0-1) of the post-instruction conversation.

    `post_instructions_tokens` caps the conversation after the instructions (the server's
    ``token_limits.post_instructions``). Dropping many messages at once keeps the prompt
    cache warm for longer than the default truncation.
    """

    retention_ratio: float
    post_instructions_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.retention_ratio is None:
            raise _fail("RetentionRatio.retention_ratio is required")
        _check_range("RetentionRatio.retention_ratio", self.retention_ratio, 0.0, 1.0)
        _check_int("RetentionRatio.post_instructions_tokens", self.post_instructions_tokens, 1)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "retention_ratio", "retention_ratio": self.retention_ratio}
        if self.post_instructions_tokens is not None:
            out["token_limits"] = {"post_instructions": self.post_instructions_tokens}
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Tracing:
    """Session traces in the Traces dashboard, with names (``"auto"`` uses defaults).

    Once tracing is enabled for a session it cannot be changed.
    """

    workflow_name: str | None = None
    group_id: str | None = None
    metadata: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _check_str("Tracing.workflow_name", self.workflow_name)
        _check_str("Tracing.group_id", self.group_id)
        object.__setattr__(self, "metadata", frozen_json(self.metadata, "Tracing.metadata"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "workflow_name", self.workflow_name)
        _put(out, "group_id", self.group_id)
        if self.metadata is not None:
            out["metadata"] = json_copy(self.metadata, "Tracing.metadata")
        return out
