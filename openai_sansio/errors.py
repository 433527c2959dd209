"""Exceptions of the high-level API and the transports.

The protocol machines report API failures as `APIError` *events*; the async API raises
`APIStatusError` carrying that event when a request fails before its stream starts (a 4xx or
5xx answer). Transport failures are `APIConnectionError` / `APITimeoutError`. None of these
messages ever contains a credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .protocol._errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from .protocol.events.common import APIError

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "InsecureTransportError",
    "LocalProtocolError",
    "OpenAISansIOError",
    "ProtocolError",
    "RemoteProtocolError",
    "WebSocketHandshakeError",
]


class OpenAISansIOError(Exception):
    """Base of the exceptions the async API raises (protocol errors excepted)."""


class APIStatusError(OpenAISansIOError):
    """The API answered with an HTTP error status; `error` has status, code, message,
    request id, retry-after and the benign/retryable/fatal classification."""

    def __init__(self, error: APIError) -> None:
        code = f" ({error.code})" if error.code else ""
        request = f" [request {error.request_id}]" if error.request_id else ""
        super().__init__(f"HTTP {error.status}{code}: {error.message}{request}")
        self.error = error

    @property
    def status(self) -> int | None:
        return self.error.status

    @property
    def code(self) -> str | None:
        return self.error.code


class WebSocketHandshakeError(APIStatusError):
    """The server refused the WebSocket upgrade with an HTTP status instead of ``101``.

    `error` is the typed `APIError` (status, code, message, request id, retry-after,
    classification) built by ``api_error_from_http``; `headers` (lower-case names) and `body`
    are the raw answer. A 401/403 message says to check the API key; it never contains it.
    """

    def __init__(
        self, error: APIError, *, headers: Iterable[tuple[str, str]] = (), body: bytes = b""
    ) -> None:
        super().__init__(error)
        self.headers = list(headers)
        self.body = body
        if error.status in (401, 403):
            self.args = (
                f"{self.args[0]} -- the WebSocket handshake was refused: check the API key "
                "(and the organization/project) this client uses",
            )


class APIConnectionError(OpenAISansIOError):
    """The connection could not be opened, or broke."""


class APITimeoutError(APIConnectionError):
    """A timeout expired: `kind` is ``connect``, ``read``, ``write`` or ``pool``."""

    def __init__(self, kind: Literal["connect", "read", "write", "pool"]) -> None:
        super().__init__(f"{kind} timeout expired")
        self.kind = kind


class InsecureTransportError(OpenAISansIOError, ValueError):
    """Plain ``http://``/``ws://`` to a non-loopback host without an explicit opt-in."""
