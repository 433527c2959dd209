"""``client.speech`` against the emulator on loopback, on asyncio and trio: raw PCM and SSE
give the emulator's exact audio, chunked requests overlap yet arrive in segment order,
interrupt stops at once, error statuses and cut bodies, the Azure path, and traces that
replay without divergence."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from openai_sansio import APIStatusError, Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.emulator.speech import synthesize
from openai_sansio.protocol._errors import LocalProtocolError
from openai_sansio.protocol.events.common import APIError
from openai_sansio.protocol.requests import ClientConfig
from openai_sansio.protocol.speech import SpeechDone, SpeechFrame, SpeechStarted
from openai_sansio.protocol.trace import load_trace, replay
from openai_sansio.speech_client import FLUSH, FlushMarker, SpeechResource

pytestmark = pytest.mark.anyio

KEY = "sk-emulator-test-key"
TEXT = "Hello there, my friend."  # 23 characters: 51.75 frames


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def fault(**knobs: Any) -> dict[str, str]:
    return {"x-emulator-fault": json.dumps(knobs)}


def pcm_of(events: list[Any]) -> bytes:
    return b"".join(e.pcm[: e.samples * 2] for e in events if isinstance(e, SpeechFrame))


async def collect(client: Client, text: Any, **options: Any) -> tuple[list[Any], Any]:
    async with client.speech.stream(text, **options) as speech:
        events = [event async for event in speech]
    return events, speech


@pytest.mark.parametrize("stream_format", [None, "sse"])
async def test_pcm_and_sse_give_the_emulators_exact_audio(stream_format: str | None) -> None:
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        events, speech = await collect(client, TEXT, stream_format=stream_format)
    assert isinstance(events[0], SpeechStarted) and isinstance(events[-1], SpeechDone)
    frames = [e for e in events if isinstance(e, SpeechFrame)]
    assert {len(f.pcm) for f in frames} == {960} and frames[-1].padded
    assert pcm_of(events) == synthesize(TEXT)
    result = speech.results[0]
    assert result.status == "completed" and result.samples * 2 == len(synthesize(TEXT))
    assert (result.usage is not None) == (stream_format == "sse")
    assert speech.time_to_first_audio is not None and speech.time_to_first_audio > 0
    assert server.requests[0].body["response_format"] == "pcm"


async def test_wav_is_delivered_as_bytes_and_mp3_is_refused() -> None:
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        audio = await client.speech.create("Hi", response_format="wav")
        assert audio.audio[:4] == b"RIFF" and audio.audio[44:] == synthesize("Hi")
        assert audio.results[0].kind == "bytes"
        with pytest.raises(APIStatusError) as info:
            await client.speech.create("Hi", response_format="mp3")
        assert info.value.status == 400 and info.value.code == "unsupported_value"


async def text_with_flushes(pieces: list[str | FlushMarker]) -> AsyncIterator[str | FlushMarker]:
    for piece in pieces:
        yield piece


async def test_chunked_requests_overlap_and_arrive_in_segment_order() -> None:
    pieces: list[str | FlushMarker] = ["One two. ", FLUSH, "Three ", "four. ", FLUSH, "Five."]
    paced = EmulatorConfig(speech_rtf=0.5)  # 100 ms of audio every 50 ms
    trace = io.BytesIO()
    async with running(paced) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            events, speech = await collect(
                client, text_with_flushes(pieces), chunked=True, trace=trace.write
            )
    assert speech.segments == ["One two. ", "Three four. ", "Five."]
    assert [r.status for r in speech.results] == ["completed"] * 3
    dones = [i for i, e in enumerate(events) if isinstance(e, SpeechDone)]
    expected = b"".join(synthesize(s) for s in speech.segments)
    assert pcm_of(events) == expected and len(dones) == 3
    header, records = load_trace(trace.getvalue().splitlines())
    assert header is not None and header["api"] == "speech"
    requests = [r for r in records if r["op"] == "request"]
    ends = [r for r in records if r["op"] == "eof"]
    assert [r["body"]["input"] for r in requests] == speech.segments
    assert requests[1]["t"] < ends[0]["t"]  # the second request started before the first ended
    summary = replay(header, records)
    assert summary.divergences == [] and summary.api == "speech"
    assert [t.status for t in summary.turns] == ["completed"] * 3


async def test_whole_text_gathers_everything_into_one_request() -> None:
    pieces: list[str | FlushMarker] = ["One two. ", FLUSH, "Three."]
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        events, speech = await collect(client, text_with_flushes(pieces))
    assert speech.segments == ["One two. Three."] and len(server.requests) == 1
    assert pcm_of(events) == synthesize("One two. Three.")


async def test_interrupt_stops_at_once_and_drops_queued_frames() -> None:
    slow = EmulatorConfig(speech_rtf=1.0)  # real time: 4 s of audio takes 4 s
    async with running(slow) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            text = "x" * 100  # 4.5 s of audio, sent at real time
            seen = 0
            started = anyio.current_time()
            async with client.speech.stream(text) as speech:
                async for event in speech:
                    seen += isinstance(event, SpeechFrame)
                    if seen == 3:
                        speech.interrupt()
                assert speech.interrupted and speech.results == []
            assert seen == 3 and anyio.current_time() - started < 1.5
            after = await client.speech.create("ok")  # the client is still usable
            assert after.audio == synthesize("ok")
    async with running() as server:  # unpaced: the request runs ahead of the listener
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            async with client.speech.stream("y" * 40) as speech:
                async for event in speech:
                    if isinstance(event, SpeechFrame):
                        await anyio.sleep(0.2)  # frames pile up in the queue meanwhile
                        speech.interrupt()
                assert speech.dropped_frames > 10 and speech.results == []


async def test_error_status_raises_and_cut_body_is_a_typed_failure() -> None:
    async with running() as server:
        async with Client(
            api_key=KEY, base_url=server.base_url, env={}, extra_headers=fault(http_status=429)
        ) as client:
            with pytest.raises(APIStatusError) as info:
                await client.speech.create(TEXT)
            assert info.value.status == 429 and info.value.error.classification == "retryable"
        async with Client(
            api_key=KEY, base_url=server.base_url, env={}, extra_headers=fault(drop_after_events=2)
        ) as client:
            events, speech = await collect(client, TEXT)
        errors = [e for e in events if isinstance(e, APIError)]
        assert len(errors) == 1 and errors[0].code == "incomplete_stream"
        assert speech.results[0].status == "failed"
        assert pcm_of(events) == synthesize(TEXT)[: 4801 + 1999]  # the two chunks sent
        async with Client(
            api_key=KEY, base_url=server.base_url, env={}, extra_headers=fault(inject_error_after=1)
        ) as client:
            events, speech = await collect(client, TEXT, stream_format="sse")
        assert [e.code for e in events if isinstance(e, APIError)] == ["server_error"]


async def test_emulator_validates_like_the_api() -> None:
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        with pytest.raises(APIStatusError) as info:
            await client.speech.create(TEXT, voice="robot")
        assert (info.value.status, info.value.error.param) == (400, "voice")
        with pytest.raises(LocalProtocolError):
            client.speech.stream(TEXT, speed=9.0)


async def test_azure_deployment_path() -> None:
    async with running() as server:
        root = server.base_url[: -len("/v1")]
        async with Client.azure(
            env={},
            azure_endpoint=root,
            azure_deployment="tts-dep",
            api_version="2025-03-01-preview",
            api_key="azure-key",
        ) as client:
            audio = await client.speech.create(TEXT, stream_format="sse")
        assert audio.audio == synthesize(TEXT)
        request = server.requests[0]
        assert request.path == "/openai/deployments/tts-dep/audio/speech"
        assert request.query == "api-version=2025-03-01-preview"
        assert request.headers["api-key"] == "<redacted>"


async def test_interrupt_does_not_cancel_the_callers_own_code() -> None:
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        reached = False
        async with client.speech.stream("y" * 40) as speech:
            async for event in speech:
                if isinstance(event, SpeechFrame):
                    speech.interrupt()
            await anyio.sleep(0)  # the caller's code after a barge-in still runs
            reached = True
        assert reached and speech.interrupted


class _HeldResponse:
    """A PCM response whose reads the test scripts: the first waits until every other task
    (the listener) is blocked, the second interrupts the session."""

    status = 200
    headers = [("content-type", "audio/pcm")]
    truncated = False

    def __init__(self) -> None:
        self.session: Any = None
        self.started = anyio.Event()  # the listener has SpeechStarted
        self.reads = 0

    async def receive_some(self) -> bytes | None:
        self.reads += 1
        if self.reads == 1:
            await self.started.wait()
            await anyio.wait_all_tasks_blocked()  # the listener waits in receive() again
            return bytes(960)  # one frame, handed straight to the waiting listener
        self.session.interrupt()  # before the listener ran again
        await anyio.sleep_forever()
        return None

    async def aclose(self) -> None:
        pass


class _HeldClient:
    config = ClientConfig(api_key="sk-held-key")

    def __init__(self, response: _HeldResponse) -> None:
        self.response = response

    async def _send(self, request: Any) -> _HeldResponse:
        return self.response


async def test_no_frame_is_handed_out_after_interrupt() -> None:
    response = _HeldResponse()
    speech = SpeechResource(_HeldClient(response)).stream("Hi.")  # type: ignore[arg-type]
    response.session = speech
    events = []
    async with speech:
        async for event in speech:
            events.append(event)
            response.started.set()
    assert [type(e) for e in events] == [SpeechStarted]
    assert speech.interrupted and speech.dropped_frames == 1


async def test_a_slow_listener_holds_back_later_requests() -> None:
    pieces: list[str | FlushMarker] = []
    for n in range(8):
        pieces += [f"Segment {n}. ", FLUSH]
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        async with client.speech.stream(
            text_with_flushes(pieces), chunked=True, max_concurrency=2
        ) as speech:
            events = [await speech.__anext__()]
            await anyio.sleep(0.3)  # reads nothing meanwhile
            assert len(server.requests) == 2  # not one request per segment, audio piling up
            assert KEY not in repr(vars(speech))  # records held for the trace are redacted
            events += [event async for event in speech]
    assert len(server.requests) == 8
    assert pcm_of(events) == b"".join(synthesize(f"Segment {n}. ") for n in range(8))


async def test_a_failed_segment_ends_the_chunked_stream() -> None:
    too_long = "x" * 5000
    pieces: list[str | FlushMarker] = ["One. ", FLUSH, too_long, FLUSH, "Three. ", FLUSH]
    async with running() as server, Client(api_key=KEY, base_url=server.base_url, env={}) as client:
        async with client.speech.stream(text_with_flushes(pieces), chunked=True) as speech:
            seen: list[Any] = []
            with pytest.raises(LocalProtocolError):
                async for event in speech:
                    seen.append(event)
            after = [event async for event in speech]  # nothing of a later segment
        assert pcm_of(seen) == synthesize("One. ") and after == []
        assert [r.status for r in speech.results] == ["completed"]
        cut = fault(drop_after_events=1)
        async with Client(
            api_key=KEY, base_url=server.base_url, env={}, extra_headers=cut
        ) as client:
            pieces = ["One. ", FLUSH, "Two. ", FLUSH]
            events, speech = await collect(client, text_with_flushes(pieces), chunked=True)
        assert [type(e) for e in events[-2:]] == [APIError, SpeechDone]
        assert [r.status for r in speech.results] == ["failed"]  # "Two. " is never heard
        assert sum(isinstance(e, SpeechStarted) for e in events) == 1
