"""Traces: record a session at the sans-I/O boundary, replay it into fresh machines.

A trace is JSON Lines, versioned (DESIGN section 7)::

    {"v":1,"kind":"header","api":"responses","config":{...},"started":"2026-11-23T10:00:00Z"}
    {"t":0.000,"op":"request","method":"POST","url":"https://.../v1/responses",
     "headers":{"authorization":"<redacted>",...},"body":{...}}
    {"t":0.120,"op":"response","status":200,"headers":{...}}
    {"t":0.121,"op":"recv_bytes","b64":"..."}          one body chunk, exactly as split
    {"t":0.900,"op":"eof"}

WebSocket APIs (later issues) add ``send``/``recv``/``timeout``/``closed`` records. Secrets
never reach a trace: credential headers and credential-like query parameters are replaced by
``<redacted>`` when recording, whatever the caller passes in.

Replaying HTTP traces: every ``request`` record starts a new exchange whose machine is chosen
by the URL (``/chat/completions`` -> `ChatStream`, ``/responses`` -> `ResponseStream`), else by
the header's ``api``, else by sniffing the first body bytes. A hand-written trace made only of
``recv_bytes`` records replays too. The recorder is pure as well: the caller passes the time.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import msgspec

from ._errors import LocalProtocolError, RemoteProtocolError
from .chat import ChatEnd, ChatStream
from .events.common import APIError
from .http_errors import api_error_from_http
from .redaction import REDACTED, redact_headers, redact_message, redact_url
from .responses import ResponseEnd, ResponseStream
from .trace_common import Divergence, Progress, details_of, error_summary, ticking
from .trace_extras import replay_extras
from .trace_rt import looks_realtime, replay_realtime
from .trace_speech import looks_speech, replay_speech
from .trace_stt import looks_transcription_http, replay_transcription_http
from .trace_transcription import looks_transcription, replay_transcription
from .trace_ws import replay_responses_ws

__all__ = [
    "REDACTED",
    "TRACE_APIS",
    "TRACE_VERSION",
    "ReplaySummary",
    "TraceRecorder",
    "TurnSummary",
    "load_trace",
    "redact_headers",
    "redact_message",
    "redact_url",
    "replay",
]

TRACE_VERSION: Final = 1
TRACE_APIS: Final = (
    "responses",
    "responses-ws",
    "chat",
    "realtime",
    "transcription",
    "transcription-http",
    "speech",
)
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


class TraceRecorder:
    """Writes trace records through `write` (one encoded JSON line per call).

    Pure: the transport passes `t` (seconds since the start, any monotonic origin) and the
    ``started`` wall-clock string; the recorder never reads a clock.
    """

    def __init__(
        self,
        write: Callable[[bytes], None],
        *,
        api: str,
        started: str,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        if api not in TRACE_APIS:
            raise LocalProtocolError(f"unknown trace api {api!r}; expected one of {TRACE_APIS}")
        self._write = write
        header = {
            "v": TRACE_VERSION,
            "kind": "header",
            "api": api,
            "config": redact_message(dict(config or {})),
            "started": started,
        }
        self._emit(header)

    def _emit(self, record: Mapping[str, Any]) -> None:
        self._write(_encoder.encode(record) + b"\n")

    def request(
        self,
        t: float,
        *,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> None:
        """An HTTP request (WebSocket handshakes too); the body is kept as JSON when it is."""
        record: dict[str, Any] = {
            "t": round(t, 6),
            "op": "request",
            "method": method,
            "url": redact_url(url),
            "headers": redact_headers(headers),
        }
        if body:
            try:
                record["body"] = redact_message(_decoder.decode(body))
            except msgspec.DecodeError:
                record["body_b64"] = base64.b64encode(body).decode("ascii")
        self._emit(record)

    def response(self, t: float, *, status: int, headers: Iterable[tuple[str, str]]) -> None:
        """The head of an HTTP response."""
        self._emit(
            {
                "t": round(t, 6),
                "op": "response",
                "status": status,
                "headers": redact_headers(headers),
            }
        )

    def recv_bytes(self, t: float, data: bytes) -> None:
        """One inbound body chunk, exactly as the socket split it."""
        self._emit({"t": round(t, 6), "op": "recv_bytes", "b64": base64.b64encode(data).decode()})

    def send(self, t: float, message: Any) -> None:
        """One outgoing message (a WebSocket JSON message, decoded)."""
        self._emit({"t": round(t, 6), "op": "send", "msg": redact_message(message)})

    def app(self, t: float, call: str, args: Mapping[str, Any], returns: Any = None) -> None:
        """A command the application gave a conversation machine (``create``, ``cancel``,
        ...), with JSON arguments and its JSON result, so a replay can give it again."""
        record: dict[str, Any] = {
            "t": round(t, 6),
            "op": "app",
            "call": call,
            "args": redact_message(args),
        }
        if returns is not None:
            record["returns"] = redact_message(returns)
        self._emit(record)

    def recv(self, t: float, message: Any) -> None:
        """One inbound WebSocket message, decoded."""
        self._emit({"t": round(t, 6), "op": "recv", "msg": redact_message(message)})

    def eof(self, t: float) -> None:
        """The body or socket ended."""
        self._emit({"t": round(t, 6), "op": "eof"})

    def timeout(self, t: float) -> None:
        """The machine's deadline fired."""
        self._emit({"t": round(t, 6), "op": "timeout"})

    def closed(self, t: float, code: int | None) -> None:
        """The connection closed (WebSocket close code when known)."""
        self._emit({"t": round(t, 6), "op": "closed", "code": code})


class TurnSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One response or chat completion of a replayed trace."""

    response_id: str | None
    status: str
    text: str
    tool_calls: list[dict[str, str]]
    usage: dict[str, int] | None


class ReplaySummary(msgspec.Struct, frozen=True, kw_only=True):
    """What `replay` found: the keys of ``openai-sansio replay --json`` (DESIGN section 7),
    plus `details` (each divergence with the recorded and the produced message, when there
    are two to compare) and per-API `extras` (`trace_extras`: audio seconds, truncations,
    transcripts)."""

    api: str
    turns: list[TurnSummary]
    errors: list[dict[str, Any]]
    sent: list[Any]
    divergences: list[str]
    records: int
    details: list[Divergence] = msgspec.field(default_factory=list)
    extras: dict[str, Any] = msgspec.field(default_factory=dict)


def load_trace(lines: Iterable[bytes | str]) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Parse trace lines into ``(header or None, records)``; blank lines are skipped.

    Raises `RemoteProtocolError` for a line that is not a JSON object or an unsupported
    version (a trace is input from elsewhere, like wire data).
    """
    header: dict[str, Any] | None = None
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = _decoder.decode(line)
        except msgspec.DecodeError as exc:
            raise RemoteProtocolError(f"trace line {number}: {exc}", error_hint="trace") from None
        if not isinstance(record, dict):
            raise RemoteProtocolError(f"trace line {number}: not an object", error_hint="trace")
        if record.get("kind") == "header":
            if record.get("v") != TRACE_VERSION:
                raise RemoteProtocolError(
                    f"trace version {record.get('v')!r} is not supported", error_hint="trace"
                )
            header = record
            continue
        if not isinstance(record.get("op"), str):
            raise RemoteProtocolError(f"trace line {number}: no 'op'", error_hint="trace")
        records.append(record)
    return header, records


def _api_for(url: str | None, default: str | None, first_bytes: bytes) -> str:
    if url:
        path = urlsplit(url).path
        if path.endswith("/chat/completions"):
            return "chat"
        if path.endswith("/responses"):
            return "responses"
    if default in ("chat", "responses"):
        return default
    return "chat" if b"chat.completion.chunk" in first_bytes else "responses"


class _Exchange:
    """One request/response of an HTTP trace being replayed."""

    def __init__(self, url: str | None, default_api: str | None) -> None:
        self.url = url
        self.default_api = default_api
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.error_body: list[bytes] = []
        self.machine: ResponseStream | ChatStream | None = None
        self.api: str | None = None

    def feed(self, data: bytes) -> None:
        if self.status is not None and self.status >= 400:
            self.error_body.append(data)
            return
        if self.machine is None:
            self.api = _api_for(self.url, self.default_api, data)
            self.machine = ChatStream() if self.api == "chat" else ResponseStream()
        self.machine.receive_data(data)

    def close(self, turns: list[TurnSummary], errors: list[dict[str, Any]]) -> None:
        if self.status is not None and self.status >= 400:
            error = api_error_from_http(self.status, self.headers, b"".join(self.error_body))
            errors.append(error_summary(error))
            return
        machine = self.machine
        if machine is None:
            return
        machine.receive_eof()
        for event in machine.events():
            if isinstance(event, APIError):
                errors.append(error_summary(event))
            elif isinstance(event, ResponseEnd):
                r = event.result
                turns.append(
                    TurnSummary(
                        response_id=r.response_id,
                        status=r.status,
                        text=r.text,
                        tool_calls=[_call(c.call_id, c.name, c.arguments) for c in r.tool_calls],
                        usage=_usage(r.usage),
                    )
                )
            elif isinstance(event, ChatEnd):
                c = event.result
                turns.append(
                    TurnSummary(
                        response_id=c.id,
                        status=c.status,
                        text=c.text,
                        tool_calls=[_call(t.call_id, t.name, t.arguments) for t in c.tool_calls],
                        usage=_usage(c.usage),
                    )
                )


def _call(call_id: str, name: str, arguments: str) -> dict[str, str]:
    return {"call_id": call_id, "name": name, "arguments": arguments}


def _usage(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    return {name: getattr(usage, name) for name in usage.FIELDS}


def _api_of(header: Mapping[str, Any] | None, records: list[Mapping[str, Any]]) -> str | None:
    """Which replay a trace needs: the header's ``api``, else what the records look like
    (``None``: an HTTP trace of Responses or Chat, decided per exchange)."""
    api = header.get("api") if header else None
    if isinstance(api, str):
        return api
    ops = {r.get("op") for r in records}
    websocket = "recv_bytes" not in ops and bool(ops & {"send", "recv"})
    if websocket and looks_transcription(records):
        return "transcription"
    if looks_transcription_http(records):
        return "transcription-http"
    if looks_speech(records):
        return "speech"
    if "request" not in ops and "recv_bytes" in ops:  # hand-written: the body tells
        first = _first_bytes(records)
        if b'"speech.audio.' in first:
            return "speech"
        if b'"transcript.text.' in first:
            return "transcription-http"
        if b"chat.completion.chunk" in first:
            return "chat"
    if websocket:
        return "realtime" if looks_realtime(records) else "responses-ws"
    return None


def _first_bytes(records: list[Mapping[str, Any]], limit: int = 4096) -> bytes:
    """The start of the first recorded body (for telling a hand-written trace's API)."""
    out = b""
    for record in records:
        if record.get("op") == "recv_bytes":
            try:
                out += base64.b64decode(str(record.get("b64", "")), validate=True)
            except (binascii.Error, ValueError):
                break
            if len(out) >= limit:
                break
    return out[:limit]


_MACHINE_REPLAYS: Final[dict[str, Callable[..., Any]]] = {
    "transcription": replay_transcription,
    "transcription-http": replay_transcription_http,
    "speech": replay_speech,
    "realtime": replay_realtime,
    "responses-ws": replay_responses_ws,
}
"""The replay of each API that is not plain Responses/Chat over HTTP; each returns
``(turns, errors, sent, divergences)`` and takes ``progress=``."""


def replay(
    header: Mapping[str, Any] | None,
    records: Iterable[Mapping[str, Any]],
    *,
    progress: Progress | None = None,
) -> ReplaySummary:
    """Feed a trace's inbound records into fresh machines and summarise the result.

    HTTP traces replay through `ResponseStream`/`ChatStream`; ``responses-ws`` traces (or any
    trace of ``send``/``recv`` records) through `ResponsesSocket`, comparing what it sends with
    the recorded client frames (see `trace_ws`); ``realtime``, ``transcription``, ``speech``
    and ``transcription-http`` traces through their machines (`trace_rt`,
    `trace_transcription`, `trace_speech`, `trace_stt`); a trace without a header is
    recognised by its records. `progress` is called with the number of records replayed so
    far (every `trace_common.TICK` records and at the end).

    Raises `RemoteProtocolError` when a record is malformed or the recorded bytes violate
    the protocol (the error names the record).
    """
    records = list(records)
    api = _api_of(header, records)
    run = _MACHINE_REPLAYS.get(api or "")
    if run is not None:
        assert api is not None
        raw_turns, errors, sent, divergences = run(records, header, progress=progress)
        turns = [TurnSummary(**turn) for turn in raw_turns]
    else:
        api, turns, errors, sent = _replay_http(records, api, progress)
        divergences = []
    return ReplaySummary(
        api=api,
        turns=turns,
        errors=errors,
        sent=sent,
        divergences=list(divergences),
        records=len(records),
        details=details_of(divergences),
        extras=replay_extras(api, records, turns),
    )


def _replay_http(
    records: list[Mapping[str, Any]], default_api: str | None, progress: Progress | None
) -> tuple[str, list[TurnSummary], list[dict[str, Any]], list[Any]]:
    """Responses and Chat over HTTP: every exchange through a fresh stream machine."""
    turns: list[TurnSummary] = []
    errors: list[dict[str, Any]] = []
    sent: list[Any] = []
    seen_apis: list[str] = []
    exchange: _Exchange | None = None

    def close(current: _Exchange) -> None:
        current.close(turns, errors)
        if current.api is not None:
            seen_apis.append(current.api)

    for count, record in ticking(records, progress):
        op = record.get("op")
        if op == "request":
            if exchange is not None:
                close(exchange)
            url = record.get("url")
            exchange = _Exchange(url if isinstance(url, str) else None, default_api)
            if "body" in record:
                sent.append(record["body"])
        elif op == "response":
            exchange = exchange or _Exchange(None, default_api)
            status = record.get("status")
            exchange.status = status if isinstance(status, int) else None
            headers = record.get("headers")
            if isinstance(headers, dict):
                exchange.headers = [(str(k), str(v)) for k, v in headers.items()]
        elif op == "recv_bytes":
            exchange = exchange or _Exchange(None, default_api)
            try:
                data = base64.b64decode(str(record.get("b64", "")), validate=True)
            except (binascii.Error, ValueError):
                raise RemoteProtocolError(
                    f"record {count}: recv_bytes is not base64", error_hint="trace"
                ) from None
            exchange.feed(data)
        elif op == "eof" and exchange is not None:
            close(exchange)
            exchange = None
        # send/recv/timeout/closed belong to WebSocket traces (replayed by their machines)
    if exchange is not None:
        close(exchange)
    return default_api or (seen_apis[0] if seen_apis else "responses"), turns, errors, sent
