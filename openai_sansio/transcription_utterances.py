"""The plugin's non-streaming transcription mode: audio in, one request per utterance.

What: `UtteranceStream` reads PCM blocks from an async iterable, mixes them to mono, cuts
utterances with `audio.EnergyVAD` (sample-accurate, chunking-invariant), pads each cut by
`padding_ms` of the surrounding audio, and sends each as one WAV to
``/v1/audio/transcriptions`` (up to `max_concurrency` requests in flight). Iterating yields an
`UtteranceTranscript` per utterance **in utterance order**, whatever order the requests finish
in. An utterance longer than `max_utterance_s` is cut there (the API takes 25 MB at most).

Why a context manager and not an async generator: the reader and the requests run in a task
group owned by the ``async with`` block (an async generator must not yield inside a task
group: its cancel scope would leak into the caller's frame), so leaving the block cancels
whatever is still running, on asyncio and trio alike. Errors come out typed, never wrapped in
an ``ExceptionGroup``: a failed request, or a failure reading `chunks`, is raised by the
iteration at its turn, and an exception of the caller's block propagates as it is.

Next: ``async with client.transcription.transcribe_utterances(chunks, sample_rate=16000) as
utterances: async for u in utterances: ...``. A failed request raises its exception
(`APIStatusError`, `TranscriptionError`) from the iteration, at that utterance's turn.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import numpy as np
from numpy.typing import NDArray

from .audio import (
    EnergyVAD,
    SpeechEnd,
    SpeechStart,
    float32_to_int16,
    pcm16_from_bytes,
    to_mono,
)
from .protocol.transcription_http import TranscriptionResult

if TYPE_CHECKING:
    from .transcription_client import TranscriptionResource

__all__ = ["UtteranceStream", "UtteranceTranscript"]


@dataclass(frozen=True)
class UtteranceTranscript:
    """One utterance: its position in the input (samples and ms, mono, at the input rate;
    the cut sent includes `padding_ms` around it) and the `TranscriptionResult`."""

    index: int
    start_sample: int
    end_sample: int
    start_ms: float
    end_ms: float
    result: TranscriptionResult

    @property
    def text(self) -> str:
        return self.result.text

    @property
    def confidence(self) -> float | None:
        return self.result.confidence


@dataclass
class _Slot:
    index: int
    start: int
    end: int
    done: anyio.Event = field(default_factory=anyio.Event)
    result: TranscriptionResult | None = None
    error: BaseException | None = None


class UtteranceStream:
    """``async with`` + ``async for`` over `UtteranceTranscript` (see the module docstring)."""

    def __init__(
        self,
        resource: TranscriptionResource,
        chunks: AsyncIterable[bytes | NDArray[Any]],
        *,
        sample_rate: int,
        channels: int,
        model: str,
        vad: Mapping[str, Any],
        padding_ms: float,
        max_utterance_s: float,
        max_concurrency: int,
        options: Mapping[str, Any],
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self._resource = resource
        self._chunks = chunks
        self.rate = sample_rate
        self.channels = channels
        self._model = model
        self._vad = EnergyVAD(sample_rate, **vad)
        self._padding = round(padding_ms * sample_rate / 1000)
        self._max_samples = round(max_utterance_s * sample_rate)
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._options = dict(options)
        # slots travel in utterance order; the buffer bounds how far reading runs ahead
        self._send, self._receive = anyio.create_memory_object_stream[_Slot | None](
            max_concurrency * 2
        )
        self._group: anyio.abc.TaskGroup | None = None
        # mono samples kept for cutting, from absolute sample `_base`
        self._buffer = np.zeros(0, dtype=np.int16)
        self._base = 0
        self._speech_start: int | None = None
        self._count = 0
        self._read_error: Exception | None = None  # raised by the iteration after the slots

    async def __aenter__(self) -> UtteranceStream:
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        group.start_soon(self._read)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        group, self._group = self._group, None
        if group is None:
            return None
        group.cancel_scope.cancel()
        # the block's own exception propagates as it is (the children's errors are handed
        # to the iteration, so nothing is wrapped in an ExceptionGroup here)
        await group.__aexit__(None, None, None)
        return None

    def __aiter__(self) -> UtteranceStream:
        return self

    async def __anext__(self) -> UtteranceTranscript:
        if self._group is None:
            raise RuntimeError("use transcribe_utterances(...) inside 'async with'")
        try:
            slot = await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        if slot is None:
            if self._read_error is not None:
                error, self._read_error = self._read_error, None
                raise error
            raise StopAsyncIteration
        await slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.result is not None
        rate = self.rate
        return UtteranceTranscript(
            index=slot.index,
            start_sample=slot.start,
            end_sample=slot.end,
            start_ms=slot.start * 1000.0 / rate,
            end_ms=slot.end * 1000.0 / rate,
            result=slot.result,
        )

    # ------------------------------------------------------------------ internals

    def _mono(self, chunk: bytes | NDArray[Any]) -> NDArray[np.int16]:
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            arr = pcm16_from_bytes(chunk)
        else:
            arr = np.asarray(chunk)
            if arr.dtype != np.int16:
                arr = float32_to_int16(arr.astype(np.float32, copy=False))
        return to_mono(arr, self.channels) if self.channels > 1 else arr.reshape(-1)

    async def _read(self) -> None:
        async with self._send:
            try:
                async for chunk in self._chunks:
                    mono = self._mono(chunk)
                    self._buffer = np.concatenate((self._buffer, mono))
                    for event in self._vad.push(mono):
                        await self._on_vad(event)
                    await self._force_cut()
                    self._trim()
                for event in self._vad.flush():
                    await self._on_vad(event)
            except Exception as exc:  # raised by the iteration once the slots before it are out
                self._read_error = exc
            await self._send.send(None)

    async def _on_vad(self, event: SpeechStart | SpeechEnd) -> None:
        if isinstance(event, SpeechStart):
            self._speech_start = event.sample
            return
        start = self._speech_start if self._speech_start is not None else event.start_sample
        self._speech_start = None
        if event.end_sample > start:
            await self._emit(start, event.end_sample)

    async def _force_cut(self) -> None:
        start = self._speech_start
        if start is None:
            return
        end = self._base + len(self._buffer)
        if end - start >= self._max_samples:
            await self._emit(start, end)
            self._speech_start = end

    def _trim(self) -> None:
        """Drop samples no future cut can need (bounded memory on long input)."""
        keep_from = self._base + len(self._buffer) - self._padding
        keep_from -= self._vad.min_speech_samples + self._vad.hangover_samples + self._vad.window
        if self._speech_start is not None:
            keep_from = min(keep_from, self._speech_start - self._padding)
        drop = keep_from - self._base
        if drop > 0:
            self._buffer = self._buffer[drop:]
            self._base += drop

    async def _emit(self, start: int, end: int) -> None:
        lo = max(self._base, start - self._padding)
        hi = min(self._base + len(self._buffer), end + self._padding)
        samples = self._buffer[lo - self._base : hi - self._base].copy()
        slot = _Slot(self._count, start, end)
        self._count += 1
        assert self._group is not None
        self._group.start_soon(self._request, slot, samples)
        await self._send.send(slot)

    async def _request(self, slot: _Slot, samples: NDArray[np.int16]) -> None:
        try:
            async with self._limiter:
                slot.result = await self._resource.transcribe(
                    samples, sample_rate=self.rate, model=self._model, **self._options
                )
        except Exception as exc:  # handed to the iterating caller at this slot's turn
            slot.error = exc
        finally:
            slot.done.set()
