"""Recording traces from the high-level API: one way to accept ``trace=``, one HTTP tap.

- `as_recorder(trace, api=, config=)`: every high-level call takes ``trace=`` as a
  `TraceRecorder` or as a ``write(line)`` callable; a callable gets a recorder whose header
  names the API, the caller's config and the wall-clock start.
- `HTTPTap`: records one HTTP exchange (request, response head, each body chunk exactly as
  it arrived, end of body) on the anyio clock, relative to the tap's first record.

Secrets are redacted by the recorder itself (`protocol.redaction`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import anyio

from .protocol.requests import HTTPRequest
from .protocol.trace import TraceRecorder

__all__ = ["HTTPTap", "TraceArg", "as_recorder"]

TraceArg = TraceRecorder | Callable[[bytes], None] | None
"""What ``trace=`` accepts."""


def as_recorder(
    trace: TraceArg, *, api: str, config: Mapping[str, Any] | None = None
) -> TraceRecorder | None:
    """`trace` as a recorder (``None`` stays ``None``; a recorder is used as it is)."""
    if trace is None or isinstance(trace, TraceRecorder):
        return trace
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return TraceRecorder(trace, api=api, started=started, config=dict(config or {}))


class HTTPTap:
    """Records one HTTP exchange into `recorder` (times since its first record, or since
    `t0` on the anyio clock when given)."""

    def __init__(self, recorder: TraceRecorder, *, t0: float | None = None) -> None:
        self.recorder = recorder
        self._t0 = t0

    def _t(self) -> float:
        now = anyio.current_time()
        if self._t0 is None:
            self._t0 = now
        return now - self._t0

    def request(self, request: HTTPRequest) -> None:
        self.recorder.request(
            self._t(),
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=request.body,
        )

    def response(self, status: int, headers: Iterable[tuple[str, str]]) -> None:
        self.recorder.response(self._t(), status=status, headers=headers)

    def chunk(self, data: bytes) -> None:
        self.recorder.recv_bytes(self._t(), data)

    def eof(self) -> None:
        self.recorder.eof(self._t())
