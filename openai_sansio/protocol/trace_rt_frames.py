"""Frames replay of realtime traces: the caller's commands rebuilt from the frames it sent.

What: a realtime trace without ``app`` records (older or hand-written) does not say which
`RealtimeSession` verb the caller used, only the client frames that went out. `FramesRebuild`
gives the machine, for a recorded ``send``, the command that sends that frame, with the
recorded ids handed out by the replay's id source: ``session.update`` -> `update_session`,
``conversation.item.create`` -> `submit_tool_output` for a plain ``function_call_output``
(so the machine knows the tool batch), else `send_item`; ``response.create`` ->
`create_response`; ``response.cancel`` followed by a truncate/delete -> `interrupt` with
``server_cancels=False``, a lone truncate -> `interrupt` with ``server_cancels=True``, a lone
cancel -> `cancel_response`; a delete or retrieve by name; commit and clear likewise. The
rebuilt command must send the recorded frame at once, else that is a divergence.

Why separate: rebuilding commands from frames is the guesswork of one replay mode; the rest of
`trace_rt` (feeding server frames, matching sent frames, command replay, summaries) does not
depend on it. It is a mixin of `trace_rt._Replay` (the state is the replay's; declared here
for the type checker).

Next: `_Replay.send` calls `rebuild(number, frame)` (through `at_best_point`) when a recorded
frame matches nothing the machine sent on its own; the replay goes on with the next record.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import msgspec

from .realtime import RealtimeSession
from .trace_common import ABSENT

if TYPE_CHECKING:
    from collections.abc import Callable

    from .trace_rt import _Ids

__all__ = ["FramesRebuild"]

_INTERRUPTION: Final = frozenset({"conversation.item.truncate", "conversation.item.delete"})
_encoder: Final = msgspec.json.Encoder()


def _json(value: Any) -> str:
    """`value` as JSON for a divergence's text (cut at 300 characters)."""
    return _encoder.encode(value).decode()[:300]


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class FramesRebuild:
    """Mixin of `trace_rt._Replay`: frames replay (see the module docs)."""

    records: list[Mapping[str, Any]]
    machine: RealtimeSession
    ids: _Ids
    unmatched: deque[tuple[int, Any]]
    diverge: Callable[..., None]
    settle: Callable[[int], None]
    take: Callable[[Any], bool]

    def rebuild(self, number: int, frame: Mapping[str, Any]) -> bool:
        """Frames replay: give the command that sent `frame` (with its recorded ids)."""
        self.ids.follow(frame.get("event_id"))
        before = len(self.unmatched)
        try:
            self._rebuilt_command(number, frame)
        except Exception as exc:  # no such command, bad fields, or the machine fails
            self.diverge(number, f"{frame.get('type')} cannot be replayed: {exc!r}")
        finally:
            self.ids.forced.clear()
            self.settle(number)
        if self.take(frame):
            return True
        made = [f for _, f in list(self.unmatched)[before:]]
        self.diverge(
            number,
            f"recorded {_json(frame)} but the machine sent {_json(made) if made else 'nothing'}",
            expected=frame,
            produced=(made[0] if len(made) == 1 else made) if made else ABSENT,
        )
        for produced in made:  # reported here, not again as unrecorded
            self.take(produced)
        return False

    def _rebuilt_command(self, number: int, frame: Mapping[str, Any]) -> None:
        kind, machine, force = frame.get("type"), self.machine, self.ids.force
        event_id = _str(frame.get("event_id"))
        if kind == "session.update":
            session = _dict(frame.get("session"), "session")
            force(event_id)
            machine.update_session(**{k: v for k, v in session.items() if k != "type"})
        elif kind == "input_audio_buffer.commit":
            force(event_id)
            machine.commit_audio()
        elif kind == "input_audio_buffer.clear":
            force(event_id)
            machine.clear_audio()
        elif kind == "conversation.item.create":
            self._item(frame, event_id)
        elif kind == "response.create":
            force(event_id)
            machine.create_response(**_dict(frame.get("response", {}), "response"))
        elif kind == "response.cancel":
            after = self._next_send(number)
            if isinstance(after, dict) and after.get("type") in _INTERRUPTION:
                force(event_id, _str(after.get("event_id")))
                machine.interrupt(played_ms=_ms(after.get("audio_end_ms")), server_cancels=False)
            else:
                force(event_id)
                machine.cancel_response()
        elif kind == "conversation.item.truncate":
            force(event_id)
            machine.interrupt(played_ms=_ms(frame.get("audio_end_ms")), server_cancels=True)
        elif kind in ("conversation.item.delete", "conversation.item.retrieve"):
            item_id = frame.get("item_id")
            if not isinstance(item_id, str):
                raise ValueError("no item_id")
            force(event_id)
            if kind == "conversation.item.delete":
                machine.delete_item(item_id)
            else:
                machine.retrieve_item(item_id)
        else:
            raise ValueError("no command of the machine sends it")

    def _item(self, frame: Mapping[str, Any], event_id: str | None) -> None:
        item = _dict(frame.get("item"), "item")
        item_id = item.get("id")
        # the machine's item ids are "item_" + an id of the factory: hand that one out
        stub = item_id[5:] if isinstance(item_id, str) and item_id.startswith("item_") else None
        self.ids.force(stub, event_id)
        call_id, output = item.get("call_id"), item.get("output")
        if (
            item.get("type") == "function_call_output"
            and isinstance(call_id, str)
            and isinstance(output, str)
            and set(item) <= {"type", "call_id", "output", "id"}
            and "previous_item_id" not in frame
            and (item_id is None or stub is not None)
        ):
            self.machine.submit_tool_output(call_id, output)
        else:
            previous = frame.get("previous_item_id")
            self.machine.send_item(item, previous_item_id=_str(previous))

    def _next_send(self, number: int) -> Any:
        for record in self.records[number:]:
            if record.get("op") == "send":
                return record.get("msg")
        return None


def _dict(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} is not an object")
    return value


def _ms(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0
