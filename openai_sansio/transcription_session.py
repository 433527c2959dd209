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
The socket plumbing (reader, writer, deadline timer, reconnects) is
`_machine_session.MachineSession`'s.

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

from ._machine_session import MachineSession
from .audio.realtime_path import InputPath
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


class TranscriptionConnection(MachineSession):
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
        if trace is not None and not isinstance(trace, TraceRecorder):
            trace = TraceRecorder(
                trace,
                api="transcription",
                started=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                config={"model": config.model, "session": session_object(config)},
            )
        super().__init__(
            url=transcription_url(client.config, url=url),
            headers=realtime_headers(client.config),
            max_events=max_events,
            trace=trace,
            reconnect_attempts=reconnect_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            jitter=jitter,
            transport_options={**client.socket_options(), **transport_options},
        )
        self.machine: TranscriptionSession = TranscriptionSession(
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
        self._wire_events = wire_events
        self._emit_closed = wire_events
        self._fatal: TranscriptionError | None = None

    # ------------------------------------------------------------------ commands

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
                self._leave.set()
            if self._wire_events or isinstance(event, _CONCLUSIONS):
                await self._emit(event)
        if self.machine.finished:
            self._tx.close()  # every transcript is out: the iteration ends

    def _feed(self, data: bytes) -> None:
        self.machine.receive_message(data, anyio.current_time())

    def _over(self) -> bool:
        return self._fatal is not None  # a fatal error ends the session


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
