"""What the WebSocket transport reports, with credentials removed: trace records and the
handshake error. Separate from `ws.py` so the redaction rules sit in one small place.

- `redact_headers` replaces the values of credential headers (``authorization``,
  ``api-key``, ``sec-websocket-protocol`` which carries ``openai-insecure-api-key.<KEY>`` in
  browser-style Realtime auth, cookies) before a header list reaches a trace hook.
- `handshake_error` turns a `HandshakeRejected` into `WebSocketHandshakeError`, after
  scrubbing from the body and message any credential the server echoed back.
- `trace_to_recorder` adapts the transport's ``hook(op, fields)`` calls to a `TraceRecorder`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any, Final

import anyio
import msgspec

from ..errors import WebSocketHandshakeError
from ..protocol.http_errors import api_error_from_http
from ..protocol.requests import REDACTED, SENSITIVE_HEADERS
from ..protocol.trace import TraceRecorder
from ._ws_handshake import HandshakeRejected
from .http import TraceHook

__all__ = ["handshake_error", "redact_headers", "trace_to_recorder"]

_SECRET_HEADERS: Final = SENSITIVE_HEADERS | {"sec-websocket-protocol", "set-cookie"}
_KEY_PROTOCOL: Final = "openai-insecure-api-key."


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with credential values replaced by ``<redacted>``."""
    return [(k, REDACTED if k.lower() in _SECRET_HEADERS else v) for k, v in headers]


def _secrets(headers: Sequence[tuple[str, str]], subprotocols: Sequence[str]) -> list[str]:
    """The credential strings a server might echo back, longest first."""
    found: list[str] = []
    for name, value in headers:
        if name.lower() in SENSITIVE_HEADERS:
            found += [value, value.removeprefix("Bearer ").strip()]
    found += [p.removeprefix(_KEY_PROTOCOL) for p in subprotocols if p.startswith(_KEY_PROTOCOL)]
    return sorted({s for s in found if len(s) >= 8}, key=len, reverse=True)


def handshake_error(
    answer: HandshakeRejected,
    headers: Sequence[tuple[str, str]],
    subprotocols: Sequence[str],
) -> WebSocketHandshakeError:
    """The exception for a refused upgrade: typed `APIError` (``api_error_from_http``),
    raw headers and body, and no credential from `headers`/`subprotocols` anywhere in it."""
    secrets = _secrets(headers, subprotocols)
    body = answer.body
    for secret in secrets:
        body = body.replace(secret.encode(), REDACTED.encode())
    error = api_error_from_http(answer.status, answer.headers, body)
    message = error.message
    for secret in secrets:
        message = message.replace(secret, REDACTED)
    error = msgspec.structs.replace(error, message=message)
    return WebSocketHandshakeError(error, headers=answer.headers, body=body)


def _message(data: bytes, binary: bool) -> Any:
    if binary:
        return {"binary_b64": base64.b64encode(data).decode("ascii")}
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError:
        return data.decode("utf-8", "replace")


def record_received(recorder: TraceRecorder, t: float, data: bytes) -> None:
    """Record one inbound text message at the moment the machine takes it (see
    `trace_to_recorder(inbound=False)`)."""
    recorder.recv(t, _message(data, False))


def trace_to_recorder(
    recorder: TraceRecorder, *, t0: float | None = None, inbound: bool = True
) -> TraceHook:
    """A trace hook for `WebSocketTransport.connect(trace=...)` writing to `recorder`
    (``api="responses-ws"`` or ``"realtime"``): times from the anyio clock since `t0`
    (default: the first record); JSON messages are stored decoded, other text as a string,
    binary messages as ``{"binary_b64": ...}``.
    The transport redacts credentials already; the recorder does it again.

    With ``inbound=False`` the hook leaves out ``recv`` and ``closed``: the transport reads
    ahead of the machine, so a session that records its own commands (``app`` records)
    records each inbound message itself, right before the machine takes it
    (`record_received`), and the close when it tells the machine; a replay then sees the
    exact order the machine saw."""
    start: list[float] = [] if t0 is None else [t0]

    def hook(op: str, fields: dict[str, Any]) -> None:
        now = anyio.current_time()
        if not start:
            start.append(now)
        t = now - start[0]
        if op == "request":
            recorder.request(
                t,
                method=fields["method"],
                url=fields["url"],
                headers=fields["headers"],
                body=fields["body"],
            )
        elif op == "response":
            recorder.response(t, status=fields["status"], headers=fields["headers"])
        elif op == "send" or (op == "recv" and inbound):
            message = _message(fields["data"], bool(fields.get("binary")))
            (recorder.send if op == "send" else recorder.recv)(t, message)
        elif op == "closed" and inbound:
            recorder.closed(t, fields["code"])

    return hook
