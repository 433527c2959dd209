"""`TranscriptionResponse`: the answer to ``POST /v1/audio/transcriptions``, bytes in, events out.

The response ``Content-Type`` decides how the body is read, never what was requested
(``whisper-1`` ignores ``stream=true``; OpenAI-compatible servers ignore it too):

- ``text/event-stream``: SSE (``data:`` only). Every event is handed out as it arrives
  (`TranscriptTextDelta`, `TranscriptTextSegment`, `TranscriptTextDone`, `UnknownEvent`);
  ``transcript.text.done`` ends it. A body that ends before it is a typed failure: an
  `APIError` (code ``stream_interrupted``) then a result with status ``interrupted`` carrying
  the text of the deltas so far. An in-band ``{"error": {...}}`` ends it with status
  ``error``. ``[DONE]`` is tolerated, never required.
- ``application/json``: the whole body is one object (``json``, ``verbose_json``,
  ``diarized_json``): ``text``, ``logprobs``, ``usage``, ``language``, ``duration``,
  ``segments``; malformed JSON is a `RemoteProtocolError`.
- ``text/*``: plain text, or SRT/VTT subtitles (cues become segments) when that format was
  requested or the type says so.
- a 4xx/5xx status: the body becomes an `APIError` (``api_error_from_http``), status ``error``.

Each ends with one `TranscriptionResult` (the terminal event, also `result`): text,
confidence (geometric mean of the token probabilities; ``None`` without logprobs), usage
(tokens or duration), language(s), duration, segments.

Verbs (after h11): `receive_response_head(status, headers)` once, then `receive_data` per
body chunk and `receive_eof` at the end; `next_event()` (``NEED_DATA`` when empty) or
`events()`. Bad input raises `RemoteProtocolError`; calls out of order `LocalProtocolError`.
The request side lives in `transcription_request` and is re-exported here.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Literal

import msgspec

from ._codec import server_decoder
from ._errors import LocalProtocolError, RemoteProtocolError
from ._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder
from ._stream_common import DEFAULT_MAX_TEXT_CHARS, EventQueue
from .events.common import APIError, NeedData, UnknownEvent
from .events.responses import ErrorDetail
from .events.transcription import (
    TranscriptLanguage,
    TranscriptLogprob,
    TranscriptTextDelta,
    TranscriptTextDone,
    TranscriptTextSegment,
    TranscriptUsageWire,
)
from .http_errors import api_error_from_http
from .transcription_common import (
    TranscriptionUsage,
    confidence_from_logprobs,
    transcription_usage,
)
from .transcription_request import (
    MAX_FILE_BYTES,
    RESPONSE_FORMATS,
    build_transcription_request,
    encode_multipart,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_FILE_BYTES",
    "RESPONSE_FORMATS",
    "TranscriptionResponse",
    "TranscriptionResult",
    "TranscriptionSegment",
    "build_transcription_request",
    "encode_multipart",
    "parse_subtitles",
]

MAX_BODY_BYTES: Final = 64 * 1024 * 1024
"""Cap on a non-streamed body (and on an error body). A verbose_json transcript of the
longest accepted upload (25 MB of audio, hours of speech) is a few MB; 64 MiB bounds what a
broken peer can make us hold."""

ResultStatus = Literal["completed", "interrupted", "error"]
BodyFormat = Literal["sse", "json", "text", "srt", "vtt", "error"]

_decode: Final = server_decoder("transcription-http")


class TranscriptionSegment(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A timed piece of the transcript (seconds): a verbose/diarized JSON segment, an SRT/VTT
    cue, or a streamed ``transcript.text.segment``. `speaker` only from diarization."""

    id: str
    start: float
    end: float
    text: str
    speaker: str | None = None


class TranscriptionResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The finished transcription (the terminal event of `TranscriptionResponse`).

    `status` is ``completed``, ``interrupted`` (the stream was cut; `text` holds what had
    arrived) or ``error`` (`error` says why). `confidence` is the geometric mean of the
    token probabilities, ``None`` without logprobs. `format` says how the body was read.
    `raw` is the decoded JSON body (JSON formats), for fields not modelled (``words``)."""

    status: ResultStatus
    text: str
    format: BodyFormat
    confidence: float | None = None
    logprobs: tuple[TranscriptLogprob, ...] | None = None
    usage: TranscriptionUsage | None = None
    language: str | None = None
    languages: tuple[str, ...] = ()
    duration: float | None = None
    segments: tuple[TranscriptionSegment, ...] = ()
    error: APIError | None = None
    raw: Any = None


class _JSONSegment(msgspec.Struct, gc=False):
    start: float
    end: float
    text: str
    id: int | str = ""
    speaker: str | None = None


class _JSONBody(msgspec.Struct, gc=False):
    text: str
    logprobs: list[TranscriptLogprob] | None = None
    usage: TranscriptUsageWire | None = None
    language: str | None = None
    languages: list[TranscriptLanguage] | None = None
    duration: float | None = None
    segments: list[_JSONSegment] | None = None


class _ErrorEnvelope(msgspec.Struct, gc=False):
    error: ErrorDetail
    type: str = "error"


_json_body: Final = msgspec.json.Decoder(_JSONBody)
_any_json: Final = msgspec.json.Decoder()
_error_envelope: Final = msgspec.json.Decoder(_ErrorEnvelope)
_UNDECODABLE: Final = (msgspec.DecodeError, UnicodeError, RecursionError)


class _State(enum.Enum):
    AWAITING_HEAD = "awaiting_head"
    STREAMING = "streaming"  # SSE events arriving
    BODY = "body"  # collecting a plain body
    DONE = "done"
    BROKEN = "broken"


_TIME_RE: Final = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")


def _seconds(text: str) -> float:
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise RemoteProtocolError(
            f"bad subtitle timestamp {text.strip()[:40]!r}", error_hint="bad_subtitles"
        )
    hours, minutes, secs, frac = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(frac.ljust(3, "0")) / 1000


def parse_subtitles(body: str) -> tuple[TranscriptionSegment, ...]:
    """The cues of an SRT or WebVTT document as segments (cue text lines joined by a
    space); blocks without a ``-->`` timing line (the ``WEBVTT`` header, ``NOTE``) are
    skipped. A malformed timing line raises `RemoteProtocolError`."""
    blocks = re.split(r"\n[ \t]*\n", body.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[TranscriptionSegment] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        start_text, _, rest = lines[timing].partition("-->")
        end_text = rest.strip().split(" ")[0]  # VTT cue settings follow the end time
        cue_id = lines[timing - 1].strip() if timing > 0 else str(len(out) + 1)
        text = " ".join(line.strip() for line in lines[timing + 1 :])
        out.append(
            TranscriptionSegment(
                id=cue_id, start=_seconds(start_text), end=_seconds(end_text), text=text
            )
        )
    return tuple(out)


def _content_type(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> str:
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found = ""
    for name, value in pairs:
        if name.lower() == "content-type":
            found = value
    return found.split(";", 1)[0].strip().lower()


class TranscriptionResponse:
    """One ``/audio/transcriptions`` answer; see the module docstring for the rules.

    `response_format` is what was requested: it only says how to read a ``text/plain`` body
    (SRT and VTT are sent as text). `format` is decided by the response head.
    """

    def __init__(
        self,
        *,
        response_format: str | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        self.requested_format = response_format
        self.max_body_bytes = max_body_bytes
        self.max_text_chars = max_text_chars
        self.state = _State.AWAITING_HEAD
        self.format: BodyFormat | None = None
        self.status: int | None = None
        self.result: TranscriptionResult | None = None
        self.trailing_events = 0
        """SSE events after ``transcript.text.done`` (counted, dropped)."""
        self._headers: list[tuple[str, str]] = []
        self._queue = EventQueue((TranscriptionResult,))
        self._sse = SSEDecoder(max_event_bytes=max_event_bytes)
        self._body: list[bytes] = []
        self._body_size = 0
        self._deltas: list[str] = []
        self._text_chars = 0
        self._delta_logprobs: list[TranscriptLogprob] = []
        self._segments: list[TranscriptionSegment] = []
        self._eof = False

    # ------------------------------------------------------------------ input verbs

    def receive_response_head(
        self, status: int, headers: Iterable[tuple[str, str]] | Mapping[str, str]
    ) -> None:
        """The status and headers: picks SSE, JSON, text or error reading. Once."""
        if self.state is not _State.AWAITING_HEAD:
            raise LocalProtocolError("the response head was already received", error_hint="state")
        self.status = status
        self._headers = list(headers.items() if isinstance(headers, Mapping) else headers)
        kind = _content_type(self._headers)
        if status >= 400:
            self.format = "error"
        elif kind == "text/event-stream":
            self.format = "sse"
        elif kind == "application/json" or kind.endswith("+json"):
            self.format = "json"
        elif kind == "text/vtt":
            self.format = "vtt"
        elif kind in ("application/x-subrip", "text/srt"):
            self.format = "srt"
        elif kind.startswith("text/"):
            requested = self.requested_format
            self.format = "srt" if requested == "srt" else "vtt" if requested == "vtt" else "text"
        else:
            self.state = _State.BROKEN
            raise RemoteProtocolError(
                f"unexpected content-type {kind or '(none)'!r} for a transcription",
                error_hint="unexpected_content_type",
            )
        self.state = _State.STREAMING if self.format == "sse" else _State.BODY

    def receive_data(self, data: bytes) -> None:
        """One body chunk, split anywhere."""
        state = self.state
        if state is _State.AWAITING_HEAD:
            raise LocalProtocolError("receive_response_head() first", error_hint="state")
        if self._eof:
            raise LocalProtocolError("data after receive_eof()", error_hint="state")
        if state is _State.BROKEN:
            raise RemoteProtocolError("the stream is broken", error_hint="broken")
        if not data:
            return
        if state is _State.BODY:
            self._body_size += len(data)
            if self._body_size > self.max_body_bytes:
                self.state = _State.BROKEN
                raise RemoteProtocolError(
                    f"body larger than {self.max_body_bytes} bytes", error_hint="body_too_large"
                )
            self._body.append(bytes(data))
            return
        try:
            for sse in self._sse.feed(data):
                self._on_sse(sse.data)
        except RemoteProtocolError:
            self.state = _State.BROKEN
            raise

    def receive_eof(self) -> None:
        """The body ended: a plain body is parsed now; an SSE stream without
        ``transcript.text.done`` becomes ``interrupted``. Idempotent."""
        if self.state is _State.AWAITING_HEAD:
            raise LocalProtocolError("receive_response_head() first", error_hint="state")
        if self._eof:
            return
        self._eof = True
        if self.state is _State.STREAMING:
            self._sse.feed_eof()
            error = APIError.build(
                "the transcription stream ended before transcript.text.done",
                code="stream_interrupted",
                source="transport",
            )
            self._queue.push(error)
            self._finish_stream("interrupted", None, error)
        elif self.state is _State.BODY:
            body = b"".join(self._body)
            self._body.clear()
            try:
                self._on_body(body)
            except RemoteProtocolError:
                self.state = _State.BROKEN
                raise

    # ----------------------------------------------------------------- output verbs

    def next_event(self) -> Any | NeedData:
        """The next event, or `NEED_DATA` when more input is needed."""
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        """Drain events until `NEED_DATA` or the `TranscriptionResult`."""
        return self._queue.drain()

    def data_to_send(self) -> list[bytes]:
        """Nothing: the request went out whole; the response has no outgoing messages."""
        return []

    # ------------------------------------------------------------------ internals

    def _on_sse(self, data: bytes) -> None:
        if self.state is _State.DONE:
            self.trailing_events += 1
            return
        if data[:6] == b"[DONE]":
            return
        if b'"error"' in data:
            try:
                envelope = _error_envelope.decode(data)
            except _UNDECODABLE:
                envelope = None
            if envelope is not None and envelope.type == "error":
                detail = envelope.error
                error = APIError.build(
                    detail.message or "the server reported an error",
                    code=detail.code,
                    type=detail.type,
                    param=detail.param,
                    source="stream",
                )
                self._queue.push(error)
                self._finish_stream("error", None, error)
                return
        event = _decode(data)
        kind = type(event)
        if kind is TranscriptTextDelta:
            self._text_chars += len(event.delta)
            if self._text_chars > self.max_text_chars:
                raise RemoteProtocolError(
                    f"more than {self.max_text_chars} characters of transcript",
                    error_hint="text_too_long",
                )
            self._deltas.append(event.delta)
            if event.logprobs:
                self._delta_logprobs.extend(event.logprobs)
                self._check_kept(len(self._delta_logprobs), "logprobs")
            self._queue.push(event)
        elif kind is TranscriptTextSegment:
            self._check_kept(len(self._segments) + 1, "segments")
            self._segments.append(
                TranscriptionSegment(
                    id=event.id,
                    start=event.start,
                    end=event.end,
                    text=event.text,
                    speaker=event.speaker,
                )
            )
            self._queue.push(event)
        elif kind is TranscriptTextDone:
            self._queue.push(event)
            self._finish_stream("completed", event, None)
        else:
            assert kind is UnknownEvent
            self._queue.push(event)

    def _check_kept(self, count: int, what: str) -> None:
        """Logprobs and segments kept for the result are bounded like the text (each is at
        least one token of it): a stream of empty deltas cannot grow memory without end."""
        if count > self.max_text_chars:
            raise RemoteProtocolError(
                f"more than {self.max_text_chars} {what} in one transcript",
                error_hint="text_too_long",
            )

    def _finish_stream(
        self, status: ResultStatus, done: TranscriptTextDone | None, error: APIError | None
    ) -> None:
        logprobs: list[TranscriptLogprob] | None = (
            done.logprobs if done is not None and done.logprobs is not None else None
        )
        if logprobs is None and self._delta_logprobs:
            logprobs = self._delta_logprobs
        languages = tuple(lang.code for lang in (done.languages or ())) if done else ()
        self._finish(
            TranscriptionResult(
                status=status,
                text=done.text if done is not None else "".join(self._deltas),
                format="sse",
                confidence=confidence_from_logprobs(logprobs),
                logprobs=tuple(logprobs) if logprobs is not None else None,
                usage=transcription_usage(done.usage) if done is not None else None,
                language=languages[0] if languages else None,
                languages=languages,
                segments=tuple(self._segments),
                error=error,
            )
        )

    def _on_body(self, body: bytes) -> None:
        fmt = self.format
        if fmt == "error":
            assert self.status is not None
            error = api_error_from_http(self.status, self._headers, body)
            self._queue.push(error)
            self._finish(TranscriptionResult(status="error", text="", format="error", error=error))
            return
        if fmt == "json":
            self._on_json(body)
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RemoteProtocolError(
                "transcription text is not UTF-8", error_hint="invalid_utf8"
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        if fmt in ("srt", "vtt"):
            segments = parse_subtitles(text)
            self._finish(
                TranscriptionResult(
                    status="completed",
                    text=" ".join(s.text for s in segments if s.text),
                    format=fmt,
                    segments=segments,
                    raw=text,
                )
            )
            return
        self._finish(
            TranscriptionResult(status="completed", text=text.rstrip("\r\n"), format="text")
        )

    def _on_json(self, body: bytes) -> None:
        try:
            parsed = _json_body.decode(body)
        except msgspec.ValidationError as exc:
            raise RemoteProtocolError(
                f"transcription body does not match its schema: {exc}",
                error_hint="schema_violation",
            ) from None
        except _UNDECODABLE as exc:
            raise RemoteProtocolError(
                f"invalid JSON in transcription body: {exc}", error_hint="invalid_json"
            ) from None
        languages = tuple(lang.code for lang in parsed.languages or ())
        language = parsed.language or (languages[0] if languages else None)
        segments = tuple(
            TranscriptionSegment(
                id=str(seg.id), start=seg.start, end=seg.end, text=seg.text, speaker=seg.speaker
            )
            for seg in parsed.segments or ()
        )
        logprobs = parsed.logprobs
        try:
            raw = _any_json.decode(body)
        except _UNDECODABLE as exc:  # (an unknown field the typed decode skipped)
            raise RemoteProtocolError(
                f"invalid JSON in transcription body: {exc}", error_hint="invalid_json"
            ) from None
        self._finish(
            TranscriptionResult(
                status="completed",
                text=parsed.text,
                format="json",
                confidence=confidence_from_logprobs(logprobs),
                logprobs=tuple(logprobs) if logprobs is not None else None,
                usage=transcription_usage(parsed.usage),
                language=language,
                languages=languages,
                duration=parsed.duration,
                segments=segments,
                raw=raw,
            )
        )

    def _finish(self, result: TranscriptionResult) -> None:
        self.result = result
        self.state = _State.DONE
        self._queue.push(result)
