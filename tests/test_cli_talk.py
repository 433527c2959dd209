"""``openai-sansio talk`` against the built-in emulator, with synthesized WAV files.

Each run streams a two-utterance file at ``--speed 8`` (the emulator then speaks at 8x too)
and checks the exit code, the agent's audio written to OUT.wav, the printed timeline (speech
start/stop, responses, barge-ins) and the ``--trace`` file. Tools are not exercised here: the
emulated user audio is heard as "Spoken input of N milliseconds.", which names no tool
(`test_realtime_client` covers tools).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from openai_sansio import cli
from openai_sansio.audio.wav import WavReader, WavWriter
from openai_sansio.cli import EMULATOR_KEY
from openai_sansio.protocol.trace import load_trace

RATE = 16000


def tone(ms: int) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (8000 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))).astype(
        np.int16
    )


def silence(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, dtype=np.int16)


def write_wav(path: Path, gap_ms: int, channels: int = 1) -> Path:
    """Two 600 ms utterances (at 0.3 s and 0.9 s + `gap_ms`), then 0.5 s of silence."""
    mono = np.concatenate([silence(300), tone(600), silence(gap_ms), tone(600), silence(500)])
    with WavWriter(path, RATE, channels) as writer:
        writer.write(np.repeat(mono, channels).reshape(-1, channels))
    return path


def talk(tmp_path: Path, wav: Path, *extra: str) -> tuple[Path, Path]:
    out = tmp_path / "out.wav"
    trace = tmp_path / "talk.trace"
    argv = ["talk", "--input", str(wav), "--output", str(out), "--emulator", "--speed", "8"]
    code = cli.main([*argv, "--trace", str(trace), *extra])
    assert code == 0
    return out, trace


def lines(text: str) -> list[str]:
    found = re.findall(r"^\[\s*[\d.]+s\] (.*)$", text, flags=re.MULTILINE)
    assert found, text
    return found


def test_talk_with_a_barge_in_mid_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the first reply ("You said: Spoken input of 1100 milliseconds.", 2.2 s) starts at
    # 1.1 s of input; the barge-in at 1.6 s lands in it; the second utterance is at 3.9 s
    wav = write_wav(tmp_path / "in.wav", gap_ms=3000, channels=2)
    out, trace = talk(tmp_path, wav, "--barge-in-at", "1.6", "--tools", "demo")
    timeline = lines(capsys.readouterr().out)

    starts = [line for line in timeline if line.startswith("user speech started")]
    stops = [line for line in timeline if line.startswith("user speech stopped")]
    assert len(starts) == len(stops) == 2
    assert starts[0] == "user speech started at 0 ms"  # 300 ms - 300 ms prefix padding
    assert stops[0] == "user speech stopped at 1100 ms"
    responses = [line for line in timeline if re.match(r"response resp_\w+ started$", line)]
    assert len(responses) == 2
    barge = [line for line in timeline if line.startswith("barge-in: item item_")]
    assert len(barge) >= 1
    match = re.match(
        r"barge-in: item (item_\w+) truncated at (\d+) ms of (\d+) ms received "
        r"\+ response\.cancel$",
        barge[0],
    )
    assert match, barge[0]
    played, received = int(match[2]), int(match[3])
    assert 0 < played < received
    assert any(re.match(rf"server truncated {match[1]} at {played} ms$", line) for line in timeline)
    assert any(re.search(r"cancelled \(client_cancelled\): 'You said", line) for line in timeline)
    assert re.search(r"completed: 'You said: Spoken input of \d+ milliseconds\.'$", timeline[-2])
    assert timeline[-1] == f"done: 2 response(s); agent audio written to {out}"
    assert not [line for line in timeline if line.startswith(("error", "tool"))]

    with WavReader(out) as reader:
        assert (reader.rate, reader.channels) == (RATE, 1)
        audio = np.concatenate([block.reshape(-1) for block in reader.blocks(4096)])
    # the cut first reply plus the whole second one (2.2 s), 20 ms frames
    assert 2200 <= len(audio) * 1000 // RATE <= 4400
    assert np.abs(audio).max() > 1000

    header, records = load_trace(trace.read_bytes().splitlines())
    assert header is not None and header["api"] == "realtime"
    assert header["config"] == {"model": "gpt-realtime"}
    sent = [r["msg"]["type"] for r in records if r["op"] == "send"]
    assert sent[0] == "session.update"
    assert {"input_audio_buffer.append", "response.cancel", "conversation.item.truncate"} <= set(
        sent
    )
    update = next(r["msg"] for r in records if r["op"] == "send")
    assert [t["name"] for t in update["session"]["tools"]] == ["get_weather"]
    assert [r["code"] for r in records if r["op"] == "closed"] == [1000]
    assert EMULATOR_KEY.encode() not in trace.read_bytes()


def test_talk_server_vad_barge_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the second utterance (at 1.4 s) starts while the first reply (from 1.1 s) plays
    wav = write_wav(tmp_path / "in.wav", gap_ms=500)
    out, _ = talk(tmp_path, wav)
    timeline = lines(capsys.readouterr().out)
    assert sum(line.startswith("user speech started") for line in timeline) == 2
    barge = [line for line in timeline if line.startswith("barge-in: item item_")]
    assert len(barge) == 1
    assert " + response.cancel" not in barge[0]  # server VAD cancels it itself
    assert any(re.search(r"cancelled \(turn_detected\)", line) for line in timeline)
    assert any(re.search(r" completed: 'You said: Spoken input", line) for line in timeline)
    assert out.stat().st_size > 44


def test_talk_no_spurious_barge_in_after_a_cancelled_reply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_wav(tmp_path / "in.wav", gap_ms=3000)
    talk(tmp_path, wav, "--barge-in-at", "1.6")
    timeline = lines(capsys.readouterr().out)
    barge = [line for line in timeline if line.startswith("barge-in")]
    assert len(barge) == 1 and barge[0].startswith("barge-in: item item_"), barge


def test_talk_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.wav"
    code = cli.main(
        ["talk", "--input", str(missing), "--output", str(tmp_path / "o.wav"), "--emulator"]
    )
    assert code == 1
    assert "no such file" in capsys.readouterr().err
    assert not (tmp_path / "o.wav").exists()
