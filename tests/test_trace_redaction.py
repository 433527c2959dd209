"""No credential reaches a trace.

The recorder redacts at record time (headers, query keys, credential fields at any depth of a
message or body); `conftest.py` scans every record the whole suite writes with
`_trace_scan.leaks` and fails the run on a leak. Here: the scanner finds what it must (so
that scan means something) and passes what is clean; the recorder's redaction of messages;
replays still match frames whose credentials were redacted; the committed traces are clean.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _trace_scan import leaks

from openai_sansio.protocol import trace_rt, trace_transcription
from openai_sansio.protocol.redaction import REDACTED, redact_message
from openai_sansio.protocol.trace import TraceRecorder, load_trace, replay

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    "line",
    [
        b'{"headers":{"authorization":"Bearer sk-live-abc123"}}',
        b'{"msg":{"session":{"client_secret":{"value":"ek_68af2c0d1e3f4a5b"}}}}',
        b'{"headers":{"api-key":"0123456789abcdef"}}',
        b'{"url":"wss://x.openai.azure.com/openai/realtime?api-key=abc&deployment=d"}',
        b'{"headers":{"sec-websocket-protocol":"realtime, openai-insecure-api-key.sk-x1"}}',
        b'{"msg":{"tools":[{"type":"mcp","authorization":"oauth-token"}]}}',
    ],
)
def test_the_scanner_finds_credentials(line: bytes) -> None:
    assert leaks(line)


@pytest.mark.parametrize(
    "line",
    [
        b'{"headers":{"authorization":"<redacted>","api-key":"<redacted>"}}',
        b'{"url":"wss://x/openai/realtime?api-key=%3Credacted%3E&deployment=d"}',
        b'{"msg":{"type":"response.output_text.delta","delta":"ask-me anything"}}',
        b'{"msg":{"session":{"client_secret":"<redacted>"}}}',
    ],
)
def test_the_scanner_passes_clean_lines(line: bytes) -> None:
    assert leaks(line) == []


def test_recorded_messages_lose_their_credentials_at_any_depth() -> None:
    lines: list[bytes] = []
    recorder = TraceRecorder(lines.append, api="realtime", started="now")
    session = {
        "type": "realtime",
        "tools": [{"type": "mcp", "server_url": "https://mcp", "authorization": "tok-123"}],
    }
    recorder.send(0.1, {"type": "session.update", "session": session})
    recorder.recv(0.2, {"type": "session.created", "session": {"client_secret": {"value": "e"}}})
    recorder.app(0.3, "update_session", {"tools": session["tools"]}, {"api_key": "k"})
    recorder.request(
        0.0,
        method="POST",
        url="https://api.openai.com/v1/x?key=secret&model=m",
        headers=[("Authorization", "Bearer sk-a1")],
        body=json.dumps({"api_key": "k", "input": "hi"}).encode(),
    )
    _, records = load_trace(lines)
    assert records[0]["msg"]["session"]["tools"][0]["authorization"] == REDACTED
    assert records[0]["msg"]["session"]["tools"][0]["server_url"] == "https://mcp"
    assert records[1]["msg"]["session"]["client_secret"] == REDACTED
    assert records[2]["args"]["tools"][0]["authorization"] == REDACTED
    assert records[2]["returns"] == {"api_key": REDACTED}
    assert records[3]["headers"]["authorization"] == REDACTED
    assert records[3]["body"] == {"api_key": REDACTED, "input": "hi"}
    assert "secret" not in records[3]["url"] and "model=m" in records[3]["url"]
    assert all(leaks(line) == [] for line in lines)


def test_a_clean_message_is_not_copied() -> None:
    message = {"type": "x", "items": [{"a": 1}, [2, {"b": "c"}]]}
    assert redact_message(message) is message


def test_a_realtime_replay_matches_a_frame_whose_credentials_were_redacted() -> None:
    tools = [{"type": "mcp", "server_label": "s", "server_url": "https://m", "authorization": "t"}]
    lines: list[bytes] = []
    recorder = TraceRecorder(lines.append, api="realtime", started="now")
    recorder.send(
        0.0, {"type": "session.update", "event_id": "evt_1", "session": {"type": "realtime"}}
    )
    recorder.app(0.1, "update_session", {"tools": tools}, "evt_2")
    recorder.send(
        0.1,
        {
            "type": "session.update",
            "event_id": "evt_2",
            "session": {"type": "realtime", "tools": tools},
        },
    )
    header, records = load_trace(lines)
    summary = replay(header, records)
    assert summary.divergences == []  # (the trace never held the token, the replay neither)


def test_replays_compare_what_a_machine_sends_after_the_same_redaction() -> None:
    """A machine given the real secret (e.g. through its own configuration) sends it; the
    trace holds ``<redacted>``: the frames are the same, any other difference is not."""
    tool = {"type": "mcp", "server_label": "s", "authorization": REDACTED}
    recorded = {"type": "session.update", "session": {"type": "realtime", "tools": [tool]}}
    produced = {
        "type": "session.update",
        "event_id": "evt_9",
        "session": {"type": "realtime", "tools": [{**tool, "authorization": "oauth-token"}]},
    }
    other = {**produced, "session": {"type": "realtime", "tools": [{**tool, "server_label": "x"}]}}
    for same in (trace_rt._same, trace_transcription._same):
        assert same(recorded, produced)
        assert not same(recorded, other)


def test_the_header_config_is_redacted_too() -> None:
    lines: list[bytes] = []
    TraceRecorder(
        lines.append,
        api="realtime",
        started="now",
        config={
            "model": "gpt-realtime",
            "session": {"tools": [{"type": "mcp", "authorization": "t"}]},
        },
    )
    header, _ = load_trace(lines)
    assert header is not None
    assert header["config"]["session"]["tools"][0]["authorization"] == REDACTED
    assert header["config"]["model"] == "gpt-realtime"


@pytest.mark.parametrize(
    "path", sorted(DATA.glob("*/*.jsonl")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_committed_traces_hold_no_credential(path: Path) -> None:
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        assert leaks(line) == [], f"{path.name}:{number}"
