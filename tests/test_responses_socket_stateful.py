"""`ResponsesSocket` against a fake Responses WebSocket server, driven by hypothesis.

`FakeServer` is a pure model of the server side of one conversation: per-socket FIFO lanes
(``stream_id``), the socket-local cache of the latest response of each lane (``store=false``),
persisted responses (``store=true``), injected error frames, forgotten responses (cache misses),
the connection-age limit, dropped sockets, and ``response.steer``. The state machine interleaves
the caller's commands (creates in both styles, with and without lanes, warm-ups, cancels at any
point, steers) with the server's frames and failures, and checks after every frame:

- no event of a cancelled or earlier turn is delivered as part of another turn;
- each function call is surfaced exactly once, when its ``output_item.done`` arrives;
- after a reconnect no request names a ``previous_response_id`` the new socket never saw
  (``store=true``: one that was never stored); a chained request never misses the cache unless
  the server forgot the response; the context the server assembles for a request is exactly
  the history the turn asked for (content identity);
- no frame that may already have reached the server is replayed unless the caller opted in
  (``replay_unsafe``), and then the caller is told;
- every turn ends exactly once, with a status (the teardown drives everything to the end).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from test_responses_socket import (
    LIMIT,
    MODEL,
    Resp,
    call_item,
    developer,
    error_frame,
    user,
    validate_client_frame,
    validate_server_frame,
)

from openai_sansio.protocol._errors import LocalProtocolError
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.requests import GenerationParams
from openai_sansio.protocol.responses_ledger import as_input_item, item_identity
from openai_sansio.protocol.responses_ws import ConnectionState, ResponsesSocket, TurnState
from openai_sansio.protocol.responses_ws_events import (
    ReconnectNeeded,
    RotateConnection,
    TurnEnded,
    TurnEvent,
    TurnNotReplayed,
    TurnRetried,
    TurnStarted,
)

LANES = (None, "a.2")
CONNECTION_LIMIT_S = 3600.0
INJECTED = (
    ("server_error", 500),
    ("websocket_stream_limit_reached", 400),
    ("invalid_stream_id", 400),
    ("response_already_in_flight", 409),
    ("rate_limit_exceeded", 429),
)
STEER_EVENTS = ("response.steer.accepted", "response.steer.pending", "response.steer.failed")


def ids(items: Any) -> tuple[bytes, ...]:
    return tuple(item_identity(item) for item in items)


@dataclass
class Request:
    """One ``response.create`` the server received."""

    turn: int
    lane: str | None
    prev: str | None
    input: list[Any]
    generate: bool
    store: bool
    script: deque[dict[str, Any]] | None = None  # frames still to send, once started
    rid: str | None = None
    steered: bool = False
    made: str | None = None  # the id that becomes the lane's latest when the script ends


@dataclass
class Socket:
    opened: float
    lanes: dict[str, deque[Request]] = field(default_factory=dict)
    cache: dict[str, str] = field(default_factory=dict)  # lane -> latest response (store=false)
    seen: set[str] = field(default_factory=set)
    expired: bool = False
    limit_told: bool = False  # a websocket_connection_limit_reached reached the client


class FakeServer:
    def __init__(self) -> None:
        self.socket: Socket | None = None
        self.stored: dict[str, tuple[bytes, ...]] = {}
        self.ever_stored: set[str] = set()
        self.contexts: dict[str, tuple[bytes, ...]] = {}  # every response's whole context
        self.tainted: set[str] = set()  # contexts include steering the client cannot mirror
        self.forgotten: set[str] = set()
        self.owner: dict[str, int] = {}  # response id -> turn
        self.inject: dict[str, tuple[str, int]] = {}
        self.loose: deque[tuple[int, dict[str, Any]]] = deque()  # frames outside any lane
        self.steer_late = False
        self.counter = 0

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def busy_lanes(self) -> list[str]:
        if self.socket is None:
            return []
        return [key for key, queue in self.socket.lanes.items() if queue]

    def resolvable(self, prev: str) -> bool:
        assert self.socket is not None
        return prev in self.socket.cache.values() or prev in self.stored


class SocketMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.server = FakeServer()
        self.now = 0.0
        self.events: list[Any] = []
        self.turns: list[int] = []
        self.turn_state: dict[int, Any] = {}  # the machine forgets ended turns; we keep them
        self.new_items: dict[int, tuple[Any, ...] | None] = {}  # None: full-history style
        self.ended: dict[int, str] = {}
        self.cancelled: set[int] = set()
        self.maybe_ran: set[int] = set()  # frame reached a socket that died before its end
        self.told_unsafe: set[int] = set()
        self.calls_seen: set[str] = set()
        self.pending_calls: dict[str, list[str]] = {}  # lane -> call ids without output yet
        self.conversation: dict[str, tuple[Any, ...]] = {}  # the caller's model of each lane
        self.asked_reconnect = False

    # ------------------------------------------------------------------ setup

    @initialize(
        store=st.booleans(),
        replay_unsafe=st.booleans(),
    )
    def setup(self, store: bool, replay_unsafe: bool) -> None:
        self.store = store
        self.replay_unsafe = replay_unsafe
        self.machine = ResponsesSocket(
            GenerationParams(model=MODEL, store=store), replay_unsafe=replay_unsafe
        )
        self._connect()

    # ------------------------------------------------------------------ plumbing

    def _connect(self) -> None:
        self.server.socket = Socket(opened=self.now)
        self.asked_reconnect = False
        self.machine.connection_made(self.now)
        self._settle(owner=None)

    def _settle(
        self, owner: int | None, *, call_id: str | None = None, frame_type: str | None = None
    ) -> None:
        """Drain the machine: check the events caused by one input (a frame of turn `owner`,
        or a command when `owner` is None), then deliver what it sends to the server."""
        events = list(self.machine.events())
        if frame_type is not None and frame_type != "error" and owner not in self.cancelled:
            steer = frame_type in STEER_EVENTS
            if owner not in self.ended or steer:  # the frame reaches its own turn
                assert any(
                    isinstance(e, TurnEvent) and getattr(e.event, "type", None) == frame_type
                    for e in events
                ), (owner, frame_type, events)
        self._check_events(events, owner, call_id)
        frames = self.machine.data_to_send()
        started = [e for e in self.machine.events()]
        starts = [e for e in started if isinstance(e, TurnStarted)]
        others = [e for e in started if not isinstance(e, TurnStarted)]
        assert not others, others
        creates = [json.loads(f) for f in frames]
        create_frames = [f for f in creates if f["type"] == "response.create"]
        assert len(starts) == len(create_frames)
        it = iter(starts)
        for frame in creates:
            validate_client_frame(frame)
            if frame["type"] == "response.create":
                self._on_started(next(it), frame)
            else:
                self._on_steer_frame(frame)
        self.events.extend(started)

    def _check_events(self, events: list[Any], owner: int | None, call_id: str | None) -> None:
        surfaced = []
        for event in events:
            self.events.append(event)
            if isinstance(event, TurnEvent):
                inner = event.event
                steer = getattr(inner, "type", None) in STEER_EVENTS
                # nothing of a cancelled turn, nothing of one turn as part of another
                assert event.turn not in self.cancelled, event
                assert owner is None or event.turn == owner, (owner, event)
                assert event.turn not in self.ended or steer, event
                if isinstance(inner, ToolCall):
                    assert inner.call_id not in self.calls_seen, inner
                    self.calls_seen.add(inner.call_id)
                    surfaced.append(inner.call_id)
                    lane = self.turn_state[event.turn].lane or ""
                    self.pending_calls.setdefault(lane, []).append(inner.call_id)
            elif isinstance(event, TurnEnded):
                assert event.turn not in self.ended, event
                assert owner is None or event.turn == owner, (owner, event)
                self.ended[event.turn] = event.status
                self._record(event)
            elif isinstance(event, TurnRetried):
                assert owner is None or event.turn == owner
                assert event.turn not in self.ended
                if event.replayed_unsafe:
                    assert self.replay_unsafe and event.turn in self.maybe_ran
                    self.told_unsafe.add(event.turn)
            elif isinstance(event, TurnNotReplayed):
                assert not self.replay_unsafe and event.turn in self.maybe_ran
            elif isinstance(event, ReconnectNeeded | RotateConnection):
                self.asked_reconnect = True
            elif isinstance(event, APIError):
                pass  # connection-scoped
            else:
                raise AssertionError(f"unexpected event {event!r}")
        if call_id is not None and owner not in self.cancelled:
            assert surfaced == [call_id], (call_id, surfaced)
        elif call_id is None:
            assert not surfaced or owner is None, surfaced

    def _record(self, event: TurnEnded) -> None:
        """The caller's model of the conversation (what `ResponsesSocket` documents)."""
        turn = self.turn_state[event.turn]
        sent = turn.attempt > 0 and turn.history is not None
        if event.status in ("completed", "incomplete", "cancelled") and sent:
            outputs = tuple(
                as_input_item(msgspec.to_builtins(o))
                for o in (event.result.output if event.result else ())
            )
            # a steered turn's context also gained the steered response's partial output
            # and the accepted steer input, before its final output
            self.conversation[turn.lane or ""] = (*turn.history, *turn.carried, *outputs)

    def _on_started(self, start: TurnStarted, frame: dict[str, Any]) -> None:
        turn = start.turn
        assert turn not in self.ended and turn not in self.cancelled
        if turn in self.maybe_ran:  # a replay of a frame that may have run
            assert self.replay_unsafe and turn in self.told_unsafe, turn
            self.maybe_ran.discard(turn)
        state = self.turn_state[turn]  # its history: what the server must end up holding
        key = state.lane or ""
        new = self.new_items[turn]
        if new is not None and start.attempt == 1:
            assert state.history == (*self.conversation.get(key, ()), *new)
        prev = frame.get("previous_response_id")
        socket = self.server.socket
        assert socket is not None
        assert not socket.limit_told  # nothing new on a socket whose lifetime is over
        if prev is not None:
            if self.store:
                assert prev in self.server.ever_stored or prev in socket.seen, prev
            else:
                assert prev in socket.seen, prev  # never an id from an earlier socket
        assert frame.get("stream_id") == state.lane
        assert frame["store"] is self.store
        request = Request(
            turn=turn,
            lane=state.lane,
            prev=prev,
            input=list(frame["input"]),
            generate=frame.get("generate", True),
            store=self.store,
        )
        socket.lanes.setdefault(key, deque()).append(request)

    def _on_steer_frame(self, frame: dict[str, Any]) -> None:
        assert set(frame) == {"type", "previous_response_id", "input"}
        socket = self.server.socket
        assert socket is not None
        assert not socket.limit_told
        target = frame["previous_response_id"]
        owner = self.server.owner[target]
        for queue in socket.lanes.values():
            for request in queue:
                active = request.rid == target and request.script and not request.steered
                if active and not self.server.steer_late:
                    self._steer(request)
                    return
        failed = {
            "type": "response.steer.failed",
            "error": {
                "code": "response_already_completed",
                "message": "The response is no longer active.",
                "type": "invalid_request_error",
            },
            "steer": {"input": frame["input"], "previous_response_id": target},
            "sequence_number": 0,
        }
        self.server.loose.append((owner, failed))

    def _steer(self, request: Request) -> None:
        """Accept: the response ends incomplete(steered) and a successor continues it."""
        assert request.script is not None and request.rid is not None
        request.steered = True
        r = Resp(request.rid, request.lane)
        r.seq = 100
        accepted = r.steer_event(
            "response.steer.accepted",
            steer={"id": self.server.new_id("steer"), "previous_response_id": request.rid},
        )
        successor = self.server.new_id("resp")
        self.server.owner[successor] = request.turn
        self.server.tainted.add(successor)
        self.server.contexts[successor] = self.server.contexts.get(request.rid, ())
        s = Resp(successor, request.lane)
        request.script = deque(
            [
                accepted,
                r.incomplete("steered"),
                s.created(),
                *s.text_item("steered answer"),
                s.completed(s.msg("steered answer")),
            ]
        )
        request.made = successor

    # ------------------------------------------------------------------ the server

    def _start(self, key: str, request: Request, variant: int) -> None:
        server, socket = self.server, self.server.socket
        assert socket is not None
        lane = request.lane
        if socket.expired:
            request.script = deque([error_frame(LIMIT, "Limit.", lane=lane)])
            socket.cache.pop(key, None)
            return
        if key in server.inject:
            code, status = server.inject.pop(key)
            request.script = deque([error_frame(code, "Injected.", status=status, lane=lane)])
            socket.cache.pop(key, None)
            return
        base: tuple[bytes, ...] = ()
        tainted = False
        if request.prev is not None:
            if not server.resolvable(request.prev):
                # only a response the server forgot may miss: anything else is a bad chain
                assert request.prev in server.forgotten, request.prev
                socket.cache.pop(key, None)
                if variant & 1:
                    r = Resp(server.new_id("resp"), lane)
                    server.owner[r.rid] = request.turn
                    # observed in clients; outside the SDK's ResponseError.code enum
                    request.script = deque(
                        [r.created(), r.failed("previous_response_not_found", "Not found.")]
                    )
                else:
                    request.script = deque(
                        [
                            error_frame(
                                "previous_response_not_found",
                                "Previous response not found.",
                                lane=lane,
                                param="previous_response_id",
                            )
                        ]
                    )
                return
            base = server.contexts[request.prev]
            tainted = request.prev in server.tainted
        context = (*base, *ids(request.input))
        if not tainted:  # the server holds exactly what the turn asked for
            wanted = self.turn_state[request.turn].history
            assert wanted is not None
            assert context == ids(wanted), request.turn
        rid = server.new_id("resp")
        request.rid = request.made = rid
        server.owner[rid] = request.turn
        socket.seen.add(rid)
        if tainted:
            server.tainted.add(rid)
        r = Resp(rid, lane)
        script = [r.created()]
        outputs: list[dict[str, Any]] = []
        if request.generate:
            if variant & 2:
                call_id = f"call_{rid}"
                added = call_item(f"fc_{rid}", call_id, "lookup", "", "in_progress")
                done = call_item(f"fc_{rid}", call_id, "lookup", '{"q":"X"}')
                script += [
                    r.frame("response.output_item.added", output_index=0, item=added),
                    r.frame(
                        "response.function_call_arguments.delta",
                        item_id=f"fc_{rid}",
                        output_index=0,
                        delta='{"q":"x"}',
                    ),
                    r.frame("response.output_item.done", output_index=0, item=done),
                ]
                outputs.append(done)
            index = len(outputs)
            script += r.text_item(f"text of {rid}", index)
            outputs.append(r.msg(f"text of {rid}", index))
        ending = (variant >> 2) % 4 if request.generate else 0
        if ending == 2:
            script.append(r.incomplete("max_output_tokens", *outputs))
        elif ending == 3:
            script.append(r.failed("server_error", "The server had an error."))
            outputs = []
        else:
            script.append(r.completed(*outputs))
        server.contexts[rid] = (*context, *ids(outputs))
        request.script = deque(script)

    def _emit(self, key: str, variant: int) -> str:
        socket = self.server.socket
        assert socket is not None
        queue = socket.lanes[key]
        request = queue[0]
        if request.script is None:
            self._start(key, request, variant)
        assert request.script is not None
        frame = request.script.popleft()
        if not request.script:
            queue.popleft()
            self._finish(key, request, frame)
        validate_server_frame(frame)
        call_id = None
        if (
            frame["type"] == "response.output_item.done"
            and frame["item"]["type"] == "function_call"
        ):
            call_id = frame["item"]["call_id"]
        if frame["type"] == "response.created":
            socket.seen.add(frame["response"]["id"])
        if frame["type"] == "error" and frame["error"]["code"] == LIMIT:
            socket.limit_told = True
        turn_was_over = request.turn in self.ended
        self.machine.receive_message(json.dumps(frame))
        self._settle(
            request.turn, call_id=call_id, frame_type=None if turn_was_over else frame["type"]
        )
        return str(frame["type"])

    def _finish(self, key: str, request: Request, last: dict[str, Any]) -> None:
        """The request's last frame: the lane's cache and the store move on."""
        socket = self.server.socket
        assert socket is not None
        kind = last["type"]
        if kind in ("response.completed", "response.incomplete") and request.made:
            socket.cache[key] = request.made
            if request.store:
                self.server.stored[request.made] = self.server.contexts.get(request.made, ())
                self.server.ever_stored.add(request.made)
        else:
            socket.cache.pop(key, None)

    # ------------------------------------------------------------------ caller rules

    def _open_turns(self) -> int:
        return len([t for t in self.turns if t not in self.ended])

    @precondition(lambda self: self._open_turns() < 6)
    @rule(
        lane=st.sampled_from(LANES),
        style=st.sampled_from(["incremental", "full", "edited", "tool_output", "prewarm"]),
        text=st.sampled_from(["hi", "more", "why?"]),
    )
    def create(self, lane: str | None, style: str, text: str) -> None:
        key = lane or ""
        if style == "prewarm":
            turn = self.machine.prewarm(instructions="Be brief.", lane=lane)
            self.new_items[turn] = (developer("Be brief."),)
            self.turn_state[turn] = self.machine._turns[turn]
            self.turns.append(turn)
            self._settle(owner=None)
            return
        item = user(text)
        if style == "tool_output" and self.pending_calls.get(key):
            call_id = self.pending_calls[key].pop(0)
            item = {"type": "function_call_output", "call_id": call_id, "output": "42"}
        if style in ("full", "edited"):
            history = [*self.machine.conversation(lane), item]
            if style == "edited" and len(history) > 1:
                history[0] = user("edited start")
            turn = self.machine.create(history=history, lane=lane)
            self.new_items[turn] = None
        else:
            turn = self.machine.create([item], lane=lane)
            self.new_items[turn] = (item,)
        self.turn_state[turn] = self.machine._turns[turn]
        self.turns.append(turn)
        self._settle(owner=None)

    @precondition(lambda self: self.turns)
    @rule(
        point=st.sampled_from(["queued", "sent", "streaming", "done"]),
        pick=st.integers(0, 50),
        then_drain=st.booleans(),
    )
    def cancel(self, point: str, pick: int, then_drain: bool) -> None:
        """Cancel before sending, after sending (no ``response.created`` yet), mid-stream
        (the server first streams up to ``response.created`` if it must) or after the end;
        `then_drain`: the server then sends the rest of that request at once."""
        socket = self.server.socket
        streaming = any(self.turn_state[t].state is TurnState.STREAMING for t in self.turns)
        if point == "streaming" and socket is not None and not streaming:
            heads = [
                (key, queue[0])
                for key, queue in socket.lanes.items()
                if queue
                and queue[0].turn not in self.cancelled
                and self.turn_state[queue[0].turn].state is TurnState.SENT
            ]
            if heads:
                key, head = heads[pick % len(heads)]
                while socket.lanes[key] and socket.lanes[key][0] is head:
                    if self._emit(key, pick % 16) == "response.created":
                        break
        points = ["queued", "sent", "streaming", "done"]
        points = points[points.index(point) :] + points[: points.index(point)]
        for state in points:
            pool = [
                t
                for t in self.turns
                if self.turn_state[t].state.value == state and t not in self.cancelled
            ]
            if pool:
                break
        turn = (pool or self.turns)[pick % len(pool or self.turns)]
        self.machine.cancel(turn)
        if turn not in self.ended:
            self.cancelled.add(turn)
        self._settle(owner=None)
        assert turn in self.ended
        while then_drain and socket is not None and self.server.socket is socket:
            key = next((k for k, q in socket.lanes.items() if q and q[0].turn == turn), None)
            if key is None:
                break
            self._emit(key, pick % 16)

    @precondition(lambda self: self.turns)
    @rule(pick=st.integers(0, 50), as_items=st.booleans(), late=st.booleans())
    def steer(self, pick: int, as_items: bool, late: bool) -> None:
        streaming = [t for t in self.turns if self.turn_state[t].state is TurnState.STREAMING]
        turn = (streaming or self.turns)[pick % len(streaming or self.turns)]
        try:
            self.machine.steer(turn, [user("steer")] if as_items else "steer")
        except LocalProtocolError:
            assert turn not in streaming
            return
        self.server.steer_late = late  # the steer reaches the server after the response ended
        self._settle(owner=None)

    # ------------------------------------------------------------------ server rules

    @precondition(lambda self: self.server.busy_lanes() or self.server.loose)
    @rule(
        pick=st.integers(0, 5),
        variant=st.integers(0, 15),
        until=st.sampled_from(["one frame", "response.created", "request end", "idle"]),
    )
    def server_sends(self, pick: int, variant: int, until: str) -> None:
        """Frames of one lane's oldest request: one, up to its ``response.created``
        (mid-stream), up to its end, or everything the server has (all lanes); a frame
        outside the lanes (a late ``response.steer.failed``) first, when there is one."""
        if self.server.loose:
            self._send_loose()
            if until != "idle":
                return
        lanes = self.server.busy_lanes()
        if not lanes:
            return
        key = lanes[pick % len(lanes)]
        socket = self.server.socket
        assert socket is not None
        head = socket.lanes[key][0]
        for _ in range(200):
            if until == "idle":
                lanes = self.server.busy_lanes()
                if not lanes:
                    return
                key = lanes[0]
            elif (
                self.server.socket is not socket
                or not socket.lanes[key]
                or (socket.lanes[key][0] is not head)
            ):
                return
            frame_type = self._emit(key, variant)
            if until == "one frame" or (until == "response.created" and frame_type == until):
                return

    def _send_loose(self) -> None:
        owner, frame = self.server.loose.popleft()
        validate_server_frame(frame)
        self.machine.receive_message(json.dumps(frame))
        self._settle(owner, frame_type=frame["type"])

    @precondition(lambda self: self.server.socket is not None)
    @rule(
        fault=st.sampled_from(["inject_error", "drop", "connection_error", "connection_limit"]),
        lane=st.sampled_from(LANES),
        which=st.integers(0, len(INJECTED) - 1),
    )
    def server_fault(self, fault: str, lane: str | None, which: int) -> None:
        socket = self.server.socket
        assert socket is not None
        key = lane or ""
        if fault == "inject_error":  # the lane's next request is refused
            self.server.inject[key] = INJECTED[which]
        elif fault == "drop":
            self._drop()
        elif "" not in self.server.busy_lanes():  # connection-scoped (no stream_id) errors
            if fault == "connection_limit":
                socket.expired = socket.limit_told = True
                frame = error_frame(LIMIT, "Limit reached.")
            else:
                frame = error_frame("server_error", "Oops.", status=500, type_="server_error")
            validate_server_frame(frame)
            self.machine.receive_message(json.dumps(frame))
            self._settle(owner=-1)  # no turn may get an event from it

    @precondition(lambda self: self.server.socket is not None)
    @rule(lane=st.sampled_from(LANES))
    def server_forgets(self, lane: str | None) -> None:
        """A cache miss: the lane's latest response is gone from the socket and storage."""
        socket = self.server.socket
        assert socket is not None
        rid = socket.cache.pop(lane or "", None)
        if rid is not None:
            self.server.stored.pop(rid, None)
            self.server.forgotten.add(rid)

    @precondition(
        lambda self: (
            self.server.socket is None
            or (self.machine.state is ConnectionState.DRAINING and self.asked_reconnect)
        )
    )
    @rule()
    def reconnect(self) -> None:
        """Open a socket: after a drop, or replacing one the machine asked to replace."""
        if self.server.socket is not None:
            self._drop()
        self._connect()

    @rule(dt=st.sampled_from([1.0, 3400.0]))
    def time_passes(self, dt: float) -> None:
        self.now += dt
        socket = self.server.socket
        if socket is not None and self.now - socket.opened >= CONNECTION_LIMIT_S:
            socket.expired = True
        deadline = self.machine.next_deadline()
        if deadline is not None and self.now >= deadline:
            self.machine.handle_timeout(self.now)
            self._settle(owner=None)

    def _drop(self) -> None:
        socket = self.server.socket
        assert socket is not None
        for queue in socket.lanes.values():
            for request in queue:
                if request.turn not in self.ended:
                    self.maybe_ran.add(request.turn)
        self.server.socket = None
        self.server.loose.clear()
        self.machine.connection_lost()
        self._settle(owner=None)
        for turn in list(self.maybe_ran):
            if turn in self.ended:
                self.maybe_ran.discard(turn)
        # what may have run either ended interrupted or, opted in, was announced as unsafe
        assert self.maybe_ran <= self.told_unsafe if self.replay_unsafe else not self.maybe_ran

    # ------------------------------------------------------------------ invariants

    @invariant()
    def never_stalls(self) -> None:
        """With the server idle, an open socket has no turn left, and a draining one has
        told the caller to replace it."""
        if self.server.socket is None or self.server.busy_lanes() or self.server.loose:
            return
        if self.machine.state is ConnectionState.OPEN:
            assert all(t in self.ended for t in self.turns)
        else:
            assert self.asked_reconnect

    def teardown(self) -> None:
        if not hasattr(self, "machine"):
            return
        self.server.inject.clear()
        for step in range(400):
            if all(t in self.ended for t in self.turns):
                break
            if self.server.socket is None:
                self._connect()
            elif self.machine.state is ConnectionState.DRAINING:
                self._drop()
                self._connect()
            elif self.server.loose:
                self._send_loose()
            elif self.server.busy_lanes():
                self._emit(self.server.busy_lanes()[0], step % 16)
            else:
                break
        unended = [t for t in self.turns if t not in self.ended]
        assert not unended, f"turns that never ended: {unended}"
        assert set(self.ended) == set(self.turns)


SocketMachine.TestCase.settings = settings(stateful_step_count=40)
test_responses_socket_against_a_fake_server = SocketMachine.TestCase
