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
speech in it (`heard_speech`: no 10 ms window at the VAD threshold) gets what the real API
sends for silence, an empty transcript with no deltas, still billed for its audio.
Why: transcription sessions share the input side of the voice sessions but not their
session object; keeping their rules here keeps the engine about events.
Next: `transcription_rt.TranscriptionEngine` calls these.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from ..audio import PCM24K
from ..audio.formats import AudioFormat
from ..audio.g711 import alaw_decode, ulaw_decode
from .errors import ApiError
from .realtime_audio import VAD_WINDOW_MS, heard_transcript, threshold_db
from .realtime_session import (
    FORMATS,
    SessionView,
    check_keys,
    format_object,
    invalid_value,
    merge_input,
)
from .rules import count_tokens, split_words
from .validate import field, missing

__all__ = [
    "LOGPROBS_INCLUDE",
    "NO_VAD_MODELS",
    "default_transcription_session",
    "heard_speech",
    "merge_transcription_update",
    "token_logprob",
    "transcript_events",
    "view_of",
]

LOGPROBS_INCLUDE = "item.input_audio_transcription.logprobs"
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
    if update is None:
        raise missing("session")
    field({"session": update}, "session", "object")
    kind = update.get("type")
    if kind is None:
        raise missing("session.type")
    if kind != "transcription":
        raise invalid_value(
            "session.type",
            f"Invalid value: '{kind}'. A transcription session cannot be updated to session "
            f"type '{kind}'; supported values are: 'transcription'.",
        )
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


def heard_speech(audio: bytes, fmt: AudioFormat, turn_detection: Any) -> bool:
    """Whether `audio` (in `fmt`) holds speech: one 10 ms window at or above the level of
    the VAD threshold (the session's, else 0.5: -40 dBFS)."""
    threshold = turn_detection.get("threshold") if isinstance(turn_detection, dict) else None
    level = threshold_db(0.5 if threshold is None else float(threshold))
    if fmt.mime == "audio/pcmu":
        samples = ulaw_decode(audio)
    elif fmt.mime == "audio/pcma":
        samples = alaw_decode(audio)
    else:
        samples = np.frombuffer(audio[: len(audio) // 2 * 2], dtype="<i2")
    window = max(1, int(fmt.rate * VAD_WINDOW_MS / 1000))
    usable = len(samples) // window * window
    if not usable:
        return False
    frames = samples[:usable].astype(np.float64).reshape(-1, window)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    return bool(np.any(rms >= 32768.0 * 10 ** (level / 20)))


def token_logprob(token: str) -> float:
    """The emulated log-probability of one token: ``-0.02 * (1 + len(token.strip()) % 5)``."""
    return round(-0.02 * (1 + len(token.strip()) % 5), 4)


def _logprobs(piece: str) -> list[dict[str, Any]]:
    return [{"token": piece, "logprob": token_logprob(piece), "bytes": list(piece.encode())}]


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
            event["logprobs"] = _logprobs(piece)
        deltas.append(event)
    usage: dict[str, Any]
    if model == "whisper-1":
        usage = {"type": "duration", "seconds": round(audio_ms / 1000, 3)}
    else:
        audio_tokens = math.ceil(audio_ms / 100)
        prompt = count_tokens(str(config.get("prompt") or ""))
        out = count_tokens(text)
        usage = {
            "type": "tokens",
            "input_tokens": audio_tokens + prompt,
            "output_tokens": out,
            "total_tokens": audio_tokens + prompt + out,
            "input_token_details": {"text_tokens": prompt, "audio_tokens": audio_tokens},
        }
    done: dict[str, Any] = {
        "type": "conversation.item.input_audio_transcription.completed",
        "event_id": "",
        **base,
        "transcript": text,
        "usage": usage,
    }
    if logprobs:
        done["logprobs"] = [lp for piece in words for lp in _logprobs(piece)]
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
