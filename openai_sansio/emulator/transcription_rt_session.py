"""The emulator's realtime transcription session: defaults, ``session.update``, transcripts (pure).

What: `default_transcription_session()` is the ``session`` object of ``session.created`` on
``/v1/realtime?intent=transcription`` (``type: "transcription"``, ``object:
"realtime.transcription_session"``, server VAD, ``audio/pcm`` 24 kHz, no transcription model
until the client names one); `merge_transcription_update()` validates a ``session.update``
(GA shape: ``session.type`` must be ``transcription``; only ``audio.input`` and ``include``;
the models that take no VAD refuse a ``turn_detection``) and applies it with the update
semantics of the voice sessions; `transcript_events()` renders the deterministic transcript
of a committed item: incremental word deltas (for ``whisper-1`` each delta carries the whole
text so far), token logprobs when included (deterministic, not all certain, so a confidence
is a real number), usage in tokens (``duration`` seconds for ``whisper-1``); an item with no
speech in it (`realtime_shared.heard_speech`: no 10 ms window at the VAD threshold) gets what
the real API sends for silence, an empty transcript with no deltas, still billed for its
audio.
Why: transcription sessions share the input side of the voice sessions but not their
session object; keeping their rules here keeps the engine about events.
Next: `transcription_rt.TranscriptionEngine` calls these.
"""

from __future__ import annotations

import copy
from typing import Any

from ..audio import PCM24K
from .errors import ApiError
from .realtime_audio import heard_transcript
from .realtime_session import (
    FORMATS,
    SessionView,
    check_keys,
    check_session_type,
    format_object,
    invalid_value,
    merge_input,
)
from .realtime_shared import LOGPROBS_INCLUDE, token_logprobs, transcription_usage
from .rules import split_words
from .validate import field

__all__ = [
    "LOGPROBS_INCLUDE",
    "NO_VAD_MODELS",
    "default_transcription_session",
    "merge_transcription_update",
    "token_logprob",
    "transcript_events",
    "view_of",
]

NO_VAD_MODELS = frozenset({"gpt-realtime-whisper", "gpt-live-transcribe"})
_SERVER_VAD = {
    "type": "server_vad",
    "threshold": 0.5,
    "prefix_padding_ms": 300,
    "silence_duration_ms": 500,
}
_SESSION_KEYS = frozenset({"type", "audio", "include"})


def default_transcription_session(session_id: str, expires_at: int) -> dict[str, Any]:
    """The full session object of ``session.created`` (server defaults)."""
    return {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": session_id,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": format_object(PCM24K),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": dict(_SERVER_VAD),
            }
        },
        "include": None,
    }


def merge_transcription_update(session: dict[str, Any], update: Any) -> dict[str, Any]:
    """The session after a ``session.update`` payload (a new object; `session` untouched).
    Raises `ApiError` for anything the API refuses (nothing is applied then)."""
    update = check_session_type(update, "transcription")
    check_keys(update, _SESSION_KEYS, "session")
    new = copy.deepcopy(session)
    if "include" in update:
        include = update["include"]
        if include is not None and (
            not isinstance(include, list) or any(v != LOGPROBS_INCLUDE for v in include)
        ):
            raise invalid_value(
                "session.include",
                f"Invalid value for 'session.include'. Supported values are: '{LOGPROBS_INCLUDE}'.",
            )
        new["include"] = include
    audio = update.get("audio")
    if audio is not None:
        field({"a": audio}, "a", "object", param="session.audio")
        check_keys(audio, frozenset({"input"}), "session.audio")
        merge_input(audio.get("input"), new["audio"]["input"], "session.audio.input")
        td = new["audio"]["input"].get("turn_detection")
        if td is not None:
            for key in ("create_response", "interrupt_response", "idle_timeout_ms"):
                td.pop(key, None)  # not part of a transcription session's turn detection
    transcription = new["audio"]["input"].get("transcription") or {}
    model = transcription.get("model")
    if model in NO_VAD_MODELS and new["audio"]["input"].get("turn_detection") is not None:
        raise invalid_value(
            "session.audio.input.turn_detection",
            f"Turn detection is not supported for model '{model}'; set turn_detection to null "
            "and commit the input audio buffer.",
        )
    return new


def view_of(session: dict[str, Any]) -> SessionView:
    """The settings the input buffer needs (a transcription session has no output)."""
    audio_in = session["audio"]["input"]
    return SessionView(
        input_format=FORMATS[audio_in["format"]["type"]],
        output_format=PCM24K,
        turn_detection=audio_in.get("turn_detection"),
        transcription=audio_in.get("transcription"),
        voice=None,
        speed=1.0,
    )


def token_logprob(token: str) -> float:
    """The emulated log-probability of one token: ``-0.02 * (1 + len(token.strip()) % 5)``."""
    return round(-0.02 * (1 + len(token.strip()) % 5), 4)


def transcript_events(
    item_id: str, audio_ms: int, config: dict[str, Any], include: Any, *, speech: bool = True
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The deltas and the ``completed`` event of a committed item of `audio_ms` (without
    `speech`: no deltas and an empty transcript)."""
    model = str(config.get("model") or "whisper-1")
    text = heard_transcript(audio_ms) if speech else ""
    words = split_words(text)
    logprobs = LOGPROBS_INCLUDE in (include or [])
    base = {"item_id": item_id, "content_index": 0}
    deltas: list[dict[str, Any]] = []
    so_far = ""
    for piece in words:
        so_far += piece
        delta = so_far if model == "whisper-1" else piece
        event = {
            "type": "conversation.item.input_audio_transcription.delta",
            "event_id": "",
            **base,
            "delta": delta,
        }
        if logprobs:
            event["logprobs"] = token_logprobs(piece, token_logprob(piece))
        deltas.append(event)
    usage = transcription_usage(model, audio_ms, str(config.get("prompt") or ""), text)
    done: dict[str, Any] = {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "",
        **base,
        "transcript": text,
        "usage": usage,
    }
    if logprobs:
        done["logprobs"] = [lp for w in words for lp in token_logprobs(w, token_logprob(w))]
    language = config.get("language")
    if model == "gpt-transcribe" and isinstance(language, str):
        done["languages"] = [{"code": language}]
    return deltas, done


def check_model_query(model: str | None) -> ApiError | None:
    """The error a transcription ``session.update`` gets on a socket opened with ``?model=``
    (a conversation session: the real API answers ``invalid_model``)."""
    if model is None:
        return None
    return ApiError(
        400,
        f"Model '{model}' selects a realtime conversation session; a transcription session "
        "is opened with ?intent=transcription and no model.",
        param="session.type",
        code="invalid_model",
    )
