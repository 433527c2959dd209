"""The emulator's Realtime API (GA) on ``/v1/realtime``, driven by a raw anyio + wsproto client.

Runs on asyncio and trio. Every event the emulator sends is validated against the `openai`
SDK's server-event union (`RealtimeServerEvent`), with no undocumented top-level fields, and
the session / response / item objects inside against their SDK models.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.abc
import numpy as np
import openai
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.realtime import RealtimeServerEvent
from openai.types.realtime.conversation_item import ConversationItem
from openai.types.realtime.realtime_response import RealtimeResponse
from openai.types.realtime.realtime_session_create_response import (
    RealtimeSessionCreateResponse,
)
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

from openai_sansio.audio import PCM24K, PCMU, AudioFormat, ulaw_encode
from openai_sansio.emulator import (
    REALTIME_RULES_DOC,
    RULES_DOC,
    EmulatorConfig,
    RunningEmulator,
    running,
)
from openai_sansio.emulator.realtime_audio import synthesize
from openai_sansio.emulator.realtime_engine import RealtimeEngine

pytestmark = pytest.mark.anyio

SECRET = "sk-test-SECRET-do-not-echo"
SERVER_EVENT: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(RealtimeServerEvent)
ITEM: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(ConversationItem)
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOLS = [{"type": "function", "name": "get_weather", "parameters": WEATHER}]
ITEM_KEYS = {"id", "type", "object", "status", "role", "content", "call_id", "name"}
ITEM_KEYS |= {"arguments", "output"}


@contextlib.asynccontextmanager
async def serve(config: EmulatorConfig | None = None) -> AsyncIterator[RunningEmulator]:
    """A running emulator; on exit, asserts it hit no internal error."""
    async with running(config) as server:
        yield server
        assert not server.emulator.internal_errors


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def check_item(item: dict[str, Any]) -> None:
    ITEM.validate_python(item)
    assert set(item) <= ITEM_KEYS, item


def check(frame: dict[str, Any]) -> dict[str, Any]:
    """Validate one server event against the SDK (and its nested objects); returns it."""
    model = SERVER_EVENT.validate_python(frame)
    unknown = set(frame) - set(type(model).model_fields)
    assert not unknown, (frame["type"], unknown)
    assert frame["event_id"].startswith("event_")
    if "session" in frame:
        RealtimeSessionCreateResponse.model_validate(frame["session"])
        assert set(frame["session"]) <= set(RealtimeSessionCreateResponse.model_fields)
    if "response" in frame:
        RealtimeResponse.model_validate(frame["response"])
        assert set(frame["response"]) <= set(RealtimeResponse.model_fields)
        for item in frame["response"]["output"]:
            check_item(item)
    if "item" in frame:
        check_item(frame["item"])
    return frame


class RtClient:
    """A raw Realtime WebSocket client: an anyio TCP stream + a wsproto client connection."""

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self.stream = stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.events: deque[Event] = deque()
        self.status = 0
        self.subprotocol: str | None = None
        self.reject_body = b""
        self.close_code: int | None = None
        self.close_reason = ""
        self.raw: list[str] = []

    @classmethod
    async def open(
        cls,
        port: int,
        *,
        auth: bool = True,
        fault: dict[str, Any] | None = None,
        headers: list[tuple[str, str]] | None = None,
        path: str = "/v1/realtime?model=gpt-realtime",
        subprotocols: list[str] | None = None,
    ) -> RtClient:
        client = cls(await anyio.connect_tcp("127.0.0.1", port))
        extra = [("authorization", f"Bearer {SECRET}")] if auth else []
        if fault is not None:
            extra.append(("x-emulator-fault", json.dumps(fault)))
        extra += headers or []
        request = Request(
            host="127.0.0.1", target=path, extra_headers=extra, subprotocols=subprotocols or []
        )
        await client.stream.send(client.ws.send(request))
        while client.status == 0:
            event = await client._next()
            if isinstance(event, AcceptConnection):
                client.status = 101
                client.subprotocol = event.subprotocol
            elif isinstance(event, RejectConnection):
                client.status = event.status_code
                done = not event.has_body
                while not done:
                    data = await client._next()
                    assert isinstance(data, RejectData)
                    client.reject_body += data.data
                    done = data.body_finished
            else:
                raise AssertionError(event)
        return client

    async def _next(self) -> Event:
        while not self.events:
            with anyio.fail_after(10):
                try:
                    data: bytes | None = await self.stream.receive(65536)
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    data = None
            self.ws.receive_data(data)
            self.events.extend(self.ws.events())
        return self.events.popleft()

    async def send(self, *frames: dict[str, Any] | str) -> None:
        """Send frames in ONE socket write (the server receives them together)."""
        data = b"".join(
            self.ws.send(TextMessage(data=f if isinstance(f, str) else json.dumps(f)))
            for f in frames
        )
        await self.stream.send(data)

    async def recv(self) -> dict[str, Any] | None:
        """The next event (validated), or None once the connection closed (`close_code`)."""
        if self.close_code is not None:
            return None
        event = await self._next()
        if isinstance(event, CloseConnection):
            self.close_code, self.close_reason = event.code, event.reason or ""
            return None
        assert isinstance(event, TextMessage), event
        text = event.data
        while not event.message_finished:
            event = await self._next()
            assert isinstance(event, TextMessage), event
            text += event.data
        self.raw.append(text)
        return check(json.loads(text))

    async def until(self, *types: str) -> list[dict[str, Any]]:
        """Events up to and including the next one of `types`."""
        frames: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            assert frame is not None, f"closed ({self.close_code}) after {frames}"
            frames.append(frame)
            if frame["type"] in types:
                return frames

    async def next_of(self, kind: str) -> dict[str, Any]:
        return (await self.until(kind))[-1]

    async def closed(self) -> int | None:
        """Drain until the server closes; the close code (1006 = no close frame)."""
        while await self.recv() is not None:
            pass
        return self.close_code

    async def aclose(self) -> None:
        await self.stream.aclose()


async def connect(port: int, **kwargs: Any) -> tuple[RtClient, dict[str, Any]]:
    client = await RtClient.open(port, **kwargs)
    assert client.status == 101
    created = await client.recv()
    assert created is not None and created["type"] == "session.created"
    return client, created["session"]


# --- audio and events -------------------------------------------------------------------


def tone(ms: int, fmt: AudioFormat = PCM24K, amplitude: float = 0.3) -> bytes:
    n = fmt.samples_for_ms(ms)
    t = np.arange(n) / fmt.rate
    samples = (amplitude * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    return encode(samples, fmt)


def silence(ms: int, fmt: AudioFormat = PCM24K) -> bytes:
    return encode(np.zeros(fmt.samples_for_ms(ms), dtype=np.int16), fmt)


def encode(samples: Any, fmt: AudioFormat) -> bytes:
    if fmt is PCMU:
        return bytes(ulaw_encode(samples).tobytes())
    return bytes(samples.astype("<i2").tobytes())


def appends(audio: bytes, fmt: AudioFormat = PCM24K, chunk_ms: int = 100) -> list[dict[str, Any]]:
    size = fmt.bytes_for_ms(chunk_ms)
    return [
        {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(audio[i : i + size]).decode(),
        }
        for i in range(0, len(audio), size)
    ]


def message(role: str, *content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "role": role, "content": list(content)}


def user_text(text: str, **extra: Any) -> dict[str, Any]:
    item = message("user", {"type": "input_text", "text": text})
    return {"type": "conversation.item.create", "item": item, **extra}


def fault(**knobs: Any) -> dict[str, str]:
    """``metadata`` carrying per-response fault knobs."""
    return {"emulator_fault": json.dumps(knobs)}


def update(**session: Any) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "realtime", **session}}


CREATE = {"type": "response.create"}
MANUAL = update(audio={"input": {"turn_detection": None}})
TEXT_ONLY = update(output_modalities=["text"], audio={"input": {"turn_detection": None}})


def of(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [f for f in frames if f["type"] == kind]


def audio_of(frames: list[dict[str, Any]]) -> bytes:
    return b"".join(base64.b64decode(f["delta"]) for f in of(frames, "response.output_audio.delta"))


def deltas(frames: list[dict[str, Any]], kind: str) -> str:
    return "".join(f["delta"] for f in of(frames, kind))


# --- session ----------------------------------------------------------------------------


async def test_session_created_update_and_bookkeeping() -> None:
    async with serve(EmulatorConfig(seed=5)) as server:
        assert server.realtime_url == f"ws://127.0.0.1:{server.port}/v1/realtime"
        client, session = await connect(server.port, path="/v1/realtime?model=gpt-realtime-2")
        assert session["model"] == "gpt-realtime-2"
        assert session["id"].startswith("sess_") and session["object"] == "realtime.session"
        assert session["output_modalities"] == ["audio"]
        audio = session["audio"]
        assert (
            audio["input"]["format"]
            == audio["output"]["format"]
            == {
                "type": "audio/pcm",
                "rate": 24000,
            }
        )
        assert audio["input"]["turn_detection"]["type"] == "server_vad"
        assert audio["output"]["voice"] == "marin"
        mcp = {"type": "mcp", "server_label": "docs", "authorization": SECRET}
        await client.send(
            update(
                tools=[mcp],
                instructions="Be brief.",
                audio={
                    "input": {"turn_detection": {"type": "server_vad", "silence_duration_ms": 400}},
                    "output": {"voice": "cedar"},
                },
            )
        )
        updated = (await client.next_of("session.updated"))["session"]
        assert updated["instructions"] == "Be brief."
        assert updated["tools"] == [{"type": "mcp", "server_label": "docs"}]  # no secret echo
        assert updated["audio"]["output"]["voice"] == "cedar"
        vad = updated["audio"]["input"]["turn_detection"]
        assert vad["silence_duration_ms"] == 400 and vad["prefix_padding_ms"] == 300
        assert updated["audio"]["input"]["format"] == audio["input"]["format"]
        bad = [
            {"type": "session.update", "session": {"instructions": "x"}, "event_id": "e1"},
            {"type": "session.update", "session": {"type": "realtime", "voice": "alloy"}},
            update(output_modalities=["audio", "text"]),
            update(audio={"input": {"format": {"type": "audio/pcm", "rate": 16000}}}),
            update(model="gpt-other"),
            {"type": "transcription_session.update", "session": {}},
            "{not json",
        ]
        await client.send(*bad)
        errors = [(await client.next_of("error"))["error"] for _ in bad]
        assert errors[0]["code"] == "missing_required_parameter"
        assert errors[0]["param"] == "session.type" and errors[0]["event_id"] == "e1"
        assert errors[1]["code"] == "unknown_parameter" and errors[1]["param"] == "session.voice"
        assert [e["code"] for e in errors[2:]] == [*["invalid_value"] * 4, "invalid_json"]
        assert all(e["event_id"] is None for e in errors[1:])
        await client.aclose()
        # browser-style auth: key in a subprotocol, "realtime" selected
        browser, _ = await connect(
            server.port, auth=False, subprotocols=["realtime", f"openai-insecure-api-key.{SECRET}"]
        )
        assert browser.subprotocol == "realtime"
        await browser.aclose()
        azure, azure_session = await connect(
            server.port,
            auth=False,
            headers=[("api-key", SECRET)],
            path="/openai/v1/realtime?model=my-deployment",
        )
        assert azure_session["model"] == "my-deployment"
        await azure.aclose()
        refused = await RtClient.open(server.port, auth=False)
        assert refused.status == 401
        assert b"invalid_api_key" in refused.reject_body
        await refused.aclose()
        assert len(server.realtime_frames) == 3 and server.ws_frames == []
        assert server.realtime_frames[0][0]["session"]["instructions"] == "Be brief."
        assert SECRET not in repr(server.requests) + repr(server.realtime_connections)
        assert SECRET not in "".join(client.raw)


async def test_beta_header_is_refused() -> None:
    async with serve() as server:
        client = await RtClient.open(server.port, headers=[("openai-beta", "realtime=v1")])
        assert client.status == 101
        error = await client.recv()
        assert error is not None and error["error"]["code"] == "beta_api_shape_disabled"
        assert "no longer supported" in error["error"]["message"]
        assert await client.closed() == 4000


# --- input audio ------------------------------------------------------------------------


async def test_server_vad_lifecycle_and_audio_response() -> None:
    transcription = {"transcription": {"model": "gpt-4o-transcribe"}}
    async with serve(EmulatorConfig(seed=1)) as server:
        client, _ = await connect(server.port)
        await client.send(update(audio={"input": transcription}))
        await client.next_of("session.updated")
        speech = silence(600) + tone(800) + silence(700)
        await client.send(*appends(speech))
        frames = await client.until("response.done")
        kinds = [f["type"] for f in frames]
        assert kinds[:5] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
        ]
        started, stopped, committed, added = frames[:4]
        user_id = started["item_id"]
        assert started["audio_start_ms"] == 300  # speech at 600 ms minus 300 ms prefix padding
        assert stopped["audio_end_ms"] == 1600  # speech end at 1400 ms plus 200 ms of silence
        assert stopped["item_id"] == committed["item_id"] == added["item"]["id"] == user_id
        assert committed["previous_item_id"] is None
        assert added["item"]["content"] == [{"type": "input_audio", "transcript": None}]
        heard = "Spoken input of 1300 milliseconds."
        assert deltas(frames, "conversation.item.input_audio_transcription.delta") == heard
        [completed] = of(frames, "conversation.item.input_audio_transcription.completed")
        assert completed["transcript"] == heard and completed["usage"]["type"] == "tokens"
        created = of(frames, "response.created")[0]
        assert kinds[kinds.index("response.created") + 1] == "rate_limits.updated"
        assert created["response"]["status"] == "in_progress"
        assert created["response"]["conversation_id"].startswith("conv_")
        [item_added] = of(frames, "conversation.item.added")[1:]
        assert item_added["previous_item_id"] == user_id
        answer = f"You said: {heard}"
        assert deltas(frames, "response.output_audio_transcript.delta") == answer
        audio = audio_of(frames)
        assert audio == synthesize(answer, PCM24K)
        assert len(audio) == len(answer) * 50 * 48  # 50 ms per character, 48 bytes per ms
        chunks = of(frames, "response.output_audio.delta")
        assert len(chunks) == -(-len(audio) // 4800)  # 100 ms chunks
        assert of(frames, "response.output_audio_transcript.done")[0]["transcript"] == answer
        done = frames[-1]["response"]
        assert done["status"] == "completed" and done["status_details"] is None
        assert done["output"][0]["content"] == [{"type": "output_audio", "transcript": answer}]
        usage = done["usage"]
        assert usage["input_token_details"]["audio_tokens"] == 13  # 1300 ms / 100
        assert usage["output_token_details"]["audio_tokens"] == len(answer)  # 50 ms each
        # the user audio is retrievable, exactly the committed span
        await client.send({"type": "conversation.item.retrieve", "item_id": user_id})
        item = (await client.next_of("conversation.item.retrieved"))["item"]
        assert base64.b64decode(item["content"][0]["audio"]) == speech[300 * 48 : 1600 * 48]
        await client.aclose()


async def test_vad_over_g711_and_interrupting_a_response() -> None:
    async with serve(EmulatorConfig(realtime_rtf=0.5)) as server:
        client, _ = await connect(server.port)
        pcmu = {"format": {"type": "audio/pcmu"}}
        await client.send(update(audio={"input": pcmu, "output": pcmu}))
        await client.next_of("session.updated")
        await client.send(*appends(silence(400, PCMU) + tone(500, PCMU) + silence(300, PCMU), PCMU))
        frames = await client.until("response.output_audio.delta")
        assert of(frames, "input_audio_buffer.speech_started")[0]["audio_start_ms"] == 100
        chunk = base64.b64decode(frames[-1]["delta"])
        assert len(chunk) == 800  # 100 ms of 8 kHz G.711
        response_id = frames[-1]["response_id"]
        await client.send(*appends(tone(300, PCMU), PCMU))
        frames = await client.until("response.done")
        assert frames[0]["type"] == "input_audio_buffer.speech_started"
        done = frames[-1]["response"]
        assert done["id"] == response_id and done["status"] == "cancelled"
        assert done["status_details"] == {"type": "cancelled", "reason": "turn_detected"}
        assert done["output"][0]["status"] == "incomplete"
        assert of(frames, "response.output_audio.done") and of(frames, "response.content_part.done")
        await client.aclose()


async def test_manual_commit_clear_and_errors() -> None:
    async with serve() as server:
        client, _ = await connect(server.port)
        await client.send(MANUAL, {"type": "input_audio_buffer.commit", "event_id": "c1"})
        error = (await client.next_of("error"))["error"]
        assert error["code"] == "input_audio_buffer_commit_empty"
        assert error["event_id"] == "c1"
        assert error["message"].endswith("but buffer only has 0.00ms of audio.")
        await client.send(*appends(tone(50)), {"type": "input_audio_buffer.commit"})
        error = (await client.next_of("error"))["error"]
        assert "buffer only has 50.00ms" in error["message"]
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv() or {})["type"] == "input_audio_buffer.cleared"
        await client.send(*appends(tone(250)), {"type": "input_audio_buffer.commit"})
        frames = await client.until("conversation.item.done")
        assert [f["type"] for f in frames] == [
            "input_audio_buffer.committed",
            "conversation.item.added",
            "conversation.item.done",
        ]
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        answer = "You said: Spoken input of 250 milliseconds."
        assert deltas(frames, "response.output_audio_transcript.delta") == answer
        await client.send({"type": "input_audio_buffer.append", "audio": "%%%"}, {"type": "nope"})
        assert (await client.next_of("error"))["error"]["param"] == "audio"
        assert (await client.next_of("error"))["error"]["param"] == "type"
        await client.aclose()


# --- items and responses ------------------------------------------------------------------


async def test_text_responses_items_and_out_of_band() -> None:
    async with serve(EmulatorConfig(seed=2)) as server:
        client, _ = await connect(server.port)
        await client.send(TEXT_ONLY, user_text("say: hello there"))
        first = (await client.until("conversation.item.done"))[-1]
        assert first["previous_item_id"] is None and first["item"]["status"] == "completed"
        await client.send({"type": "response.create"})
        frames = await client.until("response.done")
        assert deltas(frames, "response.output_text.delta") == "hello there"
        assert not of(frames, "response.output_audio.delta")
        [part] = of(frames, "response.content_part.done")
        assert part["part"] == {"type": "text", "text": "hello there"}
        assert frames[-1]["response"]["output_modalities"] == ["text"]
        image = {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}
        system = message("system", {"type": "input_text", "text": "sys"})
        assistant_audio = message("assistant", {"type": "output_audio", "transcript": "hi"})
        await client.send(
            {"type": "conversation.item.create", "previous_item_id": "root", "item": system},
            user_text("look", previous_item_id=first["item"]["id"]),
            {"type": "conversation.item.create", "item": message("user", image)},
            user_text("x", previous_item_id="item_missing", event_id="bad_prev"),
            {"type": "conversation.item.create", "event_id": "asst_audio", "item": assistant_audio},
        )
        added = [(await client.until("conversation.item.done"))[-1] for _ in range(3)]
        assert added[0]["previous_item_id"] is None
        assert added[1]["previous_item_id"] == first["item"]["id"]
        assert added[2]["item"]["content"][0]["type"] == "input_image"
        errors = [(await client.next_of("error"))["error"] for _ in range(2)]
        assert errors[0]["event_id"] == "bad_prev" and errors[0]["param"] == "previous_item_id"
        assert errors[1]["event_id"] == "asst_audio"
        # out of band: no conversation events, metadata echoed, explicit input
        oob = {
            "conversation": "none",
            "metadata": {"purpose": "summary"},
            "input": [
                {"type": "item_reference", "id": first["item"]["id"]},
                message("user", {"type": "input_text", "text": "say: oob"}),
            ],
        }
        await client.send({"type": "response.create", "response": oob})
        frames = await client.until("response.done")
        assert not [f for f in frames if f["type"].startswith("conversation.")]
        assert frames[0]["response"]["conversation_id"] is None
        assert frames[-1]["response"]["metadata"] == {"purpose": "summary"}
        assert deltas(frames, "response.output_text.delta") == "oob"
        # retrieve / delete, unknown ids echo the client event_id
        item_id = added[2]["item"]["id"]
        await client.send(
            {"type": "conversation.item.delete", "item_id": item_id},
            {"type": "conversation.item.delete", "item_id": item_id, "event_id": "del2"},
            {"type": "conversation.item.retrieve", "item_id": "nope", "event_id": "ret"},
        )
        deleted = await client.recv()
        assert deleted == {
            "type": "conversation.item.deleted",
            "event_id": deleted and deleted["event_id"],
            "item_id": item_id,
        }
        errors = [(await client.next_of("error"))["error"] for _ in range(2)]
        assert [(e["code"], e["event_id"]) for e in errors] == [
            ("item_delete_invalid_item_id", "del2"),
            ("item_retrieve_invalid_item_id", "ret"),
        ]
        await client.aclose()


async def test_cancel_mid_response_conflict_and_truncate() -> None:
    async with serve(EmulatorConfig(realtime_rtf=0.5)) as server:
        client, _ = await connect(server.port)
        long = "say: " + "all work and no play makes jack a dull boy " * 3
        await client.send(MANUAL, user_text(long))
        await client.until("conversation.item.done")
        await client.send(CREATE, {**CREATE, "event_id": "dup"})
        frames = await client.until("error")
        assert [f["type"] for f in frames] == ["response.created", "rate_limits.updated", "error"]
        error = frames[-1]["error"]
        assert error["code"] == "conversation_already_has_active_response"
        assert error["event_id"] == "dup" and frames[0]["response"]["id"] in error["message"]
        frames += await client.until("response.output_audio.delta")
        await client.send({"type": "response.cancel"})
        frames += await client.until("response.done")
        done = frames[-1]["response"]
        assert done["status"] == "cancelled"
        assert done["status_details"] == {"type": "cancelled", "reason": "client_cancelled"}
        received = audio_of(frames)
        full = synthesize(long[5:].strip(), PCM24K)
        assert 0 < len(received) < len(full) and full.startswith(received)
        item = done["output"][0]
        assert item["status"] == "incomplete"
        transcript = of(frames, "response.output_audio_transcript.done")[0]["transcript"]
        assert transcript == deltas(frames, "response.output_audio_transcript.delta")
        await client.send({"type": "response.cancel", "event_id": "late"})
        error = (await client.next_of("error"))["error"]
        assert error["code"] == "response_cancel_not_active" and error["event_id"] == "late"
        # beyond the audio received, then what was played (50 ms)
        received_ms = len(received) // 48
        truncate = {"type": "conversation.item.truncate", "item_id": item["id"], "content_index": 0}
        await client.send(
            {**truncate, "audio_end_ms": received_ms + 1, "event_id": "t1"},
            {**truncate, "audio_end_ms": 50},
            {"type": "conversation.item.retrieve", "item_id": item["id"]},
        )
        error = (await client.next_of("error"))["error"]
        assert error["event_id"] == "t1"
        assert error["message"] == (
            f"Audio content of {received_ms}ms is already shorter than {received_ms + 1}ms"
        )
        truncated = await client.next_of("conversation.item.truncated")
        assert truncated["audio_end_ms"] == 50 and truncated["item_id"] == item["id"]
        retrieved = (await client.next_of("conversation.item.retrieved"))["item"]
        part = retrieved["content"][0]
        assert base64.b64decode(part["audio"]) == full[: 50 * 48]
        assert part["transcript"] == "a"  # the one character fully played
        await client.aclose()


async def test_truncate_and_delete_completed_items() -> None:
    async with serve() as server:
        client, _ = await connect(server.port)
        await client.send(MANUAL, user_text("say: Hello world"), {"type": "response.create"})
        frames = await client.until("response.done")
        item = frames[-1]["response"]["output"][0]
        user_id = of(frames, "conversation.item.added")[0]["item"]["id"]
        truncate = {"type": "conversation.item.truncate", "content_index": 0}
        await client.send(
            {**truncate, "item_id": item["id"], "audio_end_ms": 251},
            {**truncate, "item_id": item["id"], "audio_end_ms": 551, "event_id": "long"},
            {**truncate, "item_id": user_id, "audio_end_ms": 0},
            {**truncate, "item_id": "item_x", "audio_end_ms": 0, "event_id": "unknown"},
            {"type": "conversation.item.retrieve", "item_id": item["id"]},
            {"type": "conversation.item.delete", "item_id": item["id"]},
        )
        assert (await client.recv() or {})["type"] == "conversation.item.truncated"
        errors = [(await client.next_of("error"))["error"] for _ in range(3)]
        assert errors[0]["message"] == "Audio content of 251ms is already shorter than 551ms"
        assert errors[0]["event_id"] == "long"
        assert errors[1]["message"] == "Only model output audio messages can be truncated"
        assert errors[2]["code"] == "item_truncate_invalid_item_id"
        assert errors[2]["event_id"] == "unknown"
        part = (await client.next_of("conversation.item.retrieved"))["item"]["content"][0]
        assert base64.b64decode(part["audio"]) == synthesize("Hello world", PCM24K)[: 251 * 48]
        assert part["transcript"] == "Hello"  # 251 ms = 5 whole characters
        deleted = await client.next_of("conversation.item.deleted")
        assert deleted["item_id"] == item["id"]
        await client.aclose()


async def test_function_call_round_trip() -> None:
    async with serve(EmulatorConfig(seed=9)) as server:
        client, _ = await connect(server.port)
        await client.send(
            update(tools=TOOLS, audio={"input": {"turn_detection": None}}),
            user_text("What does get_weather say for Paris?"),
            {"type": "response.create", "response": {"metadata": {"client_event_id": "r1"}}},
        )
        frames = await client.until("response.done")
        assert frames[-1]["response"]["metadata"] == {"client_event_id": "r1"}
        [call] = frames[-1]["response"]["output"]
        assert call["type"] == "function_call" and call["status"] == "completed"
        assert call["name"] == "get_weather" and call["arguments"] == '{"city":"Paris"}'
        args = of(frames, "response.function_call_arguments.done")[0]
        assert args["call_id"] == call["call_id"] and args["arguments"] == call["arguments"]
        assert deltas(frames, "response.function_call_arguments.delta") == call["arguments"]
        assert not of(frames, "response.output_audio.delta")
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny"}
        await client.send(
            {"type": "conversation.item.create", "item": output}, {"type": "response.create"}
        )
        frames = await client.until("response.done")
        answer = "The get_weather tool returned: sunny."
        assert deltas(frames, "response.output_audio_transcript.delta") == answer
        await client.aclose()


async def test_vad_race_after_a_tool_call() -> None:
    async with serve(EmulatorConfig(realtime_vad_race=True)) as server:
        client, _ = await connect(server.port)
        await client.send(
            update(tools=TOOLS, tool_choice="required"), user_text("weather in Rome"), CREATE
        )
        frames = await client.until("response.done")
        [call] = frames[-1]["response"]["output"]
        frames = await client.until("rate_limits.updated")
        kinds = [f["type"] for f in frames]
        assert kinds[:3] == [
            "input_audio_buffer.speech_started",
            "input_audio_buffer.speech_stopped",
            "input_audio_buffer.committed",
        ]
        auto_id = of(frames, "response.created")[0]["response"]["id"]
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": "rainy"}
        await client.send(
            {"type": "conversation.item.create", "item": output},
            {"type": "response.create", "event_id": "mine"},
        )
        frames = await client.until("response.done")
        [error] = of(frames, "error")
        assert error["error"]["code"] == "conversation_already_has_active_response"
        assert auto_id in error["error"]["message"] and error["error"]["event_id"] == "mine"
        assert frames[-1]["response"]["id"] == auto_id
        answer = "The get_weather tool returned: rainy."  # the active response used the output
        assert deltas(frames, "response.output_audio_transcript.delta") == answer
        await client.aclose()


# --- faults and determinism ---------------------------------------------------------------


async def test_session_cap_drop_and_injected_errors() -> None:
    async with serve() as server:
        client, _ = await connect(server.port, fault={"realtime_max_age_s": 0.2})
        error = await client.recv()
        assert error is not None and error["error"]["code"] == "session_expired"
        assert error["error"]["message"] == "Your session hit the maximum duration of 60 minutes."
        assert await client.closed() == 1001
        assert client.close_reason == error["error"]["message"]
        drop = {"drop_after_events": 2, "ws_close_code": 1011}
        client = await RtClient.open(server.port, fault=drop)
        await client.send(MANUAL)
        assert [(await client.recv() or {}).get("type") for _ in range(2)] == [
            "session.created",
            "session.updated",
        ]
        assert await client.closed() == 1011
        inject = {"inject_error_after": 1, "error_code": "boom"}
        client, _ = await connect(server.port, fault=inject)
        assert (await client.next_of("error"))["error"]["code"] == "boom"
        await client.send(
            TEXT_ONLY,
            user_text("say: one two three four"),
            {"type": "response.create", "response": {"metadata": fault(fail_response=True)}},
        )
        done = (await client.next_of("response.done"))["response"]
        assert done["status"] == "failed"
        assert done["status_details"]["error"]["code"] == "boom"
        await client.send(
            {"type": "response.create", "response": {"metadata": fault(ws_error_status=429)}}
        )
        assert (await client.next_of("error"))["error"]["code"] == "boom"  # error_code wins
        await client.send(
            user_text("say: one two three four"),
            {"type": "response.create", "response": {"max_output_tokens": 2}},
        )
        done = (await client.next_of("response.done"))["response"]
        assert done["status"] == "incomplete"
        assert done["output"][0]["content"] == [{"type": "output_text", "text": "one two"}]
        await client.aclose()
        refused = await RtClient.open(server.port, fault={"http_status": 429})
        assert refused.status == 429
        await refused.aclose()


async def _scripted_session(seed: int) -> list[str]:
    async with serve(EmulatorConfig(seed=seed)) as server:
        client, _ = await connect(server.port)
        whisper = {"transcription": {"model": "whisper-1"}}
        await client.send(update(tools=TOOLS, audio={"input": whisper}))
        await client.next_of("session.updated")
        await client.send(*appends(silence(300) + tone(400) + silence(400)))
        await client.until("response.done")
        await client.send(user_text("get_weather for Oslo"), {"type": "response.create"})
        await client.until("response.done")
        await client.aclose()
        return client.raw


async def test_same_input_same_bytes() -> None:
    first = await _scripted_session(4)
    assert first == await _scripted_session(4)
    assert first != await _scripted_session(5)
    assert any('"seconds":' in frame for frame in first)  # whisper-1 usage is a duration


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the SDK's socket client is asyncio
async def test_official_sdk_client(anyio_backend: str) -> None:
    async with serve() as server:
        sdk = openai.AsyncOpenAI(api_key=SECRET, base_url=server.base_url)
        async with sdk.realtime.connect(model="gpt-realtime") as conn:
            await conn.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "say: hi"}],
                }
            )
            await conn.response.create()
            text = ""
            async for event in conn:
                if event.type == "response.output_text.delta":
                    text += event.delta
                if event.type == "response.done":
                    assert event.response.status == "completed"
                    break
        assert text == "hi"


def test_rules_doc_mentions_realtime() -> None:
    assert REALTIME_RULES_DOC in RULES_DOC
    for phrase in ("Spoken input of", "realtime_vad_race", "session_expired", "50 ms"):
        assert phrase in REALTIME_RULES_DOC


# --- the pure engine under arbitrary client events ----------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 3000) | st.sampled_from(["", "x", "root", "auto"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
CLIENT_TYPES = [
    "session.update", "input_audio_buffer.append", "input_audio_buffer.commit",
    "input_audio_buffer.clear", "output_audio_buffer.clear", "conversation.item.create",
    "conversation.item.retrieve", "conversation.item.truncate", "conversation.item.delete",
    "response.create", "response.cancel", "bogus",
]  # fmt: skip
PLAUSIBLE = st.sampled_from(
    [
        MANUAL,
        TEXT_ONLY,
        update(tools=TOOLS, tool_choice="required"),
        update(audio={"input": {"transcription": {"model": "gpt-4o-transcribe"}}}),
        update(audio={"input": {"format": {"type": "audio/pcma"}}, "output": {"speed": 1.5}}),
        user_text("say: hi there"),
        user_text("get_weather in Oslo", previous_item_id="root"),
        CREATE,
        {"type": "response.create", "response": {"conversation": "none", "input": []}},
        {"type": "response.cancel"},
        {"type": "input_audio_buffer.commit"},
        *appends(silence(200) + tone(400) + silence(300), chunk_ms=300),
    ]
)
RANDOM = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(CLIENT_TYPES),
    st.dictionaries(
        st.sampled_from(
            ["session", "audio", "item", "item_id", "previous_item_id", "content_index",
             "audio_end_ms", "response", "response_id", "event_id"]
        ),
        JSON,
        max_size=3,
    ),
)  # fmt: skip


@given(st.lists(PLAUSIBLE | RANDOM, max_size=8), st.integers(0, 40))
def test_engine_answers_anything_with_valid_events(frames: list[Any], reuse: int) -> None:
    """Random event sequences: no crash, every event valid; ids of items are reused."""
    clock = [0.0]
    engine = RealtimeEngine(
        EmulatorConfig(realtime_rtf=0.01),
        serial=1,
        model="gpt-realtime",
        opened_at=0.0,
        clock=lambda: clock[0],
    )
    seen: list[str] = []
    for frame in [*frames, None]:
        if frame is not None:
            if seen and "item_id" in frame:
                frame = {**frame, "item_id": seen[reuse % len(seen)]}
            engine.receive_text(json.dumps(frame), clock[0])
        for _ in range(500):
            out = engine.next_frame()
            if out is None or out.close is not None:
                break
            if out.frame is None:
                clock[0] += out.delay_s
                continue
            event = check(json.loads(json.dumps(out.frame)))
            if "item" in event and event["item"].get("id"):
                seen.append(event["item"]["id"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def engine_with(config: EmulatorConfig) -> tuple[RealtimeEngine, FakeClock]:
    clock = FakeClock()
    engine = RealtimeEngine(config, serial=1, model="m", opened_at=0.0, clock=clock)
    return engine, clock


def pump(
    engine: RealtimeEngine, clock: FakeClock, *frames: dict[str, Any]
) -> tuple[list[dict[str, Any]], float | None]:
    """Feed frames, then take what is due now: the events, and the wait before the next."""
    for frame in frames:
        engine.receive_text(json.dumps(frame), clock.now)
    out: list[dict[str, Any]] = []
    while (step := engine.next_frame()) is not None:
        if step.frame is None:
            return out, step.delay_s
        out.append(check(json.loads(json.dumps(step.frame))))
    return out, None


def test_pacing_and_truncating_the_item_being_streamed() -> None:
    engine, clock = engine_with(EmulatorConfig(realtime_rtf=1.0))
    events, wait = pump(engine, clock)
    assert [e["type"] for e in events] == ["session.created"] and wait == 3600
    events, wait = pump(engine, clock, MANUAL, user_text("say: Hello there, world"), CREATE)
    assert wait == pytest.approx(0.1)  # the second 100 ms chunk is due 100 ms later
    assert len(of(events, "response.output_audio.delta")) == 1
    item_id = of(events, "response.output_item.added")[0]["item"]["id"]
    clock.now = 0.1
    events, wait = pump(engine, clock)
    assert len(of(events, "response.output_audio.delta")) == 1 and wait == pytest.approx(0.1)
    truncate = {"type": "conversation.item.truncate", "item_id": item_id, "content_index": 0}
    events, _ = pump(engine, clock, {**truncate, "audio_end_ms": 150})
    assert [e["type"] for e in events] == ["conversation.item.truncated"]
    clock.now = 5.0
    events, _ = pump(engine, clock)
    assert not of(events, "response.output_audio.delta")  # nothing past the cut is sent
    assert of(events, "response.output_audio_transcript.done")[0]["transcript"] == "Hel"
    done = events[-1]
    assert done["type"] == "response.done" and done["response"]["status"] == "completed"
    assert done["response"]["output"][0]["status"] == "incomplete"
    events, _ = pump(engine, clock, {"type": "conversation.item.retrieve", "item_id": item_id})
    part = events[0]["item"]["content"][0]
    assert base64.b64decode(part["audio"]) == synthesize("Hello there, world", PCM24K)[:7200]
    assert part["transcript"] == "Hel"
