"""G.711 mu-law and A-law (``audio/pcmu``, ``audio/pcma``), vectorised with lookup tables.

Bit-exact with the ITU-T G.711 reference algorithm (the ITU-T G.191 software tools' segment
coder): 16-bit input is reduced to the 14-bit (mu-law) or 13-bit (A-law) magnitude by a
right shift, negative samples through their **one's complement** (``~x``), then coded as
sign, 3-bit segment and 4-bit mantissa, with mu-law's bias of 33 and its bits inverted and
A-law's even bits inverted (``^ 0x55``). Silence codes: mu-law 0 -> 0xFF, A-law 0 -> 0xD5.

Python's ``audioop`` (removed in 3.13) uses Sun's older code: identical A-law, identical
decoding, but its mu-law encoder truncates negative samples in two's complement, so for a
negative ``x`` it gives the ITU code of ``x - 4`` (one 14-bit step more negative) and codes
-1..-4 as 0x7E instead of the negative zero 0x7F. 508 of the 65536 inputs differ; the tests
pin that relation.

All four functions work on any shape (one ``take`` from a table per call); the decoders also
take the raw bytes of an audio event. Typical chain for a telephony stream:
``b64decode_pcm`` -> `ulaw_decode` -> ``Resampler`` (8 kHz -> 24 kHz); the other way
``Resampler`` (-> 8 kHz) -> `ulaw_encode` -> ``.tobytes()``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError
from .convert import _require_array, _require_int16

__all__ = ["alaw_decode", "alaw_encode", "ulaw_decode", "ulaw_encode"]


def _segment(values: NDArray[np.int32], first_bit: int) -> NDArray[np.int32]:
    """Per value, how many of the 7 thresholds ``2**first_bit .. 2**(first_bit + 6)`` it reaches."""
    seg = np.zeros_like(values)
    for bit in range(first_bit, first_bit + 7):
        seg += values >= (1 << bit)
    return seg


def _all_int16() -> tuple[NDArray[np.int32], NDArray[np.bool_]]:
    """Every int16 value in the order of its uint16 bit pattern, and which are >= 0."""
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16).astype(np.int32)
    return x, x >= 0


def _build_ulaw_encode() -> NDArray[np.uint8]:
    x, positive = _all_int16()
    magnitude = np.where(positive, x, ~x) >> 2  # 14-bit magnitude, one's complement if < 0
    biased = np.minimum(magnitude + 33, 0x1FFF)
    seg = _segment(biased, 6)  # 0..7
    mantissa = (biased >> (seg + 1)) & 0x0F
    code = (seg << 4) | mantissa
    coded: NDArray[np.int32] = code ^ np.where(positive, 0xFF, 0x7F)
    return coded.astype(np.uint8)


def _build_alaw_encode() -> NDArray[np.uint8]:
    x, positive = _all_int16()
    magnitude = np.where(positive, x, ~x) >> 4  # 12-bit magnitude, one's complement if < 0
    seg = _segment(magnitude, 4)  # 0..7; segments 0 and 1 share the step size
    mantissa = (magnitude >> np.maximum(seg - 1, 0)) & 0x0F
    code = (seg << 4) | mantissa | np.where(positive, 0x80, 0)
    return (code ^ 0x55).astype(np.uint8)


def _build_ulaw_decode() -> NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    seg, mantissa = (u >> 4) & 0x07, u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << seg) - 0x84
    return np.where(u & 0x80, -magnitude, magnitude).astype(np.int16)


def _build_alaw_decode() -> NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg, mantissa = (a >> 4) & 0x07, a & 0x0F
    magnitude = np.where(
        seg == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(seg - 1, 0)
    )
    return np.where(a & 0x80, magnitude, -magnitude).astype(np.int16)


def _frozen(table: NDArray[np.generic]) -> None:
    table.setflags(write=False)


# Built once at import (about a millisecond): 64 KiB per encoder, 512 B per decoder.
_ULAW_ENCODE = _build_ulaw_encode()
_ALAW_ENCODE = _build_alaw_encode()
_ULAW_DECODE = _build_ulaw_decode()
_ALAW_DECODE = _build_alaw_decode()
for _table in (_ULAW_ENCODE, _ALAW_ENCODE, _ULAW_DECODE, _ALAW_DECODE):
    _frozen(_table)
del _table


def _codes(data: NDArray[np.uint8] | bytes | bytearray | memoryview) -> NDArray[np.uint8]:
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            return np.frombuffer(data, dtype=np.uint8)
        except (ValueError, TypeError, BufferError) as exc:
            raise AudioError(f"cannot read G.711 codes from this buffer: {exc}") from None
    arr = _require_array(data, "codes")
    if arr.dtype != np.uint8:
        raise AudioError(f"G.711 codes must be uint8 (or bytes), got {arr.dtype}")
    return arr


def ulaw_encode(samples: NDArray[np.int16]) -> NDArray[np.uint8]:
    """int16 samples -> G.711 mu-law codes (uint8, same shape). Next: ``.tobytes()``."""
    return _ULAW_ENCODE.take(_require_int16(samples).view(np.uint16))


def alaw_encode(samples: NDArray[np.int16]) -> NDArray[np.uint8]:
    """int16 samples -> G.711 A-law codes (uint8, same shape). Next: ``.tobytes()``."""
    return _ALAW_ENCODE.take(_require_int16(samples).view(np.uint16))


def ulaw_decode(codes: NDArray[np.uint8] | bytes | bytearray | memoryview) -> NDArray[np.int16]:
    """G.711 mu-law codes (uint8 array or raw bytes) -> int16 samples (same shape)."""
    return _ULAW_DECODE.take(_codes(codes))


def alaw_decode(codes: NDArray[np.uint8] | bytes | bytearray | memoryview) -> NDArray[np.int16]:
    """G.711 A-law codes (uint8 array or raw bytes) -> int16 samples (same shape)."""
    return _ALAW_DECODE.take(_codes(codes))
