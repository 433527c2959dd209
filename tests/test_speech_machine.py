"""`SpeechStream` fed exact wire bytes: raw PCM and SSE bodies (whole, byte by byte, at
hypothesis-chosen splits), the Content-Type decision, exact 20 ms frames with a zero-padded
last one, and every failure shape (error status, cut body, SSE without done, bounds)."""

from __future__ import annotations

import base64
import itertools
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_sansio.protocol._errors import LocalProtocolError, RemoteProtocolError
from openai_sansio.protocol.events.common import NEED_DATA, APIError, UnknownEvent
from openai_sansio.protocol.speech import (
    AudioBytes,
    PCMFramer,
    SpeechDone,
    SpeechFrame,
    SpeechStarted,
    SpeechStream,
)

FRAME = 960  # 20 ms at 24 kHz, 16-bit mono
PCM = bytes((i * 7 + 3) % 256 for i in range(FRAME * 3 + 333 * 2))  # 3 frames + 333 samples
PCM_HEAD = [("Content-Type", "audio/pcm"), ("x-request-id", "req_1")]
SSE_HEAD = [("content-type", "text/event-stream; charset=utf-8")]
DONE = (
    b'data: {"type":"speech.audio.done","usage":'
    b'{"input_tokens":14,"output_tokens":101,"total_tokens":115}}\n\n'
)


def delta(audio: bytes, field: str = "audio") -> bytes:
    return b'data: {"type":"speech.audio.delta","%s":"%s"}\n\n' % (
        field.encode(),
        base64.b64encode(audio),
    )


def sse_body(pcm: bytes, size: int = 1001) -> bytes:
    return b"".join(delta(pcm[i : i + size]) for i in range(0, len(pcm), size)) + DONE


def run(
    head: list[tuple[str, str]],
    chunks: list[bytes],
    *,
    status: int = 200,
    truncated: bool = False,
    **options: Any,
) -> list[Any]:
    machine = SpeechStream(**options)
    machine.receive_response_head(status, head)
    events: list[Any] = []
    for chunk in chunks:
        machine.receive_data(chunk)
        events.extend(machine.events())
    machine.receive_eof(truncated=truncated)
    events.extend(machine.events())
    assert machine.next_event() is NEED_DATA
    assert isinstance(events[-1], SpeechDone)
    return events


def frames(events: list[Any]) -> list[SpeechFrame]:
    return [e for e in events if isinstance(e, SpeechFrame)]


def expected_frames(pcm: bytes) -> list[bytes]:
    out = [pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)]
    out[-1] = out[-1] + bytes(FRAME - len(out[-1]))
    return out


def test_raw_pcm_whole_gives_exact_frames_and_padded_last() -> None:
    events = run(PCM_HEAD, [PCM])
    assert events[0] == SpeechStarted("pcm", "audio/pcm", 200)
    got = frames(events)
    assert [f.pcm for f in got] == expected_frames(PCM)
    assert [f.index for f in got] == [0, 1, 2, 3]
    assert [f.samples for f in got] == [480, 480, 480, 333]
    assert [f.padded for f in got] == [False, False, False, True]
    assert got[-1].pcm[666:] == bytes(FRAME - 666)
    result = events[-1].result
    assert (result.status, result.kind, result.frames, result.samples) == (
        "completed",
        "pcm",
        4,
        1773,
    )
    assert result.audio_bytes == len(PCM) and result.duration_s == 1773 / 24000
    assert result.usage is None and result.error is None


def test_raw_pcm_byte_by_byte_equals_whole() -> None:
    whole = run(PCM_HEAD, [PCM])
    single = run(PCM_HEAD, [PCM[i : i + 1] for i in range(len(PCM))])
    assert frames(single) == frames(whole)


@given(st.lists(st.integers(min_value=0, max_value=len(PCM)), max_size=12))
def test_any_split_of_a_pcm_body_yields_the_same_frames(cuts: list[int]) -> None:
    points = sorted({0, len(PCM), *cuts})
    chunks = [PCM[a:b] for a, b in itertools.pairwise(points)]
    assert frames(run(PCM_HEAD, chunks)) == frames(run(PCM_HEAD, [PCM]))


@given(
    st.integers(min_value=1, max_value=3000),
    st.lists(st.integers(min_value=0, max_value=20000), max_size=8),
)
def test_sse_and_raw_bodies_give_identical_audio(delta_size: int, cuts: list[int]) -> None:
    body = sse_body(PCM, delta_size)
    points = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    chunks = [body[a:b] for a, b in itertools.pairwise(points)]
    sse = run(SSE_HEAD, chunks)
    assert frames(sse) == frames(run(PCM_HEAD, [PCM]))
    result = sse[-1].result
    assert result.kind == "sse" and result.done_event and result.status == "completed"
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (14, 101)
    assert result.usage.total_tokens == 115


def test_sse_accepts_delta_field_event_lines_comments_and_done_marker() -> None:
    body = (
        b": keep-alive\n\nevent: speech.audio.delta\n"
        + delta(PCM[:FRAME], field="delta")
        + b'data: {"type":"speech.audio.future","x":1}\n\n'
        + delta(PCM[FRAME:])
        + DONE
        + b"data: [DONE]\n\n"
    )
    events = run(SSE_HEAD, [body])
    assert [f.pcm for f in frames(events)] == expected_frames(PCM)
    unknown = [e for e in events if isinstance(e, UnknownEvent)]
    assert [u.type for u in unknown] == ["speech.audio.future"]
    assert events[-1].result.status == "completed"


def test_octet_stream_is_pcm_only_when_pcm_was_requested() -> None:
    head = [("content-type", "application/octet-stream")]
    assert len(frames(run(head, [PCM], response_format="pcm"))) == 4
    mp3 = run(head, [b"ID3\x04", b"\x00\xff"], response_format="mp3")
    assert frames(mp3) == []
    assert [e.data for e in mp3 if isinstance(e, AudioBytes)] == [b"ID3\x04", b"\x00\xff"]
    assert mp3[-1].result.kind == "bytes" and mp3[-1].result.audio_bytes == 6


def test_other_audio_types_are_bytes_never_framed_even_if_pcm_was_asked() -> None:
    events = run([("content-type", "audio/mpeg")], [b"\xff\xfb\x90", b"\x00"])
    assert frames(events) == []
    assert [(e.data, e.content_type) for e in events if isinstance(e, AudioBytes)] == [
        (b"\xff\xfb\x90", "audio/mpeg"),
        (b"\x00", "audio/mpeg"),
    ]


def test_sse_with_an_encoded_format_hands_out_bytes() -> None:
    events = run(SSE_HEAD, [delta(b"RIFF....") + DONE], response_format="wav")
    assert [(e.data, e.content_type) for e in events if isinstance(e, AudioBytes)] == [
        (b"RIFF....", "audio/wav")
    ]


def test_error_status_becomes_a_typed_error_then_failed_done() -> None:
    body = (
        b'{"error":{"message":"Rate limit","type":"requests","param":null,'
        b'"code":"rate_limit_exceeded"}}'
    )
    events = run([("content-type", "application/json"), ("retry-after", "2")], [body], status=429)
    error = events[0]
    assert isinstance(error, APIError)
    assert (error.code, error.status, error.retry_after) == ("rate_limit_exceeded", 429, 2.0)
    assert error.classification == "retryable"
    assert events[-1].result.status == "failed" and events[-1].result.error == error


@pytest.mark.parametrize(
    ("head", "truncated"),
    [
        (PCM_HEAD, True),
        ([*PCM_HEAD, ("content-length", str(len(PCM) + 10))], False),
    ],
)
def test_a_cut_pcm_body_is_a_typed_failure(head: list[tuple[str, str]], truncated: bool) -> None:
    events = run(head, [PCM], truncated=truncated)
    assert len(frames(events)) == 4  # what arrived is still delivered, padded
    error = events[-2]
    assert isinstance(error, APIError) and error.code == "incomplete_stream"
    assert events[-1].result.status == "failed"


def test_sse_without_done_is_a_failure() -> None:
    events = run(SSE_HEAD, [sse_body(PCM)[: -len(DONE)]])
    assert isinstance(events[-2], APIError) and "speech.audio.done" in events[-2].message
    assert events[-1].result.status == "failed" and not events[-1].result.done_event


def test_pcm_ending_mid_sample_drops_the_stray_byte_and_fails() -> None:
    events = run(PCM_HEAD, [PCM + b"\x01"])
    assert [f.pcm for f in frames(events)] == expected_frames(PCM)
    assert events[-2].code == "incomplete_sample"


def test_in_band_error_event_ends_the_stream() -> None:
    body = (
        delta(PCM[:FRAME])
        + b'data: {"type":"error","error":{"message":"boom","code":"server_error"}}\n\n'
    )
    events = run(SSE_HEAD, [body])
    error = events[-2]
    assert isinstance(error, APIError) and (error.code, error.message) == ("server_error", "boom")
    assert events[-1].result.status == "failed" and events[-1].result.frames == 1


def test_bytes_after_done_are_ignored_and_eof_is_idempotent() -> None:
    machine = SpeechStream()
    machine.receive_response_head(200, SSE_HEAD)
    machine.receive_data(sse_body(PCM) + delta(b"\x00\x00"))
    machine.receive_eof()
    machine.receive_eof()
    events = list(machine.events())
    assert isinstance(events[-1], SpeechDone) and events[-1].result.frames == 4
    assert machine.next_event() is NEED_DATA


def test_malformed_input_raises_remote_protocol_error() -> None:
    bad = SpeechStream()
    bad.receive_response_head(200, SSE_HEAD)
    with pytest.raises(RemoteProtocolError):
        bad.receive_data(b'data: {"type":"speech.audio.delta","audio":12}\n\n')
    with pytest.raises(LocalProtocolError):
        bad.receive_data(b"more")  # broken after the violation
    with pytest.raises(RemoteProtocolError):
        SpeechStream().receive_response_head(200, [("content-type", "text/html")])
    with pytest.raises(RemoteProtocolError):
        SpeechStream().receive_response_head(200, [("content-length", "x")])
    empty = SpeechStream()
    empty.receive_response_head(200, SSE_HEAD)
    with pytest.raises(RemoteProtocolError, match="without audio"):
        empty.receive_data(b'data: {"type":"speech.audio.delta"}\n\n')
    small = SpeechStream(max_body_bytes=100)
    small.receive_response_head(200, PCM_HEAD)
    with pytest.raises(RemoteProtocolError, match="larger than 100"):
        small.receive_data(PCM)


def test_verbs_out_of_order_raise_local_protocol_error() -> None:
    machine = SpeechStream()
    with pytest.raises(LocalProtocolError):
        machine.receive_data(b"x")
    with pytest.raises(LocalProtocolError):
        machine.receive_eof()
    machine.receive_response_head(200, PCM_HEAD)
    with pytest.raises(LocalProtocolError):
        machine.receive_response_head(200, PCM_HEAD)
    with pytest.raises(LocalProtocolError):
        SpeechStream(frame_ms=0.03)
    with pytest.raises(LocalProtocolError):
        SpeechStream(response_format="ogg")
    assert machine.data_to_send() == []


def test_frame_ms_is_configurable() -> None:
    got = frames(run(PCM_HEAD, [PCM], frame_ms=10))
    assert {len(f.pcm) for f in got} == {480} and len(got) == 8  # 1773 samples / 240


@given(st.binary(max_size=3000), st.integers(min_value=1, max_value=50))
def test_pcm_framer_never_loses_or_invents_a_sample(data: bytes, step: int) -> None:
    framer = PCMFramer(10)
    out: list[bytes] = []
    for i in range(0, len(data), step):
        out.extend(framer.push(data[i : i + step]))
    last, stray = framer.flush()
    whole = len(data) - len(data) % 2
    joined = b"".join(out) + (last or b"")
    assert joined[:whole] == data[:whole] and stray == len(data) % 2
    assert set(joined[whole:]) <= {0} and len(joined) % 10 == 0


def test_events_are_frozen_structs() -> None:
    event = frames(run(PCM_HEAD, [PCM]))[0]
    with pytest.raises(AttributeError):
        event.index = 5  # type: ignore[misc]
    assert msgspec.to_builtins(event)["samples"] == 480
