"""openai_sansio.audio.convert: PCM16 bytes, int16 <-> float32, channel mixing."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.convert import (
    MAX_CHANNELS,
    float32_to_int16,
    int16_to_float32,
    pcm16_from_bytes,
    pcm16_to_bytes,
    to_channels,
    to_mono,
)

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
int16s = st.integers(-32768, 32767)


def int16_frames(max_channels: int = 8) -> st.SearchStrategy[tuple[np.ndarray, int]]:
    """(an (n, channels) int16 array, channels)."""

    def build(channels: int) -> st.SearchStrategy[tuple[np.ndarray, int]]:
        rows = st.lists(st.lists(int16s, min_size=channels, max_size=channels), max_size=40)
        return rows.map(lambda r: (np.array(r, dtype=np.int16).reshape(-1, channels), channels))

    return st.integers(1, max_channels).flatmap(build)


# --------------------------------------------------------------------------- bytes


def test_pcm16_from_bytes_is_little_endian() -> None:
    out = pcm16_from_bytes(b"\x01\x00\xff\xff\x00\x80\xff\x7f")
    assert out.tolist() == [1, -1, -32768, 32767]
    assert out.dtype == np.dtype("<i2")


def test_pcm16_from_bytes_is_a_view() -> None:
    buf = bytearray(b"\x01\x00\x02\x00")
    out = pcm16_from_bytes(buf)
    buf[0] = 7
    assert out[0] == 7  # shares the bytearray's memory: no copy
    view = pcm16_from_bytes(memoryview(bytes(8)))
    assert view.shape == (4,)


@pytest.mark.parametrize("data", [b"\x00", b"\x00\x01\x02", bytearray(5), memoryview(b"abc")])
def test_pcm16_from_bytes_odd_count(data: bytes) -> None:
    with pytest.raises(AudioError, match="odd byte count"):
        pcm16_from_bytes(data)


def test_pcm16_from_bytes_rejects_non_bytes_and_strided_views() -> None:
    with pytest.raises(AudioError):
        pcm16_from_bytes("abcd")  # type: ignore[arg-type]
    with pytest.raises(AudioError):
        pcm16_from_bytes(memoryview(bytes(16))[::2])


@given(st.lists(int16s, max_size=200))
def test_pcm16_bytes_round_trip(values: list[int]) -> None:
    x = np.array(values, dtype=np.int16)
    data = pcm16_to_bytes(x)
    assert data == b"".join(v.to_bytes(2, "little", signed=True) for v in values)
    assert np.array_equal(pcm16_from_bytes(data), x)


def test_pcm16_to_bytes_byte_order_and_layout() -> None:
    big = np.array([1, -2], dtype=">i2")
    assert pcm16_to_bytes(big) == b"\x01\x00\xfe\xff"
    stereo = np.array([[1, 2], [3, 4]], dtype=np.int16)
    assert pcm16_to_bytes(stereo) == pcm16_to_bytes(np.array([1, 2, 3, 4], dtype=np.int16))
    assert pcm16_to_bytes(np.array([[1, 3], [2, 4]], dtype=np.int16).T) == pcm16_to_bytes(stereo)
    with pytest.raises(AudioError, match="int16"):
        pcm16_to_bytes(np.zeros(3, dtype=np.float32))  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="numpy array"):
        pcm16_to_bytes([1, 2])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- int16 <-> float32


def test_int16_to_float32_scale() -> None:
    out = int16_to_float32(np.array([-32768, 0, 16384, 32767], dtype=np.int16))
    assert out.dtype == np.float32
    assert out.tolist() == [-1.0, 0.0, 0.5, 32767 / 32768]
    assert int16_to_float32(np.array([1, 2], dtype=">i2")).tolist() == [1 / 32768, 2 / 32768]
    with pytest.raises(AudioError):
        int16_to_float32(np.zeros(2, dtype=np.int32))  # type: ignore[arg-type]


def test_every_int16_round_trips_through_float32() -> None:
    assert np.array_equal(float32_to_int16(int16_to_float32(ALL_INT16)), ALL_INT16)


def test_float32_to_int16_rounds_clips_and_maps_nan() -> None:
    x = np.array(
        [0.5, -1.0, 1.0, 1.5, -2.0, 1e30, -1e30, np.inf, -np.inf, np.nan, 0.5 / 32768],
        dtype=np.float32,
    )
    assert float32_to_int16(x).tolist() == [
        16384, -32768, 32767, 32767, -32768, 32767, -32768, 32767, -32768, 0, 0
    ]  # fmt: skip
    ties = np.array([0.5, 1.5, 2.5, -0.5, -1.5], dtype=np.float32) / 32768
    assert float32_to_int16(ties).tolist() == [0, 2, 2, 0, -2]  # ties to even
    assert float32_to_int16(np.array([0.25, -0.25])).tolist() == [8192, -8192]  # float64 ok
    with pytest.raises(AudioError, match="float"):
        float32_to_int16(np.zeros(2, dtype=np.int16))  # type: ignore[arg-type]


@given(st.lists(st.floats(width=32, allow_nan=True, allow_infinity=True), max_size=100))
def test_float32_to_int16_never_wraps(values: list[float]) -> None:
    x = np.array(values, dtype=np.float32)
    out = float32_to_int16(x)
    assert out.dtype == np.int16
    for v, o in zip(values, out.tolist(), strict=True):
        if math.isnan(v):
            assert o == 0
        else:
            expected = min(
                max(round(Fraction(v) * 32768) if math.isfinite(v) else v, -32768), 32767
            )
            assert o == expected, (v, o)


# --------------------------------------------------------------------------- to_mono


def _mean_half_away(row: np.ndarray) -> int:
    q = Fraction(int(row.astype(np.int64).sum()), row.shape[0])
    r = math.floor(abs(q) + Fraction(1, 2))
    return r if q >= 0 else -r


@given(int16_frames())
def test_to_mono_int16_rounds_half_away_from_zero(case: tuple[np.ndarray, int]) -> None:
    frames, channels = case
    out = to_mono(frames, channels)
    assert out.dtype == np.int16 and out.shape == (frames.shape[0],)
    assert out.tolist() == [_mean_half_away(row) for row in frames]
    assert np.array_equal(to_mono(frames.reshape(-1), channels), out)  # interleaved 1-D


@given(st.lists(int16s, max_size=50), st.integers(1, 8))
def test_to_mono_of_identical_channels_is_exact(values: list[int], channels: int) -> None:
    x = np.array(values, dtype=np.int16)
    assert np.array_equal(to_mono(to_channels(x, channels), channels), x)
    f = int16_to_float32(x) * np.float32(0.3)
    assert np.array_equal(to_mono(to_channels(f, channels), channels), f)
    assert np.array_equal(to_mono(to_channels(f, channels, interleaved=False), channels), f)


@given(st.lists(st.tuples(st.integers(-32767, 32767), st.integers(-32767, 32767)), max_size=40))
def test_to_mono_int16_is_odd_symmetric(rows: list[tuple[int, int]]) -> None:
    x = np.array(rows, dtype=np.int16).reshape(-1)
    assert np.array_equal(to_mono(-x, 2), -to_mono(x, 2))


def test_to_mono_int16_extremes_and_ties() -> None:
    x = np.array([[32767, 32767], [-32768, -32768], [32767, -32768], [1, 0], [-1, 0], [3, 4]])
    assert to_mono(x.astype(np.int16), 2).tolist() == [32767, -32768, -1, 1, -1, 4]


@given(st.lists(st.tuples(st.floats(-1, 1, width=32), st.floats(-1, 1, width=32)), max_size=40))
def test_to_mono_float32_two_channels_is_correctly_rounded(rows: list[tuple[float, float]]) -> None:
    x = np.array(rows, dtype=np.float32).reshape(-1, 2)
    out = to_mono(x, 2)
    assert out.dtype == np.float32
    expected = [np.float32((Fraction(float(a)) + Fraction(float(b))) / 2) for a, b in x]
    assert out.tolist() == [float(e) for e in expected]


def test_to_mono_float32_many_channels_and_layouts() -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert to_mono(x, 3).tolist() == [1.0, 4.0, 7.0, 10.0]
    assert to_mono(x.reshape(-1), 3).tolist() == [1.0, 4.0, 7.0, 10.0]
    assert to_mono(np.asfortranarray(x), 3).tolist() == [1.0, 4.0, 7.0, 10.0]


def test_to_mono_single_channel_is_not_copied() -> None:
    x = np.arange(5, dtype=np.int16)
    assert to_mono(x, 1) is x
    col = x.reshape(-1, 1)
    out = to_mono(col, 1)
    assert out.shape == (5,) and np.shares_memory(out, x)


@pytest.mark.parametrize(
    ("samples", "channels", "match"),
    [
        (np.zeros(5, np.int16), 2, "not a multiple of channels=2"),
        (np.zeros((4, 3), np.int16), 2, r"does not match channels=2"),
        (np.zeros((2, 2, 2), np.int16), 2, "1-D interleaved or"),
        (np.zeros(4, np.float64), 2, "int16 or float32"),
        (np.zeros(4, np.int32), 2, "int16 or float32"),
        (np.zeros(4, np.int16), 0, "channels must be in"),
        (np.zeros(4, np.int16), -2, "channels must be in"),
        (np.zeros(4, np.int16), MAX_CHANNELS + 1, "channels must be in"),
        (np.zeros(4, np.int16), True, "channels must be an int"),
        (np.zeros(4, np.int16), 2.0, "channels must be an int"),
        ([0, 0], 2, "numpy array"),
    ],
)
def test_to_mono_errors(samples: object, channels: object, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        to_mono(samples, channels)  # type: ignore[call-overload]


def test_audio_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        to_mono(np.zeros(3, np.int16), 2)


# --------------------------------------------------------------------------- to_channels


def test_to_channels_layouts() -> None:
    x = np.array([1, 2, 3], dtype=np.int16)
    assert to_channels(x, 2).tolist() == [1, 1, 2, 2, 3, 3]
    assert to_channels(x, 2, interleaved=False).tolist() == [[1, 1], [2, 2], [3, 3]]
    assert to_channels(x, 1) is x
    assert to_channels(x, 1, interleaved=False).shape == (3, 1)
    assert to_channels(x.astype(np.float32), 3).dtype == np.float32
    with pytest.raises(AudioError, match="1-D"):
        to_channels(np.zeros((3, 2), np.int16), 2)
    with pytest.raises(AudioError, match="channels"):
        to_channels(x, 0)
