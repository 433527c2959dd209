"""Connection-local response cache and lane bookkeeping of the Responses WebSocket (pure).

What: `LaneCache` holds, per lane of one connection, only the latest response (its
`ChainRecord`), and resolves a ``previous_response_id`` against every lane's latest response
first and the emulator-wide store of ``store=true`` responses second. `LaneRegistry` counts
the distinct named lanes a connection has used (at most `ws_protocol.MAX_NAMED_LANES` over its
lifetime; the default lane is free).
Why: these are the real service's rules (SDK ``lib/responses_websocket/README.md``): with
``store=false`` an older response of a lane is gone once the lane has a newer one, a failed
same-lane continuation evicts its parent (a failed cross-lane fork does not), and a reconnect
loses everything that was not stored. Clients must be tested against exactly that.
Next: `ws_engine.WsEngine` owns one of each per connection.
"""

from __future__ import annotations

from collections.abc import Callable

from .responses_script import ChainRecord
from .ws_protocol import MAX_NAMED_LANES

__all__ = ["LaneCache", "LaneKey", "LaneRegistry"]

LaneKey = str | None
"""A lane: its ``stream_id``, or None for the default lane."""


class LaneCache:
    """The latest response of each lane on one connection, backed by the emulator's store.

    `stored` looks an id up in the emulator-wide store (responses created with ``store``
    not false, over HTTP or any WebSocket connection).
    """

    def __init__(self, stored: Callable[[str], ChainRecord | None]) -> None:
        self._stored = stored
        self._latest: dict[LaneKey, tuple[str, ChainRecord]] = {}

    def lookup(self, response_id: str) -> ChainRecord | None:
        """The chain of `response_id`: any lane's latest response, else the store, else None."""
        for cached_id, record in self._latest.values():
            if cached_id == response_id:
                return record
        return self._stored(response_id)

    def remember(self, lane: LaneKey, response_id: str, record: ChainRecord) -> None:
        """`response_id` becomes `lane`'s latest response (replacing the previous one)."""
        self._latest[lane] = (response_id, record)

    def update(self, response_id: str, record: ChainRecord) -> None:
        """Replace the record of a cached response (a steered response was cut short)."""
        for lane, (cached_id, _) in list(self._latest.items()):
            if cached_id == response_id:
                self._latest[lane] = (response_id, record)

    def evict_parent(self, lane: LaneKey, parent_id: str | None) -> None:
        """A continuation of `parent_id` on `lane` failed: drop it if it is `lane`'s latest."""
        cached = self._latest.get(lane)
        if parent_id is not None and cached is not None and cached[0] == parent_id:
            del self._latest[lane]

    def latest(self, lane: LaneKey) -> str | None:
        """The id of `lane`'s cached response, if any (for tests and diagnostics)."""
        cached = self._latest.get(lane)
        return cached[0] if cached else None


class LaneRegistry:
    """Distinct named lanes used on one connection (a lane stays counted until reconnect)."""

    def __init__(self, limit: int = MAX_NAMED_LANES) -> None:
        self._limit = limit
        self._named: set[str] = set()

    def admit(self, lane: LaneKey) -> bool:
        """Record a use of `lane`; False when it would be one named lane too many."""
        if lane is None or lane in self._named:
            return True
        if len(self._named) >= self._limit:
            return False
        self._named.add(lane)
        return True
