"""``client.speech``: streaming text-to-speech over ``POST /v1/audio/speech``.

    async with Client() as client:
        async with client.speech.stream("Hello there.", voice="marin") as speech:
            async for event in speech:                 # SpeechFrame: exactly 20 ms of PCM
                if isinstance(event, SpeechFrame):
                    play(event.pcm)
        print(speech.time_to_first_audio, speech.results[-1].usage)

        # text as it arrives from an LLM, one request per flushed segment, started as soon as
        # the segment is complete (requests overlap; frames still come in segment order)
        async with client.speech.stream(llm_text_with_flushes(), chunked=True) as speech:
            ...
            speech.interrupt()                          # barge-in: stop now, drop queued audio

        audio = await client.speech.create("Hi.")       # everything at once (SpeechAudio)

What is on the wire (request validation, body shape by Content-Type, exact framing, typed
failures) is decided by the pure `protocol.speech.SpeechStream` and `build_speech_request`;
this module runs one task per request, hands events out in segment order, measures the time
to first audio with ``anyio.current_time()`` and records traces (``api="speech"``).
An HTTP error status raises `APIStatusError` when the iteration reaches that segment; a body
cut short is an `APIError` event followed by a failed `SpeechDone`, as in the machine.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .errors import APIStatusError
from .protocol.http_errors import api_error_from_http
from .protocol.speech import (
    AudioBytes,
    SpeechDone,
    SpeechFrame,
    SpeechResult,
    SpeechStream,
    build_speech_request,
)
from .protocol.trace import TraceRecorder

if TYPE_CHECKING:
    from .client import Client

__all__ = ["FLUSH", "FlushMarker", "SpeechAudio", "SpeechResource", "SpeechSession"]

ERROR_BODY_LIMIT: Final = 1024 * 1024
"""Bytes read of an HTTP error body (OpenAI's are a few hundred bytes)."""
DRAIN_SECONDS: Final = 1.0
DRAIN_BYTES: Final = 64 * 1024
"""After ``speech.audio.done`` at most this long / this much is read to reuse the connection."""
MAX_QUEUED_EVENTS: Final = 512
"""Events one request may run ahead of the listener (~10 s of 20 ms frames); beyond that its
task stops reading the socket, so a later segment cannot pile up memory (TCP backpressure)."""
MAX_SEGMENTS_AHEAD: Final = 64
"""Segments whose request may be started before the listener reached them."""


class FlushMarker:
    """Ends a text segment in a `SpeechResource.stream` text iterator (use `FLUSH`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FLUSH"


FLUSH: Final = FlushMarker()


@dataclass(eq=False)
class _Failure:
    exc: BaseException


@dataclass(eq=False)
class _Segment:
    index: int
    text: str
    send: MemoryObjectSendStream[Any]
    recv: MemoryObjectReceiveStream[Any]
    records: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    flushed: bool = False


@dataclass(frozen=True)
class SpeechAudio:
    """What `SpeechResource.create` returns: `audio` is the exact PCM (no padding) for
    ``pcm``, else the encoded file's bytes; one `SpeechResult` per request."""

    audio: bytes
    results: list[SpeechResult]
    time_to_first_audio: float | None

    @property
    def duration_s(self) -> float:
        return sum(r.duration_s for r in self.results)


def _recorder(
    trace: TraceRecorder | Callable[[bytes], None] | None, config: Mapping[str, Any]
) -> TraceRecorder | None:
    if trace is None or isinstance(trace, TraceRecorder):
        return trace
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return TraceRecorder(trace, api="speech", started=started, config=dict(config))


class SpeechSession:
    """One `stream(...)`: an async context manager and an async iterator of events.

    Yields, per request (segment) in order: `SpeechStarted`, `SpeechFrame` (or `AudioBytes`
    for encoded formats), an `APIError` if the body failed, then `SpeechDone`. Attributes:
    `time_to_first_audio` (seconds from entering to the first audio handed out),
    `results` (one `SpeechResult` per finished segment), `segments` (their texts),
    `dropped_frames` (discarded by `interrupt`).
    """

    def __init__(
        self,
        client: Client,
        text: str | AsyncIterable[str | FlushMarker],
        *,
        chunked: bool,
        request_options: dict[str, Any],
        response_format: str,
        frame_ms: float,
        trace: TraceRecorder | None,
        max_concurrency: int,
    ) -> None:
        if not isinstance(text, str) and not hasattr(text, "__aiter__"):
            raise TypeError("text must be a str or an async iterable of str and FLUSH")
        if isinstance(text, str):
            build_speech_request(client.config, input=text, **request_options)  # fail early
        self._client = client
        self._text = text
        self._chunked = chunked
        self._options = request_options
        self._format = response_format
        self._frame_ms = frame_ms
        self._trace = trace
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._group: anyio.abc.TaskGroup | None = None
        self._segments_send, self._segments_recv = anyio.create_memory_object_stream[Any](
            MAX_SEGMENTS_AHEAD
        )
        self._all: list[_Segment] = []
        self._current: _Segment | None = None
        self._t0 = 0.0
        self._finished = False
        self.interrupted = False
        self.time_to_first_audio: float | None = None
        self.results: list[SpeechResult] = []
        self.segments: list[str] = []
        self.dropped_frames = 0

    async def __aenter__(self) -> SpeechSession:
        self._t0 = anyio.current_time()
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(self._produce)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        group, self._group = self._group, None
        if group is not None:
            group.cancel_scope.cancel()  # requests still open are closed (a shielded aclose)
            await group.__aexit__(None, None, None)
        self._segments_recv.close()
        for segment in self._all:
            segment.recv.close()
            self._flush_trace(segment)

    def interrupt(self) -> None:
        """Stop at once: every open response is closed, queued frames are dropped (counted in
        `dropped_frames`) and the iteration ends. Safe to call from another task."""
        if self.interrupted:
            return
        self.interrupted = True
        if self._group is not None:
            self._group.cancel_scope.cancel()
        pending = [s for s in self._all if not s.flushed]
        for segment in pending:
            while True:
                try:
                    event = segment.recv.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                    break
                self.dropped_frames += isinstance(event, SpeechFrame)

    def __aiter__(self) -> SpeechSession:
        return self

    async def __anext__(self) -> Any:
        while True:
            if self.interrupted or self._finished:
                raise StopAsyncIteration
            segment = self._current
            if segment is None:
                if self._group is None:
                    raise RuntimeError("use the speech stream inside 'async with'")
                try:
                    item = await self._segments_recv.receive()
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    self._finished = True
                    raise StopAsyncIteration from None
                if isinstance(item, _Failure):
                    raise item.exc
                self._current = segment = item
            try:
                event = await segment.recv.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                self._end_segment(segment)
                continue
            if isinstance(event, _Failure):
                self._end_segment(segment)
                raise event.exc
            if self.time_to_first_audio is None and isinstance(event, SpeechFrame | AudioBytes):
                self.time_to_first_audio = anyio.current_time() - self._t0
            if isinstance(event, SpeechDone):
                self.results.append(event.result)
                self._end_segment(segment)
            return event

    async def until_done(self) -> list[SpeechResult]:
        """Consume the remaining events; the results of every segment."""
        async for _ in self:
            pass
        return self.results

    # -- producer and requests ---------------------------------------------------------

    async def _produce(self) -> None:
        async with self._segments_send:
            try:
                if isinstance(self._text, str):
                    await self._start(self._text)
                    return
                parts: list[str] = []
                async for piece in self._text:
                    if isinstance(piece, FlushMarker):
                        if self._chunked and "".join(parts).strip():
                            await self._start("".join(parts))
                            parts = []
                    elif isinstance(piece, str):
                        parts.append(piece)
                    else:
                        raise TypeError(f"text items must be str or FLUSH, got {piece!r}")
                if "".join(parts).strip():
                    await self._start("".join(parts))
            except Exception as exc:
                await self._segments_send.send(_Failure(exc))

    async def _start(self, text: str) -> None:
        send, recv = anyio.create_memory_object_stream[Any](MAX_QUEUED_EVENTS)
        segment = _Segment(len(self._all), text, send, recv)
        self._all.append(segment)
        self.segments.append(text)
        assert self._group is not None
        self._group.start_soon(self._request, segment)
        await self._segments_send.send(segment)

    def _now(self) -> float:
        return anyio.current_time() - self._t0

    async def _request(self, segment: _Segment) -> None:
        async with segment.send:
            try:
                async with self._limiter:
                    await self._run(segment)
            except Exception as exc:
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await segment.send.send(_Failure(exc))  # unless nobody listens any more

    async def _run(self, segment: _Segment) -> None:
        request = build_speech_request(self._client.config, input=segment.text, **self._options)
        records = segment.records
        records.append(
            (
                "request",
                self._now(),
                {
                    "method": request.method,
                    "url": request.url,
                    "headers": request.headers,
                    "body": request.body,
                },
            )
        )
        ended = False
        try:
            response = await self._client._send(request)
        except BaseException:
            records.append(("closed", self._now(), {}))
            raise
        try:
            records.append(
                ("response", self._now(), {"status": response.status, "headers": response.headers})
            )
            if response.status >= 400:
                body = await response.read_all(ERROR_BODY_LIMIT)
                records.append(("recv_bytes", self._now(), {"data": body}))
                records.append(("eof", self._now(), {}))
                ended = True
                raise APIStatusError(api_error_from_http(response.status, response.headers, body))
            machine = SpeechStream(response_format=self._format, frame_ms=self._frame_ms)
            machine.receive_response_head(response.status, response.headers)
            digest = hashlib.sha256()
            while machine.result is None:
                chunk = await response.receive_some()
                if chunk is None:
                    records.append(("closed" if response.truncated else "eof", self._now(), {}))
                    ended = True
                    machine.receive_eof(truncated=response.truncated)
                else:
                    records.append(("recv_bytes", self._now(), {"data": chunk}))
                    machine.receive_data(chunk)
                for event in machine.events():
                    if isinstance(event, SpeechFrame):
                        digest.update(event.pcm)
                    elif isinstance(event, AudioBytes):
                        digest.update(event.data)
                    await segment.send.send(event)
            if not ended:  # speech.audio.done ended it; what follows is drained unrecorded
                records.append(("eof", self._now(), {}))
                ended = True
            result = machine.result
            records.append(("app", self._now(), {"result": _summary(result, digest.hexdigest())}))
            if machine.kind == "sse":
                await _drain(response)
        finally:
            if not ended:  # cancelled (interrupt) or failed mid-body: the exchange was cut
                records.append(("closed", self._now(), {}))
            with anyio.CancelScope(shield=True):
                await response.aclose()

    def _end_segment(self, segment: _Segment) -> None:
        self._current = None
        self._flush_trace(segment)

    def _flush_trace(self, segment: _Segment) -> None:
        """Write a segment's records as one block, in segment order (requests overlap, a
        trace replays one exchange after another)."""
        if segment.flushed:
            return
        for earlier in self._all[: segment.index]:
            self._flush_trace(earlier)
        segment.flushed = True
        recorder = self._trace
        if recorder is None:
            return
        for op, t, fields in segment.records:
            if op == "request":
                recorder.request(
                    t,
                    method=fields["method"],
                    url=fields["url"],
                    headers=fields["headers"],
                    body=fields["body"],
                )
            elif op == "response":
                recorder.response(t, status=fields["status"], headers=fields["headers"])
            elif op == "recv_bytes":
                recorder.recv_bytes(t, fields["data"])
            elif op == "eof":
                recorder.eof(t)
            elif op == "closed":
                recorder.closed(t, None)
            else:
                recorder.app(t, "speech.result", {}, fields["result"])
        segment.records.clear()


def _summary(result: SpeechResult | None, sha256: str) -> dict[str, Any]:
    """What a replay must reproduce (compared by `protocol.trace_speech`)."""
    assert result is not None
    return {
        "status": result.status,
        "kind": result.kind,
        "frames": result.frames,
        "samples": result.samples,
        "audio_bytes": result.audio_bytes,
        "sha256": sha256,
    }


async def _drain(response: Any) -> None:
    left = DRAIN_BYTES
    with anyio.move_on_after(DRAIN_SECONDS):
        while left > 0 and (rest := await response.receive_some()) is not None:
            left -= len(rest)


class SpeechResource:
    """``client.speech``: text-to-speech (`stream`, `create`); works through
    ``Client.azure(...)`` too (the deployment path or the v1 path, as for chat)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def stream(
        self,
        text: str | AsyncIterable[str | FlushMarker],
        *,
        model: str = "gpt-4o-mini-tts",
        voice: str | Mapping[str, str] = "marin",
        chunked: bool = False,
        response_format: str = "pcm",
        stream_format: str | None = None,
        instructions: str | None = None,
        speed: float | None = None,
        language: str | None = None,
        frame_ms: float = 20.0,
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        max_concurrency: int = 4,
    ) -> SpeechSession:
        """Speak `text` (a str, or an async iterable of str pieces and `FLUSH` markers).

        ``chunked=False`` gathers all the text into one request (best prosody);
        ``chunked=True`` sends one request per flushed segment, each started as soon as its
        segment is complete (at most `max_concurrency` at once), for a lower time to first
        audio. Request options are `build_speech_request`'s; invalid ones raise
        `LocalProtocolError` here (for a str) or when the segment is reached. `trace` is a
        `TraceRecorder` (``api="speech"``) or a ``write(line)`` callable for one.
        """
        options: dict[str, Any] = {
            "model": model,
            "voice": voice,
            "response_format": response_format,
            "stream_format": stream_format,
            "instructions": instructions,
            "speed": speed,
            "language": language,
        }
        recorder = _recorder(
            trace,
            {
                "request": {k: v for k, v in options.items() if v is not None},
                "frame_ms": frame_ms,
                "chunked": chunked,
            },
        )
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        return SpeechSession(
            self._client,
            text,
            chunked=chunked,
            request_options=options,
            response_format=response_format,
            frame_ms=frame_ms,
            trace=recorder,
            max_concurrency=max_concurrency,
        )

    async def create(
        self, text: str | AsyncIterable[str | FlushMarker], **options: Any
    ) -> SpeechAudio:
        """Speak `text` to the end and return all the audio (`stream`'s options)."""
        parts: list[bytes] = []
        async with self.stream(text, **options) as speech:
            async for event in speech:
                if isinstance(event, SpeechFrame):
                    parts.append(event.pcm[: event.samples * 2])
                elif isinstance(event, AudioBytes):
                    parts.append(event.data)
        return SpeechAudio(b"".join(parts), speech.results, speech.time_to_first_audio)
