"""Mechanics shared by the fuzz targets and `make_corpus` (not a target itself).

The stream targets (`fuzz_sse`, `fuzz_chat_stream`, `fuzz_response_stream`) read one input
layout: byte 0 picks a setting, byte 1 says how many split points follow (0..15, two bytes
each), the rest is the stream. `split_input` reads it and `seed` writes it.

A target imports this module as ``fuzz._common`` (with the repository on ``sys.path``, which
every target arranges first) and *after* its ``atheris.instrument_imports()`` block: atheris
instruments only the modules first imported inside that block, and this module imports
`openai_sansio.protocol`. The harness itself stays uninstrumented, as it was when these
helpers lived in each target.
"""

from __future__ import annotations

import gzip
import json
import os
import traceback
from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

from openai_sansio.protocol import NEED_DATA

T = TypeVar("T")

SHARED = Path(__file__).resolve().parents[2] / "shared"  # <repo>/../shared
MAX_SPLIT_POINTS = 15


# --------------------------------------------------------------------------------------------
# The input layout.


def split_points(control: bytes, length: int) -> list[int]:
    """Cut offsets into a `length`-byte stream, two control bytes each."""
    return sorted(
        int.from_bytes(control[i : i + 2], "little") % (length + 1)
        for i in range(0, len(control) - 1, 2)
    )


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    return [stream[a:b] for a, b in pairwise([0, *points, len(stream)])]


def split_input(data: bytes, settings: Sequence[T]) -> tuple[T, bytes, list[int]]:
    """The setting byte 0 picks from `settings`, the stream, and its split points (`data`
    has at least two bytes)."""
    setting = settings[data[0] % len(settings)]
    n_points = data[1] % (MAX_SPLIT_POINTS + 1)
    control, stream = data[2 : 2 + 2 * n_points], data[2 + 2 * n_points :]
    return setting, stream, split_points(control, len(stream))


def seed(stream: bytes, setting: int = 0, cuts: Iterable[int] = ()) -> bytes:
    """A stream target's input: setting byte, number of cuts, the cuts, the body."""
    points = list(cuts)[:MAX_SPLIT_POINTS]
    control = b"".join((p % 65536).to_bytes(2, "little") for p in points)
    return bytes([setting, len(points)]) + control + stream


# --------------------------------------------------------------------------------------------
# Stream machines (`ChatStream`, `ResponseStream`).


def drain(machine: Any, into: list[Any]) -> None:
    while (event := machine.next_event()) is not NEED_DATA:
        into.append(event)


def compare(
    whole: list[Any],
    whole_error: str | None,
    other: list[Any],
    other_error: str | None,
    *,
    differ: str = "two ways of feeding gave different events",
) -> None:
    """Two ways of feeding agree: same events (by `repr`) and outcome, or (an SSE bound
    tripped) the same events as far as both got. `differ` is the message when they do not."""
    assert (whole_error is None) == (other_error is None), f"{whole_error!r} vs {other_error!r}"
    if any(e is not None and e.startswith("sse_") for e in (whole_error, other_error)):
        shorter = min(len(whole), len(other))
        assert repr(whole[:shorter]) == repr(other[:shorter]), "events differ before the error"
        return
    assert whole_error == other_error, f"{whole_error!r} vs {other_error!r}"
    assert repr(whole) == repr(other), differ


# --------------------------------------------------------------------------------------------
# Seeds: the shared fixtures, and corpus directories.


def example_rows(shared: Path) -> list[dict[str, Any]] | None:
    """The rows of ``openapi-event-examples.jsonl`` (``group``, ``example``, ...), or None
    when the file is missing."""
    examples = shared / "fixtures" / "openapi-event-examples.jsonl"
    if not examples.is_file():
        return None
    return [json.loads(line) for line in examples.read_text("utf-8").splitlines() if line.strip()]


def recorded_bodies(shared: Path) -> list[bytes]:
    """The byte-exact recorded Chat Completions SSE bodies, ``chat-sse-recorded/*.bin``."""
    return [
        p.read_bytes() for p in sorted((shared / "fixtures" / "chat-sse-recorded").glob("*.bin"))
    ]


def seed_corpus_dirs(argv: list[str], seeds: Callable[[], Iterable[bytes]]) -> None:
    """Write `seeds()` into each corpus directory named on the command line that is missing or
    empty (libFuzzer reads positional arguments as corpus directories; a positional FILE is an
    input to run once, e.g. a crash to reproduce, and is left alone)."""
    for arg in argv[1:]:
        if arg.startswith("-"):
            continue
        directory = Path(arg)
        if directory.is_file() or (directory.is_dir() and any(directory.iterdir())):
            continue
        directory.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(dict.fromkeys(seeds())):
            (directory / f"seed-{i:04d}").write_bytes(data)


# --------------------------------------------------------------------------------------------
# Recorded traces (``tests/data/<api>/*.jsonl``, DESIGN.md 7): their frames and bodies seed the
# targets.

TESTS_DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def trace_records(api_dir: str, data: Path = TESTS_DATA) -> list[list[dict[str, Any]]]:
    """Every trace under ``tests/data/<api_dir>/`` (``.jsonl``, gzip ``.jsonl.gz`` too), each
    as its list of records (the header first); an empty list when there are none."""
    out = []
    for path in sorted((data / api_dir).glob("*.jsonl*")):
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if path.suffix == ".gz" else raw).decode("utf-8")
        out.append([json.loads(line) for line in text.splitlines() if line.strip()])
    return out


def example_events(shared: Path, *groups: str, types: tuple[str, ...] = ()) -> list[Any]:
    """The official examples of `groups` (all groups when none), or of the given `types`."""
    rows = example_rows(shared) or []
    return [
        r["example"]
        for r in rows
        if (not groups or r["group"] in groups) and (not types or r["example"].get("type") in types)
    ]


class Reader:
    """An operation target's input, read front to back; past the end every read gives zeros
    (so any byte string is a valid input)."""

    def __init__(self, data: bytes, at: int = 0) -> None:
        self.data = data
        self.at = at

    def __bool__(self) -> bool:
        return self.at < len(self.data)

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def u16(self) -> int:
        return self.byte() | self.byte() << 8

    def take(self, n: int) -> bytes:
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk


def merge_runs(events: list[Any], kind: type, field: str) -> list[Any]:
    """`events` with each run of consecutive `kind` events (chunks as the network cut them,
    e.g. `AudioBytes`) merged into one, their `field` bytes joined: what must not depend on
    the split."""
    out: list[Any] = []
    for event in events:
        if isinstance(event, kind) and out and isinstance(out[-1], kind):
            joined = getattr(out[-1], field) + getattr(event, field)
            out[-1] = msgspec.structs.replace(out[-1], **{field: joined})
        else:
            out.append(event)
    return out


# --------------------------------------------------------------------------------------------
# Failures found and reported, not fixed yet (each target's ``KNOWN_BUGS``).

KnownBugs = tuple[tuple[str, type[BaseException], str], ...]
"""(name, exception type, the function it escaped from or a piece of its message)."""
SKIP_KNOWN = os.environ.get("FUZZ_SKIP_KNOWN") == "1"


def known_bug(exc: BaseException, known: KnownBugs) -> str | None:
    """The name of the known failure `exc` is, or None."""
    names = {frame.name for frame in traceback.extract_tb(exc.__traceback__)}
    for name, kind, marker in known:
        if isinstance(exc, kind) and (marker in names or marker in str(exc)):
            return name
    return None


def tolerating_known(run: Callable[[bytes], Any], known: KnownBugs) -> Callable[[bytes], None]:
    """`run` as a ``TestOneInput``: with ``FUZZ_SKIP_KNOWN=1`` in the environment an input
    that trips a known failure ends quietly, so a long run looks for new ones."""

    def test_one_input(data: bytes) -> None:
        try:
            run(data)
        except Exception as exc:
            if SKIP_KNOWN and known_bug(exc, known) is not None:
                return
            raise

    return test_one_input


# ---------------------------------------------------------------------------- session seeds
# The three session targets (Realtime voice, Responses WebSocket, transcription) read the
# same operation layout: one byte, ``% 16`` the operation and ``// 16`` its variant; kinds
# 0..3 feed a server-event template, kind 4 feeds raw bytes (two length bytes, then them).

RAW_OP: Final = 4


def raw(event: dict[str, Any] | bytes, as_text: bool = False) -> bytes:
    """A ``raw`` operation feeding `event`."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return bytes([RAW_OP + (16 if as_text else 0)]) + len(body).to_bytes(2, "little") + body


def tpl(index: int, a: int = 0, b: int = 0, variant: int = 0, how: int = 0) -> bytes:
    """A ``feed`` operation: template `index` with picks `a`, `b`."""
    extra = bytes([how]) if variant >= 10 else b""
    return bytes([variant * 16, index, a, b]) + extra


def op(kind: int, variant: int = 0, args: bytes = b"") -> bytes:
    """Operation `kind` (its variant, then its argument bytes)."""
    return bytes([variant * 16 + kind]) + args
