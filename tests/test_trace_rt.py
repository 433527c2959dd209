"""Replay of ``realtime`` traces through a fresh `RealtimeSession` (`protocol.trace_rt`).

Traces recorded by ``client.realtime.connect(..., trace=...)`` against the emulator (text with
a tool, and ``talk`` with a barge-in) replay with no divergence and the responses seen live;
without their ``app`` records the caller's commands are rebuilt from the frames they sent.
Hand-written traces of ``send``/``recv`` records replay too: the tool follow-up the machine
decides must be recorded, a ``response.create`` it would hold is a divergence, a server frame
it rejects is a divergence naming its record. ``openai-sansio replay`` prints the turns."""

from __future__ import annotations

import base64
import copy
import io
import re
from pathlib import Path
from typing import Any

import anyio
import msgspec
import numpy as np
import pytest

from openai_sansio import cli
from openai_sansio.audio.wav import WavWriter
from openai_sansio.client import Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.protocol.realtime_session_events import ResponseFinished
from openai_sansio.protocol.trace import ReplaySummary, TraceRecorder, load_trace, replay

KEY = "sk-emulator-test-key"
RATE = 24000


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return f"18C, light rain in {city}"


async def _text_session() -> tuple[bytes, list[tuple[str, str, str]]]:
    """A tool turn (call, output, follow-up) then a plain one; the trace and what was seen."""
    buf = io.BytesIO()
    live: list[tuple[str, str, str]] = []
    async with running(EmulatorConfig(seed=3)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            connection = client.realtime.connect(
                model="gpt-realtime", tools=[get_weather], trace=buf.write
            )
            async with connection as session:
                for text, responses in (("What is the get_weather in Paris?", 2), ("say: ok", 1)):
                    session.send_text(text)
                    async for event in session:
                        if isinstance(event, ResponseFinished):
                            live.append((event.response_id, event.status, event.transcript))
                            responses -= 1
                            if not responses:
                                break
    return buf.getvalue(), live


@pytest.fixture(scope="module")
def text_trace() -> tuple[bytes, list[tuple[str, str, str]]]:
    return anyio.run(_text_session)


def _replay(data: bytes) -> ReplaySummary:
    header, records = load_trace(data.splitlines())
    return replay(header, records)


def _turns(summary: ReplaySummary) -> list[tuple[str | None, str, str]]:
    return [(t.response_id, t.status, t.text) for t in summary.turns]


def test_a_recorded_session_replays_without_divergence(
    text_trace: tuple[bytes, list[tuple[str, str, str]]],
) -> None:
    data, live = text_trace
    summary = _replay(data)
    assert summary.api == "realtime"
    assert summary.divergences == []
    assert _turns(summary) == live
    assert [s for _, s, _ in live] == ["completed"] * 3
    assert live[1][2] == "The get_weather tool returned: 18C, light rain in Paris."
    calls = summary.turns[0].tool_calls
    assert [(c["name"], c["arguments"]) for c in calls] == [("get_weather", '{"city":"Paris"}')]
    assert all(t.usage and t.usage["output_tokens"] > 0 for t in summary.turns)
    header, records = load_trace(data.splitlines())
    assert header is not None and header["api"] == "realtime"
    assert {r["call"] for r in records if r["op"] == "app"} == {"send_text", "submit_tool_output"}
    # the follow-up after the tool output is the machine's own: it sent it in the replay too
    creates = [f for f in summary.sent if f["type"] == "response.create"]
    assert len(creates) == 3


def test_without_app_records_the_commands_are_rebuilt_from_the_frames(
    text_trace: tuple[bytes, list[tuple[str, str, str]]],
) -> None:
    data, live = text_trace
    header, records = load_trace(data.splitlines())
    frames_only = [r for r in records if r["op"] != "app"]
    summary = replay(header, frames_only)
    assert summary.divergences == []
    assert _turns(summary) == live


def test_a_session_the_machine_would_now_send_differently_diverges(
    text_trace: tuple[bytes, list[tuple[str, str, str]]],
) -> None:
    data, _ = text_trace
    header, records = load_trace(data.splitlines())
    followup = next(
        n
        for n, r in enumerate(records, 1)
        if r["op"] == "send" and r["msg"]["type"] == "response.create" and n > 20
    )
    del records[followup - 1]  # as if the client had not sent the tool follow-up
    summary = replay(header, records)
    assert any("response.create" in d and "the trace lacks" in d for d in summary.divergences)


def _wav(path: Path) -> Path:
    t = np.arange(RATE * 1200 // 1000) / RATE
    tone = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    gap = np.zeros(RATE * 800 // 1000, dtype=np.int16)
    with WavWriter(path, RATE, 1) as writer:
        for block in (tone, gap, tone, gap):
            writer.write(block)
    return path


def test_a_talk_session_with_a_barge_in_replays_as_it_went(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "talk.jsonl"
    argv = ["talk", "--input", str(_wav(tmp_path / "in.wav")), "--output", str(tmp_path / "o.wav")]
    assert cli.main([*argv, "--emulator", "--speed", "8", "--trace", str(trace)]) == 0
    timeline = capsys.readouterr().out
    live = re.findall(r"response (resp_\w+) (\w+)(?: \(\w+\))?: '(.*)'$", timeline, re.M)
    assert len(live) == 2, timeline
    summary = _replay(trace.read_bytes())
    assert summary.divergences == []
    assert _turns(summary) == [tuple(turn) for turn in live]
    _, records = load_trace(trace.read_bytes().splitlines())
    kinds = [r["msg"]["type"] for r in records if r["op"] == "send"]
    assert kinds.count("input_audio_buffer.append") > 100
    # normally the second utterance interrupts the first reply (on a loaded machine the
    # reply may end first): the server cancels it, the client truncates what was not played
    if "barge-in" in timeline:
        assert live[0][1] == "cancelled"
        assert "conversation.item.truncate" in kinds


# ----------------------------------------------------------------------------- hand-written


def _response(rid: str, status: str = "in_progress", **extra: Any) -> dict[str, Any]:
    return {"id": rid, "object": "realtime.response", "status": status, "output": [], **extra}


CALL = {
    "id": "fc_1",
    "type": "function_call",
    "status": "completed",
    "call_id": "call_1",
    "name": "get_weather",
    "arguments": '{"city":"Paris"}',
}


def _recv(message: dict[str, Any]) -> dict[str, Any]:
    return {"op": "recv", "msg": message}


def _send(message: dict[str, Any]) -> dict[str, Any]:
    return {"op": "send", "msg": message}


def _tool_trace() -> list[dict[str, Any]]:
    user = {"type": "message", "role": "user"}
    return [
        _recv({"type": "session.created", "session": {"type": "realtime"}}),
        _send(
            {
                "type": "conversation.item.create",
                "item": {**user, "content": [{"type": "input_text", "text": "Paris?"}]},
            }
        ),
        _send({"type": "response.create"}),
        _recv({"type": "response.created", "response": _response("resp_1")}),
        _recv(
            {
                "type": "response.output_item.done",
                "response_id": "resp_1",
                "output_index": 0,
                "item": CALL,
            }
        ),
        _recv(
            {
                "type": "response.done",
                "response": _response(
                    "resp_1",
                    "completed",
                    usage={"total_tokens": 30, "input_tokens": 20, "output_tokens": 10},
                ),
            }
        ),
        _send(
            {
                "type": "conversation.item.create",
                "item": {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
            }
        ),
        _send({"type": "response.create"}),  # the machine's follow-up
        _recv({"type": "response.created", "response": _response("resp_2")}),
        *(
            _recv(
                {
                    "type": "response.output_text.delta",
                    "response_id": "resp_2",
                    "item_id": "msg_2",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": delta,
                }
            )
            for delta in ("Sunny,", " 18C.")
        ),
        _recv({"type": "response.done", "response": _response("resp_2", "completed")}),
    ]


def test_a_hand_written_trace_replays() -> None:
    summary = replay(None, _tool_trace())
    assert summary.api == "realtime"
    assert summary.divergences == []
    assert _turns(summary) == [("resp_1", "completed", ""), ("resp_2", "completed", "Sunny, 18C.")]
    assert summary.turns[0].tool_calls == [
        {"call_id": "call_1", "name": "get_weather", "arguments": '{"city":"Paris"}'}
    ]
    usage = summary.turns[0].usage
    assert usage is not None and usage["total_tokens"] == 30
    assert [f["type"] for f in summary.sent] == [
        "session.update",
        "conversation.item.create",
        "response.create",
        "conversation.item.create",
        "response.create",
    ]


def test_a_hand_written_trace_missing_the_follow_up_diverges() -> None:
    records = _tool_trace()
    del records[7]
    summary = replay(None, records)
    assert summary.divergences == [
        'record 7: the machine then sent {"type":"response.create","event_id":"evt_7"}, '
        "which the trace lacks"
    ]


def test_a_create_the_machine_would_hold_behind_an_active_response_diverges() -> None:
    records = _tool_trace()
    records.insert(4, _send({"type": "response.create"}))  # while resp_1 is active
    summary = replay(None, records)
    assert summary.divergences[0] == (
        'record 5: recorded {"type":"response.create"} but the machine sent nothing'
    )


def test_a_frame_the_machine_rejects_is_a_divergence_naming_its_record() -> None:
    records = _tool_trace()
    records[4] = _recv({"type": "response.output_item.done", "item": "not an item"})
    summary = replay(None, records)
    assert summary.divergences
    assert summary.divergences[0].startswith("record 5: the machine rejects this server frame")
    assert [t.response_id for t in summary.turns] == ["resp_1", "resp_2"]  # it went on
    records[4] = _recv("{not json")  # type: ignore[arg-type]
    assert replay(None, records).divergences[0].startswith("record 5: the machine rejects")


def test_a_corrupted_frame_in_a_recorded_trace_names_its_record(
    text_trace: tuple[bytes, list[tuple[str, str, str]]],
) -> None:
    data, live = text_trace
    header, records = load_trace(data.splitlines())
    number = next(
        n
        for n, r in enumerate(records, 1)
        if r["op"] == "recv" and r["msg"]["type"] == "response.output_audio_transcript.delta"
    )
    corrupted = copy.deepcopy(records)
    corrupted[number - 1]["msg"]["delta"] = 42
    summary = replay(header, corrupted)
    assert len(summary.divergences) == 1
    assert summary.divergences[0].startswith(f"record {number}: the machine rejects")
    assert [t.status for t in summary.turns] == [s for _, s, _ in live]
    sent = next(
        n
        for n, r in enumerate(records, 1)
        if r["op"] == "send" and r["msg"]["type"] == "conversation.item.create"
    )
    altered = copy.deepcopy(records)
    altered[sent - 1]["msg"]["item"]["content"][0]["text"] = "What is the time?"
    divergences = replay(header, altered).divergences
    assert divergences[0].startswith(f"record {sent}: recorded ")
    assert "What is the time?" in divergences[0]


def test_audio_appends_are_replayed_byte_for_byte() -> None:
    audio = bytes(range(256)) * 4
    good = {"type": "input_audio_buffer.append", "audio": _b64(audio)}
    records = [
        _recv({"type": "session.created", "session": {"type": "realtime"}}),
        _send(good),
        _send({**good, "audio": _b64(audio)[:-4] + "AAA="}),
        _send({**good, "audio": "not base64!"}),
    ]
    summary = replay(None, records)
    assert summary.sent[1] == good
    assert len(summary.divergences) == 1
    assert summary.divergences[0] == "record 4: recorded an append whose audio is not base64"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _commands_trace(*, followup: bool = True) -> bytes:
    """`_tool_trace` as the client records it: its commands, then the frames they sent."""
    buf = io.BytesIO()
    recorder = TraceRecorder(buf.write, api="realtime", started="2026-01-01T00:00:00Z")
    records = _tool_trace()
    question = records[1]["msg"]["item"]
    recorder.recv(0.0, records[0]["msg"])
    recorder.app(0.1, "send_text", {"text": "Paris?"}, "item_2")
    recorder.send(
        0.1,
        {
            "type": "conversation.item.create",
            "event_id": "evt_3",
            "item": {**question, "id": "item_2"},
        },
    )
    recorder.send(0.1, {"type": "response.create", "event_id": "evt_4"})
    for record in records[3:6]:
        recorder.recv(0.2, record["msg"])
    recorder.app(0.3, "submit_tool_output", {"call_id": "call_1", "output": "18C"}, "item_5")
    output = {**records[6]["msg"]["item"], "id": "item_5"}
    recorder.send(0.3, {"type": "conversation.item.create", "event_id": "evt_6", "item": output})
    if followup:
        recorder.send(0.3, {"type": "response.create", "event_id": "evt_7"})
    for record in records[8:]:
        recorder.recv(0.4, record["msg"])
    return buf.getvalue()


def test_a_trace_with_commands_replays_them_and_checks_the_machines_frames() -> None:
    summary = _replay(_commands_trace())
    assert summary.divergences == []
    assert _turns(summary) == [("resp_1", "completed", ""), ("resp_2", "completed", "Sunny, 18C.")]
    summary = _replay(_commands_trace(followup=False))
    assert summary.divergences == [  # record 8: the command after which it went out
        'record 8: the machine then sent {"type":"response.create","event_id":"evt_7"}, '
        "which the trace lacks"
    ]
    header, records = load_trace(_commands_trace().splitlines())
    records[1]["returns"] = "item_9"
    assert replay(header, records).divergences == [
        'record 2: send_text returned "item_2", recorded "item_9"'
    ]


def test_replay_prints_the_realtime_turns(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text_trace: tuple[bytes, list[tuple[str, str, str]]],
) -> None:
    data, live = text_trace
    path = tmp_path / "rt.jsonl"
    path.write_bytes(data)
    assert cli.main(["replay", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("api: realtime  records: ")
    assert f"turn 1: completed {live[0][0]}" in out
    assert 'tool call: get_weather({"city":"Paris"}) call_' in out
    assert f"turn 2: completed {live[1][0]}" in out
    assert "text: 'The get_weather tool returned: 18C, light rain in Paris.'" in out
    assert "DIVERGENCE" not in out
    assert cli.main(["replay", "--json", str(path)]) == 0
    as_json = msgspec.json.decode(capsys.readouterr().out)
    assert as_json["api"] == "realtime" and len(as_json["turns"]) == 3
    broken = tmp_path / "broken.jsonl"
    records = data.splitlines()
    records.insert(6, b'{"t":0.5,"op":"recv","msg":"{not json"}')
    broken.write_bytes(b"\n".join(records))
    assert cli.main(["replay", str(broken)]) == 1
    assert "DIVERGENCE: record 6: the machine rejects" in capsys.readouterr().out


def test_the_golden_realtime_traces_replay_without_divergence() -> None:
    """The machine's golden scenarios (``tests/data/realtime``: exact order, ids from the
    header's counter, bytes as ``$b64``) replay with no divergence, known bugs aside."""
    golden = pytest.importorskip("test_realtime_golden")
    scenarios = [s for s in golden.SCENARIOS if getattr(s, "bug", None) is None]
    assert scenarios
    for scenario in scenarios:
        header, records = load_trace(golden.trace_path(scenario).read_bytes().splitlines())
        summary = replay(header, records)
        assert summary.api == "realtime"
        assert summary.divergences == [], scenario.name
