"""Audio side of the Realtime emulator: input decoding, server VAD, synthetic speech (pure).

What: `decode_audio()` turns an ``input_audio_buffer.append`` payload (base64 in the session's
input format) into its bytes and int16 samples; `TurnDetector` runs the energy VAD
(`openai_sansio.audio.EnergyVAD`) over everything appended, in audio time, and reports turns
in session milliseconds (``speech_started`` with the prefix padding, ``speech_stopped`` with
the silence duration); `synthesize()` renders an assistant transcript as a deterministic
waveform (one integer triangle tone per character, silence for whitespace) in the output
format; `heard_transcript()` is the emulated transcription of a user audio item.
Why: deterministic audio in and out lets a client's VAD handling, playback accounting and
truncation be checked to the sample, with no wall clock involved.
Next: `realtime_engine` feeds appends through `TurnDetector`; `realtime_response` streams
`synthesize()`'s bytes in 100 ms chunks.
"""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..audio import EnergyVAD, SpeechEnd, SpeechStart
from ..audio.formats import AudioFormat
from ..audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from .errors import ApiError

__all__ = [
    "CHAR_MS",
    "CHUNK_MS",
    "MIN_COMMIT_MS",
    "TONE_AMPLITUDE",
    "Turn",
    "TurnDetector",
    "audio_ms",
    "decode_audio",
    "heard_transcript",
    "samples_per_char",
    "synthesize",
    "threshold_db",
]

CHAR_MS = 50
"""Milliseconds of synthetic speech per transcript character at ``speed`` 1.0."""

CHUNK_MS = 100
"""Audio per ``response.output_audio.delta``."""

MIN_COMMIT_MS = 100
"""Least buffered audio ``input_audio_buffer.commit`` accepts."""

TONE_AMPLITUDE = 6000
"""Peak of the synthetic triangle tones (int16 units; about -14.7 dBFS)."""

VAD_WINDOW_MS = 10.0
VAD_MIN_SPEECH_MS = 100.0


def threshold_db(threshold: float) -> float:
    """dBFS level of a VAD ``threshold`` (0..1): ``-70 + 60 * threshold`` (0.5 -> -40 dBFS)."""
    return -70.0 + 60.0 * threshold


def audio_ms(fmt: AudioFormat, nbytes: int) -> int:
    """Whole milliseconds of `nbytes` bytes of `fmt` (rounded down)."""
    return int(nbytes * 1000 // (fmt.rate * fmt.frame_bytes))


def decode_audio(
    b64: str, fmt: AudioFormat, param: str = "audio"
) -> tuple[bytes, NDArray[np.int16]]:
    """The raw bytes of a base64 payload and its int16 samples (G.711 expanded)."""
    try:
        raw = binascii.a2b_base64(b64.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ApiError(
            400,
            "Invalid 'audio'. Expected base64-encoded audio bytes.",
            param=param,
            code="invalid_value",
        ) from None
    if fmt.sample_width == 2:
        if len(raw) % 2:
            raise ApiError(
                400,
                "Invalid 'audio'. audio/pcm must be 16-bit samples: got an odd number of bytes.",
                param=param,
                code="invalid_value",
            )
        return raw, np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if fmt.mime == "audio/pcmu":
        return raw, ulaw_decode(raw)
    return raw, alaw_decode(raw)


def encode_samples(samples: NDArray[np.int16], fmt: AudioFormat) -> bytes:
    """int16 samples in the wire encoding of `fmt`."""
    if fmt.mime == "audio/pcmu":
        return ulaw_encode(samples).tobytes()
    if fmt.mime == "audio/pcma":
        return alaw_encode(samples).tobytes()
    return samples.astype("<i2").tobytes()


def samples_per_char(fmt: AudioFormat, speed: float) -> int:
    """Samples of one transcript character: `CHAR_MS` at 1.0, divided by ``speed``."""
    return max(1, round(fmt.rate * CHAR_MS / 1000 / speed))


def _period(char: str, rate: int) -> int:
    """The tone period of one character in samples: ``rate // 1000 + (ord(char) % 64) * rate
    // 24000`` (1 ms plus up to 63 samples at 24 kHz: about 276..1000 Hz)."""
    return max(2, rate // 1000 + (ord(char) % 64) * rate // 24000)


def synthesize(text: str, fmt: AudioFormat, speed: float = 1.0) -> bytes:
    """The assistant audio of `text`: per character `samples_per_char` samples of an integer
    triangle wave (period `_period`, peak `TONE_AMPLITUDE`, starting at its minimum), silence
    for whitespace; in the wire encoding of `fmt`. Exact and platform independent."""
    size = samples_per_char(fmt, speed)
    out = np.zeros(len(text) * size, dtype=np.int16)
    n = np.arange(size, dtype=np.int64)
    amp = TONE_AMPLITUDE
    tones: dict[str, NDArray[np.int16]] = {}
    for index, char in enumerate(text):
        if char.isspace():
            continue
        tone = tones.get(char)
        if tone is None:
            period = _period(char, fmt.rate)
            ramp = (n % period) * 4 * amp // period
            tone = np.where(ramp < 2 * amp, ramp - amp, 3 * amp - ramp).astype(np.int16)
            tones[char] = tone
        out[index * size : (index + 1) * size] = tone
    return encode_samples(out, fmt)


def heard_transcript(ms: int) -> str:
    """The emulated transcription of a user audio item lasting `ms` milliseconds."""
    return f"Spoken input of {ms} milliseconds."


@dataclass(frozen=True)
class Turn:
    """A VAD event in session milliseconds: ``started`` (True) or stopped, and its position.

    For a start, `ms` is ``audio_start_ms`` (speech start minus the prefix padding, not before
    the buffer's start); for a stop, ``audio_end_ms`` (speech end plus the silence duration).
    """

    started: bool
    ms: int


class TurnDetector:
    """Server VAD over appended audio: session-millisecond turn boundaries (pure).

    `base_ms` is where this detector's first sample sits in session time (the engine starts a
    new detector when the input format or the turn detection changes, or the buffer is
    cleared). `threshold` maps to dBFS with `threshold_db`; speech must last 100 ms (10 ms
    windows) and ends after `silence_ms` of silence.
    """

    def __init__(
        self,
        fmt: AudioFormat,
        base_ms: float,
        *,
        threshold: float,
        prefix_padding_ms: int,
        silence_ms: int,
    ) -> None:
        self.fmt = fmt
        self.base_ms = base_ms
        self.prefix_padding_ms = prefix_padding_ms
        self.silence_ms = silence_ms
        self._vad = EnergyVAD(
            fmt.rate,
            window_ms=VAD_WINDOW_MS,
            threshold_db=threshold_db(threshold),
            min_speech_ms=VAD_MIN_SPEECH_MS,
            hangover_ms=float(silence_ms),
        )
        self.floor_ms = base_ms
        """Earliest ``audio_start_ms`` (the start of the current buffer)."""

    @property
    def position_ms(self) -> float:
        """Session time of the end of the audio pushed so far."""
        return self.base_ms + self._vad.position * 1000 / self.fmt.rate

    @property
    def in_speech(self) -> bool:
        return self._vad.in_speech

    def push(self, samples: NDArray[np.int16]) -> list[Turn]:
        """Feed samples; the turn boundaries they complete, in order."""
        turns: list[Turn] = []
        for event in self._vad.push(samples):
            if isinstance(event, SpeechStart):
                start = self.base_ms + event.ms - self.prefix_padding_ms
                turns.append(Turn(True, math.floor(max(start, self.floor_ms))))
            elif isinstance(event, SpeechEnd):
                end = self.base_ms + event.end_ms + self.silence_ms
                turns.append(Turn(False, math.floor(end)))
        return turns
