"""Replay of hand-written ``responses-ws`` traces: send/recv records drive a fresh
`ResponsesSocket`, and a frame it would send differently is reported as a divergence."""

from __future__ import annotations

from typing import Any

from openai_sansio.protocol.trace import replay


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
