"""The ``openai-sansio`` command: demo, chat, replay (recorded and hand-written traces)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from _wire import chat_sse, sse, text_turn

from openai_sansio.cli import main


def test_demo_prints_the_timeline_and_writes_a_replayable_trace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "demo.jsonl"
    assert main(["demo", "--trace", str(trace)]) == 0
    out = capsys.readouterr().out
    assert "response.created" in out and "tool call" in out and "get_weather" in out
    assert "chat end: completed ([DONE])" in out
    assert "TCP connections opened for 3 requests: 1" in out
    assert b"sk-emulator" not in trace.read_bytes()

    assert main(["replay", str(trace), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= {"api", "turns", "errors", "sent", "divergences"}
    assert [t["status"] for t in summary["turns"]] == ["completed"] * 3
    assert summary["turns"][0]["tool_calls"][0]["name"] == "get_weather"
    assert json.loads(summary["turns"][0]["tool_calls"][0]["arguments"]) == {"city": "Paris"}
    assert summary["turns"][1]["text"].startswith("The get_weather tool returned")
    assert len(summary["sent"]) == 3 and summary["divergences"] == []


@pytest.mark.parametrize("api", ["responses", "chat"])
def test_chat_command_on_the_emulator(
    api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "t.jsonl"
    assert (
        main(["chat", "say: streamed words", "--api", api, "--emulator", "--trace", str(trace)])
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.strip() == "streamed words"
    assert "[completed] tokens" in captured.err
    assert main(["replay", str(trace)]) == 0
    assert "streamed words" in capsys.readouterr().out


def test_chat_without_key_or_endpoint_explains_itself(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["chat", "hi"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def _hand_written(path: Path, body: bytes, splits: list[int]) -> None:
    lines = []
    start = 0
    for end in [*splits, len(body)]:
        lines.append(
            json.dumps({"op": "recv_bytes", "b64": base64.b64encode(body[start:end]).decode()})
        )
        start = end
    path.write_text("\n".join(lines) + "\n")


def test_hand_written_responses_trace_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"".join(sse(e) for e in text_turn("resp_hand", ["Hi", " there"]))
    trace = tmp_path / "hand.jsonl"
    _hand_written(trace, body, [5, 100, 101])
    assert main(["replay", str(trace), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["api"] == "responses"
    assert summary["turns"] == [
        {
            "response_id": "resp_hand",
            "status": "completed",
            "text": "Hi there",
            "tool_calls": [],
            "usage": summary["turns"][0]["usage"],
        }
    ]
    assert summary["turns"][0]["usage"]["cached_tokens"] == 2


def test_hand_written_chat_trace_without_done_replays_as_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"id": "chatcmpl-h", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    body = chat_sse({**base, "choices": [{"index": 0, "delta": {"content": "par"}}]})
    trace = tmp_path / "chat.jsonl"
    _hand_written(trace, body, [])
    assert main(["replay", str(trace), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["api"] == "chat"
    assert summary["turns"][0]["status"] == "interrupted"
    assert summary["errors"][0]["code"] == "stream_interrupted"


def test_replay_of_a_broken_trace_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "bad.jsonl"
    trace.write_text('{"op": "recv_bytes", "b64": "%%%"}\n')
    assert main(["replay", str(trace)]) == 1
    assert "base64" in capsys.readouterr().err


def test_emulator_rules_are_printable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--rules"]) == 0
    assert "function" in capsys.readouterr().out.lower()
