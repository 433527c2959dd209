"""``openai-sansio replay`` as a product (issue 7).

- a trace recorded by each CLI command against the emulator (demo, chat over Responses and
  Chat, chat --ws, talk with a barge-in, speak as PCM / SSE / chunked, transcribe over HTTP,
  streamed and realtime) replays with no divergence, and its ``--json`` summary carries the
  API's extras;
- gzip traces, ``--until N``, the progress callback and bar;
- a divergence is printed as a diff of the recorded and the produced message (exit 1);
- hand-written traces (``send``/``recv``/``recv_bytes`` records only, no header) replay for
  every API.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openai_sansio import cli
from openai_sansio.audio import WavWriter
from openai_sansio.cli_replay import _ProgressBar, read_trace
from openai_sansio.protocol.trace import replay

RATE = 16000


def speech_wav(path: Path, pause_ms: int = 3000) -> Path:
    """Two 600 ms utterances (a modulated tone) between silences."""
    t = np.arange(RATE * 600 // 1000) / RATE
    tone = (8000 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(
        np.int16
    )
    quiet = np.zeros(RATE * 300 // 1000, dtype=np.int16)
    gap = np.zeros(RATE * pause_ms // 1000, dtype=np.int16)
    with WavWriter(path, RATE, 1) as writer:
        writer.write(np.concatenate([quiet, tone, gap, tone, quiet, quiet]).reshape(-1, 1))
    return path


def recorded(tmp_path: Path, argv: list[str]) -> Path:
    trace = tmp_path / "trace.jsonl"
    assert cli.main([*argv, "--trace", str(trace)]) == 0
    return trace


def replay_json(trace: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    code = cli.main(["replay", str(trace), "--json", *extra])
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == (1 if summary["divergences"] else 0)
    return summary


COMMANDS: dict[str, list[str]] = {
    "demo": ["demo"],
    "chat-responses": ["chat", "Say hello", "--emulator"],
    "chat-chat": ["chat", "Say hello", "--api", "chat", "--emulator"],
    "chat-ws": ["chat", "--ws", "--turn", "Hello", "--turn", "And again", "--emulator"],
    "talk": ["talk", "--emulator", "--speed", "8", "--barge-in-at", "1.6", "--tools", "demo"],
    "speak-pcm": ["speak", "Hello there. How are you today?", "--emulator"],
    "speak-sse": ["speak", "Hello there.", "--format", "sse", "--emulator"],
    "speak-chunked": ["speak", "Hello there. How are you today?", "--chunked", "--emulator"],
    "transcribe": ["transcribe", "--emulator"],
    "transcribe-stream": ["transcribe", "--stream", "--emulator"],
    "transcribe-realtime": ["transcribe", "--realtime", "--speed", "8", "--emulator"],
}
APIS = {
    "demo": "responses",
    "chat-responses": "responses",
    "chat-chat": "chat",
    "chat-ws": "responses-ws",
    "talk": "realtime",
    "speak-pcm": "speech",
    "speak-sse": "speech",
    "speak-chunked": "speech",
    "transcribe": "transcription-http",
    "transcribe-stream": "transcription-http",
    "transcribe-realtime": "transcription",
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_cli_command_records_a_trace_that_replays_exactly(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = list(COMMANDS[name])
    wav = speech_wav(tmp_path / "in.wav")
    if argv[0] == "talk":
        argv += ["--input", str(wav), "--output", str(tmp_path / "out.wav")]
    elif argv[0] == "speak":
        argv += ["-o", str(tmp_path / "out.wav")]
    elif argv[0] == "transcribe":
        argv.insert(1, str(wav))
    trace = recorded(tmp_path, argv)
    summary = replay_json(trace, capsys)
    assert summary["divergences"] == [], summary["divergences"]
    assert summary["api"] == APIS[name]
    assert summary["turns"] or summary["extras"].get("transcripts")
    extras = summary["extras"]
    if name == "talk":
        assert extras["audio_seconds_sent"] > 1.0 and extras["audio_seconds_received"] > 0.5
        assert len(extras["truncations"]) == 1  # the barge-in
    elif name.startswith("speak"):
        assert extras["audio_seconds_received"] > 0.5
    elif name.startswith("transcribe"):
        assert [t["text"] for t in extras["transcripts"] if t.get("text")]


def test_gzip_until_and_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wav = speech_wav(tmp_path / "in.wav")
    argv = ["talk", "--input", str(wav), "--output", str(tmp_path / "o.wav"), "--emulator"]
    trace = recorded(tmp_path, [*argv, "--speed", "8"])
    packed = tmp_path / "trace.jsonl.gz"
    packed.write_bytes(gzip.compress(trace.read_bytes()))
    assert read_trace(packed) == read_trace(trace)
    whole = replay_json(trace, capsys)
    assert replay_json(packed, capsys) == whole

    header, records = read_trace(trace)
    part = replay_json(packed, capsys, "--until", "40")
    assert part["records"] == 40
    assert part["sent"] == replay(header, records[:40]).sent

    seen: list[int] = []
    replay(header, records, progress=seen.append)
    assert seen and seen[-1] == len(records) and seen == sorted(seen)
    out = io.StringIO()
    bar = _ProgressBar(200, out)
    for done in (0, 50, 51, 100, 200):
        bar(done)
    text = out.getvalue()
    assert text.count("\r") == 4  # 51 draws nothing new (25 %)
    assert "100%  200/200 records\n" in text


def test_a_divergence_is_shown_as_a_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = speech_wav(tmp_path / "in.wav")
    argv = ["talk", "--input", str(wav), "--output", str(tmp_path / "o.wav"), "--emulator"]
    trace = recorded(tmp_path, [*argv, "--speed", "8", "--barge-in-at", "1.6"])
    lines = trace.read_text().splitlines()
    for n, line in enumerate(lines):
        record = json.loads(line)
        if record.get("op") == "send" and record["msg"]["type"] == "conversation.item.truncate":
            record["msg"]["audio_end_ms"] += 7  # the trace says the user heard more
            lines[n] = json.dumps(record)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert cli.main(["replay", str(tampered)]) == 1
    out = capsys.readouterr().out
    assert "DIVERGENCE at record" in out
    minus = [
        line for line in out.splitlines() if line.strip().startswith("-") and "audio_end_ms" in line
    ]
    plus = [
        line for line in out.splitlines() if line.strip().startswith("+") and "audio_end_ms" in line
    ]
    assert minus and plus and minus[0].replace("-", "+", 1) != plus[0]
    summary = replay_json(tampered, capsys)
    [detail] = [d for d in summary["details"] if "expected" in d]
    assert detail["expected"]["audio_end_ms"] == detail["produced"]["audio_end_ms"] + 7


def _sse(*events: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)


def _bytes_records(body: bytes, split: int = 37) -> list[dict[str, Any]]:
    return [
        {"op": "recv_bytes", "b64": base64.b64encode(body[i : i + split]).decode()}
        for i in range(0, len(body), split)
    ]


def _ws(*pairs: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"op": op, "msg": msg} for op, msg in pairs]


PCM = base64.b64encode(b"\x01\x00" * 960).decode()  # 40 ms at 24 kHz
HAND_WRITTEN: dict[str, list[dict[str, Any]]] = {
    "responses": _bytes_records(
        _sse(
            {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
            {
                "type": "response.output_text.delta",
                "item_id": "m",
                "output_index": 0,
                "content_index": 0,
                "delta": "Hi",
            },
            {"type": "response.completed", "response": {"id": "resp_1", "status": "completed"}},
        )
    ),
    "chat": _bytes_records(
        _sse(
            {
                "object": "chat.completion.chunk",
                "id": "c",
                "created": 1,
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}],
            }
        )
        + b"data: [DONE]\n\n"
    ),
    "responses-ws": _ws(
        (
            "send",
            {
                "type": "response.create",
                "model": "gpt-5.5",
                "input": [{"type": "message", "role": "user", "content": "Hello"}],
            },
        ),
        (
            "recv",
            {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        ),
        (
            "recv",
            {"type": "response.completed", "response": {"id": "resp_1", "status": "completed"}},
        ),
    ),
    "realtime": _ws(
        ("send", {"type": "session.update", "session": {"type": "realtime"}}),
        (
            "recv",
            {
                "type": "session.created",
                "event_id": "e1",
                "session": {"type": "realtime", "object": "realtime.session"},
            },
        ),
        ("send", {"type": "response.create"}),
        (
            "recv",
            {
                "type": "response.created",
                "event_id": "e2",
                "response": {
                    "id": "resp_1",
                    "object": "realtime.response",
                    "status": "in_progress",
                    "conversation_id": "conv_1",
                },
            },
        ),
        (
            "recv",
            {
                "type": "response.done",
                "event_id": "e3",
                "response": {
                    "id": "resp_1",
                    "object": "realtime.response",
                    "status": "completed",
                    "conversation_id": "conv_1",
                },
            },
        ),
    ),
    "transcription": _ws(
        ("send", {"type": "session.update", "session": {"type": "transcription"}}),
        (
            "recv",
            {
                "type": "session.created",
                "event_id": "e1",
                "session": {"type": "transcription", "object": "realtime.transcription_session"},
            },
        ),
        (
            "recv",
            {
                "type": "input_audio_buffer.committed",
                "event_id": "e2",
                "item_id": "i1",
                "previous_item_id": None,
            },
        ),
        (
            "recv",
            {
                "type": "conversation.item.input_audio_transcription.completed",
                "event_id": "e3",
                "item_id": "i1",
                "content_index": 0,
                "transcript": "Hello.",
            },
        ),
    ),
    "transcription-http": _bytes_records(
        _sse(
            {"type": "transcript.text.delta", "delta": "Hel"},
            {"type": "transcript.text.done", "text": "Hello."},
        )
    ),
    "speech": _bytes_records(
        _sse(
            {"type": "speech.audio.delta", "audio": PCM},
            {
                "type": "speech.audio.done",
                "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
            },
        )
    ),
}


@pytest.mark.parametrize("api", sorted(HAND_WRITTEN))
def test_hand_written_traces_replay_for_every_api(api: str) -> None:
    summary = replay(None, HAND_WRITTEN[api])
    assert summary.api == api
    assert summary.divergences == []
    if api == "transcription":
        assert summary.extras["transcripts"] == [
            {"item_id": "i1", "role": "user", "text": "Hello."}
        ]
    elif api == "speech":
        assert summary.extras["audio_seconds_received"] == 0.04
        assert summary.turns[0].status == "completed"
    else:
        assert summary.turns and summary.turns[0].status == "completed"
        assert summary.turns[0].text in ("Hi", "Hello.", "")
