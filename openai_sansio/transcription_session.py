"""A realtime transcription session: ``client.transcription.connect(...)``.

    async with client.transcription.connect(model="gpt-4o-transcribe", language="en",
                                            input_rate=48000, input_channels=2) as session:
        session.send_audio(pcm_chunk)           # any rate/channels -> the session's format
        ...
        session.finish()                        # no more audio; the iteration ends after
        async for event in session:             # the last transcript
            if isinstance(event, InterimTranscript): show(event.item_id, event.text)
            elif isinstance(event, FinalTranscript): print(event.text, event.confidence)

What the session does is `protocol.transcription.TranscriptionSession`'s decision (pure);
this module opens the socket (``/v1/realtime?intent=transcription``, GA: never an
``OpenAI-Beta`` header), converts audio on the way in (`audio.realtime_path.InputPath`),
moves frames, arms the interim-throttling deadline with the anyio clock, and opens a new
socket with backoff when one dies (the machine reports the items the old one took as
`TranscriptFailed` and configures the fresh session). A fatal error (auth, quota, invalid
model, beta shape) ends the session: the caller sees the `TranscriptionError`, then the end.

The iterator yields the machine's conclusions (`InterimTranscript`, `FinalTranscript`,
`TranscriptFailed`, `SpeechStarted`/`SpeechStopped`, `TranscriptionError`, `AudioDropped`)
and transport `APIError`s; ``wire_events=True`` adds the typed wire events and `Closed`.

`run_realtime_file` is ``openai-sansio transcribe FILE.wav --realtime``.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import anyio.abc

from ._socket_session import SocketSession
from .audio.realtime_path import InputPath
from .errors import APIConnectionError
from .protocol._errors import RemoteProtocolError
from .protocol._realtime_types import OFF, audio_format_object
from .protocol.events.common import APIError
from .protocol.realtime_config import realtime_headers
from .protocol.trace import TraceRecorder
from .protocol.transcription import TranscriptionSession
from .protocol.transcription_config import TranscriptionConfig, session_object, transcription_url
from .protocol.transcription_events import (
    AudioDropped,
    FinalTranscript,
    InterimTranscript,
    SpeechStarted,
    SpeechStopped,
    TranscriptFailed,
    TranscriptionError,
    UsageTotals,
)
from .transports._ws_events import Closed, TextMessage
from .transports._ws_report import record_received
from .transports.reconnect import Opened, open_with_backoff
from .transports.ws import WebSocketTransport, trace_to_recorder

if TYPE_CHECKING:
    from .client import Client

__all__ = ["TranscriptionConnection", "run_realtime_file"]

_CONCLUSIONS = (
    InterimTranscript,
    FinalTranscript,
    TranscriptFailed,
    SpeechStarted,
    SpeechStopped,
    TranscriptionError,
    AudioDropped,
)


class TranscriptionConnection(SocketSession):
    """See the module docstring. Entering opens the socket and raises its errors typed.

    `config` (a `TranscriptionConfig`) wins over `model`, `language`, `prompt`,
    `turn_detection` and `include_logprobs`. `turn_detection`: left out = the model's default
    (server VAD; none for the models that refuse it), ``None`` = no VAD (end each utterance
    with `flush`), or a `ServerVAD` / `SemanticVAD`. `trace` is a `TraceRecorder` or a
    ``write(bytes)`` callable (a ``transcription`` trace is recorded)."""

    def __init__(
        self,
        client: Client,
        *,
        model: str = "gpt-4o-transcribe",
        config: TranscriptionConfig | None = None,
        language: str | None = None,
        prompt: str | None = None,
        turn_detection: Any = ...,
        include_logprobs: bool = True,
        input_rate: int = 24000,
        input_channels: int = 1,
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        url: str | None = None,
        interim_interval_s: float = 0.0,
        max_buffered_audio_ms: float = 2000.0,
        wire_events: bool = False,
        reconnect_attempts: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
        max_events: int = 4096,
        ids: Callable[[], str] | None = None,
        **transport_options: Any,
    ) -> None:
        super().__init__()
        if config is None:
            config = TranscriptionConfig(
                model=model,
                language=language,
                prompt=prompt,
                turn_detection=None
                if turn_detection is ...
                else (OFF if turn_detection is None else turn_detection),
                include_logprobs=include_logprobs,
            )
        self.config = config
        self.machine = TranscriptionSession(
            session_object(config),
            ids=ids,
            interim_interval_s=interim_interval_s,
            max_buffered_audio_ms=max_buffered_audio_ms,
        )
        self.input = InputPath(
            input_rate,
            channels=input_channels,
            fmt=audio_format_object(config.input_format)["type"],
        )
        self._url = transcription_url(client.config, url=url)
        self._headers = realtime_headers(client.config)
        if trace is not None and not isinstance(trace, TraceRecorder):
            trace = TraceRecorder(
                trace,
                api="transcription",
                started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                config={"model": config.model, "session": session_object(config)},
            )
        self._recorder = trace
        if client.ssl_context is not None:
            transport_options.setdefault("ssl_context", client.ssl_context)
        transport_options.setdefault("allow_insecure", client.allow_insecure)
        self._transport_options = transport_options
        self._wire_events = wire_events
        self._reconnect_attempts = reconnect_attempts
        self._backoff = (backoff_base, backoff_cap)
        self._jitter = jitter
        self._tx, self._rx = anyio.create_memory_object_stream[Any](max_events)
        self._wake = anyio.Event()
        self._lost = anyio.Event()
        self._unsent: list[bytes] = []
        self._fatal: TranscriptionError | None = None

    # ------------------------------------------------------------------ commands

    def send_audio(self, pcm: bytes) -> None:
        """Caller PCM16 at `input_rate` / `input_channels`; converted and queued (bounded)."""
        converted = self.input.push(pcm)
        if converted:
            self.machine.append_audio(converted)
            self._wake.set()

    def flush(self) -> str:
        """End the utterance: the resampler's tail, then ``input_audio_buffer.commit``."""
        tail = self.input.flush()
        if tail:
            self.machine.append_audio(tail)
        event_id = self.machine.flush()
        self._app("flush", {}, event_id)
        return event_id

    def clear(self) -> str:
        self.input.flush()
        event_id = self.machine.clear()
        self._app("clear", {}, event_id)
        return event_id

    def update(self, **changes: Any) -> str:
        """A ``session.update`` with GA ``session`` fields (kept for later sockets)."""
        event_id = self.machine.update(**changes)
        self._app("update", dict(changes), event_id)
        return event_id

    def finish(self) -> str | None:
        """No more audio: the resampler's tail goes out, then the machine's `finish` (with
        client commits, a commit of the audio since the last one; under server VAD, a commit
        only if the server still hears speech once it has processed everything). The
        iteration ends once every transcript (or failure) is reported, also across a
        reconnection. Returns the commit's event id, if one was sent now."""
        tail = self.input.flush()
        if tail:
            self.machine.append_audio(tail)
        event_id = self.machine.finish()
        self._app("finish", {}, event_id)
        return event_id

    @property
    def usage(self) -> UsageTotals:
        """Usage summed over the final transcripts so far."""
        return self.machine.usage

    def _app(self, call: str, args: dict[str, Any], result: Any) -> None:
        if self._recorder is not None:
            self._recorder.app(self._now(), call, args, result)
        self._wake.set()

    # ------------------------------------------------------------------ events

    def __aiter__(self) -> TranscriptionConnection:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self._rx.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def _deliver(self) -> None:
        for event in self.machine.events():
            if isinstance(event, TranscriptionError) and event.error.classification == "fatal":
                self._fatal = event
                self._lost.set()
            if self._wire_events or isinstance(event, _CONCLUSIONS):
                await self._emit(event)
        if self.machine.finished:
            self._tx.close()  # every transcript is out: the iteration ends

    async def _emit(self, item: Any) -> None:
        try:
            self._tx.send_nowait(item)
        except anyio.WouldBlock:
            await self._tx.send(item)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass  # the caller's iteration already ended

    # ------------------------------------------------------------------ lifecycle

    async def aclose(self) -> None:
        """Close the socket (1000) and stop; the event stream ends. Idempotent."""
        await super().aclose()
        self._tx.close()

    async def _supervise(self) -> None:
        first = True
        short_lived = 0
        while not self._closing and self._fatal is None:
            if short_lived > self._reconnect_attempts:
                await self._emit(
                    APIError.build(
                        "the server keeps closing the session right after it opens",
                        code="connection_failed",
                        source="transport",
                    )
                )
                break
            if short_lived:
                base, cap = self._backoff
                await anyio.sleep(
                    min(cap, base * 2 ** (short_lived - 1)) * (0.5 + 0.5 * self._jitter())
                )
            try:
                connector = await self._open()
            except Exception as exc:
                if first:
                    self._first_opened(exc)
                    return
                error = getattr(exc, "error", None)
                if not isinstance(error, APIError):
                    error = APIError.build(str(exc), code="connection_failed", source="transport")
                await self._emit(error)
                break
            first = False
            self._lost = anyio.Event()
            opened_at = anyio.current_time()
            async with connector as ws:
                self._first_opened()
                await self._serve(ws)
            brief = anyio.current_time() - opened_at < 1.0
            short_lived = short_lived + 1 if brief else 0
            if not self._closing:
                if self._recorder is not None:
                    closed = connector.ws.closed
                    self._recorder.closed(self._now(), closed.code if closed else None)
                unsent, self._unsent = self._unsent, []
                self.machine.connection_lost(unsent)
                await self._deliver()
        self._tx.close()

    async def _open(self) -> Opened:
        def connect() -> Any:
            options = dict(self._transport_options)
            if self._recorder is not None:
                options["trace"] = trace_to_recorder(self._recorder, t0=self._t0, inbound=False)
            return WebSocketTransport.connect(self._url, headers=self._headers, **options)

        base, cap = self._backoff
        return await open_with_backoff(
            connect, attempts=self._reconnect_attempts, base=base, cap=cap, jitter=self._jitter
        )

    async def _serve(self, ws: WebSocketTransport) -> None:
        self._ws = ws
        self.machine.connection_made(anyio.current_time())
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._writer, ws)
                self._wake.set()
                await self._reader(ws)
                group.cancel_scope.cancel()
        finally:
            self._ws = None

    async def _reader(self, ws: WebSocketTransport) -> None:
        machine = self.machine
        while not self._closing and not self._lost.is_set():
            deadline = machine.next_deadline()
            with anyio.move_on_after(
                max(0.0, deadline - anyio.current_time()) if deadline is not None else None
            ) as scope:
                event = await ws.receive()
            if scope.cancelled_caught:
                machine.handle_timeout(anyio.current_time())
                await self._deliver()
                continue
            if isinstance(event, TextMessage):
                try:
                    if self._recorder is not None:
                        record_received(self._recorder, self._now(), event.data)
                    machine.receive_message(event.data, anyio.current_time())
                except RemoteProtocolError as exc:
                    await self._emit(APIError.build(str(exc), code="bad_frame", source="transport"))
                    return
                await self._deliver()
                self._wake.set()
            elif isinstance(event, Closed):
                if self._wire_events:
                    await self._emit(event)
                return

    async def _writer(self, ws: WebSocketTransport) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            frames = self.machine.data_to_send()
            if not frames:
                continue
            try:
                await ws.send_texts(frames)
            except APIConnectionError:
                self._unsent = frames  # a transcription session dies with its socket:
                return  # whatever of them arrived is gone, so they go first on the next
            except anyio.get_cancelled_exc_class():
                self._unsent = frames  # the reader saw the socket close mid-write
                raise


# ---------------------------------------------------------------------- the CLI's realtime path


def _writer(file: Any) -> Callable[[bytes], None]:
    def write(data: bytes) -> None:
        file.write(data)

    return write


def describe(event: Any) -> str | None:
    """One printed line for a transcription event (``None``: nothing to print)."""
    if isinstance(event, InterimTranscript):
        return f"[interim {event.item_id}] {event.text}"
    if isinstance(event, FinalTranscript):
        confidence = "n/a" if event.confidence is None else f"{event.confidence:.3f}"
        return f"[final {event.item_id}] {event.text} (confidence {confidence})"
    if isinstance(event, TranscriptFailed):
        detail = f": {event.error.message}" if event.error is not None else ""
        return f"[failed {event.item_id}] {event.reason}{detail}"
    if isinstance(event, TranscriptionError):
        return f"[error {event.error.classification}] {event.error.code}: {event.error.message}"
    if isinstance(event, APIError):
        return f"[error] {event.code}: {event.message}"
    return None


async def run_realtime_file(
    client: Client,
    path: str,
    *,
    model: str,
    language: str | None,
    out: TextIO,
    trace: str | None,
    speed: float,
) -> int:
    """Stream the WAV at `path` at real time x `speed` (0 or less: as fast as possible) in
    20 ms chunks through a transcription session, print interim and final lines with their
    confidence to `out`, commit the rest at the end and wait for the last final. Returns 0
    (1 when the session ended on an error before every transcript was in)."""
    from .audio import read_wav

    wav = read_wav(path)
    chunk_frames = max(1, wav.rate // 50)
    pcm = wav.samples.astype("<i2").tobytes()
    step = chunk_frames * 2 * wav.channels
    trace_file = open(trace, "wb") if trace else None  # noqa: SIM115 - closed below
    failed = False
    try:
        async with TranscriptionConnection(
            client,
            model=model,
            language=language,
            input_rate=wav.rate,
            input_channels=wav.channels,
            trace=_writer(trace_file) if trace_file is not None else None,
        ) as session:

            async def feed() -> None:
                for start in range(0, len(pcm), step):
                    session.send_audio(pcm[start : start + step])
                    if speed > 0:
                        await anyio.sleep(chunk_frames / wav.rate / speed)
                    else:
                        await anyio.sleep(0)
                session.finish()

            async with anyio.create_task_group() as group:
                group.start_soon(feed)
                async for event in session:
                    line = describe(event)
                    if line is not None:
                        print(line, file=out, flush=True)
                    if isinstance(event, APIError) or (
                        isinstance(event, TranscriptionError)
                        and event.error.classification == "fatal"
                    ):
                        failed = True
                        break
                group.cancel_scope.cancel()
            usage = session.usage
            print(
                f"[usage] transcripts={usage.transcripts} input_tokens={usage.input_tokens} "
                f"output_tokens={usage.output_tokens} seconds={usage.seconds:.3f}",
                file=out,
                flush=True,
            )
    finally:
        if trace_file is not None:
            trace_file.close()
    return 1 if failed else 0
