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
cut short is an `APIError` event followed by a failed `SpeechDone`, as in the machine. Either
way a failed segment ends the session: later segments are cancelled and never heard, so the
caller never plays audio after a hole (`SpeechSession.segments` says what was not spoken).
Memory is bounded: at most `max_concurrency` segments are started and not yet consumed by the
listener, each with at most `MAX_QUEUED_EVENTS` events queued.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._event_stream import open_response
from ._tracing import HTTPTap, TraceArg, as_recorder
from .errors import APIStatusError
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

MAX_QUEUED_EVENTS: Final = 512
"""Events one request may run ahead of the listener (~10 s of 20 ms frames); beyond that its
task stops reading the socket (TCP backpressure). A segment's request starts only when fewer
than `max_concurrency` segments are started and not yet consumed, so a slow listener holds at
most ``max_concurrency * MAX_QUEUED_EVENTS`` events (4 x 10 s of audio by default)."""


class FlushMarker:
    """Ends a text segment in a `SpeechResource.stream` text iterator (use `FLUSH`)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "FLUSH"


FLUSH: Final = FlushMarker()


@dataclass(eq=False)
class _Failure:
    exc: BaseException


class _SegmentTrace(TraceRecorder):
    """A segment's trace records, redacted as they are made (like any recorder's) and held
    until `SpeechSession` writes them in segment order: requests overlap, a replay reads one
    exchange after another. Without a session trace (`keep` false) nothing is held."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.records: list[Mapping[str, Any]] = []
        super().__init__(lambda line: None, api="speech", started="")

    def _emit(self, record: Mapping[str, Any]) -> None:
        if self.keep and record.get("kind") != "header":  # the session's trace has the header
            self.records.append(record)


@dataclass(eq=False)
class _Segment:
    index: int
    text: str
    send: MemoryObjectSendStream[Any]
    recv: MemoryObjectReceiveStream[Any]
    trace: _SegmentTrace = field(repr=False)
    flushed: bool = False
    consumed: bool = False


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


class SpeechSession:
    """One `stream(...)`: an async context manager and an async iterator of events.

    Yields, per request (segment) in order: `SpeechStarted`, `SpeechFrame` (or `AudioBytes`
    for encoded formats), an `APIError` if the body failed, then `SpeechDone`. Attributes:
    `time_to_first_audio` (seconds from entering to the first audio handed out),
    `results` (one `SpeechResult` per finished segment), `segments` (the texts of the
    segments started, in order), `dropped_frames` (discarded by `interrupt`).
    A failure (a raised exception, or a `SpeechDone` whose status is ``failed``) ends the
    iteration and cancels the later segments.
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
        self._slots = anyio.Semaphore(max_concurrency)
        self._group: anyio.abc.TaskGroup | None = None
        self._work = anyio.CancelScope()  # the requests and the producer, never the caller
        self._segments_send, self._segments_recv = anyio.create_memory_object_stream[Any](
            max_concurrency
        )
        self._all: list[_Segment] = []
        self._current: _Segment | None = None
        self._t0 = 0.0
        self._requests: anyio.abc.TaskGroup
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
        self._group.start_soon(self._background)
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
        `dropped_frames`) and the iteration ends; the code of the ``async with`` block goes
        on. Safe to call from another task."""
        if self.interrupted:
            return
        self.interrupted = True
        self._work.cancel()
        for segment in self._all:
            if segment.consumed:
                continue
            while True:
                try:
                    event = segment.recv.receive_nowait()
                except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                    break
                self.dropped_frames += isinstance(event, SpeechFrame)

    def _stop(self) -> None:
        """A segment failed: cancel the later ones and end the iteration."""
        self._finished = True
        self._work.cancel()

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
                    self._stop()
                    raise item.exc
                self._current = segment = item
            try:
                event = await segment.recv.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                self._end_segment(segment)
                continue
            if self.interrupted:  # handed over to this waiting task just before interrupt()
                self.dropped_frames += isinstance(event, SpeechFrame)
                raise StopAsyncIteration
            if isinstance(event, _Failure):
                self._end_segment(segment)
                self._stop()
                raise event.exc
            if self.time_to_first_audio is None and isinstance(event, SpeechFrame | AudioBytes):
                self.time_to_first_audio = anyio.current_time() - self._t0
            if isinstance(event, SpeechDone):
                self.results.append(event.result)
                self._end_segment(segment)
                if event.result.status != "completed":
                    self._stop()
            return event

    async def until_done(self) -> list[SpeechResult]:
        """Consume the remaining events; the results of every segment."""
        async for _ in self:
            pass
        return self.results

    # -- producer and requests ---------------------------------------------------------

    async def _background(self) -> None:
        """The producer and the requests, in their own cancel scope: `interrupt` and a failed
        segment cancel them, not the caller's code inside ``async with``."""
        with self._work:
            async with anyio.create_task_group() as group:
                self._requests = group
                await self._produce()

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
        await self._slots.acquire()  # released when the listener has consumed a segment
        send, recv = anyio.create_memory_object_stream[Any](MAX_QUEUED_EVENTS)
        segment = _Segment(len(self._all), text, send, recv, _SegmentTrace(self._trace is not None))
        self._all.append(segment)
        self.segments.append(text)
        self._requests.start_soon(self._request, segment)
        await self._segments_send.send(segment)

    def _now(self) -> float:
        return anyio.current_time() - self._t0

    async def _request(self, segment: _Segment) -> None:
        async with segment.send:
            try:
                await self._run(segment)
            except Exception as exc:
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    await segment.send.send(_Failure(exc))  # unless nobody listens any more

    async def _run(self, segment: _Segment) -> None:
        request = build_speech_request(self._client.config, input=segment.text, **self._options)
        trace = segment.trace
        tap = HTTPTap(trace, t0=self._t0)
        ended = False
        try:
            response = await open_response(self._client, request, tap)
        except APIStatusError:
            raise  # recorded to the end of its error body
        except BaseException:
            trace.closed(self._now(), None)
            raise
        try:
            machine = SpeechStream(response_format=self._format, frame_ms=self._frame_ms)
            machine.receive_response_head(response.status, response.headers)
            digest = hashlib.sha256()
            while True:  # SpeechStarted goes out with the head, not with the first chunk
                for event in machine.events():
                    if isinstance(event, SpeechFrame):
                        digest.update(event.pcm)
                    elif isinstance(event, AudioBytes):
                        digest.update(event.data)
                    await segment.send.send(event)
                if machine.result is not None:
                    break
                chunk = await response.receive_some()
                if chunk is None:
                    if response.truncated:
                        trace.closed(self._now(), None)
                    else:
                        tap.eof()
                    ended = True
                    machine.receive_eof(truncated=response.truncated)
                else:
                    tap.chunk(chunk)
                    machine.receive_data(chunk)
            if not ended:  # speech.audio.done ended it; what follows is drained unrecorded
                tap.eof()
                ended = True
            trace.app(self._now(), "speech.result", {}, _summary(machine.result, digest))
            await response.drain()  # the tail after speech.audio.done, for reuse
        finally:
            if not ended:  # cancelled (interrupt) or failed mid-body: the exchange was cut
                trace.closed(self._now(), None)
            with anyio.CancelScope(shield=True):
                await response.aclose()

    def _end_segment(self, segment: _Segment) -> None:
        self._current = None
        if not segment.consumed:
            segment.consumed = True
            self._slots.release()
        self._flush_trace(segment)

    def _flush_trace(self, segment: _Segment) -> None:
        """Write a segment's records as one block, in segment order (requests overlap, a
        trace replays one exchange after another)."""
        if segment.flushed:
            return
        for earlier in self._all[: segment.index]:
            self._flush_trace(earlier)
        segment.flushed = True
        records, segment.trace.records = segment.trace.records, []
        if self._trace is not None:
            for record in records:
                self._trace._emit(record)  # already redacted by the segment's recorder


def _summary(result: SpeechResult | None, digest: Any) -> dict[str, Any]:
    """What a replay must reproduce (compared by `protocol.trace_speech`)."""
    assert result is not None
    return {
        "status": result.status,
        "kind": result.kind,
        "frames": result.frames,
        "samples": result.samples,
        "audio_bytes": result.audio_bytes,
        "sha256": digest.hexdigest(),
    }


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
        trace: TraceArg = None,
        max_concurrency: int = 4,
    ) -> SpeechSession:
        """Speak `text` (a str, or an async iterable of str pieces and `FLUSH` markers).

        ``chunked=False`` gathers all the text into one request (best prosody);
        ``chunked=True`` sends one request per flushed segment, each started as soon as its
        segment is complete, for a lower time to first audio; at most `max_concurrency`
        segments are started and not yet consumed (a slow listener holds the next request
        back, so memory stays bounded). A failed segment ends the session. Request options
        are `build_speech_request`'s; invalid ones raise `LocalProtocolError` here (for a
        str) or when the segment is reached. `trace` is a `TraceRecorder` (``api="speech"``)
        or a ``write(line)`` callable for one.
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
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        recorder = as_recorder(
            trace,
            api="speech",
            config={
                "request": {k: v for k, v in options.items() if v is not None},
                "frame_ms": frame_ms,
                "chunked": chunked,
            },
        )
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
