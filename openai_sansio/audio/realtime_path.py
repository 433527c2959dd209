"""The audio path of a Realtime session: the caller's audio in, the agent's audio out. Pure.

- `InputPath`: PCM16 at any rate and channel count -> the session's input format, converted
  once and streaming (mixdown and resampling fused in one soxr pass, then G.711 when the
  session takes ``audio/pcmu`` / ``audio/pcma``). Chunks may end mid-sample or mid-frame: the
  remainder is carried.
- `OutputPath`: the session's output format (24 kHz PCM16, or 8 kHz G.711) -> PCM16 at the
  caller's rate and channel count, in exact frames (`frame_ms`, 20 ms by default). `flush()`
  at the end of a response pads the last frame with silence; `reset()` on barge-in drops
  what is buffered (those samples were never delivered, so they were never played).

Next: feed `InputPath.push` bytes to ``RealtimeSession.append_audio``; feed each
``response.output_audio.delta`` to `OutputPath.push` and play the frames it returns.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np

from ._errors import AudioError
from .convert import pcm16_from_bytes, pcm16_to_bytes
from .frames import Framer
from .g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from .resample import Resampler

__all__ = ["SESSION_RATES", "InputPath", "OutputPath", "SessionAudioFormat"]

SessionAudioFormat = Literal["audio/pcm", "audio/pcmu", "audio/pcma"]
SESSION_RATES: Final[dict[str, int]] = {"audio/pcm": 24000, "audio/pcmu": 8000, "audio/pcma": 8000}


def _rate_of(fmt: str) -> int:
    try:
        return SESSION_RATES[fmt]
    except KeyError:
        raise AudioError(
            f"unknown session audio format {fmt!r}; expected one of {', '.join(SESSION_RATES)}"
        ) from None


class InputPath:
    """Caller PCM16 (`rate` Hz, `channels` interleaved) -> session input bytes (`fmt`)."""

    def __init__(self, rate: int, *, channels: int = 1, fmt: str = "audio/pcm") -> None:
        self.fmt = fmt
        self.session_rate = _rate_of(fmt)
        self.channels = channels
        self._resampler = Resampler(rate, self.session_rate, channels=1)
        self._width = 2 * channels
        self._odd = b""  # a chunk may end mid-sample: the part of the next whole frame

    def push(self, pcm: bytes | bytearray | memoryview) -> bytes:
        """Convert one chunk; returns the session-format bytes ready for this chunk."""
        if not self._odd and not len(pcm) % self._width:
            whole: bytes | bytearray | memoryview = pcm  # whole samples: no copy
        else:
            data = self._odd + bytes(pcm)
            cut = len(data) - len(data) % self._width
            self._odd, whole = data[cut:], data[:cut]
        if not whole:
            return b""
        resampled = self._resampler.push_pcm16_bytes(whole, self.channels)
        return self._encode(resampled)

    def flush(self) -> bytes:
        """End of an utterance: the resampler's tail (then the path is ready again)."""
        self._odd = b""
        return self._encode(self._resampler.flush_pcm16_bytes())

    def _encode(self, pcm: bytes) -> bytes:
        if self.fmt == "audio/pcm" or not pcm:
            return pcm
        samples = pcm16_from_bytes(pcm)
        codes = ulaw_encode(samples) if self.fmt == "audio/pcmu" else alaw_encode(samples)
        return codes.tobytes()


class OutputPath:
    """Session output bytes (`fmt`) -> caller PCM16 frames (`rate`, `channels`, `frame_ms`)."""

    def __init__(
        self,
        rate: int,
        *,
        channels: int = 1,
        frame_ms: float = 20.0,
        fmt: str = "audio/pcm",
    ) -> None:
        self.fmt = fmt
        self.rate = rate
        self.channels = channels
        self.session_rate = _rate_of(fmt)
        self._resampler = Resampler(self.session_rate, rate, channels=1)
        self._framer = Framer(rate, channels=channels, frame_ms=frame_ms)
        self._odd = b""  # a PCM16 delta may end mid-sample
        self.delivered_samples = 0
        """Samples per channel handed out as frames since the last `reset` (for played ms)."""

    def push(self, audio: bytes) -> list[bytes]:
        """One ``output_audio.delta`` -> the complete frames it makes."""
        if self.fmt == "audio/pcm":
            if not self._odd and not len(audio) % 2:
                pcm = audio  # whole samples (the usual delta): no copy
            else:
                data = self._odd + audio
                cut = len(data) - len(data) % 2
                self._odd, pcm = data[cut:], data[:cut]
        else:
            decoded = ulaw_decode(audio) if self.fmt == "audio/pcmu" else alaw_decode(audio)
            pcm = pcm16_to_bytes(decoded)
        return self._frames(self._resampler.push_pcm16_bytes(pcm) if pcm else b"")

    def flush(self, pad: bool = True) -> list[bytes]:
        """End of a response: the resampler's tail and the last frame (zero-padded)."""
        self._odd = b""
        frames = self._frames(self._resampler.flush_pcm16_bytes())
        tail = self._framer.flush(pad=pad)
        out = frames + [bytes(t) for t in tail]
        self.delivered_samples += sum(len(t) for t in tail) // (2 * self.channels)
        return out

    def reset(self) -> None:
        """Barge-in: drop everything buffered (it was never delivered)."""
        self._odd = b""
        self._resampler.reset()
        self._framer.reset()
        self.delivered_samples = 0

    def _frames(self, mono: bytes) -> list[bytes]:
        if not mono:
            return []
        if self.channels > 1:
            samples = pcm16_from_bytes(mono)
            mono = pcm16_to_bytes(np.repeat(samples, self.channels))
        frames = self._framer.push_bytes(mono)
        self.delivered_samples += len(frames) * self._framer.frame_samples
        return frames
