"""``client.transcription``: speech-to-text over HTTP and (via `connect`) realtime sessions.

    async with Client() as client:
        result = await client.transcription.transcribe("meeting.wav")
        print(result.text, result.confidence)

        async with client.transcription.stream("meeting.wav") as events:
            async for event in events:            # TranscriptTextDelta ..., TranscriptionResult
                ...

        async with client.transcription.transcribe_utterances(mic_frames, sample_rate=16000)
                as utterances:                     # EnergyVAD cuts, one request per utterance
            async for utterance in utterances:     # in utterance order
                print(utterance.start_ms, utterance.result.text)

        async with client.transcription.connect(model="gpt-4o-transcribe") as session:
            ...                                    # realtime: see transcription_session

The wire (multipart body, SSE or JSON chosen by the response Content-Type) is decided by the
pure `protocol.transcription_http`; this module turns audio into an upload (a WAV built from
`openai_sansio.audio` conversions), moves bytes, and raises `APIStatusError` for an error
status or `TranscriptionError` when `transcribe` ends without a completed transcript.
"""

from __future__ import annotations

import io
import os
import secrets
import wave
from collections.abc import AsyncIterable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import numpy as np
from numpy.typing import NDArray

from ._event_stream import EventStream
from ._tracing import as_recorder
from .audio import float32_to_int16, pcm16_from_bytes, pcm16_to_bytes, to_mono
from .errors import OpenAISansIOError
from .protocol._errors import LocalProtocolError
from .protocol.events.common import APIError
from .protocol.requests import HTTPRequest
from .protocol.trace import TraceRecorder
from .protocol.transcription_http import (
    TranscriptionResponse,
    TranscriptionResult,
    build_transcription_request,
)
from .transcription_utterances import UtteranceStream, UtteranceTranscript

if TYPE_CHECKING:
    from .client import Client
    from .transcription_session import TranscriptionConnection

__all__ = [
    "AudioSource",
    "TranscriptionError",
    "TranscriptionResource",
    "TranscriptionStream",
    "UtteranceTranscript",
    "audio_upload",
    "wav_bytes",
]

AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview | NDArray[Any]
"""A path, a file's bytes (WAV, mp3, ...), raw PCM16 bytes or a numpy array (these two
with `sample_rate`)."""


class TranscriptionError(OpenAISansIOError):
    """`transcribe` ended without a completed transcript: the stream was cut
    (``interrupted``) or reported an in-band error. `result` holds what arrived; `error`
    the typed `APIError`."""

    def __init__(self, result: TranscriptionResult) -> None:
        error = result.error
        detail = f"{error.code}: {error.message}" if error is not None else result.status
        super().__init__(f"transcription {result.status} ({detail})")
        self.result = result
        self.error: APIError | None = error


def wav_bytes(samples: NDArray[Any], rate: int, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV file (in memory) of `samples`: int16, or float in [-1, 1]
    (converted with `audio.float32_to_int16`); interleaved 1-D or ``(n, channels)``;
    several channels are mixed to mono (`audio.to_mono`), which is what speech needs."""
    arr = np.asarray(samples)
    if arr.dtype in (np.float32, np.float64):
        arr = float32_to_int16(arr)
    if arr.dtype != np.int16:
        raise LocalProtocolError(f"audio samples must be int16 or float, got {arr.dtype}")
    if arr.ndim == 2:
        channels = int(arr.shape[1])
    mono = to_mono(arr, channels) if channels > 1 else arr.reshape(-1)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm16_to_bytes(np.ascontiguousarray(mono)))
    return buffer.getvalue()


async def audio_upload(
    source: AudioSource,
    *,
    sample_rate: int | None = None,
    channels: int | None = None,
    filename: str | None = None,
) -> tuple[bytes, str]:
    """``(file bytes, filename)`` for `source`: a path is read as is; bytes are a file's
    content unless `sample_rate` says they are raw PCM16 (made into a WAV, as a numpy array
    is)."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        data = await anyio.Path(path).read_bytes()
        return data, filename or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        if sample_rate is None:
            data = bytes(source)
            if filename is None and data[:4] != b"RIFF":
                raise LocalProtocolError(
                    "bytes that are not a WAV need filename= (its extension names the format), "
                    "or sample_rate= when they are raw PCM16"
                )
            return data, filename or "audio.wav"
        return wav_bytes(pcm16_from_bytes(source), sample_rate, channels or 1), "audio.wav"
    if isinstance(source, np.ndarray):
        if sample_rate is None:
            raise LocalProtocolError("numpy audio needs sample_rate=")
        return wav_bytes(source, sample_rate, channels or 1), filename or "audio.wav"
    raise LocalProtocolError(f"cannot transcribe a {type(source).__name__}")


def _boundary() -> str:
    return "openai-sansio-" + secrets.token_hex(16)


class TranscriptionStream(EventStream[TranscriptionResult]):
    """One transcription request: an async context manager and an async iterator of events.

    Entering uploads the audio and waits for the response head (`APIStatusError` for an
    error status). Iterating yields `TranscriptTextDelta` / `TranscriptTextSegment` /
    `TranscriptTextDone` (SSE answers), `APIError` for a cut stream, and last the
    `TranscriptionResult` (the only event of a plain JSON/text answer). `result` is set once
    it was yielded; `until_done()` drains the rest. An `EventStream` whose request is built on
    entering (reading a file is I/O): after the result the body's tail is drained, so the
    connection is reused; exiting early closes it.
    """

    machine: TranscriptionResponse

    def __init__(
        self,
        client: Client,
        source: AudioSource,
        params: dict[str, Any],
        *,
        sample_rate: int | None,
        channels: int | None,
        filename: str | None,
        trace: TraceRecorder | None,
    ) -> None:
        machine = TranscriptionResponse(response_format=params.get("response_format"))
        super().__init__(client, None, machine, TranscriptionResult, trace)
        self._source = source
        self._params = params
        self._sample_rate = sample_rate
        self._channels = channels
        self._filename = filename

    def _build(self, audio: bytes, filename: str) -> HTTPRequest:
        for _ in range(8):
            try:
                return build_transcription_request(
                    self._client.config,
                    audio=audio,
                    filename=filename,
                    boundary=_boundary(),
                    **self._params,
                )
            except LocalProtocolError as exc:
                if exc.error_hint != "boundary_in_content":
                    raise
        raise LocalProtocolError("no multipart boundary found that the audio does not contain")

    async def _prepare(self) -> HTTPRequest:
        audio, filename = await audio_upload(
            self._source,
            sample_rate=self._sample_rate,
            channels=self._channels,
            filename=self._filename,
        )
        return self._build(audio, filename)

    async def __aenter__(self) -> TranscriptionStream:
        await super().__aenter__()
        return self

    def __aiter__(self) -> TranscriptionStream:
        return self


class TranscriptionResource:
    """``client.transcription``: `transcribe` / `stream` (HTTP), `transcribe_utterances`
    (the plugin's non-streaming mode: VAD-segmented, one request per utterance) and
    `connect` (a realtime transcription session)."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def stream(
        self,
        file_or_audio: AudioSource,
        *,
        model: str = "gpt-4o-transcribe",
        stream: bool = True,
        language: str | None = None,
        prompt: str | None = None,
        include_logprobs: bool = False,
        sample_rate: int | None = None,
        channels: int | None = None,
        filename: str | None = None,
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        **options: Any,
    ) -> TranscriptionStream:
        """One transcription as a `TranscriptionStream` (``async with`` + ``async for``).

        `options` are further `build_transcription_request` arguments (response_format,
        temperature, languages, keywords, timestamp_granularities, chunking_strategy,
        known_speaker_names, known_speaker_references, extra_fields). `trace` records the
        exchange (a `TraceRecorder` or a ``write(line)`` callable, api
        ``transcription-http``)."""
        params = {
            "model": model,
            "stream": stream,
            "language": language,
            "prompt": prompt,
            "include_logprobs": include_logprobs,
            **options,
        }
        return TranscriptionStream(
            self._client,
            file_or_audio,
            params,
            sample_rate=sample_rate,
            channels=channels,
            filename=filename,
            trace=as_recorder(trace, api="transcription-http", config={"model": model}),
        )

    async def transcribe(
        self,
        file_or_audio: AudioSource,
        *,
        model: str = "gpt-4o-transcribe",
        stream: bool = False,
        language: str | None = None,
        prompt: str | None = None,
        include_logprobs: bool = False,
        sample_rate: int | None = None,
        channels: int | None = None,
        trace: TraceRecorder | Callable[[bytes], None] | None = None,
        **options: Any,
    ) -> TranscriptionResult:
        """Transcribe a whole file or buffer and return the `TranscriptionResult`.

        Raises `APIStatusError` for an error status and `TranscriptionError` when the
        answer ended without a completed transcript (a cut stream, an in-band error)."""
        async with self.stream(
            file_or_audio,
            model=model,
            stream=stream,
            language=language,
            prompt=prompt,
            include_logprobs=include_logprobs,
            sample_rate=sample_rate,
            channels=channels,
            trace=trace,
            **options,
        ) as events:
            result = await events.until_done()
        if result.status != "completed":
            raise TranscriptionError(result)
        return result

    def transcribe_utterances(
        self,
        audio_chunks: AsyncIterable[bytes | NDArray[Any]],
        *,
        sample_rate: int,
        channels: int = 1,
        model: str = "gpt-4o-transcribe",
        vad: Mapping[str, Any] | None = None,
        padding_ms: float = 200.0,
        max_utterance_s: float = 300.0,
        max_concurrency: int = 4,
        **options: Any,
    ) -> UtteranceStream:
        """The plugin's non-streaming mode: `audio_chunks` (PCM16 bytes or numpy blocks,
        interleaved `channels`) are cut into utterances by `audio.EnergyVAD` (`vad` are its
        keyword options), each sent as one WAV request (up to `max_concurrency` at once);
        ``async with ... as utterances: async for u in utterances`` yields an
        `UtteranceTranscript` per utterance, in utterance order. `options` go to
        `transcribe` (language, prompt, include_logprobs, response_format, ...).

        Returns an async context manager, not an async generator: the requests run in a
        task group that the ``async with`` block owns (leaving it cancels them); a failed
        request raises its typed error from the iteration at its utterance's turn."""
        return UtteranceStream(
            self,
            audio_chunks,
            sample_rate=sample_rate,
            channels=channels,
            model=model,
            vad=dict(vad or {}),
            padding_ms=padding_ms,
            max_utterance_s=max_utterance_s,
            max_concurrency=max_concurrency,
            options=options,
        )

    def connect(self, **options: Any) -> TranscriptionConnection:
        """A realtime transcription session (``async with``; see
        `transcription_session.TranscriptionConnection` for `options`)."""
        from .transcription_session import TranscriptionConnection

        return TranscriptionConnection(self._client, **options)
