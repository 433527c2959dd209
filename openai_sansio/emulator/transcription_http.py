"""``POST /v1/audio/transcriptions`` in the emulator: multipart in, a deterministic transcript out.

What: `handle_transcription` parses the upload strictly (`protocol._multipart`; a malformed
body is a 400 as from the real API), validates the fields like the API (file format and
size, model, response_format per model, ``include[]=logprobs`` only for json with
gpt-4o(-mini)-transcribe, temperature), derives the transcript from the audio and answers in
the requested shape: ``json`` (text, logprobs when asked, usage), ``text``, ``srt``, ``vtt``,
``verbose_json`` (whisper-1), ``diarized_json`` (the diarize model), or SSE when
``stream=true`` (deltas, diarized segments, ``transcript.text.done``). ``whisper-1`` ignores
``stream``, as the real service does, and answers JSON.

The transcript: a WAV upload is mixed to mono and cut by `audio.segments` (EnergyVAD
defaults); each speech segment becomes one sentence of ``round(2.5 * seconds)`` words (1 to
40) drawn from `WORDS` by a hash of the seed and the segment's sample positions, so a test
can predict it with `transcript_plan`. Other formats count as one segment as long as the file
would last at 128 kbit/s. Usage is tokens (10 audio tokens per second) or, for whisper-1,
duration.

Fault knobs (`faults.EmulatorConfig`): ``http_status``/``error_code`` (handled by the router),
``drop_after_events`` (cut the SSE stream, or close before a JSON answer),
``inject_error_after`` (an in-band ``{"type": "error", ...}`` after N SSE events; HTTP 500
for a JSON answer), ``delay_s``.
"""

from __future__ import annotations

import hashlib
import io
import math
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import msgspec
import numpy as np

from ..audio import pcm16_from_bytes, segments, to_mono
from ..protocol._multipart import MultipartError, Part, parse_multipart
from .errors import ApiError
from .faults import EmulatorConfig, ratelimit_headers

if TYPE_CHECKING:
    from .router import Reply, Router

__all__ = ["WORDS", "SpokenSegment", "TranscriptPlan", "handle_transcription", "transcript_plan"]

WORDS: Final = (
    "hello", "world", "quiet", "river", "morning", "signal", "orange", "window",
    "simple", "travel", "garden", "bright", "number", "letter", "silver", "market",
    "winter", "yellow", "coffee", "little", "forest", "planet", "summer", "button",
    "castle", "gentle", "island", "mirror", "pocket", "rocket", "shadow", "ticket",
)  # fmt: skip
"""The emulator's vocabulary (2-syllable words, one BPE-ish token each)."""

MAX_FILE_BYTES: Final = 25 * 1024 * 1024
EXTENSIONS: Final = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
_LOGPROB_MODELS: Final = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe")
_DIARIZE: Final = "gpt-4o-transcribe-diarize"
_MODELS: Final = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-transcribe")
_FORMATS: Final = ("json", "text", "srt", "verbose_json", "vtt", "diarized_json")
_BYTES_PER_S_COMPRESSED: Final = 16000  # 128 kbit/s


@dataclass(frozen=True)
class SpokenSegment:
    """One speech segment of the upload and the words the emulator "hears" in it."""

    start: float
    end: float
    words: tuple[str, ...]

    @property
    def tokens(self) -> list[str]:
        """The sentence as tokens: capitalised first word, final period, no leading space."""
        out = [w.capitalize() if i == 0 else w for i, w in enumerate(self.words)]
        out[-1] += "."
        return [w if i == 0 else " " + w for i, w in enumerate(out)]

    @property
    def text(self) -> str:
        return "".join(self.tokens)


@dataclass(frozen=True)
class TranscriptPlan:
    """What the emulator answers for one upload: its duration and speech segments."""

    duration: float
    segments: tuple[SpokenSegment, ...]

    @property
    def tokens(self) -> list[str]:
        """Every token of the transcript; segments after the first start with a space."""
        out: list[str] = []
        for seg in self.segments:
            tokens = seg.tokens
            out += [(" " + tokens[0]) if out else tokens[0], *tokens[1:]]
        return out

    @property
    def text(self) -> str:
        return "".join(self.tokens)


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def _words(seed: int, start: int, end: int, seconds: float) -> tuple[str, ...]:
    count = min(40, max(1, round(2.5 * seconds)))
    return tuple(WORDS[_hash(seed, start, end, i) % len(WORDS)] for i in range(count))


def _read_wav(data: bytes) -> tuple[np.ndarray[Any, Any], int] | None:
    """(mono int16 samples, rate) of a 16-bit PCM WAV, or None for anything else."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            if reader.getsampwidth() != 2:
                return None
            rate = reader.getframerate()
            channels = reader.getnchannels()
            pcm = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return None
    samples = pcm16_from_bytes(pcm[: len(pcm) - len(pcm) % (2 * channels)])
    return (to_mono(samples, channels) if channels > 1 else samples), rate


def transcript_plan(data: bytes, filename: str, *, seed: int = 0) -> TranscriptPlan:
    """The transcript the emulator derives from an upload (see the module docstring)."""
    wav = _read_wav(data) if filename.lower().endswith(".wav") else None
    if wav is None:
        duration = round(len(data) / _BYTES_PER_S_COMPRESSED, 3)
        cut = [(0, len(data))] if data else []
        spans = [(s, e, duration) for s, e in cut]
        start_s = [0.0] * len(spans)
    else:
        samples, rate = wav
        duration = round(len(samples) / rate, 3)
        found = segments(samples, rate)
        spans = [(s, e, (e - s) / rate) for s, e in found]
        start_s = [s / rate for s, _ in found]
    out = tuple(
        SpokenSegment(
            start=round(begin, 3),
            end=round(begin + seconds, 3),
            words=_words(seed, s, e, seconds),
        )
        for (s, e, seconds), begin in zip(spans, start_s, strict=True)
    )
    return TranscriptPlan(duration=duration, segments=out)


def _logprob(seed: int, index: int, token: str) -> dict[str, Any]:
    return {
        "token": token,
        "logprob": -(_hash(seed, "lp", index, token) % 400) / 1000.0,
        "bytes": list(token.encode("utf-8")),
    }


def _bad(message: str, param: str | None = None, code: str | None = "invalid_value") -> ApiError:
    return ApiError(400, message, param=param, code=code)


@dataclass(frozen=True)
class _Form:
    fields: dict[str, list[str]]
    file: Part

    def one(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None


def _form(body: bytes, content_type: str) -> _Form:
    try:
        parts = parse_multipart(body, content_type)
        fields: dict[str, list[str]] = {}
        file: Part | None = None
        for part in parts:
            if part.name == "file" and part.filename is not None:
                file = part
            else:
                fields.setdefault(part.name, []).append(part.text())
    except MultipartError as exc:
        raise ApiError(
            400, f"Could not parse multipart form: {exc}", code="invalid_request_body"
        ) from None
    if file is None:
        raise _bad("Missing required parameter: 'file'.", "file", "missing_required_parameter")
    return _Form(fields, file)


def _validate(form: _Form, model: str) -> dict[str, Any]:
    file = form.file
    assert file.filename is not None
    ext = file.filename.rsplit(".", 1)[-1].lower() if "." in file.filename else ""
    if ext not in EXTENSIONS:
        raise _bad(f"Invalid file format. Supported formats: {list(EXTENSIONS)}", "file")
    if len(file.data) > MAX_FILE_BYTES:
        raise ApiError(413, f"Maximum content size limit ({MAX_FILE_BYTES}) exceeded.")
    if not model.startswith((*_MODELS, _DIARIZE)):
        raise ApiError(
            400, f"The model `{model}` does not exist or you do not have access to it.",
            param="model", code="model_not_found",
        )  # fmt: skip
    fmt = form.one("response_format") or "json"
    if fmt not in _FORMATS:
        raise _bad(f"Invalid value for 'response_format': {fmt!r}.", "response_format")
    allowed = (
        ("json", "text", "diarized_json")
        if model.startswith(_DIARIZE)
        else ("json", "text")
        if not model.startswith("whisper-1")
        else ("json", "text", "srt", "verbose_json", "vtt")
    )
    if fmt not in allowed:
        raise _bad(
            f"response_format '{fmt}' is not compatible with model '{model}'. "
            f"Use {' or '.join(repr(a) for a in allowed)}.",
            "response_format",
            "unsupported_value",
        )
    include = form.fields.get("include[]", [])
    logprobs = "logprobs" in include
    if logprobs and (fmt != "json" or not model.startswith(_LOGPROB_MODELS)):
        raise _bad(
            "logprobs are only supported with response_format 'json' and the "
            "gpt-4o-transcribe and gpt-4o-mini-transcribe models.",
            "include",
            "unsupported_value",
        )
    temperature = form.one("temperature")
    if temperature is not None:
        try:
            value = float(temperature)
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:
            raise _bad("temperature must be a number between 0 and 1.", "temperature")
    stream = (form.one("stream") or "false").lower() == "true"
    return {
        "format": fmt,
        "logprobs": logprobs,
        "stream": stream and not model.startswith("whisper-1"),
        "language": form.one("language"),
        "granularities": form.fields.get("timestamp_granularities[]", []),
    }


def _usage(model: str, plan: TranscriptPlan, tokens: int, prompt: str | None) -> dict[str, Any]:
    if model.startswith("whisper-1"):
        return {"type": "duration", "seconds": math.ceil(plan.duration)}
    audio = max(1, math.ceil(plan.duration * 10))
    text = len((prompt or "").split())
    return {
        "type": "tokens",
        "input_tokens": audio + text,
        "input_token_details": {"text_tokens": text, "audio_tokens": audio},
        "output_tokens": tokens,
        "total_tokens": audio + text + tokens,
    }


def _clock(seconds: float, sep: str, hours: bool = True) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    head = f"{h:02d}:" if hours or h else ""
    return f"{head}{m:02d}:{s:02d}{sep}{ms:03d}"


def _subtitles(plan: TranscriptPlan, fmt: str) -> str:
    if fmt == "srt":
        return "".join(
            f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n\n"
            for i, s in enumerate(plan.segments, 1)
        )
    cues = "".join(
        f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n\n" for s in plan.segments
    )
    return "WEBVTT\n\n" + cues


def _verbose(plan: TranscriptPlan, opts: Mapping[str, Any], usage: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "task": "transcribe",
        "language": "english",
        "duration": plan.duration,
        "text": plan.text,
        "segments": [
            {
                "id": i,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": " " + s.text,
                "tokens": [50364 + j for j in range(len(s.words))],
                "temperature": 0.0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
            for i, s in enumerate(plan.segments)
        ],
        "usage": usage,
    }
    if "word" in opts["granularities"]:
        words = []
        for s in plan.segments:
            step = (s.end - s.start) / len(s.words)
            for j, word in enumerate(s.words):
                start = round(s.start + j * step, 3)
                words.append({"word": word, "start": start, "end": round(start + step, 3)})
        body["words"] = words
    return body


def _diarized(plan: TranscriptPlan, usage: Any) -> dict[str, Any]:
    return {
        "task": "transcribe",
        "duration": plan.duration,
        "text": plan.text,
        "segments": [
            {
                "type": "transcript.text.segment",
                "id": f"seg_{i:03d}",
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "speaker": "AB"[i % 2],
            }
            for i, s in enumerate(plan.segments)
        ],
        "usage": usage,
    }


def _sse_events(
    plan: TranscriptPlan, opts: Mapping[str, Any], model: str, usage: Any, seed: int
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    logprobs: list[dict[str, Any]] = []
    index = 0
    diarize = model.startswith(_DIARIZE)
    for number, segment in enumerate(plan.segments):
        tokens = segment.tokens
        if number:
            tokens[0] = " " + tokens[0]
        for token in tokens:
            event: dict[str, Any] = {"type": "transcript.text.delta", "delta": token}
            if opts["logprobs"]:
                entry = _logprob(seed, index, token)
                event["logprobs"] = [entry]
                logprobs.append(entry)
            if diarize:
                event["segment_id"] = f"seg_{number:03d}"
            events.append(event)
            index += 1
        if diarize:
            events.append(
                {
                    "type": "transcript.text.segment",
                    "id": f"seg_{number:03d}",
                    "start": segment.start,
                    "end": segment.end,
                    "speaker": "AB"[number % 2],
                    "text": segment.text,
                }
            )
    done: dict[str, Any] = {"type": "transcript.text.done", "text": plan.text}
    if opts["logprobs"]:
        done["logprobs"] = logprobs
    if usage.get("type") == "tokens":
        done["usage"] = usage
    events.append(done)
    return events


def handle_transcription(
    router: Router,
    body: bytes,
    headers: Mapping[str, str],
    config: EmulatorConfig,
    deployment: str | None,
) -> Reply:
    """Answer one transcription request (auth, method, api-version and ``http_status`` were
    checked by the router). Raises `ApiError` for a request the API would refuse."""
    from .router import Reply, _json_reply, _stream_reply, data_frame  # router imports us

    form = _form(body, headers.get("content-type", ""))
    model = form.one("model") or deployment
    if not model:
        raise _bad("Missing required parameter: 'model'.", "model", "missing_required_parameter")
    if deployment is not None and not model.startswith((*_MODELS, _DIARIZE)):
        model = "gpt-4o-transcribe"  # an Azure deployment name: serve its usual model
    opts = _validate(form, model)
    early = router._preflight(opts["stream"], config)
    if early is not None:
        return early
    seed = config.seed
    plan = transcript_plan(form.file.data, form.file.filename or "", seed=seed)
    tokens = plan.tokens
    usage = _usage(model, plan, len(tokens), form.one("prompt"))
    base = router._base_headers() + list(ratelimit_headers(exhausted=False))
    if opts["stream"]:
        events = _sse_events(plan, opts, model, usage, seed)
        if config.inject_error_after is not None:
            code = config.error_code or "server_error"
            error = {
                "type": "error",
                "error": {
                    "type": "server_error",
                    "code": code,
                    "message": "The server had an error while processing your request.",
                    "param": None,
                },
            }
            events = [*events[: config.inject_error_after], error]
        frames = tuple(data_frame(msgspec.json.encode(e)) for e in events)
        return _stream_reply(base, frames, config)
    fmt = opts["format"]
    if fmt in ("text", "srt", "vtt"):
        text = plan.text + "\n" if fmt == "text" else _subtitles(plan, fmt)
        payload = text.encode("utf-8")
        head = [
            ("content-type", "text/plain; charset=utf-8"),
            ("content-length", str(len(payload))),
            *base,
        ]
        return Reply(200, tuple(head), body=payload, delay_s=config.delay_s)
    if fmt == "verbose_json":
        return _json_reply(200, base, _verbose(plan, opts, usage), config.delay_s)
    if fmt == "diarized_json":
        return _json_reply(200, base, _diarized(plan, usage), config.delay_s)
    result: dict[str, Any] = {"text": plan.text}
    if opts["logprobs"]:
        result["logprobs"] = [_logprob(seed, i, t) for i, t in enumerate(tokens)]
    if model.startswith("gpt-transcribe"):
        result["languages"] = [{"code": opts["language"] or "en"}]
    result["usage"] = usage
    return _json_reply(200, base, result, config.delay_s)
