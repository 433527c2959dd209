"""Credentials never reach a trace: what a recorder replaces by ``<redacted>``.

Applied when recording (whatever the caller passes in): credential headers (``authorization``,
``api-key``, the WebSocket subprotocol that can carry a key, cookies), credential-like query
parameters (``api-key``, ``key``, ``token``, ``client_secret``, ``sig``, ...), and credential
fields at any depth of a recorded JSON message or body (an MCP tool's ``authorization``, a
session's ``client_secret``). Replays compare what a machine sends after the same redaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["REDACTED", "redact_headers", "redact_message", "redact_url"]

REDACTED: Final = "<redacted>"
_SECRET_HEADERS: Final = frozenset(
    {
        "authorization",
        "api-key",
        "x-api-key",
        "openai-api-key",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "sec-websocket-protocol",
    }
)
_SECRET_QUERY: Final = frozenset(
    {"api-key", "api_key", "apikey", "key", "token", "access_token", "client_secret", "sig"}
)
_SECRET_FIELDS: Final = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "authorization",
        "client_secret",
        "ephemeral_key",
        "access_token",
        "refresh_token",
        "password",
    }
)
"""Keys whose values are credentials wherever they appear in a recorded message or body (a
``client_secret`` object of a Realtime session, an API key passed as a field)."""


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict (lower-case names) with credential values replaced."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        out[key] = REDACTED if key in _SECRET_HEADERS else value
    return out


def redact_message(value: Any) -> Any:
    """`value` (decoded JSON) with the values of credential fields replaced, at any depth.
    Returns `value` itself when nothing needed replacing (the common case: no copy)."""
    if isinstance(value, dict):
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            new = REDACTED if key.lower() in _SECRET_FIELDS else redact_message(item)
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return changed if changed is not None else value
    if isinstance(value, list):
        items = [redact_message(item) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def redact_url(url: str) -> str:
    """`url` with credential-like query parameter values replaced."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (k, REDACTED if k.lower() in _SECRET_QUERY else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="<>")))
