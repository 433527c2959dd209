"""Chat Completions stream assembly: SSE bytes -> chunks + assembled result.

Input: a synthetic stream shaped like the recorded real ones in
``../shared/fixtures/chat-sse-recorded/`` (same fields, id lengths, ``obfuscation``): a role
chunk, 2,000 text chunks, two parallel tool calls of ~250 argument fragments each, the
``finish_reason`` chunk, the usage chunk and ``data: [DONE]``; fed in random 1-4 KB chunks.

What each side includes:

- ours ChatStream: ``ChatStream.receive_data(chunk)`` + drain ``events()`` per chunk, then
  ``receive_eof()``: SSE framing, typed decode of each chunk, assembly of text and tool calls
  (arguments parsed as JSON when the choice finishes), ``ToolCall``/``ChatChoiceDone``/
  ``ChatEnd`` events with the ``ChatResult``.
- openai SDK full: ``openai.lib.streaming.chat.ChatCompletionStream`` over
  ``Stream[ChatCompletionChunk]`` over an in-memory ``httpx2.Response`` with the same chunks,
  i.e. what ``client.chat.completions.stream()`` runs: the SDK's SSE decoder, ``json.loads``,
  ``construct_type(type_=ChatCompletionChunk)`` per chunk, then
  ``ChatCompletionStreamState.handle_chunk`` (the events it yields are consumed), and
  ``get_final_completion()`` at the end. No ``input_tools`` are passed (so the SDK does not
  parse arguments; that is its cheaper path).
- openai SDK handle_chunk only: ``ChatCompletionStreamState().handle_chunk`` over
  pre-constructed SDK chunk objects + ``get_final_completion()``: assembly alone, with no SSE,
  JSON or construct cost. Ours has no separable equivalent (it decodes as it assembles), so the
  ratio against this row is a lower bound.

Goal: ours >= 30x the SDK (full path, chunks per second).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx2
import openai
from _common import (
    Table,
    X,
    check,
    compare,
    fmt_rate,
    fmt_time,
    goal_line,
    header,
)
from _payloads import chat_chunks, chat_sse_body, chunk_body
from openai import omit
from openai._streaming import Stream
from openai.lib.streaming.chat import ChatCompletionStream, ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from openai_sansio.protocol.chat import ChatEnd, ChatStream

_CLIENT = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9/v1", max_retries=0)
_REQUEST = httpx2.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def ours(chunks: list[bytes]) -> list[Any]:
    stream = ChatStream()
    receive = stream.receive_data
    drain = stream.events
    out: list[Any] = []
    for chunk in chunks:
        receive(chunk)
        out += drain()
    stream.receive_eof()
    out += drain()
    return out


def sdk_full(chunks: list[bytes]) -> Any:
    response = httpx2.Response(200, content=iter(chunks), request=_REQUEST)
    raw = Stream(cast_to=ChatCompletionChunk, response=response, client=_CLIENT)
    stream = ChatCompletionStream(raw_stream=raw, response_format=omit, input_tools=omit)
    for _ in stream:
        pass
    return stream.get_final_completion()


def sdk_state_only(objects: list[Any]) -> Any:
    state = ChatCompletionStreamState()
    handle = state.handle_chunk
    for chunk in objects:
        for _ in handle(chunk):
            pass
    return state.get_final_completion()


def summary_ours(events: list[Any]) -> dict[str, Any]:
    end = events[-1]
    check(isinstance(end, ChatEnd), "ChatStream did not end with ChatEnd")
    result = end.result
    choice = result.choices[0]
    return {
        "id": result.id,
        "model": result.model,
        "content": choice.content,
        "finish_reason": choice.finish_reason,
        "tool_calls": [(c.call_id, c.name, c.arguments) for c in choice.tool_calls],
        "usage": (result.usage.input_tokens, result.usage.output_tokens) if result.usage else None,
    }


def summary_sdk(completion: Any) -> dict[str, Any]:
    choice = completion.choices[0]
    message = choice.message
    return {
        "id": completion.id,
        "model": completion.model,
        "content": message.content,
        "finish_reason": choice.finish_reason,
        "tool_calls": [
            (c.id, c.function.name, c.function.arguments) for c in message.tool_calls or []
        ],
        "usage": (completion.usage.prompt_tokens, completion.usage.completion_tokens)
        if completion.usage
        else None,
    }


def main() -> dict[str, bool]:
    header("Chat stream assembly (SSE bytes -> chunks + assembled completion)")
    dicts = chat_chunks()
    body = chat_sse_body(dicts)
    chunks = chunk_body(body)
    n = len(dicts)
    print(
        f"Input: {len(body):,} B, {n:,} chunks ({len(body) / n:.0f} B/chunk) + [DONE], "
        f"{len(chunks)} reads of 1-4 KB."
    )
    print()
    objects = [
        _CLIENT._process_response_data(
            data=d, cast_to=ChatCompletionChunk, response=httpx2.Response(200)
        )
        for d in dicts
    ]

    # --- same result from every method
    mine = ours(chunks)
    expect = summary_ours(mine)
    full = summary_sdk(sdk_full(chunks))
    only = summary_sdk(sdk_state_only(objects))
    only_again = summary_sdk(sdk_state_only(objects))
    check(expect == full, f"ours and the SDK disagree:\n{expect}\n{full}")
    check(expect == only == only_again, "SDK state-only result differs (or chunks mutated)")
    n_chunk_events = sum(1 for e in mine if type(e).__name__ == "ChatCompletionChunk")
    check(n_chunk_events == n, f"ours yielded {n_chunk_events} chunks, want {n}")
    for call in expect["tool_calls"]:
        json.loads(call[2])
    print(
        f"Check: ours and the SDK assemble the same id, model, text "
        f"({len(expect['content']):,} chars), finish_reason, {len(expect['tool_calls'])} "
        "tool calls (id, name, arguments) and usage; ours yields every chunk typed."
    )
    print()

    methods = {
        "ours ChatStream (receive_data + events)": lambda: ours(chunks),
        "openai SDK ChatCompletionStream (full)": lambda: sdk_full(chunks),
        "openai SDK handle_chunk only (pre-built chunks)": lambda: sdk_state_only(objects),
    }
    result = compare(methods)
    base = "ours ChatStream (receive_data + events)"
    table = Table("method", "per chunk", "chunks/s", "time ÷ ours")
    for name in methods:
        t = result.median(name)
        table.add(
            name,
            fmt_time(t / n),
            fmt_rate(n / t),
            result.cell(name, base),
        )
    table.print()
    goals = {
        "chat assembly vs SDK": goal_line(
            "speed-up over the SDK (full streaming path)",
            result.ratio("openai SDK ChatCompletionStream (full)", base),
            30,
        )
    }
    print(
        "(against the SDK's handle_chunk alone, which excludes its SSE, JSON and construct "
        f"cost: {result.ratio('openai SDK handle_chunk only (pre-built chunks)', base):.3g}{X})"
    )
    print()
    return goals


if __name__ == "__main__":
    main()
