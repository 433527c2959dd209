"""Fuzz target: the realtime transcription machine
(`openai_sansio.protocol.transcription.TranscriptionSession`).

Input layout: byte 0 picks the machine's settings (`CONFIGS`: the session, interim
throttling, the pending-items and outbound-audio bounds). The rest is a sequence of
operations. Each starts with one byte: ``byte % 16`` is the operation, ``byte // 16`` its
variant (0..15); the operation then reads the arguments it needs (missing bytes read as 0):

* ``feed`` (0..3): a server event from a template (`TEMPLATES`; one byte picks it, one byte
  the item id and previous item id from small pools, one byte a size or a choice), damaged
  for variants 10..15 (a field dropped, nulled or of the wrong type);
* ``raw`` (4): two bytes of length, then that many bytes fed as one message (variant odd:
  as text);
* the caller's commands: ``append_audio`` (5; two bytes: the length), ``flush`` (6),
  ``clear`` (7), ``update`` (8; variant: the change);
* ``connection_lost`` / ``connection_made`` (9; variant 2: the frames of the last operation
  never reached the socket and go back through ``connection_lost(unsent)``);
* the clock (10; two bytes: tenths of a second), then ``handle_timeout`` when a deadline is
  due.

Server messages are fed only while connected, with the clock as ``now``. After every operation
the harness takes `data_to_send()` and drains `events()`. Invariants:

* `receive_message` returns or raises `RemoteProtocolError`; the commands return or raise
  `LocalProtocolError`; `connection_made`, `connection_lost`, `handle_timeout`,
  `data_to_send` and `events` never raise; nothing else escapes;
* every frame handed out decodes as a typed Realtime client event; nothing is handed out while
  disconnected; on a new connection the first frame is the ``session.update`` of a
  ``transcription`` session;
* every committed item ends (`FinalTranscript` or `TranscriptFailed`) exactly once, in
  conversation order: the items pending before an operation are, after it, reported in their
  order or still pending in it (`pending_items`); after `connection_lost` nothing is pending;
  a `TranscriptFailed` without an item id is a lost uncommitted utterance;
* no `InterimTranscript` for an item after its report; interim text bounded
  (`MAX_INTERIM_CHARS`); pending items bounded (`max_pending_items`);
* `usage.transcripts` counts the `FinalTranscript`s; `AudioDropped` totals only grow.

Run: ``python fuzz/fuzz_transcription_session.py fuzz/corpus/transcription_session`` (an
empty or missing corpus directory is seeded first; see `seeds`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:  # `python fuzz/fuzz_transcription_session.py` puts fuzz/ on sys.path
    sys.path.insert(0, _ROOT)

if __name__ == "__main__":
    import atheris

    _instrumented = atheris.instrument_imports()
else:
    _instrumented = nullcontext()
with _instrumented:
    from openai_sansio.protocol import LocalProtocolError, RemoteProtocolError
    from openai_sansio.protocol._codec import decode_client_event
    from openai_sansio.protocol.events.common import UnknownEvent
    from openai_sansio.protocol.events.realtime import RealtimeEvent
    from openai_sansio.protocol.realtime_wire import counter_ids
    from openai_sansio.protocol.transcription import MAX_INTERIM_CHARS, TranscriptionSession
    from openai_sansio.protocol.transcription_events import (
        AudioDropped,
        FinalTranscript,
        InterimTranscript,
        SpeechStarted,
        SpeechStopped,
        TranscriptFailed,
        TranscriptionError,
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
    RealtimeEvent,
    UnknownEvent,
    InterimTranscript,
    FinalTranscript,
    TranscriptFailed,
    SpeechStarted,
    SpeechStopped,
    TranscriptionError,
    AudioDropped,
)

_MODEL = {"model": "gpt-4o-transcribe"}
CONFIGS: tuple[dict[str, Any], ...] = (
    {"session": {"audio": {"input": {"transcription": _MODEL, "turn_detection": None}}}},
    {
        "session": {"audio": {"input": {"transcription": {"model": "whisper-1"}}}},
        "interim_interval_s": 0.5,
    },
    {"max_pending_items": 2, "max_buffered_audio_ms": 50.0},
    {
        "session": {
            "audio": {
                "input": {
                    "format": {"type": "audio/pcmu"},
                    "turn_detection": {"type": "server_vad"},
                }
            }
        },
        "interim_interval_s": 2.0,
        "max_pending_items": 3,
    },
    {},
    {},  # the defaults weigh most
)

ITEM_IDS = ("item_1", "item_2", "item_3", "item_4", "item_5", "item_6")
_PREVIOUS = (None, *ITEM_IDS, "root")
_DELTAS = ("Hel", "lo ", "", "world", "\u00e9\U0001f389", "x" * 100)
_ERRORS = (
    "input_audio_buffer_commit_empty",
    "invalid_model",
    "invalid_api_key",
    "beta_api_shape_disabled",
    "invalid_value",
    None,
)
_LOGPROBS = ([], [{"token": "a", "logprob": -0.2, "bytes": [97]}], None)
_USAGE = (
    {"type": "duration", "seconds": 1.5},
    {"type": "tokens", "input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    None,
)


class Picks:
    """What a template reads: an item and a previous item from the pools, a choice byte,
    and the recent client event ids (so an ``error`` can name one)."""

    def __init__(self, a: int, b: int, recent: list[str]) -> None:
        self.item = ITEM_IDS[(a & 7) % len(ITEM_IDS)]
        self.previous = _PREVIOUS[(a >> 3) % len(_PREVIOUS)]
        self.b = b
        self.recent = recent

    def choice(self, options: tuple[Any, ...], shift: int = 0) -> Any:
        return options[(self.b >> shift) % len(options)]


def _session(p: Picks, kind: str) -> dict[str, Any]:
    model = p.choice(("gpt-4o-transcribe", "whisper-1", "gpt-4o-mini-transcribe"))
    audio: dict[str, Any] = {"transcription": {"model": model}}
    if p.b & 4:
        audio["turn_detection"] = None
    if p.b & 8:
        audio["format"] = {"type": "audio/pcma"}
    return {"type": kind, "session": {"type": "transcription", "audio": {"input": audio}}}


def _item(p: Picks, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "previous_item_id": p.previous,
        "item": {
            "id": p.item,
            "type": "message",
            "role": p.choice(("user", "assistant", None)),
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        },
    }


def _completed(p: Picks) -> dict[str, Any]:
    return {
        "type": "conversation.item.input_audio_transcription.completed",
        "item_id": p.item,
        "content_index": 0,
        "transcript": p.choice(("Hello world.", "", None)),
        "logprobs": p.choice(_LOGPROBS, 2),
        "usage": p.choice(_USAGE, 4),
    }


TEMPLATES: tuple[tuple[str, Callable[[Picks], dict[str, Any]]], ...] = (
    ("session.created", lambda p: _session(p, "session.created")),
    ("session.updated", lambda p: _session(p, "session.updated")),
    (
        "input_audio_buffer.speech_started",
        lambda p: {
            "type": "input_audio_buffer.speech_started",
            "audio_start_ms": p.b * 10,
            "item_id": p.item,
        },
    ),
    (
        "input_audio_buffer.speech_stopped",
        lambda p: {
            "type": "input_audio_buffer.speech_stopped",
            "audio_end_ms": p.b * 20,
            "item_id": p.item,
        },
    ),
    (
        "input_audio_buffer.committed",
        lambda p: {
            "type": "input_audio_buffer.committed",
            "previous_item_id": p.previous,
            "item_id": p.item,
        },
    ),
    ("input_audio_buffer.committed/2", lambda p: TEMPLATES[4][1](p)),
    ("input_audio_buffer.cleared", lambda p: {"type": "input_audio_buffer.cleared"}),
    ("conversation.item.added", lambda p: _item(p, "conversation.item.added")),
    ("conversation.item.done", lambda p: _item(p, "conversation.item.done")),
    (
        "conversation.item.deleted",
        lambda p: {"type": "conversation.item.deleted", "item_id": p.item},
    ),
    (
        "conversation.item.input_audio_transcription.delta",
        lambda p: {
            "type": "conversation.item.input_audio_transcription.delta",
            "item_id": p.item,
            "content_index": 0,
            "delta": p.choice(_DELTAS),
            "logprobs": p.choice(_LOGPROBS, 4),
        },
    ),
    ("conversation.item.input_audio_transcription.delta/2", lambda p: TEMPLATES[10][1](p)),
    ("conversation.item.input_audio_transcription.completed", _completed),
    ("conversation.item.input_audio_transcription.completed/2", _completed),
    (
        "conversation.item.input_audio_transcription.failed",
        lambda p: {
            "type": "conversation.item.input_audio_transcription.failed",
            "item_id": p.item,
            "content_index": 0,
            "error": {
                "type": "transcription_error",
                "code": "audio_unintelligible",
                "message": "?",
            },
        },
    ),
    (
        "error",
        lambda p: {
            "type": "error",
            "event_id": "event_9",
            "error": {
                "type": "invalid_request_error",
                "code": p.choice(_ERRORS),
                "message": "Refused.",
                "event_id": p.recent[-1 - p.b % len(p.recent)] if p.recent else "evt_x",
            },
        },
    ),
    (
        "conversation.item.input_audio_transcription.segment",
        lambda p: {
            "type": "conversation.item.input_audio_transcription.segment",
            "item_id": p.item,
            "content_index": 0,
            "text": "Hello",
            "id": "seg_1",
            "speaker": "A",
            "start": 0.0,
            "end": 0.5,
        },
    ),
    ("brand.new.event", lambda p: {"type": "brand.new.event", "item_id": p.item}),
)
"""Server events by template byte, named (a name says which one a seed means)."""
T = {name: index for index, (name, _) in enumerate(TEMPLATES)}
_DAMAGE: tuple[Any, ...] = (None, 0, "x", [], {}, True, -1)
UPDATES: tuple[dict[str, Any], ...] = (
    {"audio": {"input": {"turn_detection": None}}},
    {"audio": {"input": {"turn_detection": {"type": "server_vad"}}}},
    {"audio": {"input": {"transcription": {"model": "whisper-1"}}}},
    {"include": ["item.input_audio_transcription.logprobs"]},
)

FEED, RAW, APPEND, FLUSH, CLEAR, UPDATE, TOGGLE, CLOCK = 0, 4, 5, 6, 7, 8, 9, 10
"""Operation numbers (``byte % 16``); 0..3 all feed a template; 11..15 are no-ops."""


def damage(event: dict[str, Any], variant: int, how: int) -> dict[str, Any]:
    """Variants 10..15 break the event: drop / null / retype a field, at the top or in its
    ``item`` / ``error`` / ``session`` object."""
    if variant < 10:
        return event
    target = event
    if variant >= 13:
        nested = [k for k in ("item", "error", "session") if isinstance(event.get(k), dict)]
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


class Harness:
    """One machine, what the harness saw of it, and the checks after each operation."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.machine = TranscriptionSession(
            config.get("session"),
            ids=counter_ids("evt_"),
            interim_interval_s=config.get("interim_interval_s", 0.0),
            max_pending_items=config.get("max_pending_items", 128),
            max_buffered_audio_ms=config.get("max_buffered_audio_ms", 2000.0),
        )
        self.now = 0.0
        self.connected = False
        self.new_socket = False
        self.frames: list[bytes] = []  # everything handed out, for the SDK check
        self.recent: list[str] = []  # client event ids handed out
        self.reported: set[str] = set()
        self.finals = 0
        self.interims = 0
        self.failures: list[str] = []  # the reasons of every TranscriptFailed
        self.dropped = 0.0
        self.last_frames: list[bytes] = []
        self.pending_before: list[str] = []

    def connect(self) -> None:
        self.machine.connection_made(self.now)
        self.connected = self.new_socket = True

    def lose(self, unsent: list[bytes] | None = None) -> None:
        self.machine.connection_lost(unsent or ())
        self.connected = False

    def feed(self, message: bytes | str) -> None:
        if self.connected:  # a closed socket delivers nothing
            with suppress(RemoteProtocolError):
                self.machine.receive_message(message, self.now)

    def command(self, run: Callable[[], Any]) -> None:
        with suppress(LocalProtocolError):
            run()

    def before(self) -> None:
        self.pending_before = self.machine.pending_items

    def after(self, lost: bool = False) -> None:
        """Take the frames and events of the last operation and check them."""
        frames = self.machine.data_to_send()
        self.last_frames = frames
        if not self.connected:
            assert frames == [], "frames handed out while disconnected"
        sent = [self.check_frame(frame) for frame in frames]
        if self.new_socket:
            first = sent[0] if sent else None
            assert first is not None and first.type == "session.update", (
                "a new socket does not start configured"
            )
            assert first.session.get("type") == "transcription", "not a transcription session"
        self.new_socket = False
        reports: list[str] = []
        for event in self.machine.events():
            reports += self.check_event(event)
        pending = self.machine.pending_items
        old = set(self.pending_before)
        kept = [i for i in [*reports, *pending] if i in old]
        assert kept == self.pending_before, (
            f"pending {self.pending_before} became reports {reports} + pending {pending}"
        )
        assert len(pending) <= self.machine.max_pending_items, "pending items over the bound"
        if lost:
            assert pending == [], "items still pending after the socket was lost"
        assert self.machine.usage.transcripts == self.finals, "usage does not count finals"

    def check_frame(self, frame: bytes) -> Any:
        assert isinstance(frame, bytes), f"frame is {type(frame).__name__}"
        try:
            event = decode_client_event(frame, api="realtime")
        except RemoteProtocolError as exc:
            raise AssertionError(f"frame does not decode as a client event: {exc}") from None
        assert not isinstance(event, UnknownEvent), f"unknown client event {event.type!r}"
        self.frames.append(frame)
        if event.event_id is not None:
            self.recent = [*self.recent[-15:], event.event_id]
        return event

    def check_event(self, event: Any) -> list[str]:
        """Check one event; the item id it reports (final or failed), if any."""
        assert isinstance(event, ALLOWED), f"undocumented event {type(event).__name__}"
        if isinstance(event, InterimTranscript):
            self.interims += 1
            assert event.item_id not in self.reported, f"interim after {event.item_id!r} ended"
            assert len(event.text) <= MAX_INTERIM_CHARS, "interim text over its bound"
        elif isinstance(event, FinalTranscript | TranscriptFailed):
            if isinstance(event, FinalTranscript):
                self.finals += 1
            else:
                self.failures.append(event.reason)
            if event.item_id is None:
                assert isinstance(event, TranscriptFailed) and event.reason == "connection_lost"
                return []
            how = getattr(event, "reason", "final")
            assert event.item_id not in self.reported, f"{event.item_id!r} reported twice: {how}"
            self.reported.add(event.item_id)
            return [event.item_id]
        elif isinstance(event, AudioDropped):
            assert event.total_dropped_ms >= self.dropped, "dropped audio total went down"
            self.dropped = event.total_dropped_ms
        return []


def _operate(h: Harness, r: Reader) -> None:
    op = r.byte()
    kind, variant = op % 16, op // 16
    machine = h.machine
    h.before()
    lost = False
    if kind < RAW:
        _, template = TEMPLATES[r.byte() % len(TEMPLATES)]
        picks = Picks(r.byte(), r.byte(), h.recent)
        event = damage(template(picks), variant, r.byte() if variant >= 10 else 0)
        text = json.dumps(event, ensure_ascii=(variant & 1) == 0)
        h.feed(text if variant & 2 else text.encode())
    elif kind == RAW:
        message = r.take(r.u16())
        h.feed(message.decode("utf-8", "replace") if variant & 1 else message)
    elif kind == APPEND:
        size = r.u16() * (16 if variant == 15 else 1)
        h.command(lambda: machine.append_audio(bytes(size)))
    elif kind == FLUSH:
        h.command(machine.flush)
    elif kind == CLEAR:
        h.command(machine.clear)
    elif kind == UPDATE:
        h.command(lambda: machine.update(**UPDATES[variant % len(UPDATES)]))
    elif kind == TOGGLE:
        if h.connected:
            h.lose(h.last_frames if variant & 2 else None)
            lost = True
        elif variant & 1:
            h.lose()  # idempotent when closed
            lost = True
        else:
            h.connect()
    elif kind == CLOCK:
        h.now += r.u16() / 10
        deadline = machine.next_deadline()
        if (deadline is not None and deadline <= h.now) or variant & 1:
            machine.handle_timeout(h.now)
    h.after(lost)


def run(data: bytes) -> Harness | None:
    """Run one input; the harness (with every frame handed out) for the mirror test."""
    if not data:
        return None
    harness = Harness(CONFIGS[data[0] % len(CONFIGS)])
    harness.connect()
    harness.after()
    reader = Reader(data, 1)
    while reader:
        _operate(harness, reader)
    harness.before()
    harness.lose()  # the end: nothing may stay pending
    harness.after(lost=True)
    return harness


KNOWN_BUGS: KnownBugs = ()
"""Failures found and reported (strict-xfail reproducers in
``tests/test_fuzz_socket_mirrors.py``); remove an entry with its fix."""
TestOneInput = tolerating_known(run, KNOWN_BUGS)


# --------------------------------------------------------------------------------------------
# Seeds: sessions from the official examples, the recorded trace, and the templates.


def _from_trace(records: list[dict[str, Any]]) -> bytes:
    """A recorded session as operations: its server messages, commands and socket closes."""
    out = bytearray()
    for record in records:
        what = record.get("op")
        if what == "recv" and isinstance(record.get("msg"), dict):
            out += raw(record["msg"])
        elif what == "app" and record.get("call") == "append_audio":
            out += op(APPEND, 0, (960).to_bytes(2, "little"))
        elif what == "app" and record.get("call") == "flush":
            out += op(FLUSH)
        elif what == "closed":
            out += op(TOGGLE) + op(TOGGLE)
    return bytes(out)


def seeds(shared: Path = SHARED) -> Iterator[bytes]:
    for records in trace_records("transcription"):
        yield bytes([0]) + _from_trace(records)
    types = (
        "session.created",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.input_audio_transcription.delta",
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.failed",
        "conversation.item.done",
        "error",
    )
    examples = example_events(shared, "realtime-server-events", types=types)
    if examples:
        yield bytes([0]) + b"".join(raw(e) for e in examples)
        yield bytes([1]) + b"".join(raw(e, as_text=True) for e in examples) + op(TOGGLE)
    for example in examples:
        yield bytes([4]) + raw(example)
    committed, delta = T["input_audio_buffer.committed"], T[TEMPLATES[10][0]]
    completed, failed = T[TEMPLATES[12][0]], T["conversation.item.input_audio_transcription.failed"]
    two = 1 | 1 << 3  # item_2 after item_1
    audio = op(APPEND, 0, (4800).to_bytes(2, "little")) + op(FLUSH)
    # two items completed out of order, with deltas; then a dropped socket mid-item
    yield (
        bytes([0])
        + audio
        + tpl(committed, 0)
        + audio
        + tpl(committed, two)
        + tpl(delta, 0, 0)
        + tpl(delta, 1, 1)
        + tpl(completed, 1)
        + tpl(delta, 0, 3)
        + tpl(completed, 0, 4)
        + tpl(committed, 2 | 2 << 3)
        + op(TOGGLE)
        + op(TOGGLE)
    )
    # server VAD: speech, commit, a failure, an item deleted, throttled interims
    yield (
        bytes([3])
        + tpl(T["input_audio_buffer.speech_started"], 0)
        + op(APPEND, 0, b"\xff\x00")
        + tpl(T["input_audio_buffer.speech_stopped"], 0)
        + tpl(committed, 0)
        + tpl(delta, 0, 0)
        + op(CLOCK, 0, b"\x01\x00")
        + tpl(delta, 0, 1)
        + op(CLOCK, 1, b"\x30\x00")
        + tpl(failed, 0)
        + tpl(committed, two)
        + tpl(T["conversation.item.deleted"], 1)
    )
    # the pending bound, errors tied to client events, updates, unsent frames re-sent
    yield (
        bytes([2])
        + b"".join(tpl(committed, i | (i << 3 if i else 0)) for i in range(5))
        + op(FLUSH)
        + tpl(T["error"], 0, 0)
        + op(UPDATE, 1)
        + op(TOGGLE, 2)
        + op(CLEAR)
        + op(TOGGLE)
        + op(APPEND, 15, b"\xff\xff")
    )
    for index in range(len(TEMPLATES)):  # each template, whole and damaged
        yield bytes([0]) + tpl(committed) + tpl(index, 0, 7) + tpl(index, 0, 7, 13, 1)


if __name__ == "__main__":
    seed_corpus_dirs(sys.argv, seeds)
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
