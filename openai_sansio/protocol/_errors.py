"""Whose fault is it: the three exceptions every machine may raise.

After h11: a `LocalProtocolError` means *you* (the caller) broke the protocol (a command in the
wrong state, an invalid argument, an outbound message over a bound); a `RemoteProtocolError`
means the *peer* sent something invalid (bad framing, bad JSON, a schema violation, a size
limit exceeded). Nothing else may escape `receive_*()` or `next_event()`; the fuzz targets
check exactly that.

API-level failures that are valid protocol (a server `error` event, `response.failed`, an HTTP
429 with a JSON body) are *events*, never these exceptions: see `events.common.APIError`.
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """Base class of protocol violations.

    `error_hint` is a short machine-readable reason (``"sse_line_too_long"``,
    ``"invalid_json"``, ...), stable across releases so callers and tests can match on it.
    """

    def __init__(self, message: str, *, error_hint: str = "protocol_error") -> None:
        super().__init__(message)
        self.error_hint = error_hint


class LocalProtocolError(ProtocolError):
    """The caller broke the protocol: wrong state, invalid command, outbound bound exceeded."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something invalid: bad framing, bad JSON, schema violation, too large."""
