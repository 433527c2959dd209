"""Fuzz target: the Responses WebSocket conversation machine
(`openai_sansio.protocol.responses_ws.ResponsesSocket`).

Input layout: byte 0 picks the machine's settings (bit 0 ``store``, bit 1 ``replay_unsafe``,
bit 2 a 100 s rotation age, bit 3 at most 3 queued turns). The rest is a sequence of
operations. Each starts with one byte: ``byte % 16`` is the operation, ``byte // 16`` its
variant (0..15); the operation then reads the arguments it needs (missing bytes read as 0):

* ``feed`` (0..3): a server frame from a template (`TEMPLATES`; one byte picks it, one byte
  the response id, lane (``stream_id``) and call id from small pools, one byte a choice),
  damaged for variants 10..15 (a field dropped, nulled or of the wrong type);
* ``raw`` (4): two bytes of length, then that many bytes fed as one message (variant odd:
  as text);
* the caller's commands: ``create`` (5; variant: the style (``% 8``: text, items, full
  history, a tool output for a surfaced call, a warm-up-like ``generate=False``, an invalid
  lane, input and history together, ``background`` / ``stream`` in ``extra_body``) and the
  lane (``// 8``); then a length byte and the text), ``cancel`` (6; a byte picks a turn,
  or one never created), ``steer`` (7; a byte picks a turn), ``prewarm`` (8);
* ``connection_lost`` / ``connection_made`` (9; variant 1: ``connection_lost(error)``, the
  transport gave up);
* the clock (10; two bytes of seconds, variant odd: minutes), then ``handle_timeout``.

Server frames are fed only while connected. After every operation the harness takes
`data_to_send()` and drains `events()`; at the end the transport gives up
(``connection_lost(error)``). Invariants (as `tests/test_responses_socket_stateful.py`):

* `receive_message` returns or raises `RemoteProtocolError`; the commands return or raise
  `LocalProtocolError`; `connection_made` (when disconnected), `connection_lost`,
  `handle_timeout`, `data_to_send` and `events` never raise; nothing else escapes;
* every frame handed out is a JSON ``response.create`` (no ``stream``, no ``background``,
  a valid ``stream_id`` if any; one `TurnStarted` each) or ``response.steer``; nothing is
  handed out while disconnected, and only steers while the connection drains;
* each turn ends (`TurnEnded`) exactly once, and every turn created has ended once the
  transport gave up; no `TurnEvent` for a turn after its end or its cancel (but the outcome
  of a ``response.steer``, which the server sends after the response's end);
* each function call surfaces once per response (no two `ToolCall`s of a turn for one item
  id between two ``response.created`` / terminal frames);
* memory stays bounded: the steered-response map (`MAX_STEERED`), one chain, conversation
  and in-flight queue per lane; no ended turn kept.

Run: ``python fuzz/fuzz_responses_socket.py fuzz/corpus/responses_socket`` (an empty or
missing corpus directory is seeded first; see `seeds`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_responses_socket.py` puts fuzz/ on sys.path only
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import LocalProtocolError, RemoteProtocolError
    from openai_sansio.protocol.events.common import APIError, ToolCall
    from openai_sansio.protocol.requests import GenerationParams
    from openai_sansio.protocol.responses_ws import (
        MAX_STEERED,
        STREAM_ID,
        ConnectionState,
        ResponsesSocket,
        TurnState,
    )
    from openai_sansio.protocol.responses_ws_events import (
        ReconnectNeeded,
        RotateConnection,
        TurnEnded,
        TurnEvent,
        TurnNotReplayed,
        TurnRetried,
        TurnStarted,
    )

# The harness, imported after the code under test so that atheris leaves it uninstrumented.
from fuzz._common import (  # noqa: E402
    SHARED,
    KnownBugs,
    Reader,
    example_events,
    op,
    raw,
    seed_corpus_dirs,
    tolerating_known,
    tpl,
    trace_records,
)

ALLOWED = (
    TurnStarted,
    TurnEvent,
    TurnEnded,
    TurnRetried,
    TurnNotReplayed,
    ReconnectNeeded,
    RotateConnection,
    APIError,
)
MODEL = "gpt-5.5"
RESPONSE_IDS = ("resp_1", "resp_2", "resp_3", "resp_4")
LANES = (None, "a.2", "b")
CALL_IDS = ("call_1", "call_2", "call_3")
TERMINALS = frozenset({"response.completed", "response.incomplete", "response.failed"})
STEER_TYPES = ("response.steer.accepted", "response.steer.pending", "response.steer.failed")


class Picks:
    """What a template reads: a response id, a lane, a call id, and a choice byte."""

    def __init__(self, a: int, b: int) -> None:
        self.response = RESPONSE_IDS[a % 4]
        self.lane = LANES[(a >> 2) % 3]
        self.call = CALL_IDS[(a >> 4) % 3]
        self.b = b

    def choice(self, options: tuple[Any, ...], shift: int = 0) -> Any:
        return options[(self.b >> shift) % len(options)]

    def frame(self, kind: str, **fields: Any) -> dict[str, Any]:
        frame = {"type": kind, **fields, "sequence_number": self.b % 8}
        if self.lane is not None:
            frame["stream_id"] = self.lane
        return frame


def _message(p: Picks, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": "Hi.", "annotations": []}]
    return {
        "type": "message",
        "id": f"msg_{p.response}",
        "status": status,
        "role": "assistant",
        "content": content if status == "completed" else [],
    }


def _call(p: Picks, status: str = "completed") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"fc_{p.call}",
        "call_id": p.call,
        "name": "get_weather",
        "arguments": p.choice(('{"city": "Paris"}', "{", "", "[]")),
        "status": status,
    }


def _response(p: Picks, status: str, **extra: Any) -> dict[str, Any]:
    output = [] if status == "in_progress" else p.choice(([], [_message(p)], [_call(p)]), 2)
    return {
        "id": p.response,
        "object": "response",
        "created_at": 1_763_856_000,
        "status": status,
        "model": MODEL,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        **extra,
    }


def _error(p: Picks) -> dict[str, Any]:
    code = p.choice(
        (
            "previous_response_not_found",
            "websocket_connection_limit_reached",
            "server_error",
            "rate_limit_exceeded",
        )
    )
    frame = p.frame(
        "error", status=400, error={"type": "invalid_request_error", "code": code, "message": "x"}
    )
    if p.b & 64:
        frame.pop("stream_id", None)  # connection-scoped
    return frame


def _steer(p: Picks, kind: str) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": kind,
        "steer": {"id": "steer_1", "previous_response_id": p.response, "input": "x"},
        "sequence_number": 0,
    }
    if kind.endswith("failed"):
        frame["error"] = {
            "type": "invalid_request_error",
            "code": p.choice(("successor_creation_failed", "response_already_completed")),
            "message": "no",
        }
    return frame


TEMPLATES: tuple[tuple[str, Callable[[Picks], dict[str, Any]]], ...] = (
    (
        "response.created",
        lambda p: p.frame("response.created", response=_response(p, "in_progress")),
    ),
    ("response.created/2", lambda p: TEMPLATES[0][1](p)),
    (
        "response.in_progress",
        lambda p: p.frame("response.in_progress", response=_response(p, "in_progress")),
    ),
    (
        "response.output_item.added",
        lambda p: p.frame(
            "response.output_item.added",
            output_index=0,
            item=p.choice((_message(p, "in_progress"), _call(p, "in_progress"))),
        ),
    ),
    (
        "response.output_text.delta",
        lambda p: p.frame(
            "response.output_text.delta",
            item_id=f"msg_{p.response}",
            output_index=0,
            content_index=0,
            delta=p.choice(("Hi", ".", "")),
            logprobs=[],
        ),
    ),
    (
        "response.function_call_arguments.delta",
        lambda p: p.frame(
            "response.function_call_arguments.delta",
            item_id=f"fc_{p.call}",
            output_index=0,
            delta='{"city": ',
        ),
    ),
    (
        "response.function_call_arguments.done",
        lambda p: p.frame(
            "response.function_call_arguments.done",
            item_id=f"fc_{p.call}",
            output_index=0,
            name="get_weather",
            arguments='{"city": "Paris"}',
        ),
    ),
    (
        "response.output_item.done/function_call",
        lambda p: p.frame("response.output_item.done", output_index=0, item=_call(p)),
    ),
    (
        "response.output_item.done/message",
        lambda p: p.frame("response.output_item.done", output_index=0, item=_message(p)),
    ),
    (
        "response.completed",
        lambda p: p.frame("response.completed", response=_response(p, "completed")),
    ),
    ("response.completed/2", lambda p: TEMPLATES[9][1](p)),
    (
        "response.incomplete",
        lambda p: p.frame(
            "response.incomplete",
            response=_response(
                p,
                "incomplete",
                incomplete_details={"reason": p.choice(("steered", "max_output_tokens"), 4)},
            ),
        ),
    ),
    (
        "response.failed",
        lambda p: p.frame(
            "response.failed",
            response=_response(
                p,
                "failed",
                error={
                    "code": p.choice(("previous_response_not_found", "server_error"), 4),
                    "message": "x",
                },
            ),
        ),
    ),
    ("error", _error),
    ("error/2", _error),
    ("response.steer.accepted", lambda p: _steer(p, "response.steer.accepted")),
    ("response.steer.pending", lambda p: _steer(p, "response.steer.pending")),
    ("response.steer.failed", lambda p: _steer(p, "response.steer.failed")),
    ("response.brand_new", lambda p: p.frame("response.brand_new", item_id="x")),
)
"""Server frames by template byte, named (a name says which one a seed means)."""
T = {name: index for index, (name, _) in enumerate(TEMPLATES)}
_DAMAGE: tuple[Any, ...] = (None, 0, "x", [], {}, True, -1)


def damage(event: dict[str, Any], variant: int, how: int) -> dict[str, Any]:
    """Variants 10..15 break the frame: drop / null / retype a field, at the top or in its
    ``response`` / ``item`` / ``error`` / ``steer`` object."""
    if variant < 10:
        return event
    target = event
    if variant >= 13:
        nested = [
            k for k in ("response", "item", "error", "steer") if isinstance(event.get(k), dict)
        ]
        if nested:
            target = event[nested[0]] = dict(event[nested[0]])
    keys = sorted(k for k in target if not (target is event and k == "type"))
    if not keys:
        return event
    key = keys[how % len(keys)]
    if variant in (10, 13):
        del target[key]
    elif variant in (11, 14):
        target[key] = None
    else:
        target[key] = _DAMAGE[(how >> 4) % len(_DAMAGE)]
    return event


FEED, RAW, CREATE, CANCEL, STEER, PREWARM, TOGGLE, CLOCK = 0, 4, 5, 6, 7, 8, 9, 10
"""Operation numbers (``byte % 16``); 0..3 all feed a template; 11..15 are no-ops."""
TEXT, ITEMS, HISTORY, TOOL_OUTPUT, NO_GENERATE, BAD_LANE, BOTH, EXTRA_BODY = range(8)
"""Styles of ``create`` (``variant % 8``)."""


class Harness:
    """One machine, what the harness saw of it, and the checks after each operation."""

    def __init__(self, settings: int) -> None:
        params = GenerationParams(model=MODEL, store=bool(settings & 1))
        self.machine = ResponsesSocket(
            params,
            replay_unsafe=bool(settings & 2),
            rotate_after_s=100.0 if settings & 4 else 55 * 60.0,
            max_queued_turns=3 if settings & 8 else 64,
        )
        self.now = 0.0
        self.created: list[int] = []
        self.ended: set[int] = set()
        self.statuses: list[str] = []  # of every TurnEnded
        self.cancelled: set[int] = set()
        self.calls: list[str] = []  # call ids surfaced, for tool outputs
        self.seen_calls: dict[int, set[Any]] = {}  # turn -> item ids of its current response
        self.closing: set[int] = set()  # turns whose response just ended
        self.lanes: set[str | None] = {None, *LANES}  # every lane a turn was created on
        self.frames: list[bytes] = []  # everything handed out, for the SDK check

    # -------------------------------------------------------------- operations

    @property
    def connected(self) -> bool:
        return self.machine.state is not ConnectionState.DISCONNECTED

    def feed(self, message: bytes | str) -> None:
        if self.connected:  # a closed socket delivers nothing
            with suppress(RemoteProtocolError):
                self.machine.receive_message(message)

    def command(self, run: Callable[[], Any]) -> Any:
        try:
            return run()
        except LocalProtocolError:
            return None

    def create(self, variant: int, text: str) -> None:
        style, lane = variant % 8, LANES[(variant >> 3) % 2]
        m = self.machine
        item = {"type": "message", "role": "user", "content": text}
        if style == TEXT:
            turn = self.command(lambda: m.create(text, lane=lane))
        elif style == ITEMS:
            turn = self.command(lambda: m.create([item], lane=lane))
        elif style == HISTORY:
            turn = self.command(lambda: m.create(history=[*m.conversation(lane), item], lane=lane))
        elif style == TOOL_OUTPUT:
            call = self.calls[-1] if self.calls else "call_x"
            output = {"type": "function_call_output", "call_id": call, "output": "42"}
            turn = self.command(lambda: m.create([output], lane=lane))
        elif style == NO_GENERATE:
            turn = self.command(lambda: m.create(text, lane=lane, generate=False))
        elif style == BAD_LANE:  # refused, unless the text happens to be a valid lane
            lane = text or "bad lane"
            turn = self.command(lambda: m.create(text, lane=lane))
        elif style == BOTH:
            turn = self.command(lambda: m.create(text, history=[item]))
        else:
            extra = {"background": True} if text.startswith("b") else {"stream": True}
            params = GenerationParams(model=MODEL, store=m.store, extra_body=extra)
            turn = self.command(lambda: m.create(text, lane=lane, params=params))
        if turn is not None:
            assert turn not in self.created, "a turn id given twice"
            self.created.append(turn)
            self.lanes.add(lane)

    def pick(self, byte: int) -> int:
        if self.created and byte < 240:
            return self.created[byte % len(self.created)]
        return len(self.created) + 1 + byte % 3  # never created

    def cancel(self, byte: int) -> None:
        turn = self.pick(byte)
        was_live = turn in self.created and turn not in self.ended
        self.command(lambda: self.machine.cancel(turn))
        if was_live:
            self.cancelled.add(turn)

    # -------------------------------------------------------------- checks

    def after(self) -> None:
        """Take the frames and events of the last operation and check them."""
        state = self.machine.state
        self.check_events(self.machine.events())
        frames = self.machine.data_to_send()
        if state is ConnectionState.DISCONNECTED:
            assert frames == [], "frames handed out while disconnected"
        creates = [self.check_frame(f, state) for f in frames]
        new = list(self.machine.events())
        starts = [e for e in new if isinstance(e, TurnStarted)]
        assert sum(creates) == len(starts), "response.create frames and TurnStarted differ"
        self.check_events(new)
        m = self.machine
        assert len(m._steered) <= MAX_STEERED, "steered responses unbounded"
        lanes = len(self.lanes)
        assert len(m._chains) <= lanes and len(m._conversation) <= lanes, "per-lane state"
        assert len(m._inflight) <= lanes, "in-flight queues beyond the lanes"
        for turn_id, turn in m._turns.items():
            assert turn.state is not TurnState.DONE, f"turn {turn_id} kept after its end"
            assert turn_id not in self.ended or turn_id in self.cancelled, "an ended turn kept"

    def check_frame(self, frame: bytes, state: Any) -> bool:
        """Check one frame handed out; whether it is a ``response.create``."""
        assert isinstance(frame, bytes), f"frame is {type(frame).__name__}"
        body = json.loads(frame)
        assert isinstance(body, dict), "a frame that is not a JSON object"
        self.frames.append(frame)
        if body.get("type") == "response.steer":
            assert set(body) == {"type", "previous_response_id", "input"}, "steer fields"
            return False
        assert body.get("type") == "response.create", f"a {body.get('type')!r} frame"
        assert state is ConnectionState.OPEN, "a response.create while draining"
        assert "stream" not in body and "background" not in body, "stream/background sent"
        lane = body.get("stream_id")
        assert lane is None or STREAM_ID.fullmatch(lane), f"stream_id {lane!r}"
        return True

    def check_events(self, events: Any) -> None:
        for event in events:
            assert isinstance(event, ALLOWED), f"undocumented event {type(event).__name__}"
            if isinstance(event, TurnEnded):
                assert event.turn in self.created, f"unknown turn {event.turn} ended"
                assert event.turn not in self.ended, f"turn {event.turn} ended twice"
                self.ended.add(event.turn)
                self.statuses.append(event.status)
            elif isinstance(event, TurnEvent):
                inner = event.event
                steer = getattr(inner, "type", None) in STEER_TYPES
                assert event.turn not in self.cancelled, f"an event of cancelled turn {event.turn}"
                assert event.turn not in self.ended or steer, f"an event after turn {event.turn}"
                # the calls of a terminal frame's output surface right after it; any other
                # event after them, or a response.created, starts the next response
                seen = self.seen_calls.setdefault(event.turn, set())
                kind = getattr(inner, "type", None)
                if isinstance(inner, ToolCall):
                    key = inner.item_id or inner.call_id
                    assert key not in seen, f"call {key!r} surfaced twice in one response"
                    seen.add(key)
                    self.calls.append(inner.call_id)
                    continue
                if event.turn in self.closing or kind == "response.created":
                    seen.clear()
                    self.closing.discard(event.turn)
                if kind in TERMINALS:
                    self.closing.add(event.turn)
            elif isinstance(event, TurnStarted | TurnRetried):
                assert event.turn in self.created and event.turn not in self.ended
                self.seen_calls.pop(event.turn, None)  # a new response stream
                self.closing.discard(event.turn)


def _operate(h: Harness, r: Reader) -> None:
    op = r.byte()
    kind, variant = op % 16, op // 16
    m = h.machine
    if kind < RAW:
        _, template = TEMPLATES[r.byte() % len(TEMPLATES)]
        picks = Picks(r.byte(), r.byte())
        event = damage(template(picks), variant, r.byte() if variant >= 10 else 0)
        text = json.dumps(event, ensure_ascii=(variant & 1) == 0)
        h.feed(text if variant & 2 else text.encode())
    elif kind == RAW:
        message = r.take(r.u16())
        h.feed(message.decode("utf-8", "replace") if variant & 1 else message)
    elif kind == CREATE:
        h.create(variant, r.take(r.byte()).decode("utf-8", "replace"))
    elif kind == CANCEL:
        h.cancel(r.byte())
    elif kind == STEER:
        turn = h.pick(r.byte())
        steer = "steer" if variant & 1 else [{"type": "message", "role": "user", "content": "s"}]
        h.command(lambda: m.steer(turn, steer))
    elif kind == PREWARM:
        turn = h.command(lambda: m.prewarm(instructions="Be brief." if variant & 1 else None))
        if turn is not None:
            h.created.append(turn)
    elif kind == TOGGLE:
        if h.connected or variant & 2:
            error = APIError.build("gave up", code="connect_failed") if variant & 1 else None
            m.connection_lost(error)
        else:
            m.connection_made(h.now)
    elif kind == CLOCK:
        h.now += r.u16() * (60.0 if variant & 1 else 1.0)
        m.handle_timeout(h.now)
    h.after()


def run(data: bytes) -> Harness | None:
    """Run one input; the harness (with every frame handed out) for the mirror test."""
    if not data:
        return None
    harness = Harness(data[0])
    harness.machine.connection_made(0.0)
    harness.after()
    reader = Reader(data, 1)
    while reader:
        _operate(harness, reader)
    harness.machine.connection_lost(APIError.build("the end", code="connect_failed"))
    harness.after()
    unended = [t for t in harness.created if t not in harness.ended]
    assert not unended, f"turns {unended} never ended"
    return harness


KNOWN_BUGS: KnownBugs = ()
"""Failures found and reported (strict-xfail reproducers in
``tests/test_fuzz_socket_mirrors.py``); remove an entry with its fix."""
TestOneInput = tolerating_known(run, KNOWN_BUGS)


# --------------------------------------------------------------------------------------------
# Seeds: the recorded Responses WebSocket traces, the official examples, the templates.


def create(text: str = "hi", style: int = TEXT, lane: int = 0) -> bytes:
    body = text.encode()
    return op(CREATE, style + 8 * lane, bytes([len(body)]) + body)


def _from_trace(records: list[dict[str, Any]]) -> bytes:
    """A recorded session as operations (its lanes renamed to the pool's)."""
    header = records[0]
    config = header.get("config", {})
    settings = bool(config.get("params", {}).get("store")) | 2 * bool(
        config.get("socket", {}).get("replay_unsafe")
    )
    lanes: dict[str, int] = {}
    out = bytearray([settings])
    connected = True  # `run` opens the first socket
    for record in records[1:]:
        what = record.get("op")
        if what == "request":
            if not connected:
                out += op(TOGGLE)
            connected = True
        elif what == "closed":
            if connected:
                out += op(TOGGLE)
            connected = False
        elif what == "recv" and isinstance(record.get("msg"), dict):
            msg = dict(record["msg"])
            if isinstance(msg.get("stream_id"), str):
                msg["stream_id"] = LANES[1 + lanes.setdefault(msg["stream_id"], len(lanes)) % 2]
            out += raw(msg)
        elif what == "timeout":
            out += op(CLOCK, 1, (60).to_bytes(2, "little"))
        elif what == "app":
            args = record.get("args", {})
            call = record.get("call")
            if call == "create":
                lane = args.get("lane")
                index = 0 if lane is None else 1 + lanes.setdefault(lane, len(lanes)) % 2
                text = args.get("input") if isinstance(args.get("input"), str) else "more"
                style = HISTORY if "history" in args else TEXT
                out += create(text, style, min(index, 1))
            elif call == "cancel":
                out += op(CANCEL, 0, bytes([max(0, args.get("turn_id", 1) - 1)]))
            elif call == "steer":
                out += op(STEER, 1, bytes([max(0, args.get("turn_id", 1) - 1)]))
            elif call == "prewarm":
                out += op(PREWARM, 1)
    return bytes(out)


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    for records in trace_records("responses_ws"):
        yield _from_trace(records)
    created, completed = T["response.created"], T["response.completed"]
    # a text turn, a tool turn and its output, a steered turn, a cancel mid-stream
    yield (
        bytes([0])
        + create()
        + tpl(created)
        + tpl(T["response.output_item.added"])
        + tpl(T["response.output_text.delta"])
        + tpl(T["response.output_item.done/message"])
        + tpl(completed, 0, 4)
        + create("weather?")
        + tpl(created, 1)
        + tpl(T["response.function_call_arguments.done"], 1)
        + tpl(T["response.output_item.done/function_call"], 1)
        + tpl(completed, 1, 8)
        + create(style=TOOL_OUTPUT)
        + tpl(created, 2)
        + op(STEER, 1, b"\x02")
        + tpl(T["response.steer.accepted"], 2)
        + tpl(T["response.incomplete"], 2, 0)
        + tpl(created, 3)
        + tpl(completed, 3)
        + create("x")
        + tpl(created, 0)
        + op(CANCEL, 0, b"\x03")
        + tpl(completed, 0)
    )
    # lanes, errors, resends, a dropped socket, rotation, a warm-up
    yield (
        bytes([1 | 4])
        + op(PREWARM, 1)
        + create("a", lane=1)
        + create("b")
        + tpl(created, 4)
        + tpl(T["error"], 0, 0)
        + tpl(completed, 4)
        + op(TOGGLE)
        + op(TOGGLE)
        + tpl(created, 1)
        + tpl(T["error"], 1, 1)
        + op(CLOCK, 0, b"\xc8\x00")
        + tpl(T["response.failed"], 0, 0)
        + op(TOGGLE)
        + op(TOGGLE)
    )
    yield bytes([2 | 8]) + create() + create() + create() + create() + create() + op(TOGGLE)
    yield bytes([0]) + create("x", EXTRA_BODY) + create("b", EXTRA_BODY) + create(style=BOTH)
    for example in example_events(shared, "responses-streaming"):
        yield bytes([0]) + create() + raw(example)
    for index in range(len(TEMPLATES)):  # each template, whole and damaged
        yield bytes([0]) + create() + tpl(created) + tpl(index, 0, 7) + tpl(index, 0, 7, 13, 1)


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
