"""``openai-sansio chat --ws``: a multi-turn conversation on one Responses WebSocket.

Prompts come from ``--turn`` arguments, else the positional prompt, else standard input (one
turn per non-empty line). Each reply streams as it arrives; after it, one line says what the
turn cost on the wire: whether it chained on ``previous_response_id``, how many input items and
bytes it sent, time to first token, status and tokens. A turn that calls ``get_weather`` (the
demo tool, answered locally) is followed by a tool-output turn on the same chain.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from .client import Client
from .conversation import ResponsesConnection, Turn
from .protocol.events.common import APIError, ToolCall
from .protocol.events.responses import ResponseOutputTextDelta
from .protocol.responses_ws_events import TurnNotReplayed, TurnRetried

__all__ = ["add_ws_arguments", "run_ws_chat"]


def add_ws_arguments(chat: argparse.ArgumentParser) -> None:
    """The ``--ws`` options of ``chat``."""
    chat.add_argument(
        "--ws", action="store_true", help="a multi-turn conversation over the Responses WebSocket"
    )
    chat.add_argument(
        "--turn", action="append", default=None, help="a user turn (repeat; --ws only)"
    )
    chat.add_argument("--wss-url", default=None, help="override the WebSocket URL (--ws)")
    chat.add_argument("--store", action="store_true", help="store responses server-side (--ws)")
    chat.add_argument("--instructions", default=None, help="system instructions (--ws)")
    chat.add_argument(
        "--prewarm", action="store_true", help="warm the socket up before the first turn (--ws)"
    )
    chat.add_argument(
        "--no-tools", action="store_true", help="do not offer the demo get_weather tool (--ws)"
    )


def _prompts(args: argparse.Namespace, stdin: TextIO) -> Iterable[str]:
    if args.turn:
        return list(args.turn)
    if args.prompt:
        return [args.prompt]
    return (line.strip() for line in stdin if line.strip())


async def _stream(turn: Turn, out: TextIO) -> list[ToolCall]:
    """Print a turn's text as it arrives; return its function calls."""
    calls: list[ToolCall] = []
    async for event in turn:
        if isinstance(event, ResponseOutputTextDelta):
            out.write(event.delta)
            out.flush()
        elif isinstance(event, ToolCall):
            calls.append(event)
            shown = event.parsed if event.ok else f"<{event.problem}>"
            out.write(f"[tool call {event.name}({shown})]")
        elif isinstance(event, APIError):
            print(f"\nerror [{event.classification}] {event.code}: {event.message}", file=out)
        elif isinstance(event, TurnRetried):
            print(f"\n[resent with full context: {event.reason}]", file=out)
        elif isinstance(event, TurnNotReplayed):
            print(f"\n[not replayed: {event.reason}]", file=out)
    out.write("\n")
    return calls


def turn_report(number: int, turn: Turn) -> str:
    """One line: chained?, items and bytes sent, time to first token, status, tokens."""
    started, ended = turn.started, turn.ended
    parts: list[str] = []
    if started is not None:
        chained = f"chained on {started.previous_response_id}" if started.chained else "new chain"
        parts.append(chained)
        parts.append(f"sent {started.items_sent} item(s) / {started.bytes_sent} B")
        if started.attempt > 1:
            parts.append(f"attempt {started.attempt}")
    if turn.first_event_at is not None and turn.started_at is not None:
        parts.append(f"ttft {1000 * (turn.first_event_at - turn.started_at):.1f} ms")
    if ended is not None:
        parts.append(ended.status)
        usage = ended.result.usage if ended.result else None
        if usage is not None:
            parts.append(
                f"tokens in={usage.input_tokens} (cached {usage.cached_tokens}) "
                f"out={usage.output_tokens}"
            )
    return f"turn {number}: " + " | ".join(parts)


async def _converse(
    conv: ResponsesConnection, prompts: Iterable[str], out: TextIO, err: TextIO, weather: Any
) -> int:
    failures = 0
    number = 0
    for prompt in prompts:
        pending: Turn | None = conv.create(input=prompt)
        print(f"> {prompt}", file=out)
        while pending is not None:
            number += 1
            calls = await _stream(pending, out)
            print(turn_report(number, pending), file=err)
            ended = pending.ended
            pending = None
            if ended is None or ended.status not in ("completed", "incomplete"):
                failures += 1
            elif calls:
                outputs: Mapping[str, str] = {
                    c.call_id: weather(str(c.parsed.get("city", "")))
                    if c.ok and isinstance(c.parsed, dict)
                    else '{"error": "bad arguments"}'
                    for c in calls
                }
                pending = conv.tool_outputs(outputs)
    print(
        f"{number} turn(s) on {conv.connections} socket(s); "
        f"conversation: {len(conv.conversation())} item(s)",
        file=err,
    )
    return 1 if failures else 0


async def run_ws_chat(
    args: argparse.Namespace,
    endpoint: Mapping[str, Any],
    recorder_write: Any,
    weather: Any,
    tool: Any,
    stdin: TextIO | None = None,
) -> int:
    """Run ``chat --ws`` against `endpoint` (Client keyword arguments)."""
    options: dict[str, Any] = {}
    if args.instructions:
        options["instructions"] = args.instructions
    if not args.no_tools:
        options["tools"] = [tool]
    async with (
        Client(**endpoint) as client,
        client.responses.connect(
            model=args.model,
            store=bool(args.store),
            wss_url=args.wss_url,
            trace=recorder_write,
            **options,
        ) as conv,
    ):
        if args.prewarm:
            warm = await conv.prewarm()
            print(f"prewarm: {warm.status}", file=sys.stderr)
        return await _converse(
            conv, _prompts(args, stdin or sys.stdin), sys.stdout, sys.stderr, weather
        )
