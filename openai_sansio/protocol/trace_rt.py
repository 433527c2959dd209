"""Replay of ``realtime`` traces (Realtime GA voice sessions) through a fresh `RealtimeSession`.

A realtime trace (written by ``client.realtime.connect(..., trace=...)``) holds the handshakes
(``request``, ``response``), the client frames (``send``, JSON decoded: audio is the base64
string of the wire), the server frames (``recv``), ``closed`` records and, when the client
recorded them, the caller's commands::

    {"op":"app","call":"interrupt","args":{"played_ms":870.2},"returns":{"item_id":...}}

``call`` is a `RealtimeSession` verb (`send_text`, `send_item`, `create_response`,
`cancel_response`, `interrupt`, `submit_tool_output`, `update_session`, `commit_audio`,
`clear_audio`, `delete_item`, `retrieve_item`, `next_deadline`; bytes as ``{"$b64": ...}``, or
`append_audio`'s ``audio`` as a base64 string). The header's ``config`` may name the machine's
``session``, its options (``machine``: ``rollover_after_s``, ``max_buffered_audio_ms``,
``followup``) and the ``ids`` prefix of its event-id counter.

What a replay checks:

- **Server frames** are fed to the machine exactly as recorded (re-encoded JSON); a frame it
  rejects is a divergence naming the record, and the replay goes on. Its conclusions make the
  summary: one turn per ``ResponseFinished`` (status, text or audio transcript, the tool calls
  it surfaced, usage flattened), the classified errors.
- **Handshakes**: a ``response`` 101 (or a ``request`` whose answer is not recorded, followed
  by anything but another ``request``) opens the socket (`connection_made`), ``closed``
  closes it (`connection_lost`); on a later socket the machine's restore (``session.update``,
  the conversation's items) must be in the trace.
- **Audio**: each recorded ``input_audio_buffer.append`` is given to `append_audio` (the
  client records no command for audio) and must come out byte-identical.

With ``app`` records (**commands**), every command is given again, its recorded result
compared, and every other frame the machine sends, from a command or from a server frame
(the tool follow-up ``response.create``, a ``response.cancel`` or ``conversation.item.truncate``
/ ``.delete`` of an interruption, a refused ``response.create`` resent, the restore), must be
a recorded ``send`` with the same content and ``event_id`` (the replay numbers events like the
client's default ``evt_N`` counter, with the prefix of the trace's first event id), in any
order; and every recorded ``send`` must be one of them.

Without ``app`` records (**frames**: older or hand-written traces), the caller's commands are
rebuilt from the recorded frames they sent, at the point the frame was sent, with the
recorded ids (the counter then goes on from the highest recorded one): ``session.update``
-> `update_session`, ``conversation.item.create`` -> `submit_tool_output` for a
``function_call_output`` (so the machine knows the tool batch), else `send_item`;
``response.create`` -> `create_response`; ``response.cancel`` followed by a truncate/delete
-> `interrupt` (with ``server_cancels=False``), a lone truncate -> `interrupt`
(``server_cancels=True``), a lone cancel -> `cancel_response`, a lone delete ->
`delete_item`; the rest by name (`trace_rt_frames`). A rebuilt command must send its frame
at once (a ``response.create`` the machine would hold behind an active response is a
divergence). Checked then: the frames the machine decides itself (the tool follow-up once the
recorded outputs are in, the resend of a refused create, the cancel of a response created after an
early cancel, the restore on a new socket) must be recorded, and server frames as above.
NOT checked without ``app`` records: whether the machine would cancel at a barge-in (the
recorded choice is imposed) and how much of the item it would keep (the recorded position is
replayed), and a recorded ``response.create`` that the machine did not decide itself is taken
as the caller's (a machine that stopped sending the tool follow-up goes unnoticed; one that
sends it where the trace has none, twice, or different, does not).

A recorded frame that leaves out ``event_id`` (or an item's ``id``) matches whatever id the
machine gave it, so hand-written traces of ``send``/``recv`` records (no handshake: the socket
opens at the first record) replay too; one that records no ``session.update`` at all is not
expected to record the opening one either.

Order: the transport writes a ``recv`` record when it reads a frame, which can be before the
machine handled it (it reads ahead), and a ``send`` record when a frame goes out, after what
decided it. So the replay feeds server frames lazily: when a recorded ``send`` needs them (a
frame the machine decides on them), before a handshake, ``closed``, ``timeout`` and the end,
and before a command: after all those recorded so far or, when the command's recorded result
(rebuilt: its frame) only comes out after fewer of them, after the most of them that gives it
(`_Replay.at_best_point`). Left to that guess: where exactly in a run of frames that do not
change the result a command fell, so the text of a response the caller cancelled itself may
count a delta more or less than the caller saw. Recording each ``recv`` when the machine is
fed it (and ``closed`` at `connection_lost`) would make the order exact.
"""

from __future__ import annotations

import base64
import binascii
import copy
import pickle
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import msgspec

from ._errors import LocalProtocolError
from .events.common import ToolCall
from .realtime import RealtimeSession
from .realtime_session_events import RealtimeError, ResponseFinished
from .redaction import redact_message
from .trace_common import ABSENT, Divergences, Progress, error_summary, ticking
from .trace_rt_frames import FramesRebuild, _json

__all__ = ["looks_realtime", "replay_realtime"]

_CALLS: Final = frozenset(
    {
        "update_session",
        "append_audio",
        "commit_audio",
        "clear_audio",
        "send_item",
        "send_text",
        "create_response",
        "cancel_response",
        "interrupt",
        "submit_tool_output",
        "delete_item",
        "retrieve_item",
        "next_deadline",
    }
)
"""The machine's caller verbs an ``app`` record may name (a trace is untrusted input)."""
_APPEND: Final = "input_audio_buffer.append"
_HANDSHAKE: Final = frozenset({"request", "response"})
_REALTIME_PREFIXES: Final = (
    "session.",
    "conversation.",
    "input_audio_buffer.",
    "output_audio_buffer.",
    "rate_limits.",
    "response.output_audio",
)
_REALTIME_TYPES: Final = frozenset({"response.done", "response.cancel"})
_OPTIONS: Final = {"rollover_after_s": (int, float), "max_buffered_audio_ms": (int, float)}
_ID: Final = re.compile(r"(.*?)(\d+)")
_READ_AHEAD: Final = 256
"""How many recorded server frames a command may have come before (see `at_best_point`)."""
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


def looks_realtime(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a trace without a header holds a Realtime session (its frame types or verbs)."""
    for record in records:
        if record.get("op") == "app" and record.get("call") in _CALLS - {"next_deadline"}:
            return True
        message = record.get("msg")
        kind = message.get("type") if isinstance(message, dict) else None
        if isinstance(kind, str) and (
            kind.startswith(_REALTIME_PREFIXES) or kind in _REALTIME_TYPES
        ):
            return True
    return False


def _time(record: Mapping[str, Any]) -> float:
    t = record.get("t")
    return float(t) if isinstance(t, int | float) else 0.0


def _same(recorded: Any, produced: Any) -> bool:
    """`produced` is the `recorded` frame; ids the recorded frame leaves out are not compared
    (``event_id``, the item's ``id``); credentials are compared as recorded (redacted)."""
    produced = redact_message(produced)
    if recorded == produced:
        return True
    if not isinstance(recorded, dict) or not isinstance(produced, dict):
        return False
    shown: dict[str, Any] = dict(produced)
    if "event_id" not in recorded:
        shown.pop("event_id", None)
    item, made = recorded.get("item"), shown.get("item")
    if isinstance(item, dict) and isinstance(made, dict) and "id" not in item:
        shown["item"] = {k: v for k, v in made.items() if k != "id"}
    return recorded == shown


class _Ids:
    """The replay machine's ids: a counter like the client's default (``evt_1``, ``evt_2``...;
    the prefix of the trace's first event id). `force` hands out recorded ids instead (frames
    replay), and `follow` moves the counter past a recorded id."""

    def __init__(self, first: Any) -> None:
        match = _ID.fullmatch(first) if isinstance(first, str) else None
        self.prefix = match.group(1) if match else "evt_"
        self.last = 0
        self.forced: deque[str | None] = deque()

    def __call__(self) -> str:
        forced = self.forced.popleft() if self.forced else None
        if forced is not None:
            return forced
        self.last += 1
        return f"{self.prefix}{self.last}"

    def force(self, *ids: str | None) -> None:
        self.forced.clear()
        self.forced.extend(ids)

    def follow(self, event_id: Any) -> None:
        if isinstance(event_id, str) and event_id.startswith(self.prefix):
            number = event_id[len(self.prefix) :]
            if number.isdigit():
                self.last = max(self.last, int(number))


def _config(header: Mapping[str, Any] | None) -> Mapping[str, Any]:
    config = header.get("config") if header else None
    return config if isinstance(config, dict) else {}


class _Replay(FramesRebuild):
    """The machine being replayed and what it produced (the four lists of `ReplaySummary`).
    Frames replay (commands rebuilt from recorded frames) is `FramesRebuild`'s."""

    def __init__(self, records: list[Mapping[str, Any]], header: Mapping[str, Any] | None) -> None:
        self.records = records
        sends = [r.get("msg") for r in records if r.get("op") == "send"]
        frames = [f for f in sends if isinstance(f, dict)]
        updates = [f for f in frames if f.get("type") == "session.update"]
        self.setup_recorded = bool(updates)
        config = _config(header)
        session = config.get("session")
        if not isinstance(session, dict):
            first = updates[0].get("session") if updates else None
            session = first if isinstance(first, dict) else {}
        machine = config.get("machine")
        machine = machine if isinstance(machine, dict) else config
        options: dict[str, Any] = {
            k: machine[k] for k, kinds in _OPTIONS.items() if isinstance(machine.get(k), kinds)
        }
        if isinstance(machine.get("followup"), dict):
            options["followup"] = machine["followup"]
        prefix = config.get("ids")
        first_id = next((f["event_id"] for f in frames if "event_id" in f), None)
        self.ids = _Ids(f"{prefix}1" if isinstance(prefix, str) else first_id)
        self.machine = RealtimeSession(session, ids=self.ids, **options)
        self.commands = any(r.get("op") == "app" for r in records)
        self.app_audio = any(
            r.get("op") == "app" and r.get("call") == "append_audio" for r in records
        )
        self.turns: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.sent: list[Any] = []
        self.divergences = Divergences()
        self.unmatched: deque[tuple[int, Any]] = deque()  # (record it followed, frame)
        self.pending: deque[tuple[int, Any]] = deque()  # server frames recorded, not fed yet
        self._calls: dict[str, list[dict[str, str]]] = {}  # response id -> its tool calls
        self._response: str | None = None  # response of the last wire event

    # ------------------------------------------------------------------ machine output

    def diverge(
        self, number: int, text: str, *, expected: Any = ABSENT, produced: Any = ABSENT
    ) -> None:
        self.divergences.add(number, text, expected=expected, produced=produced)

    def drain(self) -> None:
        for event in self.machine.events():
            if isinstance(event, ToolCall):
                self._calls.setdefault(self._response or "", []).append(
                    {"call_id": event.call_id, "name": event.name, "arguments": event.arguments}
                )
            elif isinstance(event, ResponseFinished):
                self._finished(event)
            elif isinstance(event, RealtimeError):
                self.errors.append(
                    error_summary(
                        event.error,
                        client_event_type=event.client_event_type,
                        handled=event.handled,
                    )
                )
            else:
                response = getattr(event, "response_id", None)
                if isinstance(response, str):
                    self._response = response

    def _finished(self, event: ResponseFinished) -> None:
        usage = {name: getattr(event.usage, name) for name in event.usage.FIELDS}
        self.turns.append(
            {
                "response_id": event.response_id,
                "status": event.status,
                "text": event.text or event.transcript,
                "tool_calls": self._calls.pop(event.response_id, []),
                "usage": usage if any(usage.values()) else None,
            }
        )
        if event.error is not None:
            self.errors.append(error_summary(event.error, response_id=event.response_id))

    def settle(self, number: int) -> None:
        """Drain the events, then take what the machine writes now (kept as unmatched)."""
        self.drain()
        frames = [_decoder.decode(frame) for frame in self.machine.data_to_send()]
        self.sent.extend(frames)
        self.unmatched.extend((number, frame) for frame in frames)
        self.drain()

    def take(self, frame: Any) -> bool:
        """Match a recorded frame with one the machine sent (and forget that one)."""
        for index, (_, produced) in enumerate(self.unmatched):
            if _same(frame, produced):
                del self.unmatched[index]
                return True
        return False

    def unrecorded(self) -> None:
        while self.unmatched:
            origin, frame = self.unmatched.popleft()
            self.diverge(
                origin,
                f"the machine then sent {_json(frame)}, which the trace lacks",
                produced=frame,
            )

    # ------------------------------------------------------------------ records

    def connect(self, t: float, number: int) -> None:
        if self.machine.connected:  # the trace missed the close
            self.machine.connection_lost()
        self.machine.connection_made(t)
        before = len(self.unmatched)
        self.settle(number)
        if not self.setup_recorded and len(self.unmatched) > before:
            del self.unmatched[before]  # the opening session.update a hand-written trace omits

    def feed(self, number: int, message: Any) -> None:
        if isinstance(message, dict) and set(message) == {"binary_b64"}:
            return  # a binary message: the client ignores those
        data = message.encode() if isinstance(message, str) else _encoder.encode(message)
        try:
            self.machine.receive_message(data)
        except Exception as exc:  # the machine rejects the frame: report, go on
            self.diverge(number, f"the machine rejects this server frame: {exc!r}")
        self.settle(number)

    def catch_up(self, count: int | None = None) -> None:
        """Feed the oldest `count` (default: all) server frames not fed yet."""
        for _ in range(len(self.pending) if count is None else count):
            self.feed(*self.pending.popleft())

    def copy(self) -> _Replay | None:
        """An independent copy to try something on (None when the machine cannot be copied).

        The machine and the id source go through pickle (a full, independent copy); frames
        and summaries are never changed once made, so their lists are copied shallowly."""
        try:
            machine, ids = pickle.loads(
                pickle.dumps((self.machine, self.ids), pickle.HIGHEST_PROTOCOL)
            )
        except (pickle.PicklingError, TypeError, AttributeError):
            return None
        clone = copy.copy(self)
        clone.machine, clone.ids = machine, ids
        for name in ("turns", "errors", "sent"):
            setattr(clone, name, list(getattr(self, name)))
        clone.divergences = self.divergences.copy()
        clone.unmatched, clone.pending = deque(self.unmatched), deque(self.pending)
        clone._calls = {k: list(v) for k, v in self._calls.items()}
        return clone

    def adopt(self, other: _Replay) -> None:
        self.__dict__.update(other.__dict__)

    def at_best_point(self, attempt: Callable[[_Replay], bool]) -> None:
        """Run `attempt` after feeding all the server frames not fed yet or, when it fails
        there, after fewer of them (the most that let it succeed; at most `_READ_AHEAD`
        fewer): the transport records a frame when it reads it, maybe before the machine
        handled it. When it fails everywhere, the run with all of them fed stays."""
        base = self.copy() if self.pending else None
        self.catch_up()
        if attempt(self) or base is None:
            return
        count = max(0, len(base.pending) - _READ_AHEAD)
        base.catch_up(count)
        best: _Replay | None = None
        while base.pending:  # fewest first: the last success is the latest point
            trial = base.copy()
            if trial is None:
                return
            if attempt(trial):
                best = trial
            base.catch_up(1)
        if best is not None:
            self.adopt(best)

    def command(self, number: int, record: Mapping[str, Any]) -> None:
        call, args = record.get("call"), record.get("args", {})
        if call not in _CALLS or not isinstance(args, dict):
            self.diverge(number, f"app call {call!r} cannot be replayed")
            return
        kwargs: dict[str, Any] = {}
        for key, value in args.items():
            if isinstance(value, dict) and set(value) == {"$b64"}:  # bytes, as written
                value = _b64(value["$b64"])
            elif call == "append_audio" and key == "audio":
                value = _b64(value)
            if value is None and call == "append_audio":
                self.diverge(number, "append_audio without base64 audio")
                return
            kwargs[str(key)] = value

        def attempt(run: _Replay) -> bool:
            try:
                result = getattr(run.machine, call)(**kwargs)
            except Exception as exc:  # bad arguments, or the machine fails: report, go on
                run.diverge(number, f"{call} raised {exc!r}")
                run.settle(number)
                return False
            run.settle(number)
            if "returns" in record and msgspec.to_builtins(result) != record["returns"]:
                recorded = _json(record["returns"])
                run.diverge(number, f"{call} returned {_json(result)}, recorded {recorded}")
                return False
            return True

        self.at_best_point(attempt)

    def send(self, number: int, frame: Any) -> None:
        if not isinstance(frame, dict):
            self.diverge(number, f"recorded {_json(frame)}, not a JSON client event")
            return
        if frame.get("type") == _APPEND and not self.app_audio:
            self.append(number, frame)
            return
        if self.take(frame):
            return
        base = self.copy() if self.pending and not self.commands else None
        while self.pending:  # a frame the machine decides on a server frame not fed yet
            self.catch_up(1)
            if self.take(frame):
                return
        if self.commands:
            self.diverge(
                number,
                f"recorded {_json(frame)} but the machine sent {self._next()}",
                expected=frame,
                produced=self.unmatched[0][1] if self.unmatched else ABSENT,
            )
            return
        if base is not None:
            self.adopt(base)
        self.at_best_point(lambda run: run.rebuild(number, frame))

    def _next(self) -> str:
        return _json(self.unmatched[0][1]) if self.unmatched else "nothing"

    def append(self, number: int, frame: Mapping[str, Any]) -> None:
        audio = _b64(frame.get("audio"))
        if audio is None:
            self.diverge(number, "recorded an append whose audio is not base64")
            return
        try:
            self.machine.append_audio(audio)
        except LocalProtocolError as exc:
            self.diverge(number, f"append_audio raised: {exc}")
            return
        before = len(self.unmatched)
        self.settle(number)
        if not self.take(frame):
            made = [f for _, f in list(self.unmatched)[before:]]
            self.diverge(
                number,
                f"recorded {_json(frame)} but the machine sent {_json(made)}",
                expected=frame,
                produced=made[0] if len(made) == 1 else made,
            )


def _b64(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def replay_realtime(
    records: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """Replay a realtime trace; returns ``(turns, errors, sent, divergences)`` for
    `ReplaySummary` (turns in the shape of `trace.TurnSummary`). Never raises for what the
    trace holds: a record that cannot be replayed is a divergence naming it."""
    records = list(records)
    run = _Replay(records, header)
    handshakes = any(r.get("op") in _HANDSHAKE for r in records)
    handshake: tuple[float, int] | None = None  # (t, record) of a `request` not yet answered
    opened = False
    for number, record in ticking(records, progress):
        op, t = record.get("op"), _time(record)
        if op == "recv":
            if handshake is not None:
                run.connect(*handshake)
                handshake = None
            elif not handshakes and not opened:
                run.connect(t, number)  # a hand-written trace opens at its first record
            opened = True
            run.pending.append((number, record.get("msg")))
            continue
        if op in ("request", "response", "closed", "timeout"):
            run.catch_up()
        if op == "request":  # a request followed by another one: an attempt that failed
            handshake = (t, number)
            continue
        if op == "response":  # 101 opens the socket; another status refuses it
            if record.get("status", 101) == 101:
                run.connect(t, number)
            handshake = None
            continue
        if handshake is not None:
            run.connect(*handshake)
            handshake = None
        elif not handshakes and not opened and op in ("send", "app"):
            run.connect(t, number)
        opened = opened or run.machine.connected
        if op == "send":
            run.send(number, record.get("msg"))
        elif op == "app":
            run.command(number, record)
        elif op == "closed":
            run.machine.connection_lost()
            run.settle(number)
        elif op == "timeout":
            run.machine.handle_timeout(t)
            run.settle(number)
    run.catch_up()
    run.unrecorded()
    return run.turns, run.errors, run.sent, run.divergences
