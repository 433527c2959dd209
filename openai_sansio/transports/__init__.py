"""Thin anyio transports: h11 for HTTP/1.1, wsproto-checked WebSocket with our own hot path."""

from __future__ import annotations

from ._ws_events import BinaryMessage, Closed, TextMessage, WSEvent, backoff_delays
from .http import HTTPResponse, HTTPTransport
from .ws import WebSocketTransport, trace_to_recorder

__all__ = [
    "BinaryMessage",
    "Closed",
    "HTTPResponse",
    "HTTPTransport",
    "TextMessage",
    "WSEvent",
    "WebSocketTransport",
    "backoff_delays",
    "trace_to_recorder",
]
