"""`SpeechStream`: one ``POST /v1/audio/speech`` response, head and body bytes in, events out.

The body's shape is decided by the response ``Content-Type``, never by what was requested
(OpenAI-compatible servers ignore ``stream_format``; protocol.md 6.1):

- ``text/event-stream``: SSE ``speech.audio.delta`` events (base64 audio) then
  ``speech.audio.done`` with usage;
- ``audio/pcm`` (or ``application/octet-stream`` / no type when ``pcm`` was requested): raw
  24 kHz s16le mono samples, split anywhere by the network, odd byte counts included;
- any other audio type (mp3, opus, aac, flac, wav), or a format other than ``pcm``: the bytes
  as they come, as `AudioBytes`, never framed as if they were PCM.

PCM (raw or from SSE deltas) comes out as `SpeechFrame` events of exactly `frame_ms` (20 ms =
480 samples = 960 bytes): the remainder is carried between chunks and the last frame is
zero-padded at the end. Raw and SSE bodies of the same audio give identical frames.
The stream ends with exactly one `SpeechDone` (usage from ``speech.audio.done``, totals in
bytes / samples / seconds). A failure is an `APIError` event before it: an error status (its
JSON body, `api_error_from_http`), an SSE body that ends without ``speech.audio.done``, a body
cut short (fewer bytes than ``Content-Length``, or the transport says ``truncated``), a PCM
body that ends mid-sample. Malformed SSE or JSON, or a body over `max_body_bytes`, raises
`RemoteProtocolError`; verbs in the wrong state raise `LocalProtocolError`.

States (table `_TRANSITIONS`)::

    AWAITING_HEAD --head--> STREAMING --eof/done--> DONE     BROKEN after a violation

Typical use::

    machine = SpeechStream(response_format="pcm")
    machine.receive_response_head(status, headers)
    for chunk in body: machine.receive_data(chunk); handle(machine.events())
    machine.receive_eof(truncated=cut); handle(machine.events())   # ends with SpeechDone

The framer lives here (bytes only, no numpy) so this layer stays pure and dependency-free;
`openai_sansio.audio.Framer` does the same for arrays.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from typing import Any, Final, Literal

import msgspec

from ._codec import server_decoder
from ._errors import LocalProtocolError, RemoteProtocolError
from ._sse import SSEDecoder
from ._stream_common import EventQueue
from .events.common import APIError, NeedData, TokenUsage, UnknownEvent
from .events.speech import SpeechAudioDelta, SpeechAudioDone
from .http_errors import api_error_from_http
from .speech_request import RESPONSE_FORMATS, SPEECH_SAMPLE_RATE, build_speech_request

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_EVENT_BYTES",
    "AudioBytes",
    "PCMFramer",
    "SpeechDone",
    "SpeechFrame",
    "SpeechResult",
    "SpeechStarted",
    "SpeechStream",
    "build_speech_request",
]

DEFAULT_MAX_BODY_BYTES: Final = 256 * 1024 * 1024
"""Bound on one response's audio (256 MiB). 4096 characters read slowly are about 6 minutes:
17 MiB of PCM, 23 MiB as base64 SSE; the bound leaves room for slow speeds and wav."""
DEFAULT_MAX_EVENT_BYTES: Final = 16 * 1024 * 1024
"""Bound on one SSE event (16 MiB): real deltas are a few KiB of base64."""
MAX_ERROR_BODY: Final = 1024 * 1024
"""Bytes of an error body kept (OpenAI's are a few hundred bytes)."""
_PCM_TYPES: Final = frozenset({"audio/pcm", "audio/l16", "audio/raw", "audio/x-raw"})
_OPAQUE_TYPES: Final = frozenset({"application/octet-stream", ""})

Kind = Literal["pcm", "sse", "bytes", "error"]
SpeechStatus = Literal["completed", "failed"]


class _State(enum.Enum):
    AWAITING_HEAD = "awaiting_head"
    STREAMING = "streaming"
    DONE = "done"
    BROKEN = "broken"


class _Input(enum.Enum):
    HEAD = "head"
    DATA = "data"
    DONE_EVENT = "done_event"
    EOF = "eof"


_TRANSITIONS: Final[dict[tuple[_State, _Input], _State]] = {
    (_State.AWAITING_HEAD, _Input.HEAD): _State.STREAMING,
    (_State.STREAMING, _Input.DATA): _State.STREAMING,
    (_State.STREAMING, _Input.DONE_EVENT): _State.DONE,
    (_State.STREAMING, _Input.EOF): _State.DONE,
    (_State.DONE, _Input.DATA): _State.DONE,  # after speech.audio.done: trailing, ignored
    (_State.DONE, _Input.EOF): _State.DONE,  # idempotent
}
"""Pairs not listed raise: `LocalProtocolError` (data before the head, a second head...)."""


class SpeechStarted(msgspec.Struct, frozen=True, gc=False):
    """The head arrived with a success status: `kind` is how the body will be read."""

    kind: Kind
    content_type: str
    status: int


class SpeechFrame(msgspec.Struct, frozen=True, gc=False):
    """Exactly one frame of PCM (s16le mono at `sample_rate`): `samples` of it are audio,
    the rest (only in the last frame, `padded`) is zero padding. `index` counts from 0."""

    pcm: bytes
    index: int
    samples: int
    padded: bool = False
    sample_rate: int = SPEECH_SAMPLE_RATE


class AudioBytes(msgspec.Struct, frozen=True, gc=False):
    """A chunk of encoded audio (mp3, opus, aac, flac, wav...) exactly as received: concatenate
    them for the file. `content_type` is the response's (or ``audio/<format>`` for SSE)."""

    data: bytes
    content_type: str


class SpeechResult(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The whole response: `audio_bytes` of audio received (PCM or encoded), and for PCM the
    `samples` (without padding), `frames` handed out and `duration_s`; `usage` from
    ``speech.audio.done`` (SSE only); `error` when `status` is ``failed``."""

    status: SpeechStatus
    kind: Kind
    content_type: str
    audio_bytes: int = 0
    samples: int = 0
    frames: int = 0
    duration_s: float = 0.0
    usage: TokenUsage | None = None
    error: APIError | None = None
    done_event: bool = False


class SpeechDone(msgspec.Struct, frozen=True, gc=False):
    """The terminal event: the stream is over (`result.status` says how)."""

    result: SpeechResult

    @property
    def status(self) -> SpeechStatus:
        return self.result.status


class PCMFramer:
    """Exact byte frames of `frame_bytes`, the remainder carried; `flush` zero-pads the last.

    The bytes-only twin of `audio.Framer` (this layer does not import numpy). `flush`
    returns ``(frame or None, stray)``: `stray` is the count of bytes of a half sample
    (odd total) that were dropped.
    """

    __slots__ = ("_buf", "frame_bytes", "sample_width")

    def __init__(self, frame_bytes: int, sample_width: int = 2) -> None:
        if frame_bytes <= 0 or frame_bytes % sample_width:
            raise LocalProtocolError(
                f"a frame must be a positive whole number of samples, got {frame_bytes} bytes",
                error_hint="invalid_param",
            )
        self.frame_bytes = frame_bytes
        self.sample_width = sample_width
        self._buf = bytearray()

    def push(self, data: bytes) -> list[bytes]:
        """Every complete frame `data` completes (possibly none)."""
        size = self.frame_bytes
        buf = self._buf
        if not buf and len(data) == size:
            return [bytes(data)]
        buf += data
        full = len(buf) // size
        if not full:
            return []
        with memoryview(buf) as view:
            out = [bytes(view[i * size : (i + 1) * size]) for i in range(full)]
        del buf[: full * size]
        return out

    def flush(self) -> tuple[bytes | None, int]:
        """The last frame, zero-padded (``None`` when nothing is pending), and stray bytes."""
        buf, self._buf = self._buf, bytearray()
        stray = len(buf) % self.sample_width
        if stray:
            del buf[-stray:]
        if not buf:
            return None, stray
        return bytes(buf) + bytes(self.frame_bytes - len(buf)), stray


_decode_speech: Final = server_decoder("speech")
_error_key: Final = msgspec.json.Decoder(dict[str, Any])


def _media_type(headers: Iterable[tuple[str, str]]) -> tuple[str, int | None]:
    content_type, length = "", None
    for name, value in headers:
        lname = name.lower()
        if lname == "content-type":
            content_type = value.split(";", 1)[0].strip().lower()
        elif lname == "content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise RemoteProtocolError(
                    f"invalid content-length {value!r}", error_hint="bad_header"
                ) from None
    return content_type, length


def _stray_error(stray: int) -> APIError:
    return APIError.build(
        f"the PCM audio ended mid-sample ({stray} stray byte)",
        code="incomplete_sample",
        source="transport",
    )


class SpeechStream:
    """One speech response; see the module docstring for the body shapes and events.

    `response_format` is what was requested (it decides an untyped body: PCM only when
    ``pcm`` was asked for); `frame_ms` must be a whole number of samples at `sample_rate`.
    """

    def __init__(
        self,
        *,
        response_format: str = "pcm",
        frame_ms: float = 20.0,
        sample_rate: int = SPEECH_SAMPLE_RATE,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
    ) -> None:
        if response_format not in RESPONSE_FORMATS:
            raise LocalProtocolError(
                f"unknown response_format {response_format!r}", error_hint="invalid_param"
            )
        samples = sample_rate * frame_ms / 1000
        if samples <= 0 or samples != int(samples):
            raise LocalProtocolError(
                f"frame_ms={frame_ms} is not a whole number of samples at {sample_rate} Hz",
                error_hint="invalid_param",
            )
        self.response_format = response_format
        self.sample_rate = sample_rate
        self.frame_samples = int(samples)
        self.max_body_bytes = max_body_bytes
        self.state = _State.AWAITING_HEAD
        self.kind: Kind | None = None
        self.content_type = ""
        self.status: int | None = None
        self._framer = PCMFramer(self.frame_samples * 2)
        self._sse: SSEDecoder | None = None
        self._max_event_bytes = max_event_bytes
        self._queue = EventQueue((SpeechDone,))
        self._headers: list[tuple[str, str]] = []
        self._error_body = bytearray()
        self._length: int | None = None
        self._body_bytes = 0
        self._audio_bytes = 0
        self._samples = 0
        self._frames = 0
        self._usage: TokenUsage | None = None
        self._done_event = False
        self.result: SpeechResult | None = None

    # -- verbs -------------------------------------------------------------------------

    def _step(self, what: _Input) -> None:
        nxt = _TRANSITIONS.get((self.state, what))
        if nxt is None:
            if self.state is _State.BROKEN:
                raise LocalProtocolError("the stream is broken (an error was raised before)")
            raise LocalProtocolError(
                f"{what.value} is not allowed in state {self.state.value}",
                error_hint="wrong_state",
            )
        self.state = nxt

    def receive_response_head(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        """The response status and headers (names any case). Decides how to read the body.

        Next: `receive_data` with each body chunk, then `receive_eof`; pull `events()`.
        """
        self._step(_Input.HEAD)
        headers = list(headers)
        self.status = status
        self._headers = headers
        try:
            media, self._length = _media_type(headers)
        except RemoteProtocolError:
            self.state = _State.BROKEN
            raise
        self.content_type = media
        if status >= 400:
            self.kind = "error"
            return
        if not 200 <= status < 300:
            self.state = _State.BROKEN
            raise RemoteProtocolError(
                f"unexpected status {status} for a speech response", error_hint="bad_status"
            )
        if media == "text/event-stream":
            self.kind = "sse"
            self._sse = SSEDecoder(max_event_bytes=self._max_event_bytes)
        elif media in _PCM_TYPES or (media in _OPAQUE_TYPES and self.response_format == "pcm"):
            self.kind = "pcm"
        elif media.startswith("audio/") or media in _OPAQUE_TYPES:
            self.kind = "bytes"
        else:
            self.state = _State.BROKEN
            raise RemoteProtocolError(
                f"a speech response of type {media!r} is not audio", error_hint="bad_content_type"
            )
        self._queue.push(SpeechStarted(self.kind, media, status))

    def receive_data(self, data: bytes) -> None:
        """One body chunk, split anywhere. Raises `RemoteProtocolError` on malformed SSE or
        JSON, an unknown-shaped delta, or more than `max_body_bytes`."""
        self._step(_Input.DATA)
        if not data or self.state is _State.DONE:
            return
        try:
            self._on_data(bytes(data))
        except RemoteProtocolError:
            self.state = _State.BROKEN
            raise

    def receive_eof(self, *, truncated: bool = False) -> None:
        """The body ended; `truncated` when the transport saw the connection close before the
        end of the HTTP message. Idempotent. Queues the failure (if any) and `SpeechDone`."""
        if self.state is _State.DONE and self.result is not None:
            return
        self._step(_Input.EOF)
        if self._sse is not None:
            self._sse.feed_eof()
        if self.kind == "error":
            assert self.status is not None
            error = api_error_from_http(self.status, self._headers, bytes(self._error_body))
            self._finish(error)
            return
        problem: str | None = None
        if truncated or (self._length is not None and self._body_bytes < self._length):
            problem = "the connection closed before the end of the speech body"
        elif self.kind == "sse" and not self._done_event:
            problem = "the SSE stream ended without speech.audio.done"
        stray = self._flush_pcm()
        if problem is not None:
            self._finish(APIError.build(problem, code="incomplete_stream", source="transport"))
        else:
            self._finish(_stray_error(stray) if stray else None)

    def next_event(self) -> Any | NeedData:
        """The next event, or `NEED_DATA`."""
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        """Every queued event, up to and including `SpeechDone`."""
        return self._queue.drain()

    def data_to_send(self) -> list[bytes]:
        """Always empty: the request body is all this API sends (`build_speech_request`)."""
        return []

    # -- internals ---------------------------------------------------------------------

    def _count(self, size: int) -> None:
        self._body_bytes += size
        if self._body_bytes > self.max_body_bytes:
            raise RemoteProtocolError(
                f"speech body larger than {self.max_body_bytes} bytes", error_hint="too_large"
            )

    def _on_data(self, data: bytes) -> None:
        self._count(len(data))
        kind = self.kind
        if kind == "pcm":
            self._pcm(data)
        elif kind == "bytes":
            self._audio_bytes += len(data)
            self._queue.push(AudioBytes(data, self.content_type))
        elif kind == "sse":
            self._feed_sse(data)
            if self._done_event and self.result is None:
                self.state = _State.DONE
                stray = self._flush_pcm()
                self._finish(_stray_error(stray) if stray else None)
        elif len(self._error_body) < MAX_ERROR_BODY:
            self._error_body += data[: MAX_ERROR_BODY - len(self._error_body)]

    def _feed_sse(self, data: bytes) -> None:
        """Feed the SSE decoder up to ``speech.audio.done`` and nothing after it, one line at
        a time: what trails the done event (in the same chunk or a later one) is never
        decoded, so it can never make the body fail on one split and not on another."""
        sse = self._sse
        assert sse is not None
        start, size = 0, len(data)
        while start < size and not self._done_event:
            end = data.find(b"\n", start)
            end = size if end < 0 else end + 1
            for event in sse.feed(data[start:end] if start or end < size else data):
                if self._done_event:
                    break  # anything after speech.audio.done is trailing
                self._on_sse(event.data)
            start = end

    def _pcm(self, data: bytes) -> None:
        self._audio_bytes += len(data)
        push = self._queue.push
        samples = self.frame_samples
        for frame in self._framer.push(data):
            push(SpeechFrame(frame, self._frames, samples, False, self.sample_rate))
            self._frames += 1
            self._samples += samples

    def _flush_pcm(self) -> int:
        if self.kind != "pcm" and not (self.kind == "sse" and self.response_format == "pcm"):
            return 0
        frame, stray = self._framer.flush()
        if frame is not None:
            real = (self._audio_bytes - stray) // 2 - self._samples
            self._queue.push(SpeechFrame(frame, self._frames, real, True, self.sample_rate))
            self._frames += 1
            self._samples += real
        return stray

    def _on_sse(self, payload: bytes) -> None:
        if payload.startswith(b"[DONE]"):
            return  # tolerated, required nowhere but Chat (protocol.md 0.2)
        event = _decode_speech(payload)
        if type(event) is SpeechAudioDelta:
            audio = event.data
            if audio is None:
                raise RemoteProtocolError(
                    "speech.audio.delta without audio", error_hint="schema_violation"
                )
            if self.response_format == "pcm":
                self._pcm(audio)
            else:
                self._audio_bytes += len(audio)
                self._queue.push(AudioBytes(audio, f"audio/{self.response_format}"))
        elif type(event) is SpeechAudioDone:
            usage = event.usage
            if usage is not None:
                self._usage = TokenUsage(
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    total_tokens=usage.total_tokens,
                    raw=msgspec.to_builtins(usage),
                )
            self._done_event = True
        else:
            assert isinstance(event, UnknownEvent)
            if event.type == "error":
                self._stream_error(event)
            else:
                self._queue.push(event)

    def _stream_error(self, event: UnknownEvent) -> None:
        """An in-band ``{"type": "error", "error": {...}}`` (not documented for speech, sent by
        some compatible servers): a failure that ends the stream."""
        try:
            detail = _error_key.decode(event.raw).get("error")
        except (msgspec.DecodeError, UnicodeError, RecursionError):
            detail = None  # (a field the typed decode skipped is not text)
        detail = detail if isinstance(detail, dict) else {}
        message = detail.get("message")
        code = detail.get("code")
        error = APIError.build(
            message if isinstance(message, str) and message else "speech stream error",
            code=code if isinstance(code, str) else None,
            source="stream",
        )
        self._done_event = True
        self.state = _State.DONE
        self._flush_pcm()
        self._finish(error)

    def _finish(self, error: APIError | None) -> None:
        if self.result is not None:
            return
        if error is not None:
            self._queue.push(error)
        kind: Kind = self.kind or "error"
        self.result = SpeechResult(
            status="failed" if error is not None else "completed",
            kind=kind,
            content_type=self.content_type,
            audio_bytes=self._audio_bytes,
            samples=self._samples,
            frames=self._frames,
            duration_s=self._samples / self.sample_rate,
            usage=self._usage,
            error=error,
            done_event=self._done_event,
        )
        self._queue.push(SpeechDone(self.result))
