"""Fuzz target: the Chat Completions stream machine (`openai_sansio.protocol.ChatStream`).

Input layout (as `fuzz_sse`): byte 0 picks the machine's bounds (`CONFIGS`); byte 1 says how
many split points follow (0..15, two bytes each); the rest is the SSE body. Invariants
(DESIGN.md 3.4 and 8):

* `receive_data` returns or raises `RemoteProtocolError`; `receive_eof`/`next_event` never
  raise; nothing else escapes;
* the body fed whole and fed at the split points give the same events (compared by `repr`)
  up to the first error, and fail alike: both or neither, with the same reason unless an SSE
  bound tripped (the SSE decoder refuses a whole chunk at once, so a split feed may have
  dispatched a few more events before it);
* after a failure the machine is BROKEN: more data is refused, EOF is quiet;
* a stream that did not fail ends with exactly one `ChatEnd`, last, whose result is `result`;
  only the documented event types come out; every `ToolCall` has parsed arguments xor a
  problem; `receive_data` after `receive_eof` is a `LocalProtocolError`.

Run: ``python fuzz/fuzz_chat_stream.py fuzz/corpus/chat_stream`` (an empty or missing corpus
directory is seeded from ``../shared/fixtures`` first; see `seeds`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_chat_stream.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    with atheris.instrument_imports():
        from openai_sansio.protocol import (
            NEED_DATA,
            APIError,
            ChatChoiceDone,
            ChatEnd,
            ChatStream,
            LocalProtocolError,
            RemoteProtocolError,
            StreamState,
            ToolCall,
        )
        from openai_sansio.protocol.events.chat import ChatCompletionChunk
else:
    from openai_sansio.protocol import (
        NEED_DATA,
        APIError,
        ChatChoiceDone,
        ChatEnd,
        ChatStream,
        LocalProtocolError,
        RemoteProtocolError,
        StreamState,
        ToolCall,
    )
    from openai_sansio.protocol.events.chat import ChatCompletionChunk

CONFIGS: tuple[dict[str, int], ...] = (
    {},  # the defaults
    {"max_items": 2, "max_text_chars": 64},
    {"max_items": 1},
    {"max_text_chars": 8},
    {"max_event_bytes": 96},
    {},
    {},
    {},  # the defaults weigh most
)
ALLOWED = (ChatCompletionChunk, ToolCall, ChatChoiceDone, APIError, ChatEnd)
SHARED = Path(__file__).resolve().parents[2] / "shared"


def split_points(control: bytes, length: int) -> list[int]:
    """Cut offsets into a `length`-byte stream, two control bytes each."""
    return sorted(
        int.from_bytes(control[i : i + 2], "little") % (length + 1)
        for i in range(0, len(control) - 1, 2)
    )


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    return [stream[a:b] for a, b in pairwise([0, *points, len(stream)])]


def _drain(machine: Any, into: list[Any]) -> None:
    while (event := machine.next_event()) is not NEED_DATA:
        into.append(event)


def _run(chunks: list[bytes], config: dict[str, int]) -> tuple[list[Any], str | None]:
    """The events, and the error hint when the machine refused the body."""
    machine = ChatStream(**config)
    events: list[Any] = []
    try:
        for chunk in chunks:
            machine.receive_data(chunk)
            _drain(machine, events)
    except RemoteProtocolError as exc:
        _drain(machine, events)
        assert machine.state is StreamState.BROKEN, "a refused stream is not BROKEN"
        try:
            machine.receive_data(b"data: [DONE]\n\n")
        except RemoteProtocolError:
            pass
        else:
            raise AssertionError("a BROKEN machine accepted more data") from None
        machine.receive_eof()
        assert machine.next_event() is NEED_DATA, "EOF on a BROKEN machine produced events"
        return events, exc.error_hint
    machine.receive_eof()
    machine.receive_eof()  # idempotent
    _drain(machine, events)
    _check_complete(machine, events)
    return events, None


def _check_complete(machine: Any, events: list[Any]) -> None:
    assert events, "no events after EOF"
    assert all(isinstance(e, ALLOWED) for e in events), "an undocumented event type came out"
    ends = [e for e in events if isinstance(e, ChatEnd)]
    assert len(ends) == 1 and events[-1] is ends[0], "not exactly one ChatEnd, last"
    assert machine.result is ends[0].result
    assert machine.state is StreamState.DONE
    assert machine.data_to_send() == []
    for event in events:
        if isinstance(event, ToolCall):
            assert (event.problem is None) != (event.parsed is None), "parsed xor problem"
    result = ends[0].result
    assert [c.index for c in result.choices] == sorted({c.index for c in result.choices})
    try:
        machine.receive_data(b"data: [DONE]\n\n")
    except LocalProtocolError:
        pass
    else:
        raise AssertionError("receive_data after receive_eof was accepted")


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    config = CONFIGS[data[0] % len(CONFIGS)]
    n_points = data[1] % 16
    control, stream = data[2 : 2 + 2 * n_points], data[2 + 2 * n_points :]
    points = split_points(control, len(stream))

    whole, whole_error = _run([stream], config)
    split, split_error = _run(cut(stream, points), config)
    compare(whole, whole_error, split, split_error)


def compare(
    whole: list[Any], whole_error: str | None, split: list[Any], split_error: str | None
) -> None:
    """Whole and split feeding agree: same events and outcome, or (an SSE bound tripped) the
    same events as far as both got."""
    assert (whole_error is None) == (split_error is None), f"{whole_error!r} vs {split_error!r}"
    if any(e is not None and e.startswith("sse_") for e in (whole_error, split_error)):
        shorter = min(len(whole), len(split))
        assert repr(whole[:shorter]) == repr(split[:shorter]), "events differ before the error"
        return
    assert whole_error == split_error, f"{whole_error!r} vs {split_error!r}"
    assert repr(whole) == repr(split), "whole and split input gave different events"


# --------------------------------------------------------------------------------------------
# Seeds, from the recorded streams and the official examples.


def seed(stream: bytes, config: int = 0, cuts: list[int] | tuple[int, ...] = ()) -> bytes:
    """A `TestOneInput` input: config byte, number of cuts, the cuts, the body."""
    points = list(cuts)[:15]
    control = b"".join((p % 65536).to_bytes(2, "little") for p in points)
    return bytes([config, len(points)]) + control + stream


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    recorded = sorted((shared / "fixtures" / "chat-sse-recorded").glob("*.bin"))
    for path in recorded:
        body = path.read_bytes()
        yield seed(body)
        yield seed(body, 1, range(5, len(body), max(1, len(body) // 14)))
        yield seed(body.replace(b"\n\n", b"\r\n\r\n"), 0, [1, 2, 3])
        yield seed(body[: body.rindex(b"data: [DONE]")])  # no [DONE]
        yield seed(body[: len(body) // 2])  # cut short
    examples = shared / "fixtures" / "openapi-event-examples.jsonl"
    if examples.is_file():
        rows = [json.loads(line) for line in examples.read_text("utf-8").splitlines() if line]
        chunks = [r["example"] for r in rows if r["group"] == "chat-streaming"]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
        yield seed(body + b"data: [DONE]\n\n")
        yield seed(body, 3)
    yield seed(b'data: {"error":{"message":"boom","code":"server_error"}}\n\n')
    yield seed(b"data: [DONE]\n\n")


def _seed_corpus_dirs(argv: list[str]) -> None:
    """Write `seeds` into each corpus directory named on the command line that is missing or
    empty (libFuzzer reads positional arguments as corpus directories)."""
    for arg in argv[1:]:
        if arg.startswith("-"):
            continue
        directory = Path(arg)
        if directory.exists() and any(directory.iterdir()):
            continue
        directory.mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(dict.fromkeys(seeds())):
            (directory / f"seed-{i:04d}").write_bytes(data)


if __name__ == "__main__":
    _seed_corpus_dirs(sys.argv)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
