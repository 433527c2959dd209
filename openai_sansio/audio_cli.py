"""The ``openai-sansio audio`` command: WAV conversion with the pure audio layer.

``openai-sansio audio convert IN.wav OUT.wav [--rate R] [--channels C] [--quiet]`` streams IN in
100 ms blocks through the same transformers an application uses for realtime audio
(`audio.wav.WavReader` -> `audio.convert` -> `audio.resample.Resampler` ->
`audio.wav.WavWriter`), so memory stays flat for any file length and OUT only appears once it
is complete. Typical use: turn a 48 kHz stereo recording into the 24 kHz mono ``pcm16`` the
Realtime API expects (``--rate 24000 --channels 1``), or model output into something a
device plays.

Channel policy: when the channel count changes, the input is mixed down to mono (mean of the
channels) and, if more than one output channel is asked for, the mono signal is copied to each;
when it stays the same, channels pass through untouched. Resampling runs on float32 (scaled
by 1/32768) and the result is rounded back to int16 with saturation.

Exit codes: 0 done; 1 the input is not a WAV we read, or a file error (the message says why);
2 a usage error (argparse's own, or OUT naming the same file as IN).

Wiring (done in `openai_sansio.cli`): call `add_audio_parser(subparsers)` while building the
parser, and dispatch ``args.command == "audio"`` to `run_audio(args)`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import numpy as np
from numpy.typing import NDArray

from .audio._errors import AudioError
from .audio.convert import MAX_CHANNELS, float32_to_int16, int16_to_float32, to_channels, to_mono
from .audio.resample import Resampler
from .audio.wav import WavReader, WavWriter

__all__ = ["add_audio_parser", "run_audio"]

BLOCK_MS = 100
"""Input read per step: small enough to keep memory flat, large enough to amortise overhead."""

PROGRESS_EVERY_S = 10.0
"""Seconds of input audio between two progress updates on stderr."""


def _positive_rate(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer sample rate: {text!r}") from None
    if not 1 <= value <= 0xFFFFFFFF:
        raise argparse.ArgumentTypeError(f"sample rate must be a positive number of Hz: {value}")
    return value


def _channel_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer channel count: {text!r}") from None
    if not 1 <= value <= MAX_CHANNELS:
        raise argparse.ArgumentTypeError(f"channel count must be 1..{MAX_CHANNELS}: {value}")
    return value


def add_audio_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add the ``audio`` command (with its ``convert`` sub-command) to `subparsers`.

    `subparsers` is what ``parser.add_subparsers(dest="command")`` returned. Returns the
    ``audio`` parser. Next: dispatch ``args.command == "audio"`` to `run_audio`.
    """
    audio = subparsers.add_parser("audio", help="convert WAV files (16-bit PCM)")
    audio_sub = audio.add_subparsers(dest="audio_command", required=True)
    conv = audio_sub.add_parser(
        "convert",
        help="change a 16-bit PCM WAV file's sample rate and/or channel count",
        description=(
            "Stream IN through the audio layer and write OUT atomically. Without --rate or"
            " --channels the input's value is kept. Changing the channel count mixes to mono"
            " first, then copies mono to every output channel."
        ),
    )
    conv.add_argument("input", metavar="IN.wav", type=Path, help="16-bit PCM WAV file to read")
    conv.add_argument("output", metavar="OUT.wav", type=Path, help="WAV file to write")
    conv.add_argument("--rate", type=_positive_rate, default=None, help="output sample rate, Hz")
    conv.add_argument("--channels", type=_channel_count, default=None, help="output channel count")
    conv.add_argument(
        "--quiet", action="store_true", help="print nothing but errors (no progress, no summary)"
    )
    return audio


def _describe(rate: int, channels: int, frames: int) -> str:
    plural = "s" if channels != 1 else ""
    return f"{rate} Hz, {channels} channel{plural}, {frames / rate:.3f} s"


class _Progress:
    """A ``\\r``-updated line on stderr every `PROGRESS_EVERY_S` of input audio."""

    def __init__(self, out: TextIO | None, total_frames: int, rate: int) -> None:
        self.out = out
        self.total = total_frames
        self.rate = rate
        self.next_at = PROGRESS_EVERY_S
        self.shown = False

    def update(self, done_frames: int) -> None:
        if self.out is None:
            return
        seconds = done_frames / self.rate
        if seconds < self.next_at:
            return
        while self.next_at <= seconds:
            self.next_at += PROGRESS_EVERY_S
        pct = 100.0 * done_frames / self.total if self.total else 100.0
        total_s = self.total / self.rate
        print(f"\r  {seconds:8.1f} s / {total_s:.1f} s ({pct:3.0f}%)", end="", file=self.out)
        self.out.flush()
        self.shown = True

    def done(self) -> None:
        if self.out is not None and self.shown:
            print(file=self.out)


def _convert(
    src: Path, dst: Path, rate: int | None, channels: int | None, quiet: bool
) -> tuple[str, str]:
    with WavReader(src) as reader:
        in_rate, in_ch = reader.rate, reader.channels
        out_rate = rate if rate is not None else in_rate
        out_ch = channels if channels is not None else in_ch
        remix = out_ch != in_ch
        work_ch = 1 if remix else in_ch  # channels the resampler sees
        resampler = Resampler(in_rate, out_rate, channels=work_ch) if out_rate != in_rate else None
        progress = _Progress(None if quiet else sys.stderr, reader.frames, in_rate)
        done = 0

        def emit(writer: WavWriter, block: NDArray[np.float32]) -> None:
            if not len(block):
                return
            if remix and out_ch > 1:
                block = to_channels(block.reshape(-1), out_ch, interleaved=False)
            writer.write(float32_to_int16(block))

        with WavWriter(dst, out_rate, out_ch) as writer:
            for block in reader.blocks(max(1, in_rate * BLOCK_MS // 1000)):
                samples = int16_to_float32(block)
                if remix:
                    samples = to_mono(samples, in_ch)
                elif work_ch == 1:
                    samples = samples.reshape(-1)
                emit(writer, resampler.push(samples) if resampler is not None else samples)
                done += len(block)
                progress.update(done)
            if resampler is not None:
                emit(writer, resampler.flush())
            progress.done()
            return (
                _describe(in_rate, in_ch, reader.frames),
                _describe(out_rate, out_ch, writer.frames_written),
            )


def run_audio(args: argparse.Namespace) -> int:
    """Run a parsed ``audio`` command; returns the exit code (0 ok, 1 failed, 2 usage).

    Errors are printed to stderr as ``error: ...``; the summary (unless ``--quiet``) goes to
    stdout.
    """
    if args.audio_command != "convert":  # pragma: no cover - argparse requires a known one
        print(f"error: unknown audio command {args.audio_command!r}", file=sys.stderr)
        return 2
    src: Path = args.input
    dst: Path = args.output
    if src.resolve() == dst.resolve():
        print(f"error: OUT must be a different file from IN ({src})", file=sys.stderr)
        return 2
    try:
        before, after = _convert(src, dst, args.rate, args.channels, args.quiet)
    except AudioError as exc:  # includes WavFormatError
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or src}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{src}: {before} -> {dst}: {after}")
    return 0
