"""openai_sansio.audio.resample.Resampler: chunking invariance, quality, errors.

Quality tests use a 997 Hz tone: it does not complete a whole number of cycles in a 20 ms
chunk, so a per-chunk method cannot look exact by accident (a 1000 Hz tone would make the
plugin's per-chunk FFT look as good as a real resampler). They print their numbers (run
``pytest -s``). SINAD = power of the fitted tone / power of everything else; the tone's
amplitude and phase are fitted by least squares, then compared with the analytic input to
show the output is time-aligned (the resampler's delay is compensated by libsoxr).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.convert import (
    float32_to_int16,
    int16_to_float32,
    pcm16_from_bytes,
    pcm16_to_bytes,
    to_channels,
    to_mono,
)
from openai_sansio.audio.resample import QUALITIES, Resampler

try:
    import scipy.signal
except ImportError:  # pragma: no cover - scipy is a test/bench extra
    scipy = None  # type: ignore[assignment]

RATE_PAIRS = [
    (48000, 24000),
    (48000, 16000),
    (16000, 24000),
    (24000, 48000),
    (8000, 24000),
    (24000, 8000),
    (44100, 24000),
    (24000, 16000),
]


def run(rs: Resampler, chunks: list[NDArray]) -> NDArray:
    """Push every chunk, flush, and join the outputs (interleaved 1-D)."""
    outs = [rs.push(c).reshape(-1) for c in chunks]
    outs.append(rs.flush())
    return np.concatenate(outs)


def chunked(x: NDArray, n: int) -> list[NDArray]:
    return [x[i : i + n] for i in range(0, len(x), n)]


def split_at(x: NDArray, cuts: list[int]) -> list[NDArray]:
    points = sorted({0, len(x), *(c % (len(x) + 1) for c in cuts)})
    return [x[a:b] for a, b in itertools.pairwise(points)] or [x]


# --------------------------------------------------------------------------- invariance


@given(
    pair=st.sampled_from(RATE_PAIRS),
    channels=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
    frames=st.integers(0, 2500),
    cuts=st.lists(st.integers(0, 10**6), max_size=20),
    two_d=st.booleans(),
)
def test_any_chunking_is_bit_identical_float32(
    pair: tuple[int, int], channels: int, seed: int, frames: int, cuts: list[int], two_d: bool
) -> None:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((frames, channels)) * 0.3).astype(np.float32)
    whole = run(Resampler(*pair, channels=channels), [x])
    pieces = [p if two_d else p.reshape(-1) for p in split_at(x, cuts)]
    assert np.array_equal(run(Resampler(*pair, channels=channels), pieces), whole)
    expected = round(frames * pair[1] / pair[0])
    assert abs(whole.shape[0] // channels - expected) <= 1


@given(
    pair=st.sampled_from(RATE_PAIRS),
    seed=st.integers(0, 2**32 - 1),
    frames=st.integers(0, 2500),
    cuts=st.lists(st.integers(0, 10**6), max_size=20),
)
def test_any_chunking_int16_within_one_lsb(
    pair: tuple[int, int], seed: int, frames: int, cuts: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-32768, 32768, frames).astype(np.int16)  # full scale: clipping happens
    whole = run(Resampler(*pair), [x])
    pieces = run(Resampler(*pair), split_at(x, cuts))
    assert whole.dtype == pieces.dtype == np.int16
    assert whole.shape == pieces.shape
    # float32 inside, rounded once: in fact bit-identical (no dither), so 0 <= 1 LSB
    assert np.array_equal(whole, pieces)


@given(
    channels=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
    frames=st.integers(0, 2000),
    cuts=st.lists(st.integers(0, 10**6), max_size=12),
)
def test_push_pcm16_bytes_any_frame_chunking(
    channels: int, seed: int, frames: int, cuts: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(-20000, 20000, (frames, channels)).astype(np.int16)
    data = pcm16_to_bytes(x)
    fb = 2 * channels
    rs = Resampler(48000, 24000)
    whole = rs.push_pcm16_bytes(data, channels) + rs.flush_pcm16_bytes()
    pieces = b""
    for part in split_at(np.arange(frames), cuts):
        if len(part):
            pieces += rs.push_pcm16_bytes(data[part[0] * fb : (part[-1] + 1) * fb], channels)
    pieces += rs.flush_pcm16_bytes()
    assert pieces == whole
    # same as resampling the exact float mean (no intermediate int16 rounding)
    mean = x.astype(np.float64).mean(axis=1).astype(np.float32) / 32768
    expected = float32_to_int16(run(Resampler(48000, 24000), [mean]))
    assert whole == pcm16_to_bytes(expected)


def test_push_pcm16_bytes_mono_equals_push_int16() -> None:
    x = (np.sin(np.arange(5000) * 0.05) * 20000).astype(np.int16)
    a = Resampler(44100, 24000)
    b = Resampler(44100, 24000)
    out_a = b"".join(a.push_pcm16_bytes(pcm16_to_bytes(c)) for c in chunked(x, 441))
    out_b = b"".join(pcm16_to_bytes(b.push(c)) for c in chunked(x, 441))
    assert out_a == out_b
    assert a.flush_pcm16_bytes() == pcm16_to_bytes(b.flush())


def test_layouts_agree() -> None:
    x = np.random.default_rng(1).standard_normal((3000, 2)).astype(np.float32)
    a = run(Resampler(48000, 16000, channels=2), chunked(x, 960))
    b = run(Resampler(48000, 16000, channels=2), chunked(x.reshape(-1), 1920))
    c = run(Resampler(48000, 16000, channels=2), chunked(np.asfortranarray(x), 960))
    assert np.array_equal(a, b) and np.array_equal(a, c)
    rs = Resampler(48000, 16000, channels=2)
    assert rs.push(x[:960]).shape[1] == 2
    assert rs.push(x[:960].reshape(-1)).ndim == 1


def test_flush_makes_the_resampler_reusable_and_reset_drops_state() -> None:
    x = np.random.default_rng(2).standard_normal(4000).astype(np.float32)
    rs = Resampler(48000, 24000)
    first = run(rs, chunked(x, 960))
    assert np.array_equal(run(rs, chunked(x, 960)), first)
    rs.push(x[:1234] * 7)
    rs.reset()
    assert np.array_equal(run(rs, chunked(x, 777)), first)
    assert rs.flush().shape == (0,)  # nothing pushed: an empty tail of the last dtype
    assert rs.flush().dtype == np.float32
    fresh = Resampler(48000, 24000)
    assert fresh.flush().dtype == np.float32 and fresh.flush_pcm16_bytes() == b""
    assert fresh.flush().dtype == np.int16  # sticky: the previous stream was PCM16
    fresh.push(x[:10])
    with pytest.raises(AudioError, match="use flush"):
        fresh.flush_pcm16_bytes()


def test_zero_length_chunks() -> None:
    rs = Resampler(48000, 24000, channels=2)
    out = rs.push(np.zeros((0, 2), np.int16))
    assert out.shape == (0, 2) and out.dtype == np.int16
    assert rs.push(np.zeros(0, np.int16)).shape == (0,)
    assert rs.push_pcm16_bytes(b"") == b""


def test_identity_is_a_pass_through() -> None:
    rs = Resampler(24000, 24000, channels=2)
    x = np.arange(10, dtype=np.int16)
    assert rs.push(x) is x
    f = np.zeros((3, 2), np.float32)
    with pytest.raises(AudioError, match="dtype"):
        rs.push(f)  # still one dtype per stream
    assert rs.flush().dtype == np.int16
    assert rs.push(f) is f
    rs.reset()
    data = bytes(range(8))
    assert rs.push_pcm16_bytes(data) == data
    mono = Resampler(24000, 24000)
    stereo = pcm16_to_bytes(np.array([1, 2, -3, -4], np.int16))
    assert mono.push_pcm16_bytes(stereo, 2) == pcm16_to_bytes(np.array([2, -4], np.int16))


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((0, 24000), {}, "from_rate"),
        ((48000, -1), {}, "to_rate"),
        ((48000.0, 24000), {}, "from_rate must be an int"),
        ((True, 24000), {}, "from_rate must be an int"),
        ((48000, 10**7), {}, "to_rate"),
        ((48000, 24000), {"channels": 0}, "channels"),
        ((48000, 24000), {"channels": 2.0}, "channels"),
        ((48000, 24000), {"quality": "best"}, "quality"),
        ((48000, 24000), {"quality": 4}, "quality"),
    ],
)
def test_construction_errors(
    args: tuple[object, ...], kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(AudioError, match=match):
        Resampler(*args, **kwargs)  # type: ignore[arg-type]


def test_every_quality_works() -> None:
    for q in (*QUALITIES, "hq"):
        assert (
            Resampler(48000, 24000, quality=q).push(np.zeros(960, np.float32)).dtype == np.float32
        )


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        (np.zeros(960, np.float64), "int16 or float32"),
        (np.zeros(960, np.int32), "int16 or float32"),
        (np.zeros(960, ">i2"), "int16 or float32"),
        (np.zeros(961, np.int16), "multiple of channels=2"),
        (np.zeros((480, 3), np.int16), "channels=2"),
        (np.zeros((2, 240, 2), np.int16), "1-D interleaved"),
        ([0.0] * 960, "numpy array"),
    ],
)
def test_push_errors(samples: object, match: str) -> None:
    with pytest.raises(AudioError, match=match):
        Resampler(48000, 24000, channels=2).push(samples)  # type: ignore[call-overload]


def test_dtype_switch_mid_stream_is_an_error() -> None:
    rs = Resampler(48000, 24000)
    rs.push(np.zeros(960, np.int16))
    with pytest.raises(AudioError, match="flush"):
        rs.push(np.zeros(960, np.float32))
    rs.reset()
    rs.push(np.zeros(960, np.float32))
    with pytest.raises(AudioError, match="flush"):
        rs.push_pcm16_bytes(b"\x00\x00")


def test_push_pcm16_bytes_errors() -> None:
    with pytest.raises(AudioError, match="whole number"):
        Resampler(48000, 24000).push_pcm16_bytes(b"\x00\x00\x00")
    with pytest.raises(AudioError, match="whole number of 2-channel"):
        Resampler(48000, 24000).push_pcm16_bytes(b"\x00\x00", 2)
    with pytest.raises(AudioError, match="only a mono resampler mixes down"):
        Resampler(48000, 24000, channels=2).push_pcm16_bytes(b"\x00" * 12, 3)
    with pytest.raises(AudioError, match="bytes-like"):
        Resampler(48000, 24000).push_pcm16_bytes("abcd")  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="channels"):
        Resampler(48000, 24000).push_pcm16_bytes(b"\x00\x00", 0)


def test_repr() -> None:
    assert repr(Resampler(48000, 24000)) == "Resampler(48000, 24000, channels=1, quality='HQ')"


# --------------------------------------------------------------------------- quality

TONE = 997.0  # Hz: 19.94 cycles per 20 ms chunk, never chunk-periodic
AMP = 0.5  # of full scale
SECONDS = 1.0
EDGE = 0.1  # seconds trimmed at both ends (filter start-up and flush)


def tone(rate: int, freq: float = TONE, seconds: float = SECONDS) -> NDArray[np.float64]:
    return AMP * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def fit(y: NDArray, rate: int, freq: float = TONE) -> dict[str, float]:
    """Least-squares tone fit on the trimmed middle: SINAD, gain, delay, residual."""
    t = np.arange(len(y)) / rate
    keep = slice(int(EDGE * rate), len(y) - int(EDGE * rate))
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t), np.ones_like(t)])
    coef, *_ = np.linalg.lstsq(basis[:, keep].T, y[keep].astype(np.float64), rcond=None)
    fitted = coef @ basis
    resid = y.astype(np.float64) - fitted
    signal = (coef[0] ** 2 + coef[1] ** 2) / 2
    noise = np.mean(resid[keep] ** 2)
    phase = math.atan2(coef[1], coef[0])  # analytic input has phase 0: y = A sin(w t)
    return {
        "sinad": 10 * math.log10(signal / noise),
        "gain_db": 20 * math.log10(math.hypot(coef[0], coef[1]) / AMP),
        "delay_samples": -phase / (2 * math.pi * freq) * rate,
        "resid": resid,
    }


def boundary_residual(resid: NDArray, rate: int, keep: slice) -> tuple[float, float, float, float]:
    """(rms near 20 ms chunk boundaries, rms mid-chunk, max step across, max step mid)."""
    n = rate // 50
    idx = np.arange(len(resid))
    pos = idx % n
    inside = (idx >= keep.start) & (idx < keep.stop)
    near = inside & ((pos < 2) | (pos >= n - 2))
    mid = inside & (pos >= n // 4) & (pos < 3 * n // 4)
    step = np.abs(np.diff(resid, prepend=resid[0]))
    across = inside & (pos == 0)
    return (
        float(np.sqrt(np.mean(resid[near] ** 2))),
        float(np.sqrt(np.mean(resid[mid] ** 2))),
        float(step[across].max()),
        float(step[mid].max()),
    )


def ours_float(x_stereo: NDArray[np.float32], src: int, dst: int) -> NDArray[np.float32]:
    rs = Resampler(src, dst)
    return run(rs, [to_mono(c, 2) for c in chunked(x_stereo, src // 50)])


def plugin_per_chunk(stereo_i16: NDArray[np.int16], src: int, dst: int) -> NDArray[np.int16]:
    """The plugin's method: each 20 ms chunk on its own through scipy.signal.resample."""
    out = []
    for c in chunked(stereo_i16.reshape(-1, 2), src // 50):
        mono = c.astype(np.float64).mean(axis=1)
        r = scipy.signal.resample(mono, len(mono) * dst // src)
        out.append(np.clip(np.rint(r), -32768, 32767).astype(np.int16))
    return np.concatenate(out)


def report(label: str, m: dict[str, float], scale: float = 1.0) -> None:
    print(
        f"\n[audio quality] {label}: SINAD {m['sinad']:.1f} dB, gain {m['gain_db']:+.4f} dB, "
        f"delay {m['delay_samples']:+.3f} samples"
    )


def test_quality_48k_stereo_to_24k_mono_float32() -> None:
    x = tone(48000).astype(np.float32)
    stereo = to_channels(x, 2, interleaved=False)
    y = ours_float(stereo, 48000, 24000)
    assert y.dtype == np.float32 and len(y) == 24000
    m = fit(y, 24000)
    report("48k stereo -> 24k mono, float32 in/out, 20 ms chunks", m)
    assert m["sinad"] >= 90
    assert abs(m["gain_db"]) < 0.01 and abs(m["delay_samples"]) < 0.01
    # the same with int16 output: the int16 rounding floor (~92 dB at half scale)
    yi = float32_to_int16(y)
    mi = fit(yi / 32768, 24000)
    report("48k stereo -> 24k mono, float32 inside, int16 out", mi)
    assert mi["sinad"] >= 90


def test_quality_pcm16_bytes_path_and_chunk_boundaries() -> None:
    stereo = np.round(to_channels(tone(48000), 2) * 32767).astype(np.int16)
    data = pcm16_to_bytes(stereo)
    rs = Resampler(48000, 24000)
    out = b"".join(rs.push_pcm16_bytes(data[i : i + 3840], 2) for i in range(0, len(data), 3840))
    y = pcm16_from_bytes(out + rs.flush_pcm16_bytes()).astype(np.float64)
    assert len(y) == 24000
    m = fit(y / 32767, 24000)
    near, mid, step_b, step_m = boundary_residual(
        m["resid"] * 32767, 24000, slice(int(EDGE * 24000), 24000 - int(EDGE * 24000))
    )
    report("48k stereo int16 bytes -> 24k mono int16 (push_pcm16_bytes)", m)
    print(
        f"[audio quality]   residual rms near 20 ms boundaries {near:.3f} LSB, mid-chunk "
        f"{mid:.3f} LSB ({20 * math.log10(near / mid):+.2f} dB); max step across boundary "
        f"{step_b:.2f} LSB, mid-chunk {step_m:.2f} LSB"
    )
    assert m["sinad"] >= 90
    assert near <= 0.5 and mid <= 0.5
    assert abs(20 * math.log10(near / mid)) < 1.0  # no discontinuity at boundaries
    assert step_b <= 2.0


def test_quality_int16_array_chain_vs_fused_bytes() -> None:
    """Channels that differ by a fraction of an LSB before rounding (a real stereo mic pair):
    the int16 chain rounds the mixdown to int16 before resampling, the fused bytes path
    does not."""
    left = np.round(tone(48000) * 32767).astype(np.int16)
    right = np.round(tone(48000) * 32767 + 0.5).astype(np.int16)  # odd L + R half the time
    stereo = np.stack([left, right], axis=1)
    rs = Resampler(48000, 24000)
    chain = run(rs, [to_mono(c, 2) for c in chunked(stereo, 960)])
    m_chain = fit(chain / 32767, 24000)
    data = pcm16_to_bytes(stereo)
    fused = rs.push_pcm16_bytes(data, 2) + rs.flush_pcm16_bytes()
    m_fused = fit(pcm16_from_bytes(fused) / 32767, 24000)
    report("48k stereo int16 -> to_mono (int16) -> Resampler int16 -> 24k", m_chain)
    report("48k stereo int16 bytes -> push_pcm16_bytes (float32 mix) -> 24k", m_fused)
    assert m_chain["sinad"] >= 88 and m_fused["sinad"] >= 90


def test_alias_rejection_15k_tone_48k_to_24k() -> None:
    x = tone(48000, 15000.0).astype(np.float32)
    y = ours_float(to_channels(x, 2, interleaved=False), 48000, 24000)
    keep = slice(int(EDGE * 24000), len(y) - int(EDGE * 24000))
    level = 10 * math.log10(np.mean(y[keep].astype(np.float64) ** 2) / (AMP**2 / 2))
    alias = fit(y, 24000, 24000 - 15000.0)["gain_db"]  # the alias would land at 9 kHz
    print(
        f"\n[audio quality] 15 kHz tone, 48k -> 24k (float32): output power {level:.1f} dB "
        f"re input; 9 kHz alias component {alias:.1f} dB"
    )
    assert level <= -100


@pytest.mark.parametrize(
    ("src", "dst"), [(48000, 16000), (8000, 24000), (44100, 24000), (24000, 48000), (16000, 24000)]
)
def test_quality_other_rates(src: int, dst: int) -> None:
    x = tone(src).astype(np.float32)
    y = ours_float(to_channels(x, 2, interleaved=False), src, dst) if src % 50 == 0 else None
    if y is None:  # pragma: no cover - every listed rate has whole 20 ms chunks
        raise AssertionError
    assert abs(len(y) - dst * SECONDS) <= 1
    m = fit(y, dst)
    report(f"{src // 1000}k -> {dst / 1000:g}k, float32, 20 ms chunks", m)
    assert m["sinad"] >= 90 and abs(m["delay_samples"]) < 0.05


@pytest.mark.skipif(scipy is None, reason="scipy not installed")
@pytest.mark.parametrize(("src", "dst"), [(48000, 24000), (48000, 16000)])
def test_plugin_per_chunk_fft_fails_the_same_checks(src: int, dst: int) -> None:
    stereo = np.round(to_channels(tone(src), 2) * 32767).astype(np.int16)
    theirs = plugin_per_chunk(stereo, src, dst)
    mt = fit(theirs / 32767, dst)
    rs = Resampler(src, dst)
    data = pcm16_to_bytes(stereo)
    step = src // 50 * 4
    ours_b = b"".join(rs.push_pcm16_bytes(data[i : i + step], 2) for i in range(0, len(data), step))
    ours = pcm16_from_bytes(ours_b + rs.flush_pcm16_bytes())
    mo = fit(ours / 32767, dst)
    keep = slice(int(EDGE * dst), len(theirs) - int(EDGE * dst))
    t_near, t_mid, t_step, _ = boundary_residual(mt["resid"] * 32767, dst, keep)
    o_near, o_mid, o_step, _ = boundary_residual(mo["resid"] * 32767, dst, keep)
    print(
        f"\n[audio quality] {src // 1000}k -> {dst // 1000}k, 997 Hz, 20 ms chunks: plugin "
        f"scipy.signal.resample per chunk SINAD {mt['sinad']:.1f} dB (boundary residual "
        f"{t_near:.1f} LSB rms, step {t_step:.0f} LSB) vs ours {mo['sinad']:.1f} dB "
        f"({o_near:.2f} LSB rms, step {o_step:.2f} LSB)"
    )
    assert mt["sinad"] < 60 and mo["sinad"] >= 90
    assert t_near > 10 * t_mid  # the plugin's clicks at every chunk boundary
    assert o_near <= 0.5 and abs(20 * math.log10(o_near / o_mid)) < 1.0


def test_int16_input_is_processed_in_float32_without_dither() -> None:
    """int16 in, int16 out equals float32 processing rounded once (no soxr int16 dither)."""
    x = np.round(tone(48000) * 32767).astype(np.int16)
    y16 = run(Resampler(48000, 24000), chunked(x, 960))
    yf = run(Resampler(48000, 24000), chunked(int16_to_float32(x), 960))
    assert np.array_equal(y16, float32_to_int16(yf))


# --------------------------------------------------------------------------- fast-path fallbacks


class _PublicOnlyStream:
    """A ResampleStream seen through its public API only (no C-level `_process`)."""

    def __init__(self, stream: object, broken_process: bool = False) -> None:
        self.resample_chunk = stream.resample_chunk  # type: ignore[attr-defined]
        if broken_process:
            self._process = self._broken

    @staticmethod
    def _broken(x: object, last: bool) -> object:
        raise TypeError("incompatible signature")


@pytest.mark.parametrize("broken", [False, True])
def test_public_fallbacks_give_identical_output(
    monkeypatch: pytest.MonkeyPatch, broken: bool
) -> None:
    """Without numpy's clip ufunc or soxr's C-level process function: same bits."""
    from openai_sansio.audio import resample

    x = np.random.default_rng(3).integers(-32768, 32768, (4000, 2)).astype(np.int16)
    chunks = chunked(x, 960)
    expected = run(Resampler(48000, 24000, channels=2), chunks)
    expected_bytes = Resampler(48000, 24000).push_pcm16_bytes(pcm16_to_bytes(x), 2)
    monkeypatch.setattr(resample, "_CLIP", None)
    rs = Resampler(48000, 24000, channels=2)
    rs._process = resample._bind_process(_PublicOnlyStream(rs._stream, broken), 2)
    assert np.array_equal(run(rs, chunks), expected)
    mono = Resampler(48000, 24000)
    mono._process = resample._bind_process(_PublicOnlyStream(mono._stream, broken), 1)
    assert mono.push_pcm16_bytes(pcm16_to_bytes(x), 2) == expected_bytes


def test_clip_ufunc_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy 2 (_core.umath), numpy 1 (core.umath), or nothing usable -> the public path."""
    import types

    from openai_sansio.audio import resample

    real = np._core.umath.clip

    def fake_numpy(**attrs: object) -> types.SimpleNamespace:
        ns = types.SimpleNamespace(ufunc=np.ufunc, array=np.array, float32=np.float32)
        ns.__dict__.update(attrs)
        return ns

    umath = types.SimpleNamespace
    monkeypatch.setattr(
        resample, "np", fake_numpy(_core=types.SimpleNamespace(umath=umath(clip=real)))
    )
    assert resample._find_clip_ufunc() is real
    monkeypatch.setattr(
        resample, "np", fake_numpy(core=types.SimpleNamespace(umath=umath(clip=real)))
    )
    assert resample._find_clip_ufunc() is real  # numpy 1.x layout
    monkeypatch.setattr(
        resample, "np", fake_numpy(_core=types.SimpleNamespace(umath=umath(clip=np.minimum)))
    )
    assert resample._find_clip_ufunc() is None  # not a 3-input ufunc
    monkeypatch.setattr(resample, "np", fake_numpy(_core=types.SimpleNamespace()))
    assert resample._find_clip_ufunc() is None


def test_equal_but_not_identical_dtypes_are_accepted() -> None:
    odd_int16 = np.dtype(np.int16, metadata={"unit": "pcm"})
    assert odd_int16 == np.int16 and odd_int16 is not np.dtype(np.int16)
    x = np.zeros(960, dtype=odd_int16)
    assert Resampler(48000, 24000).push(x).dtype == np.int16
    odd_f32 = np.dtype(np.float32, metadata={"unit": "fs"})
    assert Resampler(48000, 24000).push(np.zeros(960, dtype=odd_f32)).dtype == np.float32


def test_strided_memoryview_is_an_audio_error() -> None:
    with pytest.raises(AudioError, match="contiguous"):
        Resampler(48000, 24000).push_pcm16_bytes(memoryview(bytes(16))[::2])
