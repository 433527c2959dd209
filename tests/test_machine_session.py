"""`_machine_session.MachineSession`: the socket plumbing the voice (`RealtimeConnection`) and
transcription (`TranscriptionConnection`) sessions share, and the voice emulator's input
transcription of silence.

- The writer keeps the frames ``data_to_send()`` returned when the write breaks or is
  cancelled mid-write (the socket is being left), for both sessions; the next socket sends
  them again.
- The deadline timer re-arms when a received message moves the machine's deadline: a
  throttled interim is handed out on time although no frame follows it.
- A reconnection that fails ends the voice session's iteration after the error.
- The voice emulator transcribes user audio with no speech in it as the real API does (an
  empty transcript, no delta), with the transcription emulator's speech test.

The socket-level tests run on asyncio and trio: against a scripted in-memory socket (the
plumbing alone) or against the emulator on loopback.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.abc
import numpy as np
import pydantic
import pytest
from openai.types.realtime import RealtimeServerEvent

from openai_sansio._machine_session import MachineSession
from openai_sansio.client import Client
from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running
from openai_sansio.emulator.realtime_engine import RealtimeEngine
from openai_sansio.errors import APIConnectionError
from openai_sansio.protocol.events.common import APIError
from openai_sansio.protocol.transcription_events import InterimTranscript
from openai_sansio.realtime_client import RealtimeConnection
from openai_sansio.transcription_session import TranscriptionConnection
from openai_sansio.transports._ws_events import Closed, TextMessage

pytestmark = pytest.mark.anyio

SECRET = "sk-test-machine-session-SECRET-42"
SERVER_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class ScriptedSocket:
    """The part of `WebSocketTransport` a session's tasks use: `receive` hands out what the
    test `push`es; `send_texts` records, breaks (`broken`) or never returns (`stuck`)."""

    def __init__(self, *, broken: bool = False, stuck: bool = False) -> None:
        self.broken = broken
        self.stuck = stuck
        self.attempted: list[bytes] = []
        self.sent: list[bytes] = []
        self.writing = anyio.Event()
        self.closed = None
        self._in, self._out = anyio.create_memory_object_stream[Any](64)

    def push(self, event: dict[str, Any]) -> None:
        self._in.send_nowait(TextMessage(json.dumps(event).encode()))

    async def receive(self) -> Any:
        return await self._out.receive()

    async def send_texts(self, frames: Sequence[bytes]) -> None:
        self.attempted = list(frames)
        self.writing.set()
        if self.broken:
            raise APIConnectionError("the WebSocket broke while sending")
        if self.stuck:
            await anyio.sleep_forever()
        self.sent.extend(frames)


def session_of(kind: str, **options: Any) -> MachineSession:
    """A session that is never entered (the tests drive its tasks on a scripted socket)."""
    client = Client(api_key=SECRET, base_url="http://127.0.0.1:9/v1")
    if kind == "realtime":
        return RealtimeConnection(client, model="gpt-realtime", **options)
    return TranscriptionConnection(client, **options)


def types(frames: Sequence[bytes]) -> list[str]:
    return [json.loads(frame)["type"] for frame in frames]


@pytest.mark.parametrize("kind", ["realtime", "transcription"])
@pytest.mark.parametrize("failure", ["broken", "cancelled"])
async def test_the_writer_keeps_the_frames_it_could_not_write(kind: str, failure: str) -> None:
    session = session_of(kind)
    machine = session.machine
    machine.connection_made(anyio.current_time())
    session.send_audio(bytes(4800))  # 100 ms: an append after the session.update
    ws = ScriptedSocket(broken=failure == "broken", stuck=failure == "cancelled")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(session._writer, ws)
            await ws.writing.wait()
            group.cancel_scope.cancel()  # the socket is left while the write is under way
    assert types(ws.attempted) == ["session.update", "input_audio_buffer.append"]
    assert session._unsent == ws.attempted and ws.sent == []
    # what the supervisor does next: the lost socket's frames go out on the new one
    machine.connection_lost(session._unsent)
    machine.connection_made(anyio.current_time())
    again = machine.data_to_send()
    assert ws.attempted[1] in again
    assert types(again).count("input_audio_buffer.append") == 1


async def test_a_throttled_interim_is_handed_out_by_the_timer() -> None:
    """The deadline appears with the second delta (nothing was armed before) and no frame
    follows: the timer, re-armed by the reader, hands the held interim out on time."""
    session = session_of("transcription", interim_interval_s=0.2)
    assert isinstance(session, TranscriptionConnection)
    ws = ScriptedSocket()
    base = {"item_id": "item_a", "content_index": 0}
    delta = "conversation.item.input_audio_transcription.delta"
    interims: list[tuple[float, Any]] = []
    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(session._serve, ws)
            ws.push({"type": "input_audio_buffer.committed", "item_id": "item_a"})
            ws.push({"type": delta, "event_id": "e1", **base, "delta": "one"})
            ws.push({"type": delta, "event_id": "e2", **base, "delta": " two"})
            started = anyio.current_time()
            while len(interims) < 2:
                event = await session._rx.receive()
                if isinstance(event, InterimTranscript):
                    interims.append((anyio.current_time() - started, event))
            group.cancel_scope.cancel()
    (_, first), (held_for, second) = interims
    assert (first.text, second.text) == ("one", "one two")
    assert 0.15 <= held_for < 1.0
    assert session.machine.next_deadline() is None


async def test_a_failed_reconnection_ends_the_voice_session_after_the_error() -> None:
    """The emulator stops under an open session: its socket closes and the new one is
    refused. The caller sees `Closed`, the `connection_failed` error, then the end of the
    iteration (not a stream left open until `aclose`)."""
    stop = anyio.Event()

    async def emulator(*, task_status: anyio.abc.TaskStatus[RunningEmulator]) -> None:
        async with running(EmulatorConfig()) as server:
            task_status.started(server)
            await stop.wait()

    events: list[Any] = []
    async with anyio.create_task_group() as group:
        server = await group.start(emulator)
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            # one short-lived socket is tolerated: the reconnection is tried, and refused
            options = {"reconnect_attempts": 1, "jitter": lambda: 0.0, "backoff_base": 0.01}
            async with client.realtime.connect(model="gpt-realtime", **options) as session:
                stop.set()
                with anyio.fail_after(5):
                    async for event in session:
                        events.append(event)
    assert [type(e).__name__ for e in events if isinstance(e, Closed | APIError)] == [
        "Closed",
        "APIError",
    ]
    assert events[-1].code == "connection_failed" and events[-1].source == "transport"


# ---------------------------------------------------------------------- the voice emulator


def engine_events(engine: RealtimeEngine, *frames: dict[str, Any]) -> list[dict[str, Any]]:
    for frame in frames:
        engine.receive_text(json.dumps(frame), 0.0)
    out: list[dict[str, Any]] = []
    while (step := engine.next_frame()) is not None and step.frame is not None:
        event = json.loads(json.dumps(step.frame))
        SERVER_EVENT.validate_python(event)
        out.append(event)
    return out


def append(pcm: bytes) -> dict[str, Any]:
    return {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}


@pytest.mark.parametrize("model", ["whisper-1", "gpt-4o-transcribe"])
def test_the_voice_emulator_transcribes_silence_as_an_empty_transcript(model: str) -> None:
    engine = RealtimeEngine(
        EmulatorConfig(), serial=1, model="gpt-realtime", opened_at=0.0, clock=lambda: 0.0
    )
    transcription = {"model": model}
    update = {"type": "session.update", "session": {"type": "realtime", "audio": {"input": {
        "transcription": transcription, "turn_detection": None}},
        "include": ["item.input_audio_transcription.logprobs"]}}  # fmt: skip
    engine_events(engine, update)
    hiss = (np.arange(24 * 300) % 7 - 3).astype("<i2").tobytes()  # -80 dBFS: no speech
    tone = (np.sin(np.arange(24 * 300) * 0.1) * 8000).astype("<i2").tobytes()
    commit = {"type": "input_audio_buffer.commit"}
    events = engine_events(engine, append(hiss), commit, append(tone), commit)
    done = [e for e in events if e["type"].endswith("input_audio_transcription.completed")]
    deltas = [e for e in events if e["type"].endswith("input_audio_transcription.delta")]
    assert [d["transcript"] for d in done] == ["", "Spoken input of 300 milliseconds."]
    assert deltas and {d["item_id"] for d in deltas} == {done[1]["item_id"]}
    assert done[0]["logprobs"] == []
    if model == "whisper-1":
        assert done[0]["usage"] == {"type": "duration", "seconds": 0.3}
    else:  # billed for its audio, nothing written
        assert done[0]["usage"]["input_token_details"]["audio_tokens"] == 3
        assert done[0]["usage"]["output_tokens"] == 0
