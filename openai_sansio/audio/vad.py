"""A streaming, sample-accurate energy voice-activity detector.

What: `EnergyVAD` splits audio into speech segments by loudness. It is for cutting an utterance
out of a stream before a non-streaming transcription request (``/v1/audio/transcriptions``), or
for a local "user is talking" signal; it is not a speech/noise classifier -- any sound louder
than the threshold counts.

Why this design (the plugin we replace judged a whole arbitrary chunk by its peak sample and
counted silence as ``len(bytes) // 4``, so results depended on how the audio happened to be
chunked and the counts were off by a factor that depended on the format): here the audio is cut
into consecutive, non-overlapping windows of `window_ms` counted from the first sample ever
pushed; each window is voiced when its RMS level, in dBFS, is at least `threshold_db`; and
every position is an absolute sample index since construction. Partial windows are carried
over between `push` calls, so **any chunking of the same audio yields identical events**.

Levels: dBFS RMS with full scale 1.0 (``int16`` is divided by 32768; float input is taken as
already in [-1, 1]). A full-scale sine reads -3.01 dBFS. For several channels the RMS is taken
over all samples of all channels in the window (the mean power across channels).

Segments (states SILENCE -> MAYBE_SPEECH -> SPEECH <-> HANGOVER -> SILENCE, table in
`_TRANSITIONS`):

- a run of voiced windows becomes speech once it has lasted at least `min_speech_ms`; the
  segment starts at the first sample of the run's first window. `SpeechStart` is therefore
  **emitted late**: at the `push` that completes the confirming window, i.e. about
  `min_speech_ms` (rounded up to whole windows) after the sample it reports. A run that ends
  sooner (a click) is dropped.
- speech ends once unvoiced windows have lasted at least `hangover_ms`; the segment ends at the
  end of the last voiced window (exclusive). `SpeechEnd` is likewise emitted `hangover_ms`
  after the sample it reports. A voiced window during the hangover resumes the same segment, so
  gaps shorter than the hangover are bridged.
- `flush` (end of input) classifies the trailing partial window, then closes an open segment
  at the end of its last voiced window; an unconfirmed run is confirmed if it has reached
  `min_speech_ms` by then, and dropped otherwise.

Pure: no clock, no I/O. Next: `push` blocks as they arrive, `flush` at the end; or call
`segments` on a whole buffer. Cut with ``samples[start_sample:end_sample]``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError

__all__ = [
    "EnergyVAD",
    "SpeechEnd",
    "SpeechEvent",
    "SpeechStart",
    "VADState",
    "segments",
]

INT16_FULL_SCALE: Final = 32768.0
"""``int16`` samples are divided by this to reach full scale 1.0 (exact in binary)."""


@dataclass(frozen=True, slots=True)
class SpeechStart:
    """Speech began at absolute `sample` (``ms`` = the same position in milliseconds).

    Emitted `min_speech_ms` after that position (see the module docstring).
    """

    sample: int
    ms: float


@dataclass(frozen=True, slots=True)
class SpeechEnd:
    """A finished segment: ``[start_sample, end_sample)`` in absolute samples, and in ms.

    `start_sample` equals the preceding `SpeechStart.sample`.
    """

    start_sample: int
    end_sample: int
    start_ms: float
    end_ms: float


SpeechEvent: TypeAlias = SpeechStart | SpeechEnd
"""What `EnergyVAD.push` and `EnergyVAD.flush` return, in order."""


class VADState(enum.Enum):
    """Where the detector is: see the module docstring for the meaning of each state."""

    SILENCE = "silence"
    MAYBE_SPEECH = "maybe_speech"
    SPEECH = "speech"
    HANGOVER = "hangover"


class _Input(enum.Enum):
    VOICED = "voiced"  # a window at or above the threshold
    UNVOICED = "unvoiced"  # a window below it
    CONFIRMED = "confirmed"  # the voiced run has lasted min_speech
    EXPIRED = "expired"  # the unvoiced run has lasted hangover


_Action: TypeAlias = Callable[["EnergyVAD", int, int], None]


def _begin_run(vad: EnergyVAD, start: int, end: int) -> None:
    vad._run_start = start
    vad._voiced_end = end


def _extend_run(vad: EnergyVAD, start: int, end: int) -> None:
    vad._voiced_end = end


def _drop_run(vad: EnergyVAD, start: int, end: int) -> None:
    vad._run_start = vad._voiced_end = -1


def _begin_gap(vad: EnergyVAD, start: int, end: int) -> None:
    vad._gap_start = start


def _resume(vad: EnergyVAD, start: int, end: int) -> None:
    vad._gap_start = -1
    vad._voiced_end = end


def _nothing(vad: EnergyVAD, start: int, end: int) -> None:
    pass


def _emit_start(vad: EnergyVAD, start: int, end: int) -> None:
    vad._out.append(SpeechStart(vad._run_start, vad._ms(vad._run_start)))


def _emit_end(vad: EnergyVAD, start: int, end: int) -> None:
    s, e = vad._run_start, vad._voiced_end
    vad._out.append(SpeechEnd(s, e, vad._ms(s), vad._ms(e)))
    vad._run_start = vad._voiced_end = vad._gap_start = -1


_TRANSITIONS: Final[dict[tuple[VADState, _Input], tuple[VADState, _Action]]] = {
    (VADState.SILENCE, _Input.VOICED): (VADState.MAYBE_SPEECH, _begin_run),
    (VADState.SILENCE, _Input.UNVOICED): (VADState.SILENCE, _nothing),
    (VADState.MAYBE_SPEECH, _Input.VOICED): (VADState.MAYBE_SPEECH, _extend_run),
    (VADState.MAYBE_SPEECH, _Input.UNVOICED): (VADState.SILENCE, _drop_run),
    (VADState.MAYBE_SPEECH, _Input.CONFIRMED): (VADState.SPEECH, _emit_start),
    (VADState.SPEECH, _Input.VOICED): (VADState.SPEECH, _extend_run),
    (VADState.SPEECH, _Input.UNVOICED): (VADState.HANGOVER, _begin_gap),
    (VADState.HANGOVER, _Input.VOICED): (VADState.SPEECH, _resume),
    (VADState.HANGOVER, _Input.UNVOICED): (VADState.HANGOVER, _nothing),
    (VADState.HANGOVER, _Input.EXPIRED): (VADState.SILENCE, _emit_end),
}
"""(state, input) -> (next state, action). Pairs not listed cannot happen and raise."""


def _ms_to_samples(ms: float, rate: int) -> int:
    return round(ms * rate / 1000.0)


class EnergyVAD:
    """Streaming energy VAD over absolute sample positions; see the module docstring.

    Parameters: `rate` in Hz; `window_ms` analysis window (rounded to whole samples);
    `threshold_db` RMS level in dBFS at or above which a window is voiced; `min_speech_ms`
    voiced time needed before a run counts as speech; `hangover_ms` unvoiced time that ends
    speech; `channels` of the input (frames are ``(n, channels)`` or interleaved 1-D).

    Next: `push` each block as it arrives (int16 or float32), act on the returned events, and
    `flush` at end of input.
    """

    def __init__(
        self,
        rate: int,
        *,
        window_ms: float = 10.0,
        threshold_db: float = -40.0,
        min_speech_ms: float = 100.0,
        hangover_ms: float = 300.0,
        channels: int = 1,
    ) -> None:
        if not isinstance(rate, int) or rate < 1:
            raise AudioError(f"rate must be a positive integer (Hz), got {rate!r}")
        if not isinstance(channels, int) or channels < 1:
            raise AudioError(f"channels must be a positive integer, got {channels!r}")
        if not math.isfinite(threshold_db):
            raise AudioError(f"threshold_db must be finite, got {threshold_db!r}")
        for name, value in (("min_speech_ms", min_speech_ms), ("hangover_ms", hangover_ms)):
            if not (math.isfinite(value) and value >= 0):
                raise AudioError(f"{name} must be >= 0, got {value!r}")
        window = _ms_to_samples(window_ms, rate) if math.isfinite(window_ms) else 0
        if window < 1:
            raise AudioError(f"window_ms={window_ms!r} is less than one sample at {rate} Hz")
        self.rate = rate
        self.channels = channels
        self.window = window
        """Window length in samples (per channel)."""
        self.threshold_db = threshold_db
        self.min_speech_samples = _ms_to_samples(min_speech_ms, rate)
        self.hangover_samples = _ms_to_samples(hangover_ms, rate)
        # Voiced when sum(x**2) over the window >= this power * (samples in the window).
        self._threshold_power = 10.0 ** (threshold_db / 10.0)
        self.reset()

    def reset(self) -> None:
        """Forget everything: back to SILENCE at sample 0, pending partial window dropped."""
        self.state = VADState.SILENCE
        self._position = 0  # samples (per channel) classified so far = start of next window
        self._pending = np.zeros((0, self.channels), dtype=np.float64)
        self._run_start = -1  # first sample of the current voiced run / segment
        self._voiced_end = -1  # end (exclusive) of the last voiced window
        self._gap_start = -1  # first sample of the current unvoiced gap inside speech
        self._out: list[SpeechEvent] = []

    @property
    def position(self) -> int:
        """Absolute samples (per channel) pushed so far, including a pending partial window."""
        return self._position + len(self._pending)

    @property
    def in_speech(self) -> bool:
        """True between a `SpeechStart` and its `SpeechEnd` (including the hangover)."""
        return self.state in (VADState.SPEECH, VADState.HANGOVER)

    def _ms(self, sample: int) -> float:
        return sample * 1000.0 / self.rate

    def _frames(self, samples: NDArray[np.generic]) -> NDArray[np.float64]:
        arr = np.asarray(samples)
        if arr.dtype == np.int16:
            scaled = arr.astype(np.float64) / INT16_FULL_SCALE
        elif arr.dtype == np.float32 or arr.dtype == np.float64:
            scaled = arr.astype(np.float64)
        else:
            raise AudioError(f"VAD input must be int16 or float32, got {arr.dtype}")
        if scaled.ndim == 1:
            if scaled.size % self.channels:
                raise AudioError(
                    f"{scaled.size} interleaved samples are not a whole number of"
                    f" {self.channels}-channel frames"
                )
            return scaled.reshape(-1, self.channels)
        if scaled.ndim == 2 and scaled.shape[1] == self.channels:
            return scaled
        raise AudioError(
            f"VAD input must be shaped (n, {self.channels}) or interleaved 1-D, got {arr.shape}"
        )

    def _voiced(self, block: NDArray[np.float64]) -> bool:
        flat = block.reshape(1, -1)
        power = float((flat * flat).sum(axis=1)[0])
        return bool(power >= self._threshold_power * block.size)

    def _step(self, inp: _Input, start: int, end: int) -> None:
        try:
            nxt, action = _TRANSITIONS[(self.state, inp)]
        except KeyError:  # pragma: no cover - the table is total for reachable pairs
            raise AudioError(f"VAD: no transition from {self.state} on {inp}") from None
        action(self, start, end)
        self.state = nxt

    def _window(self, voiced: bool, start: int, end: int) -> None:
        """Feed one classified window ``[start, end)`` through the table, then the timers."""
        self._step(_Input.VOICED if voiced else _Input.UNVOICED, start, end)
        if self.state is VADState.MAYBE_SPEECH and end - self._run_start >= self.min_speech_samples:
            self._step(_Input.CONFIRMED, start, end)
        elif self.state is VADState.HANGOVER and end - self._gap_start >= self.hangover_samples:
            self._step(_Input.EXPIRED, start, end)

    def push(self, samples: NDArray[np.generic]) -> list[SpeechEvent]:
        """Consume a block (int16, or float32/float64 in [-1, 1]; ``(n, channels)`` or
        interleaved 1-D with whole frames).

        Returns the events completed by this block, oldest first (often empty). Call `flush`
        after the last block.
        """
        frames = self._frames(samples)
        if len(self._pending):
            frames = np.concatenate([self._pending, frames])
        w = self.window
        n_windows = len(frames) // w
        if n_windows:
            full = frames[: n_windows * w].reshape(n_windows, w * self.channels)
            # Row-wise reduction: each window's sum depends only on its own samples, so the
            # result does not depend on how many windows this block happens to hold.
            power = (full * full).sum(axis=1)
            voiced = power >= self._threshold_power * (w * self.channels)
            base = self._position
            for i, v in enumerate(voiced.tolist()):
                self._window(v, base + i * w, base + (i + 1) * w)
            self._position = base + n_windows * w
        self._pending = frames[n_windows * w :].copy()
        out, self._out = self._out, []
        return out

    def flush(self) -> list[SpeechEvent]:
        """End of input: classify the trailing partial window, close an open segment.

        Returns the last events. The detector is then back in SILENCE and may keep receiving
        audio; positions continue from where they were.
        """
        if len(self._pending):
            start = self._position
            end = start + len(self._pending)
            self._window(self._voiced(self._pending), start, end)
            self._position = end
            self._pending = self._pending[:0]
        if self.state in (VADState.MAYBE_SPEECH, VADState.SPEECH):
            # End of input counts as silence: drops an unconfirmed run, opens the hangover.
            self._step(_Input.UNVOICED, self._position, self._position)
        if self.state is VADState.HANGOVER:
            self._step(_Input.EXPIRED, self._position, self._position)
        out, self._out = self._out, []
        return out


def segments(
    samples: NDArray[np.generic],
    rate: int,
    *,
    window_ms: float = 10.0,
    threshold_db: float = -40.0,
    min_speech_ms: float = 100.0,
    hangover_ms: float = 300.0,
    channels: int = 1,
) -> list[tuple[int, int]]:
    """One-shot: the ``(start_sample, end_sample)`` speech segments of a whole buffer.

    Same parameters and semantics as `EnergyVAD`; slice with ``samples[start:end]``.
    """
    vad = EnergyVAD(
        rate,
        window_ms=window_ms,
        threshold_db=threshold_db,
        min_speech_ms=min_speech_ms,
        hangover_ms=hangover_ms,
        channels=channels,
    )
    events = vad.push(samples) + vad.flush()
    return [(e.start_sample, e.end_sample) for e in events if isinstance(e, SpeechEnd)]
