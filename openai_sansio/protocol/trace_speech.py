"""Replay of ``speech`` traces (``POST /v1/audio/speech``) through fresh `SpeechStream`s.

A speech trace (written by ``client.speech.stream(..., trace=...)``) holds, per request and
one request after another (overlapping chunked requests are written as blocks, in segment
order)::

    {"op":"request","method":"POST","url":".../audio/speech","headers":{...},"body":{...}}
    {"op":"response","status":200,"headers":{"content-type":"audio/pcm",...}}
    {"op":"recv_bytes","b64":"..."}     one body chunk, exactly as split
    {"op":"eof"}                        the body ended ("closed": cut before its end)
    {"op":"app","call":"speech.result","args":{},"returns":{"status":"completed",
     "kind":"pcm","frames":17,"samples":7680,"audio_bytes":15360,"sha256":"..."}}

What a replay checks: each exchange's bytes go through a new `SpeechStream` (the request's
``response_format`` and the header's ``frame_ms``); the frames it makes are hashed and counted,
and when the trace has the client's ``speech.result`` the two must agree (a divergence
otherwise). The summary has one turn per request (its ``input`` as text, status, usage with
the audio totals added) and the classified errors (an error status, a cut body).
Next: `protocol.trace.replay` dispatches here for ``api: "speech"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import LocalProtocolError, RemoteProtocolError
from .events.common import APIError
from .speech import AudioBytes, SpeechFrame, SpeechResult, SpeechStream
from .trace_common import Divergences, Progress, error_summary, sniffed_head, ticking

__all__ = ["looks_speech", "replay_speech"]

_COMPARED = ("status", "kind", "frames", "samples", "audio_bytes", "sha256")


class _Exchange:
    def __init__(self, body: Any, frame_ms: float) -> None:
        fmt = body.get("response_format", "mp3") if isinstance(body, dict) else "pcm"
        self.text = str(body.get("input", "")) if isinstance(body, dict) else ""
        self.machine = SpeechStream(response_format=str(fmt), frame_ms=frame_ms)
        self.digest = hashlib.sha256()
        self.errors: list[APIError] = []

    def drain(self) -> None:
        for event in self.machine.events():
            if isinstance(event, SpeechFrame):
                self.digest.update(event.pcm)
            elif isinstance(event, AudioBytes):
                self.digest.update(event.data)
            elif isinstance(event, APIError):
                self.errors.append(event)

    def summary(self) -> dict[str, Any] | None:
        result = self.machine.result
        if result is None:
            return None
        return {
            "status": result.status,
            "kind": result.kind,
            "frames": result.frames,
            "samples": result.samples,
            "audio_bytes": result.audio_bytes,
            "sha256": self.digest.hexdigest(),
        }


def looks_speech(records: Iterable[Mapping[str, Any]]) -> bool:
    """A headerless trace whose first request goes to ``.../audio/speech``."""
    for record in records:
        if record.get("op") == "request":
            url = record.get("url")
            return isinstance(url, str) and url.split("?", 1)[0].endswith("/audio/speech")
    return False


def _usage(result: SpeechResult) -> dict[str, int]:
    usage = result.usage
    return {
        "input_tokens": usage.input_tokens if usage else 0,
        "output_tokens": usage.output_tokens if usage else 0,
        "total_tokens": usage.total_tokens if usage else 0,
        "frames": result.frames,
        "samples": result.samples,
        "audio_bytes": result.audio_bytes,
    }


def replay_speech(
    records: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """``(turns, errors, sent, divergences)`` of a speech trace (see the module docstring).

    Raises `RemoteProtocolError` naming the record when recorded bytes violate the protocol
    or a record is malformed (out of order, a status that is not a number, an unknown
    ``response_format``): a trace is input from elsewhere, like wire data.
    """
    config = header.get("config") if header else None
    frame_ms = config.get("frame_ms", 20.0) if isinstance(config, dict) else 20.0
    if not isinstance(frame_ms, int | float) or isinstance(frame_ms, bool):
        raise RemoteProtocolError(f"header: frame_ms {frame_ms!r} is not a number")
    turns: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    sent: list[Any] = []
    divergences = Divergences()
    exchange: _Exchange | None = None

    def close(current: _Exchange, truncated: bool) -> None:
        machine = current.machine
        if machine.state.value == "awaiting_head":
            return  # the request never got an answer (a connection error)
        machine.receive_eof(truncated=truncated)
        current.drain()
        result = machine.result
        assert result is not None
        errors.extend(error_summary(e) for e in current.errors)
        current.errors.clear()
        if not any(t is current for t in finished):
            finished.append(current)
            turns.append(
                {
                    "response_id": None,
                    "status": result.status,
                    "text": current.text,
                    "tool_calls": [],
                    "usage": _usage(result),
                }
            )

    finished: list[_Exchange] = []
    for number, record in ticking(records, progress):
        op = record.get("op")
        try:
            if op == "request":
                if exchange is not None:
                    close(exchange, True)
                body = record.get("body")
                sent.append(body)
                exchange = _Exchange(body, frame_ms)
                continue
            if exchange is None:
                if op not in ("response", "recv_bytes"):
                    continue
                exchange = _Exchange(None, frame_ms)  # hand-written: no request recorded
            if op == "response":
                headers = record.get("headers")
                pairs = list(headers.items()) if isinstance(headers, dict) else []
                status = record.get("status")
                if not isinstance(status, int) or isinstance(status, bool):
                    raise RemoteProtocolError(f"status {status!r} is not a number")
                exchange.machine.receive_response_head(status, pairs)
                exchange.drain()
            elif op == "recv_bytes":
                try:
                    data = base64.b64decode(str(record.get("b64", "")), validate=True)
                except (binascii.Error, ValueError):
                    raise RemoteProtocolError("recv_bytes is not base64") from None
                if exchange.machine.state.value == "awaiting_head":  # hand-written: no head
                    exchange.machine.receive_response_head(*sniffed_head(data))
                exchange.machine.receive_data(data)
                exchange.drain()
            elif op in ("eof", "closed"):
                close(exchange, op == "closed")
            elif op == "app" and record.get("call") == "speech.result":
                close(exchange, False)
                produced = exchange.summary()
                recorded = record.get("returns")
                if isinstance(recorded, dict) and produced is not None:
                    for key in _COMPARED:
                        if key in recorded and recorded[key] != produced[key]:
                            divergences.add(
                                number,
                                f"{key} replayed {produced[key]!r}, recorded {recorded[key]!r}",
                                expected=recorded[key],
                                produced=produced[key],
                            )
        except (RemoteProtocolError, LocalProtocolError) as exc:
            raise RemoteProtocolError(
                f"record {number} ({op}): {exc}", error_hint=exc.error_hint
            ) from None
    if exchange is not None and not any(t is exchange for t in finished):
        close(exchange, exchange.machine.result is None)  # no eof recorded (hand-written)
    return turns, errors, sent, divergences
