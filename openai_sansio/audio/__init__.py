"""Pure audio transformers (numpy + soxr): no clock, no I/O except WAV files.

- conversions: bytes <-> int16 (little-endian), int16 <-> float32, explicit-channel mixdown
  (`to_mono`) and upmix (`to_channels`);
- `Resampler`: streaming soxr resampling, chunking-invariant, with a fused PCM16-bytes path;
- G.711 mu-law / A-law, bit-exact with the ITU algorithm;
- `Framer`: exact N-ms frames from bursty arrays or bytes;
- WAV read/write (streaming, atomic writes) and `EnergyVAD` (sample-accurate segments);
- `AudioFormat` helpers for the APIs' audio formats and base64 payloads.
"""

from __future__ import annotations

from ._errors import AudioError
from .convert import (
    MAX_CHANNELS,
    float32_to_int16,
    int16_to_float32,
    pcm16_from_bytes,
    pcm16_to_bytes,
    to_channels,
    to_mono,
)
from .formats import PCM24K, PCMA, PCMU, AudioFormat, b64decode_pcm, b64encode_pcm, format_for_mime
from .frames import Framer
from .g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from .resample import QUALITIES, Resampler
from .vad import EnergyVAD, SpeechEnd, SpeechEvent, SpeechStart, VADState, segments
from .wav import (
    WavAudio,
    WavFormatError,
    WavInfo,
    WavReader,
    WavWriter,
    probe_wav,
    read_wav,
    write_wav,
)

__all__ = [
    "MAX_CHANNELS",
    "PCM24K",
    "PCMA",
    "PCMU",
    "QUALITIES",
    "AudioError",
    "AudioFormat",
    "EnergyVAD",
    "Framer",
    "Resampler",
    "SpeechEnd",
    "SpeechEvent",
    "SpeechStart",
    "VADState",
    "WavAudio",
    "WavFormatError",
    "WavInfo",
    "WavReader",
    "WavWriter",
    "alaw_decode",
    "alaw_encode",
    "b64decode_pcm",
    "b64encode_pcm",
    "float32_to_int16",
    "format_for_mime",
    "int16_to_float32",
    "pcm16_from_bytes",
    "pcm16_to_bytes",
    "probe_wav",
    "read_wav",
    "segments",
    "to_channels",
    "to_mono",
    "ulaw_decode",
    "ulaw_encode",
    "write_wav",
]
