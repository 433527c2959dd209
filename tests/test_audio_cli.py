"""``audio convert``: rate and channel changes through argparse, exit codes, messages."""

from __future__ import annotations

import argparse
import struct
from pathlib import Path

import numpy as np
import pytest

from openai_sansio.audio.wav import read_wav, write_wav
from openai_sansio.audio_cli import add_audio_parser, run_audio


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="openai-sansio")
    sub = parser.add_subparsers(dest="command", required=True)
    add_audio_parser(sub)
    return parser


def _main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    assert args.command == "audio"
    return run_audio(args)


def _tone(rate: int, seconds: float, freq: float = 997.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return np.round(level * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    """Frequency of the FFT peak, refined by parabolic interpolation of the log magnitude."""
    x = x.astype(np.float64) * np.hanning(len(x))
    mag = np.abs(np.fft.rfft(x))
    k = int(np.argmax(mag[1:-1])) + 1
    a, b, c = np.log(mag[k - 1 : k + 2] + 1e-12)
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + offset) * rate / len(x))


def test_48k_stereo_to_24k_mono(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tone = _tone(48000, 2.0)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, np.stack([tone, tone // 2], axis=1), 48000)
    assert (
        _main(["audio", "convert", str(src), str(dst), "--rate", "24000", "--channels", "1"]) == 0
    )
    out = read_wav(dst)
    assert (out.rate, out.channels) == (24000, 1)
    assert abs(out.duration_ms - 2000.0) <= 3.0
    mono = out.samples[:, 0]
    assert abs(_peak_hz(mono, 24000) - 997.0) < 0.5
    # Level: the mean of the two channels, 0.375 full scale (RMS 0.265), away from the edges.
    rms = np.sqrt(np.mean((mono[2400:-2400] / 32768.0) ** 2))
    assert rms == pytest.approx(0.375 / np.sqrt(2), rel=0.01)
    summary = capsys.readouterr().out
    assert "48000 Hz, 2 channels, 2.000 s" in summary and "24000 Hz, 1 channel, 2.000 s" in summary
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav", "out.wav"]


def test_8k_mono_to_24k_stereo(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, _tone(8000, 1.5), 8000)
    assert (
        _main(["audio", "convert", str(src), str(dst), "--rate", "24000", "--channels", "2"]) == 0
    )
    out = read_wav(dst)
    assert (out.rate, out.channels) == (24000, 2)
    assert abs(out.duration_ms - 1500.0) <= 3.0
    assert np.array_equal(out.samples[:, 0], out.samples[:, 1])
    assert abs(_peak_hz(out.samples[:, 0], 24000) - 997.0) < 0.5


@pytest.mark.parametrize(("rate_in", "rate_out"), [(16000, 44100), (44100, 16000), (24000, 48000)])
def test_rate_only_keeps_channels_and_frequency(
    tmp_path: Path, rate_in: int, rate_out: int
) -> None:
    tone = _tone(rate_in, 1.0)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, np.stack([tone, -tone], axis=1), rate_in)
    assert _main(["audio", "convert", str(src), str(dst), "--rate", str(rate_out), "--quiet"]) == 0
    out = read_wav(dst)
    assert (out.rate, out.channels) == (rate_out, 2)
    assert abs(out.duration_ms - 1000.0) <= 3.0
    assert abs(_peak_hz(out.samples[:, 0], rate_out) - 997.0) < 0.5
    # The channels went through separately: the second is still the negated first.
    assert np.max(np.abs(out.samples[:, 0].astype(int) + out.samples[:, 1])) <= 2


def test_six_channels_to_stereo_at_the_same_rate(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    samples = rng.integers(-8000, 8000, size=(4000, 6), dtype=np.int16)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, samples, 16000)
    assert _main(["audio", "convert", str(src), str(dst), "--channels", "2", "--quiet"]) == 0
    out = read_wav(dst)
    assert out.samples.shape == (4000, 2) and out.rate == 16000
    expected = samples.astype(np.float64).mean(axis=1)
    assert np.max(np.abs(out.samples[:, 0] - expected)) <= 1.0
    assert np.array_equal(out.samples[:, 0], out.samples[:, 1])


def test_no_change_is_a_bit_exact_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = np.random.default_rng(2)
    samples = rng.integers(-32768, 32768, size=(3000, 2), dtype=np.int16)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(src, samples, 22050)
    assert _main(["audio", "convert", str(src), str(dst), "--quiet"]) == 0
    assert np.array_equal(read_wav(dst).samples, samples)
    assert capsys.readouterr() == ("", "")


def test_long_files_show_progress_and_quiet_silences_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "long.wav"
    write_wav(src, _tone(8000, 25.0, level=0.1), 8000)
    assert _main(["audio", "convert", str(src), str(tmp_path / "a.wav"), "--rate", "16000"]) == 0
    captured = capsys.readouterr()
    assert "\r" in captured.err and "10.0 s / 25.0 s" in captured.err
    assert "20.0 s / 25.0 s" in captured.err and captured.err.endswith("\n")
    assert "-> " in captured.out and "16000 Hz, 1 channel, 25.000 s" in captured.out
    quiet = ["audio", "convert", str(src), str(tmp_path / "b.wav"), "--rate", "16000", "--quiet"]
    assert _main(quiet) == 0
    assert capsys.readouterr() == ("", "")
    assert read_wav(tmp_path / "b.wav").frames == read_wav(tmp_path / "a.wav").frames


def _float_wav() -> bytes:
    fmt = struct.pack("<HHIIHH", 3, 1, 48000, 48000 * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 8)
    return b"RIFF" + struct.pack("<I", len(body) + 8) + body + b"\0" * 8


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_float_wav(), "32-bit IEEE float"),
        (b"just some text\n", "not a RIFF/WAVE file"),
        (None, "No such file"),
    ],
    ids=["float", "text", "missing"],
)
def test_bad_input_exits_1_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    if content is not None:
        src.write_bytes(content)
    assert _main(["audio", "convert", str(src), str(dst), "--rate", "24000"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and str(src) in err
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if content is None else ["in.wav"])


def test_unwritable_output_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.wav"
    write_wav(src, _tone(8000, 0.1), 8000)
    assert _main(["audio", "convert", str(src), str(tmp_path / "no-dir" / "out.wav")]) == 1
    assert "error: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ["--rate", "0"],
        ["--rate", "fast"],
        ["--channels", "0"],
        ["--channels", "two"],
        ["--channels", "300"],
        ["--bogus"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, extra: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _main(["audio", "convert", str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), *extra])
    assert info.value.code == 2


def test_missing_subcommand_and_same_file_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        _main(["audio"])
    assert info.value.code == 2
    src = tmp_path / "in.wav"
    write_wav(src, _tone(8000, 0.1), 8000)
    before = src.read_bytes()
    assert _main(["audio", "convert", str(src), str(tmp_path / "." / "in.wav")]) == 2
    assert "different file" in capsys.readouterr().err
    assert src.read_bytes() == before
