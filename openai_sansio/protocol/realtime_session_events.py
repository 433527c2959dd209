"""Events of the `RealtimeSession` machine: what it decided, next to the wire events.

The wire events of a Realtime session pass through typed (``events.realtime``); these say what
the machine concluded from them: a response ended (with its usage, flattened), an error with
the client event that caused it and how to react, an interruption and what it sent, a tool
batch's follow-up response, audio dropped by the outbound bound, and that the transport must
open a new socket (rollover before the 60-minute cap, recovery after a drop or expiry).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ._realtime_items import RealtimeUsage
from .events.common import APIError

__all__ = [
    "AudioDropped",
    "ConversationRestored",
    "Interruption",
    "RealtimeError",
    "RealtimeUsage",
    "ReconnectNeeded",
    "ResponseFinished",
    "RolloverNeeded",
]


class ResponseFinished(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A response is over (``response.done``, or lost with its socket: ``interrupted``).

    `reason` is ``status_details.reason`` (``turn_detected``, ``client_cancelled``, ...);
    `out_of_band` marks a ``conversation: "none"`` response; `usage` is flattened (zeros when
    the server sent none); `transcript` / `text` are what the caller received of it."""

    response_id: str
    status: Literal["completed", "cancelled", "failed", "incomplete", "interrupted"] | str
    reason: str | None = None
    error: APIError | None = None
    usage: RealtimeUsage = RealtimeUsage()
    out_of_band: bool = False
    transcript: str = ""
    text: str = ""
    metadata: dict[str, str] | None = None


class RealtimeError(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """An ``error`` event, classified for a Realtime session (``benign``: a cancel that raced
    the end of a response, an empty commit under server VAD; ``fatal``: auth, quota, billing,
    the retired beta shape; the rest recoverable: the session stays open), and correlated with
    the client event that caused it (`client_event_id`, `client_event_type`) when the server
    echoed its ``event_id``. `handled` is True when the machine already acted on it (a tool
    follow-up racing a server VAD response, a session expiry that triggers recovery)."""

    error: APIError
    client_event_id: str | None = None
    client_event_type: str | None = None
    handled: bool = False


class Interruption(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What `interrupt()` did: the item that was playing and how much of it was heard.

    `received_ms` is the audio of that item the client received; `played_ms` what the caller
    said was played, clamped to it; `truncated` / `deleted` say which command went out (none
    when everything received was heard); `cancelled` whether a ``response.cancel`` was sent
    (not when no response was active, or server VAD cancels it by itself)."""

    item_id: str | None
    content_index: int = 0
    played_ms: int = 0
    received_ms: int = 0
    cancelled: bool = False
    truncated: bool = False
    deleted: bool = False
    response_id: str | None = None


class AudioDropped(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Outbound audio was dropped (oldest first) because more than the bound was waiting to be
    sent (a slow or absent socket): `dropped_ms` now, `total_dropped_ms` over the session."""

    dropped_ms: float
    total_dropped_ms: float


class RolloverNeeded(msgspec.Struct, frozen=True, gc=False):
    """The session is near its 60-minute cap and at a turn boundary: open a new socket, then
    call `connection_lost()` on the old one and `connection_made(now)`; the machine restores
    the configuration and the conversation on the new session."""

    reason: str = "session_age"


class ReconnectNeeded(msgspec.Struct, frozen=True, gc=False):
    """The socket is gone (or the server ended the session): open a new one and call
    `connection_made(now)`; the conversation is restored there."""

    reason: str
    error: APIError | None = None


class ConversationRestored(msgspec.Struct, frozen=True, gc=False):
    """On a new socket, the configuration and `items` conversation items were sent again
    (text; assistant audio as its transcript)."""

    items: int
    connection: int
