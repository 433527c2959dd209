"""A conversation over the Responses API WebSocket mode: ``client.responses.connect(...)``.

    async with client.responses.connect(model="gpt-5.5", store=False) as conv:
        await conv.prewarm(instructions="Be brief.", tools=[weather])   # seeds the chain
        turn = conv.create(input="Weather in Paris?")
        async for event in turn:              # typed wire events, ToolCall, APIError, ...
            ...
        ended = turn.ended                    # TurnEnded: status, result, error
        turn = conv.tool_outputs({call.call_id: "18C, light rain"})   # the next turn
        turn.cancel()                         # its late events never reach another turn

Every decision (what to send, chaining, fencing a cancelled turn, what to resend after a
dropped socket or a cache miss, when to rotate) is `ResponsesSocket`'s; this module opens
sockets (`WebSocketTransport`), moves frames both ways, arms the rotation deadline with the
anyio clock and reconnects with backoff (jitter injected). One task reads, one writes, both
inside the connection's task group; commands (`create`, `cancel`, `steer`) are synchronous and
wake the writer.

A conversation reconnects by itself when turns wait and no socket is open (after a close, a
connection-limit error or a rotation). A turn whose frame may already have run when its socket
closed ends ``interrupted`` (`TurnNotReplayed`) unless ``replay_unsafe=True``.
"""

from __future__ import annotations

import dataclasses
import random
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import anyio

from ._socket_session import SocketSession
from .errors import APIConnectionError, APITimeoutError
from .protocol._errors import RemoteProtocolError
from .protocol.events.common import APIError
from .protocol.requests import GenerationParams
from .protocol.responses_ws import ROTATE_AFTER_S, ConnectionState, ResponsesSocket
from .protocol.responses_ws_events import (
    RotateConnection,
    TurnEnded,
    TurnEvent,
    TurnNotReplayed,
    TurnRetried,
    TurnStarted,
)
from .protocol.trace import TraceRecorder
from .protocol.trace_ws import params_record
from .transports._ws_events import Closed, TextMessage
from .transports._ws_report import record_received
from .transports.ws import WebSocketTransport

if TYPE_CHECKING:
    from .client import Client

__all__ = ["ResponsesConnection", "Turn"]

_ENDED_KEPT: Final = 64
"""Ended turns remembered for late ``response.steer.*`` events."""


class Turn:
    """One turn of a `ResponsesConnection`. Iterate it (``async for event in turn``) for its
    events in order: `TurnStarted` (each attempt), the typed wire events, `ToolCall` (once per
    function call, at ``response.output_item.done``), `APIError`, `TurnRetried` /
    `TurnNotReplayed`, and last `TurnEnded`. Or ``await turn.until_done()``.

    A turn's events are buffered until read, so a turn nobody iterates does not stall the
    others. `late_events` collects what arrives after `TurnEnded` (a steer's outcome)."""

    def __init__(self, conversation: ResponsesConnection, turn_id: int) -> None:
        self._conversation = conversation
        self.id = turn_id
        self.started: TurnStarted | None = None
        """The latest `TurnStarted` (chained?, items and bytes sent, attempt)."""
        self.ended: TurnEnded | None = None
        self.started_at: float | None = None
        """anyio time of the latest `TurnStarted` (the frame went to the writer)."""
        self.first_event_at: float | None = None
        """anyio time of the turn's first text/audio/tool delta (time to first token)."""
        self.late_events: list[Any] = []
        self._events: deque[Any] = deque()
        self._ready = anyio.Event()
        self._done_reading = False

    def __repr__(self) -> str:
        status = self.ended.status if self.ended else "open"
        return f"<Turn {self.id} {status}>"

    def _push(self, event: Any) -> None:
        if self.ended is not None:
            self.late_events.append(event)
            return
        if isinstance(event, TurnStarted):
            self.started = event
            self.started_at = anyio.current_time()
        elif self.first_event_at is None and type(event).__name__.endswith("Delta"):
            self.first_event_at = anyio.current_time()
        elif isinstance(event, TurnEnded):
            self.ended = event
        self._events.append(event)
        self._ready.set()

    def __aiter__(self) -> Turn:
        return self

    async def __anext__(self) -> Any:
        while not self._events:
            if self._done_reading:
                raise StopAsyncIteration
            await self._ready.wait()
            self._ready = anyio.Event()
        event = self._events.popleft()
        if isinstance(event, TurnEnded):
            self._done_reading = True
        return event

    async def until_done(self) -> TurnEnded:
        """Wait for the turn's end (its events are consumed) and return `TurnEnded`."""
        async for _ in self:
            pass
        assert self.ended is not None
        return self.ended

    def cancel(self) -> None:
        """Stop this turn: it ends ``cancelled`` at once and none of its later frames reach
        another turn. Nothing is sent (the public API has no ``response.cancel``)."""
        self._conversation._command("cancel", {"turn_id": self.id})

    def steer(self, input: str | Sequence[Mapping[str, Any]]) -> None:
        """Add user input to this turn's streaming response (``response.steer``)."""
        args = {"turn_id": self.id, "input": input if isinstance(input, str) else list(input)}
        self._conversation._command("steer", args)


class ResponsesConnection(SocketSession):
    """``async with client.responses.connect(...) as conv``: one conversation, one socket at
    a time. See the module docstring. Entering opens the first socket and raises its errors
    (`WebSocketHandshakeError`, `APIConnectionError`, `APITimeoutError`); leaving cancels the
    turns still open and closes the socket."""

    def __init__(
        self,
        client: Client,
        params: GenerationParams,
        *,
        url: str | None = None,
        replay_unsafe: bool = False,
        reconnect_attempts: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
        trace: TraceRecorder | None = None,
        rotate_after_s: float = ROTATE_AFTER_S,
        **transport_options: Any,
    ) -> None:
        super().__init__(
            trace=trace,
            reconnect_attempts=reconnect_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            jitter=jitter,
            transport_options=transport_options,
        )
        self._client = client
        self.machine = ResponsesSocket(
            params, replay_unsafe=replay_unsafe, rotate_after_s=rotate_after_s
        )
        self._url = url
        self._turns: dict[int, Turn] = {}
        self._ended: OrderedDict[int, Turn] = OrderedDict()
        self._wake = anyio.Event()
        self._rotate = False
        self.connections = 0
        """Sockets opened so far (reconnects and rotations included)."""
        self.notices: deque[Any] = deque(maxlen=256)
        """Connection-level events: `ReconnectNeeded`, `RotateConnection`, errors that name no
        turn, `Closed` of each socket (newest last, bounded)."""

    # ------------------------------------------------------------------ commands

    def create(
        self,
        input: str | Sequence[Mapping[str, Any]] | None = None,
        *,
        history: Sequence[Mapping[str, Any]] | None = None,
        lane: str | None = None,
        **overrides: Any,
    ) -> Turn:
        """Start a turn and return it (its frame goes out as soon as its lane is free).

        Incremental style: `input` is what is new (a string is one user message; tool outputs
        are ``function_call_output`` items). Full-history style: `history` is the whole
        conversation, and only what the server lacks is sent. `lane` is a ``stream_id``;
        `overrides` are `GenerationParams` fields for this turn only (tools, instructions...).
        """
        args: dict[str, Any] = {}
        if history is not None:
            args["history"] = list(history)
        if input is not None:
            args["input"] = input if isinstance(input, str) else list(input)
        if lane is not None:
            args["lane"] = lane
        if overrides:
            args["params"] = dataclasses.replace(self.machine.params, **overrides)
        turn_id = self._command("create", args)
        assert isinstance(turn_id, int)
        return self._turns[turn_id]

    def tool_outputs(self, outputs: Mapping[str, Any], *, lane: str | None = None) -> Turn:
        """The next turn: one ``function_call_output`` per ``call_id`` (non-string outputs
        are sent as JSON text by the server's rules: pass a string to control it)."""
        items = [
            {"type": "function_call_output", "call_id": call_id, "output": output}
            for call_id, output in outputs.items()
        ]
        return self.create(items, lane=lane)

    async def prewarm(
        self,
        *,
        instructions: str | None = None,
        tools: Sequence[Any] | None = None,
        lane: str | None = None,
        **overrides: Any,
    ) -> TurnEnded:
        """Warm the connection up (``generate: false``): the server prepares `instructions`
        and `tools` without output, and the response id seeds the chain. Waits for it to end.

        `tools` and `overrides` become the defaults of the turns that follow (the API does
        not carry a request's tools over ``previous_response_id``, so each turn sends them);
        `instructions` go in as a developer message, part of the chained context."""
        if tools is not None:
            overrides["tools"] = tuple(tools)
        args: dict[str, Any] = {}
        if instructions:
            args["instructions"] = instructions
        if lane is not None:
            args["lane"] = lane
        if overrides:
            self.machine.params = dataclasses.replace(self.machine.params, **overrides)
            args["params"] = self.machine.params
        turn_id = self._command("prewarm", args)
        return await self._turns[turn_id].until_done()

    def conversation(self, lane: str | None = None) -> tuple[Any, ...]:
        """The lane's conversation as the server should hold it (input and output items)."""
        return self.machine.conversation(lane)

    def _command(self, call: str, args: dict[str, Any]) -> Any:
        if self._closing:
            raise APIConnectionError("the conversation is closed")
        machine = self.machine
        if call == "create":
            result: Any = machine.create(**args)
        elif call == "prewarm":
            result = machine.prewarm(**args)
        elif call == "cancel":
            machine.cancel(**args)
            result = None
        else:
            machine.steer(**args)
            result = None
        if call == "create" or call == "prewarm":
            self._turns[result] = Turn(self, result)
        if self._recorder is not None:
            recorded = dict(args)
            if isinstance(recorded.get("params"), GenerationParams):
                recorded["params"] = params_record(recorded["params"])
            self._recorder.app(self._now(), call, recorded, result)
        self._dispatch()
        self._wake.set()
        return result

    # ------------------------------------------------------------------ plumbing

    def _dispatch(self) -> None:
        """Hand the machine's events to their turns (or to `notices`)."""
        for event in self.machine.events():
            if isinstance(event, TurnEvent):
                turn = self._turns.get(event.turn) or self._ended.get(event.turn)
                if turn is not None:
                    turn._push(event.event)
            elif isinstance(event, TurnStarted | TurnRetried | TurnNotReplayed):
                turn = self._turns.get(event.turn)
                if turn is not None:
                    turn._push(event)
            elif isinstance(event, TurnEnded):
                turn = self._turns.pop(event.turn, None)
                if turn is not None:
                    turn._push(event)
                    self._ended[event.turn] = turn
                    while len(self._ended) > _ENDED_KEPT:
                        self._ended.popitem(last=False)
            else:
                if isinstance(event, RotateConnection):
                    self._rotate = True
                self.notices.append(event)

    async def _closing_down(self) -> None:
        """Leaving: the open turns end cancelled (their tails are fenced), nothing more is
        sent for them."""
        for turn_id in list(self._turns):
            self.machine.cancel(turn_id)
        self._dispatch()
        self._wake.set()

    async def _supervise(self) -> None:
        """Open sockets while the conversation lives: at once, then whenever turns wait."""
        first = True
        while not self._closing:
            if not first and not (self.machine.wants_connection or self._rotate):
                await self._wake.wait()
                self._wake = anyio.Event()
                continue
            try:
                connector = await self._open()
            except Exception as exc:  # every connect failure is the caller's to see, typed
                if first:
                    self._first_opened(exc)
                    return
                self.machine.connection_lost(_error_of(exc))
                self.notices.append(_error_of(exc))
                self._dispatch()
                continue
            first = False
            self._rotate = False
            async with connector as ws:
                self._first_opened()
                await self._serve(ws)

    def _connect(self, options: dict[str, Any]) -> Any:
        return WebSocketTransport.connect_config(self._client.config, url=self._url, **options)

    async def _serve(self, ws: WebSocketTransport) -> None:
        """One socket's life: the machine is told it opened, a writer sends what it queues,
        this task reads, arms the rotation deadline, and tells it the socket is gone."""
        machine = self.machine
        self._ws = ws
        self.connections += 1
        machine.connection_made(anyio.current_time())
        self._dispatch()
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._writer, ws)
                self._wake.set()
                await self._reader(ws)
                group.cancel_scope.cancel()
        finally:
            self._ws = None
            if not self._closing:  # aclose records its own
                self._record_closed(ws)
            machine.connection_lost()
            self._dispatch()

    async def _reader(self, ws: WebSocketTransport) -> None:
        machine = self.machine
        while not self._closing:
            if self._rotate or (
                machine.state is ConnectionState.DRAINING and not machine.in_flight
            ):
                return  # rotation, or the server ended this socket's lifetime: reconnect
            deadline = machine.next_deadline()
            with anyio.move_on_after(
                max(0.0, deadline - anyio.current_time()) if deadline is not None else None
            ) as scope:
                event = await ws.receive()
            if scope.cancelled_caught:
                if self._recorder is not None:
                    self._recorder.timeout(self._now())
                machine.handle_timeout(anyio.current_time())
                self._dispatch()
                continue
            if isinstance(event, TextMessage):
                try:
                    if self._recorder is not None:
                        record_received(self._recorder, self._now(), event.data)
                    machine.receive_message(event.data)
                except RemoteProtocolError as exc:
                    self.notices.append(
                        APIError.build(str(exc), code="bad_frame", source="transport")
                    )
                    return  # a server we cannot understand: drop this socket
                self._dispatch()
                self._wake.set()
            elif isinstance(event, Closed):
                self.notices.append(event)
                return
            # a binary message: the API sends none; ignored (protocol.md 0.3)

    async def _writer(self, ws: WebSocketTransport) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            frames = self.machine.data_to_send()
            self._dispatch()
            for frame in frames:
                try:
                    await ws.send_text(frame)
                except (APIConnectionError, APITimeoutError):
                    return  # the reader sees the close and the machine is told


def _error_of(exc: BaseException) -> APIError:
    """The typed error behind a failed connection attempt."""
    error = getattr(exc, "error", None)
    if isinstance(error, APIError):
        return error
    code = "timeout" if isinstance(exc, APITimeoutError) else "connection_failed"
    return APIError.build(str(exc), code=code, source="transport")
