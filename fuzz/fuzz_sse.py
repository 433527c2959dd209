"""Fuzz target: the SSE decoder (`openai_sansio.protocol._sse.SSEDecoder`).

Input layout: byte 0 picks ``max_event_bytes``; byte 1 says how many split points follow
(0..15, two bytes each); the rest is the stream. Invariants (DESIGN.md 3.4 and 8):

* `feed`/`feed_eof` either return or raise `RemoteProtocolError`; nothing else escapes;
* the stream fed whole and fed at the split points give the same events, or both fail;
* events dispatched before a failure are a prefix of what an unbounded decoder gives;
* no dispatched event carries more than ``max_event_bytes`` of data;
* after `feed_eof`, `feed` is refused with `RemoteProtocolError`.

Run: ``python fuzz/fuzz_sse.py fuzz/corpus/sse`` (see fuzz/README.md).
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_sse.py` puts fuzz/ on sys.path, not the repo
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol._errors import RemoteProtocolError
    from openai_sansio.protocol._sse import DEFAULT_MAX_EVENT_BYTES, SSEDecoder

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import cut, split_input  # noqa: E402

LIMITS = (1, 2, 7, 16, 64, 300, 4096, DEFAULT_MAX_EVENT_BYTES)


def _run(chunks: list[bytes], limit: int) -> tuple[list[object], bool]:
    """Events dispatched, and whether the decoder refused the stream."""
    decoder = SSEDecoder(max_event_bytes=limit)
    events: list[object] = []
    try:
        for chunk in chunks:
            events.extend(decoder.feed(chunk))
        decoder.feed_eof()
    except RemoteProtocolError:
        return events, True
    for event in events:
        assert len(event.data) <= limit, "event over max_event_bytes"  # type: ignore[attr-defined]
    try:
        decoder.feed(b"x")
    except RemoteProtocolError:
        pass
    else:
        raise AssertionError("feed after feed_eof was accepted")
    return events, False


def TestOneInput(data: bytes) -> None:
    if len(data) < 2:
        return
    limit, stream, points = split_input(data, LIMITS)

    whole, whole_failed = _run([stream], limit)
    split, split_failed = _run(cut(stream, points), limit)
    assert whole_failed == split_failed, f"whole failed={whole_failed}, split={split_failed}"
    if not whole_failed:
        assert whole == split, "whole and split input gave different events"
    unbounded, unbounded_failed = _run([stream], DEFAULT_MAX_EVENT_BYTES)
    if not unbounded_failed:
        assert split == unbounded[: len(split)], "split events are not a prefix of the truth"
        if not whole_failed:
            assert whole == unbounded, "a bound changed the events it let through"


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
