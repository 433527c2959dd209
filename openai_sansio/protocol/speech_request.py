"""The ``POST /v1/audio/speech`` request, described purely (URL, headers, JSON body).

What: `build_speech_request(config, model=..., input=..., voice=...)` validates what the API
would refuse (input over 4096 characters, speed outside 0.25-4.0, ``stream_format: "sse"`` or
``instructions`` with ``tts-1``/``tts-1-hd``, an unknown ``response_format``) with a
`LocalProtocolError` before anything is sent, and returns an `HTTPRequest`. Unset optionals
are left out of the body (the API rejects explicit nulls).
Azure: like chat, a dated ``api_version`` selects the deployment path
``{endpoint}/openai/deployments/{deployment}/audio/speech?api-version=...``; otherwise the v1
GA path ``{endpoint}/openai/v1/audio/speech`` with the deployment name as ``model``.
Next: send it; give the response head and body to a `protocol.speech.SpeechStream`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from ._errors import LocalProtocolError
from ._request_params import encode_json
from .requests import ClientConfig, HTTPRequest, _wire_model, api_url, post_request

__all__ = [
    "MAX_INPUT_CHARS",
    "RESPONSE_FORMATS",
    "SPEECH_SAMPLE_RATE",
    "build_speech_request",
    "speech_body",
]

MAX_INPUT_CHARS: Final = 4096
"""The API's limit on ``input`` (and ``instructions``), in characters."""
SPEECH_SAMPLE_RATE: Final = 24000
"""``pcm`` output: 24 kHz, 16-bit signed little-endian, mono, no header (TTS guide)."""
RESPONSE_FORMATS: Final = frozenset({"mp3", "opus", "aac", "flac", "wav", "pcm"})
STREAM_FORMATS: Final = frozenset({"audio", "sse"})


def _bad(message: str, hint: str = "invalid_param") -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def _legacy(model: str) -> bool:
    """``tts-1`` and ``tts-1-hd`` (and their dated names): no SSE, no instructions."""
    return model == "tts-1" or model.startswith("tts-1-")


def speech_body(
    *,
    model: str,
    input: str,
    voice: str | Mapping[str, str],
    instructions: str | None = None,
    speed: float | None = None,
    response_format: str = "pcm",
    stream_format: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The validated JSON body (a dict, unset optionals absent). See `build_speech_request`."""
    if not isinstance(model, str) or not model:
        raise _bad("model must be a non-empty str")
    if not isinstance(input, str) or not input.strip():
        raise _bad("input must be a non-empty str")
    if len(input) > MAX_INPUT_CHARS:
        raise _bad(f"input is {len(input)} characters; the API takes at most {MAX_INPUT_CHARS}")
    body: dict[str, Any] = {"model": model, "input": input}
    if isinstance(voice, str):
        if not voice:
            raise _bad("voice must be a non-empty name or {'id': 'voice_...'}")
        body["voice"] = voice
    elif isinstance(voice, Mapping):
        voice_id = voice.get("id")
        if set(voice) != {"id"} or not isinstance(voice_id, str) or not voice_id:
            raise _bad("a custom voice is {'id': 'voice_...'} and nothing else")
        body["voice"] = {"id": voice_id}
    else:
        raise _bad(f"voice must be a str or {{'id': ...}}, got {type(voice).__name__}")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise _bad("instructions must be a str")
        if _legacy(model):
            raise _bad(f"instructions are not supported by {model!r}")
        if len(instructions) > MAX_INPUT_CHARS:
            raise _bad(f"instructions are limited to {MAX_INPUT_CHARS} characters")
        body["instructions"] = instructions
    if response_format not in RESPONSE_FORMATS:
        raise _bad(f"response_format {response_format!r} is not one of {sorted(RESPONSE_FORMATS)}")
    body["response_format"] = response_format
    if speed is not None:
        if isinstance(speed, bool) or not isinstance(speed, int | float):
            raise _bad("speed must be a number")
        if not (math.isfinite(speed) and 0.25 <= speed <= 4.0):
            raise _bad(f"speed must be between 0.25 and 4.0, got {speed!r}")
        body["speed"] = speed
    if stream_format is not None:
        if stream_format not in STREAM_FORMATS:
            raise _bad(f"stream_format must be 'audio' or 'sse', got {stream_format!r}")
        if stream_format == "sse" and _legacy(model):
            raise _bad(f"stream_format 'sse' is not supported by {model!r}")
        body["stream_format"] = stream_format
    if language is not None:
        if not isinstance(language, str) or not language:
            raise _bad("language must be a non-empty str (an ISO 639-1 code such as 'fr')")
        body["language"] = language
    return body


def build_speech_request(
    config: ClientConfig,
    *,
    model: str,
    input: str,
    voice: str | Mapping[str, str],
    instructions: str | None = None,
    speed: float | None = None,
    response_format: str = "pcm",
    stream_format: str | None = None,
    language: str | None = None,
) -> HTTPRequest:
    """``POST {base_url}/audio/speech``: `input` (<= 4096 characters) read by `voice` (a
    built-in name such as ``"marin"`` or ``{"id": "voice_..."}``).

    `response_format` defaults to ``"pcm"`` (24 kHz s16le mono, what a voice pipeline
    plays); `stream_format` ``"sse"`` asks for ``speech.audio.delta`` events (not for
    ``tts-1*``); `instructions` steer the delivery (not for ``tts-1*``); `speed` is 0.25-4.0.
    `language` is the plugin's ISO language hint: it is NOT in the published
    ``CreateSpeechRequest`` schema (which forbids extra fields), so it is sent only when
    given, for servers that accept it. Raises `LocalProtocolError` (``invalid_param``).

    Next: send it and feed the response to `SpeechStream(response_format=...)`.
    """
    url = api_url(config, "audio/speech", what="speech")
    body = speech_body(
        model=model,
        input=input,
        voice=voice,
        instructions=instructions,
        speed=speed,
        response_format=response_format,
        stream_format=stream_format,
        language=language,
    )
    body["model"] = _wire_model(config, url, model)
    sse = stream_format == "sse"
    return post_request(
        config,
        url,
        encode_json(body),
        content_type="application/json",
        accept="text/event-stream" if sse else "application/octet-stream",
        stream=sse,
    )
