"""Sample-format conversions: PCM16 bytes <-> arrays, int16 <-> float32, channel mixing.

The voice APIs carry 16-bit signed little-endian PCM (``audio/pcm``); DSP code (resampling,
VAD) prefers float32 in [-1.0, 1.0). These helpers are the only places where the two meet, so
the rules live here:

- bytes are always little-endian (``<i2``) whatever the host's byte order;
- int16 -> float32 divides by 32768 (so -32768 -> -1.0 exactly); float32 -> int16 multiplies
  by 32768, rounds to nearest (ties to even), saturates to [-32768, 32767] (never wraps) and
  maps NaN to 0;
- channel counts are always given by the caller, never guessed from an array's length (the
  plugin this library replaces took any even-length buffer for stereo).

Typical chain for microphone audio: `pcm16_from_bytes` -> `to_mono` -> `Resampler.push`
(``openai_sansio.audio.resample``) -> `pcm16_to_bytes` -> ``b64encode_pcm``.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError

__all__ = [
    "MAX_CHANNELS",
    "float32_to_int16",
    "int16_to_float32",
    "pcm16_from_bytes",
    "pcm16_to_bytes",
    "to_channels",
    "to_mono",
]

# Upper bound for every channel count in the audio layer: generous for microphone arrays,
# small enough that per-channel state (one soxr filter per channel) stays bounded.
MAX_CHANNELS = 256

_LE_I16 = np.dtype("<i2")
_INV_32768 = np.float32(1.0 / 32768.0)
_F32_HALF = np.array(0.5, dtype=np.float32)  # 0-d array: no scalar conversion per call
_POW2_WEIGHTS: dict[int, NDArray[np.float32]] = {}  # to_mono weights for 2, 4, 8, ... channels
_BYTES_LIKE = (bytes, bytearray, memoryview)


def _nbytes(data: bytes | bytearray | memoryview) -> int:
    return data.nbytes if isinstance(data, memoryview) else len(data)


def _check_channels(channels: object, what: str = "channels") -> int:
    """`channels` as a validated int in [1, MAX_CHANNELS]; AudioError otherwise."""
    if isinstance(channels, bool) or not isinstance(channels, int | np.integer):
        raise AudioError(f"{what} must be an int, got {type(channels).__name__}")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioError(f"{what} must be in 1..{MAX_CHANNELS}, got {channels}")
    return int(channels)


def _require_array(samples: object, what: str = "samples") -> NDArray[Any]:
    """`samples` if it is a numpy array, else AudioError naming what arrived."""
    if not isinstance(samples, np.ndarray):
        raise AudioError(f"{what} must be a numpy array, got {type(samples).__name__}")
    return samples


def _frames_view(samples: NDArray[Any], channels: int, what: str = "samples") -> NDArray[Any]:
    """`samples` as an ``(n, channels)`` array (a view when possible).

    Accepts interleaved 1-D input (length a multiple of `channels`) or an ``(n, channels)``
    array; anything else is an AudioError that says which shape was expected.
    """
    if samples.ndim == 1:
        if samples.shape[0] % channels:
            raise AudioError(
                f"{what}: interleaved length {samples.shape[0]} is not a multiple of "
                f"channels={channels}"
            )
        return samples.reshape(-1, channels)
    if samples.ndim == 2:
        if samples.shape[1] != channels:
            raise AudioError(
                f"{what}: shape {samples.shape} does not match channels={channels} "
                f"(expected (n, {channels}))"
            )
        return samples
    raise AudioError(
        f"{what}: expected a 1-D interleaved or (n, channels) array, got shape {samples.shape}"
    )


def pcm16_from_bytes(data: bytes | bytearray | memoryview) -> NDArray[np.int16]:
    """Little-endian 16-bit PCM bytes as an int16 array, without copying.

    The result is a view of `data` (read-only for `bytes`; for a `bytearray` it shares the
    memory, so later writes to the bytearray show through). Interleaved channels stay
    interleaved: pass the result to `to_mono` or `Framer.push` with an explicit channel count.
    An odd byte count is not a whole number of samples: AudioError (use
    ``Framer.push_bytes`` to re-chunk a stream that splits samples).
    """
    if not isinstance(data, _BYTES_LIKE):
        raise AudioError(f"PCM16 data must be bytes-like, got {type(data).__name__}")
    n = _nbytes(data)
    if n % 2:
        raise AudioError(f"PCM16 data has an odd byte count ({n}): not a whole number of samples")
    try:
        return np.frombuffer(data, dtype=_LE_I16)
    except (ValueError, TypeError, BufferError) as exc:  # e.g. a non-contiguous memoryview
        raise AudioError(f"cannot read PCM16 samples from this buffer: {exc}") from None


def _require_int16(samples: object, what: str = "samples") -> NDArray[np.int16]:
    """`samples` as a native-order int16 array (any 16-bit signed byte order is accepted)."""
    arr = _require_array(samples, what)
    if arr.dtype != np.int16:
        if arr.dtype.kind == "i" and arr.dtype.itemsize == 2:  # byte-swapped int16
            return arr.astype(np.int16)
        raise AudioError(f"{what} must be int16, got {arr.dtype}")
    return arr


def pcm16_to_bytes(samples: NDArray[np.int16]) -> bytes:
    """int16 samples as little-endian PCM bytes (C order, so ``(n, channels)`` interleaves).

    The inverse of `pcm16_from_bytes`; next, ``b64encode_pcm`` for an
    ``input_audio_buffer.append`` event.
    """
    arr = _require_array(samples)
    if arr.dtype.kind != "i" or arr.dtype.itemsize != 2:
        raise AudioError(f"samples must be int16, got {arr.dtype}")
    return arr.astype(_LE_I16, copy=False).tobytes()


def int16_to_float32(samples: NDArray[np.int16]) -> NDArray[np.float32]:
    """int16 samples scaled to float32 in [-1.0, 1.0): ``x / 32768`` (exact, -32768 -> -1.0).

    Shape is kept. Next: `to_mono`, ``Resampler.push`` or a VAD; back with `float32_to_int16`.
    """
    arr = _require_int16(samples)
    out = arr.astype(np.float32)
    np.multiply(out, _INV_32768, out=out)
    return out


def float32_to_int16(samples: NDArray[np.floating[Any]]) -> NDArray[np.int16]:
    """Float samples in [-1.0, 1.0] as int16: ``rint(x * 32768)`` saturated to int16.

    Rounds to nearest (ties to even); values beyond full scale clip to -32768 / 32767 (no
    wraparound: 1.5 -> 32767); NaN -> 0. Accepts float32 or float64; shape is kept. Next:
    `pcm16_to_bytes`.
    """
    arr = _require_array(samples)
    if arr.dtype != np.float32 and arr.dtype != np.float64:
        raise AudioError(f"samples must be float32 or float64, got {arr.dtype}")
    # Saturate first (in the input's dtype: a Python float does not widen it, NEP 50), so
    # the scaling cannot overflow; 32767/32768 and the powers of two are exact in float32.
    # np.minimum/np.maximum propagate NaN, which is zeroed last.
    scaled: NDArray[np.floating[Any]] = np.minimum(arr, 32767.0 / 32768.0)
    np.maximum(scaled, -1.0, out=scaled)
    np.multiply(scaled, 32768.0, out=scaled)
    np.rint(scaled, out=scaled)
    nan = np.isnan(scaled)
    if nan.any():
        scaled[nan] = 0.0
    return scaled.astype(np.int16)


@overload
def to_mono(samples: NDArray[np.int16], channels: int) -> NDArray[np.int16]: ...
@overload
def to_mono(samples: NDArray[np.float32], channels: int) -> NDArray[np.float32]: ...
def to_mono(samples: NDArray[Any], channels: int) -> NDArray[Any]:
    """Average `channels` interleaved (or ``(n, channels)``) channels into one 1-D channel.

    The dtype is kept (int16 or float32); `channels` is required, never guessed.

    - ``channels == 1``: no work, no copy: a 1-D input is returned as is, ``(n, 1)`` as a
      1-D view.
    - int16: the exact mean is **rounded to nearest, halves away from zero** (so
      ``to_mono(-x) == -to_mono(x)`` and no DC bias is added); identical channels mix to
      exactly themselves.
    - float32: two channels give ``(a + b) * 0.5``, the correctly rounded mean; more are
      summed in float64 and divided. Identical channels mix to exactly themselves.

    Next: ``Resampler.push``. For 48 kHz stereo PCM16 bytes to 24 kHz mono bytes,
    ``Resampler.push_pcm16_bytes(data, channels=2)`` does the mix inside the resampler in
    float32 (faster, and no intermediate rounding to int16).
    """
    arr = _require_array(samples)
    n_ch = _check_channels(channels)
    if arr.dtype != np.int16 and arr.dtype != np.float32:
        raise AudioError(f"samples must be int16 or float32, got {arr.dtype}")
    frames = _frames_view(arr, n_ch)
    if n_ch == 1:
        return arr if arr.ndim == 1 else frames.reshape(-1)
    if arr.dtype == np.int16:
        return _mono_int16(frames, n_ch)
    if n_ch == 2:
        out: NDArray[np.float32] = np.add(frames[:, 0], frames[:, 1])
        np.multiply(out, _F32_HALF, out=out)
        return out
    acc: NDArray[np.float64] = frames.sum(axis=1, dtype=np.float64)
    acc /= n_ch
    return acc.astype(np.float32)


def _mono_int16(frames: NDArray[np.int16], n_ch: int) -> NDArray[np.int16]:
    """The mean of the columns rounded to nearest, halves away from zero, computed exactly."""
    if n_ch & (n_ch - 1) == 0:
        # 1/n is a power of two: the float32 mean is exact (k / n needs at most 15 + 8
        # bits), so is mean + copysign(0.5, mean), and the cast truncates toward zero.
        weights = _POW2_WEIGHTS.get(n_ch)
        if weights is None:
            weights = _POW2_WEIGHTS[n_ch] = np.full((n_ch, 1), 1.0 / n_ch, dtype=np.float32)
        mean: NDArray[np.float32] = np.dot(frames.astype(np.float32), weights).reshape(-1)
        np.add(mean, np.copysign(_F32_HALF, mean), out=mean)
        return mean.astype(np.int16)
    wide = frames.astype(np.int32)  # one contiguous cast; same-type adds below are fast
    acc = np.add(wide[:, 0], wide[:, 1])
    for c in range(2, n_ch):
        np.add(acc, wide[:, c], out=acc)
    # Other counts: exact int32 sum; floor((s + k) / n) with k = n//2 rounds to nearest. For
    # even n a tie (s/n = m + 1/2) must go away from zero, i.e. down when s < 0: k = n//2 - 1
    # there, which is k = n//2 + (s >> 31): the arithmetic shift is -1 for s < 0, else 0.
    if n_ch % 2 == 0:
        np.add(acc, np.right_shift(acc, 31), out=acc)
    np.add(acc, n_ch // 2, out=acc)
    np.floor_divide(acc, n_ch, out=acc)
    return acc.astype(np.int16)


@overload
def to_channels(
    mono: NDArray[np.int16], channels: int, *, interleaved: bool = True
) -> NDArray[np.int16]: ...
@overload
def to_channels(
    mono: NDArray[np.float32], channels: int, *, interleaved: bool = True
) -> NDArray[np.float32]: ...
def to_channels(mono: NDArray[Any], channels: int, *, interleaved: bool = True) -> NDArray[Any]:
    """Duplicate a 1-D mono signal into `channels` identical channels.

    Returns interleaved 1-D samples (``L R L R ...``, what PCM bytes carry) by default, or an
    ``(n, channels)`` array with ``interleaved=False``; the dtype is kept. With
    ``channels == 1`` nothing is copied. Use it to play 24 kHz mono model audio on a stereo
    device (after ``Resampler.push`` to the device rate); `to_mono` undoes it exactly.
    """
    arr = _require_array(mono, "mono")
    n_ch = _check_channels(channels)
    if arr.ndim != 1:
        raise AudioError(f"mono must be a 1-D array, got shape {arr.shape}")
    if n_ch == 1:
        return arr if interleaved else arr.reshape(-1, 1)
    out = np.empty((arr.shape[0], n_ch), dtype=arr.dtype)
    out[...] = arr[:, None]
    return out.reshape(-1) if interleaved else out
