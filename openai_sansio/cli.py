"""The ``openai-sansio`` command: demo, chat, emulator, replay, audio convert.

Every command that talks to the API takes ``--emulator`` (serve the built-in emulator
in-process on a free loopback port and use it) and ``--base-url``; with neither it talks to
the real service with ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import anyio
import msgspec

from . import emulator
from .audio_cli import add_audio_parser, run_audio
from .cli_common import EMULATOR_KEY, endpoint, missing_key
from .cli_replay import add_replay_parser, run_replay
from .cli_speak import add_speak_parser, run_speak
from .cli_talk import add_talk_parser, run_talk
from .cli_transcribe import add_transcribe_parser, run_transcribe
from .cli_ws import add_ws_arguments, run_ws_chat
from .client import Client
from .errors import APIStatusError, OpenAISansIOError
from .protocol._errors import ProtocolError
from .protocol.chat import ChatChoiceDone, ChatEnd
from .protocol.events.chat import ChatCompletionChunk
from .protocol.events.common import APIError, TokenUsage, ToolCall
from .protocol.events.responses import (
    ResponseCompleted,
    ResponseCreated,
    ResponseOutputItemAdded,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
)
from .protocol.requests import (
    chat_user,
    function_call_output,
    function_tool,
    user_message,
)
from .protocol.responses import ResponseEnd
from .protocol.trace import TraceRecorder

__all__ = ["main"]

WEATHER_TOOL = function_tool(
    "get_weather",
    {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    description="Current weather for a city.",
    strict=True,
)


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Timeline:
    """Prints events as readable, timestamped lines (deltas are gathered per text part)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.t0 = anyio.current_time()
        self.deltas = 0

    def line(self, text: str) -> None:
        elapsed = anyio.current_time() - self.t0
        print(f"[{elapsed:7.3f}s] {text}", file=self.out, flush=True)

    def show(self, event: Any) -> None:
        if isinstance(event, (ResponseOutputTextDelta,)):
            self.deltas += 1
        elif isinstance(event, ChatCompletionChunk):
            if any(c.delta.content for c in event.choices):
                self.deltas += 1
        elif isinstance(event, ResponseCreated):
            self.line(f"response.created        {event.response.id}")
        elif isinstance(event, ResponseOutputItemAdded):
            self.line(f"output_item.added       #{event.output_index} {event.item.type}")
        elif isinstance(event, ResponseOutputTextDone):
            self.line(f"output_text.done        ({self.deltas} deltas) {event.text!r}")
            self.deltas = 0
        elif isinstance(event, ToolCall):
            shown = event.parsed if event.ok else f"<{event.problem}>"
            self.line(f"tool call               {event.name}({shown}) call_id={event.call_id}")
        elif isinstance(event, ResponseCompleted):
            usage = event.response.usage
            tokens = f" tokens in={usage.input_tokens} out={usage.output_tokens}" if usage else ""
            self.line(f"response.completed{tokens}")
        elif isinstance(event, APIError):
            self.line(f"error [{event.classification}] {event.code}: {event.message}")
        elif isinstance(event, ResponseEnd):
            self.line(f"end: {event.status}")
        elif isinstance(event, ChatChoiceDone):
            choice = event.choice
            self.line(
                f"choice {choice.index} done ({self.deltas} deltas) "
                f"finish_reason={choice.finish_reason} {choice.content!r}"
            )
            self.deltas = 0
        elif isinstance(event, ChatEnd):
            chat_usage = event.result.usage
            tokens = (
                f" tokens in={chat_usage.input_tokens} out={chat_usage.output_tokens}"
                if chat_usage
                else ""
            )
            marker = "[DONE]" if event.result.done_marker else "no [DONE]"
            self.line(f"chat end: {event.status} ({marker}){tokens}")


@contextlib.contextmanager
def _trace_file(path: str | None, api: str, config: dict[str, Any]) -> Any:
    if path is None:
        yield None
        return
    with open(path, "wb") as handle:

        def write(line: bytes) -> None:
            handle.write(line)

        yield TraceRecorder(write, api=api, started=_utc_now(), config=config)


def _weather(city: str) -> str:
    """The demo's local tool: deterministic, no network."""
    table = {"paris": (18, "light rain"), "tokyo": (22, "clear"), "lima": (19, "overcast")}
    temp, sky = table.get(city.lower(), (20, "fair"))
    return msgspec.json.encode({"city": city, "temperature_c": temp, "sky": sky}).decode()


async def _demo(args: argparse.Namespace) -> int:
    out = sys.stdout
    print("openai-sansio demo: the built-in emulator on loopback, three streamed turns", file=out)
    async with emulator.running() as server:
        print(f"emulator listening at {server.base_url}", file=out)
        with _trace_file(args.trace, "responses", {"model": args.model}) as recorder:
            async with Client(
                api_key=EMULATOR_KEY, base_url=server.base_url, trace=recorder
            ) as client:
                timeline = Timeline(out)
                print("\n-- 1. Responses API over SSE: a turn that calls a tool", file=out)
                question = "Use get_weather: what is the weather in Paris?"
                async with client.responses.stream(
                    model=args.model, input=question, tools=[WEATHER_TOOL]
                ) as stream:
                    async for event in stream:
                        timeline.show(event)
                first = stream.result
                if not first.tool_calls:
                    print("expected a tool call from the emulator", file=sys.stderr)
                    return 1
                outputs = []
                for call in first.tool_calls:
                    if not call.ok:
                        print(f"bad arguments: {call.problem}", file=sys.stderr)
                        return 1
                    result = _weather(str(call.parsed.get("city", "")))
                    timeline.line(f"ran tool locally       {call.name} -> {result}")
                    outputs.append(function_call_output(call.call_id, result))

                print("\n-- 2. Follow-up turn chained with previous_response_id", file=out)
                async with client.responses.stream(
                    model=args.model,
                    input=outputs,
                    previous_response_id=first.response_id,
                    tools=[WEATHER_TOOL],
                ) as stream:
                    async for event in stream:
                        timeline.show(event)
                second = stream.result

                print("\n-- 3. Chat Completions over SSE", file=out)
                async with client.chat.stream(
                    model=args.chat_model, messages=[chat_user("Say hello to the demo.")]
                ) as chat:
                    async for event in chat:
                        timeline.show(event)
                third = chat.result
        reused = client.transport.connections_opened
    print("\nsummary", file=out)
    print(f"  turn 1: {first.status}, tool calls: {[c.name for c in first.tool_calls]}", file=out)
    print(f"  turn 2: {second.status}: {second.text!r}", file=out)
    print(f"  turn 3: {third.status}: {third.text!r}", file=out)
    print(f"  TCP connections opened for 3 requests: {reused} (keep-alive)", file=out)
    if args.trace:
        print(
            f"  trace written to {args.trace} (replay: openai-sansio replay {args.trace})", file=out
        )
    ok = first.status == second.status == "completed" and third.status == "completed"
    return 0 if ok else 1


async def _chat(args: argparse.Namespace) -> int:
    use_emulator = args.emulator
    if missing_key(args):
        return 2
    if args.ws:
        async with endpoint(use_emulator, args.base_url) as client_args:
            with contextlib.ExitStack() as stack:
                write = None
                if args.trace:
                    write = stack.enter_context(open(args.trace, "wb")).write
                return await run_ws_chat(args, client_args, write, _weather, WEATHER_TOOL)
    if args.prompt is None:
        print("error: chat needs a PROMPT (or --ws with --turn / stdin)", file=sys.stderr)
        return 2
    api = args.api
    async with endpoint(use_emulator, args.base_url) as client_args:
        with _trace_file(args.trace, api, {"model": args.model}) as recorder:
            async with Client(trace=recorder, **client_args) as client:
                if api == "responses":
                    async with client.responses.stream(
                        model=args.model, input=[user_message(args.prompt)]
                    ) as stream:
                        async for event in stream:
                            if isinstance(event, ResponseOutputTextDelta):
                                print(event.delta, end="", flush=True)
                            elif isinstance(event, APIError):
                                print(f"\nerror: {event.code}: {event.message}", file=sys.stderr)
                    print()
                    result = stream.result
                    usage: TokenUsage | None = result.usage
                    status = result.status
                else:
                    async with client.chat.stream(
                        model=args.model, messages=[chat_user(args.prompt)]
                    ) as chat:
                        async for event in chat:
                            if isinstance(event, ChatCompletionChunk):
                                for choice in event.choices:
                                    if choice.delta.content:
                                        print(choice.delta.content, end="", flush=True)
                            elif isinstance(event, APIError):
                                print(f"\nerror: {event.code}: {event.message}", file=sys.stderr)
                    print()
                    chat_result = chat.result
                    usage = chat_result.usage
                    status = chat_result.status
    if usage is not None:
        print(
            f"[{status}] tokens: in={usage.input_tokens} out={usage.output_tokens} "
            f"cached={usage.cached_tokens} reasoning={usage.reasoning_tokens}",
            file=sys.stderr,
        )
    return 0 if status == "completed" else 1


async def _talk_command(args: argparse.Namespace) -> int:
    if missing_key(args):
        return 2
    # the emulator speaks at the pace the file is streamed, so a barge-in lands mid-reply
    paced = emulator.EmulatorConfig(realtime_rtf=1.0 / args.speed)
    async with endpoint(args.emulator, args.base_url, paced) as client_args:
        return await run_talk(args, client_args)


def _emulator(args: argparse.Namespace) -> int:
    if args.rules:
        print(emulator.RULES_DOC)
        return 0
    emulator.serve_forever(args.host, args.port, emulator.EmulatorConfig(seed=args.seed))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-sansio", description="Sans-I/O client for OpenAI's streaming APIs."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a scripted session against the built-in emulator")
    demo.add_argument("--model", default="gpt-5.5")
    demo.add_argument("--chat-model", default="gpt-4o-mini")
    demo.add_argument("--trace", default="demo-trace.jsonl", help="where to write the trace")

    chat = sub.add_parser(
        "chat", help="stream one reply to PROMPT (or, with --ws, a multi-turn conversation)"
    )
    chat.add_argument("prompt", nargs="?", default=None)
    chat.add_argument("--api", choices=("responses", "chat"), default="responses")
    chat.add_argument("--model", default="gpt-4o-mini")
    chat.add_argument("--base-url", default=None)
    chat.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    chat.add_argument("--trace", default=None, help="record the exchange to this file")
    add_ws_arguments(chat)

    emu = sub.add_parser("emulator", help="serve the OpenAI emulator on loopback")
    emu.add_argument("--port", type=int, default=8765)
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--seed", type=int, default=0)
    emu.add_argument("--rules", action="store_true", help="print when it answers with tools")

    add_audio_parser(sub)
    add_talk_parser(sub)
    add_speak_parser(sub)
    add_transcribe_parser(sub)

    add_replay_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``openai-sansio`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            return anyio.run(_demo, args)
        if args.command == "chat":
            return anyio.run(_chat, args)
        if args.command == "replay":
            return run_replay(args)
        if args.command == "audio":
            return run_audio(args)
        if args.command == "talk":
            return anyio.run(_talk_command, args)
        if args.command == "speak":
            return run_speak(args)
        if args.command == "transcribe":
            return run_transcribe(args)
        return _emulator(args)
    except APIStatusError as exc:
        print(f"error: {exc} [{exc.error.classification}]", file=sys.stderr)
        return 1
    except (OpenAISansIOError, ProtocolError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
