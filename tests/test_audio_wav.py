"""WAV files: round trips, streaming, refusals with helpful messages, atomic writes."""

from __future__ import annotations

import itertools
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.audio._errors import AudioError
from openai_sansio.audio.wav import (
    WavFormatError,
    WavReader,
    WavWriter,
    probe_wav,
    read_wav,
    write_wav,
)

RATES = [8000, 16000, 24000, 44100, 48000]
CHANNELS = [1, 2, 6]


def _noise(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-32768, 32768, size=(frames, channels), dtype=np.int16)


def _riff(*chunks: tuple[bytes, bytes], form: bytes = b"WAVE") -> bytes:
    body = form
    for cid, data in chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _fmt(tag: int, channels: int, rate: int, bits: int, block_align: int | None = None) -> bytes:
    align = block_align if block_align is not None else channels * max(1, bits // 8)
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def _fmt_extensible(sub_tag: int, channels: int, rate: int, bits: int) -> bytes:
    guid = struct.pack("<H", sub_tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
    base = _fmt(0xFFFE, channels, rate, bits)
    return base + struct.pack("<HHI", 22, bits, (1 << channels) - 1) + guid


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("channels", CHANNELS)
def test_round_trip_any_rate_and_channel_count(tmp_path: Path, rate: int, channels: int) -> None:
    samples = _noise(rate // 10 + 7, channels, seed=rate + channels)
    path = tmp_path / "x.wav"
    write_wav(path, samples, rate)
    audio = read_wav(path)
    assert audio.rate == rate and audio.channels == channels
    assert audio.samples.dtype == np.int16 and audio.samples.shape == samples.shape
    assert np.array_equal(audio.samples, samples)
    assert audio.frames == len(samples)
    assert audio.duration_ms == pytest.approx(len(samples) * 1000 / rate)
    # The file is a standard WAV: the stdlib reads the same parameters and bytes.
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (rate, channels, 2)
        raw = w.readframes(w.getnframes())
    assert np.array_equal(np.frombuffer(raw, "<i2").reshape(-1, channels), samples)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.wav"]


def test_mono_is_two_dimensional_and_one_d_input_is_accepted(tmp_path: Path) -> None:
    flat = np.arange(-500, 500, dtype=np.int16)
    write_wav(tmp_path / "m.wav", flat, 16000)
    audio = read_wav(tmp_path / "m.wav")
    assert audio.samples.shape == (1000, 1)
    assert np.array_equal(audio.samples[:, 0], flat)
    # Interleaved 1-D stereo with an explicit channel count.
    write_wav(tmp_path / "s.wav", flat, 16000, channels=2)
    stereo = read_wav(tmp_path / "s.wav")
    assert stereo.samples.shape == (500, 2)
    assert np.array_equal(stereo.samples.reshape(-1), flat)


def test_empty_file_round_trips(tmp_path: Path) -> None:
    write_wav(tmp_path / "e.wav", np.zeros((0, 2), np.int16), 24000)
    audio = read_wav(tmp_path / "e.wav")
    assert audio.samples.shape == (0, 2) and audio.duration_ms == 0.0


def test_extreme_values_survive(tmp_path: Path) -> None:
    samples = np.array([[-32768, 32767], [0, -1], [1, 32767]], dtype=np.int16)
    write_wav(tmp_path / "x.wav", samples, 8000)
    assert np.array_equal(read_wav(tmp_path / "x.wav").samples, samples)


# --- streaming -----------------------------------------------------------------------------


@given(
    block=st.integers(min_value=1, max_value=5000),
    channels=st.sampled_from(CHANNELS),
    frames=st.integers(min_value=0, max_value=3000),
)
def test_reader_blocks_concatenate_to_the_whole(
    tmp_path_factory: pytest.TempPathFactory, block: int, channels: int, frames: int
) -> None:
    path = tmp_path_factory.mktemp("blocks") / "x.wav"
    samples = _noise(frames, channels, seed=frames)
    write_wav(path, samples, 16000)
    with WavReader(path) as r:
        assert (r.rate, r.channels, r.frames) == (16000, channels, frames)
        blocks = list(r.blocks(block))
        assert r.position == frames
        assert len(r.read_frames(block)) == 0
    assert all(b.shape[1] == channels and b.dtype == np.int16 for b in blocks)
    assert all(len(b) == block for b in blocks[:-1])
    whole = np.concatenate(blocks) if blocks else np.zeros((0, channels), np.int16)
    assert np.array_equal(whole, samples)


@given(splits=st.lists(st.integers(min_value=0, max_value=2000), max_size=6))
def test_writer_blocks_concatenate_to_the_whole(
    tmp_path_factory: pytest.TempPathFactory, splits: list[int]
) -> None:
    path = tmp_path_factory.mktemp("writer") / "x.wav"
    samples = _noise(2000, 2, seed=len(splits))
    cuts = [0, *sorted(splits), 2000]
    with WavWriter(path, 48000, 2) as w:
        for a, b in itertools.pairwise(cuts):
            w.write(samples[a:b])
        assert w.frames_written == 2000
        assert w.duration_ms == pytest.approx(2000 / 48)
        assert not path.exists() and w.temp_path.exists()
    assert np.array_equal(read_wav(path).samples, samples)
    assert not w.temp_path.exists()


def test_reader_duration_and_closed_reader(tmp_path: Path) -> None:
    write_wav(tmp_path / "x.wav", _noise(2400, 1), 24000)
    r = WavReader(tmp_path / "x.wav")
    assert r.duration_ms == pytest.approx(100.0)
    r.close()
    r.close()
    with pytest.raises(AudioError, match="closed"):
        r.read_frames(10)
    with WavReader(tmp_path / "x.wav") as r2:
        with pytest.raises(AudioError):
            r2.read_frames(-1)
        with pytest.raises(AudioError):
            next(r2.blocks(0))


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_wav(tmp_path / "nope.wav")


def test_extensible_pcm16_is_read(tmp_path: Path) -> None:
    """ffmpeg and sox write WAVE_FORMAT_EXTENSIBLE for > 2 channels; Python 3.11's wave refuses."""
    samples = _noise(300, 6, seed=6)
    data = samples.astype("<i2").tobytes()
    path = _write(
        tmp_path, "ext.wav", _riff((b"fmt ", _fmt_extensible(1, 6, 48000, 16)), (b"data", data))
    )
    info = probe_wav(path)
    assert info.extensible and info.format_tag == 1 and info.frames == 300
    audio = read_wav(path)
    assert audio.rate == 48000 and np.array_equal(audio.samples, samples)
    with WavReader(path) as r:
        parts = list(r.blocks(77))
    assert np.array_equal(np.concatenate(parts), samples)


def test_extra_chunks_and_odd_padding_are_skipped(tmp_path: Path) -> None:
    samples = _noise(100, 2, seed=2)
    raw = _riff(
        (b"LIST", b"INFOISFT\x03\x00\x00\x00ab\x00"),  # odd size: padded
        (b"fmt ", _fmt(1, 2, 16000, 16)),
        (b"fact", struct.pack("<I", 100)),
        (b"data", samples.astype("<i2").tobytes()),
        (b"LIST", b"trailing"),
    )
    path = _write(tmp_path, "chunks.wav", raw)
    assert np.array_equal(read_wav(path).samples, samples)


def test_truncated_data_reads_the_whole_frames_present(tmp_path: Path) -> None:
    samples = _noise(1000, 2, seed=3)
    full = _riff((b"fmt ", _fmt(1, 2, 16000, 16)), (b"data", samples.astype("<i2").tobytes()))
    path = _write(tmp_path, "cut.wav", full[: 44 + 401 * 4 + 3])  # 401 frames and a bit
    with WavReader(path) as r:
        assert r.frames == 401
        got = np.concatenate(list(r.blocks(100)))
    assert np.array_equal(got, samples[:401])


# --- refusals ------------------------------------------------------------------------------

REFUSALS = [
    ("pcm8", _riff((b"fmt ", _fmt(1, 1, 8000, 8)), (b"data", b"\x80" * 10)), "8-bit PCM"),
    ("pcm24", _riff((b"fmt ", _fmt(1, 2, 48000, 24)), (b"data", b"\0" * 12)), "24-bit PCM"),
    ("pcm32", _riff((b"fmt ", _fmt(1, 1, 48000, 32)), (b"data", b"\0" * 8)), "32-bit PCM"),
    ("float", _riff((b"fmt ", _fmt(3, 1, 48000, 32)), (b"data", b"\0" * 8)), "32-bit IEEE float"),
    ("double", _riff((b"fmt ", _fmt(3, 1, 48000, 64)), (b"data", b"\0" * 8)), "64-bit IEEE float"),
    (
        "float-ext",
        _riff((b"fmt ", _fmt_extensible(3, 2, 48000, 32)), (b"data", b"\0" * 16)),
        "IEEE float (WAVE_FORMAT_EXTENSIBLE)",
    ),
    ("adpcm", _riff((b"fmt ", _fmt(2, 1, 22050, 4, 256)), (b"data", b"\0" * 256)), "ADPCM"),
    ("ima", _riff((b"fmt ", _fmt(0x11, 1, 22050, 4, 256)), (b"data", b"\0" * 256)), "IMA ADPCM"),
    ("ulaw", _riff((b"fmt ", _fmt(7, 1, 8000, 8)), (b"data", b"\0" * 8)), "mu-law"),
    ("mp3", _riff((b"fmt ", _fmt(0x55, 2, 44100, 0, 1)), (b"data", b"\0" * 8)), "MP3"),
    ("odd-tag", _riff((b"fmt ", _fmt(0x1234, 1, 8000, 16)), (b"data", b"")), "0x1234"),
    ("not-riff", b"hello, I am a text file\n", "not a RIFF/WAVE file"),
    ("empty", b"", "empty"),
    ("ogg", b"OggS\x00\x02" + b"\0" * 40, "Ogg"),
    ("rifx", b"RIFX" + b"\0" * 40, "big-endian"),
    ("rf64", b"RF64\xff\xff\xff\xffWAVEds64", "RF64"),
    ("avi", _riff((b"avih", b"\0" * 8), form=b"AVI "), "not WAVE"),
    ("short-riff", b"RIF", "truncated header"),
    ("riff-only", b"RIFF\x24\x00\x00\x00WAV", "truncated header"),
    ("no-fmt", b"RIFF\x04\x00\x00\x00WAVE", "truncated header"),
    ("cut-fmt", _riff((b"fmt ", _fmt(1, 1, 8000, 16)))[:28], "truncated header"),
    ("fmt-short", _riff((b"fmt ", b"\x01\x00\x01\x00")), "truncated header"),
    (
        "ext-short",
        _riff((b"fmt ", _fmt(0xFFFE, 2, 48000, 16)), (b"data", b"")),
        "WAVE_FORMAT_EXTENSIBLE",
    ),
    ("no-data", _riff((b"fmt ", _fmt(1, 1, 8000, 16))), "ends before its 'data' chunk"),
    ("data-first", _riff((b"data", b"\0\0"), (b"fmt ", _fmt(1, 1, 8000, 16))), "before the 'fmt '"),
    (
        "chunk-overrun",
        _riff((b"fmt ", _fmt(1, 1, 8000, 16))) + b"LIST\xff\xff\x00\x00abc",
        "ends before its 'data' chunk",
    ),
    ("zero-ch", _riff((b"fmt ", _fmt(1, 0, 8000, 16, 2)), (b"data", b"")), "0 channels"),
    ("zero-rate", _riff((b"fmt ", _fmt(1, 1, 0, 16)), (b"data", b"")), "0 Hz"),
    ("bad-align", _riff((b"fmt ", _fmt(1, 2, 8000, 16, 3)), (b"data", b"")), "block align 3"),
]


@pytest.mark.parametrize(("name", "data", "what"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_unsupported_files_are_refused_with_a_helpful_message(
    tmp_path: Path, name: str, data: bytes, what: str
) -> None:
    path = _write(tmp_path, f"{name}.wav", data)
    with pytest.raises(WavFormatError) as info:
        read_wav(path)
    message = str(info.value)
    assert what in message
    assert str(path) in message
    assert "16-bit integer PCM" in message and "pcm_s16le" in message
    assert isinstance(info.value, AudioError) and isinstance(info.value, ValueError)
    # The streaming reader refuses the same way and leaves no file handle behind.
    with pytest.raises(WavFormatError):
        WavReader(path)


def test_float_wav_is_named_where_the_stdlib_is_opaque(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.wav", _riff((b"fmt ", _fmt(3, 2, 48000, 32)), (b"data", b"\0" * 16)))
    with pytest.raises(wave.Error, match="unknown format: 3"), wave.open(str(path), "rb"):
        pass
    info = probe_wav(path)
    assert info.describe() == "32-bit IEEE float, 2 channels, 48000 Hz"
    with pytest.raises(WavFormatError, match=r"32-bit IEEE float, 2 channels, 48000 Hz"):
        read_wav(path)


def test_probe_describes_a_supported_file(tmp_path: Path) -> None:
    write_wav(tmp_path / "x.wav", _noise(10, 1), 8000)
    info = probe_wav(tmp_path / "x.wav")
    assert info.describe() == "16-bit PCM, 1 channel, 8000 Hz"
    assert (info.frames, info.data_offset, info.data_bytes) == (10, 44, 20)


# --- atomic writes ---------------------------------------------------------------------------


def test_exception_inside_with_leaves_no_destination_and_no_temp(tmp_path: Path) -> None:
    dest = tmp_path / "out.wav"
    with pytest.raises(RuntimeError, match="boom"):
        with WavWriter(dest, 16000) as w:
            w.write(_noise(1600, 1))
            assert w.temp_path == tmp_path / ".out.wav.partial" and w.temp_path.exists()
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_destination_is_untouched_when_a_write_fails(tmp_path: Path) -> None:
    dest = tmp_path / "out.wav"
    dest.write_bytes(b"precious")
    with pytest.raises(AudioError, match="int16"):
        with WavWriter(dest, 16000) as w:
            w.write(_noise(100, 1))
            w.write(np.zeros(10, dtype=np.float32))
    assert dest.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]
    with pytest.raises(AudioError, match="whole number"):
        write_wav(dest, np.zeros(3, np.int16), 8000, channels=2)
    with pytest.raises(AudioError, match=r"\(frames, 2\)"):
        write_wav(dest, np.zeros((3, 3), np.int16), 8000, channels=2)
    assert dest.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_existing_destination_is_replaced_on_success(tmp_path: Path) -> None:
    dest = tmp_path / "out.wav"
    dest.write_bytes(b"old")
    write_wav(dest, _noise(10, 2), 8000)
    assert read_wav(dest).samples.shape == (10, 2)


def test_failure_while_finishing_removes_the_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "out.wav"
    dest.write_bytes(b"precious")

    def refuse(self: Path, target: Path) -> Path:
        raise PermissionError("read-only destination")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(PermissionError):
        with WavWriter(dest, 8000) as w:
            w.write(_noise(10, 1))
    monkeypatch.undo()
    assert dest.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


def test_writer_close_and_abort_are_idempotent(tmp_path: Path) -> None:
    w = WavWriter(tmp_path / "a.wav", 8000)
    w.close()
    w.close()
    w.abort()  # after a successful close: the file stays
    assert read_wav(tmp_path / "a.wav").frames == 0
    with pytest.raises(AudioError, match="closed"):
        w.write(np.zeros(1, np.int16))
    w2 = WavWriter(tmp_path / "b.wav", 8000)
    w2.abort()
    w2.abort()
    w2.close()
    assert not (tmp_path / "b.wav").exists() and not w2.temp_path.exists()


@pytest.mark.parametrize(
    ("rate", "channels"), [(0, 1), (-8000, 1), (8000, 0), (16000.0, 1), (8000, 70000)]
)
def test_writer_rejects_bad_parameters_before_creating_anything(
    tmp_path: Path, rate: object, channels: object
) -> None:
    with pytest.raises(AudioError):
        WavWriter(tmp_path / "x.wav", rate, channels)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_odd_sized_fmt_chunk_is_padded(tmp_path: Path) -> None:
    samples = _noise(20, 1, seed=9)
    raw = _riff((b"fmt ", _fmt(1, 1, 8000, 16) + b"\0"), (b"data", samples.astype("<i2").tobytes()))
    assert np.array_equal(read_wav(_write(tmp_path, "odd.wav", raw)).samples, samples)


def test_file_shrinking_under_the_reader_stops_at_the_last_whole_frame(tmp_path: Path) -> None:
    samples = _noise(100_000, 2, seed=4)  # far larger than the file object's read buffer
    write_wav(tmp_path / "x.wav", samples, 8000)
    with WavReader(tmp_path / "x.wav") as r:
        first = r.read_frames(100)
        with (tmp_path / "x.wav").open("r+b") as f:
            f.truncate(44 + 30_000 * 4 + 1)
        rest = r.read_frames(100_000)
        assert r.frames == 30_000 and len(r.read_frames(10)) == 0
    assert np.array_equal(np.concatenate([first, rest]), samples[:30_000])


def test_writer_refuses_to_outgrow_a_riff_header(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="4 GiB"):
        with WavWriter(tmp_path / "big.wav", 48000, 2) as w:
            w.frames_written = (0xFFFFFFFF - 36) // 4  # pretend: no need to write 4 GiB
            w.write(np.zeros((1, 2), np.int16))
    assert list(tmp_path.iterdir()) == []
