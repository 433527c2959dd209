"""``openai-sansio chat --ws``: a multi-turn conversation on one Responses WebSocket, against
the built-in emulator (loopback): per-turn reports, the tool round trip, prewarm, a trace that
replays."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from openai_sansio.cli import EMULATOR_KEY, main

PARIS = "Use get_weather: what is the weather in Paris?"
CHAT = ["chat", "--ws", "--emulator", "--model", "gpt-5.5"]
REPORT = re.compile(
    r"turn (\d): (new chain|chained on resp_\w+) \| sent (\d+) item\(s\) / (\d+) B "
    r"\| ttft [\d.]+ ms \| (\w+) \| tokens in=\d+ \(cached \d+\) out=\d+"
)


def test_chat_ws_streams_each_turn_and_reports_what_it_sent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*CHAT, "--turn", "Hello", "--turn", PARIS]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "> Hello",
        "You said: Hello",
        f"> {PARIS}",
        "[tool call get_weather({'city': 'Paris'})]",
        'The get_weather tool returned: {"city":"Paris","temperature_c":18,"sky":"light rain"}.',
    ]
    reports = [m.groups() for m in REPORT.finditer(err)]
    assert [(n, chain.split(" ")[0], items, status) for n, chain, items, _, status in reports] == [
        ("1", "new", "1", "completed"),
        ("2", "chained", "1", "completed"),  # the question
        ("3", "chained", "1", "completed"),  # the tool output, on the same chain
    ]
    assert all(int(size) > 0 for *_, size, _ in reports)
    assert "3 turn(s) on 1 socket(s); conversation: 6 item(s)" in err


def test_chat_ws_prewarm_seeds_the_chain_and_no_tools_means_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [*CHAT, "--store", "--prewarm", "--instructions", "Be brief.", "--no-tools"]
    assert main([*argv, "--turn", PARIS]) == 0
    out, err = capsys.readouterr()
    assert "prewarm: completed" in err
    assert f"You said: {PARIS}" in out and "tool call" not in out
    [report] = REPORT.findall(err)
    assert report[1].startswith("chained on resp_") and report[2] == "1"
    assert "1 turn(s) on 1 socket(s); conversation: 2 item(s)" in err  # --instructions is a param


def test_chat_ws_trace_replays_with_no_divergence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "ws.jsonl"
    assert main([*CHAT, "--trace", str(trace), "--turn", "Hello", "--turn", PARIS]) == 0
    capsys.readouterr()
    data = trace.read_bytes()
    assert EMULATOR_KEY.encode() not in data
    assert json.loads(data.splitlines()[0])["api"] == "responses-ws"
    assert main(["replay", str(trace)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("api: responses-ws")
    assert re.findall(r"^turn (\d): (\w+)", out, re.M) == [
        ("1", "completed"),
        ("2", "completed"),
        ("3", "completed"),
    ]
    assert "tool call: get_weather" in out and "DIVERGENCE" not in out
    assert main(["replay", "--json", str(trace)]) == 0
    assert json.loads(capsys.readouterr().out)["divergences"] == []
