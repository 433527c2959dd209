"""Hypothesis mirrors of the WebSocket-machine fuzz targets ``fuzz/fuzz_responses_socket.py``
(`ResponsesSocket`) and ``fuzz/fuzz_transcription_session.py`` (`TranscriptionSession`), what
CI runs where atheris is not installed (DESIGN.md 8).

Each target's `run` drives one machine through a sequence of operations read from the input
(server frames from templates or raw bytes, the caller's commands, connection changes, the
clock) and checks, after each, what the machine handed out (see the targets' docstrings).
Here they run over hypothesis ``binary()``, over operation sequences built from the targets'
own encoders, over every seed (the recorded traces of ``tests/data`` and the official
examples) as is and mutated; every frame handed out is also validated against the openai
SDK's client event types (too slow for the fuzzing loop). Failures a target found are in its
`KNOWN_BUGS`, each with a strict-xfail reproducer here; the last tests check that the targets'
assertions have teeth.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest
from _fuzz_load import MUTATIONS, SHARED, load_target, mutate
from hypothesis import given
from hypothesis import strategies as st
from openai.types.realtime import RealtimeClientEvent
from test_responses_socket import validate_client_frame

from openai_sansio.protocol.responses_ws import ResponsesSocket
from openai_sansio.protocol.transcription import TranscriptionSession
from openai_sansio.protocol.transcription_events import FinalTranscript

rs = load_target("fuzz_responses_socket")
ts = load_target("fuzz_transcription_session")
TARGETS = {"responses_socket": rs, "transcription_session": ts}
known_bug = importlib.import_module("fuzz._common").known_bug  # the targets put fuzz/ on the path
SEEDS = {name: list(dict.fromkeys(t.seeds(SHARED))) for name, t in TARGETS.items()}
_REALTIME_CLIENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)


def sdk_valid(target: ModuleType, frames: list[bytes]) -> None:
    """Every frame handed out is a client event the openai SDK accepts."""
    for frame in frames:
        if target is rs:
            validate_client_frame(json.loads(frame))
        else:
            event = _REALTIME_CLIENT.validate_json(frame)
            assert event.type == json.loads(frame)["type"], frame


def run_tolerating_known(target: ModuleType, data: bytes) -> Any:
    """The target on `data`; a known failure ends the input quietly (None), any other escapes.
    The frames handed out are then checked against the SDK."""
    try:
        harness = target.run(data)
    except Exception as exc:
        if known_bug(exc, target.KNOWN_BUGS) is None:
            raise
        return None
    if harness is not None:
        sdk_valid(target, harness.frames)
    return harness


def test_fuzz_modules_do_not_need_atheris() -> None:
    for target in TARGETS.values():
        assert callable(target.TestOneInput)
        assert "atheris" not in vars(target)
        assert len(target.TEMPLATES) == len(target.T)  # template names are unique


# --------------------------------------------------------------------------------------------
# Inputs: arbitrary bytes, operation sequences, the seeds as is and mutated.


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.binary(max_size=1024))
def test_target_on_arbitrary_bytes(name: str, data: bytes) -> None:
    run_tolerating_known(TARGETS[name], data)


def _operations(target: ModuleType, commands: range) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.builds(
            target.tpl,
            index=st.integers(0, len(target.TEMPLATES) - 1),
            a=st.integers(0, 255),
            b=st.integers(0, 255),
            variant=st.integers(0, 15),
            how=st.integers(0, 255),
        ),
        st.builds(
            target.op,
            kind=st.sampled_from(commands),
            variant=st.integers(0, 15),
            args=st.binary(min_size=3, max_size=6),
        ),
    )


@given(
    config=st.integers(0, 255),
    operations=st.lists(_operations(rs, range(rs.CREATE, rs.CLOCK + 1)), min_size=4, max_size=50),
)
def test_responses_socket_on_operation_sequences(config: int, operations: list[bytes]) -> None:
    run_tolerating_known(rs, bytes([config]) + b"".join(operations))


@given(
    config=st.integers(0, 255),
    operations=st.lists(_operations(ts, range(ts.APPEND, ts.CLOCK + 1)), min_size=4, max_size=50),
)
def test_transcription_session_on_operation_sequences(config: int, operations: list[bytes]) -> None:
    run_tolerating_known(ts, bytes([config]) + b"".join(operations))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_on_every_seed(name: str) -> None:
    target = TARGETS[name]
    assert len(SEEDS[name]) >= len(target.TEMPLATES)
    for seed in SEEDS[name]:
        run_tolerating_known(target, seed)


def test_seeds_without_the_fixtures(tmp_path: Path) -> None:
    for target in TARGETS.values():
        for seed in target.seeds(tmp_path):
            run_tolerating_known(target, seed)


def test_the_responses_seeds_exercise_the_machine() -> None:
    """The seeds reach what the invariants are about (so the fuzzer starts there)."""
    statuses: set[str] = set()
    kinds: set[str] = set()
    calls = 0
    for seed in SEEDS["responses_socket"]:
        harness = run_tolerating_known(rs, seed)
        if harness is None:
            continue
        statuses |= set(harness.statuses)
        kinds |= {json.loads(f)["type"] for f in harness.frames}
        calls += len(harness.calls)
    assert {"completed", "incomplete", "failed", "error", "cancelled", "interrupted"} <= statuses
    assert kinds == {"response.create", "response.steer"} and calls >= 3


def test_the_transcription_seeds_exercise_the_machine() -> None:
    finals = failed = interims = 0
    reasons: set[str] = set()
    for seed in SEEDS["transcription_session"]:
        harness = run_tolerating_known(ts, seed)
        if harness is None:
            continue
        finals += harness.finals
        failed += len(harness.failures)
        reasons |= set(harness.failures)
        interims += harness.interims
    assert finals >= 5 and interims >= 5
    assert {"failed", "connection_lost", "deleted", "evicted"} <= reasons


@pytest.mark.parametrize("name", sorted(TARGETS))
@given(data=st.data(), ops=MUTATIONS)
def test_target_on_mutated_seeds(name: str, data: st.DataObject, ops: Any) -> None:
    seed = data.draw(st.sampled_from(SEEDS[name]))
    donor = data.draw(st.sampled_from(SEEDS[name]))
    run_tolerating_known(TARGETS[name], mutate(seed, ops, donor))


# --------------------------------------------------------------------------------------------
# What the targets found, fixed (regressions), and open findings (strict-xfail reproducers).

_SPEECH_STARTED = ts.T["input_audio_buffer.speech_started"]
_COMPLETED = ts.T["conversation.item.input_audio_transcription.completed"]
_COMMITTED = ts.T["input_audio_buffer.committed"]
# Fixed findings; each comment says what was wrong before its fix.
REGRESSIONS: dict[tuple[str, str], bytes] = {
    # transcription.py:146-148 `connection_lost`: the item server VAD is hearing
    # (`_speaking`) is reported failed without checking it was reported already. Here its
    # transcript completes before its commit arrives, then the socket drops: item_1 is
    # reported FinalTranscript and then TranscriptFailed(connection_lost).
    ("transcription_session", "speaking-item-reported-twice"): bytes([4])
    + ts.tpl(_SPEECH_STARTED, 0)
    + ts.tpl(_COMPLETED, 0)
    + ts.op(ts.TOGGLE),
}
REPRODUCERS: dict[tuple[str, str], bytes] = {}
"""Open findings (none now): one strict-xfail reproducer per `KNOWN_BUGS` entry."""


@pytest.mark.parametrize(("name", "bug"), sorted(REGRESSIONS))
def test_fixed_finding_stays_fixed(name: str, bug: str) -> None:
    """What the targets found, fixed: each input now runs clean through its target."""
    TARGETS[name].run(REGRESSIONS[name, bug])


def test_every_known_bug_has_a_reproducer() -> None:
    for name, target in TARGETS.items():
        assert {(name, bug) for bug, _, _ in target.KNOWN_BUGS} <= set(REPRODUCERS)


class KnownBug(Exception):
    """The reproducer failed the way its `KNOWN_BUGS` entry says."""


@pytest.mark.parametrize(
    ("name", "bug"),
    [
        pytest.param(name, bug, marks=pytest.mark.xfail(strict=True, raises=KnownBug))
        for name, bug in sorted(REPRODUCERS)
    ],
)
def test_known_bug_reproducer(name: str, bug: str) -> None:
    """Fails today, the way the target's `KNOWN_BUGS` entry names; passes once the machine is
    fixed, and so XPASSes strictly: then drop the entry (keep the input as a regression)."""
    target = TARGETS[name]
    try:
        target.run(REPRODUCERS[name, bug])
    except Exception as exc:
        if known_bug(exc, target.KNOWN_BUGS) == bug:
            raise KnownBug(bug) from exc
        raise


# --------------------------------------------------------------------------------------------
# The targets' assertions have teeth.


def _patched(monkeypatch: pytest.MonkeyPatch, target: ModuleType, name: str, cls: type) -> None:
    monkeypatch.setattr(target, name, cls)


def test_responses_socket_catches_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(ResponsesSocket):
        def receive_message(self, text: str | bytes) -> None:
            raise KeyError("not a protocol error")

    _patched(monkeypatch, rs, "ResponsesSocket", Broken)
    with pytest.raises(KeyError):
        rs.run(bytes([0]) + rs.create() + rs.tpl(rs.T["response.created"]))


def test_responses_socket_catches_a_turn_that_never_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    rs.run(bytes([0]) + rs.create())

    class Forgetful(ResponsesSocket):
        def connection_lost(self, error: Any = None) -> None:
            self._queued.clear()  # queued turns vanish instead of ending
            super().connection_lost(error)

    _patched(monkeypatch, rs, "ResponsesSocket", Forgetful)
    with pytest.raises(AssertionError, match=r"turns \[1\] never ended"):
        rs.run(bytes([0]) + rs.op(rs.TOGGLE) + rs.create())


def test_responses_socket_catches_stream_in_a_create(monkeypatch: pytest.MonkeyPatch) -> None:
    class Streaming(ResponsesSocket):
        def _send(self, turn: Any, lane: Any, *, fenced: bool) -> bytes:
            frame = json.loads(super()._send(turn, lane, fenced=fenced))
            return json.dumps({**frame, "stream": True}).encode()

    _patched(monkeypatch, rs, "ResponsesSocket", Streaming)
    with pytest.raises(AssertionError, match="stream/background sent"):
        rs.run(bytes([0]) + rs.create())


def test_responses_socket_catches_a_call_surfaced_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    turn = (
        bytes([0])
        + rs.create()
        + rs.tpl(rs.T["response.created"])
        + rs.tpl(rs.T["response.output_item.done/function_call"])
    )
    rs.run(turn)

    class Echoing(ResponsesSocket):
        def receive_message(self, text: str | bytes) -> None:
            super().receive_message(text)
            events = list(self._queue.drain())
            for event in events:
                self._queue.push(event)
                if isinstance(getattr(event, "event", None), rs.ToolCall):
                    self._queue.push(event)

    _patched(monkeypatch, rs, "ResponsesSocket", Echoing)
    with pytest.raises(AssertionError, match="surfaced twice in one response"):
        rs.run(turn)


def test_transcription_session_catches_reports_out_of_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two = 1 | 1 << 3  # item_2 after item_1
    out_of_order = (
        bytes([0]) + ts.tpl(_COMMITTED, 0) + ts.tpl(_COMMITTED, two) + ts.tpl(_COMPLETED, 1)
    )
    ts.run(out_of_order)  # item_2 waits for item_1

    class Hasty(TranscriptionSession):
        def _release(self) -> None:  # report whatever ended, in any order
            for item_id, item in list(self._items.items()):
                if item.ended is not None:
                    del self._items[item_id]
                    self._ended.remember(item_id)
                    if isinstance(item.ended, FinalTranscript):
                        self.usage = self.usage.add(item.ended.usage)
                    self._queue.push(item.ended)

    _patched(monkeypatch, ts, "TranscriptionSession", Hasty)
    with pytest.raises(AssertionError, match="became reports"):
        ts.run(out_of_order)


def test_transcription_session_catches_a_lost_item(monkeypatch: pytest.MonkeyPatch) -> None:
    committed = bytes([0]) + ts.tpl(_COMMITTED, 0) + ts.op(ts.TOGGLE)
    ts.run(committed)

    class Silent(TranscriptionSession):
        def connection_lost(self, unsent: Any = ()) -> None:
            self._items.clear()  # pending items dropped without a report
            super().connection_lost(unsent)

    _patched(monkeypatch, ts, "TranscriptionSession", Silent)
    with pytest.raises(AssertionError, match="became reports"):
        ts.run(committed)


def test_transcription_session_catches_an_unconfigured_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Unconfigured(TranscriptionSession):
        def connection_made(self, now: float) -> None:
            self.connected = True

    _patched(monkeypatch, ts, "TranscriptionSession", Unconfigured)
    with pytest.raises(AssertionError, match="does not start configured"):
        ts.run(bytes([0]) + ts.op(ts.FLUSH))
