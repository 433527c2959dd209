"""Re-chunk bursty audio into frames of exactly one size (e.g. 20 ms), carrying the remainder.

Audio arrives in whatever pieces the network or the sound card delivers (a WebSocket delta
may hold 37.3 ms, a socket read may end mid-sample); encoders, VADs and jitter buffers want
fixed frames. A `Framer` holds back less than one frame between calls, never drops or
duplicates a sample, and at the end of a stream `flush` pads the last partial frame.

One `Framer` serves one stream in one mode: either arrays (`push`) or raw little-endian
bytes (`push_bytes`); mixing the two before a `flush` / `reset` is an AudioError. Typical
use: ``for frame in framer.push_bytes(chunk): vad.process(frame)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError
from .convert import _check_channels, _frames_view, _require_array
from .formats import _exact, _positive_int

__all__ = ["Framer"]

_ARRAYS = "arrays"
_BYTES = "bytes"
_DTYPES = (np.dtype(np.int16), np.dtype(np.float32))


class Framer:
    """Cut a stream into frames of ``rate * frame_ms / 1000`` samples (per channel).

    Args:
        rate: sample rate in Hz.
        channels: channels per sample frame; arrays come interleaved 1-D or ``(n, channels)``.
        frame_ms: frame duration; it must be a whole number of samples at `rate` (20 ms at
            24 kHz = 480 samples; 10 ms at 44.1 kHz = 441) or AudioError.
        sample_width: bytes per sample in `push_bytes` (2 for PCM16, 1 for G.711); arrays
            carry their own dtype (int16 or float32).
        pad_byte: the byte `flush` pads byte frames with: 0 is silence for PCM, but G.711
            silence is 0xFF (mu-law) or 0xD5 (A-law). Arrays are padded with zeros.

    `push` / `push_bytes` return the complete frames (possibly none); `flush` ends the
    stream and returns the partial last frame, if any; the framer is then ready for a new
    stream, in either mode.
    """

    __slots__ = (
        "_buf",
        "_dtype",
        "_mode",
        "_ndim",
        "_pending",
        "channels",
        "frame_bytes",
        "frame_ms",
        "frame_samples",
        "pad_byte",
        "rate",
        "sample_width",
    )

    def __init__(
        self,
        rate: int,
        *,
        channels: int = 1,
        frame_ms: float = 20.0,
        sample_width: int = 2,
        pad_byte: int = 0,
    ) -> None:
        self.rate = _positive_int(rate, "rate")
        self.channels = _check_channels(channels)
        self.sample_width = _positive_int(sample_width, "sample_width")
        if isinstance(pad_byte, bool) or not isinstance(pad_byte, int) or not 0 <= pad_byte <= 255:
            raise AudioError(f"pad_byte must be an int in 0..255, got {pad_byte!r}")
        self.pad_byte = pad_byte
        exact = _exact(frame_ms, "frame_ms") * self.rate / 1000
        if exact <= 0 or exact.denominator != 1:
            raise AudioError(
                f"frame_ms={frame_ms} at {self.rate} Hz is {float(exact):g} samples: a frame "
                "must be a positive whole number of samples"
            )
        self.frame_ms = float(frame_ms)
        self.frame_samples = int(exact)
        self.frame_bytes = self.frame_samples * self.channels * self.sample_width
        self._mode: str | None = None
        self._dtype: np.dtype[Any] | None = None
        self._ndim = 1
        self._pending: NDArray[Any] | None = None  # (k, channels), k < frame_samples
        self._buf = bytearray()

    def __repr__(self) -> str:
        return (
            f"Framer({self.rate}, channels={self.channels}, frame_ms={self.frame_ms:g}, "
            f"sample_width={self.sample_width})"
        )

    @property
    def pending_samples(self) -> int:
        """Samples per channel held back for the next frame (always < `frame_samples`)."""
        if self._mode == _BYTES:
            return len(self._buf) // (self.channels * self.sample_width)
        return 0 if self._pending is None else self._pending.shape[0]

    def _enter(self, mode: str) -> None:
        if self._mode is None:
            self._mode = mode
        elif self._mode != mode:
            raise AudioError(
                f"this Framer is framing {self._mode} in the current stream: use one Framer "
                "per stream, or flush() / reset() before switching between push and push_bytes"
            )

    def push(self, samples: NDArray[Any]) -> list[NDArray[Any]]:
        """Add samples; return every complete frame, in the layout of `samples`.

        `samples`: int16 or float32 (one dtype per stream), interleaved 1-D or
        ``(n, channels)``. Each returned frame has `frame_samples` samples per channel:
        1-D interleaved for 1-D input, ``(frame_samples, channels)`` otherwise. Frames may be
        views of `samples` (no copy when the input is frame-aligned): do not write into
        `samples` afterwards while you still use them.
        """
        arr = _require_array(samples)
        if arr.dtype not in _DTYPES:
            raise AudioError(f"samples must be int16 or float32, got {arr.dtype}")
        frames = _frames_view(arr, self.channels)
        self._enter(_ARRAYS)
        if self._dtype is None:
            self._dtype = arr.dtype
        elif arr.dtype != self._dtype:
            raise AudioError(f"this stream carries {self._dtype} samples, got {arr.dtype}")
        self._ndim = arr.ndim
        if self._pending is not None:
            frames = np.concatenate((self._pending, frames))
            self._pending = None
        size = self.frame_samples
        full = frames.shape[0] // size
        if full * size < frames.shape[0]:
            self._pending = frames[full * size :].copy()  # own it: the caller may reuse theirs
        out = [frames[i * size : (i + 1) * size] for i in range(full)]
        if arr.ndim == 1:
            out = [f.reshape(-1) for f in out]
        return out

    def push_bytes(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add raw little-endian PCM bytes; return every complete frame (`frame_bytes` each).

        Chunks may end anywhere, mid-sample included: the remainder is carried.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise AudioError(f"data must be bytes-like, got {type(data).__name__}")
        self._enter(_BYTES)
        size = self.frame_bytes
        buf = self._buf
        if not buf and len(data) == size and not isinstance(data, memoryview):
            return [bytes(data)]  # the common aligned case: one frame in, one frame out
        buf += data
        full = len(buf) // size
        if not full:
            return []
        with memoryview(buf) as view:
            out = [bytes(view[i * size : (i + 1) * size]) for i in range(full)]
        del buf[: full * size]
        return out

    def flush(self, pad: bool = True) -> list[Any]:
        """End the stream: the partial last frame, if any, as a list of 0 or 1 frames.

        With `pad` (default) the frame is completed to full size with silence (zeros, or
        `pad_byte` for bytes); without, it keeps only the samples that arrived. The frame is
        an array or bytes, as the stream was. A byte stream that ended mid-sample is an
        AudioError (the framer is reset all the same). Afterwards the framer is empty and
        ready for a new stream in either mode.
        """
        mode, pending, buf, ndim = self._mode, self._pending, self._buf, self._ndim
        self.reset()
        if mode == _BYTES:
            if not buf:
                return []
            frame_bytes = self.channels * self.sample_width
            if len(buf) % frame_bytes:
                raise AudioError(
                    f"the byte stream ended mid-sample: {len(buf) % frame_bytes} stray byte(s) "
                    f"after {len(buf) // frame_bytes} whole sample frame(s)"
                )
            if pad:
                buf += bytes([self.pad_byte]) * (self.frame_bytes - len(buf))
            return [bytes(buf)]
        if pending is None:
            return []
        if pad:
            padded = np.zeros((self.frame_samples, self.channels), dtype=pending.dtype)
            padded[: pending.shape[0]] = pending
            pending = padded
        return [pending.reshape(-1) if ndim == 1 else pending]

    def reset(self) -> None:
        """Drop whatever is pending, without output (e.g. on barge-in)."""
        self._mode = None
        self._dtype = None
        self._pending = None
        self._buf = bytearray()
