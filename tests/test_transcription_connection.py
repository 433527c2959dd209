"""`client.transcription.connect(...)` (`TranscriptionConnection`) against the emulator's
``/v1/realtime?intent=transcription``, on asyncio and trio; the emulator's transcription
engine on its own; ``transcribe --realtime`` through `run_realtime_file`; trace and replay.

Each test opens a fresh emulator on loopback and checks both sides of the socket: what the
caller got (interim and final transcripts, confidence, usage, failures, errors) and the exact
client frames the emulator received.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
import numpy as np
import pydantic
import pytest
from openai.types.realtime import RealtimeServerEvent
from openai.types.realtime.realtime_transcription_session_create_response import (
    RealtimeTranscriptionSessionCreateResponse,
)

from openai_sansio.audio import write_wav
from openai_sansio.client import Client
from openai_sansio.emulator import EmulatorConfig, RunningEmulator, running
from openai_sansio.emulator.transcription_rt import TranscriptionEngine
from openai_sansio.emulator.transcription_rt_session import token_logprob
from openai_sansio.protocol.trace import load_trace, replay
from openai_sansio.protocol.transcription_events import (
    FinalTranscript,
    InterimTranscript,
    SpeechStarted,
    SpeechStopped,
    TranscriptFailed,
    TranscriptionError,
)
from openai_sansio.transcription_session import TranscriptionConnection, run_realtime_file

pytestmark = pytest.mark.anyio

SECRET = "sk-test-transcription-SECRET-0123456789"
DATA = Path(__file__).parent / "data" / "transcription"
_SERVER: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def tone(rate: int, ms: int, channels: int = 1) -> bytes:
    n = rate * ms // 1000
    wave = (np.sin(2 * np.pi * 440 * np.arange(n) / rate) * 8000).astype("<i2")
    return np.repeat(wave, channels).tobytes()


def silence(rate: int, ms: int, channels: int = 1) -> bytes:
    return bytes(2 * channels * (rate * ms // 1000))


def utterance(rate: int = 24000, channels: int = 1, speech_ms: int = 600) -> bytes:
    return (
        silence(rate, 200, channels)
        + tone(rate, speech_ms, channels)
        + silence(rate, 800, channels)
    )


@contextlib.asynccontextmanager
async def session_on(
    emulator: EmulatorConfig | None = None, **options: Any
) -> AsyncIterator[tuple[RunningEmulator, TranscriptionConnection]]:
    options.setdefault("jitter", lambda: 0.0)
    options.setdefault("backoff_base", 0.01)
    options.setdefault("max_buffered_audio_ms", 60_000.0)
    async with running(emulator or EmulatorConfig()) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            async with client.transcription.connect(**options) as session:
                yield server, session
        assert not server.emulator.internal_errors


async def send_in_chunks(session: TranscriptionConnection, pcm: bytes, chunk: int = 1922) -> None:
    """Odd-sized chunks, yielding to the writer between them."""
    for start in range(0, len(pcm), chunk):
        session.send_audio(pcm[start : start + chunk])
        await anyio.sleep(0)


async def collect(session: TranscriptionConnection, timeout: float = 5.0) -> list[Any]:
    events: list[Any] = []
    with anyio.fail_after(timeout):
        async for event in session:
            events.append(event)
    return events


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def frames(server: RunningEmulator, connection: int = 0) -> list[dict[str, Any]]:
    return [f for f in server.realtime_frames[connection] if isinstance(f, dict)]


def expected_confidence(text: str) -> float:
    words = text.replace(" ", "\0 ").split("\0")
    return math.exp(sum(token_logprob(w) for w in words) / len(words))


# ------------------------------------------------------------------ VAD turns


async def test_vad_turns_in_order_with_confidence_and_usage() -> None:
    async with session_on(input_rate=48000, input_channels=2) as (server, session):
        await send_in_chunks(session, utterance(48000, 2, 600) + utterance(48000, 2, 900))
        session.finish()
        events = await collect(session)

    started, stopped = of(events, SpeechStarted), of(events, SpeechStopped)
    finals = of(events, FinalTranscript)
    assert len(started) == len(stopped) == 2
    # the two VAD turns and nothing else: the silence after the last one is not committed
    assert [f.item_id for f in finals] == [s.item_id for s in started]
    assert [f.previous_item_id for f in finals] == [None, finals[0].item_id]
    for final in finals:
        assert final.text.startswith("Spoken input of ") and final.text.endswith(" milliseconds.")
        assert final.confidence == pytest.approx(expected_confidence(final.text))
        assert 0.9 < final.confidence < 1.0
        assert final.usage is not None and final.usage.kind == "tokens"
        interims = [
            e for e in events if isinstance(e, InterimTranscript) and e.item_id == final.item_id
        ]
        assert interims[-1].text == final.text
        assert events.index(interims[-1]) < events.index(final)
    assert session.usage.transcripts == 2
    assert session.usage.total_tokens == sum(f.usage.total_tokens for f in finals)
    sent = frames(server)
    assert not any(f["type"] == "input_audio_buffer.commit" for f in sent)
    assert sent[0]["type"] == "session.update"
    assert sent[0]["session"]["type"] == "transcription"
    assert sent[0]["session"]["include"] == ["item.input_audio_transcription.logprobs"]
    assert any(f["type"] == "input_audio_buffer.append" for f in sent)
    url = server.realtime_connections[0]
    assert url.query == "intent=transcription"
    assert not any(k.lower() == "openai-beta" for k in url.headers)


async def test_client_commits_without_turn_detection() -> None:
    async with session_on(turn_detection=None, model="gpt-4o-mini-transcribe") as (server, session):
        await send_in_chunks(session, tone(24000, 500))
        session.flush()
        await send_in_chunks(session, tone(24000, 300))
        session.finish()
        events = await collect(session)

    finals = of(events, FinalTranscript)
    assert [f.text for f in finals] == [
        "Spoken input of 500 milliseconds.",
        "Spoken input of 300 milliseconds.",
    ]
    assert not of(events, SpeechStarted)
    sent = frames(server)
    assert sent[0]["session"]["audio"]["input"]["turn_detection"] is None
    commits = [f for f in sent if f["type"] == "input_audio_buffer.commit"]
    assert len(commits) == 2 and all(c["event_id"].startswith("evt_") for c in commits)


async def test_whisper_deltas_carry_the_whole_text_and_usage_is_duration() -> None:
    async with session_on(model="whisper-1", turn_detection=None) as (_, session):
        await send_in_chunks(session, tone(24000, 400))
        session.finish()
        events = await collect(session)
    interims = of(events, InterimTranscript)
    (final,) = of(events, FinalTranscript)
    assert [i.text for i in interims] == [
        "Spoken",
        "Spoken input",
        "Spoken input of",
        "Spoken input of 400",
        "Spoken input of 400 milliseconds.",
    ]
    assert final.usage is not None and (final.usage.kind, final.usage.seconds) == ("duration", 0.4)
    assert session.usage.seconds == pytest.approx(0.4)


async def test_no_logprobs_means_no_confidence() -> None:
    async with session_on(turn_detection=None, include_logprobs=False) as (_, session):
        await send_in_chunks(session, tone(24000, 200))
        session.finish()
        (final,) = of(await collect(session), FinalTranscript)
    assert final.confidence is None


# ------------------------------------------------------------------ faults


async def test_out_of_order_completions_are_reported_in_order() -> None:
    config = EmulatorConfig(transcription_out_of_order=True)
    async with session_on(config, turn_detection=None, wire_events=True) as (_, session):
        for ms in (300, 400, 500):
            await send_in_chunks(session, tone(24000, ms))
            session.flush()
        session.finish()
        events = await collect(session)
    completions = [
        e.item_id
        for e in events
        if getattr(e, "type", "") == "conversation.item.input_audio_transcription.completed"
    ]
    finals = of(events, FinalTranscript)
    assert [f.text for f in finals] == [
        f"Spoken input of {ms} milliseconds." for ms in (300, 400, 500)
    ]
    assert completions[:2] == [finals[1].item_id, finals[0].item_id]  # the wire: out of order


async def test_a_failed_transcription_is_reported_in_its_place() -> None:
    config = EmulatorConfig(fail_transcription=1)
    async with session_on(config, turn_detection=None) as (_, session):
        for ms in (300, 400):
            await send_in_chunks(session, tone(24000, ms))
            session.flush()
        session.finish()
        events = await collect(session)
    failed, final = [e for e in events if isinstance(e, TranscriptFailed | FinalTranscript)]
    assert isinstance(failed, TranscriptFailed) and failed.reason == "failed"
    assert failed.error is not None and failed.error.code == "audio_unintelligible"
    assert isinstance(final, FinalTranscript) and final.previous_item_id == failed.item_id


async def test_reconnect_mid_utterance_reports_the_item_failed() -> None:
    # created, updated, speech_started: the socket drops in the middle of the utterance
    config = EmulatorConfig(drop_after_events=3)
    async with session_on(config, reconnect_attempts=1) as (server, session):
        await send_in_chunks(session, silence(24000, 200) + tone(24000, 600))
        events: list[Any] = []
        with anyio.fail_after(5):
            async for event in session:
                events.append(event)
                if isinstance(event, TranscriptFailed):
                    break
        with anyio.fail_after(5):
            while len(server.realtime_frames) < 2 or not server.realtime_frames[1]:
                await anyio.sleep(0.01)
    (started,) = of(events, SpeechStarted)
    (lost,) = of(events, TranscriptFailed)
    assert (lost.item_id, lost.reason) == (started.item_id, "connection_lost")
    again = server.realtime_frames[1][0]
    assert again["type"] == "session.update" and again["session"]["type"] == "transcription"


async def test_socket_lost_after_finish_fails_the_item_once_and_ends() -> None:
    # created, updated, committed, item.added: the socket drops before the transcript and
    # before the end marker's answer; the fresh session answers a new marker
    config = EmulatorConfig(drop_after_events=4)
    async with session_on(config, turn_detection=None, reconnect_attempts=1) as (server, session):
        await send_in_chunks(session, tone(24000, 300))
        session.finish()
        events = await collect(session)
    (lost,) = [e for e in events if isinstance(e, TranscriptFailed | FinalTranscript)]
    assert isinstance(lost, TranscriptFailed) and lost.reason == "connection_lost"
    assert lost.item_id is not None and not of(events, TranscriptionError)
    again = [f["type"] for f in frames(server, 1)]
    assert again[0] == "session.update" and "input_audio_buffer.commit" not in again


async def test_errors_classified_benign_commit_and_fatal_model() -> None:
    async with session_on(turn_detection=None) as (_, session):
        commit = session.flush()  # nothing appended: an empty commit
        with anyio.fail_after(5):
            async for event in session:
                if isinstance(event, TranscriptionError):
                    break
    assert event.error.code == "input_audio_buffer_commit_empty"
    assert event.error.classification == "benign"
    assert (event.client_event_id, event.client_event_type) == (commit, "input_audio_buffer.commit")

    async with running(EmulatorConfig()) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            connection = client.transcription.connect(jitter=lambda: 0.0)
            connection._url = server.realtime_url + "?model=gpt-realtime"  # a conversation socket
            async with connection as session:
                events = await collect(session)
    (error,) = of(events, TranscriptionError)
    assert (error.error.code, error.error.classification) == ("invalid_model", "fatal")
    assert error.client_event_type == "session.update"
    assert len(server.realtime_frames) == 1  # fatal: no reconnection


async def test_refused_upgrade_raises_on_entry() -> None:
    async with running(EmulatorConfig(http_status=401)) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            with pytest.raises(Exception) as caught:
                async with client.transcription.connect(reconnect_attempts=0):
                    pass
    assert SECRET not in str(caught.value)
    assert getattr(caught.value, "error", None) is not None


async def test_azure_v1_path() -> None:
    """Azure's GA path ``/openai/v1/realtime?intent=transcription`` with an ``api-key``
    header (the dated ``/openai/realtime?api-version=...`` shape is not emulated, for the
    voice sessions either)."""
    async with running(EmulatorConfig()) as server:
        endpoint = server.base_url.removesuffix("/v1")
        async with Client.azure(
            env={}, azure_endpoint=endpoint, api_key="azure-key", allow_insecure_http=True
        ) as client:
            async with client.transcription.connect(turn_detection=None) as session:
                await send_in_chunks(session, tone(24000, 300))
                session.finish()
                (final,) = of(await collect(session), FinalTranscript)
    assert final.text == "Spoken input of 300 milliseconds."
    (url,) = server.realtime_connections
    assert (url.path, url.query) == ("/openai/v1/realtime", "intent=transcription")
    assert url.headers["api-key"] == "<redacted>"


# ------------------------------------------------------------------ the emulator engine


def engine(**config: Any) -> TranscriptionEngine:
    return TranscriptionEngine(EmulatorConfig(**config), serial=1, opened_at=0.0, clock=lambda: 0.0)


def out(e: TranscriptionEngine) -> list[dict[str, Any]]:
    events = []
    while (step := e.next_frame()) is not None and step.frame is not None:
        _SERVER.validate_python(step.frame)
        events.append(step.frame)
    return events


def test_engine_announces_a_transcription_session() -> None:
    e = engine()
    (created,) = out(e)
    assert created["type"] == "session.created"
    RealtimeTranscriptionSessionCreateResponse.model_validate(created["session"])
    assert created["session"]["object"] == "realtime.transcription_session"


def test_engine_refuses_beta_and_vad_for_no_vad_models() -> None:
    e = engine()
    out(e)
    update = {"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "gpt-realtime-whisper"}}}}}  # fmt: skip
    e.receive_text(json.dumps(update), 0.0)
    (error,) = out(e)
    assert error["error"]["param"] == "session.audio.input.turn_detection"
    e.receive_text(json.dumps({"type": "response.create"}), 0.0)
    assert out(e)[0]["error"]["code"] == "invalid_value"
    e.receive_text(json.dumps({"type": "transcription_session.update", "session": {}}), 0.0)
    step = e.next_frame()
    assert step is not None and step.frame is not None and step.close is not None
    assert step.frame["error"]["code"] == "beta_api_shape_disabled" and step.close.code == 4000
    beta = TranscriptionEngine(EmulatorConfig(), serial=1, opened_at=0, clock=lambda: 0, beta=True)
    first = beta.next_frame()
    assert first is not None and first.frame is not None
    assert first.frame["error"]["code"] == "beta_api_shape_disabled"


def test_engine_transcribes_silence_as_an_empty_transcript() -> None:
    """As the real API: a committed buffer with no speech in it gets ``completed`` with an
    empty transcript (no deltas, no invented words), still billed for its audio."""
    e = engine()
    out(e)
    update = {"type": "session.update", "session": {"type": "transcription", "audio": {"input": {
        "transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None}},
        "include": ["item.input_audio_transcription.logprobs"]}}  # fmt: skip
    e.receive_text(json.dumps(update), 0.0)
    quiet = (np.arange(24 * 300) % 7 - 3).astype("<i2").tobytes()  # -80 dBFS hiss
    for audio in (quiet, tone(24000, 300)):
        append = {"type": "input_audio_buffer.append", "audio": base64.b64encode(audio).decode()}
        e.receive_text(json.dumps(append), 0.0)
        e.receive_text(json.dumps({"type": "input_audio_buffer.commit"}), 0.0)
    events = out(e)
    done = [x for x in events if x["type"].endswith("transcription.completed")]
    deltas = [x for x in events if x["type"].endswith("transcription.delta")]
    assert [d["transcript"] for d in done] == ["", "Spoken input of 300 milliseconds."]
    assert {d["item_id"] for d in deltas} == {done[1]["item_id"]}
    assert done[0]["logprobs"] == [] and done[0]["usage"]["output_tokens"] == 0
    assert done[0]["usage"]["input_token_details"]["audio_tokens"] == 3


async def test_a_silent_utterance_is_an_empty_final_without_confidence() -> None:
    async with session_on(turn_detection=None) as (_, session):
        await send_in_chunks(session, silence(24000, 300))
        session.finish()
        (final,) = of(await collect(session), FinalTranscript)
    assert (final.text, final.confidence) == ("", None)


# ------------------------------------------------------------------ CLI path, trace, replay


async def test_run_realtime_file_prints_interim_and_final_lines(tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    pcm = np.frombuffer(utterance(16000, 1, 700), dtype="<i2")
    write_wav(wav, pcm, 16000)
    trace = tmp_path / "trace.jsonl"
    printed = io.StringIO()
    async with running(EmulatorConfig()) as server:
        async with Client(api_key=SECRET, base_url=server.base_url) as client:
            code = await run_realtime_file(
                client,
                str(wav),
                model="gpt-4o-transcribe",
                language="en",
                out=printed,
                trace=str(trace),
                speed=0.0,
            )
    assert code == 0
    lines = printed.getvalue().splitlines()
    assert any(line.startswith("[interim ") for line in lines)
    finals = [line for line in lines if line.startswith("[final ")]
    # the VAD turn (200 ms lead, 700 ms tone, 500 ms silence); the silence left is not committed
    assert len(finals) == 1 and "of 1400 milliseconds. (confidence 0.9" in finals[0]
    assert lines[-1].startswith("[usage] transcripts=1")
    data = trace.read_bytes()
    assert SECRET.encode() not in data
    header, records = load_trace(data.splitlines())
    assert header is not None and header["api"] == "transcription"
    summary = replay(header, records)
    assert summary.api == "transcription"
    assert summary.divergences == []
    assert [t.status for t in summary.turns] == ["completed"]
    assert summary.turns[0].text == finals[0].split("] ", 1)[1].rsplit(" (confidence", 1)[0]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in DATA.glob("*.jsonl") if p.with_suffix(".expected.json").exists())
)
def test_recorded_traces_replay_without_divergence(name: str) -> None:
    header, records = load_trace((DATA / name).read_bytes().splitlines())
    expected = json.loads((DATA / name.replace(".jsonl", ".expected.json")).read_text())
    summary = replay(header, records)
    assert summary.divergences == []
    assert msgspec.to_builtins(summary.turns) == expected["turns"]
    assert [e["code"] for e in summary.errors] == expected["errors"]
    for record in records:
        if record["op"] == "recv":
            _SERVER.validate_python(record["msg"])
