"""Helpers that build exact wire bytes for tests (SSE framing of Responses and Chat events)."""

from __future__ import annotations

import json
from typing import Any


def sse(event: dict[str, Any], *, named: bool = True) -> bytes:
    """One SSE event: ``event: <type>`` (Responses style) then ``data: <json>``."""
    data = json.dumps(event, separators=(",", ":")).encode()
    head = f"event: {event['type']}\n".encode() if named and "type" in event else b""
    return head + b"data: " + data + b"\n\n"


def chat_sse(chunk: dict[str, Any] | str) -> bytes:
    """One Chat Completions SSE event (``data:`` only); a str is sent verbatim (``[DONE]``)."""
    data = chunk if isinstance(chunk, str) else json.dumps(chunk, separators=(",", ":"))
    return b"data: " + data.encode() + b"\n\n"


def response_obj(
    resp_id: str, status: str, output: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": resp_id,
        "object": "response",
        "created_at": 1_700_000_000,
        "status": status,
        "model": "gpt-test",
        "output": output or [],
    }
    body.update(extra)
    return body


def text_turn(resp_id: str, words: list[str]) -> list[dict[str, Any]]:
    """The events of a complete one-message text response, sequence numbers from 0."""
    text = "".join(words)
    msg_done = {
        "type": "message",
        "id": "msg_1",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": response_obj(resp_id, "in_progress")},
        {"type": "response.in_progress", "response": response_obj(resp_id, "in_progress")},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {**msg_done, "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
    ]
    for word in words:
        events.append(
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 0,
                "content_index": 0,
                "delta": word,
                "logprobs": [],
            }
        )
    events += [
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": text,
            "logprobs": [],
        },
        {
            "type": "response.content_part.done",
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": text, "annotations": []},
        },
        {"type": "response.output_item.done", "output_index": 0, "item": msg_done},
        {
            "type": "response.completed",
            "response": response_obj(
                resp_id,
                "completed",
                [msg_done],
                usage={
                    "input_tokens": 5,
                    "output_tokens": len(words),
                    "total_tokens": 5 + len(words),
                    "input_tokens_details": {"cached_tokens": 2},
                    "output_tokens_details": {"reasoning_tokens": 0},
                },
            ),
        },
    ]
    for number, event in enumerate(events):
        event["sequence_number"] = number
    return events
