"""``openai-sansio speak`` against the in-process emulator (a 24 kHz mono 16-bit WAV of the
emulator's exact audio) and the replay of recorded speech traces (``tests/data/speech``):
no divergence as recorded, a divergence when a body byte is changed, a cut body reported."""

from __future__ import annotations

import base64
import json
import wave
from pathlib import Path
from typing import Any

import pytest

from openai_sansio import cli
from openai_sansio.emulator.speech import synthesize
from openai_sansio.protocol._errors import RemoteProtocolError
from openai_sansio.protocol.trace import load_trace, replay

DATA = Path(__file__).parent / "data" / "speech"


@pytest.mark.parametrize("options", [["--format", "pcm"], ["--format", "sse", "--chunked"]])
def test_speak_writes_a_24k_mono_16bit_wav(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    out, trace = tmp_path / "out.wav", tmp_path / "trace.jsonl"
    text = "Good morning. How are you?"
    argv = ["speak", text, "-o", str(out), "--emulator", "--trace", str(trace), *options]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "time to first audio:" in printed and "24 kHz mono 16-bit" in printed
    with wave.open(str(out), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        frames = wav.readframes(wav.getnframes())
    if "--chunked" in options:
        assert "usage: in=" in printed and "2 request(s)" in printed
        # the exact audio of each request, without the zero padding of its last frame
        assert frames == synthesize("Good morning. ") + synthesize("How are you? ")
    else:
        assert frames == synthesize(text)
    assert cli.main(["replay", str(trace)]) == 0
    assert "api: speech" in capsys.readouterr().out


def test_speak_without_credentials_explains(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert cli.main(["speak", "Hi", "-o", str(tmp_path / "x.wav")]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def _load(name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    with (DATA / name).open("rb") as handle:
        return load_trace(handle)


def test_recorded_chunked_pcm_trace_replays_without_divergence() -> None:
    header, records = _load("chunked_pcm.jsonl")
    summary = replay(header, records)
    assert summary.api == "speech" and summary.divergences == [] and summary.errors == []
    assert [(t.status, t.text) for t in summary.turns] == [
        ("completed", "Hi. "),
        ("completed", "Bye. "),
    ]
    assert [t.usage["samples"] if t.usage else None for t in summary.turns] == [4320, 5400]
    assert [body["input"] for body in summary.sent] == ["Hi. ", "Bye. "]


def test_recorded_sse_trace_replays_with_usage() -> None:
    header, records = _load("sse.jsonl")
    summary = replay(header, records)
    assert summary.divergences == []
    usage = summary.turns[0].usage
    assert usage is not None and (usage["input_tokens"], usage["output_tokens"]) == (2, 12)
    assert usage["audio_bytes"] == len(synthesize("Okay."))


def test_a_changed_body_byte_is_a_divergence_and_headerless_traces_replay() -> None:
    _, records = _load("chunked_pcm.jsonl")
    changed = [dict(r) for r in records]
    first = next(r for r in changed if r["op"] == "recv_bytes")
    data = bytearray(base64.b64decode(first["b64"]))
    data[100] ^= 0xFF
    first["b64"] = base64.b64encode(bytes(data)).decode()
    summary = replay(None, changed)  # no header: recognised by the URL
    assert summary.api == "speech"
    assert len(summary.divergences) == 1 and "sha256" in summary.divergences[0]


def test_a_cut_body_replays_as_a_typed_failure() -> None:
    header, records = _load("sse.jsonl")
    first_chunk = next(i for i, r in enumerate(records) if r["op"] == "recv_bytes")
    cut = [*records[: first_chunk + 1], {"t": 1.0, "op": "closed", "code": None}]
    summary = replay(header, cut)
    assert summary.turns[0].status == "failed"
    assert [e["code"] for e in summary.errors] == ["incomplete_stream"]


def test_malformed_recorded_bytes_name_the_record() -> None:
    header, records = _load("sse.jsonl")
    broken = [dict(r) for r in records]
    index = next(i for i, r in enumerate(broken) if r["op"] == "recv_bytes")
    broken[index]["b64"] = base64.b64encode(b'data: {"type":"speech.audio.delta","audio":7}\n\n')
    broken[index]["b64"] = broken[index]["b64"].decode()
    with pytest.raises(RemoteProtocolError, match=f"record {index + 1}"):
        replay(header, broken)
    assert json.loads(json.dumps(header))["api"] == "speech"


@pytest.mark.parametrize(
    "bad",
    [
        {"op": "response", "status": "two hundred", "headers": {}},
        {"op": "response", "status": 200, "headers": {"content-type": "text/html"}},
    ],
)
def test_a_malformed_hand_written_trace_is_a_remote_protocol_error(bad: dict[str, Any]) -> None:
    records = [
        {"op": "request", "url": "https://x/v1/audio/speech", "body": {"input": "Hi"}},
        bad,
        {"op": "eof"},
    ]
    with pytest.raises(RemoteProtocolError, match="record 2"):
        replay(None, records)
    unknown_format = [{**records[0], "body": {"input": "Hi", "response_format": "ogg"}}]
    with pytest.raises(RemoteProtocolError, match="record 1"):
        replay(None, unknown_format)
    header = {"v": 1, "kind": "header", "api": "speech", "config": {"frame_ms": "20"}}
    with pytest.raises(RemoteProtocolError, match="frame_ms"):
        replay(header, records)
