"""Deterministic payloads shaped like real traffic, shared by the benchmarks.

- Responses SSE stream: ``response.created``, ``response.in_progress``,
  ``output_item.added``, ``content_part.added``, N ``response.output_text.delta`` (with
  ``logprobs: []`` and the ``obfuscation`` padding the API adds), ``output_text.done``,
  ``content_part.done``, ``output_item.done``, ``response.completed`` (with usage); framed as
  ``event: <type>\\ndata: <compact json>\\n\\n`` as the API sends it.
- Single events for the per-event decode benchmark.
- A Chat Completions stream with text and two parallel tool calls, shaped like the recorded
  real streams in ``../shared/fixtures/chat-sse-recorded/`` (same fields and id lengths).
- A realistic ``response.create`` client event.

IDs have the real lengths (``resp_``/``msg_``/``fc_`` + 48 hex, ``call_`` + 24 alnum).
Everything is seeded, so every run and every method sees the same bytes.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any

__all__ = [
    "chat_chunks",
    "chat_sse_body",
    "chunk_body",
    "responses_create_fields",
    "responses_sse_body",
    "responses_stream_events",
    "single_events",
    "sse_frame",
]

_ALNUM = string.ascii_letters + string.digits
_WORD_TEXT = (
    "the a of to and in is that for it as with on be by this are from at or an which can "
    "stream event parser server client protocol delta response model token socket buffer "
    "latency throughput decode encode message function call argument result output input "
    "value field object array string number boolean null schema union type state machine"
)
_WORDS = tuple(_WORD_TEXT.split())
_PUNCT = [",", ".", ";", ":", "!", "?"]


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _alnum(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def dumps(obj: Any) -> str:
    """Compact JSON as the API sends it (no spaces, UTF-8 kept)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def sse_frame(event_type: str | None, data: str) -> bytes:
    head = f"event: {event_type}\n" if event_type is not None else ""
    return f"{head}data: {data}\n\n".encode()


def _obfuscation(rng: random.Random, delta: str) -> str:
    # the API pads every delta event so its size does not reveal the token length
    return _alnum(rng, max(2, 16 - len(delta)))


def _text_pieces(rng: random.Random, n: int) -> list[str]:
    pieces: list[str] = []
    for i in range(n):
        if i and rng.random() < 0.08:
            pieces.append(rng.choice(_PUNCT))
        else:
            pieces.append(" " + rng.choice(_WORDS))
    pieces[0] = pieces[0].lstrip().capitalize()
    return pieces


_TOOLS = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
            "additionalProperties": False,
        },
        "strict": True,
    }
]


def _response_snapshot(
    resp_id: str,
    status: str,
    *,
    output: list[Any],
    usage: dict[str, Any] | None = None,
    created_at: int = 1763900000,
) -> dict[str, Any]:
    return {
        "id": resp_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "completed_at": created_at + 4 if status == "completed" else None,
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": "gpt-5.5-2026-04-01",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "reasoning": {"effort": "low", "summary": None},
        "safety_identifier": None,
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": _TOOLS,
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": usage,
        "user": None,
        "metadata": {},
    }


def _usage(input_tokens: int, output_tokens: int, reasoning: int = 0) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": input_tokens + output_tokens,
    }


def responses_stream_events(n_deltas: int = 2000, seed: int = 1) -> list[dict[str, Any]]:
    """The events of one streamed text response with `n_deltas` text deltas."""
    rng = random.Random(seed)
    resp_id = "resp_" + _hex(rng, 48)
    msg_id = "msg_" + _hex(rng, 48)
    pieces = _text_pieces(rng, n_deltas)
    text = "".join(pieces)
    events: list[dict[str, Any]] = []

    def emit(type_: str, **fields: Any) -> None:
        events.append({"type": type_, "sequence_number": len(events), **fields})

    emit("response.created", response=_response_snapshot(resp_id, "in_progress", output=[]))
    emit("response.in_progress", response=_response_snapshot(resp_id, "in_progress", output=[]))
    empty_item = {
        "id": msg_id,
        "type": "message",
        "status": "in_progress",
        "content": [],
        "role": "assistant",
    }
    emit("response.output_item.added", output_index=0, item=empty_item)
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
    emit(
        "response.content_part.added",
        item_id=msg_id,
        output_index=0,
        content_index=0,
        part=part,
    )
    for piece in pieces:
        emit(
            "response.output_text.delta",
            item_id=msg_id,
            output_index=0,
            content_index=0,
            delta=piece,
            logprobs=[],
            obfuscation=_obfuscation(rng, piece),
        )
    emit(
        "response.output_text.done",
        item_id=msg_id,
        output_index=0,
        content_index=0,
        text=text,
        logprobs=[],
    )
    done_part = {**part, "text": text}
    emit(
        "response.content_part.done",
        item_id=msg_id,
        output_index=0,
        content_index=0,
        part=done_part,
    )
    done_item = {**empty_item, "status": "completed", "content": [done_part]}
    emit("response.output_item.done", output_index=0, item=done_item)
    final = _response_snapshot(
        resp_id, "completed", output=[done_item], usage=_usage(1234, n_deltas)
    )
    emit("response.completed", response=final)
    return events


def responses_sse_body(events: list[dict[str, Any]]) -> bytes:
    return b"".join(sse_frame(e["type"], dumps(e)) for e in events)


def chunk_body(body: bytes, lo: int = 1024, hi: int = 4096, seed: int = 7) -> list[bytes]:
    """Split `body` in random pieces of `lo`-`hi` bytes (as socket reads deliver it)."""
    rng = random.Random(seed)
    out: list[bytes] = []
    i = 0
    while i < len(body):
        n = rng.randint(lo, hi)
        out.append(body[i : i + n])
        i += n
    return out


# ----------------------------------------------------------------------- single events


def single_events(seed: int = 3) -> dict[str, tuple[str, str]]:
    """name -> (api, JSON text) for the per-event decode benchmark."""
    rng = random.Random(seed)
    resp_id = "resp_" + _hex(rng, 48)
    msg_id = "msg_" + _hex(rng, 48)
    fc_id = "fc_" + _hex(rng, 48)
    rs_id = "rs_" + _hex(rng, 48)
    call_id = "call_" + _alnum(rng, 24)
    out: dict[str, tuple[str, str]] = {}

    out["resp text delta"] = (
        "responses",
        dumps(
            {
                "type": "response.output_text.delta",
                "sequence_number": 57,
                "item_id": msg_id,
                "output_index": 1,
                "content_index": 0,
                "delta": " stream",
                "logprobs": [],
                "obfuscation": _obfuscation(rng, " stream"),
            }
        ),
    )
    out["resp function_call_arguments.delta"] = (
        "responses",
        dumps(
            {
                "type": "response.function_call_arguments.delta",
                "sequence_number": 131,
                "item_id": fc_id,
                "output_index": 2,
                "delta": '{"city',
                "obfuscation": _obfuscation(rng, '{"city'),
            }
        ),
    )
    arguments = '{"city":"Paris","unit":"celsius"}'
    fc_item = {
        "id": fc_id,
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": call_id,
        "name": "get_weather",
    }
    message_text = (
        "Let me check the current weather in Paris for you, then I will summarise it "
        "in a short sentence with the temperature in degrees Celsius. I will also mention "
        "whether you need an umbrella, the wind, and what the afternoon looks like, so you "
        "can plan your walk along the river before the evening gets cold."
    )
    output = [
        {"id": rs_id, "type": "reasoning", "summary": []},
        {
            "id": msg_id,
            "type": "message",
            "status": "completed",
            "content": [
                {"type": "output_text", "annotations": [], "logprobs": [], "text": message_text}
            ],
            "role": "assistant",
        },
        fc_item,
    ]
    out["resp response.completed"] = (
        "responses",
        dumps(
            {
                "type": "response.completed",
                "sequence_number": 140,
                "response": _response_snapshot(
                    resp_id, "completed", output=output, usage=_usage(311, 96, reasoning=64)
                ),
            }
        ),
    )
    out["resp output_item.done (function_call)"] = (
        "responses",
        dumps(
            {
                "type": "response.output_item.done",
                "sequence_number": 139,
                "output_index": 2,
                "item": fc_item,
            }
        ),
    )
    out["resp unknown type (pass-through)"] = (
        "responses",
        dumps(
            {
                "type": "response.hologram_projection.delta",
                "sequence_number": 58,
                "item_id": msg_id,
                "output_index": 1,
                "delta": "x1y2z3",
                "obfuscation": _obfuscation(rng, "x1y2z3"),
            }
        ),
    )
    out["chat chunk"] = ("chat", dumps(chat_chunks(n_text=4, seed=seed)[2]))
    return out


# ------------------------------------------------------------------------------ chat


def chat_chunks(
    n_text: int = 2000, n_args: int = 300, n_calls: int = 2, seed: int = 5
) -> list[dict[str, Any]]:
    """One Chat Completions stream: a role chunk, `n_text` content chunks, `n_calls`
    parallel tool calls of ~`n_args` argument fragments each, the finish chunk and the usage
    chunk (``stream_options.include_usage``). Shaped like the recorded real streams."""
    rng = random.Random(seed)
    base = {
        "id": "chatcmpl-" + _alnum(rng, 29),
        "object": "chat.completion.chunk",
        "created": 1763900000,
        "model": "gpt-4o-2024-08-06",
        "service_tier": "default",
        "system_fingerprint": "fp_" + _hex(rng, 10),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        text = delta.get("content") or ""
        return {
            **base,
            "choices": [choice],
            **extra,
            "obfuscation": _obfuscation(rng, text),
        }

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    for piece in _text_pieces(rng, n_text):
        out.append(chunk({"content": piece}))
    for c in range(n_calls):
        call_id = "call_" + _alnum(rng, 24)
        out.append(
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": c,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                }
            )
        )
        cities = " ".join(rng.choice(_WORDS) for _ in range(n_args * 5 // 6))
        arguments = dumps({"city": cities, "unit": "celsius"})
        for i in range(0, len(arguments), 6):
            fragment = {"index": c, "function": {"arguments": arguments[i : i + 6]}}
            out.append(chunk({"tool_calls": [fragment]}))
    out.append(chunk({}, finish="tool_calls"))
    usage_chunk = {
        **base,
        "choices": [],
        "usage": {
            "prompt_tokens": 87,
            "completion_tokens": n_text + n_calls * n_args,
            "total_tokens": 87 + n_text + n_calls * n_args,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "obfuscation": _alnum(rng, 12),
    }
    out.append(usage_chunk)
    return out


def chat_sse_body(chunks: list[dict[str, Any]]) -> bytes:
    return b"".join(sse_frame(None, dumps(c)) for c in chunks) + b"data: [DONE]\n\n"


# ------------------------------------------------------------------------- client event


def responses_create_fields(seed: int = 11) -> dict[str, Any]:
    """Fields of a realistic ``response.create`` (WebSocket mode), without ``type``."""
    rng = random.Random(seed)
    return {
        "model": "gpt-5.5",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [
                    {
                        "type": "input_text",
                        "text": "You are a concise assistant. Use tools when they help.",
                    }
                ],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "What is the weather in Paris?"}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "And answer in Celsius, in one sentence."}
                ],
            },
        ],
        "tools": _TOOLS,
        "previous_response_id": "resp_" + _hex(rng, 48),
        "stream_id": "lane-" + _alnum(rng, 8),
        "store": True,
        "tool_choice": "auto",
    }
