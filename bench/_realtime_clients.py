"""The clients of ``realtime_sessions.py``: one voice session each, same audio, same schedule.

Each session function opens its connection, reports to the `Gate`, waits for the common start,
then runs `send_loop` (20 ms frames on an absolute schedule) and its receive loop until
``clock.stop``, counting into its `Stats`. What each client does is described in
``realtime_sessions.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import numpy as np
import openai
from websockets.asyncio.client import connect as ws_connect

from openai_sansio.client import Client
from openai_sansio.protocol.realtime_session_events import ResponseFinished
from openai_sansio.realtime_client import AudioFrame

RATE = 24000
FRAME_MS = 20
FRAME_BYTES = RATE * FRAME_MS // 1000 * 2  # 960
SPEECH_FRAMES, SILENCE_FRAMES = 30, 140  # 0.6 s voiced, 2.8 s silence: a 3.4 s cycle
MODEL = "gpt-realtime"
KEY = "sk-bench"

OURS = "ours client.realtime.connect"
SDK = "openai SDK AsyncOpenAI.realtime.connect"
PLUGIN = "plugin style: websockets + json + base64"


def cycle_frames() -> list[bytes]:
    """One cycle of 20 ms frames: a 220 Hz tone (continuous phase), then digital silence."""
    t = np.arange(FRAME_BYTES // 2) / RATE
    voiced = []
    for k in range(SPEECH_FRAMES):
        wave = 3300 * np.sin(2 * np.pi * 220 * (t + k * FRAME_MS / 1000))
        voiced.append(wave.astype("<i2").tobytes())
    return voiced + [bytes(FRAME_BYTES)] * SILENCE_FRAMES


FRAMES = cycle_frames()


# --------------------------------------------------------------- per-session state, schedule


@dataclass
class Stats:
    """Counters of one session, read by the main task at the window's edges."""

    sent: int = 0
    frames_in: int = 0  # 20 ms frames of agent audio
    responses: int = 0  # responses that ended (any status)
    completed: int = 0
    late: list[float] = field(default_factory=list)  # seconds after due, sends in the window


@dataclass
class Clock:
    """The run's schedule: every session starts sending at `t0`; the window follows."""

    t0: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)
    stop: float = 0.0


async def send_loop(clock: Clock, phase: float, stats: Stats, send: Callable[[bytes], Any]) -> None:
    """`send(frame)` every 20 ms on an absolute schedule. `phase` (0-1) picks the session's
    place in the speech cycle and in the 20 ms tick, so sessions neither speak together nor
    all wake on the same instant (as independent callers would)."""
    k = 0
    n = len(FRAMES)
    lo, hi = clock.window
    first = int(phase * n)
    start = clock.t0 + phase * FRAME_MS / 1000
    while True:
        due = start + k * FRAME_MS / 1000
        if due >= clock.stop:
            return
        await anyio.sleep_until(due)
        now = anyio.current_time()
        if lo <= due < hi:
            stats.late.append(now - due)
        result = send(FRAMES[(first + k) % n])
        if result is not None:
            await result
        stats.sent += 1
        k += 1


Session = Callable[[str, Clock, float, Stats, "Gate"], Awaitable[None]]


class Gate:
    """Sessions report when open, then wait for the common start."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.opened = 0
        self.all_open = anyio.Event()
        self.go = anyio.Event()

    async def ready(self) -> None:
        self.opened += 1
        if self.opened == self.n:
            self.all_open.set()
        await self.go.wait()


async def ours_session(base_url: str, clock: Clock, phase: float, stats: Stats, gate: Gate) -> None:
    async with (
        Client(api_key=KEY, base_url=base_url) as client,
        client.realtime.connect(model=MODEL) as conn,
    ):
        await gate.ready()
        with anyio.CancelScope(deadline=clock.stop):
            async with anyio.create_task_group() as group:
                group.start_soon(send_loop, clock, phase, stats, conn.send_audio)
                async for event in conn:
                    if type(event) is AudioFrame:
                        stats.frames_in += 1
                    elif type(event) is ResponseFinished:
                        stats.responses += 1
                        stats.completed += event.status == "completed"


async def sdk_session(base_url: str, clock: Clock, phase: float, stats: Stats, gate: Gate) -> None:
    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    b64encode, b64decode = base64.b64encode, base64.b64decode
    async with sdk.realtime.connect(model=MODEL) as conn:
        append = conn.input_audio_buffer.append

        def send(frame: bytes) -> Awaitable[None]:
            return append(audio=b64encode(frame).decode())

        await gate.ready()
        buffer = bytearray()
        with anyio.CancelScope(deadline=clock.stop):
            async with anyio.create_task_group() as group:
                group.start_soon(send_loop, clock, phase, stats, send)
                async for event in conn:
                    kind = event.type
                    if kind == "response.output_audio.delta":
                        buffer += b64decode(event.delta)
                        while len(buffer) >= FRAME_BYTES:
                            _frame = bytes(buffer[:FRAME_BYTES])
                            del buffer[:FRAME_BYTES]
                            stats.frames_in += 1
                    elif kind == "response.done":
                        stats.responses += 1
                        stats.completed += event.response.status == "completed"
                        buffer.clear()
    await sdk.close()


async def plugin_session(
    base_url: str, clock: Clock, phase: float, stats: Stats, gate: Gate
) -> None:
    url = "ws" + base_url[len("http") :] + f"/realtime?model={MODEL}"
    b64encode, b64decode, dumps, loads = base64.b64encode, base64.b64decode, json.dumps, json.loads
    headers = {"Authorization": f"Bearer {KEY}"}
    async with ws_connect(url, additional_headers=headers, max_size=None) as ws:

        def send(frame: bytes) -> Awaitable[None]:
            return ws.send(
                dumps({"type": "input_audio_buffer.append", "audio": b64encode(frame).decode()})
            )

        await gate.ready()
        buffer = bytearray()
        with anyio.CancelScope(deadline=clock.stop):
            async with anyio.create_task_group() as group:
                group.start_soon(send_loop, clock, phase, stats, send)
                async for message in ws:
                    event = loads(message)
                    kind = event["type"]
                    if kind == "response.output_audio.delta":
                        buffer += b64decode(event["delta"])
                        while len(buffer) >= FRAME_BYTES:
                            _frame = bytes(buffer[:FRAME_BYTES])
                            del buffer[:FRAME_BYTES]
                            stats.frames_in += 1
                    elif kind == "response.done":
                        stats.responses += 1
                        stats.completed += event["response"]["status"] == "completed"
                        buffer.clear()


SESSIONS: dict[str, Session] = {OURS: ours_session, SDK: sdk_session, PLUGIN: plugin_session}
