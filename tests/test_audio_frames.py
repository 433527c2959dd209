"""openai_sansio.audio.frames.Framer: exact frames from bursty arrays or bytes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.frames import Framer


def split(total: int, cuts: list[int]) -> list[tuple[int, int]]:
    points = sorted({0, total, *(c % (total + 1) for c in cuts)})
    return list(itertools.pairwise(points))


# --------------------------------------------------------------------------- arrays


@given(
    rate_ms=st.sampled_from(
        [(8000, 20.0), (24000, 20.0), (16000, 10.0), (44100, 10.0), (8000, 0.5)]
    ),
    channels=st.integers(1, 3),
    dtype=st.sampled_from([np.int16, np.float32]),
    interleaved=st.booleans(),
    total=st.integers(0, 3000),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    pad=st.booleans(),
)
def test_arrays_lose_and_duplicate_nothing(
    rate_ms: tuple[int, float],
    channels: int,
    dtype: type,
    interleaved: bool,
    total: int,
    cuts: list[int],
    pad: bool,
) -> None:
    rate, frame_ms = rate_ms
    framer = Framer(rate, channels=channels, frame_ms=frame_ms)
    size = framer.frame_samples
    signal = (np.arange(total * channels) % 30011 - 15000).astype(dtype).reshape(-1, channels)
    frames: list[np.ndarray] = []
    pushed = 0
    for a, b in split(total, cuts):
        chunk = signal[a:b].reshape(-1) if interleaved else signal[a:b]
        got = framer.push(chunk)
        pushed += b - a
        assert len(frames) + len(got) == pushed // size  # a frame as soon as it is complete
        frames += got
        assert framer.pending_samples == pushed % size
    tail = framer.flush(pad=pad)
    assert framer.pending_samples == 0 and framer.flush() == []
    remainder = total % size
    assert len(frames) == total // size and len(tail) == (1 if remainder else 0)
    for frame in frames:
        assert frame.dtype == dtype
        assert frame.shape == ((size * channels,) if interleaved else (size, channels))
    if tail:
        want = size if pad else remainder
        assert tail[0].shape == ((want * channels,) if interleaved else (want, channels))
    joined = np.concatenate([f.reshape(-1, channels) for f in frames + tail]) if total else None
    if joined is not None:
        assert np.array_equal(joined[:total], signal)  # every sample once, in order
        assert not joined[total:].any()  # padding is silence


def test_array_frames_layouts_and_views() -> None:
    framer = Framer(8000, channels=2, frame_ms=1.0)  # 8 samples per frame
    x = np.arange(32, dtype=np.int16)
    frames = framer.push(x)  # aligned, no pending: views of x
    assert [f.tolist() for f in frames] == [list(range(0, 16)), list(range(16, 32))]
    assert all(np.shares_memory(f, x) for f in frames)
    frames = framer.push(x.reshape(-1, 2)[:3])
    assert frames == [] and framer.pending_samples == 3
    last = framer.flush(pad=False)
    assert len(last) == 1 and last[0].shape == (3, 2)


def test_pending_is_owned_not_a_view() -> None:
    framer = Framer(8000, frame_ms=1.0)
    x = np.arange(5, dtype=np.int16)
    framer.push(x)
    x[:] = 0  # the caller reuses its buffer
    assert framer.push(np.arange(5, 8, dtype=np.int16))[0].tolist() == list(range(8))


def test_array_stream_errors() -> None:
    framer = Framer(8000, channels=2)
    with pytest.raises(AudioError, match="multiple of channels"):
        framer.push(np.zeros(3, np.int16))
    with pytest.raises(AudioError, match="int16 or float32"):
        framer.push(np.zeros(4, np.float64))
    with pytest.raises(AudioError, match="numpy array"):
        framer.push(b"\x00\x00\x00\x00")  # type: ignore[arg-type]
    framer.push(np.zeros(4, np.int16))
    with pytest.raises(AudioError, match="int16"):
        framer.push(np.zeros(4, np.float32))  # one dtype per stream
    with pytest.raises(AudioError, match="push_bytes"):
        framer.push_bytes(b"\x00" * 8)  # one mode per stream
    assert len(framer.flush()) == 1
    assert framer.push_bytes(b"\x00" * 640) == [b"\x00" * 640]  # a new stream may switch


# --------------------------------------------------------------------------- bytes


@given(
    channels=st.integers(1, 2),
    width=st.sampled_from([1, 2]),
    frames_in=st.integers(0, 1200),
    cuts=st.lists(st.integers(0, 100_000), max_size=15),
    pad=st.booleans(),
    pad_byte=st.sampled_from([0, 0xFF]),
)
def test_bytes_with_arbitrary_splits(
    channels: int, width: int, frames_in: int, cuts: list[int], pad: bool, pad_byte: int
) -> None:
    framer = Framer(8000, channels=channels, sample_width=width, frame_ms=10.0, pad_byte=pad_byte)
    size = framer.frame_bytes
    assert size == 80 * channels * width
    data = bytes((i * 7 + 3) % 251 for i in range(frames_in * channels * width))
    out: list[bytes] = []
    fed = 0
    for a, b in split(len(data), cuts):
        got = framer.push_bytes(data[a:b])
        fed += b - a
        assert all(len(f) == size for f in got)
        out += got
        assert len(out) == fed // size
        assert framer.pending_samples == (fed % size) // (channels * width)
    tail = framer.flush(pad=pad)
    assert len(out) == len(data) // size
    rest = len(data) % size
    assert len(tail) == (1 if rest else 0)
    if tail:
        assert len(tail[0]) == (size if pad else rest)
    joined = b"".join(out + tail)
    assert joined[: len(data)] == data
    assert joined[len(data) :] == bytes([pad_byte]) * (len(joined) - len(data))


def test_bytes_mid_sample_splits_and_errors() -> None:
    framer = Framer(8000, frame_ms=0.25)  # 2 samples = 4 bytes
    assert framer.push_bytes(b"\x01") == []
    assert framer.push_bytes(bytearray(b"\x02\x03")) == []
    assert framer.pending_samples == 1
    assert framer.push_bytes(memoryview(b"\x04\x05")) == [b"\x01\x02\x03\x04"]
    with pytest.raises(AudioError, match="mid-sample"):
        framer.flush()
    assert framer.pending_samples == 0 and framer.flush() == []  # reset all the same
    with pytest.raises(AudioError, match="bytes-like"):
        framer.push_bytes("text")  # type: ignore[arg-type]
    framer.push_bytes(b"\x00\x00")
    with pytest.raises(AudioError, match="push_bytes"):
        framer.push(np.zeros(2, np.int16))


def test_ulaw_padding_is_silence() -> None:
    framer = Framer(8000, sample_width=1, pad_byte=0xFF)
    assert framer.push_bytes(b"\x7f" * 100) == []
    assert framer.flush() == [b"\x7f" * 100 + b"\xff" * 60]


def test_flush_after_aligned_bytes_is_empty() -> None:
    framer = Framer(8000, sample_width=1)
    assert framer.push_bytes(b"\x00" * 320) == [b"\x00" * 160] * 2
    assert framer.flush() == []


def test_reset_drops_pending() -> None:
    framer = Framer(24000)
    framer.push_bytes(b"\x00" * 100)
    framer.reset()
    assert framer.pending_samples == 0 and framer.flush() == []


# --------------------------------------------------------------------------- construction


def test_frame_sizes() -> None:
    assert Framer(24000).frame_samples == 480
    assert Framer(24000).frame_bytes == 960
    assert Framer(44100, frame_ms=10).frame_samples == 441
    assert Framer(10000, frame_ms=0.3).frame_samples == 3  # 0.3 is the decimal, not binary
    assert Framer(48000, channels=2, frame_ms=2.5).frame_bytes == 480
    assert "Framer(24000" in repr(Framer(24000))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((44100,), {"frame_ms": 20.01}, "whole number of samples"),
        ((44100,), {"frame_ms": 0.5}, "whole number of samples"),
        ((8000,), {"frame_ms": 0}, "whole number of samples"),
        ((8000,), {"frame_ms": -20}, "frame_ms"),
        ((8000,), {"frame_ms": float("nan")}, "frame_ms"),
        ((0,), {}, "rate"),
        ((-8000,), {}, "rate"),
        ((8000.0,), {}, "rate"),
        ((8000,), {"channels": 0}, "channels"),
        ((8000,), {"sample_width": 0}, "sample_width"),
        ((8000,), {"pad_byte": 256}, "pad_byte"),
    ],
)
def test_construction_errors(
    args: tuple[object, ...], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(AudioError, match=match):
        Framer(*args, **kwargs)  # type: ignore[arg-type]
