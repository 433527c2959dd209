"""Replay of ``responses-ws`` traces (Responses WebSocket mode) through a fresh `ResponsesSocket`.

A trace holds the client frames (``send``) and the server frames (``recv``), in order, plus
``closed`` / ``timeout`` records. Replaying turns each recorded ``response.create`` back into
the command that produced it — the conversation it continued (the recorded context of its
``previous_response_id``, plus its input) — lets the machine decide again what to send, and
compares: a different frame is a *divergence* (the machine would now behave differently on the
same traffic). Server frames are fed as recorded. A hand-written trace of ``send``/``recv``
records replays the same way, which is how a bug report becomes a test.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec

from .events.common import NEED_DATA, APIError
from .requests import GenerationParams
from .responses_ledger import as_input_item
from .responses_ws import ResponsesSocket
from .responses_ws_events import TurnEnded, TurnEvent

__all__ = ["replay_responses_ws"]

_FRAME_KEYS: Final = frozenset(
    {"type", "model", "input", "previous_response_id", "store", "stream_id", "generate"}
)
"""Keys the machine decides itself; every other recorded key is replayed through
``extra_body`` (``stream``/``background`` are left out: the socket never sends them, so a
recorded one shows up as a divergence instead of stopping the replay)."""
_NOT_REPLAYED: Final = frozenset({"stream", "background"})
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


def _params(frame: Mapping[str, Any]) -> GenerationParams:
    extra = {k: v for k, v in frame.items() if k not in _FRAME_KEYS and k not in _NOT_REPLAYED}
    store = frame.get("store")
    return GenerationParams(
        model=str(frame.get("model") or "unknown-model"),
        store=store if isinstance(store, bool) else None,
        extra_body=extra or None,
    )


def _items(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return list(value) if isinstance(value, list) else []


def replay_responses_ws(
    records: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """Replay; returns ``(turns, errors, sent, divergences)`` for `ReplaySummary`."""
    machine: ResponsesSocket | None = None
    contexts: dict[str, tuple[Any, ...]] = {}
    histories: dict[int, tuple[Any, ...]] = {}
    turns: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    sent: list[Any] = []
    divergences: list[str] = []
    automatic: deque[dict[str, Any]] = deque()  # frames the machine sent on its own (resends)
    connected = False

    def collect() -> None:
        assert machine is not None
        for frame in machine.data_to_send():
            decoded = _decoder.decode(frame)
            sent.append(decoded)
            automatic.append(decoded)

    def drain() -> None:
        assert machine is not None
        while (event := machine.next_event()) is not NEED_DATA:
            inner = event.event if isinstance(event, TurnEvent) else event
            if isinstance(inner, APIError):
                errors.append(
                    {
                        "code": inner.code,
                        "message": inner.message,
                        "classification": inner.classification,
                    }
                )
            if isinstance(event, TurnEnded):
                result = event.result
                if result is not None and result.response_id is not None:
                    contexts[result.response_id] = histories.get(event.turn, ()) + tuple(
                        as_input_item(msgspec.to_builtins(o)) for o in result.output
                    )
                turns.append(
                    {
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
                )

    for number, record in enumerate(records, 1):
        op = record.get("op")
        t = float(record.get("t", 0.0) or 0.0)
        if op == "send":
            frame = record.get("msg")
            if not isinstance(frame, dict):
                divergences.append(f"record {number}: send without a message")
                continue
            if machine is None:
                machine = ResponsesSocket(_params(frame))
            if not connected:
                machine.connection_made(t)
                connected = True
                collect()
                drain()
            if automatic:
                expected = automatic.popleft()
                if expected != frame:
                    divergences.append(
                        f"record {number}: recorded {_encoder.encode(frame).decode()[:300]} "
                        f"but the machine resent {_encoder.encode(expected).decode()[:300]}"
                    )
                continue
            if frame.get("type") != "response.create":
                sent.append(frame)
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
            produced = [_decoder.decode(f) for f in machine.data_to_send()]
            sent.extend(produced)
            if frame not in produced:
                divergences.append(
                    f"record {number}: recorded {_encoder.encode(frame).decode()[:300]} "
                    f"but the machine sent {_encoder.encode(produced).decode()[:300]}"
                )
            drain()
        elif op == "recv" and machine is not None:
            message = record.get("msg")
            machine.receive_message(_encoder.encode(message))
            drain()
            collect()
            drain()
        elif op == "closed" and machine is not None:
            machine.connection_lost()
            connected = False
            drain()
        elif op == "timeout" and machine is not None:
            machine.handle_timeout(t)
            drain()
    return turns, errors, sent, divergences
