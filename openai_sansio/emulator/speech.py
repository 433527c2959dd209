"""``POST /v1/audio/speech`` in the emulator: deterministic speech, raw or as SSE (pure).

What: `speech_reply(...)` answers the OpenAI path and the Azure ones
(``/openai/v1/audio/speech``, ``/openai/deployments/{d}/audio/speech?api-version=...``) once
the router has routed, authenticated and applied the ``x-emulator-fault`` status like for any
endpoint: validation like the real API (400 with OpenAI's error body: missing or unknown
parameters, input over 4096 characters, speed outside 0.25-4.0, ``sse``/``instructions`` with
``tts-1*``), then the audio of `synthesize`:

- ``pcm`` -> ``audio/pcm``, 24 kHz s16le mono, sent in HTTP chunks of odd sizes (samples
  split across chunks, as the real service does);
- ``wav`` -> ``audio/wav``, the same samples behind a 44-byte header, chunked the same way;
- ``stream_format: "sse"`` -> ``text/event-stream``: ``speech.audio.delta`` events (base64
  audio of the same odd chunks), then ``speech.audio.done`` with usage;
- ``mp3``/``opus``/``aac``/``flac``: 400 ``unsupported_value``. The emulator does not encode
  compressed audio, and answering with bytes that are not that format would be a lie.

The audio: each character of the input is 45 ms (divided by ``speed``) of a sine tone whose
pitch comes from the character (200 Hz + 10 Hz x (code point mod 64)); spaces are silence.
So a test can predict the exact bytes (`synthesize`). ``language`` is accepted as the plugin
sends it (unverified against the real service, whose published schema lacks it).
Pacing (faults knobs), independent of each other: ``speech_latency_s`` is the time from the
response head to the first audio (`Reply.first_delay_s`); ``speech_rtf`` paces the audio
after it (wall seconds per second of audio): chunks of 100 ms of audio (and one odd byte)
``0.1 * rtf`` seconds apart (`Reply.delay_s`). Without ``speech_rtf`` the chunks are the
default odd sizes, ``delay_s`` apart. ``drop_after_events`` cuts the body after N chunks (no
terminating chunk); for SSE, ``inject_error_after`` sends an in-band ``error`` event after N
events and ends the body.
Next: the router calls `speech_reply` for ``kind == "speech"`` paths.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Callable
from typing import Any, Final

import msgspec
import numpy as np

from .errors import ApiError, default_error
from .faults import EmulatorConfig, ratelimit_headers
from .router import Reply, data_frame

__all__ = ["SAMPLE_RATE", "speech_reply", "synthesize"]

SAMPLE_RATE: Final = 24000
CHAR_MS: Final = 45
_AMPLITUDE: Final = 8000
_VOICES: Final = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer"}
    | {"verse", "marin", "cedar"}
)
_FIELDS: Final = frozenset(
    {
        "model",
        "input",
        "voice",
        "instructions",
        "response_format",
        "speed",
        "stream_format",
        "language",
    }
)
_FORMATS: Final = ("mp3", "opus", "aac", "flac", "wav", "pcm")
_ENCODED: Final = {"pcm": "audio/pcm", "wav": "audio/wav"}
_CHUNKS: Final = (4801, 1999, 7777, 3, 9601, 2501)
"""Default HTTP chunk sizes, cycled: odd, so samples straddle chunk boundaries."""


def synthesize(text: str, speed: float = 1.0) -> bytes:
    """The emulator's PCM (24 kHz s16le mono) for `text` at `speed`: one tone per character."""
    per_char = round(SAMPLE_RATE * CHAR_MS / 1000 / speed)
    t = np.arange(per_char, dtype=np.float64) / SAMPLE_RATE
    tones: dict[str, bytes] = {}
    parts: list[bytes] = []
    for char in text:
        tone = tones.get(char)
        if tone is None:
            if char.isspace():
                tone = bytes(per_char * 2)
            else:
                freq = 200.0 + 10.0 * (ord(char) % 64)
                wave = np.round(_AMPLITUDE * np.sin(2.0 * np.pi * freq * t))
                tone = wave.astype("<i2").tobytes()
            tones[char] = tone
        parts.append(tone)
    return b"".join(parts)


def _wav(pcm: bytes) -> bytes:
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        SAMPLE_RATE,
        SAMPLE_RATE * 2,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def _invalid(message: str, param: str | None, code: str = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def _validate(body: Any, deployment: str | None) -> dict[str, Any]:
    """The request's fields, checked as the real API checks them (`ApiError` 400)."""
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.", None)
    unknown = sorted(k for k in body if k not in _FIELDS)
    if unknown:
        raise _invalid(
            f"Unrecognized request argument supplied: {unknown[0]}",
            unknown[0],
            "unknown_parameter",
        )
    if deployment is not None and "model" not in body:
        body = {**body, "model": deployment}
    for name in ("model", "input", "voice"):
        if name not in body:
            raise _invalid(
                f"Missing required parameter: '{name}'.", name, "missing_required_parameter"
            )
    model, text, voice = body["model"], body["input"], body["voice"]
    if not isinstance(model, str) or not model:
        raise _invalid("Invalid type for 'model': expected a non-empty string.", "model")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("Invalid 'input': expected a non-empty string.", "input")
    if len(text) > 4096:
        raise _invalid(
            f"Invalid 'input': string too long. Expected a string with maximum length 4096, "
            f"but got a string with length {len(text)} instead.",
            "input",
            "string_above_max_length",
        )
    custom = isinstance(voice, dict) and set(voice) == {"id"} and isinstance(voice["id"], str)
    if not custom and voice not in _VOICES:
        raise _invalid(
            f"Invalid value for 'voice': {voice!r}. Supported voices are "
            f"{', '.join(sorted(_VOICES))}, or {{'id': 'voice_...'}}.",
            "voice",
        )
    legacy = model == "tts-1" or model.startswith("tts-1-")
    fmt = body.get("response_format", "mp3")
    if fmt not in _FORMATS:
        raise _invalid(
            f"Invalid value: {fmt!r}. Supported values are: {', '.join(map(repr, _FORMATS))}.",
            "response_format",
        )
    speed = body.get("speed", 1.0)
    if isinstance(speed, bool) or not isinstance(speed, int | float) or not math.isfinite(speed):
        raise _invalid("Invalid type for 'speed': expected a number.", "speed")
    if not 0.25 <= speed <= 4.0:
        code = "decimal_below_min_value" if speed < 0.25 else "decimal_above_max_value"
        raise _invalid(
            f"Invalid 'speed': expected a value between 0.25 and 4.0, but got {speed}.",
            "speed",
            code,
        )
    stream_format = body.get("stream_format", "audio")
    if stream_format not in ("audio", "sse"):
        raise _invalid(
            f"Invalid value: {stream_format!r}. Supported values are: 'sse' and 'audio'.",
            "stream_format",
        )
    if stream_format == "sse" and legacy:
        raise _invalid(
            f"stream_format 'sse' is not supported for model {model}.",
            "stream_format",
            "unsupported_value",
        )
    instructions = body.get("instructions")
    if instructions is not None and (not isinstance(instructions, str) or legacy):
        raise _invalid(
            f"instructions are not supported for model {model}.",
            "instructions",
            "unsupported_parameter",
        )
    language = body.get("language")
    if language is not None and (not isinstance(language, str) or not language):
        raise _invalid("Invalid 'language': expected a non-empty string.", "language")
    if fmt not in _ENCODED:
        raise _invalid(
            f"The emulator cannot encode {fmt!r} audio; ask for 'pcm' or 'wav'.",
            "response_format",
            "unsupported_value",
        )
    return {**body, "response_format": fmt, "speed": float(speed), "stream_format": stream_format}


def _chunks(data: bytes, sizes: tuple[int, ...]) -> list[bytes]:
    out: list[bytes] = []
    at, turn = 0, 0
    while at < len(data):
        size = sizes[turn % len(sizes)]
        out.append(data[at : at + size])
        at += size
        turn += 1
    return out


def _pacing(config: EmulatorConfig) -> tuple[tuple[int, ...], float]:
    """(chunk sizes, gap between chunks) for ``speech_rtf``; the latency is separate."""
    if config.speech_rtf > 0:
        return (4801,), 0.1 * config.speech_rtf  # 100 ms of audio (and a byte) per chunk
    return _CHUNKS, config.delay_s


def _usage(text: str, samples: int) -> dict[str, int]:
    input_tokens = max(1, math.ceil(len(text) / 4))
    output_tokens = math.ceil(samples / SAMPLE_RATE * 50)  # 20 ms of audio per token
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


def _sse(event: dict[str, Any]) -> bytes:
    return data_frame(msgspec.json.encode(event))


def speech_reply(
    body: Any,
    deployment: str | None,
    config: EmulatorConfig,
    base_headers: Callable[[], list[tuple[str, str]]],
) -> Reply:
    """The reply to a speech request whose JSON `body` parsed (`deployment`: the Azure
    deployment of the path), with `config` the knobs after the fault header.

    Raises `ApiError` for every refusal (the router renders it).
    """
    request = _validate(body, deployment)
    pcm = synthesize(request["input"], request["speed"])
    fmt = request["response_format"]
    audio = _wav(pcm) if fmt == "wav" else pcm
    sizes, gap = _pacing(config)
    chunks = _chunks(audio, sizes)
    head = [*base_headers(), *ratelimit_headers(exhausted=False)]
    if request["stream_format"] == "sse":
        frames = [
            _sse({"type": "speech.audio.delta", "audio": base64.b64encode(c).decode()})
            for c in chunks
        ]
        if config.inject_error_after is not None:
            frames = frames[: config.inject_error_after]
            payload = default_error(500, config.error_code).payload()
            frames.append(_sse({"type": "error", **payload}))
        else:
            usage = _usage(request["input"], len(pcm) // 2)
            frames.append(_sse({"type": "speech.audio.done", "usage": usage}))
        content_type = "text/event-stream; charset=utf-8"
    else:
        frames = chunks
        content_type = _ENCODED[fmt]
    head = [("content-type", content_type), ("transfer-encoding", "chunked"), *head]
    return Reply(
        200,
        tuple(head),
        frames=tuple(frames),
        drop_after=config.drop_after_events,
        delay_s=gap,
        first_delay_s=config.speech_latency_s,
    )
