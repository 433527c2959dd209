"""``openai-sansio transcribe`` against the built-in emulator, and ``replay`` of the
``transcription-http`` traces it records (plus the recorded ones in tests/data)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from openai_sansio.audio import write_wav
from openai_sansio.cli import main
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.trace import load_trace, replay

DATA = Path(__file__).parent / "data" / "transcription_http"


def _wav(path: Path, rate: int = 8000) -> Path:
    def tone(seconds: float) -> np.ndarray:  # type: ignore[type-arg]
        t = np.arange(int(seconds * rate)) / rate
        return (0.3 * np.sin(2 * np.pi * 300 * t) * 32767).astype(np.int16)

    silence = np.zeros(int(0.5 * rate), np.int16)
    write_wav(path, np.concatenate([silence, tone(0.6), silence, tone(0.4), silence]), rate)
    return path


def test_transcribe_stream_prints_interim_and_final_then_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = _wav(tmp_path / "in.wav")
    trace = tmp_path / "trace.jsonl"
    code = main(["transcribe", str(wav), "--emulator", "--stream", "--trace", str(trace)])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    kinds = [line.split(":")[0] for line in out]
    assert kinds[-2:] == ["final", "usage"] and set(kinds[:-2]) == {"interim"}
    assert len(kinds) > 3
    final = out[-2]
    assert final.startswith("final: ") and "(confidence 0." in final
    assert out[-3] == "interim: " + final.removeprefix("final: ").split(" (confidence")[0]
    header, records = load_trace(trace.read_bytes().splitlines())
    assert header is not None and header["api"] == "transcription-http"
    assert b"sk-emulator" not in trace.read_bytes()
    summary = replay(header, records)
    assert summary.divergences == [] and summary.errors == []
    assert summary.turns[0].text in final
    assert main(["replay", str(trace)]) == 0


def test_transcribe_json_whisper_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = _wav(tmp_path / "in.wav")
    assert main(["transcribe", str(wav), "--emulator", "--model", "whisper-1", "--stream"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(confidence n/a)") and out[1].startswith("usage: ")
    assert main(["transcribe", str(tmp_path / "missing.wav"), "--emulator"]) == 1
    code = main(["transcribe", str(wav), "--emulator", "--response-format", "srt"])
    assert code == 1 and "unsupported_value" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["sse_logprobs.jsonl", "whisper_json.jsonl"])
def test_recorded_traces_replay_without_divergence(name: str) -> None:
    header, records = load_trace((DATA / name).read_bytes().splitlines())
    summary = replay(header, records)
    assert summary.api == "transcription-http" and summary.divergences == []
    (turn,) = summary.turns
    assert turn.status == "completed" and turn.text == "Mirror. Orange."
    assert summary.sent[0]["file"] == {"filename": "short.wav", "bytes": 28844}


def test_replay_flags_a_request_the_builder_would_not_write() -> None:
    header, records = load_trace((DATA / "sse_logprobs.jsonl").read_bytes().splitlines())
    request = dict(records[0])
    body = base64.b64decode(request["body_b64"])
    request["body_b64"] = base64.b64encode(body[:-12]).decode()  # no closing boundary
    with pytest.raises(RemoteProtocolError):  # the strict parser refuses it outright
        replay(header, [request, *records[1:]])
    lower = body.replace(b"Content-Type: audio/wav", b"content-type: audio/wav")
    request["body_b64"] = base64.b64encode(lower).decode()
    summary = replay(header, [request, *records[1:]])
    assert len(summary.divergences) == 1 and "differs" in summary.divergences[0]
    swapped = body.replace(b"gpt-4o-transcribe", b"whisper-1")  # logprobs + whisper-1
    request["body_b64"] = base64.b64encode(swapped).decode()
    summary = replay(header, [request, *records[1:]])
    assert len(summary.divergences) == 1 and "refuse" in summary.divergences[0]


def test_cut_trace_replays_as_interrupted() -> None:
    header, records = load_trace((DATA / "sse_logprobs.jsonl").read_bytes().splitlines())
    body = [r for r in records if r["op"] == "recv_bytes"]
    head = [r for r in records if r["op"] in ("request", "response")]
    summary = replay(header, [*head, body[0], {"op": "eof", "t": 1.0}])
    assert summary.turns[0].status == "interrupted"
    assert summary.errors[0]["code"] == "stream_interrupted"
    assert json.dumps(summary.errors)  # plain data
