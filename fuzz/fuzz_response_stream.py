"""Fuzz target: the Responses stream machine (`openai_sansio.protocol.ResponseStream`).

Input layout (as `fuzz_sse`): byte 0 picks the machine's settings (`CONFIGS`: bounds,
``starting_after``); byte 1 says how many split points follow (0..15, two bytes each); the rest
is the SSE body. Invariants (DESIGN.md 3.4 and 8):

* `receive_data`/`receive_message` return or raise `RemoteProtocolError`; `receive_eof` and
  `next_event` never raise; nothing else escapes;
* the body fed whole and fed at the split points give the same events (compared by `repr`)
  up to the first error, and fail alike (same reason unless an SSE bound tripped: the SSE
  decoder refuses a whole chunk at once, so a split feed may dispatch a few more events);
* feeding each SSE ``data`` payload with `receive_message` gives what `receive_data` gave;
* after a failure the machine is BROKEN: more input is refused, EOF is quiet;
* a stream that did not fail ends with exactly one `ResponseEnd`, last, whose result is
  `result`; only the documented event types come out; no two `ToolCall`s for one item id;
  every `ToolCall` has parsed arguments xor a problem; the result's status matches how the
  stream ended; `receive_data` after `receive_eof` is a `LocalProtocolError`.

Run: ``python fuzz/fuzz_response_stream.py fuzz/corpus/response_stream`` (an empty or
missing corpus directory is seeded from ``../shared/fixtures`` first; see `seeds`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_response_stream.py` puts fuzz/ on sys.path only
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
        LocalProtocolError,
        RemoteProtocolError,
        ResponseEnd,
        ResponseStream,
        StreamState,
        ToolCall,
        UnknownEvent,
    )
    from openai_sansio.protocol._sse import SSEDecoder
    from openai_sansio.protocol.events.common import WireEvent

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    compare,
    cut,
    drain,
    example_rows,
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
    {"starting_after": 1},
    {"starting_after": 5},
    {},  # the defaults weigh most
)
ALLOWED = (WireEvent, UnknownEvent, ToolCall, APIError, ResponseEnd)
_STATUS_OF_LAST_WIRE_EVENT = {
    "response.completed": "completed",
    "response.incomplete": "incomplete",
    "response.failed": "failed",
    "error": "error",
}


def _refused(machine: Any, events: list[Any]) -> None:
    """After a `RemoteProtocolError`: BROKEN, more input refused, EOF quiet."""
    drain(machine, events)
    assert machine.state is StreamState.BROKEN, "a refused stream is not BROKEN"
    for more in (
        lambda: machine.receive_data(b"data: {}\n\n"),
        lambda: machine.receive_message(b'{"type":"response.completed"}'),
    ):
        try:
            more()
        except RemoteProtocolError:
            pass
        else:
            raise AssertionError("a BROKEN machine accepted more input")
    machine.receive_eof()
    assert machine.next_event() is NEED_DATA, "EOF on a BROKEN machine produced events"


def _run(chunks: list[bytes], config: dict[str, int]) -> tuple[list[Any], str | None]:
    """Feed SSE bytes: the events, and the error hint when the machine refused the body."""
    machine = ResponseStream(**config)
    events: list[Any] = []
    try:
        for chunk in chunks:
            machine.receive_data(chunk)
            drain(machine, events)
    except RemoteProtocolError as exc:
        _refused(machine, events)
        return events, exc.error_hint
    machine.receive_eof()
    machine.receive_eof()  # idempotent
    drain(machine, events)
    _check_complete(machine, events)
    try:
        machine.receive_data(b"\n")
    except LocalProtocolError:
        pass
    else:
        raise AssertionError("receive_data after receive_eof was accepted")
    return events, None


def _run_messages(stream: bytes, config: dict[str, int]) -> tuple[list[Any], str | None] | None:
    """Feed the SSE ``data`` payloads one by one as WebSocket messages; None when the SSE
    framing itself is refused (there are no messages to compare then)."""
    decoder = SSEDecoder(max_event_bytes=config.get("max_event_bytes", 64 * 1024 * 1024))
    try:
        payloads = [sse.data for sse in decoder.feed(stream)]
    except RemoteProtocolError:
        return None
    machine = ResponseStream(**config)
    events: list[Any] = []
    try:
        for payload in payloads:
            if payload[:6] != b"[DONE]":
                machine.receive_message(payload)
                drain(machine, events)
    except RemoteProtocolError as exc:
        _refused(machine, events)
        return events, exc.error_hint
    machine.receive_eof()
    drain(machine, events)
    _check_complete(machine, events)
    return events, None


def _check_complete(machine: Any, events: list[Any]) -> None:
    assert events, "no events after EOF"
    assert all(isinstance(e, ALLOWED) for e in events), "an undocumented event type came out"
    ends = [e for e in events if isinstance(e, ResponseEnd)]
    assert len(ends) == 1 and events[-1] is ends[0], "not exactly one ResponseEnd, last"
    result = ends[0].result
    assert machine.result is result
    assert machine.state is StreamState.DONE
    assert machine.data_to_send() == []
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert result.tool_calls == tuple(calls)
    item_ids = [c.item_id for c in calls if c.item_id is not None]
    assert len(item_ids) == len(set(item_ids)), "a function call was surfaced twice"
    for call in calls:
        assert (call.problem is None) != (call.parsed is None), "parsed xor problem"
    wire = [e for e in events if isinstance(e, WireEvent | UnknownEvent)]
    last = wire[-1].type if wire else None
    expected = _STATUS_OF_LAST_WIRE_EVENT.get(last or "", "interrupted")
    assert result.status == expected, f"status {result.status!r} after {last!r}"
    errors = [e for e in events if isinstance(e, APIError)]
    assert (result.error is None) == (not errors)
    assert result.status in ("completed", "incomplete") or result.error is not None


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    config, stream, points = split_input(data, CONFIGS)

    whole, whole_error = _run([stream], config)
    split, split_error = _run(cut(stream, points), config)
    compare(whole, whole_error, split, split_error)
    as_messages = _run_messages(stream, config)
    if as_messages is not None:
        compare(whole, whole_error, *as_messages)

    machine = ResponseStream(**config)  # the whole body as one WebSocket message
    try:
        machine.receive_message(stream)
    except RemoteProtocolError:
        assert machine.state is StreamState.BROKEN
    machine.receive_eof()
    drain(machine, [])


# --------------------------------------------------------------------------------------------
# Seeds, from the official examples.


def frame(event: dict[str, Any]) -> bytes:
    data = json.dumps(event, ensure_ascii=False).encode()
    return b"event: " + str(event.get("type", "")).encode() + b"\ndata: " + data + b"\n\n"


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    rows = example_rows(shared)
    if rows is None:
        yield seed(b'event: error\ndata: {"type":"error","message":"boom"}\n\n')
        return
    events = [r["example"] for r in rows if r["group"] == "responses-streaming"]
    terminals = [e for e in events if e["type"] in _STATUS_OF_LAST_WIRE_EVENT]
    middle = [e for e in events if e["type"] not in _STATUS_OF_LAST_WIRE_EVENT]
    numbered = [{**e, "sequence_number": i} for i, e in enumerate(middle)]
    for end in terminals:
        body = b"".join(frame(e) for e in [*numbered, end])
        yield seed(body)
        yield seed(body, 5, range(3, len(body), max(1, len(body) // 14)))
        yield seed(body.replace(b"\n", b"\r\n") + b"data: [DONE]\n\n", 1, [1, 2])
    yield seed(b"".join(frame(e) for e in numbered))  # cut before the end
    for event in events:
        yield seed(frame(event))
    for row in rows:  # the other groups' events, as unknown types in a Responses stream
        if row["group"] not in ("responses-streaming", "chat-streaming"):
            yield seed(frame(row["example"]), 0)


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
