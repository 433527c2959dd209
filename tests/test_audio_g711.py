"""openai_sansio.audio.g711 against a per-sample reference of the ITU-T G.711 segment coder.

The reference below is written from the algorithm of ITU-T G.711 as implemented by the
ITU-T G.191 software tools (one's complement magnitude for negative samples, mu-law bias 33,
A-law even-bit inversion), one sample at a time with explicit loops: deliberately unlike the
vectorised table build it checks. Python's ``audioop`` (3.11/3.12) is a second, independent
oracle where it agrees with the ITU algorithm (everything but mu-law encoding of negative
samples, see the module docstring of ``g711``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # Python >= 3.13
        audioop = None  # type: ignore[assignment]

needs_audioop = pytest.mark.skipif(audioop is None, reason="audioop is gone (Python >= 3.13)")

ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = np.arange(256, dtype=np.uint8)


# --------------------------------------------------------------------------- reference coder


def ref_ulaw_encode(x: int) -> int:
    # 16-bit -> 14-bit magnitude; negative samples through the one's complement
    magnitude = ((-x - 1) if x < 0 else x) >> 2
    value = magnitude + 33  # mu-law bias (in 14-bit units)
    if value > 8191:
        value = 8191
    # segment: how many times the value halves before it fits in 6 bits (64 > value)
    segment = 0
    top = value >> 6
    while top:
        segment += 1
        top >>= 1
    mantissa = (value >> (segment + 1)) % 16
    code = 16 * segment + mantissa
    code = 127 - code  # mu-law transmits the segment and mantissa bits inverted ...
    if x >= 0:
        code += 128  # ... and the sign bit set for positive samples
    return code


def ref_ulaw_decode(code: int) -> int:
    inverted = 255 - code
    negative = inverted >= 128
    segment = (inverted // 16) % 8
    mantissa = inverted % 16
    magnitude = (2 * mantissa + 33) * (4 << segment) - 132  # 132 = bias 33 in 16-bit units
    return -magnitude if negative else magnitude


def ref_alaw_encode(x: int) -> int:
    magnitude = ((-x - 1) if x < 0 else x) >> 4  # 12-bit magnitude, one's complement
    if magnitude < 32:
        segment, mantissa = (0, magnitude) if magnitude < 16 else (1, magnitude - 16)
    else:
        segment = 1
        while magnitude >= 32:
            magnitude >>= 1
            segment += 1
        mantissa = magnitude - 16
    code = 16 * segment + mantissa + (128 if x >= 0 else 0)
    return code ^ 0b01010101  # A-law inverts the even bits


def ref_alaw_decode(code: int) -> int:
    bits = code ^ 0b01010101
    positive = bits >= 128
    segment = (bits // 16) % 8
    mantissa = bits % 16
    if segment == 0:
        magnitude = 16 * mantissa + 8
    else:
        magnitude = (2 * mantissa + 33) * (4 << segment)
    return magnitude if positive else -magnitude


REF_ULAW = np.array([ref_ulaw_encode(int(x)) for x in ALL_INT16], dtype=np.uint8)
REF_ALAW = np.array([ref_alaw_encode(int(x)) for x in ALL_INT16], dtype=np.uint8)


# --------------------------------------------------------------------------- exhaustive


def test_encoders_match_the_reference_on_every_int16() -> None:
    assert np.array_equal(ulaw_encode(ALL_INT16), REF_ULAW)
    assert np.array_equal(alaw_encode(ALL_INT16), REF_ALAW)


def test_decoders_match_the_reference_on_every_code() -> None:
    assert ulaw_decode(ALL_CODES).tolist() == [ref_ulaw_decode(c) for c in range(256)]
    assert alaw_decode(ALL_CODES).tolist() == [ref_alaw_decode(c) for c in range(256)]


def test_anchor_values() -> None:
    enc = {x: (int(ulaw_encode(np.int16(x)[None])[0]), int(alaw_encode(np.int16(x)[None])[0]))
           for x in (0, -1, 32767, -32768)}  # fmt: skip
    assert enc[0] == (0xFF, 0xD5)  # the silence codes
    assert enc[-1] == (0x7F, 0x55)  # negative zero
    assert enc[32767] == (0x80, 0xAA)
    assert enc[-32768] == (0x00, 0x2A)
    u = ulaw_decode(np.array([0x00, 0x7F, 0x80, 0xFF, 0xFE, 0x7E, 0xEF], dtype=np.uint8))
    assert u.tolist() == [-32124, 0, 32124, 0, 8, -8, 132]
    a = alaw_decode(np.array([0xD5, 0x55, 0xAA, 0x2A, 0xD4, 0xC5], dtype=np.uint8))
    assert a.tolist() == [8, -8, 32256, -32256, 24, 264]


def test_code_round_trips() -> None:
    # every code is reproduced by encoding its own decoded value, except mu-law's negative
    # zero 0x7F, which decodes to 0 and comes back as the positive zero 0xFF
    u = ulaw_encode(ulaw_decode(ALL_CODES))
    assert [c for c in range(256) if u[c] != c] == [0x7F]
    assert u[0x7F] == 0xFF
    assert np.array_equal(alaw_encode(alaw_decode(ALL_CODES)), ALL_CODES)


def test_quantisation_is_monotonic_and_bounded() -> None:
    for encode, decode, first_step in (
        (ulaw_encode, ulaw_decode, 8),
        (alaw_encode, alaw_decode, 16),
    ):
        y = decode(encode(ALL_INT16)).astype(np.int64)
        assert np.all(np.diff(y) >= 0)  # a larger input never decodes smaller
        err = np.abs(y - ALL_INT16)
        small = np.abs(ALL_INT16.astype(np.int64)) < 64
        assert err[small].max() <= first_step  # fine steps near zero
        assert np.all(err <= 1024)  # top segment: 1024 steps (mu-law 1024, A-law 1024)


@given(st.lists(st.integers(-32768, 32767), max_size=300), st.sampled_from([(1, -1), (-1, 3)]))
def test_any_shape_matches_reference(values: list[int], shape: tuple[int, int]) -> None:
    x = np.array(values, dtype=np.int16)
    if shape == (-1, 3):
        x = x[: len(x) - len(x) % 3].reshape(shape)
    u, a = ulaw_encode(x), alaw_encode(x)
    assert u.shape == x.shape and u.dtype == np.uint8 and a.shape == x.shape
    assert u.reshape(-1).tolist() == [ref_ulaw_encode(int(v)) for v in x.reshape(-1)]
    assert a.reshape(-1).tolist() == [ref_alaw_encode(int(v)) for v in x.reshape(-1)]
    assert ulaw_decode(u).shape == x.shape


@given(st.binary(max_size=400))
def test_decoders_take_bytes(data: bytes) -> None:
    assert ulaw_decode(data).tolist() == [ref_ulaw_decode(c) for c in data]
    assert alaw_decode(bytearray(data)).tolist() == [ref_alaw_decode(c) for c in data]
    assert alaw_decode(memoryview(data)).tolist() == [ref_alaw_decode(c) for c in data]


def test_byte_swapped_int16_input() -> None:
    x = np.array([1000, -1000, 32767], dtype=">i2")
    assert np.array_equal(ulaw_encode(x), ulaw_encode(x.astype(np.int16)))


@pytest.mark.parametrize(
    "bad", [np.zeros(3, np.float32), np.zeros(3, np.int32), [0, 1], b"\x00\x01"]
)
def test_encoder_errors(bad: object) -> None:
    with pytest.raises(AudioError):
        ulaw_encode(bad)  # type: ignore[arg-type]
    with pytest.raises(AudioError):
        alaw_encode(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [np.zeros(3, np.int16), np.zeros(3, np.int8), [0, 1], "ab"])
def test_decoder_errors(bad: object) -> None:
    with pytest.raises(AudioError):
        ulaw_decode(bad)  # type: ignore[arg-type]
    with pytest.raises(AudioError):
        alaw_decode(bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- audioop


@needs_audioop
def test_decoding_matches_audioop() -> None:
    codes = ALL_CODES.tobytes()
    assert np.array_equal(ulaw_decode(codes), np.frombuffer(audioop.ulaw2lin(codes, 2), "<i2"))
    assert np.array_equal(alaw_decode(codes), np.frombuffer(audioop.alaw2lin(codes, 2), "<i2"))


@needs_audioop
def test_alaw_encoding_matches_audioop() -> None:
    theirs = np.frombuffer(audioop.lin2alaw(ALL_INT16.astype("<i2").tobytes(), 2), np.uint8)
    assert np.array_equal(alaw_encode(ALL_INT16), theirs)


@needs_audioop
def test_ulaw_encoding_vs_audioop() -> None:
    """Equal for x >= 0; for x < 0 audioop (Sun's code) truncates in two's complement.

    audioop's code for a negative x is the ITU code of x - 4 (it reads the magnitude one
    14-bit step too large), so -1..-4 become 0x7E (-8) instead of the negative zero 0x7F.
    """
    theirs = np.frombuffer(audioop.lin2ulaw(ALL_INT16.astype("<i2").tobytes(), 2), np.uint8)
    ours = ulaw_encode(ALL_INT16)
    x = ALL_INT16.astype(np.int64)
    assert np.array_equal(ours[x >= 0], theirs[x >= 0])
    shifted = ulaw_encode((x[(x < 0) & (x >= -32764)] - 4).astype(np.int16))
    assert np.array_equal(shifted, theirs[(x < 0) & (x >= -32764)])
    assert np.array_equal(ours[x < -32764], theirs[x < -32764])  # both saturated
    differ = np.flatnonzero(ours != theirs)
    assert len(differ) == 508 and np.all(x[differ] < 0)
    assert theirs[x == -1][0] == 0x7E and ours[x == -1][0] == 0x7F


def test_strided_memoryview_is_an_audio_error() -> None:
    with pytest.raises(AudioError, match=r"cannot read G\.711"):
        ulaw_decode(memoryview(bytes(16))[::2])
