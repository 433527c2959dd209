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
blocks the receive path, so audio and barge-in keep flowing while it runs. The socket
plumbing (reader, writer, deadline timer, reconnects) is `_machine_session.MachineSession`'s.

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

from ._machine_session import MachineSession
from .audio.realtime_path import InputPath, OutputPath
from .protocol.events.common import ToolCall
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


class RealtimeConnection(MachineSession):
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

        super().__init__(
            url=url or realtime_url(client.config, model=model),
            headers=realtime_headers(client.config),
            max_events=max_events,
            trace=trace,
            reconnect_attempts=reconnect_attempts,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            jitter=jitter,
            transport_options={**client.socket_options(), **transport_options},
        )
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
        self.machine: RealtimeSession = RealtimeSession(body, ids=ids, **options)
        in_fmt = _format_type(body, "input")
        out_fmt = _format_type(body, "output")
        self.input = InputPath(input_rate, channels=input_channels, fmt=in_fmt)
        self.output = OutputPath(
            output_rate, channels=output_channels, frame_ms=frame_ms, fmt=out_fmt
        )
        self._playing: tuple[str | None, str | None] = (None, None)
        self._silenced: dict[str, None] = {}  # responses interrupted: no frame of them after

    # ------------------------------------------------------------------ commands

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
                self._leave.set()
            await self._emit(event)

    def _feed(self, data: bytes) -> None:
        self.machine.receive_message(data)

    def _wants_write(self) -> bool:
        return self.machine.wants_write

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
        """Leaving: the tools stop (the socket closes and the event stream ends after)."""
        if self._runner is not None:
            await self._runner.aclose()


def _format_type(session: Any, side: str) -> str:
    fmt = (
        session.get("audio", {}).get(side, {}).get("format") if isinstance(session, dict) else None
    )
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    return kind if isinstance(kind, str) else "audio/pcm"
