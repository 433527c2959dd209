"""`ResponseRequests`: the ``response.create`` requests of a Realtime session. Pure.

The server runs one default-conversation response at a time and refuses a second
(``conversation_already_has_active_response``); out-of-band responses (``conversation:
"none"``) run beside it. This object knows, for both kinds, which requests were queued and
not yet answered by a ``response.created``, which of the caller's requests wait for the
active response to end, and which out-of-band responses are still open, so the session can:

- send a default request only when nothing is active or asked for (`ask`, `send_next`);
- tie a ``response.created`` to its request (`created`), and a refusal to its request
  (`refused`);
- after a dropped socket, ask again on the next one for what the dead one took and never
  answered: a Realtime session dies with its socket, and every response it would have
  started dies with it, so a resend cannot duplicate anything (`lost`).

Used by `RealtimeSession`, which owns the outbox the frames go through.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final

from .realtime_outbox import Outbox
from .realtime_wire import Bounded

__all__ = ["ResponseRequests"]

OPEN_RESPONSES: Final = 64
"""Out-of-band responses tracked as open at once (one that never ends is forgotten)."""


class ResponseRequests:
    """Outstanding ``response.create`` requests. See the module docstring."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self.asked: deque[str] = deque()  # default request ids queued or sent, not created
        self.waiting: deque[tuple[str, bytes]] = deque()  # the caller's, behind an active one
        self.cancel_on_created = False  # the caller cancelled the next one before it started
        self.out_of_band: Bounded = Bounded()  # out-of-band response ids
        self.open_out_of_band: Bounded = Bounded(OPEN_RESPONSES)  # those not done yet
        self._oob_asked: deque[str] = deque()  # out-of-band request ids, not created

    @property
    def pending(self) -> bool:
        """A default response was asked for and has not started (or waits to be asked)."""
        return bool(self.asked or self.waiting)

    def ask(self, response: Mapping[str, Any], *, active: bool) -> str:
        """A ``response.create`` with `response` options: an out-of-band one is queued at
        once; a default one waits while a response is `active` or already asked for.
        Returns its event id."""
        event_id, frame = self._outbox.encode(
            "response.create", {"response": dict(response)} if response else {}
        )
        if response.get("conversation") == "none":
            self._oob_asked.append(event_id)
            self._outbox.queue(frame, event_id)
        elif active or self.asked:
            self.waiting.append((event_id, frame))
        else:
            self.asked.append(event_id)
            self._outbox.queue(frame, event_id)
        return event_id

    def asked_now(self, event_id: str) -> None:
        """A default request the session queued itself (a tool follow-up)."""
        self.asked.append(event_id)

    def send_next(self) -> None:
        """Nothing is active: queue the oldest waiting request, if nothing is asked for."""
        if self.waiting and not self.asked:
            event_id, frame = self.waiting.popleft()
            self.asked.append(event_id)
            self._outbox.queue(frame, event_id)

    def created(self, response_id: str, conversation_id: Any) -> bool:
        """``response.created``: True when it answers an out-of-band request (only the
        client starts those; their ``conversation_id`` is null)."""
        if conversation_id is None and self._oob_asked:
            self._oob_asked.popleft()
            self.out_of_band.remember(response_id)
            self.open_out_of_band.remember(response_id)
            return True
        if self.asked:
            self.asked.popleft()
        return False

    def done_without_created(self) -> None:
        """A default ``response.done`` arrived with no ``response.created``: it answered the
        oldest request."""
        if self.asked:
            self.asked.popleft()

    def finished_out_of_band(self, response_id: str) -> None:
        self.open_out_of_band.pop(response_id, None)

    def refused_out_of_band(self, event_id: str) -> None:
        if event_id in self._oob_asked:
            self._oob_asked.remove(event_id)

    def refused(self, event_id: str, *, again: bool) -> None:
        """The server refused the default request `event_id` (a response was active). With
        `again` it is asked again, first, once that response ends."""
        if event_id in self.asked:
            self.asked.remove(event_id)
        elif self.asked:
            self.asked.popleft()
        if again:
            self.waiting.appendleft(self._outbox.resend(event_id))

    def lost(self, is_followup: Callable[[str], bool]) -> None:
        """The socket closed. Requests it took and never answered are asked again on the
        next socket (default ones first among the waiting, out-of-band ones at once),
        except a default one the caller cancelled meanwhile and a tool follow-up
        (`is_followup`: that one is owed afresh). Queued ones simply go out later."""
        cancel_first, self.cancel_on_created = self.cancel_on_created, False
        again: list[tuple[str, bytes]] = []
        kept: deque[str] = deque()
        for n, event_id in enumerate(self.asked):
            if self._outbox.queued(event_id):
                kept.append(event_id)
                if n == 0:
                    self.cancel_on_created = cancel_first  # it is still the next to start
                continue
            frame = self._outbox.frame_of(event_id)
            if frame is None or (n == 0 and cancel_first) or is_followup(event_id):
                continue
            again.append((event_id, frame))
        self.asked = kept
        self.waiting.extendleft(reversed(again))
        oob: deque[str] = deque()
        for event_id in self._oob_asked:
            if not self._outbox.queued(event_id):
                frame = self._outbox.frame_of(event_id)
                if frame is None:
                    continue
                self._outbox.queue(frame, event_id)
            oob.append(event_id)
        self._oob_asked = oob
