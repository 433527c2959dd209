"""Thin anyio transports (h11 for HTTP/1.1; wsproto for WebSocket in later issues)."""

from __future__ import annotations

from .http import HTTPResponse, HTTPTransport

__all__ = ["HTTPResponse", "HTTPTransport"]
