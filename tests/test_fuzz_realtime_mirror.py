"""Hypothesis mirror of ``fuzz/fuzz_realtime_session.py`` (the `RealtimeSession` fuzz target),
what CI runs where atheris is not installed.

The target's `run` drives one machine through a sequence of operations read from the input
(server events from templates or raw bytes, the caller's commands, connection changes, the
clock) and checks, after each, what the machine handed out (see the target's docstring). Here
it runs over hypothesis ``binary()``, over operation sequences built from the target's own
encoders, over every seed (realistic sessions from the official Realtime examples) as is and
mutated; and every frame the machine handed out is validated against the openai SDK's
``RealtimeClientEvent`` as well (too slow for the fuzzing loop).

The failures the target found are in the target's `KNOWN_BUGS`: the property tests let them end
an input quietly (`run_tolerating_known`), and each has a strict-xfail reproducer at the end,
which starts passing (and so fails) once the machine is fixed: then remove its entry. The last
tests check that the target's assertions have teeth.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest
from _fuzz_load import MUTATIONS, ROOT, SHARED, load_target, mutate
from hypothesis import given
from hypothesis import strategies as st
from openai.types.realtime import RealtimeClientEvent

from openai_sansio.protocol.realtime import RealtimeSession

FUZZ = ROOT / "fuzz"


fz = load_target("fuzz_realtime_session")

HAVE_FIXTURES = (SHARED / "fixtures" / "openapi-event-examples.jsonl").is_file()
NO_FIXTURES = f"shared fixtures not found under {SHARED}"
SEEDS: list[bytes] = list(dict.fromkeys(fz.seeds(SHARED)))
CLIENT_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeClientEvent)


def sdk_valid(frames: list[bytes]) -> None:
    """Every frame is a client event the openai SDK accepts, as the member its ``type`` says."""
    for frame in frames:
        event = CLIENT_EVENT.validate_json(frame)
        assert event.type == json.loads(frame)["type"], frame


def run_tolerating_known(data: bytes) -> Any:
    """The target on `data`; a known failure ends the input quietly (None), any other escapes.
    The frames handed out are then checked against the SDK."""
    try:
        harness = fz.run(data)
    except Exception as exc:
        if fz.known_bug(exc) is None:
            raise
        return None
    if harness is not None:
        sdk_valid(harness.frames)
    return harness


def test_fuzz_module_does_not_need_atheris() -> None:
    assert callable(fz.TestOneInput)
    assert "atheris" not in vars(fz)
    assert len(fz.TEMPLATES) == len(fz.T)  # template names are unique


# --------------------------------------------------------------------------------------------
# Inputs: arbitrary bytes, operation sequences, the seeds as is and mutated.


@given(data=st.binary(max_size=2048))
def test_target_on_arbitrary_bytes(data: bytes) -> None:
    run_tolerating_known(data)


_IDS = st.sampled_from([*fz.RESPONSE_IDS, *fz.ITEM_IDS, *fz.CALL_IDS, "", "x"])
_SERVER_TYPES = [
    "session.created",
    "session.updated",
    "response.created",
    "response.done",
    "response.output_item.added",
    "response.output_item.done",
    "conversation.item.added",
    "conversation.item.done",
    "conversation.item.created",
    "conversation.item.truncated",
    "conversation.item.deleted",
    "response.output_audio.delta",
    "response.output_audio.done",
    "response.output_audio_transcript.delta",
    "response.output_text.delta",
    "response.function_call_arguments.done",
    "input_audio_buffer.speech_started",
    "error",
    "response.brand_new",
]
_RAW_EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(_SERVER_TYPES)},
    optional={
        "event_id": st.sampled_from(["evt_1", "evt_2", "srv"]),
        "response_id": _IDS,
        "item_id": _IDS,
        "call_id": _IDS,
        "content_index": st.integers(0, 2),
        "output_index": st.integers(0, 2),
        "delta": st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
        "name": st.sampled_from(["get_weather", ""]),
        "arguments": st.sampled_from(['{"a": 1}', "{", ""]),
        "audio_end_ms": st.integers(0, 5000),
        "response": st.fixed_dictionaries(
            {"id": _IDS},
            optional={
                "status": st.sampled_from(["in_progress", "completed", "cancelled", "failed"]),
                "conversation_id": st.sampled_from(["conv_1", None]),
                "status_details": st.none()
                | st.fixed_dictionaries({"reason": st.sampled_from(["turn_detected", "x"])}),
            },
        ),
        "item": st.fixed_dictionaries(
            {"type": st.sampled_from(["message", "function_call", "function_call_output"])},
            optional={
                "id": _IDS,
                "role": st.sampled_from(["assistant", "user", "system"]),
                "status": st.sampled_from(["completed", "in_progress", "incomplete"]),
                "call_id": _IDS,
                "name": st.just("get_weather"),
                "arguments": st.just("{}"),
                "output": st.just("21"),
                "content": st.lists(
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["output_audio", "output_text", "input_text"])},
                        optional={"text": st.text(max_size=5), "transcript": st.text(max_size=5)},
                    ),
                    max_size=2,
                ),
            },
        ),
        "session": st.fixed_dictionaries(
            {"type": st.just("realtime")},
            optional={
                "audio": st.fixed_dictionaries(
                    {
                        "output": st.fixed_dictionaries({"format": st.sampled_from(fz._FORMATS)}),
                        "input": st.fixed_dictionaries(
                            {"turn_detection": st.sampled_from(fz._TURN_DETECTION)}
                        ),
                    }
                )
            },
        ),
        "error": st.fixed_dictionaries(
            {"code": st.sampled_from(fz._ERROR_CODES)},
            optional={"event_id": st.sampled_from(["evt_2", "evt_3", "evt_4", "evt_x"])},
        ),
    },
)
_OPERATION = st.one_of(
    st.builds(
        fz.tpl,
        index=st.integers(0, len(fz.TEMPLATES) - 1),
        a=st.integers(0, 255),
        b=st.integers(0, 255),
        variant=st.integers(0, 15),
        how=st.integers(0, 255),
    ),
    st.builds(fz.raw, _RAW_EVENTS, as_text=st.booleans()),
    st.builds(
        fz.op,
        kind=st.integers(fz.APPEND, fz.ITEM),
        variant=st.integers(0, 15),
        args=st.binary(min_size=2, max_size=3),
    ),
)


@given(config=st.integers(0, 255), operations=st.lists(_OPERATION, min_size=4, max_size=60))
def test_target_on_operation_sequences(config: int, operations: list[bytes]) -> None:
    run_tolerating_known(bytes([config]) + b"".join(operations))


@pytest.mark.skipif(not HAVE_FIXTURES, reason=NO_FIXTURES)
def test_target_on_every_seed() -> None:
    assert len(SEEDS) >= 80
    for seed in SEEDS:
        harness = fz.run(seed)  # the seeds trip no known bug
        sdk_valid(harness.frames)


def test_seeds_without_the_fixtures(tmp_path: Path) -> None:
    own = list(fz.seeds(tmp_path))
    assert len(own) >= len(fz.TEMPLATES)
    for seed in own:
        fz.run(seed)


def test_the_seeds_exercise_the_machine() -> None:
    """The realistic seeds reach what the invariants are about (so the fuzzer starts there)."""
    seen: dict[str, int] = {}
    for seed in SEEDS:
        harness = fz.run(seed)
        for frame in harness.frames:
            kind = json.loads(frame)["type"]
            seen[kind] = seen.get(kind, 0) + 1
        seen["tool_call"] = seen.get("tool_call", 0) + len(harness.surfaced)
    for kind in ("conversation.item.truncate", "conversation.item.delete", "response.cancel"):
        assert seen.get(kind), kind
    assert seen.get("response.create", 0) >= 3 and seen["tool_call"] >= 2


@given(seed=st.sampled_from(SEEDS), donor=st.sampled_from(SEEDS), ops=MUTATIONS)
def test_target_on_mutated_seeds(
    seed: bytes, donor: bytes, ops: list[tuple[str, int, int]]
) -> None:
    run_tolerating_known(mutate(seed, ops, donor))


# --------------------------------------------------------------------------------------------
# What the target found: strict-xfail reproducers, one per `KNOWN_BUGS` entry.

tpl, raw, op, T = fz.tpl, fz.raw, fz.op, fz.T
_PLAY_300_MS = fz.op(fz.INTERRUPT, 3, (300).to_bytes(2, "little"))


def _audio(ms: int, **fields: Any) -> dict[str, Any]:
    pcm = base64.b64encode(b"\x01\x00" * (24 * ms)).decode()
    return {"type": "response.output_audio.delta", "delta": pcm, **fields}


_TURN = {"response_id": "resp_A", "item_id": "item_1", "output_index": 0, "content_index": 0}
_HUGE = {"type": "audio/pcm", "rate": 10**400}
_CREATED = raw({"type": "response.created", "response": {"id": "resp_A", "conversation_id": "c"}})
REPRODUCERS: dict[str, bytes] = {
    # realtime.py:453 `_on_response_created`: `response.id` on a `response.created` whose
    # (optional) `response` is absent or null
    "response-created-without-response": bytes([0]) + raw({"type": "response.created"}),
    # realtime.py:530 `_on_response_done`: the same for `response.done`
    "response-done-without-response": bytes([0]) + raw({"type": "response.done"}),
    # realtime_mirror.py:97 `upsert` (from `_on_item` / `_on_output_item_done`): `item.get` on
    # a `conversation.item.*` / `response.output_item.done` without `item`
    "item-event-without-item": bytes([0]) + raw({"type": "conversation.item.added"}),
    # realtime_mirror.py:184 `add_text`: `item.text += None` for a text delta with a null delta
    "text-delta-null": bytes([0])
    + tpl(T["conversation.item.added"])
    + raw({"type": "response.output_text.delta", "item_id": "item_1", "delta": None}),
    # realtime_mirror.py:174 `add_transcript`: the same for a transcript delta
    "transcript-delta-null": bytes([0])
    + tpl(T["conversation.item.added"])
    + raw({"type": "response.output_audio_transcript.delta", "item_id": "item_1"}),
    # realtime.py:572-573 `_finish`: ``"".join`` over the null deltas kept for the response
    "delta-null-joined": bytes([0])
    + raw({"type": "response.output_text.delta", "response_id": "resp_A"})
    + tpl(T["response.done"]),
    # realtime.py:470-471 `_on_audio_delta` tracks audio without an `item_id`; `interrupt()`
    # then sends `conversation.item.truncate` / `.delete` with `"item_id": null`
    "audio-delta-without-item-id": bytes([0])
    + _CREATED
    + raw(_audio(500, response_id="resp_A", content_index=0))
    + _PLAY_300_MS,
    # the same without `content_index`: `"content_index": null` in the truncate
    "audio-delta-without-content-index": bytes([0])
    + _CREATED
    + raw(_audio(500, response_id="resp_A", item_id="item_1"))
    + _PLAY_300_MS,
    # realtime.py:308-312 `interrupt`: samples counted at the width in force when each delta
    # arrived (`_on_audio_delta`) are turned into ms at the rate in force now; after a
    # `session.updated` from pcm 24 kHz to G.711 (8 kHz) 500 ms received become 1500 ms, and
    # the truncate cuts at 900 ms of a 500 ms item
    "truncate-after-format-change": bytes([0])
    + _CREATED
    + raw(_audio(500, **_TURN))
    + raw(
        {
            "type": "session.updated",
            "session": {"audio": {"output": {"format": {"type": "audio/pcmu"}}}},
        }
    )
    + fz.op(fz.INTERRUPT, 3, (900).to_bytes(2, "little")),
    # realtime.py:216 `append_audio`: ``1000.0 * len(audio) / input_bytes_per_second`` with
    # the input rate the server reported, an int past any float: OverflowError
    "huge-input-rate-overflow": bytes([0])
    + raw({"type": "session.updated", "session": {"audio": {"input": {"format": _HUGE}}}})
    + op(fz.APPEND, 0, b"\x02\x00"),
    # realtime.py:309 `interrupt`: ``played_ms * rate`` with such an output rate
    "huge-output-rate-overflow": bytes([0])
    + raw({"type": "session.updated", "session": {"audio": {"output": {"format": _HUGE}}}})
    + _CREATED
    + raw(_audio(20, **_TURN))
    + _PLAY_300_MS,
    # realtime.py:257-258: a second create_response() waits behind the first; the socket
    # drops before its response.created: `connection_lost` (174) zeroes `_create_in_flight`
    # but keeps `_waiting_creates`, `connection_made` (145) sends nothing that waits, and only
    # `_finish` (587) would, on a response.done that will not come: the caller's response
    # never starts, the session never becomes idle, follow-ups and rollovers stay blocked
    "create-stranded-by-reconnect": bytes([0]) + op(fz.CREATE) + op(fz.CREATE) + op(fz.ROLLOVER),
    # realtime.py:476-482 `_on_transcript_delta` / `_on_text_delta` keep deltas per response
    # id until its response.done: deltas naming responses that never finish grow them
    # without bound (every other per-id memory is `Bounded`)
    "text-of-unfinished-responses-unbounded": bytes([0])
    + b"".join(
        raw({"type": "response.output_text.delta", "response_id": f"r{i}", "delta": "x"})
        for i in range(fz.REMEMBERED + 1)
    ),
}


class KnownBug(Exception):
    """The reproducer failed the way its `KNOWN_BUGS` entry says."""


def test_every_known_bug_has_a_reproducer() -> None:
    assert {name for name, _, _ in fz.KNOWN_BUGS} <= set(REPRODUCERS)


@pytest.mark.parametrize("name", sorted(REPRODUCERS))
def test_fixed_bug_stays_fixed(name: str) -> None:
    """Each input once made the machine fail (the comment above it says how); none does."""
    fz.run(REPRODUCERS[name])


# --------------------------------------------------------------------------------------------
# The target's assertions have teeth.

_SPEAKING = (
    bytes([0])
    + _CREATED
    + raw({"type": "conversation.item.added", "item": {"type": "message", "id": "item_1"}})
    + raw(_audio(500, **_TURN))
)


def _patched(monkeypatch: pytest.MonkeyPatch, cls: type[RealtimeSession]) -> None:
    monkeypatch.setattr(fz, "RealtimeSession", cls)


def test_a_foreign_exception_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(RealtimeSession):
        def receive_message(self, text: str | bytes) -> None:
            raise ValueError("not a protocol error")

    _patched(monkeypatch, Broken)
    with pytest.raises(ValueError):
        fz.run(bytes([0]) + tpl(T["response.created"]))


def test_a_truncate_past_the_audio_received_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    fz.run(_SPEAKING + _PLAY_300_MS)  # the machine as it is: clamped

    class Overshooting(RealtimeSession):
        def _send(self, kind: str, **fields: Any) -> str:
            if kind == "conversation.item.truncate":
                fields["audio_end_ms"] += 201
            return super()._send(kind, **fields)

    _patched(monkeypatch, Overshooting)
    with pytest.raises(AssertionError, match=r"truncate at 501 ms, 500\.0 ms handed out$"):
        fz.run(_SPEAKING + _PLAY_300_MS)


def test_audio_of_a_cancelled_response_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    after_cancel = _SPEAKING + op(fz.CANCEL) + raw(_audio(20, **_TURN))
    fz.run(after_cancel)

    class Forgetful(RealtimeSession):
        def cancel_response(self) -> str | None:
            event_id = super().cancel_response()
            self._cancelled.clear()
            return event_id

    _patched(monkeypatch, Forgetful)
    with pytest.raises(AssertionError, match="audio of cancelled response 'resp_A'"):
        fz.run(after_cancel)


def test_a_call_surfaced_twice_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = (
        bytes([0])
        + tpl(T["response.created"])
        + tpl(T["response.function_call_arguments.done"])
        + tpl(T["response.output_item.done/function_call"])
    )
    fz.run(twice)

    class Repeating(RealtimeSession):
        def _surface(self, call_id: Any, *args: Any) -> None:
            self._surfaced.pop(call_id, None)
            super()._surface(call_id, *args)

    _patched(monkeypatch, Repeating)
    with pytest.raises(AssertionError, match="call 'call_1' surfaced twice"):
        fz.run(twice)


def test_a_response_create_while_active_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    racing = bytes([0]) + op(fz.CREATE) + tpl(T["response.created"]) + op(fz.CREATE)
    fz.run(racing)

    class Eager(RealtimeSession):
        def create_response(self, **response: Any) -> str:
            return self._send("response.create")  # at once, active response or not

    _patched(monkeypatch, Eager)
    with pytest.raises(AssertionError, match=r"response\.create while 'resp_A' is active"):
        fz.run(racing)


def test_an_unbounded_mirror_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    many = bytes([3]) + tpl(T["conversation.item.added"], 0) + tpl(T["conversation.item.added"], 4)
    fz.run(many)  # config 3 bounds the mirror to one item

    class Hoarding(RealtimeSession):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mirror._bound = lambda: None  # type: ignore[method-assign]

    _patched(monkeypatch, Hoarding)
    with pytest.raises(AssertionError, match="mirror over its bound"):
        fz.run(many)


def test_an_invalid_frame_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    commit = bytes([0]) + op(fz.AUDIO_OR_SESSION, 1)
    fz.run(commit)

    class Sloppy(RealtimeSession):
        def commit_audio(self) -> str:
            return self._send("input_audio_buffer.commit", event_id=7)

    _patched(monkeypatch, Sloppy)
    with pytest.raises(AssertionError, match="does not decode as a client event"):
        fz.run(commit)


def test_the_sdk_check_has_teeth() -> None:
    sdk_valid([b'{"type":"response.cancel","response_id":"resp_1"}'])
    with pytest.raises(pydantic.ValidationError):
        sdk_valid([b'{"type":"conversation.item.truncate","item_id":"i","content_index":0}'])


def test_a_tool_call_is_answered_through_the_harness() -> None:
    harness = fz.run(
        bytes([1])
        + tpl(T["response.created"], 1)
        + tpl(T["response.function_call_arguments.done"], 1)
        + tpl(T["response.done"], 1)
        + op(fz.SUBMIT, 0, b"\0")
    )
    assert list(harness.surfaced) == ["call_1"] and len(harness.output_items) == 1
    sent = [json.loads(f) for f in harness.frames]
    assert [f["type"] for f in sent[-2:]] == ["conversation.item.create", "response.create"]
    assert sent[-2]["item"]["call_id"] == "call_1"
