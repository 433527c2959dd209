"""``POST /v1/audio/transcriptions`` as an `HTTPRequest`: a ``multipart/form-data`` body.

What: `build_transcription_request` validates the caller's arguments (what the API would
refuse with a 400 after a 25 MB upload is refused here, before it) and encodes them per
RFC 7578: a ``file`` part with its filename and content type, then one text part per field.
Arrays go as repeated ``name[]`` parts and objects as ``name[key]`` parts, as the official
SDK sends them (``include[]=logprobs``, ``chunking_strategy[type]=server_vad``).

Why the boundary is an argument: protocol code draws no randomness, and a fixed boundary
makes the body bytes a golden test. The high-level layer passes a random one; a boundary that
occurs inside the audio is refused (`LocalProtocolError`, hint ``boundary_in_content``) so
the caller draws another.

Azure: the deployment path ``{endpoint}/openai/deployments/{d}/audio/transcriptions
?api-version=...`` for a dated ``api_version``, else the v1 path ``{endpoint}/openai/v1/audio/
transcriptions`` with the deployment sent as ``model`` (as `requests.build_chat_request`).

Next: send the request; feed the response head and body to a `TranscriptionResponse`
(`transcription_http`), which picks SSE or a plain body by the response ``Content-Type``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._client_config import _URL, ClientConfig
from ._errors import LocalProtocolError
from .requests import HTTPRequest, _wire_model, api_url, post_request

__all__ = [
    "MAX_FILE_BYTES",
    "RESPONSE_FORMATS",
    "SUPPORTED_EXTENSIONS",
    "build_transcription_request",
    "content_type_for",
    "encode_multipart",
    "transcription_url",
]

MAX_FILE_BYTES: Final = 25 * 1024 * 1024
"""The API's upload limit ("25 MB"); a larger file is refused before it is sent."""

SUPPORTED_EXTENSIONS: Final[Mapping[str, str]] = {
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "mp4": "audio/mp4",
    "mpeg": "audio/mpeg",
    "mpga": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "wav": "audio/wav",
    "webm": "audio/webm",
}
"""File extensions the API accepts, with the part's content type sent for each."""

RESPONSE_FORMATS: Final = frozenset({"json", "text", "srt", "verbose_json", "vtt", "diarized_json"})
"""Every documented ``response_format`` (which one a model supports is the server's call)."""

LOGPROB_MODELS: Final = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe")
"""Model name prefixes that return logprobs (``include[]=logprobs``, json format only)."""

_BOUNDARY_RE: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=?]{1,70}")
"""RFC 2046 boundary characters without space (1-70 of them)."""
_BAD_NAME_CHARS: Final = re.compile(r'["\\\r\n\x00]')


def _fail(message: str, hint: str = "invalid_param") -> LocalProtocolError:
    return LocalProtocolError(message, error_hint=hint)


def content_type_for(filename: str) -> str:
    """The content type of an upload named `filename`; `LocalProtocolError` for an
    extension the API does not accept."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    try:
        return SUPPORTED_EXTENSIONS[ext]
    except KeyError:
        raise _fail(
            f"file {filename!r}: unsupported extension; the API accepts "
            f"{', '.join(sorted(SUPPORTED_EXTENSIONS))}",
            "unsupported_file_format",
        ) from None


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _fail(f"{name} must be finite, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return value
    raise _fail(f"{name}: cannot send a {type(value).__name__} as a form field")


def _flatten(name: str, value: Any, out: list[tuple[str, str]]) -> None:
    """Form fields of one value: lists as ``name[]``, objects as ``name[key]``."""
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{name}[{key}]", inner, out)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            if isinstance(inner, (Mapping, list, tuple)):
                raise _fail(f"{name}: nested arrays/objects inside arrays are not supported")
            _flatten(f"{name}[]", inner, out)
    else:
        out.append((name, _text(value, name)))


def encode_multipart(
    fields: Sequence[tuple[str, str]],
    *,
    boundary: str,
    file_field: str = "file",
    filename: str,
    file_content_type: str,
    file_data: bytes,
) -> bytes:
    """A ``multipart/form-data`` body (RFC 7578): the file part first, then `fields`.

    Names and the filename are sent as UTF-8 quoted strings; quotes, backslashes, CR, LF and
    NUL are refused. Raises `LocalProtocolError` when `boundary` is not a valid RFC 2046
    boundary or occurs in the content."""
    if not isinstance(boundary, str) or _BOUNDARY_RE.fullmatch(boundary) is None:
        raise _fail(
            f"boundary must be 1-70 characters of [0-9A-Za-z'()+_,-./:=?], got {boundary!r}",
            "invalid_boundary",
        )
    for name in (file_field, filename, *(n for n, _ in fields)):
        if not name or _BAD_NAME_CHARS.search(name):
            raise _fail(f"form name {name!r} is empty or has a quote, backslash or line break")
    delimiter = b"--" + boundary.encode("ascii")
    parts: list[bytes] = [
        delimiter,
        b'\r\nContent-Disposition: form-data; name="' + file_field.encode() + b'"; filename="',
        filename.encode("utf-8") + b'"\r\nContent-Type: ',
        file_content_type.encode("ascii") + b"\r\n\r\n",
        file_data,
        b"\r\n",
    ]
    for name, value in fields:
        parts += [
            delimiter,
            b'\r\nContent-Disposition: form-data; name="' + name.encode("utf-8") + b'"\r\n\r\n',
            value.encode("utf-8"),
            b"\r\n",
        ]
    parts.append(delimiter + b"--\r\n")
    if delimiter in file_data or any(delimiter in v.encode("utf-8") for _, v in fields):
        raise _fail("the multipart boundary occurs in the content", "boundary_in_content")
    return b"".join(parts)


def transcription_url(config: ClientConfig) -> _URL:
    """The URL of ``audio/transcriptions`` for `config` (OpenAI, Azure deployment or v1)."""
    return api_url(config, "audio/transcriptions", what="transcription")


def _check_optional_str(value: Any, name: str, *, empty_ok: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, str) or (not value and not empty_ok):
        raise _fail(f"{name} must be a{'' if empty_ok else ' non-empty'} string, got {value!r}")


def build_transcription_request(
    config: ClientConfig,
    *,
    audio: bytes,
    filename: str,
    model: str,
    boundary: str,
    language: str | None = None,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    include_logprobs: bool = False,
    stream: bool = False,
    languages: Sequence[str] | None = None,
    keywords: Sequence[str] | None = None,
    timestamp_granularities: Sequence[str] | None = None,
    chunking_strategy: str | Mapping[str, Any] | None = None,
    known_speaker_names: Sequence[str] | None = None,
    known_speaker_references: Sequence[str] | None = None,
    extra_fields: Mapping[str, Any] | None = None,
) -> HTTPRequest:
    """``POST {base_url}/audio/transcriptions`` uploading `audio` (the file's bytes) as
    `filename` (its extension picks the part's content type).

    Validation (`LocalProtocolError`): empty audio or more than `MAX_FILE_BYTES`; an
    extension the API refuses; an unknown `response_format`; `temperature` outside [0, 1];
    `include_logprobs` with a format other than json or (on OpenAI) a model outside
    `LOGPROB_MODELS`; `timestamp_granularities` without ``verbose_json``; an invalid
    `boundary`. `extra_fields` go through as further form fields (lists as ``name[]``).

    Next: send it (``accept`` says SSE when `stream`); feed the answer to a
    `TranscriptionResponse`.
    """
    if not isinstance(audio, (bytes, bytearray, memoryview)):
        raise _fail(f"audio must be bytes (the file's content), got {type(audio).__name__}")
    audio = bytes(audio)
    if not audio:
        raise _fail("audio is empty", "empty_file")
    if len(audio) > MAX_FILE_BYTES:
        raise _fail(
            f"audio is {len(audio)} bytes; the API accepts at most {MAX_FILE_BYTES} "
            "(split it, or use transcribe_utterances)",
            "file_too_large",
        )
    if not isinstance(filename, str) or not filename:
        raise _fail("filename must be a non-empty string")
    part_type = content_type_for(filename)
    if not isinstance(model, str) or not model:
        raise _fail(f"model must be a non-empty string, got {model!r}")
    _check_optional_str(language, "language")
    _check_optional_str(prompt, "prompt", empty_ok=True)
    if response_format is not None and response_format not in RESPONSE_FORMATS:
        raise _fail(
            f"response_format must be one of {', '.join(sorted(RESPONSE_FORMATS))}, "
            f"got {response_format!r}"
        )
    if temperature is not None and (
        isinstance(temperature, bool)
        or not isinstance(temperature, (int, float))
        or not 0.0 <= temperature <= 1.0
    ):
        raise _fail(f"temperature must be a number in [0, 1], got {temperature!r}")
    if not isinstance(stream, bool) or not isinstance(include_logprobs, bool):
        raise _fail("stream and include_logprobs must be bools")
    if include_logprobs:
        if response_format not in (None, "json"):
            raise _fail(
                f"include_logprobs needs response_format json, got {response_format!r}",
                "logprobs_unsupported",
            )
        if not config.is_azure and not model.startswith(LOGPROB_MODELS):
            raise _fail(
                f"include_logprobs is only supported by {', '.join(LOGPROB_MODELS)} "
                f"models, not {model!r}",
                "logprobs_unsupported",
            )
    if timestamp_granularities and response_format != "verbose_json":
        raise _fail("timestamp_granularities needs response_format verbose_json")
    url = transcription_url(config)
    fields: list[tuple[str, str]] = [("model", _wire_model(config, url, model))]
    _flatten("chunking_strategy", chunking_strategy, fields)
    _flatten("include", ["logprobs"] if include_logprobs else None, fields)
    _flatten("keywords", keywords, fields)
    _flatten("known_speaker_names", known_speaker_names, fields)
    _flatten("known_speaker_references", known_speaker_references, fields)
    _flatten("language", language, fields)
    _flatten("languages", languages, fields)
    _flatten("prompt", prompt, fields)
    _flatten("response_format", response_format, fields)
    _flatten("stream", True if stream else None, fields)
    _flatten("temperature", temperature, fields)
    _flatten("timestamp_granularities", timestamp_granularities, fields)
    for name in sorted(extra_fields or {}):
        if name in {"file", "model"}:
            raise _fail(f"extra_fields must not set {name!r}")
        _flatten(name, (extra_fields or {})[name], fields)
    body = encode_multipart(
        fields, boundary=boundary, filename=filename, file_content_type=part_type, file_data=audio
    )
    return post_request(
        config,
        url,
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        accept="text/event-stream" if stream else "application/json",
        stream=stream,
    )
