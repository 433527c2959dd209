"""`ResponsesSocket`: one conversation over the Responses API WebSocket mode. Pure.

It turns the caller's turns into ``response.create`` frames and the server's frames into
per-turn events, and decides everything the seed plugin guessed:

- **Chaining** by content identity (`responses_ledger`): a turn continues the lane's cached
  response with only the new items when the server's context is a prefix of the conversation,
  and restarts the chain with full context otherwise. With ``store=False`` the socket-local cache
  is gone after a reconnect; with ``store=True`` chains survive it.
- **Fencing** without timers: requests on one lane run FIFO on the server, so every frame of a
  lane belongs to the oldest request still open on that lane (``stream_id`` picks the lane).
  A cancelled turn stays in that FIFO, its frames are dropped until its terminal frame, and the
  next turn's frames can never be mistaken for it. Nothing is sent to the server on cancel.
- **Recovery**: ``previous_response_not_found`` (error frame or failed response) -> one resend
  with full context; ``websocket_connection_limit_reached`` -> the request did not run, so it is
  resent on the next connection; a socket that closes after a frame was sent -> the turn ends
  ``interrupted`` (`TurnNotReplayed`) unless the caller opted in with ``replay_unsafe=True``.
- **Turn ends**: ``response.completed`` / ``incomplete`` / ``failed`` and ``error`` each end a
  turn with that status (a ``steered`` incomplete response continues in its successor).
- **Rotation** before the 60-minute limit at a turn boundary (`next_deadline`/`handle_timeout`).

Verbs: `connection_made(now)`, `connection_lost(error=None)`, `receive_message(text)`,
`next_event()` / `events()`, `data_to_send()`, `create(...)`, `prewarm(...)`, `cancel(turn)`,
`steer(...)`, `next_deadline()`, `handle_timeout(now)`. After every command and every
`receive_message`, call `data_to_send()` and write what it returns (if the socket is open),
then drain the events.

Steering (`steer`, the ``response.steer.*`` events, successors) is in `responses_ws_steer`.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import msgspec

from ._codec import server_decoder
from ._errors import LocalProtocolError
from ._request_items import developer_message
from ._request_params import GenerationParams, encode_json, responses_body
from ._stream_common import EventQueue
from .events.common import APIError, NeedData, UnknownEvent
from .events.responses import (
    ErrorEvent,
    ResponseCreated,
    ResponseSteerAccepted,
    ResponseSteerFailed,
    ResponseSteerPending,
)
from .responses import ResponseEnd, ResponseResult, ResponseStream
from .responses_ledger import (
    Chain,
    Continuation,
    as_input_item,
    item_identity,
    plan_continuation,
)
from .responses_ws_events import (
    ReconnectNeeded,
    RotateConnection,
    TurnEnded,
    TurnEvent,
    TurnNotReplayed,
    TurnRetried,
    TurnStarted,
    TurnStatus,
)
from .responses_ws_steer import MAX_STEERED as MAX_STEERED
from .responses_ws_steer import Steering, successor_follows

__all__ = ["ConnectionState", "ResponsesSocket", "TurnState"]

STREAM_ID: Final = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
ROTATE_AFTER_S: Final = 55 * 60.0
"""Rotate at 55 minutes: the server closes at 60, and a turn in flight must have time to end."""
MAX_QUEUED_TURNS: Final = 64
"""Bound on turns waiting to be sent (a caller outrunning the socket is a bug to surface)."""
_DEFAULT_LANE: Final = ""
_CONNECTION_LIMIT: Final = "websocket_connection_limit_reached"
_STEER_EVENTS: Final = (ResponseSteerAccepted, ResponseSteerPending, ResponseSteerFailed)
_decode: Final = server_decoder("responses")


class ConnectionState(enum.Enum):
    DISCONNECTED = "disconnected"
    OPEN = "open"
    DRAINING = "draining"  # no new frames: rotation or a connection limit is pending
    __hash__ = object.__hash__


class TurnState(enum.Enum):
    QUEUED = "queued"  # waiting to be sent (or resent)
    SENT = "sent"  # the frame was handed to the transport; no response.created yet
    STREAMING = "streaming"
    DONE = "done"
    __hash__ = object.__hash__


_T = TurnState
_TURN_TRANSITIONS: Final[dict[tuple[TurnState, TurnState], str]] = {
    (_T.QUEUED, _T.SENT): "send",
    (_T.QUEUED, _T.DONE): "cancel before sending",
    (_T.SENT, _T.STREAMING): "response.created",
    (_T.SENT, _T.DONE): "error frame / terminal / lost",
    (_T.SENT, _T.QUEUED): "resend (not found, connection limit, opted-in replay)",
    (_T.STREAMING, _T.DONE): "terminal / lost",
    (_T.STREAMING, _T.QUEUED): "resend (not found, opted-in replay)",
    (_T.STREAMING, _T.STREAMING): "successor of a steered response",
}
"""Every legal turn move; anything else is a bug and raises."""

_C = ConnectionState
_CONNECTION_TRANSITIONS: Final[dict[tuple[ConnectionState, str], ConnectionState]] = {
    (_C.DISCONNECTED, "made"): _C.OPEN,
    (_C.OPEN, "lost"): _C.DISCONNECTED,
    (_C.DRAINING, "lost"): _C.DISCONNECTED,
    (_C.DISCONNECTED, "lost"): _C.DISCONNECTED,
    (_C.OPEN, "drain"): _C.DRAINING,
    (_C.DRAINING, "drain"): _C.DRAINING,
}


class _Turn:
    __slots__ = (
        "accepted",
        "attempt",
        "awaiting_successor",
        "cancelled",
        "carried",
        "carried_before",
        "continuation",
        "generate",
        "history",
        "id",
        "lane",
        "new_items",
        "params",
        "resent",
        "response_id",
        "state",
        "steered_result",
        "steers",
        "stream",
    )

    def __init__(
        self,
        turn_id: int,
        lane: str | None,
        history: tuple[Any, ...] | None,
        params: GenerationParams,
        generate: bool,
        new_items: tuple[Any, ...] = (),
    ) -> None:
        self.id = turn_id
        self.lane = lane
        self.history = history  # None: incremental, resolved when first sent
        self.new_items = new_items
        self.params = params
        self.generate = generate
        self.state = TurnState.QUEUED
        self.cancelled = False
        self.resent = False
        self.attempt = 0
        self.continuation: Continuation | None = None
        self.response_id: str | None = None
        self.stream = ResponseStream()
        # steering: inputs sent and not yet answered (FIFO, as the server answers them), and
        # what the server's context gained in this turn before its final response (a steered
        # response's partial output, then the accepted steer inputs)
        self.steers: deque[tuple[Any, ...]] = deque()
        self.accepted: list[Any] = []
        self.carried: tuple[Any, ...] = ()
        self.carried_before: tuple[Any, ...] = ()  # `carried` before the latest successor
        self.steered_result: ResponseResult | None = None
        self.awaiting_successor = False


class ResponsesSocket(Steering):
    """The conversation machine. `params` are the defaults of every turn (model, tools,
    instructions, store...); `replay_unsafe=True` allows resending a frame that may already
    have run after the socket closed. Pure: time comes in as `now`, nothing is read or written.
    """

    def __init__(
        self,
        params: GenerationParams,
        *,
        replay_unsafe: bool = False,
        rotate_after_s: float = ROTATE_AFTER_S,
        max_queued_turns: int = MAX_QUEUED_TURNS,
    ) -> None:
        self.params = params
        self.store = bool(params.store)
        self.replay_unsafe = replay_unsafe
        self.rotate_after_s = rotate_after_s
        self.max_queued_turns = max_queued_turns
        self.state = ConnectionState.DISCONNECTED
        self.connected_at: float | None = None
        self.stray_events = 0
        self._queue = EventQueue(())
        self._next_turn = 1
        self._turns: dict[int, _Turn] = {}
        self._queued: deque[_Turn] = deque()
        self._inflight: dict[str, deque[_Turn]] = {}
        self._chains: dict[str, Chain] = {}
        self._conversation: dict[str, tuple[Any, ...]] = {}
        self._identities: dict[str, tuple[bytes, ...]] = {}  # of each lane's conversation
        self._outbox: list[bytes] = []
        self._rotate_pending = False
        self._steered: dict[str, _Turn] = {}  # steered response id -> its turn (bounded)

    # ------------------------------------------------------------------ connection

    def conversation(self, lane: str | None = None) -> tuple[Any, ...]:
        """The lane's conversation as the machine tracks it (the incremental style's base)."""
        return self._conversation.get(lane or _DEFAULT_LANE, ())

    def _connection(self, what: str) -> None:
        try:
            self.state = _CONNECTION_TRANSITIONS[(self.state, what)]
        except KeyError:
            raise LocalProtocolError(
                f"connection {what!r} in state {self.state.value}", error_hint="connection_state"
            ) from None

    def connection_made(self, now: float) -> None:
        """A socket is open (handshake done). Socket-local caches start empty, so only stored
        chains survive. Then call `data_to_send()`: queued turns go out."""
        self._connection("made")
        self.connected_at = now
        self._rotate_pending = False
        if not self.store:
            self._chains.clear()

    def connection_lost(self, error: APIError | None = None) -> None:
        """The socket closed (any reason), or none could be opened. Turns whose frame was sent
        end ``interrupted`` (`TurnNotReplayed`) or, with ``replay_unsafe``, are queued for a
        full resend; unsent turns wait for the next connection (`ReconnectNeeded` says so).
        With `error` the transport gave up (reconnects exhausted, handshake refused): the
        turns waiting for a connection end ``interrupted`` with it instead, since none of
        them was sent. Idempotent."""
        self._connection("lost")
        self.connected_at = None
        self._rotate_pending = False  # the socket is gone: nothing left to rotate
        self._outbox.clear()
        for turns in self._inflight.values():
            while turns:
                turn = turns.popleft()
                if turn.cancelled:
                    self._close_fenced(turn)
                elif self.replay_unsafe:
                    self._requeue(turn, "connection_lost", unsafe=True)
                else:
                    self._queue.push(TurnNotReplayed(turn.id, "connection_lost"))
                    lost = APIError.build(
                        "the socket closed after the request was sent; it may have run, so "
                        "it was not replayed",
                        code="connection_lost",
                        source="transport",
                    )
                    self._queue.push(TurnEvent(turn.id, lost))
                    self._end(turn, "interrupted", None, lost)
        if not self.store:
            self._chains.clear()
        if error is not None:
            while self._queued:
                turn = self._queued.popleft()
                self._queue.push(TurnEvent(turn.id, error))
                self._end(turn, "interrupted", None, error)
        elif self._queued:  # planned at send time, so they chain on what the new socket holds
            self._queue.push(ReconnectNeeded("queued turns wait for a connection"))

    @property
    def wants_connection(self) -> bool:
        """True when turns wait to be sent and no socket is open: open one, then call
        `connection_made` (the transport's cue to reconnect, also after an idle close)."""
        return self.state is ConnectionState.DISCONNECTED and bool(self._queued)

    @property
    def in_flight(self) -> bool:
        """True while a sent request has not ended (a cancelled turn's tail included)."""
        return any(self._inflight.values())

    # ------------------------------------------------------------------ commands

    def create(
        self,
        input: Sequence[Any] | str | None = None,
        *,
        history: Sequence[Any] | None = None,
        lane: str | None = None,
        generate: bool = True,
        params: GenerationParams | None = None,
    ) -> int:
        """Queue a turn; returns its id. Then call `data_to_send()`.

        Incremental style: pass the new `input` items (a string is one user message); the
        machine appends them to the lane's conversation. Full-history style: pass `history`,
        the whole conversation; only what the server lacks is sent. `lane` is a
        ``stream_id`` (1-256 of ``[A-Za-z0-9_.-]``); `params` override the socket's defaults.
        """
        if lane is not None and not STREAM_ID.fullmatch(lane):
            raise LocalProtocolError(
                "stream_id must be 1-256 characters of [A-Za-z0-9_.-]",
                error_hint="invalid_stream_id",
            )
        if history is not None and input is not None:
            raise LocalProtocolError("pass input or history, not both", error_hint="create")
        if len(self._queued) >= self.max_queued_turns:
            raise LocalProtocolError(
                f"more than {self.max_queued_turns} turns queued", error_hint="queue_full"
            )
        chosen = params or self.params
        if (chosen.extra_body or {}).get("background") is not None:
            raise LocalProtocolError(
                "background responses are not supported over the WebSocket",
                error_hint="websocket_body",
            )
        new_items: tuple[Any, ...] = ()
        if history is None:  # the lane's conversation is read when the turn is sent
            new_items = (
                ({"type": "message", "role": "user", "content": input},)
                if isinstance(input, str)
                else tuple(input or ())
            )
        turn = _Turn(
            self._next_turn,
            lane,
            None if history is None else tuple(history),
            chosen,
            generate,
            new_items,
        )
        self._next_turn += 1
        self._turns[turn.id] = turn
        self._queued.append(turn)
        return turn.id

    def prewarm(
        self,
        *,
        instructions: str | None = None,
        lane: str | None = None,
        params: GenerationParams | None = None,
        **overrides: Any,
    ) -> int:
        """Queue a warm-up (``generate: false``): the server prepares tools and instructions
        without output, and its response id seeds the lane's chain. Returns the turn id.
        `params` (or `overrides` of the socket's defaults) are the warm-up's parameters."""
        items = [developer_message(instructions)] if instructions else []
        if overrides:
            params = dataclasses.replace(params or self.params, **overrides)
        return self.create(items, lane=lane, generate=False, params=params)

    def cancel(self, turn_id: int) -> None:
        """Stop delivering turn `turn_id`. Unsent: it is dropped. In flight: its remaining
        frames are fenced out and it ends ``cancelled`` at once. Ended: nothing happens.
        No frame is sent (the public API has no ``response.cancel``)."""
        turn = self._turns.get(turn_id)
        if turn is None:
            if 0 < turn_id < self._next_turn:
                return  # it ended (ended turns are forgotten)
            raise LocalProtocolError(f"unknown turn {turn_id}", error_hint="unknown_turn")
        if turn.state is TurnState.DONE or turn.cancelled:
            return
        turn.cancelled = True
        if turn.state is TurnState.QUEUED:
            self._queued.remove(turn)
            self._end(turn, "cancelled", None, None)
            return
        if not self.store:  # its response, if the server makes one, replaces the lane's cache
            self._chains.pop(turn.lane or _DEFAULT_LANE, None)
        self._record(turn, "cancelled", None, None)  # fenced: DONE when its tail has drained

    # ------------------------------------------------------------------ output

    def data_to_send(self) -> list[bytes]:
        """The frames to write now (nothing while disconnected; only steers while draining).
        Sending a turn plans its continuation at this moment, so it chains on the latest
        response."""
        if self.state is ConnectionState.DISCONNECTED:
            return []
        out, self._outbox = self._outbox, []
        if self.state is ConnectionState.DRAINING:
            return out  # a steer targets a live response: it still goes out
        still: deque[_Turn] = deque()
        while self._queued:
            turn = self._queued.popleft()
            key = turn.lane or _DEFAULT_LANE
            lane = self._inflight.setdefault(key, deque())
            if any(not t.cancelled for t in lane):
                still.append(turn)  # one live turn per lane: the next one chains on it
                continue
            out.append(self._send(turn, lane, fenced=bool(lane)))
        self._queued = still
        return out

    def _send(self, turn: _Turn, lane: deque[_Turn], *, fenced: bool) -> bytes:
        key = turn.lane or _DEFAULT_LANE
        chain = self._chains.get(key)
        if turn.resent or (fenced and not self.store):
            chain = None  # a cancelled predecessor replaces the lane's cached response
        known: tuple[bytes, ...] | None = None
        if turn.history is None:  # incremental: continue the conversation as it is now
            turn.history = (*self._conversation.get(key, ()), *turn.new_items)
            known = self._identities.get(key, ())  # only the new items need hashing
        plan = plan_continuation(chain, turn.history, known=known)
        items = [_as_sent(item) for item in plan.items]
        sent = responses_body(
            turn.params,
            items,
            previous_response_id=plan.previous_response_id,
            websocket=True,
        )
        frame_dict: dict[str, Any] = {"type": "response.create", **sent.body}
        frame_dict.pop("stream", None)  # implicit on the socket (an `extra_body` may carry it)
        if turn.lane is not None:
            frame_dict["stream_id"] = turn.lane
        if not turn.generate:
            frame_dict["generate"] = False
        frame = encode_json(frame_dict)
        turn.continuation = plan
        turn.attempt += 1
        self._move(turn, TurnState.SENT)
        turn.stream = ResponseStream()
        lane.append(turn)
        self._queue.push(
            TurnStarted(
                turn.id,
                turn.lane,
                plan.chained,
                plan.previous_response_id,
                len(plan.items),
                len(frame),
                turn.attempt,
                tuple((d.name, d.reason) for d in sent.dropped_params),
            )
        )
        return frame

    def next_event(self) -> Any | NeedData:
        """The next event (`TurnStarted`, `TurnEvent`, `TurnEnded`, ...) or `NEED_DATA`."""
        return self._queue.pop()

    def events(self) -> Iterator[Any]:
        """Drain every pending event."""
        return self._queue.drain()

    # ------------------------------------------------------------------ input

    def receive_message(self, text: str | bytes) -> None:
        """Feed one text message from the socket. Then drain events and `data_to_send()`.

        Raises `RemoteProtocolError` for a frame that is not a valid event."""
        event = _decode(text)
        if isinstance(event, _STEER_EVENTS):
            self._on_steer_event(event)
            return
        lane_id = event.stream_id if not isinstance(event, UnknownEvent) else _peek_lane(event)
        turns = self._inflight.get(lane_id or _DEFAULT_LANE)
        if not turns:
            if isinstance(event, ErrorEvent):  # connection-scoped
                error = self._error_of(event)
                if error.code == _CONNECTION_LIMIT and self.state is ConnectionState.OPEN:
                    self._limit_reached(error)
                else:
                    self._queue.push(error)
            else:
                self.stray_events += 1
            return
        turn = turns[0]
        if isinstance(event, ErrorEvent):
            self._on_error_frame(turn, turns, event)
            return
        if turn.cancelled:
            if isinstance(event, ResponseCreated):
                turn.awaiting_successor = False
                if not self.store:
                    self._chains.pop(lane_id or _DEFAULT_LANE, None)
            turn.stream.receive_event(event)
            for _ in turn.stream.events():
                pass  # a cancelled turn's frames go nowhere
            result = turn.stream.result
            if result is None:
                return
            if successor_follows(turn, result):
                turn.stream = ResponseStream()  # its successor follows on the lane: still fenced
                turn.accepted = []
                turn.awaiting_successor = True
                return
            turns.popleft()  # its tail ended: the fence opens
            self._close_fenced(turn)
            return
        if isinstance(event, ResponseCreated):
            turn.response_id = event.response.id
            turn.awaiting_successor = False
            if turn.state is TurnState.SENT:
                self._move(turn, TurnState.STREAMING)
        turn.stream.receive_event(event)
        for inner in turn.stream.events():
            if isinstance(inner, ResponseEnd):
                self._on_response_end(turn, turns, inner.result)
            elif not isinstance(inner, APIError):
                self._queue.push(TurnEvent(turn.id, inner))

    # ------------------------------------------------------------------ deadlines

    def next_deadline(self) -> float | None:
        """When `handle_timeout` must run: the proactive rotation time, if connected."""
        if self.state is not ConnectionState.OPEN or self.connected_at is None:
            return None
        return self.connected_at + self.rotate_after_s

    def handle_timeout(self, now: float) -> None:
        """Rotate the connection at a turn boundary once it is old: `RotateConnection` now if
        idle, else as soon as the live turns end (new turns wait meanwhile)."""
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return
        self._connection("drain")
        self._rotate_pending = True
        self._maybe_rotate()

    # ------------------------------------------------------------------ internals

    def _maybe_rotate(self) -> None:
        if self._rotate_pending and not any(self._inflight.values()):
            self._rotate_pending = False
            self._queue.push(RotateConnection())

    def _move(self, turn: _Turn, to: TurnState) -> None:
        if (turn.state, to) not in _TURN_TRANSITIONS:
            raise LocalProtocolError(
                f"turn {turn.id}: {turn.state.value} -> {to.value} is not a legal move",
                error_hint="turn_state",
            )
        turn.state = to

    def _record(
        self, turn: _Turn, status: TurnStatus, result: ResponseResult | None, error: APIError | None
    ) -> None:
        """The turn is over for the caller: update the lane's conversation and say so.

        Completed, incomplete and cancelled turns keep their input in the conversation (and
        their output, when there is one); failed, refused and interrupted turns, and turns
        cancelled before they were sent, leave it as it was before them, so a bad request never
        poisons the turns after it."""
        history = turn.history if turn.attempt else None  # None: it never reached a socket
        if status in ("completed", "incomplete", "cancelled") and history is not None:
            outputs = tuple(
                as_input_item(msgspec.to_builtins(item))
                for item in (result.output if result else ())
            )
            key = turn.lane or _DEFAULT_LANE
            self._conversation[key] = conversation = history + turn.carried + outputs
            identities = turn.continuation.identities if turn.continuation else ()
            if len(identities) == len(history):  # reuse what planning already computed
                self._identities[key] = identities + tuple(
                    item_identity(item) for item in conversation[len(history) :]
                )
            else:
                self._identities[key] = tuple(item_identity(item) for item in conversation)
        self._queue.push(TurnEnded(turn.id, status, result, error))

    def _end(
        self, turn: _Turn, status: TurnStatus, result: ResponseResult | None, error: APIError | None
    ) -> None:
        self._move(turn, TurnState.DONE)
        self._turns.pop(turn.id, None)
        self._record(turn, status, result, error)
        self._maybe_rotate()

    def _close_fenced(self, turn: _Turn) -> None:
        """A cancelled turn's tail has drained (or its socket is gone): the fence opens."""
        self._move(turn, TurnState.DONE)
        self._turns.pop(turn.id, None)
        self._maybe_rotate()

    def _requeue(self, turn: _Turn, reason: str, *, unsafe: bool = False) -> None:
        turn.resent = True
        self._move(turn, TurnState.QUEUED)
        self._queued.appendleft(turn)
        self._queue.push(TurnRetried(turn.id, reason, unsafe))
        self._maybe_rotate()  # the socket may be idle now

    def _error_of(self, event: ErrorEvent) -> APIError:
        detail = event.detail()
        return APIError.build(
            detail.message or "the server reported an error",
            code=detail.code,
            type=detail.type,
            param=detail.param,
            status=event.status,
            source="stream",
        )

    def _on_error_frame(self, turn: _Turn, turns: deque[_Turn], event: ErrorEvent) -> None:
        """An error frame ends the lane's oldest open request (no response was made)."""
        turns.popleft()
        key = turn.lane or _DEFAULT_LANE
        error = self._error_of(event)
        if error.code != _CONNECTION_LIMIT:  # that one refused the request without running it
            self._chains.pop(key, None)  # a failed continuation evicts its parent
        if turn.cancelled:
            self._close_fenced(turn)
            if error.code == _CONNECTION_LIMIT:
                self._limit_reached(error)  # the socket is done, whichever request hit it
            return
        if error.code == "previous_response_not_found" and not turn.resent:
            self._requeue(turn, error.code)
        elif error.code == _CONNECTION_LIMIT:
            self._move(turn, TurnState.QUEUED)  # it did not run: safe to send again
            self._queued.appendleft(turn)
            self._queue.push(TurnRetried(turn.id, error.code))
            self._limit_reached(error)
        else:
            self._queue.push(TurnEvent(turn.id, error))
            self._end(turn, "error", None, error)

    def _limit_reached(self, error: APIError) -> None:
        """The server ended this connection's lifetime: send nothing more on it."""
        self._connection("drain")
        self._queue.push(ReconnectNeeded(error.code or _CONNECTION_LIMIT, error))

    def _on_response_end(self, turn: _Turn, turns: deque[_Turn], result: ResponseResult) -> None:
        key = turn.lane or _DEFAULT_LANE
        if successor_follows(turn, result):
            turn.stream = ResponseStream()  # its successor continues this turn
            turn.carried_before = turn.carried
            turn.carried += (
                *(as_input_item(msgspec.to_builtins(item)) for item in result.output),
                *turn.accepted,
            )
            turn.accepted = []
            turn.steered_result = result
            turn.awaiting_successor = True
            self._move(turn, TurnState.STREAMING)
            return
        turns.popleft()
        turn.awaiting_successor = False
        error = result.error
        if result.status == "failed":
            self._chains.pop(key, None)
            if (
                error is not None
                and error.code == "previous_response_not_found"
                and not turn.resent
            ):
                self._requeue(turn, error.code)
                return
        elif result.status in ("completed", "incomplete") and result.response_id is not None:
            context = turn.continuation.identities if turn.continuation else ()
            carried = tuple(item_identity(item) for item in turn.carried)
            outputs = tuple(item_identity(item) for item in result.output)
            self._chains[key] = Chain(result.response_id, context + carried + outputs, self.store)
        if error is not None:
            self._queue.push(TurnEvent(turn.id, error))
        status: TurnStatus = (
            "failed"
            if result.status == "failed"
            else ("incomplete" if result.status == "incomplete" else "completed")
        )
        self._end(turn, status, result, error)


def _as_sent(item: Any) -> Any:
    """An input item as it goes on the wire: a server echo (an output item the caller copied
    into its history, with ``id``/``status``) is reduced to its input form, since an item id
    the server does not hold is rejected (``store=false``); anything else is sent as given."""
    if isinstance(item, Mapping) and ("id" in item or "status" in item):
        return as_input_item(item)
    return item


class _LaneOnly(msgspec.Struct, gc=False):
    stream_id: str | None = None


_lane_only: Final = msgspec.json.Decoder(_LaneOnly)


def _peek_lane(event: UnknownEvent) -> str | None:
    """The ``stream_id`` of an event of unknown type (``None`` when absent or not a string)."""
    try:
        return _lane_only.decode(event.raw).stream_id
    except msgspec.DecodeError:
        return None
