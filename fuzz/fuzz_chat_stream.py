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
from contextlib import nullcontext
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_chat_stream.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
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

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    compare,
    cut,
    drain,
    example_rows,
    recorded_bodies,
    seed,
    seed_corpus_dirs,
    split_input,
)

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


def _run(chunks: list[bytes], config: dict[str, int]) -> tuple[list[Any], str | None]:
    """The events, and the error hint when the machine refused the body."""
    machine = ChatStream(**config)
    events: list[Any] = []
    try:
        for chunk in chunks:
            machine.receive_data(chunk)
            drain(machine, events)
    except RemoteProtocolError as exc:
        drain(machine, events)
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
    drain(machine, events)
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
    config, stream, points = split_input(data, CONFIGS)

    whole, whole_error = _run([stream], config)
    split, split_error = _run(cut(stream, points), config)
    compare(
        whole, whole_error, split, split_error, differ="whole and split input gave different events"
    )


# --------------------------------------------------------------------------------------------
# Seeds, from the recorded streams and the official examples.


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    for body in recorded_bodies(shared):
        yield seed(body)
        yield seed(body, 1, range(5, len(body), max(1, len(body) // 14)))
        yield seed(body.replace(b"\n\n", b"\r\n\r\n"), 0, [1, 2, 3])
        yield seed(body[: body.rindex(b"data: [DONE]")])  # no [DONE]
        yield seed(body[: len(body) // 2])  # cut short
    rows = example_rows(shared)
    if rows is not None:
        chunks = [r["example"] for r in rows if r["group"] == "chat-streaming"]
        body = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
        yield seed(body + b"data: [DONE]\n\n")
        yield seed(body, 3)
    yield seed(b'data: {"error":{"message":"boom","code":"server_error"}}\n\n')
    yield seed(b"data: [DONE]\n\n")


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
