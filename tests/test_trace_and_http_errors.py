"""Trace records (redaction, every op, loading) and HTTP error responses as typed events."""

from __future__ import annotations

import base64
import json

import pytest
from _wire import sse, text_turn

from openai_sansio.protocol import RemoteProtocolError, api_error_from_http
from openai_sansio.protocol._errors import LocalProtocolError
from openai_sansio.protocol.http_errors import parse_retry_after
from openai_sansio.protocol.trace import (
    REDACTED,
    TraceRecorder,
    load_trace,
    redact_headers,
    redact_url,
    replay,
)

SECRET = "sk-live-very-secret"


def test_error_body_of_openai_shape() -> None:
    body = json.dumps(
        {
            "error": {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "param": None,
                "code": "insufficient_quota",
            }
        }
    ).encode()
    error = api_error_from_http(429, [("X-Request-Id", "req_9"), ("retry-after-ms", "1500")], body)
    assert (error.status, error.code, error.request_id, error.retry_after) == (
        429,
        "insufficient_quota",
        "req_9",
        1.5,
    )
    assert error.classification == "fatal"  # quota: retrying the same request cannot help
    assert error.source == "http"


@pytest.mark.parametrize(
    ("status", "body", "message", "classification"),
    [
        (502, b"<html>Bad gateway</html>", "HTTP 502: <html>Bad gateway</html>", "retryable"),
        (401, b"", "HTTP 401", "fatal"),
        (400, b'{"error": "not an object"}', 'HTTP 400: {"error": "not an object"}', "fatal"),
    ],
)
def test_error_body_that_is_not_openai_shaped(
    status: int, body: bytes, message: str, classification: str
) -> None:
    error = api_error_from_http(status, [], body)
    assert error.message == message and error.code is None
    assert error.classification == classification


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("3", 3.0), (" 0.5 ", 0.5), ("-1", None), ("Wed, 21 Oct 2026", None), (None, None)],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_redaction_of_headers_and_query() -> None:
    headers = redact_headers(
        [("Authorization", f"Bearer {SECRET}"), ("api-key", SECRET), ("Content-Type", "x")]
    )
    assert headers == {"authorization": REDACTED, "api-key": REDACTED, "content-type": "x"}
    url = redact_url(f"https://h/openai/responses?api-version=v1&api-key={SECRET}")
    assert SECRET not in url and "api-version=v1" in url
    assert redact_url("https://h/v1/responses") == "https://h/v1/responses"


def test_recorder_writes_every_op_and_never_a_secret() -> None:
    lines: list[bytes] = []
    recorder = TraceRecorder(lines.append, api="responses-ws", started="2026-11-23T00:00:00Z")
    recorder.request(
        0.0,
        method="GET",
        url=f"wss://h/v1/responses?key={SECRET}",
        headers=[("authorization", f"Bearer {SECRET}")],
        body=b"\xff not json",
    )
    recorder.response(0.1, status=101, headers=[("set-cookie", SECRET)])
    recorder.send(0.2, {"type": "response.create"})
    recorder.recv(0.3, {"type": "response.created"})
    recorder.recv_bytes(0.4, b"abc")
    recorder.timeout(0.5)
    recorder.eof(0.6)
    recorder.closed(0.7, 1006)
    raw = b"".join(lines)
    assert SECRET.encode() not in raw
    header, records = load_trace(raw.splitlines())
    assert header is not None and header["api"] == "responses-ws"
    assert [r["op"] for r in records] == [
        "request",
        "response",
        "send",
        "recv",
        "recv_bytes",
        "timeout",
        "eof",
        "closed",
    ]
    assert base64.b64decode(records[0]["body_b64"]) == b"\xff not json"
    assert records[-1]["code"] == 1006


def test_recorder_rejects_an_unknown_api() -> None:
    with pytest.raises(LocalProtocolError):
        TraceRecorder(lambda _: None, api="smtp", started="x")


@pytest.mark.parametrize(
    "line",
    [b"{not json", b"[1, 2]", b'{"v": 2, "kind": "header", "api": "chat"}', b'{"t": 0.0}'],
)
def test_malformed_trace_lines_are_remote_errors(line: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        load_trace([line])


def test_replay_of_an_http_error_exchange() -> None:
    body = json.dumps({"error": {"message": "slow down", "code": "rate_limit_exceeded"}})
    records = [
        {"op": "request", "url": "https://h/v1/responses", "body": {"model": "m"}},
        {"op": "response", "status": 429, "headers": {"x-request-id": "req_1"}},
        {"op": "recv_bytes", "b64": base64.b64encode(body.encode()).decode()},
        {"op": "eof"},
    ]
    summary = replay({"v": 1, "kind": "header", "api": "responses"}, records)
    assert summary.turns == []
    assert summary.errors == [
        {
            "code": "rate_limit_exceeded",
            "message": "slow down",
            "classification": "retryable",
            "status": 429,
        }
    ]
    assert summary.sent == [{"model": "m"}]


def test_replay_splits_exchanges_and_ignores_websocket_records() -> None:
    first = b"".join(sse(e) for e in text_turn("resp_a", ["one"]))
    second = b"".join(sse(e) for e in text_turn("resp_b", ["two"]))
    records = [
        {"op": "request", "url": "https://h/v1/responses"},
        {"op": "recv_bytes", "b64": base64.b64encode(first).decode()},
        {"op": "request", "url": "https://h/v1/responses"},
        {"op": "send", "msg": {"type": "ignored"}},
        {"op": "recv_bytes", "b64": base64.b64encode(second).decode()},
    ]
    summary = replay(None, records)
    assert [(t.response_id, t.text) for t in summary.turns] == [
        ("resp_a", "one"),
        ("resp_b", "two"),
    ]
    assert summary.api == "responses" and summary.records == 5
