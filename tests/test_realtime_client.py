"""`client.realtime.connect(...)` (`RealtimeConnection`) against the emulator's ``/v1/realtime``.

Runs on asyncio and trio. Each test opens a fresh emulator on loopback and checks, on both
sides of the socket, what the session did:

- a text turn: exact frames at the caller's rate (48 kHz stereo), the padded last frame,
  the emulator's audio to the frame, usage per response and summed;
- an audio turn through server VAD from 16 kHz stereo chunks of odd sizes;
- tools off the receive path: a batch of a sync and an async tool, a slow tool while another
  response streams, a failing tool, the server VAD race;
- barge-in: cancel + truncate at the played position, delete when nothing was heard, server
  VAD cancelling by itself;
- the session cap, rollover and a dropped socket: a new socket with the conversation restored;
- the trace, and leaving the block mid-response.

The tool follow-up after a server VAD response that raced it is owed again when that
response started before the server held the outputs (it could not read them).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import numpy as np
import pytest

from openai_sansio.audio import PCM24K
from openai_sansio.audio.realtime_path import InputPath, OutputPath
from openai_sansio.client import Client
from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running
from openai_sansio.emulator.realtime_audio import synthesize
from openai_sansio.protocol.events.common import APIError, ToolCall
from openai_sansio.protocol.realtime_config import OFF, RealtimeConfig
from openai_sansio.protocol.realtime_session_events import (
    ConversationRestored,
    Interruption,
    RealtimeError,
    ReconnectNeeded,
    ResponseFinished,
    RolloverNeeded,
)
from openai_sansio.protocol.trace import load_trace
from openai_sansio.realtime_client import AudioFrame, RealtimeConnection
from openai_sansio.tools_runner import ToolResult
from openai_sansio.transports.ws import Closed

pytestmark = pytest.mark.anyio

SECRET = "sk-test-realtime-SECRET-0123456789"
MODEL = "gpt-realtime"
CHAR_MS = 50  # the emulator speaks 50 ms of audio per transcript character


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def talk(
    emulator: EmulatorConfig | None = None, **options: Any
) -> AsyncIterator[tuple[RunningEmulator, RealtimeConnection]]:
    """An emulator and a session on it (`options` go to ``connect``; fast reconnects)."""
    options.setdefault("jitter", lambda: 0.0)
    options.setdefault("backoff_base", 0.01)
    async with running(emulator or EmulatorConfig()) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            async with client.realtime.connect(model=MODEL, **options) as session:
                yield server, session
        assert not server.emulator.internal_errors


async def read_until(
    session: RealtimeConnection,
    done: Callable[[Any], bool],
    *,
    timeout: float = 5.0,
    on_event: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Every event up to and including the first for which `done` is true."""
    events: list[Any] = []
    with anyio.fail_after(timeout):
        async for event in session:
            events.append(event)
            if on_event is not None:
                on_event(event)
            if done(event):
                return events
    raise AssertionError(f"the session ended before the awaited event; got {summary(events)}")


def finished(predicate: Callable[[ResponseFinished], bool] = lambda e: True) -> Any:
    return lambda e: isinstance(e, ResponseFinished) and predicate(e)


def summary(events: list[Any]) -> list[str]:
    return [getattr(e, "type", type(e).__name__) for e in events if not isinstance(e, AudioFrame)]


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def wire(events: list[Any], kind: str) -> list[Any]:
    return [e for e in events if getattr(e, "type", None) == kind]


def sent(server: RunningEmulator, kind: str, connection: int = 0) -> list[dict[str, Any]]:
    return [f for f in server.realtime_frames[connection] if f.get("type") == kind]


def speech(rate: int, channels: int, lead_ms: int, tone_ms: int, tail_ms: int) -> bytes:
    """A voiced, speech-like tone (220 Hz, 3 Hz tremolo) between silences, PCM16 LE."""

    def n(ms: int) -> int:
        return rate * ms // 1000

    t = np.arange(n(tone_ms)) / rate
    tone = 8000 * np.sin(2 * np.pi * 220 * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
    mono = np.concatenate([np.zeros(n(lead_ms)), tone, np.zeros(n(tail_ms))]).astype(np.int16)
    return np.repeat(mono, channels).astype("<i2").tobytes()


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name.
    """
    return f"sunny in {city}"


async def get_time(city: str) -> str:
    """Local time in a city.

    Args:
        city: City name.
    """
    await anyio.sleep(0)
    return f"noon in {city}"


def get_forecast(city: str) -> str:
    """Tomorrow's forecast for a city.

    Args:
        city: City name.
    """
    raise ValueError(f"no forecast for {city}")


# ------------------------------------------------------------------ 1. a text turn


async def test_text_turn_exact_frames_at_the_callers_rate() -> None:
    async with talk(output_rate=48000, output_channels=2, frame_ms=20) as (server, session):
        session.send_text("say: Hello there")
        first = await read_until(session, finished())
        session.send_text("say: Second one, please.")
        second = await read_until(session, finished())
        usage_total = session.machine.usage

    frames = of(first, AudioFrame)
    done = of(first, ResponseFinished)[0]
    assert (done.status, done.transcript, done.out_of_band) == ("completed", "Hello there", False)
    assert {f.response_id for f in frames} == {done.response_id}
    assert len({f.item_id for f in frames}) == 1
    # every frame 20 ms of 48 kHz stereo PCM16, the last flagged (and only it)
    assert {len(f.pcm) for f in frames} == {960 * 2 * 2}
    assert [f.last for f in frames] == [False] * (len(frames) - 1) + [True]
    # as long as the emulator's audio, to the frame: 11 characters = 550 ms = 27.5 frames
    assert len(frames) == math.ceil(CHAR_MS * len("Hello there") / 20) == 28
    # and exactly the emulator's waveform through the output path (stereo = two equal copies)
    reference = OutputPath(48000, channels=2, frame_ms=20)
    audio = synthesize("Hello there", PCM24K)
    expected = [f for i in range(0, len(audio), 4800) for f in reference.push(audio[i : i + 4800])]
    expected += reference.flush()
    assert [f.pcm for f in frames] == expected
    stereo = np.frombuffer(b"".join(f.pcm for f in frames), "<i2").reshape(-1, 2)
    assert np.array_equal(stereo[:, 0], stereo[:, 1]) and stereo.any()
    # the frames come before the response's end, transcript deltas in between
    assert first.index(frames[-1]) < first.index(done)
    assert "".join(e.delta for e in wire(first, "response.output_audio_transcript.delta")) == (
        "Hello there"
    )

    # usage: one output audio token per 50 ms, text tokens per word; the session sums them
    assert done.usage.output_audio_tokens == 11 and done.usage.output_text_tokens == 2
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens > 0
    done2 = of(second, ResponseFinished)[0]
    assert done2.transcript == "Second one, please."
    assert done2.usage.input_tokens > done.usage.input_tokens  # the context grew
    assert usage_total == done.usage + done2.usage
    assert usage_total.total_tokens == done.usage.total_tokens + done2.usage.total_tokens
    # what went out: session.update first (GA shape), then item + response.create per turn
    kinds = [f["type"] for f in server.realtime_frames[0]]
    assert kinds == ["session.update"] + ["conversation.item.create", "response.create"] * 2
    assert server.realtime_frames[0][0]["session"]["type"] == "realtime"
    assert server.realtime_connections[0].query == f"model={MODEL}"


async def test_frame_aligned_response_still_has_a_last_frame() -> None:
    async with talk(output_rate=24000, frame_ms=20) as (_, session):
        session.send_text("say: ab")  # 2 characters = 100 ms = 5 frames exactly
        events = await read_until(session, finished())
    frames = of(events, AudioFrame)
    # five full frames, then an empty marker: no frame is held back to learn it was the last
    assert [len(f.pcm) for f in frames] == [960] * 5 + [0]
    assert [f.last for f in frames] == [False] * 5 + [True]


# ------------------------------------------------------------------ 2. an audio turn


async def test_audio_turn_through_server_vad_from_16k_stereo() -> None:
    pcm = speech(16000, 2, lead_ms=500, tone_ms=600, tail_ms=700)  # 1800 ms
    async with talk(input_rate=16000, input_channels=2) as (server, session):
        for start in range(0, len(pcm), 1237):  # odd sizes: mid-sample, mid-frame
            session.send_audio(pcm[start : start + 1237])
            await anyio.sleep(0)
        events = await read_until(session, finished())

    started = wire(events, "input_audio_buffer.speech_started")
    stopped = wire(events, "input_audio_buffer.speech_stopped")
    committed = wire(events, "input_audio_buffer.committed")
    assert len(started) == len(stopped) == len(committed) == 1
    # speech at 500..1100 ms: start - 300 ms prefix padding, end + 200 ms silence
    assert abs(started[0].audio_start_ms - 200) <= 20
    assert abs(stopped[0].audio_end_ms - 1300) <= 20
    assert started[0].item_id == stopped[0].item_id == committed[0].item_id
    order = [events.index(e) for e in (started[0], stopped[0], committed[0])]
    assert order == sorted(order)
    done = of(events, ResponseFinished)[0]
    heard = stopped[0].audio_end_ms - started[0].audio_start_ms
    assert done.transcript == f"You said: Spoken input of {heard} milliseconds."

    # what the emulator got: 24 kHz mono PCM16, the converted bytes of one whole push
    appends = sent(server, "input_audio_buffer.append")
    assert len(appends) > 10
    audio = b"".join(base64.b64decode(f["audio"]) for f in appends)
    assert audio == InputPath(16000, channels=2).push(pcm)
    assert len(audio) % 2 == 0
    ms = len(audio) / 48  # 48 bytes per ms at 24 kHz mono PCM16
    assert 1800 - 40 <= ms <= 1800  # all of it, but the resampler's delay (< 40 ms)


async def test_manual_commit_sends_the_whole_utterance() -> None:
    pcm = speech(16000, 1, lead_ms=0, tone_ms=1000, tail_ms=0)
    config = RealtimeConfig(turn_detection=OFF)
    async with talk(config=config, input_rate=16000) as (_, session):
        session.send_audio(pcm)
        commit = getattr(session, "commit_audio", session.machine.commit_audio)
        commit()
        session.create_response()
        events = await read_until(session, finished())
    done = of(events, ResponseFinished)[0]
    assert done.transcript == "You said: Spoken input of 1000 milliseconds."


# ------------------------------------------------------------------ 3. tools


def follow_ups(server: RunningEmulator, connection: int = 0) -> list[dict[str, Any]]:
    """The response.create frames sent after the last function_call_output item."""
    frames = server.realtime_frames[connection]
    outputs = [
        i
        for i, f in enumerate(frames)
        if f.get("type") == "conversation.item.create"
        and f["item"].get("type") == "function_call_output"
    ]
    assert outputs, "no function_call_output was sent"
    return [f for f in frames[outputs[-1] + 1 :] if f.get("type") == "response.create"]


async def test_tool_batch_sync_and_async_then_one_response_create() -> None:
    async with talk(tools=[get_weather, get_time]) as (server, session):
        tools = session.machine.desired["tools"]
        assert [t["name"] for t in tools] == ["get_weather", "get_time"]
        session.send_text("Please call get_weather and get_time for Paris")
        events = await read_until(
            session, finished(lambda e: "tool returned" in e.transcript), timeout=10
        )

    calls = of(events, ToolCall)
    results = of(events, ToolResult)
    assert sorted(c.name for c in calls) == ["get_time", "get_weather"]
    assert all(c.parsed == {"city": "Paris"} for c in calls)
    assert {r.call_id: r.output for r in results} == {
        c.call_id: ("sunny in Paris" if c.name == "get_weather" else "noon in Paris") for c in calls
    }
    assert not any(r.is_error for r in results)
    outputs = [
        f["item"]
        for f in sent(server, "conversation.item.create")
        if f["item"]["type"] == "function_call_output"
    ]
    assert sorted(o["call_id"] for o in outputs) == sorted(c.call_id for c in calls)
    assert len(follow_ups(server)) == 1  # ONE response.create for the batch
    assert len(sent(server, "response.create")) == 2
    final = of(events, ResponseFinished)[-1]
    assert "The get_weather tool returned: sunny in Paris." in final.transcript
    assert "The get_time tool returned: noon in Paris." in final.transcript


async def test_slow_tool_runs_off_the_receive_path() -> None:
    release = anyio.Event()
    started = anyio.Event()

    async def slow_lookup(city: str) -> str:
        """Look something up, slowly.

        Args:
            city: City name.
        """
        started.set()
        await release.wait()
        return f"found {city}"

    async with talk(tools=[slow_lookup], output_rate=16000) as (server, session):
        session.send_text("Use slow_lookup for Lima")
        before = await read_until(session, finished())
        assert of(before, ToolCall)[0].name == "slow_lookup"
        with anyio.fail_after(5):
            await started.wait()
        # the tool is blocked: audio and events of another response still flow
        session.send_text("say: meanwhile, here")
        during = await read_until(session, finished())
        assert of(during, ResponseFinished)[0].transcript == "meanwhile, here"
        assert len(of(during, AudioFrame)) == math.ceil(CHAR_MS * len("meanwhile, here") / 20)
        assert not of(during, ToolResult)
        assert not [
            f for f in sent(server, "conversation.item.create") if f["item"]["type"] != "message"
        ]
        release.set()
        after = await read_until(session, finished(lambda e: "tool returned" in e.transcript))

    result = of(after, ToolResult)[0]
    assert (result.name, result.output, result.is_error) == ("slow_lookup", "found Lima", False)
    assert len(follow_ups(server)) == 1
    # 3 responses asked for: the tool call, "meanwhile", the batch's follow-up
    assert len(sent(server, "response.create")) == 3
    assert (
        of(after, ResponseFinished)[-1].transcript == "The slow_lookup tool returned: found Lima."
    )


async def test_failing_tool_gives_the_model_an_error_output() -> None:
    async with talk(tools=[get_forecast]) as (server, session):
        session.send_text("What does get_forecast say for Tokyo?")
        events = await read_until(session, finished(lambda e: "tool returned" in e.transcript))

    result = of(events, ToolResult)[0]
    assert result.is_error and result.error_kind == "exception"
    assert isinstance(result.exception, ValueError)
    (item,) = [
        f["item"]
        for f in sent(server, "conversation.item.create")
        if f["item"]["type"] == "function_call_output"
    ]
    assert item["call_id"] == result.call_id
    assert json.loads(item["output"]) == {"error": "ValueError: no forecast for Tokyo"}
    assert "Traceback" not in item["output"]
    assert len(follow_ups(server)) == 1
    assert "The get_forecast tool returned: " in of(events, ResponseFinished)[-1].transcript


async def test_vad_race_with_the_follow_up_is_handled() -> None:
    config = EmulatorConfig(realtime_vad_race=True)
    async with talk(config, tools=[get_time]) as (server, session):
        session.send_text("Check get_time for Oslo")
        events = await read_until(
            session, finished(lambda e: "tool returned" in e.transcript), timeout=10
        )
        # let anything the machine still owes go out and finish
        with anyio.move_on_after(0.5):
            async for event in session:
                events.append(event)

    errors = of(events, RealtimeError)
    race = [e for e in errors if e.error.code == "conversation_already_has_active_response"]
    assert race, "the race knob should make the follow-up collide with the VAD response"
    assert all(e.handled and e.client_event_type == "response.create" for e in race)
    assert all(e.handled for e in errors)  # nothing unhandled
    assert not of(events, APIError)
    creates = follow_ups(server)
    assert len(creates) - len(race) <= 1  # at most one follow-up accepted
    answers = [e for e in of(events, ResponseFinished) if "tool returned" in e.transcript]
    assert len(answers) >= 1 and all(e.status == "completed" for e in of(events, ResponseFinished))


# ------------------------------------------------------------------ 4. barge-in


LONG = "say: " + "alpha beta gamma delta " * 3  # 69 characters: 3.45 s of audio


async def test_barge_in_cancels_and_truncates_at_the_played_position() -> None:
    config = EmulatorConfig(realtime_rtf=0.5)  # 100 ms of audio every 50 ms
    async with talk(config, output_rate=48000) as (server, session):
        session.send_text(LONG)
        frames: list[AudioFrame] = []
        result: Interruption | None = None
        events: list[Any] = []
        with anyio.fail_after(5):
            async for event in session:
                events.append(event)
                if isinstance(event, AudioFrame):
                    frames.append(event)
                    if len(frames) == 6:
                        result = session.interrupt(played_ms=90)
                elif isinstance(event, ResponseFinished):
                    break
        truncated = await read_until(
            session, lambda e: getattr(e, "type", None) == "conversation.item.truncated"
        )

    assert result is not None
    assert result.cancelled and result.truncated and not result.deleted
    assert result.played_ms == 90 and result.received_ms >= 100
    assert result.item_id == frames[0].item_id and result.response_id == frames[0].response_id
    (cancel,) = sent(server, "response.cancel")
    assert cancel["response_id"] == frames[0].response_id
    (truncate,) = sent(server, "conversation.item.truncate")
    assert truncate == {
        "type": "conversation.item.truncate",
        "event_id": truncate["event_id"],
        "item_id": result.item_id,
        "content_index": 0,
        "audio_end_ms": 90,
    }
    done = of(events, ResponseFinished)[0]
    assert (done.status, done.reason) == ("cancelled", "client_cancelled")
    assert 0 < len(done.transcript) < 40
    assert wire(truncated, "conversation.item.truncated")[0].audio_end_ms == 90


async def test_no_frame_of_the_cancelled_response_after_interrupt() -> None:
    config = EmulatorConfig(realtime_rtf=0.5)
    async with talk(config, output_rate=48000) as (_, session):
        session.send_text(LONG)
        seen = 0
        late: list[AudioFrame] = []
        result: Interruption | None = None
        with anyio.fail_after(5):
            async for event in session:
                if isinstance(event, AudioFrame):
                    if result is not None and event.response_id == result.response_id:
                        late.append(event)
                    seen += 1
                    if seen == 4 and result is None:
                        result = session.interrupt(played_ms=50)
                elif isinstance(event, ResponseFinished):
                    break
    assert result is not None and result.cancelled
    assert late == []


async def test_played_beyond_received_is_clamped() -> None:
    config = EmulatorConfig(realtime_rtf=0.5)
    async with talk(config) as (server, session):
        session.send_text(LONG)
        result: Interruption | None = None
        with anyio.fail_after(5):
            async for event in session:
                if isinstance(event, AudioFrame) and result is None:
                    result = session.interrupt(played_ms=10_000)
                elif isinstance(event, ResponseFinished):
                    break
    assert result is not None and result.cancelled
    assert result.played_ms == result.received_ms <= 3450
    for frame in sent(server, "conversation.item.truncate"):
        assert frame["audio_end_ms"] <= result.received_ms


async def test_barge_in_with_nothing_played_deletes_the_item() -> None:
    config = EmulatorConfig(realtime_rtf=0.5)
    async with talk(config) as (server, session):
        session.send_text(LONG)
        result: Interruption | None = None
        events: list[Any] = []
        with anyio.fail_after(5):
            async for event in session:
                events.append(event)
                if isinstance(event, AudioFrame) and result is None:
                    result = session.interrupt(played_ms=0)
                if getattr(event, "type", None) == "conversation.item.deleted":
                    break
        assert result is not None
        assert result.deleted and not result.truncated and result.cancelled
        assert result.played_ms == 0
        assert session.machine.mirror.get(result.item_id or "") is None
        session.send_text("say: again")
        after = await read_until(session, finished())

    (delete,) = sent(server, "conversation.item.delete")
    assert delete["item_id"] == result.item_id
    assert len(sent(server, "response.cancel")) == 1
    assert not sent(server, "conversation.item.truncate")
    assert wire(events, "conversation.item.deleted")[0].item_id == result.item_id
    assert of(after, ResponseFinished)[0].transcript == "again"


async def test_server_vad_barge_in_needs_no_cancel() -> None:
    config = EmulatorConfig(realtime_rtf=0.5)
    async with talk(config) as (server, session):
        session.send_text(LONG)
        events: list[Any] = []
        result: Interruption | None = None
        with anyio.fail_after(5):
            async for event in session:
                events.append(event)
                if isinstance(event, AudioFrame) and len(of(events, AudioFrame)) == 3:
                    session.send_audio(speech(24000, 1, 0, 400, 400))  # the user speaks
                if wire([event], "input_audio_buffer.speech_started") and result is None:
                    result = session.interrupt(played_ms=40)
                if isinstance(event, ResponseFinished) and result is not None:
                    break
    assert result is not None
    assert not result.cancelled  # server VAD (interrupt_response) cancels it itself
    assert result.truncated and result.played_ms == 40
    assert not sent(server, "response.cancel")
    (truncate,) = sent(server, "conversation.item.truncate")
    assert truncate["audio_end_ms"] == 40
    cancelled = of(events, ResponseFinished)[0]
    assert (cancelled.status, cancelled.reason) == ("cancelled", "turn_detected")


# ------------------------------------------------------------------ 5-7. new sockets


def restored_texts(server: RunningEmulator, connection: int) -> list[tuple[str, str, str]]:
    out = []
    for frame in sent(server, "conversation.item.create", connection):
        item = frame["item"]
        text = "".join(part.get("text", "") for part in item.get("content", []))
        out.append((item["id"], item["role"], text))
    return out


async def test_session_cap_reconnects_and_restores_the_conversation() -> None:
    config = EmulatorConfig(realtime_max_age_s=0.6)
    async with talk(config) as (server, session):
        user_item = session.send_text("say: first answer")
        first = await read_until(session, finished())
        first_reply = of(first, ResponseFinished)[0]
        events = await read_until(session, lambda e: isinstance(e, ConversationRestored))
        session.send_text("say: second")
        # the new session knows the old items by id: an out-of-band reply over a reference
        session.create_response(
            conversation="none", input=[{"type": "item_reference", "id": user_item}]
        )
        later = await read_until(session, finished(lambda e: e.out_of_band), timeout=5)

    expired = [e for e in of(events, RealtimeError) if e.error.code == "session_expired"]
    assert len(expired) == 1 and expired[0].handled
    (reconnect,) = of(events, ReconnectNeeded)
    assert reconnect.reason == "session_expired"
    (restored,) = of(events, ConversationRestored)
    assert (restored.items, restored.connection) == (2, 2)
    assert len(server.realtime_frames) >= 2
    assistant_id = next(
        e.item_id for e in first if isinstance(e, AudioFrame) and e.item_id is not None
    )
    assert restored_texts(server, 1)[:2] == [
        (user_item, "user", "say: first answer"),
        (assistant_id, "assistant", first_reply.transcript),
    ]
    assert sent(server, "session.update", 1)[0] == {
        "type": "session.update",
        "event_id": sent(server, "session.update", 1)[0]["event_id"],
        "session": {"type": "realtime"},
    }
    replies = of(later, ResponseFinished)
    assert [e.transcript for e in replies] == ["second", "first answer"]
    assert replies[-1].out_of_band
    # the new session's reply counted the restored context
    assert replies[0].usage.input_tokens > first_reply.usage.input_tokens


async def test_rollover_after_a_turn_opens_a_new_socket() -> None:
    def conversation(session: RealtimeConnection) -> list[tuple[str, str | None, str]]:
        return [(i.id, i.role, i.text or i.transcript) for i in session.machine.mirror.items()]

    async with talk(rollover_after_s=0.5) as (server, session):
        session.send_text("say: before the rollover")
        events = await read_until(session, finished())
        assert len(server.realtime_frames) == 1
        before = conversation(session)
        events += await read_until(session, lambda e: isinstance(e, ConversationRestored))
        session.send_text("say: after it")
        events += await read_until(session, finished(lambda e: e.transcript == "after it"))
        after = conversation(session)

    kinds = [type(e).__name__ for e in events if isinstance(e, ResponseFinished | RolloverNeeded)]
    assert kinds[:2] == ["ResponseFinished", "RolloverNeeded"]  # at the turn boundary
    assert not of(events, ReconnectNeeded)  # a planned rollover, not a failure
    assert [(r, t) for _, r, t in before] == [
        ("user", "say: before the rollover"),
        ("assistant", "before the rollover"),
    ]
    # the new socket got the same items (ids, roles, text), before the next turn
    assert restored_texts(server, 1)[:2] == before
    assert after[:2] == before  # the server acknowledged them: the mirror is whole again
    assert [(r, t) for _, r, t in after[2:]] == [
        ("user", "say: after it"),
        ("assistant", "after it"),
    ]
    assert of(events, ResponseFinished)[-1].status == "completed"


async def test_rollover_of_an_idle_session_needs_no_server_frame() -> None:
    """Nothing arrives while the session is idle: the deadline alone opens the new socket
    (the reader, parked waiting for a frame, is woken by the timer)."""
    async with talk(rollover_after_s=0.3) as (server, session):
        events = await read_until(session, lambda e: isinstance(e, ConversationRestored))
        assert len(server.realtime_frames) == 2
    assert of(events, RolloverNeeded) and not of(events, ReconnectNeeded)


async def test_tiny_rollover_never_ends_the_session() -> None:
    async with talk(rollover_after_s=0.05, reconnect_attempts=2) as (_, session):
        session.send_text("say: hi")
        events: list[Any] = []
        with anyio.move_on_after(0.8):
            async for event in session:
                events.append(event)
        assert not of(events, APIError)
        session.send_text("say: still here")
        after = await read_until(session, finished(lambda e: e.transcript == "still here"))
    assert of(after, ResponseFinished)


async def test_dropped_socket_mid_response_reconnects() -> None:
    config = EmulatorConfig(drop_after_events=30)  # per connection: mid first reply
    async with talk(config) as (server, session):
        session.send_text("say: " + "one two three " * 4)
        events = await read_until(session, lambda e: isinstance(e, ConversationRestored))
        session.send_text("say: second")
        after = await read_until(session, finished(lambda e: e.transcript == "second"))

    (closed,) = of(events, Closed)
    assert closed.by == "server"
    (lost,) = of(events, ResponseFinished)
    assert (lost.status, lost.reason) == ("interrupted", "connection_lost")
    assert 0 < len(lost.transcript) < len("one two three " * 4)
    assert of(events, ReconnectNeeded)[0].reason == "connection_lost"
    assert events.index(lost) < events.index(of(events, ConversationRestored)[0])
    restored = restored_texts(server, 1)
    assert restored[0][1:] == ("user", "say: " + "one two three " * 4)
    assert restored[1][1] == "assistant"
    assert restored[1][2] and ("one two three " * 4).startswith(restored[1][2])
    assert of(after, ResponseFinished)[0].status == "completed"
    assert len(server.realtime_frames) == 2


# ------------------------------------------------------------------ 8-9. trace, leaving


async def test_trace_is_realtime_and_has_no_secret() -> None:
    buf = io.BytesIO()
    async with talk(trace=buf.write) as (_, session):
        session.send_text("say: traced")
        await read_until(session, finished())
    data = buf.getvalue()
    assert SECRET.encode() not in data
    assert SECRET[8:].encode() not in data
    header, records = load_trace(data.splitlines())
    assert header is not None and header["api"] == "realtime"
    assert header["config"] == {"model": MODEL}
    (request,) = [r for r in records if r["op"] == "request"]
    assert request["url"].endswith(f"/v1/realtime?model={MODEL}")
    assert SECRET not in json.dumps(request["headers"])
    assert not any(k.lower() == "openai-beta" for k in request["headers"])
    sent_types = [r["msg"]["type"] for r in records if r["op"] == "send"]
    assert sent_types[0] == "session.update"
    received = [r["msg"]["type"] for r in records if r["op"] == "recv"]
    assert received[0] == "session.created" and "response.done" in received
    assert [r["code"] for r in records if r["op"] == "closed"] == [1000]


async def test_leaving_mid_response_closes_1000_and_leaks_no_task() -> None:
    def ours() -> set[int]:
        return {
            t.id
            for t in anyio.get_running_tasks()
            if "openai_sansio" in t.name and "emulator" not in t.name
        }

    config = EmulatorConfig(realtime_rtf=0.5)
    buf = io.BytesIO()
    async with running(config) as server:
        before = ours()
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            async with client.realtime.connect(
                model=MODEL, trace=buf.write, tools=[get_weather]
            ) as session:
                session.send_text(LONG)
                frames = 0
                with anyio.fail_after(5):
                    async for event in session:
                        frames += isinstance(event, AudioFrame)
                        if frames == 3:
                            break
                assert session.machine.active_response is not None  # mid-response
                assert ours() - before
            assert ours() == before
            # the caller's iteration ends (after what was already queued)
            with anyio.fail_after(1):
                rest = [e async for e in session]
            assert not of(rest, ResponseFinished)
        await session.aclose()  # idempotent
    _, records = load_trace(buf.getvalue().splitlines())
    assert [r["code"] for r in records if r["op"] == "closed"] == [1000]


async def test_a_rejected_key_raises_from_the_block() -> None:
    from openai_sansio.errors import WebSocketHandshakeError

    async with running(EmulatorConfig(http_status=401)) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            with pytest.raises(WebSocketHandshakeError) as info:
                async with client.realtime.connect(model=MODEL):
                    pytest.fail("the handshake must fail")
    assert info.value.status == 401
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert len(server.realtime_connections) == 0
    assert re.search(r"check the API key", str(info.value))
