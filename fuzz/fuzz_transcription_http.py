"""Fuzz target: the HTTP transcription answer
(`openai_sansio.protocol.transcription_http.TranscriptionResponse`).

Input layout (as the other stream targets, `fuzz._common.split_input`): byte 0 picks the
response head and the machine's settings (`HEADS`: status, ``Content-Type``, the requested
``response_format``, bounds); byte 1 says how many split points follow (0..15, two bytes each);
the rest is the body: SSE, JSON, plain text, SRT/VTT or an error body, as the head says.
Invariants:

* `receive_response_head`, `receive_data` and `receive_eof` return or raise
  `RemoteProtocolError` (a plain body is parsed at EOF); nothing else escapes; after a refusal
  more data is refused too and EOF is quiet;
* the body fed whole and at the split points gives the same events and fails alike (up to
  the first error when an SSE bound tripped, as in `fuzz._common.compare`);
* a body that was not refused ends with exactly one `TranscriptionResult`, last, which is
  `result`; only the documented event types come out; the status says how it ended:
  ``completed`` after ``transcript.text.done`` (its text) or a plain body, ``interrupted``
  (text: the deltas joined) right after a ``stream_interrupted`` `APIError`, ``error`` right
  after the `APIError` it carries; nothing after the result; data after EOF is a
  `LocalProtocolError`.

Run: ``python fuzz/fuzz_transcription_http.py fuzz/corpus/transcription_http`` (an empty or
missing corpus directory is seeded first; see `seeds`).
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_transcription_http.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import APIError, LocalProtocolError, RemoteProtocolError
    from openai_sansio.protocol.events.common import UnknownEvent
    from openai_sansio.protocol.events.transcription import (
        TranscriptTextDelta,
        TranscriptTextDone,
        TranscriptTextSegment,
    )
    from openai_sansio.protocol.transcription_http import (
        TranscriptionResponse,
        TranscriptionResult,
    )

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    KnownBugs,
    compare,
    cut,
    drain,
    example_events,
    seed,
    seed_corpus_dirs,
    split_input,
    tolerating_known,
    trace_records,
)

SSE, JSON = "text/event-stream", "application/json"
HEADS: tuple[dict[str, Any], ...] = (
    {"type": SSE},  # 0
    {"type": JSON},  # 1: json / verbose_json / diarized_json
    {"type": "text/plain; charset=utf-8"},  # 2: text
    {"type": "text/plain", "format": "srt"},  # 3: SRT sent as text/plain
    {"type": "text/vtt"},  # 4
    {"type": JSON, "status": 400},  # 5: an error body
    {"type": SSE, "max_event_bytes": 128, "max_text_chars": 16},  # 6: tight bounds
    {"type": "application/x-subrip"},  # 7
    {"type": JSON, "max_body_bytes": 64},  # 8: a tight body bound
    {"type": "text/html", "status": 500},  # 9: an error page
    {"type": "audio/wav"},  # 10: not a transcription: refused at the head
    {"type": "text/plain", "format": "vtt"},  # 11: VTT sent as text/plain
    {"type": "application/problem+json"},  # 12: a +json type
    {"type": SSE.upper() + "; charset=UTF-8"},  # 13: the type, in capitals
    {"type": SSE},  # the defaults weigh most
    {"type": JSON},
)
ALLOWED = (
    TranscriptTextDelta,
    TranscriptTextSegment,
    TranscriptTextDone,
    UnknownEvent,
    APIError,
    TranscriptionResult,
)


def _machine(head: dict[str, Any]) -> TranscriptionResponse:
    bounds = ("max_body_bytes", "max_event_bytes", "max_text_chars")
    return TranscriptionResponse(
        response_format=head.get("format"), **{k: head[k] for k in bounds if k in head}
    )


def _run(
    head: dict[str, Any], chunks: list[bytes]
) -> tuple[list[Any], str | None, TranscriptionResponse | None]:
    """Feed the head and `chunks`: the events, the error hint when refused, the machine."""
    machine = _machine(head)
    events: list[Any] = []
    try:
        machine.receive_response_head(head.get("status", 200), [("Content-Type", head["type"])])
        for chunk in chunks:
            machine.receive_data(chunk)
            drain(machine, events)
        machine.receive_eof()
        drain(machine, events)
    except RemoteProtocolError as exc:
        drain(machine, events)
        if machine.state.value == "awaiting_head":
            return events, exc.error_hint, None
        assert machine.state.value == "broken", "a refused body did not break the machine"
        if not machine._eof:
            try:
                machine.receive_data(b"data: {}\n\n")
            except RemoteProtocolError:
                pass
            else:
                raise AssertionError("a broken machine accepted more data") from None
        machine.receive_eof()
        assert not list(machine.events()), "EOF on a broken machine produced events"
        return events, exc.error_hint, None
    machine.receive_eof()  # idempotent
    assert not list(machine.events()), "a second EOF produced events"
    return events, None, machine


def _check(events: list[Any], machine: TranscriptionResponse) -> None:
    assert all(isinstance(e, ALLOWED) for e in events), "an undocumented event came out"
    results = [e for e in events if isinstance(e, TranscriptionResult)]
    assert len(results) == 1 and events[-1] is results[0], "not exactly one result, last"
    result = results[0]
    assert machine.result is result and machine.data_to_send() == []
    assert result.format == machine.format
    before = events[-2] if len(events) > 1 else None
    if result.status == "completed":
        assert result.error is None
        dones = [e for e in events if isinstance(e, TranscriptTextDone)]
        if result.format == "sse":
            assert dones and before is dones[0], "completed without transcript.text.done"
            assert result.text == dones[0].text
    else:
        assert isinstance(before, APIError) and result.error is before, "no error before it"
        if result.status == "interrupted":
            assert before.code == "stream_interrupted"
            deltas = "".join(e.delta for e in events if isinstance(e, TranscriptTextDelta))
            assert result.text == deltas, "an interrupted result lost the deltas"
        else:
            assert result.status == "error"
    try:
        machine.receive_data(b"x")
    except LocalProtocolError:
        pass
    else:
        raise AssertionError("data after receive_eof was accepted")


def run(data: bytes) -> None:
    """One input, every invariant checked (raises on a finding, known or not)."""
    if len(data) < 2:
        return
    head, body, points = split_input(data, HEADS)
    whole, whole_error, machine = _run(head, [body])
    split, split_error, _ = _run(head, cut(body, points))
    compare(whole, whole_error, split, split_error)
    if machine is not None:
        _check(whole, machine)


KNOWN_BUGS: KnownBugs = ()
"""Failures found and reported (strict-xfail reproducers in
``tests/test_fuzz_http_mirrors.py``); remove an entry with its fix."""
TestOneInput = tolerating_known(run, KNOWN_BUGS)


# --------------------------------------------------------------------------------------------
# Seeds: the recorded transcription traces and the official examples.


def _sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def _recorded() -> Iterator[tuple[str, bytes]]:
    """(content type, body) of each recorded transcription answer, its chunks joined."""
    for records in trace_records("transcription_http"):
        content_type, chunks = "", []
        for record in records:
            if record.get("op") == "response":
                content_type = record.get("headers", {}).get("content-type", "")
            elif record.get("op") == "recv_bytes":
                chunks.append(base64.b64decode(record["b64"]))
        if chunks:
            yield content_type, b"".join(chunks)


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    types = ("transcript.text.delta", "transcript.text.segment", "transcript.text.done")
    examples = example_events(shared, types=types)
    deltas = [e for e in examples if e["type"] == "transcript.text.delta"]
    segments = [e for e in examples if e["type"] == "transcript.text.segment"]
    dones = [e for e in examples if e["type"] == "transcript.text.done"]
    delta = {"type": "transcript.text.delta", "delta": "Hello", "logprobs": []}
    done = {"type": "transcript.text.done", "text": "Hello", "usage": {"type": "duration"}}
    stream = _sse([*deltas, delta, *segments, *dones, done])
    yield seed(stream, 0)
    yield seed(stream, 0, range(3, len(stream), max(1, len(stream) // 14)))
    yield seed(stream.replace(b"\n", b"\r\n") + b"data: [DONE]\n\n", 13, [1, 2])
    yield seed(stream[: len(stream) // 2], 0)  # cut before the end
    yield seed(stream, 6)
    yield seed(_sse([delta, {"error": {"message": "boom", "code": "x"}, "type": "error"}]), 0)
    for example in examples:
        yield seed(_sse([example]), 0)
    body = {
        "text": "Hi there.",
        "language": "english",
        "duration": 1.5,
        "segments": [{"id": 0, "start": 0.0, "end": 1.5, "text": "Hi there."}],
        "logprobs": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105]}],
        "usage": {"type": "tokens", "input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    }
    yield seed(json.dumps(body).encode(), 1)
    yield seed(json.dumps(body).encode(), 1, [1, 10, 50])
    yield seed(b'{"text": "x"}', 12)
    yield seed(b"Hi there.\n", 2)
    srt = b"1\n00:00:00,000 --> 00:00:01,500\nHi there.\n\n2\n00:00:01,500 --> 00:00:02,000\nBye.\n"
    yield seed(srt, 3)
    yield seed(srt.replace(b"\n", b"\r\n"), 7, [4])
    vtt = b"WEBVTT\n\nNOTE x\n\n00:00.000 --> 00:01.500 align:start\nHi there.\n"
    yield seed(vtt, 4)
    yield seed(vtt, 11, [2])
    yield seed(b'{"error": {"message": "bad file", "type": "invalid_request_error"}}', 5)
    yield seed(b"<html>oops</html>", 9)
    for content_type, recorded in _recorded():
        setting = 0 if content_type.startswith(SSE) else 1
        yield seed(recorded, setting)
        yield seed(recorded, setting, range(7, len(recorded), max(1, len(recorded) // 14)))


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
