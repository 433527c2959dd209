"""`ToolFollowup`: when a Realtime session owes the model ONE ``response.create``. Pure.

A response that calls functions ends; the client runs them and sends each output as a
``function_call_output`` item. Then exactly one ``response.create`` must follow the batch:
not one per output (``conversation_already_has_active_response``), not before the calls'
``response.done``, not while another response is active, and not at all when a server VAD
response started after the server held every output (that response already read them).

The session machine reports what happens (`call`, `output`, `acked`, `response_created`,
`response_done`, `lost`) and asks `due()` whenever nothing is active; it records the
follow-up it sent (`sent`) and hands a refused one back (`refused`).
"""

from __future__ import annotations

from .realtime_wire import Bounded

__all__ = ["ToolFollowup"]


class _Batch:
    __slots__ = ("calls", "done", "unacked")

    def __init__(self) -> None:
        self.calls: set[str] = set()  # call ids without an output yet
        self.unacked: set[str] = set()  # output item ids the server has not echoed yet
        self.done = False  # the calls' response.done arrived


class ToolFollowup:
    """Tool batches by response id, and the follow-up owed for them."""

    def __init__(self) -> None:
        self._batches: dict[str, _Batch] = {}
        self._sent: str | None = None  # the follow-up sent for the current batch
        self._ever = Bounded()  # every follow-up event id (the newest ones)

    @property
    def outstanding(self) -> bool:
        """A batch still waits for outputs or for its follow-up response."""
        return bool(self._batches)

    @property
    def waiting_for_outputs(self) -> bool:
        return any(b.calls for b in self._batches.values())

    def call(self, response_id: str, call_id: str) -> None:
        """Response `response_id` asked for call `call_id`."""
        self._batches.setdefault(response_id, _Batch()).calls.add(call_id)

    def output(self, call_id: str, item_id: str) -> None:
        """The caller answered `call_id` with output item `item_id`."""
        for batch in self._batches.values():
            if call_id in batch.calls:
                batch.calls.discard(call_id)
                batch.unacked.add(item_id)
                return

    def acked(self, item_id: str) -> None:
        """The server echoed item `item_id` (it holds that output now)."""
        for batch in self._batches.values():
            batch.unacked.discard(item_id)

    def response_created(self) -> None:
        """A default-conversation response started: it reads every output the server holds,
        so a complete, acknowledged batch is answered (by our follow-up or by server VAD)."""
        for key, batch in list(self._batches.items()):
            if batch.done and not batch.calls and not batch.unacked:
                del self._batches[key]
                self._sent = None

    def response_done(self, response_id: str) -> None:
        batch = self._batches.get(response_id)
        if batch is not None:
            batch.done = True

    def lost(self) -> None:
        """The socket is gone: every batch's response is over, outputs go to the new one."""
        for batch in self._batches.values():
            batch.done = True
            batch.unacked.clear()
        self._sent = None

    def due(self) -> bool:
        """Whether to send the follow-up now (the caller checked nothing is active)."""
        return self._sent is None and any(b.done and not b.calls for b in self._batches.values())

    def sent(self, event_id: str) -> None:
        self._sent = event_id
        self._ever.remember(event_id)

    def is_followup(self, event_id: str) -> bool:
        """Whether the ``response.create`` `event_id` was a follow-up sent by this object."""
        return event_id in self._ever

    def refused(self, event_id: str) -> bool:
        """The server refused a ``response.create`` because a response was active. True when
        it was a follow-up: it is owed again after that response, unless that response
        consumed the outputs (`response_created` then cleared the batch)."""
        if event_id not in self._ever:
            return False
        if event_id == self._sent:
            self._sent = None
        return True
