"""`Steering`: ``response.steer`` for `ResponsesSocket` turns, and what follows it. Pure.

What: `steer` adds user input to a turn's running response (a ``response.steer`` frame) and
remembers which turn steered which response id (bounded by `MAX_STEERED`); the
``response.steer.accepted`` / ``.pending`` / ``.failed`` events are routed to that turn by the
steered response id, not by lane, because ``pending`` and a late ``failed`` arrive after the
response's terminal event, when the lane may hold the next turn. Each answer settles the
oldest unanswered steer of that turn: an accepted one joins the successor's context
(`successor_follows` says when a successor response continues the turn); a
``successor_creation_failed`` ends the turn with the steered response's result.

Why separate: steering is its own protocol inside the conversation (own frame, own events,
own routing table and per-turn bookkeeping); chaining, fencing and recovery in
`responses_ws` do not depend on it beyond the successor check. It is a mixin of
`ResponsesSocket` (the state is the socket's; declared here for the type checker).

Next: after `steer`, the caller calls `data_to_send()` and writes the frame; the steer events
come out of `events()` as `TurnEvent`s of the steered turn.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from ._errors import LocalProtocolError
from ._request_params import encode_json
from ._stream_common import EventQueue
from .events.common import APIError
from .events.responses import ResponseSteerAccepted, ResponseSteerFailed, ResponseSteerPending
from .responses import ResponseResult
from .responses_ledger import Chain
from .responses_ws_events import TurnEvent, TurnStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from .responses_ws import _Turn

__all__ = ["MAX_STEERED", "Steering", "successor_follows"]

MAX_STEERED: Final = 256
"""How many steered response ids are remembered for routing late ``response.steer.*``
events (oldest forgotten first; a forgotten one counts as a stray event)."""
_DEFAULT_LANE: Final = ""  # as in responses_ws: the lane of turns without a stream_id


class Steering:
    """Mixin of `ResponsesSocket`: the ``response.steer`` command and its events."""

    stray_events: int
    _queue: EventQueue
    _turns: dict[int, _Turn]
    _inflight: dict[str, deque[_Turn]]
    _chains: dict[str, Chain]
    _outbox: list[bytes]
    _steered: dict[str, _Turn]  # steered response id -> its turn (bounded)
    _end: Callable[[_Turn, TurnStatus, ResponseResult | None, APIError | None], None]
    _close_fenced: Callable[[_Turn], None]

    def steer(self, turn_id: int, input: Sequence[Any] | str) -> None:
        """Add user input to turn `turn_id`'s response while it runs (``response.steer``).
        Its ``response.steer.*`` events arrive as `TurnEvent`s of this turn, routed by the
        steered response id (``steer.pending`` and a late ``steer.failed`` come after the
        response's terminal event, so after this turn's `TurnEnded`). Then call
        `data_to_send()`."""
        from .responses_ws import TurnState  # the socket's module, which imports this one

        turn = self._turns.get(turn_id)
        if turn is None or turn.state is not TurnState.STREAMING or turn.response_id is None:
            raise LocalProtocolError(
                "steer needs a turn whose response is streaming", error_hint="steer_state"
            )
        items = (
            ({"type": "message", "role": "user", "content": input},)
            if isinstance(input, str)
            else tuple(input)
        )
        frame = {"type": "response.steer", "previous_response_id": turn.response_id}
        frame["input"] = input if isinstance(input, str) else list(input)  # type: ignore[assignment]
        turn.steers.append(items)
        self._steered.pop(turn.response_id, None)
        self._steered[turn.response_id] = turn
        while len(self._steered) > MAX_STEERED:
            del self._steered[next(iter(self._steered))]
        self._outbox.append(encode_json(frame))

    def _on_steer_event(
        self, event: ResponseSteerAccepted | ResponseSteerPending | ResponseSteerFailed
    ) -> None:
        """A ``response.steer.*`` event belongs to the turn that steered the response it
        names, not to whatever turn holds its lane now (``pending`` follows the response's
        terminal event, and a ``failed`` for an unknown response carries no lane)."""
        from .responses_ws import TurnState  # the socket's module, which imports this one

        steer = event.steer
        target = steer.get("previous_response_id") if isinstance(steer, dict) else None
        owner = self._steered.get(target) if isinstance(target, str) else None
        if owner is None:
            self.stray_events += 1
            return
        # the server answers a response's steers in order: this event settles the oldest
        answered = owner.steers.popleft() if owner.steers else ()
        if isinstance(event, ResponseSteerAccepted):
            owner.accepted.extend(answered)  # part of the successor's context
        # pending: the server applies it with the caller's next create (tool outputs), so it
        # is the server's to hold; failed: it never joined the context
        if not owner.cancelled:
            self._queue.push(TurnEvent(owner.id, event))
        if (
            isinstance(event, ResponseSteerFailed)
            and owner.awaiting_successor
            and owner.state is TurnState.STREAMING
            and isinstance(event.error, dict)
            and event.error.get("code") == "successor_creation_failed"
        ):
            self._successor_failed(owner, event)

    def _successor_failed(self, turn: _Turn, event: ResponseSteerFailed) -> None:
        """A steered response ended and its successor could not be created: the turn ends
        with the steered response's result (``failed`` when it was cut short by the steer,
        ``completed`` when it had completed) and the error; the steer input never joined the
        context. Its lane is free again (and its chain dropped: the next turn resends)."""
        turn.awaiting_successor = False
        turn.carried = turn.carried_before
        lane = self._inflight.get(turn.lane or _DEFAULT_LANE)
        if lane and lane[0] is turn:
            lane.popleft()
        self._chains.pop(turn.lane or _DEFAULT_LANE, None)
        if turn.cancelled:
            self._close_fenced(turn)
            return
        detail = event.error if isinstance(event.error, dict) else {}
        error = APIError.build(
            str(detail.get("message") or "the steered response's successor was not created"),
            code=str(detail.get("code") or "successor_creation_failed"),
            type=detail.get("type") if isinstance(detail.get("type"), str) else None,
            source="stream",
        )
        self._queue.push(TurnEvent(turn.id, error))
        result = turn.steered_result
        self._end(
            turn,
            "completed" if result and result.status == "completed" else "failed",
            result,
            error,
        )


def successor_follows(turn: _Turn, result: ResponseResult) -> bool:
    """Whether a successor response continues `turn` on its lane: the response was cut by a
    steer (``incomplete``, reason ``steered``), or it completed while an accepted steer was
    still uncommitted (the server then starts a successor for it; a response that stopped for
    tool output gets ``response.steer.pending`` instead)."""
    if result.status == "incomplete":
        return result.incomplete_reason == "steered"
    return result.status == "completed" and bool(turn.accepted) and not result.tool_calls
