"""Responses WebSocket mode: the per-connection state machine of the emulator (pure, no I/O).

What: `WsEngine` takes the client's text frames (`receive_text`, with the current time) and
hands out the server frames to send, one at a time (`next_frame`). Per lane (``stream_id``,
or the default lane) ``response.create`` requests wait FIFO; a lane whose request reaches the
front is validated, resolves its ``previous_response_id`` in the connection cache
(`ws_cache.LaneCache`) and is scripted by the HTTP endpoint's own script
(`responses_script.script`). Up to `ws_protocol.MAX_ACTIVE_RESPONSES` lanes stream at once and
their events interleave round-robin, one event per lane in turn (lanes in order of becoming
active), so the interleaving is a function of the frames received. ``response.steer`` acts on
the active response it names. Fault knobs (connection config, or per turn through
``metadata.emulator_fault``) drop the connection, answer error frames, cut or fail responses.
Why: all decisions in one pure object (time is passed in) keep the socket code (`ws.py`) to
byte shuffling and make every rule testable.
Next: `ws.serve_websocket` feeds it from a wsproto connection and writes what it returns.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import responses_script
from .errors import ApiError
from .faults import FAULT_METADATA_KEY, EmulatorConfig, apply_overrides
from .ids import IdSource
from .responses_script import ChainRecord, ResponsesRequest, ResponsesScript
from .router import REDACTED
from .rules import Item
from .ws_cache import LaneCache, LaneKey, LaneRegistry
from .ws_protocol import (
    MAX_ACTIVE_RESPONSES,
    Steer,
    connection_limit_error,
    decode_frame,
    error_frame,
    lane_of,
    not_found_error,
    parse_create,
    parse_steer,
    status_error,
    steer_accepted,
    steer_failed,
    steer_pending,
    stream_error_frame,
    stream_limit_error,
)

__all__ = ["Backend", "Close", "Outgoing", "WsEngine", "redact_frame"]

_TERMINAL = frozenset({"response.completed", "response.incomplete", "response.failed", "error"})
_SECRET_KEYS = frozenset({"api_key", "api-key", "authorization", "client_secret", "x-api-key"})
_FAULT_PARAM = f"metadata.{FAULT_METADATA_KEY}"


class Backend(Protocol):
    """What a connection needs from its emulator: ids and the emulator-wide response store."""

    def next_ids(self, raw: bytes) -> IdSource:
        """Ids of the next scripted turn (the emulator-wide turn counter advances)."""
        ...

    def stored(self, response_id: str) -> ChainRecord | None:
        """A response created with ``store`` not false, on any transport."""
        ...

    def store(self, response_id: str, record: ChainRecord) -> None:
        """Remember a ``store=true`` response emulator-wide."""
        ...


@dataclass(frozen=True)
class Close:
    """How to end the connection: a close frame with `code`, or (code None) a bare TCP close."""

    code: int | None
    reason: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One step for the socket: sleep `delay_s`, send `frame` (if any), then `close` (if any)."""

    frame: dict[str, Any] | None
    delay_s: float = 0.0
    close: Close | None = None


@dataclass
class _Pending:
    """A request waiting on its lane: a client frame, or a steering successor (`successor`)."""

    body: dict[str, Any]
    raw: bytes
    successor: ResponsesRequest | None = None


@dataclass
class _Run:
    """One scripted response being streamed on its lane."""

    lane: LaneKey
    req: ResponsesRequest
    prior: ChainRecord | None
    ids: IdSource
    config: EmulatorConfig
    generate: bool
    script: ResponsesScript
    drop_after: int | None
    frames: deque[dict[str, Any]] = field(default_factory=deque)
    extras: deque[dict[str, Any]] = field(default_factory=deque)
    seq: int = 0
    sent: int = 0
    deltas_sent: int = 0
    terminal_sent: bool = False
    cut: bool = False
    successor: _Pending | None = None

    @property
    def response_id(self) -> str:
        return self.script.response_id

    @property
    def kind(self) -> str:
        """``failing`` (failed or cut by an error), ``tool`` (function calls) or ``text``."""
        if self.script.record is None:
            return "failing"
        outputs = self.script.final["output"]
        return "tool" if any(o["type"] == "function_call" for o in outputs) else "text"

    def stamp(self, frame: dict[str, Any]) -> dict[str, Any]:
        frame["sequence_number"] = self.seq
        self.seq += 1
        return frame


@dataclass
class _Lane:
    pending: deque[_Pending] = field(default_factory=deque)
    run: _Run | None = None


def redact_frame(value: Any) -> Any:
    """A copy of a received frame with the values of secret-looking keys `REDACTED`."""
    if isinstance(value, dict):
        return {
            k: REDACTED if str(k).lower() in _SECRET_KEYS else redact_frame(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_frame(v) for v in value]
    return value


class WsEngine:
    """The state of one Responses WebSocket connection (see the module docstring).

    `config` is the connection's configuration (emulator config plus the upgrade request's
    ``x-emulator-fault`` header); `opened_at` the handshake time on the same clock as the
    ``now`` later passed to `receive_text`; `recorded` receives every client frame (parsed
    JSON, secrets redacted; the raw text when it is not JSON).
    """

    def __init__(
        self,
        backend: Backend,
        config: EmulatorConfig,
        opened_at: float,
        recorded: list[Any] | None = None,
    ) -> None:
        self.config = config
        self._backend = backend
        self._opened_at = opened_at
        self._recorded = recorded if recorded is not None else []
        self.cache = LaneCache(backend.stored)
        self._registry = LaneRegistry()
        self._lanes: dict[LaneKey, _Lane] = {}
        self._rotation: list[LaneKey] = []
        self._cursor = 0
        self._immediate: deque[tuple[dict[str, Any], Close | None]] = deque()
        self._runs: dict[str, _Run] = {}
        self._steer_inputs: dict[tuple[LaneKey, str], tuple[Item, ...]] = {}
        self._steers = 0
        self._sent = 0
        self._refusing = False
        self.closed = False
        """True once a close was handed out: nothing more will be sent."""

    # --- input ----------------------------------------------------------------------------

    def receive_text(self, text: str, now: float) -> None:
        """Handle one complete client text message received at time `now`."""
        try:
            body = decode_frame(text)
        except ApiError as error:
            self._recorded.append(text)
            self._immediate.append((error_frame(error, None), None))
            return
        self._recorded.append(redact_frame(body))
        raw = text.encode()
        if body["type"] == "response.steer":
            self._steer(body, raw)
            return
        if self._refusing:
            return
        max_age = self.config.ws_max_age_s
        if max_age is not None and now - self._opened_at >= max_age:
            self._refusing = True
            limit = error_frame(connection_limit_error(max_age), None)
            self._immediate.append((limit, Close(1000, "connection limit reached")))
            return
        try:
            lane = lane_of(body)
        except ApiError as error:
            self._immediate.append((error_frame(error, None), None))
            return
        if not self._registry.admit(lane):
            self._immediate.append((error_frame(stream_limit_error(), lane), None))
            return
        self._lanes.setdefault(lane, _Lane()).pending.append(_Pending(body, raw))
        self._admit()

    def receive_binary(self) -> None:
        """A binary message: not part of the protocol; answered with an error frame."""
        self._recorded.append(b"<binary>")
        error = ApiError(400, "Binary WebSocket messages are not supported; send JSON text.")
        self._immediate.append((error_frame(error, None), None))

    # --- output ---------------------------------------------------------------------------

    def next_frame(self) -> Outgoing | None:
        """The next thing to send, or None when there is nothing to send for now."""
        if self.closed:
            return None
        conn_drop = self.config.drop_after_events
        pending = bool(self._immediate or self._rotation)
        if pending and conn_drop is not None and self._sent >= conn_drop:
            return self._drop(self.config.ws_close_code)
        if self._immediate:
            frame, close = self._immediate.popleft()
            return self._emit(frame, 0.0, close, None)
        if not self._rotation:
            return None
        index = self._cursor % len(self._rotation)
        lane = self._rotation[index]
        run = self._lanes[lane].run
        assert run is not None  # a lane is in the rotation exactly while it has a run
        if run.drop_after is not None and run.sent >= run.drop_after:
            return self._drop(run.config.ws_close_code)
        frame = self._format(run)
        delay = run.config.delay_s if run.sent else 0.0
        if run.frames or run.extras:
            self._cursor = index + 1
        else:
            del self._rotation[index]
            self._cursor = index
            self._lanes[lane].run = None
            self._admit()
        return self._emit(frame, delay, None, run)

    def _format(self, run: _Run) -> dict[str, Any]:
        if not run.frames:
            return run.stamp(run.extras.popleft())
        event = run.frames.popleft()
        kind = event["type"]
        if kind == "response.output_text.delta":
            run.deltas_sent += 1
        if kind in _TERMINAL:
            run.terminal_sent = True
        if kind == "error":
            return run.stamp(stream_error_frame(event, run.lane))
        frame = run.stamp(dict(event))
        if run.lane is not None:
            frame["stream_id"] = run.lane
        return frame

    def _emit(
        self, frame: dict[str, Any], delay: float, close: Close | None, run: _Run | None
    ) -> Outgoing:
        self._sent += 1
        conn_drop = self.config.drop_after_events
        if conn_drop is not None and self._sent >= conn_drop:
            close = close or Close(self.config.ws_close_code, "emulated fault")
        if run is not None:
            run.sent += 1
            if run.drop_after is not None and run.sent >= run.drop_after:
                close = close or Close(run.config.ws_close_code, "emulated fault")
        self.closed = close is not None
        return Outgoing(frame, delay, close)

    def _drop(self, code: int | None) -> Outgoing:
        self.closed = True
        return Outgoing(None, 0.0, Close(code, "emulated fault"))

    # --- lanes and responses --------------------------------------------------------------

    def _admit(self) -> None:
        """Start the first waiting request of every idle lane, up to the active limit."""
        for lane, state in self._lanes.items():
            while (
                state.run is None and state.pending and len(self._rotation) < MAX_ACTIVE_RESPONSES
            ):
                self._start(lane, state, state.pending.popleft())

    def _start(self, lane: LaneKey, state: _Lane, pending: _Pending) -> None:
        parent = pending.body.get("previous_response_id")
        parent = parent if isinstance(parent, str) else None
        try:
            if pending.successor is not None:
                req, generate, overrides = pending.successor, True, {}
            else:
                create = parse_create(pending.body)
                req, generate, overrides = create.req, create.generate, create.overrides
            parent = req.previous_response_id
            config = apply_overrides(self.config, overrides, label=_FAULT_PARAM, param=_FAULT_PARAM)
            status = config.ws_error_status or config.http_status
            if status is not None:
                raise status_error(status, config.error_code)
            prior = None
            if parent is not None:
                prior = None if config.forget_chains else self.cache.lookup(parent)
                if prior is None:
                    raise not_found_error(parent)
                queued = self._steer_inputs.pop((lane, parent), ())  # accepted steering input
                req = dataclasses.replace(req, items=queued + req.items)
        except ApiError as error:
            self.cache.evict_parent(lane, parent)
            self._immediate.append((error_frame(error, lane), None))
            return
        ids = self._backend.next_ids(pending.raw)
        result = responses_script.script(req, prior, ids, config, generate=generate)
        run = _Run(
            lane=lane,
            req=req,
            prior=prior,
            ids=ids,
            config=config,
            generate=generate,
            script=result,
            drop_after=overrides.get("drop_after_events"),
            frames=deque(result.events),
        )
        self._remember(run, result)
        self._runs[result.response_id] = run
        state.run = run
        self._rotation.append(lane)

    def _remember(self, run: _Run, result: ResponsesScript) -> None:
        if result.record is None:
            self.cache.evict_parent(run.lane, run.req.previous_response_id)
            return
        if run.cut:
            self.cache.update(result.response_id, result.record)
        else:
            self.cache.remember(run.lane, result.response_id, result.record)
        if run.req.store:
            self._backend.store(result.response_id, result.record)

    # --- steering -------------------------------------------------------------------------

    def _steer(self, body: dict[str, Any], raw: bytes) -> None:
        try:
            steer = parse_steer(body)
        except ApiError as error:
            self._immediate.append((error_frame(error, None), None))
            return
        run = self._runs.get(steer.previous_response_id)
        active = run if run is not None and not run.terminal_sent else None
        lane = run.lane if run is not None else None
        target = steer.previous_response_id
        if steer.problem is not None:
            frame = steer_failed("invalid_input", steer.problem, steer, lane)
        elif run is None:
            message = f"Response with id '{target}' is not available on this connection."
            frame = steer_failed("response_not_found", message, steer, None)
        elif active is None:
            message = f"Response with id '{target}' is no longer accepting steering input."
            frame = steer_failed("response_not_active", message, steer, lane)
        else:
            self._accept(active, steer, raw)
            return
        if active is not None:
            active.stamp(frame)
        self._immediate.append((frame, None))

    def _accept(self, run: _Run, steer: Steer, raw: bytes) -> None:
        self._steers += 1
        steer_id = "steer_" + run.ids.hex(f"steer:{self._steers}", 48)
        accepted = run.stamp(steer_accepted(steer_id, run.response_id, run.lane))
        self._immediate.append((accepted, None))
        kind = run.kind
        if kind == "failing":
            message = "The response failed; the steering input was not committed."
            failed = steer_failed("successor_creation_failed", message, steer, run.lane, steer_id)
            run.extras.append(failed)
        elif kind == "tool":
            calls = [o for o in run.script.final["output"] if o["type"] == "function_call"]
            run.extras.append(steer_pending(steer_id, run.response_id, calls, run.lane))
            key = (run.lane, run.response_id)
            self._steer_inputs[key] = self._steer_inputs.get(key, ()) + steer.items
        else:
            self._queue_successor(run, steer, raw)
            self._cut(run)

    def _queue_successor(self, run: _Run, steer: Steer, raw: bytes) -> None:
        """The steered response's automatic successor: same settings, the steering input."""
        if run.successor is not None and run.successor.successor is not None:
            req = run.successor.successor
            run.successor.successor = dataclasses.replace(req, items=req.items + steer.items)
            return
        req = dataclasses.replace(run.req, items=steer.items, previous_response_id=run.response_id)
        body = {"previous_response_id": run.response_id}
        run.successor = _Pending(body, raw, successor=req)
        self._lanes[run.lane].pending.appendleft(run.successor)

    def _cut(self, run: _Run) -> None:
        """End a text answer after the deltas already sent (``incomplete``, ``steered``)."""
        total = sum(1 for e in run.script.events if e["type"] == "response.output_text.delta")
        if run.cut or not run.generate or run.deltas_sent >= total:
            return  # nothing left to cut: the response completes, then the successor runs
        sent = len(run.script.events) - len(run.frames)
        cut = responses_script.script(
            run.req, run.prior, run.ids, run.config, steer_cut=run.deltas_sent
        )
        if cut.events[:sent] != run.script.events[:sent]:
            return  # cannot continue seamlessly (never expected): let it complete
        run.cut = True
        run.script = cut
        run.frames = deque(cut.events[sent:])
        self._remember(run, cut)
