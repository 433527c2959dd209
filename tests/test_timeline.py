"""`replay TRACE --timeline OUT.svg`: the timeline read from a trace, and its SVG.

- a `talk` session with a barge-in, recorded against the emulator: the picture shows the
  user's two utterances, the cancelled and the completed response, the interrupted item's
  audio with the cut at the fraction heard (the numbers the interrupt returned), and the
  barge-in itself;
- hand-written Realtime records: a tool call's latency, errors, a reconnect, a response that
  never ended (drawn to the end, dashed), and an out-of-band response beside the default one
  (stacked on a second row, not drawn over it);
- HTTP traces (Chat and Responses over SSE, as recorded byte chunks) and Responses WebSocket
  traces: each exchange and its text;
- every trace in tests/data renders a well-formed, deterministic SVG.
"""

from __future__ import annotations

import base64
import json
import xml.dom.minidom
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openai_sansio import cli
from openai_sansio.audio import WavWriter
from openai_sansio.protocol.trace import load_trace
from openai_sansio.timeline import Span, Timeline, timeline_from_trace
from openai_sansio.timeline_svg import render_svg

DATA = Path(__file__).parent / "data"
CHAT_RECORDED = Path(__file__).resolve().parents[1].parent / "shared/fixtures/chat-sse-recorded"
RATE = 16000


def spans(timeline: Timeline, lane: str) -> list[Span]:
    return [s for s in timeline.spans if s.lane == lane]


def well_formed(svg: str) -> xml.dom.minidom.Document:
    return xml.dom.minidom.parseString(svg.encode())


def tone(ms: int) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def test_a_talk_session_shows_its_barge_in(tmp_path: Path) -> None:
    wav, out, trace = tmp_path / "in.wav", tmp_path / "out.wav", tmp_path / "talk.jsonl"
    quiet = np.zeros(RATE * 300 // 1000, dtype=np.int16)
    gap = np.zeros(RATE * 3, dtype=np.int16)
    with WavWriter(wav, RATE, 1) as writer:
        mono = np.concatenate([quiet, tone(600), gap, tone(600), quiet, quiet])
        writer.write(mono.reshape(-1, 1))
    argv = ["talk", "--input", str(wav), "--output", str(out), "--emulator", "--speed", "8"]
    assert cli.main([*argv, "--barge-in-at", "1.6", "--trace", str(trace)]) == 0
    svg_path = tmp_path / "talk.svg"
    assert cli.main(["replay", str(trace), "--timeline", str(svg_path)]) == 0

    header, records = load_trace(trace.read_bytes().splitlines())
    interrupt = next(r for r in records if r.get("op") == "app" and r["call"] == "interrupt")
    heard, received = interrupt["returns"]["played_ms"], interrupt["returns"]["received_ms"]
    timeline = timeline_from_trace(header, records)
    assert len(spans(timeline, "user")) == 2  # the two utterances
    assert [s.kind for s in spans(timeline, "responses")] == ["cancelled", "completed"]
    cut = [s for s in spans(timeline, "audio") if s.cut is not None]
    assert len(cut) == 1 and cut[0].detail == interrupt["returns"]["item_id"]
    total_ms = float(cut[0].label.split()[0])  # all the audio of the item that arrived
    assert cut[0].cut == pytest.approx(heard / total_ms, abs=0.01)
    assert cut[0].cut_label == f"heard {heard} of {received} ms"
    barge = [m for m in timeline.marks if m.label == "barge-in"]
    assert len(barge) == 1 and barge[0].t == pytest.approx(interrupt["t"])
    svg = svg_path.read_text()
    document = well_formed(svg)
    assert any(
        line.getAttribute("class") == "cut" for line in document.getElementsByTagName("line")
    )
    assert f"heard {heard} of {received} ms" in svg
    assert svg == render_svg(timeline)  # the CLI draws what the model says, deterministically


def _rt(t: float, op: str, **fields: Any) -> dict[str, Any]:
    return {"t": t, "op": op, **fields}


def _recv(t: float, **msg: Any) -> dict[str, Any]:
    return _rt(t, "recv", msg=msg)


def _created(t: float, response_id: str, conversation: str | None = "conv_1") -> dict[str, Any]:
    return _recv(
        t, type="response.created", response={"id": response_id, "conversation_id": conversation}
    )


def _done(t: float, response_id: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    return _recv(t, type="response.done", response={"id": response_id, "status": status, **extra})


def test_tool_latency_errors_reconnects_and_open_responses() -> None:
    url = "wss://api.openai.com/v1/realtime?model=gpt-realtime"
    audio = base64.b64encode(b"\x00" * 4800).decode()  # 100 ms at 24 kHz
    records = [
        _rt(0.0, "request", method="GET", url=url),
        _created(0.5, "resp_1"),
        _recv(
            0.6, type="response.output_audio.delta", response_id="resp_1", item_id="a1", delta=audio
        ),
        _recv(
            0.7,
            type="response.output_audio_transcript.delta",
            response_id="resp_1",
            item_id="a1",
            delta="Let me check.",
        ),
        _recv(
            1.0,
            type="response.function_call_arguments.done",
            response_id="resp_1",
            item_id="fc1",
            call_id="call_1",
            name="get_weather",
            arguments="{}",
        ),
        _done(1.1, "resp_1"),
        _rt(
            1.25,
            "send",
            msg={
                "type": "conversation.item.create",
                "item": {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
            },
        ),
        _created(1.3, "resp_2"),
        _created(1.4, "resp_oob", conversation=None),
        _done(1.8, "resp_oob"),
        _recv(1.9, type="error", error={"code": "server_error", "message": "boom"}),
        _rt(2.0, "closed", code=1006),
        _rt(2.5, "request", method="GET", url=url),
        _created(3.0, "resp_3"),
        _recv(3.5, type="response.output_text.delta", response_id="resp_3", delta="still"),
    ]
    timeline = timeline_from_trace({"api": "realtime", "started": "then"}, records)
    tools = spans(timeline, "tools")
    assert [(t.label, t.start, t.end) for t in tools] == [("get_weather 250 ms", 1.0, 1.25)]
    connections = spans(timeline, "connection")
    assert [(c.start, c.end) for c in connections] == [(0.0, 2.0), (2.5, 3.5)]
    responses = {s.detail.split()[0]: s for s in spans(timeline, "responses")}
    assert responses["resp_1"].label == "completed: Let me check."
    assert responses["resp_2"].kind == "interrupted"  # its socket closed under it
    assert responses["resp_oob"].kind == "completed"
    assert responses["resp_3"].end is None and responses["resp_3"].label == "still"
    errors = sorted(m.label for m in timeline.marks if m.lane == "errors")
    assert errors == ["closed 1006", "server_error"]
    [audio_span] = spans(timeline, "audio")
    assert audio_span.label == "100 ms of audio" and audio_span.cut is None
    svg = render_svg(timeline)
    well_formed(svg)
    assert 'class="open"' in svg  # resp_3 never ended: dashed to the end
    # resp_2 (1.3 .. 2.0) and resp_oob (1.4 .. 1.8) overlap: stacked on two rows
    document = well_formed(svg)
    assert bar_y(document, "resp_2 ") != bar_y(document, "resp_oob ")


def bar_y(document: xml.dom.minidom.Document, needle: str) -> float:
    """The y of the bar whose tooltip contains `needle`."""
    for group in document.getElementsByTagName("g"):
        title = group.getElementsByTagName("title")[0].firstChild
        bars = group.getElementsByTagName("rect")
        if bars and title is not None and needle in str(getattr(title, "data", "")):
            return float(bars[0].getAttribute("y"))
    raise AssertionError(f"no bar for {needle!r}")


def test_http_traces_show_each_exchange_and_its_text() -> None:
    recorded = sorted(CHAT_RECORDED.glob("*.bin"))
    if not recorded:
        pytest.skip("shared chat fixtures not found")
    body = recorded[0].read_bytes()
    chunks = [body[i : i + 97] for i in range(0, len(body), 97)]
    records = [_rt(0.0, "request", method="POST", url="https://api.openai.com/v1/chat/completions")]
    records.append(_rt(0.1, "response", status=200, headers={}))
    records += [
        _rt(0.2 + n / 100, "recv_bytes", b64=base64.b64encode(c).decode())
        for n, c in enumerate(chunks)
    ]
    records.append(_rt(2.0, "eof"))
    timeline = timeline_from_trace({"api": "chat", "started": ""}, records)
    [exchange] = spans(timeline, "connection")
    assert (exchange.start, exchange.end, exchange.label) == (0.0, 2.0, "POST /chat/completions")
    text = "".join(
        choice["delta"].get("content") or ""
        for line in body.split(b"\n")
        if line.startswith(b"data: {")
        for choice in json.loads(line[6:])["choices"]
    )
    if text:
        [reply] = spans(timeline, "responses")
        assert reply.detail == text
    well_formed(render_svg(timeline))


def test_responses_over_sse_shows_the_response_and_a_failed_one_as_an_error() -> None:
    def sse(*events: dict[str, Any]) -> str:
        raw = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
        return base64.b64encode(raw).decode()

    url = "https://api.openai.com/v1/responses"
    records = [
        _rt(0.0, "request", method="POST", url=url),
        _rt(
            0.2,
            "recv_bytes",
            b64=sse(
                {"type": "response.created", "response": {"id": "resp_a", "status": "in_progress"}},
                {"type": "response.output_text.delta", "item_id": "m", "delta": "Hel"},
                {"type": "response.output_text.delta", "item_id": "m", "delta": "lo"},
            ),
        ),
        _rt(
            0.4,
            "recv_bytes",
            b64=sse(
                {"type": "response.completed", "response": {"id": "resp_a", "status": "completed"}}
            ),
        ),
        _rt(0.5, "eof"),
        _rt(1.0, "request", method="POST", url=url),
        _rt(
            1.2,
            "recv_bytes",
            b64=sse(
                {
                    "type": "response.failed",
                    "response": {
                        "id": "resp_b",
                        "status": "failed",
                        "error": {"code": "server_error", "message": "x"},
                    },
                }
            ),
        ),
        _rt(1.3, "eof"),
    ]
    timeline = timeline_from_trace({"api": "responses"}, records)
    assert [(s.label, s.kind) for s in spans(timeline, "responses")] == [
        ("completed: Hello", "completed"),
        ("failed", "failed"),
    ]
    assert [m.label for m in timeline.marks] == ["server_error"]
    assert len(spans(timeline, "connection")) == 2


def test_speech_and_transcription_traces_show_audio_and_text() -> None:
    def timeline_of(name: str) -> Timeline:
        header, records = load_trace((DATA / name).read_bytes().splitlines())
        return timeline_from_trace(header, records)

    for name in ("speech/chunked_pcm.jsonl", "speech/sse.jsonl"):
        timeline = timeline_of(name)
        audio = spans(timeline, "audio")
        assert audio and all(s.label.endswith("ms of speech") for s in audio), name
        assert len(spans(timeline, "connection")) == len(audio)  # one per request
    for name in ("transcription_http/whisper_json.jsonl", "transcription_http/sse_logprobs.jsonl"):
        [text] = spans(timeline_of(name), "responses")
        assert text.detail, name
    assert spans(timeline_of("transcription/client_commits_out_of_order.jsonl"), "connection")


@pytest.mark.parametrize(
    "path",
    sorted(p for d in DATA.iterdir() if d.is_dir() for p in d.glob("*.jsonl")),
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_every_recorded_trace_draws(path: Path) -> None:
    header, records = load_trace(path.read_bytes().splitlines())
    timeline = timeline_from_trace(header, records)
    svg = render_svg(timeline)
    document = well_formed(svg)
    assert document.documentElement.tagName == "svg"
    assert svg == render_svg(timeline_from_trace(header, records))
    assert timeline.lanes  # something is on it
    for span in timeline.spans:
        assert span.end is None or span.end >= span.start
