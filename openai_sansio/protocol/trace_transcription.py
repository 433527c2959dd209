"""Replay of ``transcription`` traces (realtime transcription sessions) through a fresh
`TranscriptionSession`. Pure.

A transcription trace (written by ``client.transcription.connect(..., trace=...)``) holds the
handshakes (``request``, ``response``), the client frames (``send``, JSON decoded), the server
frames (``recv``, recorded when the machine took them), ``closed`` records and the caller's
commands (``app``: ``flush``, ``clear``, ``finish``, ``update`` with its ``session`` fields;
audio has no ``app`` record: each recorded ``input_audio_buffer.append`` is given to
`append_audio`). The
header's ``config.session`` is the session object the machine was built with.

What a replay checks: every frame the machine sends, in order, equals the next recorded
``send`` (a recorded frame without ``event_id`` matches any id); a recorded ``send`` the
machine did not produce, or a frame it produced that the trace lacks, is a divergence. Server
frames are fed exactly as recorded; one the machine rejects is a divergence naming the record.
The summary has one turn per item reported (``response_id`` = the item id; status
``completed`` with the final text and usage, or the failure reason) and the classified errors.

Next: `trace.replay` dispatches ``transcription`` traces here.
"""

from __future__ import annotations

import base64
import binascii
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Final

import msgspec

from ._errors import LocalProtocolError, RemoteProtocolError
from .redaction import redact_message
from .trace_common import Divergences, Progress, ticking
from .transcription import TranscriptionSession
from .transcription_events import FinalTranscript, TranscriptFailed, TranscriptionError

__all__ = ["looks_transcription", "replay_transcription"]

_CALLS: Final = frozenset({"flush", "clear", "update", "finish"})
_encoder: Final = msgspec.json.Encoder()
_decoder: Final = msgspec.json.Decoder()


def looks_transcription(records: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a headerless trace holds a transcription session (its first ``session.update``
    says ``type: "transcription"``)."""
    for record in records:
        message = record.get("msg")
        if record.get("op") == "send" and isinstance(message, dict):
            session = message.get("session")
            if message.get("type") == "session.update" and isinstance(session, dict):
                return session.get("type") == "transcription"
    return False


class _Replay:
    def __init__(self, header: Mapping[str, Any] | None) -> None:
        config = header.get("config") if header else None
        session = config.get("session") if isinstance(config, dict) else None
        self.machine = TranscriptionSession(session if isinstance(session, dict) else None)
        self.turns: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.sent: list[Any] = []
        self.divergences = Divergences()
        self._out: deque[Any] = deque()

    def open(self) -> None:
        if not self.machine.connected:
            self.machine.connection_made(0.0)

    def collect(self) -> None:
        for frame in self.machine.data_to_send():
            self._out.append(_decoder.decode(frame))
        for event in self.machine.events():
            if isinstance(event, FinalTranscript):
                usage = event.usage
                self.turns.append(
                    {
                        "response_id": event.item_id,
                        "status": "completed",
                        "text": event.text,
                        "tool_calls": [],
                        "usage": None
                        if usage is None
                        else {
                            "input_tokens": usage.input_tokens,
                            "output_tokens": usage.output_tokens,
                            "total_tokens": usage.total_tokens,
                        },
                    }
                )
            elif isinstance(event, TranscriptFailed):
                self.turns.append(
                    {
                        "response_id": event.item_id,
                        "status": event.reason,
                        "text": event.text,
                        "tool_calls": [],
                        "usage": None,
                    }
                )
            elif isinstance(event, TranscriptionError):
                error = event.error
                self.errors.append(
                    {
                        "code": error.code,
                        "type": error.type,
                        "message": error.message,
                        "classification": error.classification,
                        "client_event_type": event.client_event_type,
                    }
                )

    def send(self, number: int, message: Any) -> None:
        self.open()
        self.sent.append(message)
        if _is_append(message):
            try:
                audio = base64.b64decode(str(message.get("audio", "")), validate=True)
            except (binascii.Error, ValueError):
                self.divergences.append(f"record {number}: append audio is not base64")
                return
            self.machine.append_audio(audio)
        self.collect()
        produced = self._take(_is_append(message))
        if produced is None:
            self.divergences.add(
                number, f"the machine did not send {_kind(message)}", expected=message
            )
            return
        if not _same(message, produced):
            self.divergences.add(
                number,
                f"recorded {_kind(message)} differs from the machine's {_kind(produced)}",
                expected=message,
                produced=redact_message(produced),
            )

    def _take(self, append: bool) -> Any:
        """The machine's next frame of the same class (audio appends and commands are each
        in order; a flush's resampler tail is queued after its commit is decided)."""
        for index, frame in enumerate(self._out):
            if _is_append(frame) == append:
                del self._out[index]
                return frame
        return None

    def app(self, number: int, call: Any, args: Any) -> None:
        if call not in _CALLS:
            self.divergences.append(f"record {number}: unknown command {call!r}")
            return
        try:
            if call == "update":
                self.machine.update(**(args if isinstance(args, dict) else {}))
            else:
                getattr(self.machine, call)()
        except LocalProtocolError as exc:
            self.divergences.append(f"record {number}: {call} refused: {exc}")
        self.collect()

    def recv(self, number: int, message: Any) -> None:
        self.open()
        try:
            self.machine.receive_message(_encoder.encode(message))
        except RemoteProtocolError as exc:
            self.divergences.append(f"record {number}: the machine rejected the frame: {exc}")
        self.collect()

    def closed(self) -> None:
        if self.machine.connected:
            self.collect()
            self._unsent_check()
            self.machine.connection_lost()
            self.collect()

    def _unsent_check(self) -> None:
        for frame in self._out:
            if not _is_append(frame):
                self.divergences.add(
                    0, f"the machine sent {_kind(frame)}, not in the trace", produced=frame
                )
        self._out.clear()


def _is_append(message: Any) -> bool:
    return isinstance(message, dict) and message.get("type") == "input_audio_buffer.append"


def _kind(message: Any) -> str:
    return str(message.get("type")) if isinstance(message, dict) else repr(message)[:40]


def _same(recorded: Any, produced: Any) -> bool:
    """`produced` is the `recorded` frame: an ``event_id`` the recording leaves out is not
    compared; credentials are compared as recorded (redacted)."""
    produced = redact_message(produced)
    if isinstance(recorded, dict) and isinstance(produced, dict) and "event_id" not in recorded:
        produced = {k: v for k, v in produced.items() if k != "event_id"}
    return bool(recorded == produced)


def replay_transcription(
    records: Iterable[Mapping[str, Any]],
    header: Mapping[str, Any] | None,
    *,
    progress: Progress | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any], list[str]]:
    """(turns, errors, sent, divergences) of a transcription trace (see the module
    docstring)."""
    replay = _Replay(header)
    for number, record in ticking(records, progress):
        op = record.get("op")
        if op == "response" and record.get("status") == 101:
            replay.open()
            replay.collect()
        elif op == "send":
            replay.send(number, record.get("msg"))
        elif op == "recv":
            replay.recv(number, record.get("msg"))
        elif op == "app":
            replay.app(number, record.get("call"), record.get("args"))
        elif op == "closed":
            replay.closed()
    replay.collect()
    replay._unsent_check()
    return replay.turns, replay.errors, replay.sent, replay.divergences
