"""Replay of ``responses-ws`` traces through a fresh `ResponsesSocket`.

Traces with the caller's commands (``app`` records, like the golden traces) are driven by
them and every frame the machine sends must be the next recorded ``send``; hand-written traces
of ``send``/``recv`` records have their creates turned back into commands. A frame the machine
would send differently, or not at all, is reported as a divergence naming its record."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import pytest

from openai_sansio.protocol.responses_ws_events import TurnStatus
from openai_sansio.protocol.trace import ReplaySummary, load_trace, replay

GOLDEN = sorted((Path(__file__).parent / "data" / "responses_ws").glob("*.jsonl"))


def _resp(rid: str, status: str, output: list[Any]) -> dict[str, Any]:
    return {"id": rid, "object": "response", "status": status, "output": output}


def _turn(rid: str, text: str) -> list[dict[str, Any]]:
    msg = {
        "type": "message",
        "id": f"msg_{rid}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _resp(rid, "in_progress", [])},
        {"type": "response.output_item.added", "output_index": 0, "item": msg},
        {"type": "response.output_item.done", "output_index": 0, "item": msg},
        {"type": "response.completed", "response": _resp(rid, "completed", [msg])},
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return [{"op": "recv", "msg": e} for e in events]


def _create(input_: Any, previous: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "response.create", "model": "gpt-5.5", "input": input_}
    if previous:
        frame["previous_response_id"] = previous
    frame["store"] = False
    return {"op": "send", "msg": frame}


USER1 = [{"type": "message", "role": "user", "content": "Hi"}]
USER2 = [{"type": "message", "role": "user", "content": "More"}]


def test_a_chained_conversation_replays_without_divergence() -> None:
    records = [
        _create(USER1),
        *_turn("resp_1", "Hello"),
        _create(USER2, "resp_1"),
        *_turn("resp_2", "Sure"),
    ]
    summary = replay(None, records)
    assert summary.api == "responses-ws"
    assert summary.divergences == []
    assert [(t.response_id, t.status, t.text) for t in summary.turns] == [
        ("resp_1", "completed", "Hello"),
        ("resp_2", "completed", "Sure"),
    ]


def test_a_recorded_full_resend_where_chaining_was_possible_is_a_divergence() -> None:
    history = [
        *USER1,
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello"}],
        },
        *USER2,
    ]
    records = [_create(USER1), *_turn("resp_1", "Hello"), _create(history)]
    summary = replay({"v": 1, "kind": "header", "api": "responses-ws"}, records)
    assert len(summary.divergences) == 1
    assert '"previous_response_id":"resp_1"' in summary.divergences[0]


def test_not_found_resend_is_matched_against_the_recorded_resend() -> None:
    error = {
        "type": "error",
        "status": 400,
        "error": {
            "type": "invalid_request_error",
            "code": "previous_response_not_found",
            "message": "Previous response with id 'resp_1' not found.",
            "param": "previous_response_id",
        },
    }
    resend = {
        "type": "response.create",
        "model": "gpt-5.5",
        "input": [
            *USER1,
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Hello"}],
            },
            *USER2,
        ],
        "store": False,
    }
    records = [
        _create(USER1),
        *_turn("resp_1", "Hello"),
        _create(USER2, "resp_1"),
        {"op": "recv", "msg": error},
        {"op": "send", "msg": resend},
        *_turn("resp_2", "Again"),
    ]
    summary = replay(None, records)
    assert summary.divergences == []
    assert [t.status for t in summary.turns] == ["completed", "completed"]
    assert summary.errors == []  # the miss was recovered, not surfaced as the turn's error


def test_a_recorded_background_flag_is_a_divergence_not_a_crash() -> None:
    create = _create(USER1)
    create["msg"]["background"] = True
    summary = replay(None, [create, *_turn("resp_1", "Hello")])
    assert len(summary.divergences) == 1 and "background" in summary.divergences[0]
    assert [t.status for t in summary.turns] == ["completed"]


# ----------------------------------------------------------------------------- traces with commands


def _golden(name: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    return load_trace((GOLDEN[0].parent / f"{name}.jsonl").read_text().splitlines())


def _numbers(records: list[dict[str, Any]], op: str) -> list[int]:
    """Record numbers (1-based, the header not counted) of the records of kind `op`."""
    return [number for number, r in enumerate(records, 1) if r["op"] == op]


def test_the_golden_traces_are_there() -> None:
    assert len(GOLDEN) >= 30


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_every_golden_trace_replays_without_divergence(path: Path) -> None:
    header, records = load_trace(path.read_text().splitlines())
    summary = replay(header, records)
    assert summary.api == "responses-ws"
    assert summary.divergences == []
    assert summary.sent == [r["msg"] for r in records if r["op"] == "send"]
    created = [r for r in records if r["op"] == "app" and r["call"] in ("create", "prewarm")]
    assert len(summary.turns) == len(created)  # every turn ended, once
    assert all(turn.status in get_args(TurnStatus) for turn in summary.turns)


def _statuses(summary: ReplaySummary) -> list[tuple[str | None, str]]:
    return [(t.response_id, t.status) for t in summary.turns]


def test_a_cancelled_turn_ends_cancelled_and_its_successor_resends_its_input() -> None:
    summary = replay(*_golden("cancel_mid_stream"))
    assert summary.divergences == []
    assert _statuses(summary) == [
        (None, "cancelled"),
        ("resp_2", "completed"),
        ("resp_3", "completed"),
    ]


def test_recorded_turn_ids_are_mapped_to_the_replays() -> None:
    header, records = _golden("cancel_mid_stream")
    for record in records:  # the recording client numbered its turns from 41
        if "returns" in record:
            record["returns"] += 40
        if "turn_id" in record.get("args", {}):
            record["args"]["turn_id"] += 40
    summary = replay(header, records)
    assert summary.divergences == []
    assert [t.status for t in summary.turns] == ["cancelled", "completed", "completed"]


def test_replay_unsafe_comes_from_the_header() -> None:
    header, records = _golden("closed_replay_unsafe")
    assert header is not None and header["config"]["socket"] == {"replay_unsafe": True}
    assert _statuses(replay(header, records)) == [("resp_0", "completed"), ("resp_2", "completed")]

    header["config"]["socket"] = {}  # without the opt-in the cut turn is not resent
    summary = replay(header, records)
    resend = _numbers(records, "send")[-1]
    assert len(summary.divergences) == 1
    assert summary.divergences[0].startswith(f"record {resend}: recorded ")
    assert summary.divergences[0].endswith("but the machine sent nothing")
    assert [t.status for t in summary.turns] == ["completed", "interrupted"]


def test_an_altered_recorded_frame_is_a_divergence_naming_its_record() -> None:
    header, records = _golden("chain_store_false")
    second = _numbers(records, "send")[1]
    records[second - 1]["msg"]["previous_response_id"] = "resp_0"
    summary = replay(header, records)
    assert len(summary.divergences) == 1
    assert summary.divergences[0].startswith(f"record {second}: recorded ")
    assert '"previous_response_id":"resp_0"' in summary.divergences[0]
    assert 'the machine sent {"type":"response.create"' in summary.divergences[0]


def test_a_frame_missing_from_the_trace_is_a_divergence_naming_the_command() -> None:
    header, records = _golden("chain_store_false")
    second = _numbers(records, "send")[1]
    assert records[second - 2]["call"] == "create"  # the command that sent it
    del records[second - 1]
    summary = replay(header, records)
    assert len(summary.divergences) == 1
    assert summary.divergences[0].startswith(f"record {second - 1}: the machine then sent ")
    assert summary.divergences[0].endswith("which the trace does not record")


def test_a_recorded_frame_the_machine_never_sends_is_a_divergence() -> None:
    header, records = _golden("chain_store_false")
    first = _numbers(records, "send")[0]
    records.insert(first, copy.deepcopy(records[first - 1]))  # recorded twice
    summary = replay(header, records)
    assert len(summary.divergences) == 1
    assert summary.divergences[0].startswith(f"record {first + 1}: recorded ")
    assert summary.divergences[0].endswith("but the machine sent nothing")


def test_a_hand_written_trace_of_commands_opens_the_socket_at_its_first_send() -> None:
    records = [
        {"op": "app", "call": "create", "args": {"input": "Hi"}, "returns": 1},
        _create(USER1),
        *_turn("resp_1", "Hello"),
        {"op": "app", "call": "create", "args": {"input": USER2}, "returns": 2},
        _create(USER2, "resp_1"),
        *_turn("resp_2", "Sure"),
    ]
    summary = replay(None, records)
    assert summary.divergences == []
    assert _statuses(summary) == [("resp_1", "completed"), ("resp_2", "completed")]


def test_a_refused_handshake_opens_nothing() -> None:
    header, records = _golden("create_frame")
    assert records[0]["op"] == "request"
    refused = {"t": 0.0, "op": "response", "status": 401, "headers": {}}
    summary = replay(header, [records[0], refused, *records[1:]])
    assert summary.divergences[0].startswith("record 4: recorded ")  # the first send
    assert summary.divergences[0].endswith("but the machine sent nothing")
