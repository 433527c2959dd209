"""openai_sansio.audio.formats: base64 helpers, AudioFormat arithmetic, MIME lookup."""

from __future__ import annotations

import base64
import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.formats import (
    PCM24K,
    PCMA,
    PCMU,
    AudioFormat,
    b64decode_pcm,
    b64encode_pcm,
    format_for_mime,
)

# --------------------------------------------------------------------------- base64


@given(st.binary(max_size=2000))
def test_b64_round_trip_bytes(data: bytes) -> None:
    text = b64encode_pcm(data)
    assert text == base64.b64encode(data).decode()
    assert b64decode_pcm(text) == data
    assert b64decode_pcm(text.encode()) == data
    assert b64encode_pcm(bytearray(data)) == text
    assert b64encode_pcm(memoryview(data)) == text


@given(st.lists(st.integers(-32768, 32767), max_size=300))
def test_b64_of_int16_arrays_is_little_endian(values: list[int]) -> None:
    x = np.array(values, dtype=np.int16)
    le = b"".join(v.to_bytes(2, "little", signed=True) for v in values)
    assert b64encode_pcm(x) == base64.b64encode(le).decode()
    assert b64encode_pcm(x.astype(">i2")) == base64.b64encode(le).decode()
    assert b64decode_pcm(b64encode_pcm(x)) == le


def test_b64_of_strided_and_2d_arrays() -> None:
    x = np.arange(8, dtype=np.int16)
    assert b64decode_pcm(b64encode_pcm(x[::2])) == x[::2].tobytes()
    stereo = x.reshape(4, 2)
    assert b64decode_pcm(b64encode_pcm(stereo)) == x.tobytes()
    assert b64decode_pcm(b64encode_pcm(stereo.T)) == stereo.T.tobytes()


@pytest.mark.parametrize(
    "text",
    [
        "AAA",
        "AA=A",
        "AA==AA",
        "AA=",
        "A@AA",
        "AAAA\nAAAA",
        "AAAA AAAA",
        "ÄÄÄÄ",
        b"AB!D",
        "====",
        "A",
    ],
)
def test_b64decode_rejects_invalid_base64(text: str | bytes) -> None:
    with pytest.raises(AudioError, match="invalid base64"):
        b64decode_pcm(text)


def test_b64_type_errors() -> None:
    with pytest.raises(AudioError):
        b64decode_pcm(123)  # type: ignore[arg-type]
    with pytest.raises(AudioError):
        b64encode_pcm("text")  # type: ignore[arg-type]
    with pytest.raises(AudioError, match="int16"):
        b64encode_pcm(np.zeros(4, dtype=np.float32))  # type: ignore[arg-type]
    assert b64decode_pcm("") == b""


# --------------------------------------------------------------------------- AudioFormat


def test_constants() -> None:
    assert (PCM24K.mime, PCM24K.rate, PCM24K.channels, PCM24K.sample_width) == (
        "audio/pcm",
        24000,
        1,
        2,
    )
    assert (PCMU.mime, PCMU.rate, PCMU.channels, PCMU.sample_width) == ("audio/pcmu", 8000, 1, 1)
    assert (PCMA.mime, PCMA.rate, PCMA.channels, PCMA.sample_width) == ("audio/pcma", 8000, 1, 1)
    assert PCM24K.bytes_per_ms == 48
    assert PCMU.bytes_per_ms == 8 and PCMA.bytes_per_ms == 8
    assert PCM24K.bytes_for_ms(20) == 960
    assert PCM24K.ms_for_bytes(960) == 20.0
    assert PCM24K.samples_for_ms(20) == 480
    assert PCM24K.ms_for_samples(480) == 20.0
    assert PCMU.bytes_for_ms(20) == 160
    with pytest.raises(dataclasses.FrozenInstanceError):
        PCM24K.rate = 16000  # type: ignore[misc]


def test_fractional_rates_are_exact() -> None:
    cd = AudioFormat("audio/pcm", 44100, 2, 2)
    assert cd.bytes_per_ms == Fraction(882, 5)  # 176.4 bytes per ms
    assert cd.frame_bytes == 4
    assert cd.bytes_for_ms(10) == 1764  # 441 frames
    assert cd.samples_for_ms(0.1) == 4  # 4.41 samples -> 4
    assert cd.samples_for_ms(0.3) == 13  # 13.23; 0.3 is taken as the decimal 3/10
    # 1000 pieces of 1 ms sum to exactly 1 s once rounded at the end
    assert sum(Fraction(cd.bytes_per_ms) for _ in range(1000)) == 176400
    assert cd.ms_for_bytes(176400) == 1000.0
    assert AudioFormat("audio/pcm", 22050, 1, 2).samples_for_ms(Fraction(1, 10)) == 2  # 2.205


@given(
    st.sampled_from([8000, 16000, 22050, 24000, 44100, 48000]),
    st.integers(1, 2),
    st.sampled_from([1, 2]),
    st.floats(0, 10_000, allow_nan=False),
)
def test_bytes_for_ms_is_whole_frames_and_inverts(
    rate: int, channels: int, width: int, ms: float
) -> None:
    fmt = AudioFormat("audio/pcm", rate, channels, width)
    n = fmt.bytes_for_ms(ms)
    assert n % fmt.frame_bytes == 0
    assert abs(fmt.ms_for_bytes(n) - ms) <= 500 / rate + 1e-9  # within half a sample
    assert fmt.ms_for_samples(fmt.samples_for_ms(ms)) == pytest.approx(fmt.ms_for_bytes(n))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("", 24000, 1, 2), "mime"),
        (("audio/pcm", 0, 1, 2), "rate"),
        (("audio/pcm", -8000, 1, 2), "rate"),
        (("audio/pcm", 24000.0, 1, 2), "rate"),
        (("audio/pcm", 24000, 0, 2), "channels"),
        (("audio/pcm", 24000, 1000, 2), "channels"),
        (("audio/pcm", 24000, 1, 0), "sample_width"),
        (("audio/pcm", True, 1, 2), "rate"),
    ],
)
def test_audio_format_validation(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(AudioError, match=match):
        AudioFormat(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "20", True])
def test_ms_validation(bad: object) -> None:
    with pytest.raises(AudioError):
        PCM24K.bytes_for_ms(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 1.5, "3", None])
def test_count_validation(bad: object) -> None:
    with pytest.raises(AudioError):
        PCM24K.ms_for_bytes(bad)  # type: ignore[arg-type]
    with pytest.raises(AudioError):
        PCM24K.ms_for_samples(bad)  # type: ignore[arg-type]


def test_numpy_numbers_are_accepted() -> None:
    assert PCM24K.bytes_for_ms(np.float32(20.0)) == 960  # type: ignore[arg-type]
    assert PCM24K.ms_for_bytes(np.int64(48)) == 1.0  # type: ignore[arg-type]


# --------------------------------------------------------------------------- format_for_mime


@pytest.mark.parametrize(
    ("mime", "expected"),
    [
        ("audio/pcm", PCM24K),
        ("AUDIO/PCM ", PCM24K),
        ("pcm16", PCM24K),
        ("audio/pcmu", PCMU),
        ("g711_ulaw", PCMU),
        ("audio/pcma", PCMA),
        ("g711_alaw", PCMA),
    ],
)
def test_format_for_mime(mime: str, expected: AudioFormat) -> None:
    assert format_for_mime(mime) is expected
    assert format_for_mime(mime, expected.rate) is expected


def test_format_for_mime_rates() -> None:
    assert format_for_mime("audio/pcm", 16000) == AudioFormat("audio/pcm", 16000, 1, 2)
    with pytest.raises(AudioError, match="8000 Hz only"):
        format_for_mime("audio/pcmu", 16000)
    with pytest.raises(AudioError, match="8000 Hz only"):
        format_for_mime("audio/pcma", 24000)
    with pytest.raises(AudioError, match="rate"):
        format_for_mime("audio/pcm", 0)
    with pytest.raises(AudioError, match="unknown audio format"):
        format_for_mime("audio/opus")
    with pytest.raises(AudioError):
        format_for_mime(None)  # type: ignore[arg-type]


def test_b64encode_strided_memoryview_is_an_audio_error() -> None:
    with pytest.raises(AudioError, match="cannot base64-encode"):
        b64encode_pcm(memoryview(bytes(16))[::2])
