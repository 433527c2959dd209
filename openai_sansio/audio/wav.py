"""16-bit PCM WAV files: whole-file helpers and streaming reader/writer.

What: `read_wav` / `write_wav` load or save a whole file; `WavReader` / `WavWriter` stream one
block at a time so an hour of audio never has to sit in memory. Only 16-bit integer PCM is read
or written (any sample rate, any channel count): that is what the OpenAI audio APIs speak
(``pcm16``), and every other encoding is refused with a `WavFormatError` that names what the file
*is* (24-bit PCM, IEEE float, A-law, ADPCM, MP3-in-WAV, not a RIFF file at all, a header cut
short...) and what is supported, instead of the stdlib's opaque ``unknown format: 3``.

Sample layout (one rule everywhere in this module): samples are ``int16`` arrays shaped
``(frames, channels)`` -- two-dimensional even for mono, so ``samples.shape[1]`` is always the
channel count. The writers also accept the interleaved 1-D form (``pcm16_from_bytes`` output) as
long as it holds whole frames. Use ``samples[:, 0]`` or ``samples.reshape(-1)`` for the flat
interleaved form the wire wants.

Why a header probe of our own: stdlib `wave` reads plain ``WAVE_FORMAT_PCM`` files well, and we use
it for those (and for all writing), but it rejects everything else with a one-line error that
does not say what the file holds, and on Python 3.11 it rejects ``WAVE_FORMAT_EXTENSIBLE`` --
the header ffmpeg and sox write for more than two channels -- even when the payload is plain
16-bit PCM. So `WavReader` first walks the RIFF chunks itself (`probe_wav`), explains anything it
cannot read, reads plain PCM through `wave`, and reads extensible-PCM16 payloads directly.

Writes are atomic: `WavWriter` writes a sibling temporary file named ``.<name>.partial`` (a
deterministic name; two writers aimed at the same destination at once will clash) and renames it
over the destination only when it is closed without error, so the destination never holds a
half-written file; on error or an exception inside the ``with`` block the temporary is removed
and any previous destination file is left untouched.

Next: feed the samples to `convert.to_mono` / `convert.to_channels`, `resample.Resampler`,
`vad.EnergyVAD`, or `convert.pcm16_to_bytes` for the wire.
"""

from __future__ import annotations

import contextlib
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Final, Self

import numpy as np
from numpy.typing import NDArray

from ._errors import AudioError

__all__ = [
    "WavAudio",
    "WavFormatError",
    "WavInfo",
    "WavReader",
    "WavWriter",
    "probe_wav",
    "read_wav",
    "write_wav",
]

WAVE_FORMAT_PCM: Final = 0x0001
WAVE_FORMAT_EXTENSIBLE: Final = 0xFFFE
SUPPORTED: Final = "only 16-bit integer PCM WAV (any sample rate, any channel count) is supported"
CONVERT_HINT: Final = "convert it first, e.g. `ffmpeg -i IN -c:a pcm_s16le OUT.wav`"
MAX_DATA_BYTES: Final = 0xFFFFFFFF - 36
"""A RIFF size field is 32 bits: a WAV file cannot hold more data than this (about 4 GiB)."""

_FORMAT_NAMES: Final[dict[int, str]] = {
    0x0002: "Microsoft ADPCM",
    0x0003: "IEEE float",
    0x0006: "A-law (G.711)",
    0x0007: "mu-law (G.711)",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0040: "G.721 ADPCM",
    0x0050: "MPEG audio",
    0x0055: "MP3",
    0x00FF: "AAC",
    0x0161: "Windows Media Audio",
    0x1610: "AAC (HE-AAC)",
    0xF1AC: "FLAC",
}
"""Names of common non-PCM format tags, for error messages only."""

_OTHER_CONTAINERS: Final[tuple[tuple[bytes, str], ...]] = (
    (b"RIFX", "a big-endian RIFX file"),
    (b"RF64", "an RF64 (64-bit WAV) file"),
    (b"BW64", "a BW64 (broadcast 64-bit WAV) file"),
    (b"FORM", "an AIFF file"),
    (b"OggS", "an Ogg file"),
    (b"fLaC", "a FLAC file"),
    (b"ID3", "an MP3 file"),
    (b"\xff\xfb", "an MP3 file"),
    (b"\xff\xf3", "an MP3 file"),
    (b"\x1aE\xdf\xa3", "a Matroska/WebM file"),
    (b"caff", "a Core Audio (CAF) file"),
)


class WavFormatError(AudioError):
    """The file is not a WAV we read: the message says what it is and what is supported."""


@dataclass(frozen=True, slots=True)
class WavInfo:
    """What `probe_wav` found in a header: enough to explain or to read the payload.

    `format_tag` is the effective tag (the sub-format for ``WAVE_FORMAT_EXTENSIBLE``);
    `data_offset`/`data_bytes` locate the payload (`data_bytes` already capped at the bytes the
    file really holds, so a truncated file reads as a shorter one); `frames` is whole frames.
    """

    format_tag: int
    extensible: bool
    channels: int
    rate: int
    bits: int
    block_align: int
    data_offset: int
    data_bytes: int

    @property
    def frames(self) -> int:
        """Whole frames in the payload (a trailing partial frame is ignored)."""
        return self.data_bytes // self.block_align if self.block_align else 0

    def describe(self) -> str:
        """A short human description, e.g. ``24-bit PCM, 2 channels, 48000 Hz``."""
        if self.format_tag == WAVE_FORMAT_PCM:
            kind = f"{self.bits}-bit PCM"
        else:
            name = _FORMAT_NAMES.get(self.format_tag, f"format tag 0x{self.format_tag:04X}")
            kind = f"{self.bits}-bit {name}" if self.format_tag == 0x0003 else name
        if self.extensible:
            kind += " (WAVE_FORMAT_EXTENSIBLE)"
        plural = "s" if self.channels != 1 else ""
        return f"{kind}, {self.channels} channel{plural}, {self.rate} Hz"


def _refuse(path: Path, what: str) -> WavFormatError:
    return WavFormatError(f"{path}: {what}; {SUPPORTED}; {CONVERT_HINT}")


def _probe_open(f: IO[bytes], path: Path) -> WavInfo:
    """Walk the RIFF chunks of an open binary file up to the ``data`` chunk header."""
    head = f.read(12)
    if not head:
        raise _refuse(path, "the file is empty, not a WAV file")
    for magic, name in _OTHER_CONTAINERS:
        if head.startswith(magic):
            raise _refuse(path, f"this is {name}, not a RIFF/WAVE file")
    if head[:4] != b"RIFF" and not b"RIFF".startswith(head):
        raise _refuse(path, f"not a RIFF/WAVE file (it starts with {head[:4]!r})")
    if len(head) < 12:
        raise _refuse(
            path, f"truncated header: {len(head)} bytes, a WAV file needs a 12-byte RIFF header"
        )
    if head[8:12] != b"WAVE":
        raise _refuse(path, f"a RIFF file of form {head[8:12]!r}, not WAVE")

    fmt: tuple[int, bool, int, int, int, int] | None = None
    while True:
        chunk_head = f.read(8)
        if len(chunk_head) < 8:
            if fmt is None:
                raise _refuse(path, "truncated header: the file ends before its 'fmt ' chunk")
            raise _refuse(path, "truncated file: the file ends before its 'data' chunk")
        chunk_id = chunk_head[:4]
        (size,) = struct.unpack("<I", chunk_head[4:])
        if chunk_id == b"fmt ":
            body = f.read(size)
            if size < 16 or len(body) < 16:
                raise _refuse(
                    path, f"truncated header: a 'fmt ' chunk of {len(body)} bytes (needs 16)"
                )
            tag, channels, rate, _byte_rate, block_align, bits = struct.unpack("<HHIIHH", body[:16])
            extensible = tag == WAVE_FORMAT_EXTENSIBLE
            if extensible:
                if len(body) < 40:
                    raise _refuse(
                        path,
                        f"truncated header: a WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk of"
                        f" {len(body)} bytes (needs 40)",
                    )
                (tag,) = struct.unpack("<H", body[24:26])  # first two bytes of the GUID
            if size % 2:
                f.read(1)  # RIFF chunks are padded to an even size
            fmt = (tag, extensible, channels, rate, block_align, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise _refuse(path, "malformed header: 'data' chunk before the 'fmt ' chunk")
            offset = f.tell()
            end = f.seek(0, 2)
            f.seek(offset)
            tag, extensible, channels, rate, block_align, bits = fmt
            return WavInfo(
                format_tag=tag,
                extensible=extensible,
                channels=channels,
                rate=rate,
                bits=bits,
                block_align=block_align,
                data_offset=offset,
                data_bytes=max(0, min(size, end - offset)),
            )
        else:
            here = f.tell()
            target = here + size + (size % 2)
            if f.seek(0, 2) < target:
                missing = "'fmt '" if fmt is None else "'data'"
                raise _refuse(path, f"truncated file: the file ends before its {missing} chunk")
            f.seek(target)


def _check_supported(info: WavInfo, path: Path) -> None:
    if info.format_tag != WAVE_FORMAT_PCM or info.bits != 16:
        raise _refuse(path, f"{info.describe()} is not supported")
    if info.channels < 1:
        raise _refuse(path, "malformed header: 0 channels")
    if info.rate < 1:
        raise _refuse(path, "malformed header: a sample rate of 0 Hz")
    if info.block_align != 2 * info.channels:
        raise _refuse(
            path,
            f"malformed header: block align {info.block_align} for {info.channels} channel(s)"
            f" of 16-bit PCM (expected {2 * info.channels})",
        )


def probe_wav(path: str | Path) -> WavInfo:
    """Describe a WAV file's header without reading its samples.

    Raises `WavFormatError` only when the header itself is unreadable (not RIFF/WAVE,
    truncated); an unsupported but well-formed encoding is *described*, not refused, so tools
    can report it. Call `WavReader` / `read_wav` next to read the samples.
    """
    p = Path(path)
    with p.open("rb") as f:
        return _probe_open(f, p)


class WavReader:
    """Stream the samples of a 16-bit PCM WAV file, one block at a time.

    ``with WavReader(path) as r:`` then ``r.read_frames(n)`` until it returns an empty array, or
    ``for block in r.blocks(n)``. `.rate`, `.channels`, `.frames` and `.duration_ms` come from
    the header (`.frames` is capped at what the file really holds). Blocks are ``int16`` arrays
    shaped ``(k, channels)``. Opening an unsupported file raises `WavFormatError` at once;
    a missing file raises `OSError` (`FileNotFoundError`).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: IO[bytes] | None = self.path.open("rb")
        self._wave: wave.Wave_read | None = None
        try:
            info = _probe_open(self._file, self.path)
            _check_supported(info, self.path)
            if not info.extensible:
                # Plain WAVE_FORMAT_PCM: the stdlib reads it (and byte-swaps on big-endian).
                self._file.seek(0)
                self._wave = wave.Wave_read(self._file)
        except (wave.Error, EOFError) as exc:  # pragma: no cover - the probe refuses these first
            self.close()
            raise _refuse(self.path, f"unreadable WAV header ({exc})") from exc
        except BaseException:
            self.close()
            raise
        self.info = info
        self.rate: int = info.rate
        self.channels: int = info.channels
        self.frames: int = info.frames
        self._position = 0

    @property
    def duration_ms(self) -> float:
        """Length of the audio in milliseconds (`frames` / `rate`)."""
        return self.frames * 1000.0 / self.rate

    @property
    def position(self) -> int:
        """Frames read so far."""
        return self._position

    def read_frames(self, n: int) -> NDArray[np.int16]:
        """Read up to `n` frames as ``int16`` shaped ``(k, channels)``; ``k == 0`` at the end.

        Call it repeatedly (or use `blocks`) until it returns an empty array.
        """
        if self._file is None:
            raise AudioError(f"{self.path}: read_frames() on a closed WavReader")
        if n < 0:
            raise AudioError(f"read_frames(n) needs n >= 0, got {n}")
        k = min(n, self.frames - self._position)
        if k <= 0:
            return np.zeros((0, self.channels), dtype=np.int16)
        want = k * self.info.block_align
        if self._wave is not None:
            data = self._wave.readframes(k)
            dtype = np.dtype(np.int16)  # `wave` already returned native byte order
        else:
            self._file.seek(self.info.data_offset + self._position * self.info.block_align)
            data = self._file.read(want)
            dtype = np.dtype("<i2")
        if len(data) < want:  # the file shrank under us: stop at the last whole frame
            k = len(data) // self.info.block_align
            data = data[: k * self.info.block_align]
            self.frames = self._position + k
        self._position += k
        samples = np.frombuffer(data, dtype=dtype).astype(np.int16, copy=True)
        return samples.reshape(k, self.channels)

    def blocks(self, frames_per_block: int) -> Iterator[NDArray[np.int16]]:
        """Yield consecutive blocks of `frames_per_block` frames (the last may be shorter)."""
        if frames_per_block < 1:
            raise AudioError(f"blocks() needs frames_per_block >= 1, got {frames_per_block}")
        while True:
            block = self.read_frames(frames_per_block)
            if not len(block):
                return
            yield block

    def close(self) -> None:
        """Release the file (idempotent)."""
        w, f = self._wave, self._file
        self._wave = None
        self._file = None
        try:
            if w is not None:
                w.close()
        finally:
            if f is not None:
                f.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _as_frames(samples: NDArray[np.generic], channels: int) -> NDArray[np.int16]:
    """Validate writer input and return it as ``(frames, channels)`` int16 (no copy if possible)."""
    arr = np.asarray(samples)
    if arr.dtype != np.int16:
        raise AudioError(
            f"WAV samples must be int16, got {arr.dtype}; convert float audio with"
            " convert.float32_to_int16 first"
        )
    if arr.ndim == 1:
        if arr.size % channels:
            raise AudioError(
                f"{arr.size} interleaved samples are not a whole number of {channels}-channel"
                " frames"
            )
        return arr.reshape(-1, channels)
    if arr.ndim == 2 and arr.shape[1] == channels:
        return arr
    raise AudioError(
        f"WAV samples must be shaped (frames, {channels}) or interleaved 1-D, got {arr.shape}"
    )


class WavWriter:
    """Write a 16-bit PCM WAV file block by block, atomically.

    ``with WavWriter(path, rate, channels) as w: w.write(block)``. Blocks are ``int16`` shaped
    ``(k, channels)`` or interleaved 1-D with whole frames. The data go to the sibling
    ``.<name>.partial`` and are renamed onto `path` by `close` (called by a clean ``with``
    exit); `abort` (called on an exception inside the ``with``, or when writing fails) removes
    the temporary and leaves `path` as it was. Not closing at all leaves the temporary behind,
    so always use the ``with`` form.
    """

    def __init__(self, path: str | Path, rate: int, channels: int = 1) -> None:
        if not isinstance(rate, int) or not 1 <= rate <= 0xFFFFFFFF:
            raise AudioError(f"WAV sample rate must be a positive integer, got {rate!r}")
        if not isinstance(channels, int) or not 1 <= channels <= 0xFFFF:
            raise AudioError(f"WAV channel count must be 1..65535, got {channels!r}")
        self.path = Path(path)
        self.temp_path = self.path.with_name(f".{self.path.name}.partial")
        self.rate = rate
        self.channels = channels
        self.frames_written = 0
        self._file: IO[bytes] | None = self.temp_path.open("wb")
        self._wave: wave.Wave_write | None = None
        try:
            w = wave.Wave_write(self._file)
            self._wave = w
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
        except BaseException:  # pragma: no cover - the parameters were validated above
            self.abort()
            raise

    @property
    def duration_ms(self) -> float:
        """Milliseconds of audio written so far."""
        return self.frames_written * 1000.0 / self.rate

    def write(self, samples: NDArray[np.generic]) -> None:
        """Append a block of ``int16`` frames; call `close` (or leave the ``with``) when done.

        Raises `AudioError` for a wrong dtype or shape (nothing is written) and when the file
        would outgrow the 4 GiB a RIFF header can describe.
        """
        if self._wave is None:
            raise AudioError(f"{self.path}: write() on a closed WavWriter")
        frames = _as_frames(samples, self.channels)
        total = (self.frames_written + len(frames)) * 2 * self.channels
        if total > MAX_DATA_BYTES:
            raise AudioError(f"{self.path}: a WAV file cannot hold more than 4 GiB of samples")
        # `wave` expects native byte order and swaps to little-endian itself.
        self._wave.writeframesraw(np.ascontiguousarray(frames, dtype=np.int16).tobytes())
        self.frames_written += len(frames)

    def close(self) -> None:
        """Finish the header and move the file into place (idempotent after success).

        If finishing fails, the temporary is removed, the destination is untouched, and the
        error propagates.
        """
        w, f = self._wave, self._file
        if w is None or f is None:  # both are set until close() or abort()
            return
        try:
            w.close()  # patches the RIFF and data sizes; leaves our file object open
            self._wave = None
            f.close()
            self._file = None
            self.temp_path.replace(self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Discard everything written: remove the temporary, leave the destination untouched."""
        w, f = self._wave, self._file
        self._wave = None
        self._file = None
        try:
            if w is not None:
                with contextlib.suppress(Exception):  # the partial file is discarded anyway
                    w.close()
        finally:
            try:
                if f is not None:
                    f.close()
            finally:
                self.temp_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@dataclass(frozen=True, slots=True, eq=False)
class WavAudio:
    """A whole WAV file in memory: ``int16`` `samples` shaped ``(frames, channels)``.

    Compare two with ``np.array_equal(a.samples, b.samples)`` (arrays have no plain ``==``).
    """

    samples: NDArray[np.int16]
    rate: int
    channels: int

    @property
    def frames(self) -> int:
        """Number of frames (samples per channel)."""
        return int(self.samples.shape[0])

    @property
    def duration_ms(self) -> float:
        """Length in milliseconds."""
        return self.frames * 1000.0 / self.rate


def read_wav(path: str | Path) -> WavAudio:
    """Read a whole 16-bit PCM WAV file; for long files stream with `WavReader` instead."""
    with WavReader(path) as r:
        samples = r.read_frames(r.frames)
        return WavAudio(samples=samples, rate=r.rate, channels=r.channels)


def write_wav(
    path: str | Path, samples: NDArray[np.generic], rate: int, channels: int | None = None
) -> None:
    """Write ``int16`` samples as a 16-bit PCM WAV file, atomically (see `WavWriter`).

    `channels` defaults to ``samples.shape[1]`` for 2-D input and 1 for 1-D input; pass it to
    write interleaved 1-D multi-channel samples.
    """
    arr = np.asarray(samples)
    if channels is None:
        channels = int(arr.shape[1]) if arr.ndim == 2 else 1
    with WavWriter(path, rate, channels) as w:
        w.write(arr)
