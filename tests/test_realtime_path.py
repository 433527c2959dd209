"""The Realtime audio path (`audio.realtime_path`): caller PCM in, agent frames out. Pure.

- `InputPath`: any chunking (mid-sample, mid-frame, hypothesis-chosen splits) gives the bytes
  of one push; 8/16/44.1/48 kHz, mono or stereo -> 24 kHz mono of the right length; the
  G.711 session formats (8 kHz mu-law / A-law).
- `OutputPath`: exact frames at the caller's rate and channel count, whatever the deltas'
  sizes; the padded last frame; `reset()` forgets what is buffered; `delivered_samples`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio import AudioError
from openai_sansio.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from openai_sansio.audio.realtime_path import SESSION_RATES, InputPath, OutputPath

RATES = (8000, 16000, 44100, 48000)
FORMATS = ("audio/pcm", "audio/pcmu", "audio/pcma")


def noise(n_frames: int, channels: int, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n_frames * channels) * 3000).astype("<i2").tobytes()


def sine(rate: int, ms: int, freq: float = 440.0, amp: float = 8000.0) -> np.ndarray:
    t = np.arange(rate * ms // 1000) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    pieces.append(data[start:])
    return pieces


def width(fmt: str) -> int:
    return 2 if fmt == "audio/pcm" else 1


# ------------------------------------------------------------------ InputPath


@given(
    rate=st.sampled_from(RATES),
    channels=st.integers(1, 2),
    fmt=st.sampled_from(FORMATS),
    ms=st.integers(1, 120),
    cuts=st.lists(st.integers(0, 48000 * 2 * 2 * 120 // 1000), max_size=12),
    seed=st.integers(0, 3),
)
def test_input_any_chunking_equals_one_push(
    rate: int, channels: int, fmt: str, ms: int, cuts: list[int], seed: int
) -> None:
    pcm = noise(rate * ms // 1000, channels, seed)
    whole = InputPath(rate, channels=channels, fmt=fmt)
    expected = whole.push(pcm) + whole.flush()
    chunked = InputPath(rate, channels=channels, fmt=fmt)
    got = b"".join(chunked.push(piece) for piece in split(pcm, cuts)) + chunked.flush()
    assert got == expected


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("rate", RATES)
def test_input_length_in_the_session_format(rate: int, channels: int, fmt: str) -> None:
    n = rate * 737 // 1000  # 737 ms: not a multiple of any frame size
    path = InputPath(rate, channels=channels, fmt=fmt)
    out = path.push(noise(n, channels)) + path.flush()
    session_rate = SESSION_RATES[fmt]
    assert path.session_rate == session_rate
    assert abs(len(out) / width(fmt) - n * session_rate / rate) < 1.0


@pytest.mark.parametrize("rate", RATES)
def test_input_is_mono_stereo_is_mixed_down(rate: int) -> None:
    mono = sine(rate, 300)
    same = np.repeat(mono, 2)  # L == R
    opposite = np.stack([mono, -mono], axis=1).reshape(-1)  # L == -R: mixes to silence
    a = InputPath(rate, channels=1)
    b = InputPath(rate, channels=2)
    c = InputPath(rate, channels=2)
    out_mono = a.push(mono.tobytes()) + a.flush()
    out_same = b.push(same.astype("<i2").tobytes()) + b.flush()
    out_opp = c.push(opposite.astype("<i2").tobytes()) + c.flush()
    assert len(out_same) == len(out_mono) == len(out_opp)
    diff = np.frombuffer(out_same, "<i2").astype(int) - np.frombuffer(out_mono, "<i2")
    assert np.abs(diff).max() <= 1
    assert np.abs(np.frombuffer(out_opp, "<i2")).max() <= 1
    # the tone survives at 24 kHz: most of its energy is there
    assert np.abs(np.frombuffer(out_mono, "<i2")).max() > 7000


def test_input_odd_bytes_are_carried_not_dropped() -> None:
    pcm = noise(4800, 2)
    path = InputPath(48000, channels=2)
    out = b""
    for i in range(0, len(pcm), 3):  # 3 bytes: never a whole stereo sample frame
        out += path.push(pcm[i : i + 3])
    out += path.flush()
    one = InputPath(48000, channels=2)
    assert out == one.push(pcm) + one.flush()
    assert len(out) == 2400 * 2


def test_input_passthrough_at_24k_mono() -> None:
    pcm = noise(2400, 1)
    path = InputPath(24000)
    assert path.push(pcm) + path.flush() == pcm


@pytest.mark.parametrize(
    ("fmt", "encode", "decode"),
    [("audio/pcmu", ulaw_encode, ulaw_decode), ("audio/pcma", alaw_encode, alaw_decode)],
)
def test_input_g711_is_the_8k_signal_encoded(fmt: str, encode: object, decode: object) -> None:
    # at 8 kHz nothing is resampled: the bytes are exactly the G.711 codes
    tone = sine(8000, 200)
    path = InputPath(8000, fmt=fmt)
    codes = path.push(tone.tobytes()) + path.flush()
    assert codes == encode(tone).tobytes()  # type: ignore[operator]
    # from 48 kHz stereo: 8 kHz codes whose decoding is the tone (G.711 is ~8-bit)
    stereo = np.repeat(sine(48000, 200), 2)
    path = InputPath(48000, channels=2, fmt=fmt)
    codes = path.push(stereo.astype("<i2").tobytes()) + path.flush()
    assert len(codes) == 1600
    decoded = decode(codes).astype(float)  # type: ignore[operator]
    reference = tone.astype(float)
    middle = slice(200, 1400)  # away from the resampler's edges
    error = decoded[middle] - reference[middle]
    snr = 10 * math.log10(np.mean(reference[middle] ** 2) / np.mean(error**2))
    assert snr > 25


def test_input_rejects_an_unknown_session_format() -> None:
    with pytest.raises(AudioError, match="unknown session audio format"):
        InputPath(16000, fmt="audio/opus")


# ------------------------------------------------------------------ OutputPath


@given(
    rate=st.sampled_from((8000, 16000, 24000, 44100, 48000)),
    channels=st.integers(1, 2),
    fmt=st.sampled_from(FORMATS),
    frame_ms=st.sampled_from((10, 20, 40)),
    ms=st.integers(1, 200),
    cuts=st.lists(st.integers(0, 9600), max_size=12),
)
def test_output_any_delta_sizes_give_the_same_exact_frames(
    rate: int, channels: int, fmt: str, frame_ms: int, ms: int, cuts: list[int]
) -> None:
    session_rate = SESSION_RATES[fmt]
    n = session_rate * ms // 1000
    pcm = noise(n, 1, seed=ms)
    wire = pcm if fmt == "audio/pcm" else bytes(ulaw_encode(np.frombuffer(pcm, "<i2")))
    if fmt == "audio/pcma":
        wire = bytes(alaw_encode(np.frombuffer(pcm, "<i2")))
    whole = OutputPath(rate, channels=channels, frame_ms=frame_ms, fmt=fmt)
    expected = whole.push(wire) + whole.flush()
    chunked = OutputPath(rate, channels=channels, frame_ms=frame_ms, fmt=fmt)
    got: list[bytes] = []
    for piece in split(wire, cuts):
        got += chunked.push(piece)
    got += chunked.flush()
    assert got == expected
    frame_bytes = rate * frame_ms // 1000 * channels * 2
    assert all(len(frame) == frame_bytes for frame in got)
    # the whole response, to the frame: ceil(duration / frame)
    assert len(got) == math.ceil(round(n * rate / session_rate) / (rate * frame_ms // 1000))
    assert (
        whole.delivered_samples
        == chunked.delivered_samples
        == len(got) * frame_bytes // (2 * channels)
    )


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("rate", [16000, 24000, 44100, 48000])
def test_output_frames_are_exact_and_stereo_duplicates(rate: int, channels: int) -> None:
    path = OutputPath(rate, channels=channels, frame_ms=20)
    tone = sine(24000, 330)  # 330 ms: 16.5 frames
    frames: list[bytes] = []
    for i in range(0, len(tone), 2400):  # 100 ms deltas, like the API
        frames += path.push(tone[i : i + 2400].tobytes())
    tail = path.flush()
    frames += tail
    assert len(tail) >= 1
    assert len(frames) == 17
    assert {len(f) for f in frames} == {rate // 50 * channels * 2}
    audio = np.frombuffer(b"".join(frames), "<i2").reshape(-1, channels)
    if channels == 2:
        assert np.array_equal(audio[:, 0], audio[:, 1])
    last = np.frombuffer(frames[-1], "<i2").reshape(-1, channels)
    assert not last[-(rate // 200) :].any()  # zero-padded: the last 5 ms are silence
    assert path.delivered_samples == 17 * rate // 50


@pytest.mark.parametrize(
    ("fmt", "encode"), [("audio/pcmu", ulaw_encode), ("audio/pcma", alaw_encode)]
)
def test_output_g711_decoded_and_resampled(fmt: str, encode: object) -> None:
    tone = sine(8000, 200)
    codes = bytes(encode(tone))  # type: ignore[operator]
    same_rate = OutputPath(8000, fmt=fmt, frame_ms=20)
    frames = same_rate.push(codes) + same_rate.flush()
    decode = ulaw_decode if fmt == "audio/pcmu" else alaw_decode
    assert b"".join(frames) == decode(codes).astype("<i2").tobytes()
    up = OutputPath(48000, channels=2, fmt=fmt, frame_ms=20)
    frames = up.push(codes[:777]) + up.push(codes[777:]) + up.flush()
    assert len(frames) == 10 and {len(f) for f in frames} == {960 * 4}
    left = np.frombuffer(b"".join(frames), "<i2").reshape(-1, 2)[:, 0].astype(float)
    reference = sine(48000, 200).astype(float)
    middle = slice(1200, 8400)
    error = left[middle] - reference[middle]
    assert 10 * math.log10(np.mean(reference[middle] ** 2) / np.mean(error**2)) > 25


def test_output_reset_drops_buffered_audio() -> None:
    path = OutputPath(24000, frame_ms=20)
    assert path.push(noise(700, 1)) == [noise(700, 1)[:960]]  # 480 + 220 samples
    assert path.delivered_samples == 480
    path.push(b"\x01")  # and half a sample
    path.reset()
    assert path.delivered_samples == 0
    assert path.flush() == []  # nothing was left to pad
    # the next response starts clean: no stale sample, no stray byte
    fresh = noise(480, 1, seed=9)
    assert path.push(fresh) == [fresh]


def test_output_reset_drops_the_resampler_state() -> None:
    a = OutputPath(48000, frame_ms=20)
    a.push(noise(1000, 1, seed=1))
    a.reset()
    b = OutputPath(48000, frame_ms=20)
    data = noise(2400, 1, seed=2)
    assert a.push(data) + a.flush() == b.push(data) + b.flush()


def test_output_delivered_samples_accounting() -> None:
    path = OutputPath(48000, channels=2, frame_ms=10)  # 480 samples per channel per frame
    data = noise(6000, 1, seed=3)
    total, start = 0, 0
    for size in (2400, 1, 4799, 3000, 1800):  # odd sizes: mid-sample cuts
        frames = path.push(data[start : start + size])
        start += size
        total += len(frames)
        assert path.delivered_samples == total * 480
    tail = path.flush()
    assert len(tail) >= 1
    total += len(tail)
    assert path.delivered_samples == total * 480  # the padded frame counts whole
    assert total == math.ceil(12000 / 480)  # 250 ms at 48 kHz
    path.reset()
    assert path.delivered_samples == 0


def test_output_frame_size_must_be_whole_samples() -> None:
    with pytest.raises(AudioError, match="whole number of samples"):
        OutputPath(44100, frame_ms=0.01)
    assert OutputPath(44100, frame_ms=10).push(noise(2400, 1))[0].__len__() == 441 * 2
