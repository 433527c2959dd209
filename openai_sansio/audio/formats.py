"""Audio formats of the voice APIs and the base64 helpers for audio events.

The Realtime API names its formats by MIME type: ``audio/pcm`` (16-bit signed little-endian
mono, 24 kHz only), ``audio/pcmu`` (G.711 mu-law) and ``audio/pcma`` (G.711 A-law), both
8 kHz with one byte per sample; the beta protocol spelled them ``pcm16``, ``g711_ulaw`` and
``g711_alaw``. `AudioFormat` turns durations into byte counts and back with exact arithmetic
(24 kHz PCM16 is 48 bytes per ms: ``played_ms = bytes / 48`` for truncation), so a 44.1 kHz
stream (44.1 samples per ms) does not drift.

`b64encode_pcm` / `b64decode_pcm` are the convenience path for the ``audio`` / ``delta``
strings of audio events; the protocol layer's msgspec decoder does the same job faster on the
hot path.
"""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError
from .convert import MAX_CHANNELS

__all__ = [
    "PCM24K",
    "PCMA",
    "PCMU",
    "AudioFormat",
    "b64decode_pcm",
    "b64encode_pcm",
    "format_for_mime",
]


def b64encode_pcm(data: bytes | bytearray | memoryview | NDArray[np.int16]) -> str:
    """Standard base64 (no newline) of raw audio bytes or of int16 samples (little-endian).

    Arrays are read through the buffer protocol, without a ``tobytes`` copy, when they are
    C-contiguous little-endian int16; ``(n, channels)`` arrays come out interleaved. The
    result goes into ``input_audio_buffer.append`` (``audio``).
    """
    if isinstance(data, np.ndarray):
        if data.dtype.kind != "i" or data.dtype.itemsize != 2:
            raise AudioError(f"b64encode_pcm takes int16 samples, got {data.dtype}")
        le = data.astype("<i2", copy=False)
        buf: Any = le if le.flags.c_contiguous else le.tobytes()
    elif isinstance(data, bytes | bytearray | memoryview):
        buf = data
    else:
        raise AudioError(f"b64encode_pcm takes bytes or an int16 array, got {type(data).__name__}")
    try:
        return binascii.b2a_base64(buf, newline=False).decode("ascii")
    except (TypeError, ValueError, BufferError) as exc:
        raise AudioError(f"cannot base64-encode this buffer: {exc}") from None


def b64decode_pcm(text: str | bytes) -> bytes:
    """The raw audio bytes of a base64 string (an audio event's ``delta`` or ``audio``).

    Strict: characters outside the base64 alphabet, bad padding or data after the padding are
    an AudioError (a silently dropped character would shift every later sample by a byte).
    The byte count is not checked (G.711 has one byte per sample); next, `pcm16_from_bytes`
    for ``audio/pcm`` or ``ulaw_decode`` / ``alaw_decode`` for G.711.
    """
    if not isinstance(text, str | bytes):
        raise AudioError(f"b64decode_pcm takes str or bytes, got {type(text).__name__}")
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise AudioError(f"invalid base64 audio: {exc}") from None


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise AudioError(f"{what} must be a positive int, got {value!r}")
    return value


def _exact(value: float, what: str) -> Fraction:
    """`value` as an exact Fraction (shortest decimal for floats: 0.1 ms means 1/10 ms)."""
    if isinstance(value, bool) or not isinstance(
        value, int | float | Fraction | np.integer | np.floating
    ):
        raise AudioError(f"{what} must be a number, got {type(value).__name__}")
    if isinstance(value, np.integer | np.floating):
        value = int(value) if isinstance(value, np.integer) else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise AudioError(f"{what} must be finite, got {value!r}")
    exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if exact < 0:
        raise AudioError(f"{what} must not be negative, got {value!r}")
    return exact


@dataclass(frozen=True)
class AudioFormat:
    """One audio encoding: MIME type, sample rate (Hz), channels, bytes per sample.

    All conversions are per whole sample frame (one sample of every channel) and exact:
    `bytes_per_ms` is a `Fraction` (44.1 for 44.1 kHz mono 8-bit), and counts are rounded
    only once, at the end. Build one with `format_for_mime` from a session's format object,
    or use `PCM24K`, `PCMU`, `PCMA`.
    """

    mime: str
    rate: int
    channels: int
    sample_width: int  # bytes per sample of one channel: 2 for PCM16, 1 for G.711

    def __post_init__(self) -> None:
        if not isinstance(self.mime, str) or not self.mime:
            raise AudioError(f"mime must be a non-empty str, got {self.mime!r}")
        _positive_int(self.rate, "rate")
        _positive_int(self.channels, "channels")
        _positive_int(self.sample_width, "sample_width")
        if self.channels > MAX_CHANNELS:
            raise AudioError(f"channels must be at most {MAX_CHANNELS}, got {self.channels}")

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample frame (one sample of every channel)."""
        return self.channels * self.sample_width

    @property
    def bytes_per_ms(self) -> Fraction:
        """Exact bytes per millisecond (48 for `PCM24K`, 8 for G.711; may be fractional)."""
        return Fraction(self.rate * self.frame_bytes, 1000)

    def samples_for_ms(self, ms: float) -> int:
        """Samples per channel in `ms` milliseconds, rounded to nearest (ties to even)."""
        return round(_exact(ms, "ms") * self.rate / 1000)

    def bytes_for_ms(self, ms: float) -> int:
        """Bytes of `ms` milliseconds: `samples_for_ms` whole frames, never a split sample."""
        return self.samples_for_ms(ms) * self.frame_bytes

    def ms_for_samples(self, n: int) -> float:
        """Milliseconds of `n` samples per channel (``n * 1000 / rate``)."""
        return float(Fraction(_count(n, "n") * 1000, self.rate))

    def ms_for_bytes(self, n: int) -> float:
        """Milliseconds of `n` bytes (``n / bytes_per_ms``; a partial frame counts pro rata).

        E.g. the ``audio_end_ms`` of ``conversation.item.truncate`` after playing `n` bytes.
        """
        return float(Fraction(_count(n, "n") * 1000, self.rate * self.frame_bytes))


def _count(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise AudioError(f"{what} must be a non-negative int, got {n!r}")
    return int(n)


PCM24K = AudioFormat("audio/pcm", 24000, 1, 2)
"""The Realtime API's ``audio/pcm``: 24 kHz 16-bit little-endian mono (48 bytes per ms)."""
PCMU = AudioFormat("audio/pcmu", 8000, 1, 1)
"""G.711 mu-law, 8 kHz, one byte per sample (8 bytes per ms)."""
PCMA = AudioFormat("audio/pcma", 8000, 1, 1)
"""G.711 A-law, 8 kHz, one byte per sample (8 bytes per ms)."""

_ALIASES = {
    "audio/pcm": PCM24K,
    "pcm16": PCM24K,  # beta protocol spelling
    "audio/pcmu": PCMU,
    "g711_ulaw": PCMU,
    "audio/pcma": PCMA,
    "g711_alaw": PCMA,
}


def format_for_mime(mime: str, rate: int | None = None) -> AudioFormat:
    """The `AudioFormat` for a session format: ``{"type": mime, "rate": rate}``.

    ``audio/pcm`` defaults to 24 kHz; another `rate` describes such PCM at that rate (the
    Realtime API itself accepts only 24000, so resample first). ``audio/pcmu`` and
    ``audio/pcma`` are 8 kHz only: any other `rate` is an AudioError. The beta spellings
    ``pcm16``, ``g711_ulaw`` and ``g711_alaw`` are accepted; an unknown type is an AudioError.
    """
    if not isinstance(mime, str):
        raise AudioError(f"mime must be a str, got {type(mime).__name__}")
    base = _ALIASES.get(mime.strip().lower())
    if base is None:
        known = ", ".join(sorted(_ALIASES))
        raise AudioError(f"unknown audio format {mime!r} (known: {known})")
    if rate is None or rate == base.rate:
        _positive_int(base.rate if rate is None else rate, "rate")
        return base
    _positive_int(rate, "rate")
    if base.sample_width == 1:
        raise AudioError(f"{base.mime} is 8000 Hz only, got rate={rate}")
    return AudioFormat(base.mime, rate, base.channels, base.sample_width)
