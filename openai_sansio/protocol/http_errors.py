"""HTTP error responses -> `APIError` events (pure).

A 4xx/5xx answer with OpenAI's JSON body ``{"error": {"message", "type", "param", "code"}}``
is valid protocol, so it becomes an `APIError` with status, code, message, the
``x-request-id`` and ``retry-after`` headers, and a classification. A body that is not
OpenAI-shaped (a proxy's HTML page, empty) still gives an `APIError`, with a message built
from the status and the first bytes of the body.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import msgspec

from .events.common import APIError
from .events.responses import ErrorDetail

__all__ = ["api_error_from_http", "parse_retry_after"]

_MAX_BODY_IN_MESSAGE: Final = 200


class _ErrorBody(msgspec.Struct, gc=False):
    error: ErrorDetail


_error_body: Final = msgspec.json.Decoder(_ErrorBody)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``retry-after`` / ``retry-after-ms`` value; HTTP dates are not parsed
    (that would need a clock) and give ``None``."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def api_error_from_http(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> APIError:
    """The `APIError` for an HTTP error response (`headers` names lower-case)."""
    header_map = {name.lower(): value for name, value in headers}
    retry_after = None
    if "retry-after-ms" in header_map:
        ms = parse_retry_after(header_map["retry-after-ms"])
        retry_after = ms / 1000.0 if ms is not None else None
    if retry_after is None:
        retry_after = parse_retry_after(header_map.get("retry-after"))
    try:
        detail: ErrorDetail | None = _error_body.decode(body).error
    except (msgspec.DecodeError, UnicodeError, RecursionError):  # not an OpenAI error body
        detail = None
    if detail is not None and detail.message:
        message = detail.message
    else:
        snippet = body[:_MAX_BODY_IN_MESSAGE].decode("utf-8", "replace").strip()
        message = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    return APIError.build(
        message,
        code=detail.code if detail else None,
        type=detail.type if detail else None,
        param=detail.param if detail else None,
        status=status,
        request_id=header_map.get("x-request-id"),
        retry_after=retry_after,
        source="http",
    )
