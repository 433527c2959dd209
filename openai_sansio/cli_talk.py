"""``openai-sansio talk``: a voice session driven by a WAV file.

``talk --input IN.wav --output OUT.wav [--barge-in-at SECONDS] [--tools demo] [--speed X]
[--emulator]`` streams IN to a Realtime session in 20 ms frames at real time (or `--speed`
times faster), then a short tail of silence so server VAD can end the last turn; writes the
agent's audio to OUT at the input's rate; and prints a timeline: speech start/stop,
responses, transcripts, truncations and tool calls. `--barge-in-at` interrupts the agent at
that input time as a listener would (what was "played" is what the output clock reached).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

import anyio
import numpy as np

from .audio.wav import WavReader, WavWriter
from .client import Client
from .protocol.events.common import APIError, ToolCall
from .protocol.realtime_config import RealtimeConfig
from .protocol.realtime_session_events import (
    ConversationRestored,
    Interruption,
    RealtimeError,
    ResponseFinished,
)
from .realtime_client import AudioFrame, RealtimeConnection

__all__ = ["add_talk_parser", "run_talk"]

FRAME_MS = 20
TAIL_MS = 1500


def add_talk_parser(sub: Any) -> None:
    talk = sub.add_parser("talk", help="a voice session driven by a WAV file")
    talk.add_argument("--input", required=True, help="16-bit PCM WAV to say")
    talk.add_argument("--output", required=True, help="where to write the agent's audio")
    talk.add_argument("--barge-in-at", type=float, default=None, help="interrupt at SECONDS")
    talk.add_argument("--tools", choices=("none", "demo"), default="none")
    talk.add_argument("--speed", type=float, default=1.0, help="stream N times real time")
    talk.add_argument("--model", default="gpt-realtime")
    talk.add_argument("--voice", default=None)
    talk.add_argument("--base-url", default=None)
    talk.add_argument("--emulator", action="store_true", help="use the built-in emulator")
    talk.add_argument("--trace", default=None, help="record the session to this file")


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name.
    """
    table = {"paris": "18C, light rain", "tokyo": "22C, clear", "lima": "19C, overcast"}
    return table.get(city.lower(), "20C, fair")


class _Timeline:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.t0 = anyio.current_time()

    def line(self, text: str) -> None:
        print(f"[{anyio.current_time() - self.t0:7.3f}s] {text}", file=self.out, flush=True)


async def _stream_input(
    session: RealtimeConnection,
    reader: WavReader,
    speed: float,
    barge_in: float | None,
    clock: dict[str, float],
    timeline: _Timeline,
    scope: anyio.CancelScope,
) -> None:
    """Say the file, then wait until the session has been idle for a moment and stop."""
    frames = max(1, reader.rate * FRAME_MS // 1000)
    sent_ms = 0.0
    silence = np.zeros((frames, reader.channels), dtype=np.int16)
    blocks = list(reader.blocks(frames))
    tail = [silence] * (TAIL_MS // FRAME_MS)
    for block in [*blocks, *tail]:
        session.send_audio(block.astype("<i2").tobytes())
        sent_ms += 1000.0 * block.shape[0] / reader.rate
        if barge_in is not None and sent_ms >= barge_in * 1000.0 and not clock.get("barged"):
            clock["barged"] = 1.0
            since = clock.pop("speaking_since", None)  # the listener stops listening
            if since is not None:
                played = max(0.0, (anyio.current_time() - since) * 1000.0 * speed)
                timeline.line(_interruption(session.interrupt(played_ms=played)))
        await anyio.sleep(FRAME_MS / 1000.0 / speed)
    quiet = 0.0
    while quiet < 0.3 / speed:  # the last turn: VAD commits, the response plays out
        await anyio.sleep(0.05 / speed)
        quiet = quiet + 0.05 / speed if session.machine.idle else 0.0
    scope.cancel()


def _interruption(result: Interruption) -> str:
    action = "truncated" if result.truncated else ("deleted" if result.deleted else "kept")
    cancel = " + response.cancel" if result.cancelled else ""
    return (
        f"barge-in: item {result.item_id} {action} at {result.played_ms} ms "
        f"of {result.received_ms} ms received{cancel}"
    )


class _State:
    """What the timeline counts, and the output clock a barge-in reads."""

    def __init__(self, writer: WavWriter, timeline: _Timeline, speed: float) -> None:
        self.session: RealtimeConnection | None = None
        self.speed = speed
        self.writer = writer
        self.timeline = timeline
        self.clock: dict[str, float] = {}
        self.finished = 0
        self.failures = 0

    def show(self, event: Any) -> None:
        line, kind = self.timeline.line, getattr(event, "type", None)
        if isinstance(event, AudioFrame):
            self.clock.setdefault("speaking_since", anyio.current_time())
            self.writer.write(np.frombuffer(event.pcm, dtype="<i2"))
            if event.last:
                self.clock.pop("speaking_since", None)
        elif kind == "input_audio_buffer.speech_started":
            line(f"user speech started at {event.audio_start_ms} ms")
            since = self.clock.pop("speaking_since", None)
            if since is not None and self.session is not None:  # the listener barged in
                played = (anyio.current_time() - since) * 1000.0 * self.speed
                self.timeline.line(_interruption(self.session.interrupt(played_ms=played)))
        elif kind == "input_audio_buffer.speech_stopped":
            line(f"user speech stopped at {event.audio_end_ms} ms")
        elif kind == "response.created":
            self.clock.pop("speaking_since", None)
            line(f"response {event.response.id} started")
        elif kind == "conversation.item.input_audio_transcription.completed":
            line(f"user said: {event.transcript!r}")
        elif kind == "conversation.item.truncated":
            line(f"server truncated {event.item_id} at {event.audio_end_ms} ms")
        elif isinstance(event, ToolCall):
            line(f"tool call {event.name}({event.arguments})")
        elif type(event).__name__ == "ToolResult":
            line(f"tool result {event.name} -> {event.output}")
        elif isinstance(event, ResponseFinished):
            self.clock.pop("speaking_since", None)
            self.finished += 1
            reason = f" ({event.reason})" if event.reason else ""
            line(
                f"response {event.response_id} {event.status}{reason}: "
                f"{event.transcript or event.text!r}"
            )
            self.failures += event.status == "failed"
        elif isinstance(event, RealtimeError):
            error = event.error
            line(f"error [{error.classification}] {error.code}: {error.message}")
            self.failures += error.classification == "fatal"
        elif isinstance(event, APIError):
            line(f"error {event.code}: {event.message}")
            self.failures += 1
        elif isinstance(event, ConversationRestored):
            line(f"new socket: {event.items} item(s) restored")


async def _talk(args: argparse.Namespace, endpoint: dict[str, Any], out: TextIO) -> int:
    tools = [get_weather] if args.tools == "demo" else []
    config = RealtimeConfig(voice=args.voice) if args.voice else RealtimeConfig()
    timeline = _Timeline(out)
    with contextlib.ExitStack() as stack:
        reader = stack.enter_context(WavReader(args.input))
        writer = stack.enter_context(WavWriter(args.output, reader.rate, 1))
        trace = stack.enter_context(open(args.trace, "wb")) if args.trace else None
        state = _State(writer, timeline, args.speed)

        def record(line: bytes) -> None:
            assert trace is not None
            trace.write(line)

        async with (
            Client(**endpoint) as client,
            client.realtime.connect(
                model=args.model,
                config=config,
                tools=tools,
                input_rate=reader.rate,
                input_channels=reader.channels,
                output_rate=reader.rate,
                trace=record if trace is not None else None,
            ) as session,
            anyio.create_task_group() as group,
        ):
            state.session = session
            group.start_soon(
                _stream_input,
                session,
                reader,
                args.speed,
                args.barge_in_at,
                state.clock,
                timeline,
                group.cancel_scope,
            )
            async for event in session:
                state.show(event)
    timeline.line(f"done: {state.finished} response(s); agent audio written to {args.output}")
    return 1 if state.failures or not state.finished else 0


async def run_talk(args: argparse.Namespace, endpoint: dict[str, Any]) -> int:
    """Run ``talk`` against `endpoint` (Client keyword arguments)."""
    if not Path(args.input).exists():
        print(f"error: {args.input}: no such file", file=sys.stderr)
        return 1
    return await _talk(args, endpoint, sys.stdout)
