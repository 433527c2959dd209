"""Replay of ``responses-ws`` traces (Responses WebSocket mode) through a fresh `ResponsesSocket`.

A trace holds the client frames (``send``), the server frames (``recv``), ``closed`` /
``timeout`` records, the handshakes (``request``, ``response``) and, when the client recorded
them, the caller's commands: ``{"op":"app","call":"create","args":{"input":"Hi"},"returns":1}``.
How it replays depends on whether the trace has ``app`` records:

- **Commands** (`_replay_commands`): every ``app`` record calls the machine again as the caller
  did (incremental or full-history `create`, `prewarm`, `cancel`, `steer`, `next_deadline`),
  with recorded turn ids mapped to the replay's. Each frame the machine sends is compared, in
  order, with the next ``send`` record. The header's ``config`` builds the machine
  (``{"params": {...}, "socket": {"replay_unsafe": true}}``, or top-level ``model``/``store``/
  ``replay_unsafe``...).
- **Frames** (`_replay_frames`, traces without commands, e.g. hand-written ones): each recorded
  ``response.create`` is turned back into a command — the recorded context of its
  ``previous_response_id``, plus its input — and the machine re-decides the frame.

A different frame, a recorded frame the machine did not send, or a frame it sent that the trace
lacks is a *divergence*: the machine would now behave differently on the same traffic. Server
frames are fed as recorded. A handshake (``request``, or a ``response`` 101) opens the socket;
a trace without handshakes opens it at its first ``send``. A hand-written trace replays the same
way, which is how a bug report becomes a test. Next: `trace.replay` wraps the result into a
`ReplaySummary`.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec

from ._errors import LocalProtocolError, RemoteProtocolError
from .events.common import NEED_DATA, APIError
from .redaction import redact_message
from .requests import GenerationParams, function_tool
from .responses_ledger import as_input_item
from .responses_ws import ConnectionState, ResponsesSocket
from .responses_ws_events import TurnEnded, TurnEvent
from .trace_common import Divergences, Progress, ticking

__all__ = ["params_record", "replay_responses_ws"]

_FRAME_KEYS: Final = frozenset(
    {"type", "model", "input", "previous_response_id", "store", "stream_id", "generate"}
)
"""Keys the machine decides itself; every other recorded key is replayed through
``extra_body`` (``stream``/``background`` are left out: the socket never sends them, so a
recorded one shows up as a divergence instead of stopping the replay)."""
_NOT_REPLAYED: Final = frozenset({"stream", "background"})
_PARAM_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(GenerationParams))
_SOCKET_OPTIONS: Final = frozenset({"replay_unsafe", "rotate_after_s", "max_queued_turns"})
_CALLS: Final = frozenset({"create", "prewarm", "cancel", "steer", "next_deadline", "conversation"})
"""The machine's caller verbs an ``app`` record may name (a trace is untrusted input)."""
_NEW_TURN: Final = frozenset({"create", "prewarm"})
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


def _json(value: Any) -> str:
    return _encoder.encode(value).decode()[:300]


def _time(record: Mapping[str, Any]) -> float:
    t = record.get("t")
    return float(t) if isinstance(t, int | float) else 0.0


def _params(frame: Mapping[str, Any]) -> GenerationParams:
    """The params a recorded ``response.create`` was built from (the frames style)."""
    extra = {k: v for k, v in frame.items() if k not in _FRAME_KEYS and k not in _NOT_REPLAYED}
    store = frame.get("store")
    return GenerationParams(
        model=str(frame.get("model") or "unknown-model"),
        store=store if isinstance(store, bool) else None,
        extra_body=extra or None,
    )


def _generation_params(raw: Mapping[str, Any], where: str) -> GenerationParams:
    """`GenerationParams` from a trace's JSON (tools as ``function_tool`` arguments)."""
    try:
        fields = dict(raw)
        if "tools" in fields:
            fields["tools"] = [
                function_tool(**{k: v for k, v in tool.items() if k != "type"})
                for tool in fields["tools"]
            ]
        return GenerationParams(**fields)
    except (LocalProtocolError, TypeError, AttributeError) as exc:
        raise RemoteProtocolError(f"{where}: bad params: {exc}", error_hint="trace") from None


def _plain(value: Any) -> Any:
    """Frozen mappings and tuples as JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def params_record(params: GenerationParams) -> dict[str, Any]:
    """`params` as trace JSON (what differs from the defaults; tools as `function_tool`
    arguments): the inverse of what a replay reads from a header or an ``app`` record."""
    record: dict[str, Any] = {}
    for field in dataclasses.fields(params):
        value = getattr(params, field.name)
        if field.name != "model" and value == field.default:
            continue
        if field.name == "tools":
            value = [
                {
                    f.name: _plain(getattr(tool, f.name))
                    for f in dataclasses.fields(tool)
                    if getattr(tool, f.name) is not None
                }
                for tool in value
            ]
        record[field.name] = _plain(value)
    return record


def _config(header: Mapping[str, Any] | None) -> Mapping[str, Any]:
    config = header.get("config") if header else None
    return config if isinstance(config, dict) else {}


def _socket_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """``replay_unsafe`` and friends, from ``config.socket`` or the top level of ``config``."""
    options = config.get("socket")
    options = options if isinstance(options, dict) else config
    return {k: v for k, v in options.items() if k in _SOCKET_OPTIONS}


def _machine(header: Mapping[str, Any] | None, first: Mapping[str, Any]) -> ResponsesSocket:
    """The machine the header describes; without params there, the first frame's."""
    config = _config(header)
    raw = config.get("params")
    if not isinstance(raw, dict):
        raw = {k: v for k, v in config.items() if k in _PARAM_FIELDS}
    params = _generation_params(raw, "trace header") if "model" in raw else _params(first)
    return ResponsesSocket(params, **_socket_options(config))


def _turn_summary(event: TurnEnded) -> dict[str, Any]:
    """One ended turn, in the shape of `trace.TurnSummary`."""
    result = event.result
    return {
        "response_id": result.response_id if result else None,
        "status": event.status,
        "text": result.text if result else "",
        "tool_calls": [
            {"call_id": c.call_id, "name": c.name, "arguments": c.arguments}
            for c in (result.tool_calls if result else ())
        ],
        "usage": (
            {n: getattr(result.usage, n) for n in result.usage.FIELDS}
            if result and result.usage
            else None
        ),
    }


class _Run:
    """The replay's machine and what it produced: the four lists of `ReplaySummary`."""

    def __init__(self, machine: ResponsesSocket | None) -> None:
        self.machine = machine
        self.turns: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.sent: list[Any] = []
        self.divergences = Divergences()

    @property
    def socket(self) -> ResponsesSocket:
        assert self.machine is not None, "the replay has no machine yet"
        return self.machine

    def outgoing(self) -> list[Any]:
        """The frames the machine writes now, decoded (and kept in `sent`)."""
        frames = [_decoder.decode(frame) for frame in self.socket.data_to_send()]
        self.sent.extend(frames)
        return frames

    def feed(self, number: int, message: Any) -> None:
        """One recorded server frame; a frame the machine rejects names its record."""
        try:
            self.socket.receive_message(_encoder.encode(message))
        except RemoteProtocolError as exc:
            hint = exc.error_hint
            raise RemoteProtocolError(f"record {number}: {exc}", error_hint=hint) from None

    def drain(self) -> list[TurnEnded]:
        """Collect errors and ended turns from the machine's events; returns the ended ones."""
        ended: list[TurnEnded] = []
        while (event := self.socket.next_event()) is not NEED_DATA:
            inner = event.event if isinstance(event, TurnEvent) else event
            if isinstance(inner, APIError):
                self.errors.append(
                    {
                        "code": inner.code,
                        "message": inner.message,
                        "classification": inner.classification,
                    }
                )
            if isinstance(event, TurnEnded):
                ended.append(event)
                self.turns.append(_turn_summary(event))
        return ended


def replay_responses_ws(
    records: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """Replay; returns ``(turns, errors, sent, divergences)`` for `ReplaySummary`.

    Driven by the ``app`` records when the trace has any, else by the recorded creates.
    Raises `RemoteProtocolError` for a record that cannot be replayed (it names the record)."""
    records = list(records)
    if any(record.get("op") == "app" for record in records):
        run = _replay_commands(records, header, progress)
    else:
        run = _replay_frames(records, _socket_options(_config(header)), progress)
    return run.turns, run.errors, run.sent, run.divergences


def _replay_commands(
    records: list[Mapping[str, Any]], header: Mapping[str, Any] | None, progress: Progress | None
) -> _Run:
    """Run the recorded commands; every frame the machine sends must be the next ``send``."""
    first = next((r["msg"] for r in records if r.get("op") == "send" and "msg" in r), None)
    machine = _machine(header, first if isinstance(first, dict) else {})
    run = _Run(machine)
    unmatched: deque[tuple[int, Any]] = deque()  # (record it followed, frame) not yet recorded
    turn_ids: dict[int, int] = {}  # recorded turn id -> the replay's
    handshake: tuple[float, int] | None = None  # (t, record) of a `request` not yet open
    handshakes = any(r.get("op") in ("request", "response") for r in records)

    def settle(number: int) -> None:
        run.drain()
        unmatched.extend((number, redact_message(frame)) for frame in run.outgoing())
        run.drain()

    def unrecorded(count: int | None = None) -> None:
        """The oldest `count` (default: all) unmatched frames never made it into the trace."""
        for _ in range(len(unmatched) if count is None else count):
            origin, frame = unmatched.popleft()
            run.divergences.add(
                origin,
                f"the machine then sent {_json(frame)}, which the trace does not record",
                produced=frame,
            )

    def connect(t: float, number: int) -> None:
        if machine.state is not ConnectionState.DISCONNECTED:  # the trace missed the close
            unrecorded()
            machine.connection_lost()
        machine.connection_made(t)
        settle(number)

    def expect(number: int, frame: Any) -> None:
        position = next((i for i, (_, f) in enumerate(unmatched) if f == frame), None)
        if position is None:
            if not unmatched:
                run.divergences.add(
                    number, f"recorded {_json(frame)} but the machine sent nothing", expected=frame
                )
                return
            _, produced = unmatched.popleft()
            run.divergences.add(
                number,
                f"recorded {_json(frame)} but the machine sent {_json(produced)}",
                expected=frame,
                produced=produced,
            )
            return
        unrecorded(position)  # sent before the recorded one, never recorded themselves
        unmatched.popleft()

    def command(number: int, record: Mapping[str, Any]) -> None:
        call, args = record.get("call"), record.get("args", {})
        if call not in _CALLS or not isinstance(args, dict):
            raise RemoteProtocolError(
                f"record {number}: app call {call!r} cannot be replayed", error_hint="trace"
            )
        kwargs = dict(args)
        turn = kwargs.get("turn_id")
        if isinstance(turn, int):
            if turn not in turn_ids:
                run.divergences.append(f"record {number}: {call} of turn {turn}, never created")
                return
            kwargs["turn_id"] = turn_ids[turn]
        if isinstance(kwargs.get("params"), dict):
            kwargs["params"] = _generation_params(kwargs["params"], f"record {number}")
        try:
            result = getattr(machine, call)(**kwargs)
        except (LocalProtocolError, TypeError, ValueError) as exc:
            run.divergences.append(f"record {number}: {call} raised: {exc}")
            return
        recorded = record.get("returns")
        if call in _NEW_TURN:  # without a recorded id, the replay's stands for it
            turn_ids[recorded if isinstance(recorded, int) else result] = result
        elif "returns" in record and msgspec.to_builtins(result) != recorded:
            run.divergences.append(
                f"record {number}: {call} returned {_json(result)}, recorded {_json(recorded)}"
            )

    for number, record in ticking(records, progress):
        op, t = record.get("op"), _time(record)
        if op == "request":
            handshake = (t, number)
            continue
        if op == "response":  # the handshake's answer: 101 opens the socket, others refuse it
            opening = handshake is not None or machine.state is ConnectionState.DISCONNECTED
            if record.get("status", 101) == 101 and opening:
                connect(t, number)
            handshake = None
            continue
        if handshake is not None:
            connect(*handshake)
            handshake = None
        if op == "send":
            if machine.state is ConnectionState.DISCONNECTED and not handshakes:
                connect(t, number)  # a trace without handshakes opens at its first send
            expect(number, record.get("msg"))
        elif op == "app":
            command(number, record)
            settle(number)
        elif op == "recv":
            run.feed(number, record.get("msg"))
            settle(number)
        elif op == "closed":
            unrecorded()
            machine.connection_lost()
            settle(number)
        elif op == "timeout":
            machine.handle_timeout(t)
            settle(number)
    if handshake is not None:
        connect(*handshake)
    unrecorded()
    return run


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return list(value) if isinstance(value, list) else []


def _replay_frames(
    records: list[Mapping[str, Any]], options: Mapping[str, Any], progress: Progress | None
) -> _Run:
    """Turn each recorded ``response.create`` back into a full-history command; a frame the
    machine sends on its own (a resend) must match the next recorded frame."""
    run = _Run(None)
    contexts: dict[str, tuple[Any, ...]] = {}  # response id -> the conversation it ends
    histories: dict[int, tuple[Any, ...]] = {}
    automatic: deque[Any] = deque()  # frames the machine sent on its own (resends)
    connected = False

    def drain() -> None:
        for event in run.drain():
            result = event.result
            if result is not None and result.response_id is not None:
                contexts[result.response_id] = histories.get(event.turn, ()) + tuple(
                    as_input_item(msgspec.to_builtins(o)) for o in result.output
                )

    for number, record in ticking(records, progress):
        op = record.get("op")
        if op == "send":
            frame = record.get("msg")
            if not isinstance(frame, dict):
                run.divergences.append(f"record {number}: send without a message")
                continue
            if run.machine is None:
                run.machine = ResponsesSocket(_params(frame), **options)
            machine = run.machine
            if not connected:
                machine.connection_made(_time(record))
                connected = True
                automatic.extend(run.outgoing())
                drain()
            if automatic:
                expected = automatic.popleft()
                if expected != frame:
                    run.divergences.append(
                        f"record {number}: recorded {_json(frame)} "
                        f"but the machine resent {_json(expected)}"
                    )
                continue
            if frame.get("type") != "response.create":
                run.sent.append(frame)
                continue
            previous = frame.get("previous_response_id")
            base = contexts.get(previous, ()) if isinstance(previous, str) else ()
            history = (*base, *_items(frame.get("input")))
            lane = frame.get("stream_id")
            turn = machine.create(
                history=history,
                lane=lane if isinstance(lane, str) else None,
                generate=frame.get("generate") is not False,
                params=_params(frame),
            )
            histories[turn] = history
            produced = run.outgoing()
            if frame not in produced:
                run.divergences.append(
                    f"record {number}: recorded {_json(frame)} but the machine sent "
                    f"{_json(produced)}"
                )
            drain()
        elif run.machine is None:
            continue
        elif op == "recv":
            run.feed(number, record.get("msg"))
            drain()
            automatic.extend(run.outgoing())
            drain()
        elif op == "closed":
            run.machine.connection_lost()
            connected = False
            drain()
        elif op == "timeout":
            run.machine.handle_timeout(_time(record))
            drain()
    return run
