"""A Realtime (GA) voice session: ``client.realtime.connect(...)``.

    async with client.realtime.connect(model="gpt-realtime", config=config, tools=[weather],
                                       input_rate=48000, output_rate=48000) as session:
        session.send_audio(pcm_chunk)                 # any rate/channels -> session format
        async for event in session:                   # typed events
            if isinstance(event, AudioFrame): play(event.pcm)   # exact frames, caller's rate
            ...
        session.interrupt(played_ms=...)              # barge-in: cancel + truncate/delete

What the session does is `RealtimeSession`'s decision (pure); this module opens the socket
(`WebSocketTransport`, GA: never an ``OpenAI-Beta`` header), moves frames, converts audio on
the way in and out (`audio.realtime_path`), arms the rollover deadline with the anyio clock,
replaces the socket on `RolloverNeeded` / `ReconnectNeeded` (the machine restores the
conversation), and runs tools in the session's task group (`ToolRunner`): a tool never
blocks the receive path, so audio and barge-in keep flowing while it runs.

The event stream to the caller is bounded (`max_events`): a caller that stops reading stops
the reader, and the socket pushes back; audio frames are the bulk of it.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import msgspec

from ._socket_session import SocketSession
from .audio.realtime_path import InputPath, OutputPath
from .errors import APIConnectionError
from .protocol._errors import RemoteProtocolError
from .protocol.events.common import APIError, ToolCall
from .protocol.realtime import RealtimeSession
from .protocol.realtime_config import (
    RealtimeConfig,
    realtime_headers,
    realtime_url,
    session_update,
)
from .protocol.realtime_session_events import (
    Interruption,
    ReconnectNeeded,
    RolloverNeeded,
)
from .protocol.trace import TraceRecorder
from .transports._ws_events import Closed, TextMessage
from .transports._ws_report import record_received
from .transports.reconnect import Opened, open_with_backoff
from .transports.ws import WebSocketTransport, trace_to_recorder

if TYPE_CHECKING:
    from .client import Client

__all__ = ["AudioFrame", "RealtimeConnection"]


class AudioFrame(msgspec.Struct, frozen=True, gc=False):
    """One frame of the agent's audio at the caller's rate (`frame_ms` long, PCM16 LE).
    `last` marks the final frame of a response's audio: zero-padded, or empty (a marker) when
    the audio ended exactly on a frame boundary."""

    pcm: bytes
    response_id: str | None
    item_id: str | None
    last: bool = False


class RealtimeConnection(SocketSession):
    """See the module docstring. Entering opens the socket and raises its errors typed."""

    def __init__(
        self,
        client: Client,
        *,
        model: str,
        config: RealtimeConfig | None = None,
        tools: Sequence[Any] = (),
        tool_timeout: float = 30.0,
        input_rate: int = 24000,
        input_channels: int = 1,
        output_rate: int = 24000,
        output_channels: int = 1,
        frame_ms: float = 20.0,
        url: str | None = None,
        trace: TraceRecorder | None = None,
        reconnect_attempts: int = 5,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
        max_events: int = 4096,
        ids: Callable[[], str] | None = None,
        rollover_after_s: float | None = None,
        **transport_options: Any,
    ) -> None:
        from .tools_runner import ToolRunner

        super().__init__()

        self._client = client
        self.model = model
        self.config = config or RealtimeConfig()
        self._runner = ToolRunner(tools, timeout=tool_timeout) if tools else None
        if self._runner is not None and not self.config.tools:
            self.config = dataclasses.replace(self.config, tools=self._runner.specs)
        body = session_update(self.config).body["session"]
        options: dict[str, Any] = {}
        if rollover_after_s is not None:
            options["rollover_after_s"] = rollover_after_s
        self.machine = RealtimeSession(body, ids=ids, **options)
        in_fmt = _format_type(body, "input")
        out_fmt = _format_type(body, "output")
        self.input = InputPath(input_rate, channels=input_channels, fmt=in_fmt)
        self.output = OutputPath(
            output_rate, channels=output_channels, frame_ms=frame_ms, fmt=out_fmt
        )
        self._url = url or realtime_url(client.config, model=model)
        self._headers = realtime_headers(client.config)
        self._recorder = trace
        self._reconnect_attempts = reconnect_attempts
        self._backoff = (backoff_base, backoff_cap)
        self._jitter = jitter
        self._transport_options = transport_options
        self._tx, self._rx = anyio.create_memory_object_stream[Any](max_events)
        self._wake = anyio.Event()
        self._reconnect = anyio.Event()
        self._playing: tuple[str | None, str | None] = (None, None)
        self._silenced: dict[str, None] = {}  # responses interrupted: no frame of them after
        self._planned = False  # the socket is being replaced on purpose (rollover, expiry)
        self._unsent: list[bytes] = []  # frames the dying socket did not take
        self._reader_scope = anyio.CancelScope()
        self._receiving = False  # the reader is parked in ws.receive()

    # ------------------------------------------------------------------ commands

    def send_audio(self, pcm: bytes) -> None:
        """Caller PCM16 at `input_rate` / `input_channels`; converted and queued (bounded)."""
        converted = self.input.push(pcm)
        if converted:
            self.machine.append_audio(converted)
            self._wake.set()

    def _app(self, call: str, args: dict[str, Any], result: Any) -> None:
        """Record a command for replay (``app`` records; audio appends are in ``send``)."""
        if self._recorder is not None:
            self._recorder.app(self._now(), call, args, result)
        self._wake.set()

    def send_text(self, text: str, *, respond: bool = True, **response: Any) -> str:
        item = self.machine.send_text(text, respond=respond, **response)
        self._app("send_text", {"text": text, "respond": respond, **response}, item)
        return item

    def send_image(
        self,
        image: bytes,
        *,
        mime: str = "image/jpeg",
        text: str | None = None,
        respond: bool = False,
    ) -> str:
        """A user message with an ``input_image`` (data URL of `image`) and optional text."""
        from .protocol.realtime_config import image_input_item

        built = image_input_item(image, mime=mime, text=text)
        item = self.machine.send_item(built)
        self._app("send_item", {"item": built}, item)
        if respond:
            self.create_response()
        return item

    def create_response(self, **response: Any) -> str:
        event_id = self.machine.create_response(**response)
        self._app("create_response", dict(response), event_id)
        return event_id

    def interrupt(self, *, played_ms: float | None = None) -> Interruption:
        """Barge-in. `played_ms`: how much of the current response the caller played (default:
        everything delivered as frames). Buffered output is dropped."""
        if played_ms is None:
            played_ms = 1000.0 * self.output.delivered_samples / self.output.rate
        result = self.machine.interrupt(played_ms=played_ms)
        for silenced in (result.response_id, self._playing[0]):
            if silenced is not None:
                self._silenced[silenced] = None
        while len(self._silenced) > 64:
            del self._silenced[next(iter(self._silenced))]
        self.output.reset()
        self._app("interrupt", {"played_ms": played_ms}, msgspec.to_builtins(result))
        return result

    def update_session(self, **changes: Any) -> str:
        event_id = self.machine.update_session(**changes)
        self._app("update_session", dict(changes), event_id)
        return event_id

    # ------------------------------------------------------------------ events

    def __aiter__(self) -> RealtimeConnection:
        return self

    async def __anext__(self) -> Any:
        while True:
            try:
                event = await self._rx.receive()
            except anyio.EndOfStream:
                raise StopAsyncIteration from None
            if isinstance(event, AudioFrame) and event.response_id in self._silenced:
                continue  # queued before the interrupt: never played
            return event

    def commit_audio(self) -> str:
        """Push-to-talk: end the utterance (the resampler's tail included) and commit it."""
        tail = self.input.flush()
        if tail:
            self.machine.append_audio(tail)
        event_id = self.machine.commit_audio()
        self._app("commit_audio", {}, event_id)
        return event_id

    async def _deliver(self) -> None:
        """Hand the machine's events to the caller; audio becomes frames; tools run."""
        for event in self.machine.events():
            kind = getattr(event, "type", None)
            if kind == "response.output_audio.delta":
                if event.response_id in self._silenced:
                    continue
                if self._playing[0] != event.response_id:
                    self.output.reset()
                self._playing = (event.response_id, event.item_id)
                for pcm in self.output.push(event.delta):
                    await self._emit(AudioFrame(pcm, event.response_id, event.item_id))
                continue
            if kind == "response.output_audio.done" and event.response_id not in self._silenced:
                # the tail (zero-padded), the last one marked; an empty marker frame when the
                # audio ended on a frame boundary (no frame is held back: no added latency)
                tail = self.output.flush() or [b""]
                for n, pcm in enumerate(tail, 1):
                    last = n == len(tail)
                    await self._emit(AudioFrame(pcm, event.response_id, event.item_id, last))
            elif isinstance(event, ToolCall) and self._runner is not None:
                self._runner.submit(event)
            elif isinstance(event, RolloverNeeded | ReconnectNeeded):
                self._planned = (
                    isinstance(event, RolloverNeeded) or event.reason == "session_expired"
                )
                self._reconnect.set()
            await self._emit(event)

    async def _emit(self, item: Any) -> None:
        """Hand `item` to the caller: without a scheduler pass while the stream has room (the
        common case, about 20x cheaper per audio frame), waiting when it is full."""
        try:
            self._tx.send_nowait(item)
        except anyio.WouldBlock:
            await self._tx.send(item)

    async def _tool_results(self) -> None:
        assert self._runner is not None
        async for result in self._runner.results():
            item = self.machine.submit_tool_output(result.call_id, result.output)
            self._app(
                "submit_tool_output", {"call_id": result.call_id, "output": result.output}, item
            )
            await self._emit(result)

    # ------------------------------------------------------------------ lifecycle

    def _start_tasks(self, group: anyio.abc.TaskGroup) -> None:
        if self._runner is not None:
            self._runner.start(group)
            group.start_soon(self._tool_results)

    async def _closing_down(self) -> None:
        if self._runner is not None:
            await self._runner.aclose()

    async def aclose(self) -> None:
        """Close the socket (1000), stop the tools and the tasks; the event stream ends.
        Idempotent."""
        await super().aclose()
        self._tx.close()

    async def _supervise(self) -> None:
        first = True
        short_lived = 0  # consecutive sockets that died within a second: back off, then stop
        while not self._closing:
            if short_lived > self._reconnect_attempts:
                await self._emit(
                    APIError.build(
                        "the server keeps closing the session right after it opens",
                        code="connection_failed",
                        source="transport",
                    )
                )
                break
            if short_lived:
                base, cap = self._backoff
                await anyio.sleep(
                    min(cap, base * 2 ** (short_lived - 1)) * (0.5 + 0.5 * self._jitter())
                )
            try:
                connector = await self._open()
            except Exception as exc:
                if first:
                    self._first_opened(exc)
                    return
                error = getattr(exc, "error", None)
                if not isinstance(error, APIError):
                    error = APIError.build(str(exc), code="connection_failed", source="transport")
                await self._emit(error)
                return  # the session is over: the caller sees the error, then the end
            first = False
            self._reconnect = anyio.Event()
            opened_at = anyio.current_time()
            async with connector as ws:
                self._first_opened()
                await self._serve(ws)
            brief = anyio.current_time() - opened_at < 1.0 and not self._planned
            short_lived = short_lived + 1 if brief else 0
            self._planned = False
            if not self._closing:
                if self._recorder is not None:
                    closed = connector.ws.closed
                    code = closed.code if closed else None
                    self._recorder.closed(self._now(), code)
                unsent, self._unsent = self._unsent, []
                self.machine.connection_lost(unsent)
                await self._deliver()
        self._tx.close()

    async def _open(self) -> Opened:
        def connect() -> Any:
            options = dict(self._transport_options)
            if self._recorder is not None:
                options["trace"] = trace_to_recorder(self._recorder, t0=self._t0, inbound=False)
            return WebSocketTransport.connect(self._url, headers=self._headers, **options)

        base, cap = self._backoff
        return await open_with_backoff(
            connect, attempts=self._reconnect_attempts, base=base, cap=cap, jitter=self._jitter
        )

    async def _serve(self, ws: WebSocketTransport) -> None:
        self._ws = ws
        self.machine.connection_made(anyio.current_time())
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._writer, ws)
                group.start_soon(self._timer)
                self._wake.set()
                with anyio.CancelScope() as self._reader_scope:
                    await self._reader(ws)
                group.cancel_scope.cancel()
        finally:
            self._ws = None

    async def _timer(self) -> None:
        """The machine's deadline (the rollover age of this socket) in a task of its own, so
        the reader waits for frames without a timeout scope per frame. The deadline is fixed
        per socket and disappears once handled."""
        machine = self.machine
        while (deadline := machine.next_deadline()) is not None:
            await anyio.sleep_until(deadline)
            machine.handle_timeout(anyio.current_time())
            await self._deliver()
            self._wake.set()
            if self._reconnect.is_set() and self._receiving:
                self._reader_scope.cancel()  # parked in receive: nothing is cut in half

    async def _reader(self, ws: WebSocketTransport) -> None:
        machine = self.machine
        while not self._closing and not self._reconnect.is_set():
            self._receiving = True
            event = await ws.receive()
            self._receiving = False
            if isinstance(event, TextMessage):
                try:
                    if self._recorder is not None:
                        t = self._now()
                        record_received(self._recorder, t, event.data)
                    machine.receive_message(event.data)
                except RemoteProtocolError as exc:
                    await self._emit(APIError.build(str(exc), code="bad_frame", source="transport"))
                    return
                await self._deliver()
                if machine.wants_write:
                    self._wake.set()
            elif isinstance(event, Closed):
                await self._emit(event)
                return

    async def _writer(self, ws: WebSocketTransport) -> None:
        while True:
            await self._wake.wait()
            self._wake = anyio.Event()
            frames = self.machine.data_to_send()
            if not frames:
                continue
            try:
                await ws.send_texts(frames)
            except APIConnectionError:
                # the socket is closing: these go first on the next one (a Realtime session
                # dies with its socket, so nothing of them can count twice)
                self._unsent = frames
                return


def _format_type(session: Any, side: str) -> str:
    fmt = (
        session.get("audio", {}).get(side, {}).get("format") if isinstance(session, dict) else None
    )
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return kind if isinstance(kind, str) else "audio/pcm"
