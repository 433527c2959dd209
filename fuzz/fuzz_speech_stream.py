"""Fuzz target: the text-to-speech response machine (`openai_sansio.protocol.speech.SpeechStream`).

Input layout (as the other stream targets, `fuzz._common.split_input`): byte 0 picks the
response head and the machine's settings (`HEADS`: status, ``Content-Type``, sometimes a
``Content-Length``, the requested ``response_format``, ``frame_ms``); byte 1 says how many
split points follow (0..15, two bytes each); the rest is the body. Invariants:

* `receive_response_head` and `receive_data` return or raise `RemoteProtocolError`;
  `receive_eof` and `events` never raise on a machine that did not refuse; after a refusal
  every verb raises `LocalProtocolError` (the machine is broken); nothing else escapes;
* the body fed whole and at the split points gives the same events (encoded audio chunks,
  `AudioBytes`, joined: they are the network's cuts) and fails alike (up to the first error
  when an SSE bound tripped, as in `fuzz._common.compare`);
* a body that was not refused ends with exactly one `SpeechDone`, last, whose result is
  `result`; ``failed`` exactly when an `APIError` came just before it;
* PCM frames are exactly ``frame_ms`` long, numbered from 0, only the last one padded and
  its padding zero; the samples they carry are the body's audio, byte for byte (a stray odd
  byte dropped and reported); the result's counts agree;
* a raw PCM body and an SSE body carrying the same audio (one ``speech.audio.delta`` per
  split piece, base64, then ``speech.audio.done``) give identical frames.

Run: ``python fuzz/fuzz_speech_stream.py fuzz/corpus/speech_stream`` (an empty or missing
corpus directory is seeded first; see `seeds`).
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
if _ROOT not in sys.path:  # `python fuzz/fuzz_speech_stream.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import APIError, LocalProtocolError, RemoteProtocolError
    from openai_sansio.protocol.events.common import UnknownEvent
    from openai_sansio.protocol.speech import (
        AudioBytes,
        SpeechDone,
        SpeechFrame,
        SpeechStarted,
        SpeechStream,
    )

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    KnownBugs,
    compare,
    cut,
    drain,
    example_events,
    merge_runs,
    seed,
    seed_corpus_dirs,
    split_input,
    tolerating_known,
    trace_records,
)

PCM, SSE = "audio/pcm", "text/event-stream"
HEADS: tuple[dict[str, Any], ...] = (
    {"type": PCM},  # 0: raw PCM, 20 ms frames
    {"type": SSE},  # 1: SSE, PCM deltas
    {"type": "application/octet-stream", "frame_ms": 10.0},  # 2: untyped, pcm requested
    {"type": "", "frame_ms": 2.5},  # 3: no content type, tiny frames
    {"type": "audio/mpeg", "format": "mp3"},  # 4: encoded audio, passed through
    {"type": SSE, "format": "opus"},  # 5: SSE of encoded audio
    {"type": "application/json", "status": 400},  # 6: an error body
    {"type": PCM, "length": 64},  # 7: a Content-Length the body may not reach
    {"type": "audio/L16; rate=24000", "frame_ms": 40.0},  # 8: another PCM type, params
    {"type": SSE, "max_event_bytes": 256},  # 9: a tight SSE bound
    {"type": "text/html"},  # 10: not audio: refused at the head
    {"type": PCM, "status": 302},  # 11: an unexpected status: refused
    {"type": "application/octet-stream", "format": "wav"},  # 12: untyped, wav requested
    {"type": PCM, "max_body_bytes": 100},  # 13: a tight body bound
    {"type": PCM, "length": "x"},  # 14: a broken Content-Length: refused
    {"type": PCM},  # the defaults weigh most
)
ALLOWED = (SpeechStarted, SpeechFrame, AudioBytes, SpeechDone, APIError, UnknownEvent)


def _machine(head: dict[str, Any]) -> SpeechStream:
    options = {k: head[k] for k in ("max_body_bytes", "max_event_bytes") if k in head}
    return SpeechStream(
        response_format=head.get("format", "pcm"), frame_ms=head.get("frame_ms", 20.0), **options
    )


def _headers(head: dict[str, Any]) -> list[tuple[str, str]]:
    headers = [("Content-Type", head["type"])] if head["type"] else []
    if "length" in head:
        headers.append(("content-length", str(head["length"])))
    return headers


def _expect_broken(verb: Any) -> None:
    try:
        verb()
    except LocalProtocolError:
        return
    raise AssertionError("a refused speech stream accepted more input")


def _run(
    head: dict[str, Any], chunks: list[bytes]
) -> tuple[list[Any], str | None, SpeechStream | None]:
    """Feed the head and `chunks`: the events, the error hint when refused, the machine."""
    machine = _machine(head)
    events: list[Any] = []
    try:
        machine.receive_response_head(head.get("status", 200), _headers(head))
        drain(machine, events)
        for chunk in chunks:
            machine.receive_data(chunk)
            drain(machine, events)
    except RemoteProtocolError as exc:
        drain(machine, events)
        _expect_broken(lambda: machine.receive_data(b"x"))
        _expect_broken(machine.receive_eof)
        return events, exc.error_hint, None
    machine.receive_eof()
    machine.receive_eof()  # idempotent
    drain(machine, events)
    assert machine.data_to_send() == []
    return events, None, machine


def _check(head: dict[str, Any], body: bytes, events: list[Any], machine: SpeechStream) -> None:
    assert all(isinstance(e, ALLOWED) for e in events), "an undocumented event came out"
    dones = [e for e in events if isinstance(e, SpeechDone)]
    assert len(dones) == 1 and events[-1] is dones[0], "not exactly one SpeechDone, last"
    result = dones[0].result
    assert machine.result is result
    failed = len(events) > 1 and isinstance(events[-2], APIError)
    assert (result.status == "failed") == failed, "status does not match the events"
    assert (result.error is events[-2]) if failed else result.error is None
    frames = [e for e in events if isinstance(e, SpeechFrame)]
    size = machine.frame_samples * 2
    for index, frame in enumerate(frames):
        assert frame.index == index, "frames not numbered from 0"
        assert len(frame.pcm) == size, f"frame of {len(frame.pcm)} bytes, not {size}"
        if frame.padded:
            assert index == len(frames) - 1, "a padded frame that is not the last"
            assert 0 < frame.samples < machine.frame_samples, "a padded frame's samples"
        else:
            assert frame.samples == machine.frame_samples, "an unpadded frame is not full"
        assert not frame.pcm[frame.samples * 2 :].strip(b"\0"), "padding is not zeros"
    assert result.frames == len(frames)
    assert result.samples == sum(f.samples for f in frames)
    audio = b"".join(f.pcm[: f.samples * 2] for f in frames)
    if result.kind == "pcm":
        assert result.audio_bytes == len(body), "audio bytes counted wrong"
        whole = body[: len(body) - len(body) % 2]
        assert audio == whole, "the frames are not the body's audio"
        if len(body) % 2:
            assert result.status == "failed", "a stray half sample went unreported"
    elif result.kind == "bytes":
        data = b"".join(e.data for e in events if isinstance(e, AudioBytes))
        assert data == body and result.audio_bytes == len(body) and not frames


def _as_sse(pieces: list[bytes]) -> bytes:
    """The same audio as an SSE body: one delta per piece, then ``speech.audio.done``."""
    out = [
        b'data: {"type":"speech.audio.delta","audio":"' + base64.b64encode(p) + b'"}\n\n'
        for p in pieces
        if p
    ]
    usage = b'{"input_tokens":1,"output_tokens":2,"total_tokens":3}'
    return b"".join(out) + b'data: {"type":"speech.audio.done","usage":' + usage + b"}\n\n"


def run(data: bytes) -> None:
    """One input, every invariant checked (raises on a finding, known or not)."""
    if len(data) < 2:
        return
    head, body, points = split_input(data, HEADS)
    whole, whole_error, machine = _run(head, [body])
    split, split_error, split_machine = _run(head, cut(body, points))
    if split_machine is not None and split_machine.result is not None:
        assert not (whole_error or "").startswith("sse_") or not split_machine.result.done_event, (
            "an SSE bound tripped by bytes after speech.audio.done refuses the body only when "
            "they arrive in the same chunk as it"
        )
    compare(
        merge_runs(whole, AudioBytes, "data"),
        whole_error,
        merge_runs(split, AudioBytes, "data"),
        split_error,
    )
    if machine is None:
        return
    _check(head, body, whole, machine)
    if machine.kind == "pcm" and len(body) % 2 == 0 and head.get("length") is None:
        sse_head = {**head, "type": SSE, "max_body_bytes": 1 << 30}
        events, error, _ = _run(sse_head, [_as_sse(cut(body, points))])
        assert error is None, f"the SSE twin was refused: {error}"
        twin = [e for e in events if isinstance(e, SpeechFrame)]
        assert twin == [e for e in whole if isinstance(e, SpeechFrame)], "SSE and raw differ"


KNOWN_BUGS: KnownBugs = ()
"""Failures found and reported (strict-xfail reproducers in
``tests/test_fuzz_http_mirrors.py``); remove an entry with its fix."""
TestOneInput = tolerating_known(run, KNOWN_BUGS)


# --------------------------------------------------------------------------------------------
# Seeds: the recorded speech traces and the official examples.


def _recorded_bodies() -> Iterator[tuple[str, bytes]]:
    """(content type, body) of each recorded speech response, its chunks joined."""
    for records in trace_records("speech"):
        content_type, chunks = "", []
        for record in records:
            if record.get("op") == "response":
                content_type = record.get("headers", {}).get("content-type", "")
            elif record.get("op") == "recv_bytes":
                chunks.append(base64.b64decode(record["b64"]))
        if chunks:
            yield content_type, b"".join(chunks)


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    tone = bytes(range(256)) * 8  # 2048 bytes: two whole 20 ms frames and a partial one
    yield seed(tone, 0)
    yield seed(tone, 0, range(1, len(tone), 333))
    yield seed(tone + b"\x01", 0)  # a stray odd byte
    yield seed(tone[:63], 7)  # shorter than its Content-Length
    yield seed(tone, 2, [960, 961])
    yield seed(tone[:100], 3)
    yield seed(tone, 4, [10, 500])
    yield seed(tone, 13)
    yield seed(b'{"error":{"message":"bad voice","type":"invalid_request_error"}}', 6)
    sse = _as_sse([tone[:500], tone[500:1501], tone[1501:]])
    yield seed(sse, 1)
    yield seed(sse, 1, range(5, len(sse), 97))
    yield seed(sse.replace(b"\n", b"\r\n"), 5, [3])
    yield seed(sse[: len(sse) // 2], 1)  # cut before speech.audio.done
    yield seed(b'data: {"type":"error","error":{"message":"x","code":"c"}}\n\n', 1)
    yield seed(sse, 9)
    for example in example_events(shared, types=("speech.audio.delta", "speech.audio.done")):
        yield seed(b"data: " + json.dumps(example).encode() + b"\n\n", 1)
    for content_type, body in _recorded_bodies():
        setting = 1 if content_type.startswith(SSE) else 0
        yield seed(body, setting)
        yield seed(body, setting, range(7, len(body), max(1, len(body) // 14)))


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
