"""What the emulator's two realtime sockets share: voice and transcription (pure).

What: the pieces `realtime_engine.RealtimeEngine` (``/v1/realtime?model=``) and
`transcription_rt.TranscriptionEngine` (``?intent=transcription``) both need, each in one
place: per-connection ids (`ConnectionIds`), the ``error`` event (`error_event`), the parse
and record of a client frame (`decode_client_frame`), the committed user audio item
(`user_audio_item`), the ``drop_after_events`` / ``inject_error_after`` knobs on the way out
(`OutgoingFaults`), and for input transcription the speech test (`heard_speech`: the real API
transcribes silence as an empty transcript), the usage object (`transcription_usage`) and
the token logprobs (`token_logprobs`).
Why: the two engines are separate state machines with different rules, but these are the
same rules of the same API; a copy would drift (and did: the voice engine used to invent a
transcript for silent audio).
Next: the engines, `realtime_input.transcription_events` and
`transcription_rt_session.transcript_events` call these.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec
import numpy as np

from ..audio.formats import AudioFormat
from ..audio.g711 import alaw_decode, ulaw_decode
from .errors import ApiError, default_error
from .faults import EmulatorConfig
from .ids import IdSource
from .realtime_audio import VAD_WINDOW_MS, threshold_db
from .realtime_response import ev
from .rules import count_tokens
from .ws_engine import Close, Outgoing, redact_frame

__all__ = [
    "LOGPROBS_INCLUDE",
    "ConnectionIds",
    "OutgoingFaults",
    "decode_client_frame",
    "error_event",
    "heard_speech",
    "token_logprobs",
    "transcription_usage",
    "user_audio_item",
]

LOGPROBS_INCLUDE: Final = "item.input_audio_transcription.logprobs"
"""The ``include`` value that asks for transcription logprobs."""


class ConnectionIds:
    """Deterministic ids of one connection: seed + connection serial + per-kind counters."""

    def __init__(self, seed: int, serial: int) -> None:
        self._source = IdSource(seed, serial, b"realtime")
        self._counts: dict[str, int] = {}

    def next(self, prefix: str) -> str:
        n = self._counts.get(prefix, 0) + 1
        self._counts[prefix] = n
        return f"{prefix}_" + self._source.alnum(f"{prefix}:{n}", 16 if prefix == "call" else 21)


def error_event(error: ApiError, client_event_id: Any) -> dict[str, Any]:
    """The ``error`` server event for `error`, naming the client event when it had an id."""
    return ev(
        "error",
        error={
            "type": error.type,
            "code": error.code,
            "message": error.message,
            "param": error.param,
            "event_id": client_event_id if isinstance(client_event_id, str) else None,
        },
    )


def decode_client_frame(text: str, recorded: list[Any]) -> Any:
    """The parsed JSON of a client text frame (``None`` when it is not JSON); `recorded`
    gets the frame (secrets redacted) or, unparsable, its text."""
    try:
        body: Any = msgspec.json.decode(text)
    except msgspec.DecodeError:
        recorded.append(text)
        return None
    recorded.append(redact_frame(body))
    return body


def user_audio_item(item_id: str) -> dict[str, Any]:
    """The wire object of a committed user audio item (its transcript not in yet)."""
    return {
        "id": item_id,
        "type": "message",
        "object": "realtime.item",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }


class OutgoingFaults:
    """The outgoing-side fault knobs of one connection: ``drop_after_events`` (close after N
    server events) and ``inject_error_after`` (one ``error`` event after N).

    An engine's ``next_frame`` calls `cut()` first (a close to hand out, or None), then
    `injected()` (an error event to send before its queue, once), and stamps every event it
    sends with `sent()`."""

    def __init__(self, config: EmulatorConfig, ids: ConnectionIds) -> None:
        self._config = config
        self._ids = ids
        self.count = 0
        """Server events handed out so far."""
        self._injected = False

    def cut(self) -> Outgoing | None:
        """The close of a connection whose event budget is spent (None: not spent)."""
        drop = self._config.drop_after_events
        if drop is not None and self.count >= drop:
            return Outgoing(None, 0.0, Close(self._config.ws_close_code, "emulated fault"))
        return None

    def injected(self) -> dict[str, Any] | None:
        """The injected ``error`` event, once its time has come (None otherwise)."""
        inject = self._config.inject_error_after
        if inject is None or self._injected or self.count < inject:
            return None
        self._injected = True
        return error_event(default_error(500, self._config.error_code), None)

    def sent(self, event: dict[str, Any], close: Close | None) -> Outgoing:
        """`event` stamped with its ``event_id`` and counted; the close it carries (the
        budget's, when this event spends it)."""
        event["event_id"] = self._ids.next("event")
        self.count += 1
        drop = self._config.drop_after_events
        if drop is not None and self.count >= drop:
            close = close or Close(self._config.ws_close_code, "emulated fault")
        return Outgoing(event, 0.0, close)


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


def transcription_usage(model: str, audio_ms: int, prompt: str, text: str) -> dict[str, Any]:
    """The ``usage`` of a transcript: ``duration`` seconds for ``whisper-1``, else tokens
    (one audio token per 100 ms, the prompt's text tokens, the transcript's tokens)."""
    if model == "whisper-1":
        return {"type": "duration", "seconds": round(audio_ms / 1000, 3)}
    audio_tokens = math.ceil(audio_ms / 100)
    prompt_tokens = count_tokens(prompt)
    out = count_tokens(text)
    return {
        "type": "tokens",
        "input_tokens": audio_tokens + prompt_tokens,
        "output_tokens": out,
        "total_tokens": audio_tokens + prompt_tokens + out,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
    }


def token_logprobs(piece: str, logprob: float) -> list[dict[str, Any]]:
    """The ``logprobs`` entries of one transcript piece (one token, its UTF-8 bytes)."""
    return [{"token": piece, "logprob": logprob, "bytes": list(piece.encode())}]
