"""``client.transcription`` against the built-in emulator on loopback, on asyncio and trio:
JSON and SSE answers, whisper-1 ignoring ``stream``, the utterance helper on audio with
pauses, error statuses, a cut stream, the Azure deployment path, and every SSE event the
emulator sends validated against the `openai` SDK's types."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import msgspec
import numpy as np
import pydantic
import pytest
from openai.types.audio import Transcription, TranscriptionStreamEvent, TranscriptionVerbose

from openai_sansio import APIStatusError, Client
from openai_sansio.emulator import EmulatorConfig, running
from openai_sansio.emulator.transcription_http import transcript_plan
from openai_sansio.protocol._codec import encode_event
from openai_sansio.protocol.events.common import APIError
from openai_sansio.protocol.events.transcription import (
    TranscriptTextDelta,
    TranscriptTextDone,
    TranscriptTextSegment,
)
from openai_sansio.protocol.requests import HTTPRequest
from openai_sansio.protocol.transcription_http import TranscriptionResult
from openai_sansio.transcription_client import TranscriptionError, audio_upload

pytestmark = pytest.mark.anyio

KEY = "sk-emulator-test-key"
RATE = 16000
_SDK_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(TranscriptionStreamEvent)


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def speech(pattern: list[tuple[float, bool]], rate: int = RATE) -> np.ndarray[Any, Any]:
    """Tone bursts (True) and silences (False) of the given seconds, as int16 mono."""
    blocks = []
    for seconds, loud in pattern:
        t = np.arange(int(seconds * rate)) / rate
        level = 0.3 if loud else 0.0
        blocks.append((level * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16))
    return np.concatenate(blocks)


AUDIO = speech([(0.5, False), (0.8, True), (0.6, False), (1.2, True), (0.5, False)])


async def expected_text(seed: int = 0) -> str:
    data, name = await audio_upload(AUDIO, sample_rate=RATE)
    return transcript_plan(data, name, seed=seed).text


async def test_json_with_logprobs_and_usage() -> None:
    async with running(EmulatorConfig(seed=5)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            result = await client.transcription.transcribe(
                AUDIO, sample_rate=RATE, include_logprobs=True, language="en"
            )
        request = server.requests[-1]
    assert result.status == "completed" and result.format == "json"
    assert result.text == await expected_text(5) and result.text.count(".") == 2
    assert result.confidence is not None and 0.6 < result.confidence <= 1.0
    assert result.usage is not None and result.usage.kind == "tokens"
    assert result.usage.audio_tokens == 36  # 3.6 s at 10 audio tokens per second
    Transcription.model_validate(result.raw)
    assert request.path == "/v1/audio/transcriptions"
    assert request.headers["authorization"] == "<redacted>"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")


async def test_sse_events_conform_and_assemble() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            async with client.transcription.stream(
                AUDIO, sample_rate=RATE, include_logprobs=True
            ) as events:
                seen = [event async for event in events]
            assert events.status == 200 and events.request_id
    deltas = [e for e in seen if isinstance(e, TranscriptTextDelta)]
    assert len(deltas) > 2 and isinstance(seen[-2], TranscriptTextDone)
    result = seen[-1]
    assert isinstance(result, TranscriptionResult) and result.format == "sse"
    assert result.text == "".join(d.delta for d in deltas) == await expected_text()
    assert result.confidence is not None and result.usage is not None
    for event in seen[:-1]:
        _SDK_EVENT.validate_json(json.dumps(_wire(event)))


def _wire(event: Any) -> Any:
    return msgspec.json.decode(encode_event(event))


async def test_whisper_ignores_stream_and_verbose_formats() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            streamed = await client.transcription.transcribe(
                AUDIO, sample_rate=RATE, model="whisper-1", stream=True
            )
            verbose = await client.transcription.transcribe(
                AUDIO,
                sample_rate=RATE,
                model="whisper-1",
                response_format="verbose_json",
                timestamp_granularities=["word", "segment"],
            )
            srt = await client.transcription.transcribe(
                AUDIO, sample_rate=RATE, model="whisper-1", response_format="srt"
            )
    assert streamed.format == "json" and streamed.confidence is None
    assert streamed.usage is not None and streamed.usage.kind == "duration"
    TranscriptionVerbose.model_validate(verbose.raw)
    assert verbose.duration == 3.6 and len(verbose.segments) == 2
    assert srt.format == "srt" and srt.text == streamed.text
    assert [(s.start, s.end) for s in srt.segments] == [(s.start, s.end) for s in verbose.segments]


async def test_diarized_stream_has_segments() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            async with client.transcription.stream(
                AUDIO, sample_rate=RATE, model="gpt-4o-transcribe-diarize"
            ) as events:
                seen = [event async for event in events]
    segments = [e for e in seen if isinstance(e, TranscriptTextSegment)]
    assert [s.speaker for s in segments] == ["A", "B"]
    assert seen[-1].segments[1].speaker == "B"


async def test_error_status_and_validation_errors() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            client.config = client.config.replace(
                extra_headers={"x-emulator-fault": json.dumps({"http_status": 429})}
            )
            with pytest.raises(APIStatusError) as limited:
                await client.transcription.transcribe(AUDIO, sample_rate=RATE)
            assert limited.value.status == 429
            assert limited.value.error.classification == "retryable"
            client.config = client.config.replace(extra_headers={})
            with pytest.raises(APIStatusError) as bad:  # srt is whisper-1 only
                await client.transcription.transcribe(
                    AUDIO, sample_rate=RATE, response_format="srt"
                )
            assert bad.value.status == 400 and bad.value.code == "unsupported_value"


async def test_cut_stream_raises_transcription_error() -> None:
    async with running() as server:
        async with Client(
            api_key=KEY,
            base_url=server.base_url,
            env={},
            extra_headers={"x-emulator-fault": json.dumps({"drop_after_events": 2})},
        ) as client:
            with pytest.raises(TranscriptionError) as info:
                await client.transcription.transcribe(AUDIO, sample_rate=RATE, stream=True)
            async with client.transcription.stream(AUDIO, sample_rate=RATE) as events:
                seen = [event async for event in events]
    result = info.value.result
    assert result.status == "interrupted" and result.text
    assert info.value.error is not None and info.value.error.code == "stream_interrupted"
    assert isinstance(seen[-2], APIError) and seen[-1].status == "interrupted"


async def test_azure_deployment_path() -> None:
    async with running() as server:
        endpoint = server.base_url.removesuffix("/v1")
        async with Client.azure(
            env={},
            azure_endpoint=endpoint,
            azure_deployment="stt-prod",
            api_version="2025-03-01-preview",
            api_key="azure-key",
        ) as client:
            result = await client.transcription.transcribe(AUDIO, sample_rate=RATE)
        request = server.requests[-1]
    assert request.path == "/openai/deployments/stt-prod/audio/transcriptions"
    assert "api-version=2025-03-01-preview" in request.query
    assert request.headers["api-key"] == "<redacted>"
    assert result.text == await expected_text()


async def test_malformed_multipart_is_a_400() -> None:
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            good = client.transcription.stream(AUDIO, sample_rate=RATE)
            data, name = await audio_upload(AUDIO, sample_rate=RATE)
            request = good._build(data, name)
            broken = HTTPRequest(
                method="POST",
                url=request.url,
                scheme=request.scheme,
                host=request.host,
                port=request.port,
                target=request.target,
                headers=request.headers,
                body=request.body[:-10],  # no closing boundary
                stream=False,
            )
            response = await client._send(broken)
            body = await response.read_all()
            await response.aclose()
    assert response.status == 400 and b"multipart" in body


async def _chunks(audio: np.ndarray[Any, Any], size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(audio), size):
        await anyio.sleep(0)
        yield audio[start : start + size].tobytes()


async def test_utterances_one_request_each_in_order() -> None:
    audio = speech(
        [(0.3, False), (0.6, True), (0.7, False), (1.0, True), (0.8, False), (0.4, True)]
    )
    async with running(EmulatorConfig(seed=2)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            async with client.transcription.transcribe_utterances(
                _chunks(audio, 1234), sample_rate=RATE, max_concurrency=3
            ) as utterances:
                got = [u async for u in utterances]
        requests = [r for r in server.requests if r.path.endswith("/audio/transcriptions")]
    assert [u.index for u in got] == [0, 1, 2] and len(requests) == 3
    assert [round(u.start_ms) for u in got] == [300, 1600, 3400]
    assert [round(u.end_ms) for u in got] == [900, 2600, 3800]
    for u in got:
        assert u.text.endswith(".") and u.text.count(".") == 1 and u.confidence is None


async def test_utterances_is_a_context_manager_that_raises_in_turn_and_cancels_on_exit() -> None:
    """Not an async generator: the requests run in the block's task group, so a failure is
    raised by the iteration at its utterance's turn, and leaving the block early cancels the
    requests still running (nothing leaks past the block, on either backend)."""
    audio = speech([(0.3, False), (0.6, True), (0.7, False), (1.0, True), (0.8, False)])
    async with running(EmulatorConfig(http_status=400)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            stream = client.transcription.transcribe_utterances(
                _chunks(audio, 4000), sample_rate=RATE
            )
            assert not hasattr(stream, "asend")  # not an async generator
            with pytest.raises(RuntimeError):
                await stream.__anext__()  # only inside 'async with'
            with anyio.fail_after(5), pytest.raises(APIStatusError) as info:
                async with stream as utterances:
                    async for _ in utterances:
                        pass
    assert info.value.status == 400

    async def endless() -> AsyncIterator[bytes]:
        while True:
            for start in range(0, len(audio), 4000):
                await anyio.sleep(0)
                yield audio[start : start + 4000].tobytes()

    async with running(EmulatorConfig(delay_s=0.05)) as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            with anyio.fail_after(5):
                async with client.transcription.transcribe_utterances(
                    endless(), sample_rate=RATE, max_concurrency=2
                ) as utterances:
                    first = await utterances.__anext__()
            # the reader and the requests in flight were cancelled with the block
    assert first.index == 0 and first.text


async def test_utterances_a_failing_source_raises_after_the_utterances_before_it() -> None:
    audio = speech([(0.3, False), (0.6, True), (0.7, False)])

    async def broken() -> AsyncIterator[bytes]:
        yield audio.tobytes()
        raise ValueError("microphone unplugged")

    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            got = []
            with anyio.fail_after(5), pytest.raises(ValueError, match="unplugged"):
                async with client.transcription.transcribe_utterances(
                    broken(), sample_rate=RATE
                ) as utterances:
                    async for u in utterances:
                        got.append(u)
    assert [u.index for u in got] == [0]


async def test_an_sse_stream_leaves_its_connection_for_the_next_request() -> None:
    """After `TranscriptionResult` the rest of the SSE body is drained (as for Responses and
    Chat), so the next request reuses the connection; the trace records each exchange to
    exactly one end of body."""
    lines: list[bytes] = []
    async with running() as server:
        async with Client(api_key=KEY, base_url=server.base_url, env={}) as client:
            first = await client.transcription.transcribe(
                AUDIO, sample_rate=RATE, stream=True, trace=lines.append
            )
            async with client.transcription.stream(AUDIO, sample_rate=RATE) as events:
                second = await events.until_done()
            third = await client.transcription.transcribe(AUDIO, sample_rate=RATE)
            opened = client.transport.connections_opened
    assert (first.format, second.format, third.format) == ("sse", "sse", "json")
    assert first.text == second.text == third.text == await expected_text()
    assert opened == 1
    ops = [json.loads(line).get("op") for line in lines[1:]]
    assert ops[:2] == ["request", "response"] and ops.count("eof") == 1
    assert set(ops[2:-1]) == {"recv_bytes"} and ops[-1] == "eof"
