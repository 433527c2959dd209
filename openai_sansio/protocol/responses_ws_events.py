"""Events of the `ResponsesSocket` machine (the Responses API WebSocket mode).

Wire events of a turn arrive wrapped in `TurnEvent` so the caller always knows which turn they
belong to; the machine's own events say what it decided: a turn was sent (chained or not, how
many items and bytes), retried with full context, not replayed, ended; the connection must be
replaced (`ReconnectNeeded`, `RotateConnection`).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from .events.common import APIError
from .responses import ResponseResult

__all__ = [
    "ReconnectNeeded",
    "RotateConnection",
    "TurnEnded",
    "TurnEvent",
    "TurnNotReplayed",
    "TurnRetried",
    "TurnStarted",
    "TurnStatus",
]

TurnStatus = Literal["completed", "incomplete", "failed", "error", "cancelled", "interrupted"]


class TurnStarted(msgspec.Struct, frozen=True, gc=False):
    """The turn's ``response.create`` was handed to the transport.

    `chained` says whether it continued `previous_response_id` with only the new items;
    `items_sent` and `bytes_sent` are what went on the wire; `attempt` counts resends;
    `dropped_params` lists ``(name, reason)`` of parameters set but not sent (sampling
    parameters of a reasoning model), for the caller to log."""

    turn: int
    lane: str | None
    chained: bool
    previous_response_id: str | None
    items_sent: int
    bytes_sent: int
    attempt: int = 1
    dropped_params: tuple[tuple[str, str], ...] = ()


class TurnEvent(msgspec.Struct, frozen=True, gc=False):
    """A wire event (or a `ToolCall`) of turn `turn`; never one of another turn."""

    turn: int
    event: Any


class TurnRetried(msgspec.Struct, frozen=True, gc=False):
    """The turn is being resent. `reason` is the error code that caused it: after
    ``previous_response_not_found`` or a lost socket it goes with full context on a fresh
    chain; after ``websocket_connection_limit_reached`` (the request did not run) it goes on
    the next socket, chained when the chain survives there (``store=True``).
    `replayed_unsafe` is True when the first frame may already have run (only with the
    caller's ``replay_unsafe=True`` opt-in)."""

    turn: int
    reason: str
    replayed_unsafe: bool = False


class TurnNotReplayed(msgspec.Struct, frozen=True, gc=False):
    """The socket closed after the turn's frame was sent: it may have run server-side, so it
    was not replayed (pass ``replay_unsafe=True`` to opt in). The turn ended ``interrupted``."""

    turn: int
    reason: str


class TurnEnded(msgspec.Struct, frozen=True, gc=False):
    """The turn is over. `result` is the final response's result when one was assembled
    (``None`` for a turn cancelled before its response, or refused by an error). Only the
    outcome of a ``response.steer`` (``steer.pending`` / a late ``steer.failed``) can still
    arrive for the turn afterwards, as a `TurnEvent`: the server sends it after the terminal."""

    turn: int
    status: TurnStatus
    result: ResponseResult | None = None
    error: APIError | None = None


class ReconnectNeeded(msgspec.Struct, frozen=True, gc=False):
    """Queued turns need a (new) connection: open one and call `connection_made`."""

    reason: str
    error: APIError | None = None


class RotateConnection(msgspec.Struct, frozen=True, gc=False):
    """The connection is near its 60-minute limit and no turn is in flight: close it, open a
    new one and call `connection_lost` then `connection_made`. Turns created meanwhile wait."""

    reason: str = "connection_age"
